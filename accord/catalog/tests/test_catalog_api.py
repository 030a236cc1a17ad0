"""The catalogue over the API: lists with a query budget, detail, writes for those allowed,
configuration priced or refused naming ``configuration``."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from accord.catalog.models import PriceList, Product
from accord.core.models import User
from accord.core.testing import assert_num_queries
from accord.core.tests.test_api_auth import token_client

pytestmark = pytest.mark.django_db


def send(client: Client, method: str, url: str, body: Any = None) -> Any:
    return getattr(client, method)(url, json.dumps(body or {}), content_type="application/json")


def test_product_list_pages_with_a_fixed_query_count(
    manager: User, example_catalog: list[Product], rub: PriceList
) -> None:
    client = token_client(manager)
    client.get("/api/products")
    with assert_num_queries(4):  # token with its user, grants, products, their prices
        response = client.get("/api/products?limit=2")
    body = response.json()
    assert [p["sku"] for p in body["items"]] == ["SRV-SUPERVISION", "SRV-DESIGN-H"]
    assert body["items"][1]["prices"] == [
        {"price_list": rub.pk, "currency": "RUB", "amount": "3500.00"},
        {"price_list": rub.pk + 1, "currency": "EUR", "amount": "65.00"},
    ]
    second = client.get(f"/api/products?limit=2&after={body['next']}").json()
    assert [p["sku"] for p in second["items"]] == ["SRV-SURVEY", "KNS-PS-100"]
    assert second["next"] is None
    filtered = client.get("/api/products?is_configurable=true&q=kns").json()
    assert [p["sku"] for p in filtered["items"]] == ["KNS-PS-100"]


def test_product_detail_has_options_and_rules(manager: User, station: Product) -> None:
    body = token_client(manager).get(f"/api/products/{station.pk}").json()
    groups = body["option_groups"]
    assert [g["name"] for g in groups] == ["Supply voltage", "Motor", "Extras"]
    v380 = groups[0]["options"][1]
    assert (v380["code"], v380["excludes"]) == ("v380", ["motor-1ph"])
    assert [p["amount"] for p in v380["prices"]] == ["12000.00", "210.00"]
    remote = groups[2]["options"][0]
    assert remote["requires"] == ["gsm"]


def test_configure_prices_or_names_configuration(
    manager: User, station: Product, rub: PriceList, eur: PriceList
) -> None:
    client = token_client(manager)
    url = f"/api/products/{station.pk}/configure"
    ok = send(
        client,
        "post",
        url,
        {"price_list": eur.pk, "options": ["v380", "motor-3ph"], "quantity": "2"},
    )
    assert ok.status_code == 200, ok.content
    line = ok.json()
    assert (line["unit_price"], line["net"], line["tax"], line["total"], line["currency"]) == (
        "25360.00",
        "50720.00",
        "10144.00",
        "60864.00",
        "EUR",
    )
    refused = send(
        client, "post", url, {"price_list": rub.pk, "options": ["v380", "motor-1ph", "remote"]}
    )
    assert refused.status_code == 422
    assert refused.json()["detail"] == [
        {
            "field": "configuration",
            "messages": [
                "«380 V» cannot be combined with «Single-phase motor».",
                "«Remote monitoring» requires «GSM modem».",
            ],
        }
    ]
    bad_quantity = send(client, "post", url, {"price_list": rub.pk, "quantity": "0"})
    assert bad_quantity.json()["detail"][0]["field"] == "quantity"


def test_writes_for_those_allowed(
    manager: User, head: User, station: Product, rub: PriceList
) -> None:
    denied = send(token_client(manager), "post", "/api/products", {"sku": "N-1", "name": "New"})
    assert denied.status_code == 403
    assert not Product.objects.filter(sku="N-1").exists()
    client = token_client(head)
    created = send(
        client, "post", "/api/products", {"sku": "N-1", "name": "New", "kind": "service"}
    )
    assert created.status_code == 201, created.content
    product_id = created.json()["id"]
    invalid = send(client, "post", "/api/products", {"sku": "N-1", "name": "", "unit": "x"})
    assert {d["field"] for d in invalid.json()["detail"]} == {"sku", "name", "unit"}
    priced = send(
        client,
        "post",
        f"/api/products/{product_id}/prices",
        {"price_list": rub.pk, "amount": "990.00"},
    )
    assert priced.json()["prices"] == [
        {"price_list": rub.pk, "currency": "RUB", "amount": "990.00"}
    ]
    version = priced.json()["version"]
    patched = send(
        client, "patch", f"/api/products/{product_id}", {"version": version, "name": "Newer"}
    )
    assert patched.json()["name"] == "Newer"
    stale = send(
        client, "patch", f"/api/products/{product_id}", {"version": version, "name": "Stale"}
    )
    assert stale.status_code == 409


def test_price_lists_and_tax_rates(manager: User) -> None:
    client = token_client(manager)
    lists = client.get("/api/price-lists").json()
    assert [(p["name"], p["currency"], p["is_default"]) for p in lists] == [
        ("Base RUB", "RUB", True),
        ("Base EUR", "EUR", False),
    ]
    rates = client.get("/api/tax-rates?country=fr").json()
    assert [(r["name"], r["rate"], r["is_default"]) for r in rates] == [
        ("TVA 20 %", "20.00", True),
        ("TVA 10 %", "10.00", False),
        ("TVA 5,5 %", "5.50", False),
    ]
