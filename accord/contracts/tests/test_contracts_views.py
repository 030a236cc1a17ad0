"""Contract and unit pages, the coverage check, the panels: scope, forms, query budgets."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accord.contracts.models import Asset, Consumption, ServiceContract
from accord.contracts.tests.factories import make_asset, make_contract, make_product
from accord.core.models import Role, RoleGrant
from accord.core.permissions import Scope
from accord.core.testing import assert_num_queries, user_with_role
from accord.parties.tests.factories import make_company
from accord.service.models import Case

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


@pytest.fixture
def today() -> datetime.date:
    return timezone.localdate()


@pytest.fixture
def head():
    return user_with_role("service_manager")


@pytest.fixture
def head_client(head) -> Client:
    client = Client()
    client.force_login(head)
    return client


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def acme(head):
    return make_company(owner=head, name="Acme Heating")


def test_list_filters_by_status_client_and_expiry(head_client, head, acme, today):
    other = make_company(owner=head, name="Other")
    soon = make_contract(acme, starts_on=today - 300 * DAY, ends_on=today + 20 * DAY, name="Soon")
    later = make_contract(acme, starts_on=today, ends_on=today + 200 * DAY, name="Later")
    draft = make_contract(
        other, starts_on=today, ends_on=today + 10 * DAY, active=False, name="Draft"
    )
    url = reverse("contracts:contract_list")
    page = head_client.get(url)
    assert [r["contract"] for r in page.context["rows"]] == [draft, later, soon]
    page = head_client.get(url, {"expiring": "30"})
    assert [r["contract"] for r in page.context["rows"]] == [soon]
    page = head_client.get(url, {"status": "draft"})
    assert [r["contract"] for r in page.context["rows"]] == [draft]
    page = head_client.get(url, {"company": acme.pk})
    assert [r["contract"] for r in page.context["rows"]] == [later, soon]
    page = head_client.get(url, {"q": soon.number})
    assert [r["contract"] for r in page.context["rows"]] == [soon]
    page = head_client.get(url, {"expiring": "200"})
    assert [r["contract"] for r in page.context["rows"]] == [soon, later]
    assert page.context["expiring_choices"] == [30, 60, 90, 200]
    assert '<option value="200" selected>' in page.content.decode()


def test_list_query_count_does_not_grow_with_rows(head_client, head, acme, today):
    for index in range(3):
        make_contract(acme, starts_on=today, ends_on=today, entitlements={"visits": 3 + index})
    head_client.get(reverse("contracts:contract_list"))
    with assert_num_queries(7):
        first = head_client.get(reverse("contracts:contract_list"))
    for index in range(5):
        make_contract(acme, starts_on=today, ends_on=today, entitlements={"hours": 3 + index})
    with assert_num_queries(7):
        second = head_client.get(reverse("contracts:contract_list"))
    assert (len(first.context["rows"]), len(second.context["rows"])) == (3, 8)


def test_list_and_detail_are_scoped(head, acme, today):
    role = Role.objects.create(code="own_contracts", name="Own contracts")
    RoleGrant.objects.create(
        role=role, object_type="service_contract", action="view", scope=Scope.OWN
    )
    RoleGrant.objects.create(role=role, object_type="company", action="view", scope=Scope.ALL)
    keeper = user_with_role("own_contracts")
    mine = make_contract(acme, starts_on=today, ends_on=today, owner=keeper)
    theirs = make_contract(acme, starts_on=today, ends_on=today, owner=head)
    client = login(keeper)
    page = client.get(reverse("contracts:contract_list"))
    assert [r["contract"] for r in page.context["rows"]] == [mine]
    assert client.get(reverse("contracts:contract_detail", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("contracts:contract_detail", args=[mine.pk])).status_code == 200
    assert client.get(reverse("contracts:contract_edit", args=[mine.pk])).status_code == 403
    assert client.post(reverse("contracts:contract_cancel", args=[mine.pk])).status_code == 403
    mine.refresh_from_db()
    assert mine.status == ServiceContract.Status.ACTIVE
    seller = login(user_with_role("sales_manager"))
    assert seller.get(reverse("contracts:contract_list")).status_code == 403


def test_detail_shows_balances_use_and_cases_in_fixed_queries(head_client, head, acme, today):
    boiler = make_product()
    unit = make_asset(acme, "B-1", boiler)
    contract = make_contract(
        acme,
        starts_on=today,
        ends_on=today,
        assets=(unit,),
        products=(boiler,),
        entitlements={"hours": 2, "visits": 4},
    )
    from accord.contracts import services

    services.record_consumption(
        actor=head, contract=contract, unit="hours", quantity=3, occurred_on=today
    )
    Case.objects.create(subject="Leak", company=acme, contract=contract)
    url = reverse("contracts:contract_detail", args=[contract.pk])
    head_client.get(url)
    with assert_num_queries(16):
        page = head_client.get(url)
    body = page.content.decode()
    assert "over by 1 h" in body
    assert "4 of 4 visits left" not in body  # the table shows numbers, not sentences
    assert "Leak" in body
    assert "B-1" in body
    for index in range(3):
        services.record_consumption(
            actor=head, contract=contract, unit="visits", quantity=1, occurred_on=today
        )
        Case.objects.create(subject=f"More {index}", company=acme, contract=contract)
    with assert_num_queries(16):
        head_client.get(url)


def test_create_through_the_form(head_client, acme, today):
    unit = make_asset(acme, "F-1")
    response = head_client.post(
        reverse("contracts:contract_create"),
        {
            "company": acme.pk,
            "name": "Gold",
            "starts_on": today.isoformat(),
            "ends_on": (today + 364 * DAY).isoformat(),
            "included_visits": "12",
            "covered_assets": [unit.pk],
            "renewal_notice_days": "45",
            "currency": "EUR",
            "amount": "1000",
        },
    )
    contract = ServiceContract.objects.get()
    assert response.status_code == 302
    assert response["Location"] == contract.get_absolute_url()
    assert (contract.number, contract.name, contract.renewal_notice_days) == (
        f"SC-{today.year}-0001",
        "Gold",
        45,
    )
    assert list(contract.covered_assets.all()) == [unit]


def test_create_form_shows_service_errors_and_saves_nothing(head_client, acme, today):
    response = head_client.post(
        reverse("contracts:contract_create"),
        {
            "company": acme.pk,
            "name": "Gold",
            "starts_on": today.isoformat(),
            "ends_on": (today - DAY).isoformat(),
            "included_visits": "-2",
            "renewal_notice_days": "30",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "ends_on": ["The end date cannot be before the start date."]
    }
    assert ServiceContract.objects.count() == 0


def test_create_without_client_asks_for_one(head_client, acme):
    response = head_client.get(reverse("contracts:contract_create"), {"company_q": "Acme"})
    assert [c.pk for c in response.context["found"]] == [acme.pk]


def test_edit_refuses_a_stale_version(head_client, acme, today):
    contract = make_contract(acme, starts_on=today, ends_on=today)
    data = {
        "name": "Renamed",
        "number": contract.number,
        "starts_on": today.isoformat(),
        "ends_on": today.isoformat(),
        "renewal_notice_days": "30",
        "version": "1",
    }
    assert (
        head_client.post(reverse("contracts:contract_edit", args=[contract.pk]), data).status_code
        == 302
    )
    stale = head_client.post(
        reverse("contracts:contract_edit", args=[contract.pk]), {**data, "name": "Stale"}
    )
    assert stale.status_code == 200
    assert stale.context["form"].non_field_errors()
    contract.refresh_from_db()
    assert (contract.name, contract.version) == ("Renamed", 2)


def test_activate_renew_and_cancel_buttons(head_client, acme, today):
    contract = make_contract(acme, starts_on=today, ends_on=today + 30 * DAY, active=False)
    head_client.post(reverse("contracts:contract_activate", args=[contract.pk]))
    contract.refresh_from_db()
    assert contract.status == ServiceContract.Status.ACTIVE
    response = head_client.post(reverse("contracts:contract_renew", args=[contract.pk]))
    copy = ServiceContract.objects.get(renewed_from=contract)
    assert response["Location"] == copy.get_absolute_url()
    assert copy.starts_on == today + 31 * DAY
    head_client.post(
        reverse("contracts:contract_cancel", args=[contract.pk]), {"reason": "Sold the plant"}
    )
    contract.refresh_from_db()
    assert contract.status == ServiceContract.Status.CANCELLED


def test_record_use_from_the_contract_page(head_client, acme, today):
    contract = make_contract(acme, starts_on=today, ends_on=today, entitlements={"visits": 2})
    url = reverse("contracts:consumption_add", args=[contract.pk])
    bad = head_client.post(
        url, {"unit": "visits", "quantity": "0", "occurred_on": today.isoformat()}
    )
    assert bad.status_code == 422
    assert bad.context["consumption_form"].errors == {"quantity": ["Enter a quantity above zero."]}
    late = head_client.post(
        url, {"unit": "visits", "quantity": "1", "occurred_on": (today + DAY).isoformat()}
    )
    assert "occurred_on" in late.context["consumption_form"].errors
    assert Consumption.objects.count() == 0
    ok = head_client.post(
        url, {"unit": "visits", "quantity": "1", "occurred_on": today.isoformat(), "note": "PM"}
    )
    assert ok.status_code == 302
    assert Consumption.objects.get().quantity == Decimal("1.00")


def test_units_list_create_and_detail(head_client, acme, today):
    response = head_client.post(
        reverse("contracts:asset_create"),
        {
            "company": acme.pk,
            "serial_number": "sn-9",
            "installed_on": "2026-01-01",
            "warranty_months": "12",
        },
    )
    asset = Asset.objects.get()
    assert response["Location"] == asset.get_absolute_url()
    assert asset.warranty_until == datetime.date(2026, 12, 31)
    duplicate = head_client.post(
        reverse("contracts:asset_create"), {"company": acme.pk, "serial_number": "SN-9"}
    )
    assert "serial_number" in duplicate.context["form"].errors
    page = head_client.get(reverse("contracts:asset_list"), {"q": "sn"})
    assert [r["asset"] for r in page.context["rows"]] == [asset]
    assert head_client.get(asset.get_absolute_url()).status_code == 200


def test_agent_sees_units_but_may_not_register(acme):
    agent = login(user_with_role("service_agent"))
    make_asset(acme, "AG-1")
    assert agent.get(reverse("contracts:asset_list")).status_code == 200
    assert agent.get(reverse("contracts:asset_create"), {"company": acme.pk}).status_code == 403


def test_unit_of_a_hidden_client_is_404(head):
    seller = user_with_role("sales_manager")
    hidden = make_company(owner=head, name="Hidden")
    asset = make_asset(hidden, "HID-1")
    assert login(seller).get(asset.get_absolute_url()).status_code == 404


def test_coverage_check_fragment(acme, today, head):
    agent = login(user_with_role("service_agent"))
    url = reverse("contracts:coverage_check")
    make_asset(acme, "WAR-1", warranty_until=today + 5 * DAY)
    make_asset(acme, "OLD-1", warranty_until=today - 5 * DAY)
    assert "Unknown serial number" in agent.get(url, {"serial": "nope"}).content.decode()
    assert "Under warranty until" in agent.get(url, {"serial": "war-1"}).content.decode()
    assert "Warranty expired on" in agent.get(url, {"serial": "OLD-1"}).content.decode()
    contract = make_contract(acme, starts_on=today, ends_on=today, entitlements={"visits": 12})
    from accord.contracts import services

    services.record_consumption(
        actor=head, contract=contract, unit="visits", quantity=9, occurred_on=today
    )
    body = agent.get(url, {"serial": "OLD-1", "company": acme.pk}).content.decode()
    assert f"Covered by contract {contract.number} (3 of 12 visits left)" in body


def test_coverage_check_does_not_leak_a_hidden_clients_unit(head, today):
    role = Role.objects.create(code="own_desk", name="Own desk")
    RoleGrant.objects.create(role=role, object_type="case", action="add", scope=Scope.OWN)
    RoleGrant.objects.create(role=role, object_type="company", action="view", scope=Scope.OWN)
    desk = user_with_role("own_desk")
    hidden = make_company(owner=head, name="Hidden")
    make_asset(hidden, "SECRET", warranty_until=today + DAY)
    make_contract(hidden, starts_on=today, ends_on=today)
    body = (
        login(desk).get(reverse("contracts:coverage_check"), {"serial": "SECRET"}).content.decode()
    )
    assert "Unknown serial number" in body
    assert "Covered" not in body
    body = (
        login(desk)
        .get(reverse("contracts:coverage_check"), {"company": hidden.pk})
        .content.decode()
    )
    assert "Covered" not in body
    reader = login(user_with_role("read_only"))
    assert reader.get(reverse("contracts:coverage_check"), {"serial": "SECRET"}).status_code == 403


def test_case_panel_and_client_card_panel(head_client, acme, today, head):
    unit = make_asset(acme, "CP-1", warranty_until=today + DAY)
    contract = make_contract(acme, starts_on=today, ends_on=today, assets=(unit,))
    case = Case.objects.create(
        subject="Noise", company=acme, serial_number="CP-1", asset=unit, contract=contract
    )
    body = head_client.get(reverse("contracts:case_coverage", args=[case.pk])).content.decode()
    assert f"Covered by contract {contract.number}" in body
    assert contract.get_absolute_url() in body
    card = head_client.get(reverse("contracts:company_panel", args=[acme.pk])).content.decode()
    assert contract.number in card
    assert "CP-1" in card
    field = user_with_role("field_engineer")
    assert login(field).get(reverse("contracts:case_coverage", args=[case.pk])).status_code == 404


def test_unit_list_and_client_panel_query_counts_do_not_grow(head_client, head, acme, today):
    make_contract(acme, starts_on=today, ends_on=today, entitlements={"visits": 2})
    for index in range(2):
        make_asset(acme, f"Q-{index}")
    units_url = reverse("contracts:asset_list")
    panel_url = reverse("contracts:company_panel", args=[acme.pk])
    head_client.get(units_url)
    with assert_num_queries(6):
        head_client.get(units_url)
    with assert_num_queries(8):
        head_client.get(panel_url)
    for index in range(2, 6):
        make_asset(acme, f"Q-{index}")
        make_contract(acme, starts_on=today, ends_on=today, entitlements={"hours": 1})
    with assert_num_queries(6):
        page = head_client.get(units_url)
    with assert_num_queries(8):
        panel = head_client.get(panel_url)
    assert len(page.context["rows"]) == 6
    assert len(panel.context["contracts"]) == 5


def test_take_back_a_use_from_the_contract_page(head_client, head, acme, today):
    from accord.contracts import services

    contract = make_contract(acme, starts_on=today, ends_on=today, entitlements={"visits": 2})
    used = services.record_consumption(
        actor=head, contract=contract, unit="visits", quantity=1, occurred_on=today
    )
    url = reverse("contracts:consumption_remove", args=[contract.pk, used.pk])
    agent = login(user_with_role("service_agent"))
    assert agent.post(url).status_code == 403
    assert Consumption.objects.count() == 1
    assert head_client.post(url).status_code == 302
    assert Consumption.objects.count() == 0
