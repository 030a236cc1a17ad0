"""Service contracts, units, consumption and coverage over the API."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from accord.contracts.models import Asset, Consumption, ServiceContract
from accord.contracts.tests.factories import make_asset, make_contract
from accord.core.testing import assert_num_queries, user_with_role
from accord.parties.tests.factories import make_company

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def today() -> datetime.date:
    return timezone.localdate()


@pytest.fixture
def head():
    return user_with_role("service_manager")


@pytest.fixture
def acme(head):
    return make_company(owner=head, name="Acme")


def test_create_activate_use_and_read_back(head, acme, today):
    api = login(head)
    unit = make_asset(acme, "API-1")
    created = api.post(
        "/api/service-contracts",
        {
            "company": acme.pk,
            "name": "Gold",
            "starts_on": today.isoformat(),
            "ends_on": (today + 30 * DAY).isoformat(),
            "covered_assets": [unit.pk],
            "entitlements": {"visits": "4"},
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["number"], body["status"], body["covered_assets"]) == (
        f"SC-{today.year}-0001",
        "draft",
        [unit.pk],
    )
    pk = body["id"]
    assert api.post(f"/api/service-contracts/{pk}/activate").json()["status"] == "active"
    used = api.post(
        f"/api/service-contracts/{pk}/consumption",
        {"unit": "visits", "quantity": "5", "occurred_on": today.isoformat(), "source": "WO-1"},
        content_type="application/json",
    )
    assert used.status_code == 201
    balance = api.get(f"/api/service-contracts/{pk}").json()["entitlements"]
    assert balance == [
        {
            "unit": "visits",
            "included": "4.00",
            "consumed": "5.00",
            "remaining": "-1.00",
            "over": "1.00",
        }
    ]
    refused = api.post(
        f"/api/service-contracts/{pk}/consumption",
        {"unit": "hours", "quantity": "1", "occurred_on": today.isoformat()},
        content_type="application/json",
    )
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["field"] == "unit"
    assert Consumption.objects.count() == 1


def test_patch_needs_the_current_version(head, acme, today):
    contract = make_contract(acme, starts_on=today, ends_on=today)
    api = login(head)
    ok = api.patch(
        f"/api/service-contracts/{contract.pk}",
        {"version": 1, "name": "Renamed", "entitlements": {"hours": "8"}},
        content_type="application/json",
    )
    assert ok.status_code == 200
    assert ok.json()["version"] == 2
    stale = api.patch(
        f"/api/service-contracts/{contract.pk}",
        {"version": 1, "name": "Stale"},
        content_type="application/json",
    )
    assert stale.status_code == 409
    assert ServiceContract.objects.get().name == "Renamed"


def test_list_is_scoped_and_in_fixed_queries(head, acme, today):
    for _index in range(3):
        make_contract(acme, starts_on=today, ends_on=today + 10 * DAY, entitlements={"visits": 1})
    api = login(head)
    api.get("/api/service-contracts")
    with assert_num_queries(7):
        page = api.get("/api/service-contracts", {"expiring_within": 30})
    assert len(page.json()["items"]) == 3
    seller = login(user_with_role("sales_manager"))
    assert seller.get("/api/service-contracts").json()["items"] == []
    assert (
        seller.get(f"/api/service-contracts/{ServiceContract.objects.first().pk}").status_code
        == 404
    )


def test_assets_and_coverage(head, acme, today):
    api = login(head)
    created = api.post(
        "/api/assets",
        {
            "company": acme.pk,
            "serial_number": " cov-9 ",
            "installed_on": "2026-01-01",
            "warranty_months": 120,
        },
        content_type="application/json",
    )
    assert created.status_code == 201
    assert created.json()["serial_number"] == "cov-9"
    duplicate = api.post(
        "/api/assets",
        {"company": acme.pk, "serial_number": "COV-9"},
        content_type="application/json",
    )
    assert duplicate.status_code == 422
    assert [
        a["serial_number"] for a in api.get("/api/assets", {"serial": "Cov-9"}).json()["items"]
    ] == ["cov-9"]
    contract = make_contract(acme, starts_on=today, ends_on=today, entitlements={"visits": 12})
    answer = api.get("/api/coverage", {"serial": "COV-9"}).json()
    assert answer["asset"] == Asset.objects.get().pk
    assert (answer["warranty"], answer["contract_number"], answer["is_covered"]) == (
        "in",
        contract.number,
        True,
    )
    assert answer["summary"][-1] == f"Covered by contract {contract.number} (12 of 12 visits left)"
    assert api.get("/api/coverage").status_code == 422


def test_coverage_does_not_reveal_hidden_clients(head, today):
    hidden = make_company(owner=head, name="Hidden")
    make_asset(hidden, "HID-9")
    seller = user_with_role("sales_manager")
    seller_api = login(seller)
    assert seller_api.get("/api/coverage", {"serial": "HID-9"}).status_code == 403
    agent = login(user_with_role("service_agent"))
    assert agent.get("/api/coverage", {"serial": "HID-9"}).json()["asset"] is not None


def test_take_back_a_use_over_the_api(head, acme, today):
    from accord.contracts import services

    contract = make_contract(acme, starts_on=today, ends_on=today, entitlements={"hours": 2})
    used = services.record_consumption(
        actor=head, contract=contract, unit="hours", quantity=1, occurred_on=today
    )
    other = make_contract(acme, starts_on=today, ends_on=today)
    api = login(head)
    assert api.delete(f"/api/service-contracts/{other.pk}/consumption/{used.pk}").status_code == 404
    assert (
        api.delete(f"/api/service-contracts/{contract.pk}/consumption/{used.pk}").status_code == 204
    )
    assert Consumption.objects.count() == 0
