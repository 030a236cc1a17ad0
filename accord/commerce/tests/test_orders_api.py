"""The order, shipment, invoice and payment API: scope, 201/409/422, keyset pages, counts."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from accord.commerce.models import Invoice, Order, Payment
from accord.commerce.services_invoices import invoice_create
from accord.commerce.tests.test_orders_factories import draft, make_order
from accord.core.testing import assert_num_queries, user_with_role
from accord.core.tests.test_api_auth import token_client
from accord.parties.tests.factories import make_company

pytestmark = pytest.mark.django_db


def post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def patch(client, url, body):
    return client.patch(url, data=json.dumps(body), content_type="application/json")


def fields_of(response):
    return {item["field"] for item in response.json()["detail"]}


@pytest.fixture
def manager():
    return user_with_role("sales_manager")


@pytest.fixture
def company(manager):
    return make_company(owner=manager, name="Vega LLC")


def test_create_order_and_read_it_back(manager, company):
    client = token_client(manager)
    response = post(
        client,
        "/api/orders",
        {
            "company": company.pk,
            "currency": "EUR",
            "lines": [
                {"description": "Pump", "quantity": "3", "unit_price": "33.33", "tax_rate": "20"},
                {"description": "Valve", "quantity": "1", "unit_price": "10", "tax_rate": "0"},
            ],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "new" and body["channel"] == "phone"
    assert body["total"] == "129.99"  # 99.99 + 20.00 VAT + 10.00
    assert [line["total_amount"] for line in body["lines"]] == ["119.99", "10.00"]
    detail = client.get(f"/api/orders/{body['id']}").json()
    assert detail["number"] == body["number"] and detail["version"] == 1


def test_bad_lines_are_422_naming_the_field_and_nothing_is_saved(manager, company):
    client = token_client(manager)
    response = post(
        client,
        "/api/orders",
        {
            "company": company.pk,
            "lines": [
                {"description": "Pump", "quantity": "-1", "unit_price": "1"},
                {
                    "description": "Valve",
                    "quantity": "1",
                    "unit_price": "1",
                    "discount_percent": "101",
                },
            ],
        },
    )
    assert response.status_code == 422
    assert fields_of(response) == {"lines-0-quantity", "lines-1-discount_percent"}
    assert not Order.objects.exists()


def test_patch_with_a_stale_version_is_409(manager, company):
    order = make_order(actor=manager, company=company)
    client = token_client(manager)
    response = patch(client, f"/api/orders/{order.pk}", {"version": 1, "notes": "Urgent"})
    assert response.status_code == 200 and response.json()["version"] == 2
    response = patch(client, f"/api/orders/{order.pk}", {"version": 1, "notes": "Lost"})
    assert response.status_code == 409
    order.refresh_from_db()
    assert order.notes == "Urgent"


def test_status_moves_and_shipments(manager, company):
    order = make_order(actor=manager, company=company)
    client = token_client(manager)
    response = post(client, f"/api/orders/{order.pk}/status", {"status": "shipped"})
    assert response.status_code == 422 and fields_of(response) == {"status"}
    response = post(client, f"/api/orders/{order.pk}/status", {"status": "confirmed", "version": 1})
    assert response.json()["status"] == "confirmed"
    pump, valve = order.lines.all()
    response = post(
        client,
        f"/api/orders/{order.pk}/shipments",
        {"lines": [{"order_line": pump.pk, "quantity": "4"}]},
    )
    assert response.status_code == 422 and fields_of(response) == {f"line-{pump.pk}"}
    response = post(
        client,
        f"/api/orders/{order.pk}/shipments",
        {
            "lines": [
                {"order_line": pump.pk, "quantity": "3"},
                {"order_line": valve.pk, "quantity": "2"},
            ]
        },
    )
    assert response.status_code == 201
    assert client.get(f"/api/orders/{order.pk}").json()["status"] == "shipped"
    listing = client.get(f"/api/orders/{order.pk}/shipments").json()
    assert [len(item["lines"]) for item in listing["items"]] == [2]


def test_invoice_payments_and_overpayment(manager, company):
    order = make_order(actor=manager, company=company, confirm=True)
    client = token_client(manager)
    response = post(client, "/api/invoices", {"order": order.pk, "issue": True})
    assert response.status_code == 201, response.content
    invoice = response.json()
    assert invoice["total"] == "480.00" and invoice["balance_due"] == "480.00"
    url = f"/api/invoices/{invoice['id']}/payments"
    response = post(client, url, {"amount": "500.00"})
    assert response.status_code == 422 and fields_of(response) == {"amount"}
    assert not Payment.objects.exists()
    response = post(client, url, {"amount": "500.00", "confirm_overpayment": True})
    assert response.status_code == 201
    body = client.get(f"/api/invoices/{invoice['id']}").json()
    assert body["status"] == "paid" and body["balance_due"] == "-20.00"
    assert [p["amount"] for p in client.get(url).json()["items"]] == ["500.00"]


def test_read_only_can_read_but_not_pay(manager, company):
    invoice = invoice_create(actor=manager, company=company, lines=[draft()], issue=True)
    client = token_client(user_with_role("read_only"))
    assert client.get(f"/api/invoices/{invoice.pk}").status_code == 200
    response = post(client, f"/api/invoices/{invoice.pk}/payments", {"amount": "1.00"})
    assert response.status_code == 403
    assert not Payment.objects.exists()


def test_invisible_orders_and_invoices_are_404(manager, company):
    order = make_order(actor=manager, company=company)
    invoice = invoice_create(actor=manager, order=order)
    client = token_client(user_with_role("sales_manager"))
    assert client.get(f"/api/orders/{order.pk}").status_code == 404
    assert client.get(f"/api/invoices/{invoice.pk}").status_code == 404
    assert client.get("/api/orders").json()["items"] == []
    assert client.get("/api/invoices").json()["items"] == []


def test_keyset_pages(manager, company):
    for _ in range(3):
        make_order(actor=manager, company=company)
    client = token_client(manager)
    first = client.get("/api/orders?limit=2").json()
    second = client.get(f"/api/orders?limit=2&after={first['next']}").json()
    assert len(first["items"]) == 2 and len(second["items"]) == 1 and second["next"] is None
    ids = [o["id"] for o in first["items"] + second["items"]]
    assert ids == sorted(ids, reverse=True)


@pytest.mark.parametrize("rows", [2, 8])
def test_list_endpoints_query_counts(manager, company, rows):
    for _ in range(rows):
        order = make_order(actor=manager, company=company)
        invoice_create(actor=manager, order=order)
    client = token_client(manager)
    client.get("/api/me")
    # token, grants, team ids, orders, lines
    with assert_num_queries(5):
        response = client.get("/api/orders")
    assert len(response.json()["items"]) == rows
    with assert_num_queries(5):
        response = client.get("/api/invoices")
    assert len(response.json()["items"]) == rows
    assert Invoice.objects.count() == rows
    assert Decimal(response.json()["items"][0]["total"]) == Decimal("480.00")


def test_lines_of_a_new_order_and_undo_endpoints(manager, company):
    order = make_order(actor=manager, company=company)
    client = token_client(manager)
    response = post(
        client,
        f"/api/orders/{order.pk}/lines",
        {"description": "Gear", "quantity": "1", "unit_price": "10", "tax_rate": "0", "version": 1},
    )
    assert response.status_code == 201 and response.json()["total"] == "490.00"
    line_id = response.json()["lines"][-1]["id"]
    response = patch(client, f"/api/orders/{order.pk}/lines/{line_id}", {"quantity": "0"})
    assert response.status_code == 422 and fields_of(response) == {"quantity"}
    response = patch(client, f"/api/orders/{order.pk}/lines/{line_id}", {"quantity": "2"})
    assert response.json()["total"] == "500.00"
    response = client.delete(f"/api/orders/{order.pk}/lines/{line_id}?version=1")
    assert response.status_code == 409
    response = client.delete(f"/api/orders/{order.pk}/lines/{line_id}")
    assert response.json()["total"] == "480.00"
    post(client, f"/api/orders/{order.pk}/status", {"status": "confirmed"})
    pump = order.lines.first()
    shipped = post(
        client,
        f"/api/orders/{order.pk}/shipments",
        {"lines": [{"order_line": pump.pk, "quantity": "1"}]},
    ).json()
    response = client.delete(f"/api/shipments/{shipped['id']}")
    assert response.status_code == 200 and response.json()["status"] == "confirmed"
    invoice = invoice_create(actor=manager, order=order, issue=True)
    paid = post(client, f"/api/invoices/{invoice.pk}/payments", {"amount": "100"}).json()
    response = client.delete(f"/api/payments/{paid['id']}")
    assert response.status_code == 200 and response.json()["amount_paid"] == "0.00"
    assert response.json()["status"] == "issued"
    other = token_client(user_with_role("sales_manager"))
    assert other.delete(f"/api/payments/{paid['id']}").status_code == 404
