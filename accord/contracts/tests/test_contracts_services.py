"""Contracts, units, coverage resolution and consumption through the services."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accord.contracts import services
from accord.contracts.coverage import coverage_for
from accord.contracts.models import Asset, Consumption, ServiceContract
from accord.contracts.tests.factories import make_asset, make_contract, make_product
from accord.core.errors import ConflictError
from accord.core.models import AuditEntry
from accord.core.testing import user_with_role
from accord.parties.selectors import companies_visible_to
from accord.parties.tests.factories import make_company
from accord.service.models import Case
from accord.service.signals import case_opening

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


@pytest.fixture
def today() -> datetime.date:
    return timezone.localdate()


@pytest.fixture
def head():
    return user_with_role("service_manager")


@pytest.fixture
def client_co(head):
    return make_company(owner=head, name="Alpha Plant")


@pytest.fixture
def other_co(head):
    return make_company(owner=head, name="Beta Works")


# --- numbering and contract life --------------------------------------------------------


def test_create_numbers_contracts_per_year_and_keeps_a_typed_number(head, client_co, today):
    first = services.contract_create(
        actor=head,
        company=client_co,
        fields={"name": "Gold", "starts_on": today, "ends_on": today + 364 * DAY},
        entitlements={"visits": "12", "hours": "", "cases": None},
    )
    second = services.contract_create(
        actor=head,
        company=client_co,
        fields={"name": "Silver", "starts_on": today, "ends_on": today},
    )
    typed = services.contract_create(
        actor=head,
        company=client_co,
        fields={"number": " MY-7 ", "name": "Typed", "starts_on": today, "ends_on": today},
    )
    assert first.number == f"SC-{today.year}-0001"
    assert second.number == f"SC-{today.year}-0002"
    assert typed.number == "MY-7"
    assert first.status == ServiceContract.Status.DRAFT
    assert first.owner == head
    assert list(first.entitlements.values_list("unit", "included")) == [("visits", Decimal("12"))]
    assert (
        AuditEntry.objects.filter(object_type="service_contract", object_id=first.pk).count() == 2
    )


def test_create_refuses_bad_input_and_saves_nothing(head, client_co, other_co, today):
    stranger_unit = make_asset(other_co, "X-1")
    cases = [
        ({"name": "A", "starts_on": today, "ends_on": today - DAY}, {}, "ends_on"),
        ({"name": "", "starts_on": today, "ends_on": today}, {}, "name"),
        (
            {"name": "A", "starts_on": today, "ends_on": today},
            {"entitlements": {"visits": "-1"}},
            "included_visits",
        ),
        (
            {"name": "A", "starts_on": today, "ends_on": today},
            {"entitlements": {"hours": "abc"}},
            "included_hours",
        ),
        (
            {"name": "A", "starts_on": today, "ends_on": today},
            {"covered_assets": [stranger_unit]},
            "covered_assets",
        ),
        (
            {"name": "A", "starts_on": today, "ends_on": today, "renewal_notice_days": 0},
            {},
            "renewal_notice_days",
        ),
        ({"name": "A", "starts_on": today, "ends_on": today, "bogus": 1}, {}, "bogus"),
    ]
    for fields, extra, field in cases:
        with pytest.raises(ValidationError) as error:
            services.contract_create(actor=head, company=client_co, fields=fields, **extra)
        assert field in error.value.message_dict, (field, error.value.message_dict)
    assert ServiceContract.objects.count() == 0


def test_duplicate_number_is_refused(head, client_co, today):
    services.contract_create(
        actor=head,
        company=client_co,
        fields={"number": "K-1", "name": "A", "starts_on": today, "ends_on": today},
    )
    with pytest.raises(ValidationError) as error:
        services.contract_create(
            actor=head,
            company=client_co,
            fields={"number": "K-1", "name": "B", "starts_on": today, "ends_on": today},
        )
    assert "number" in error.value.message_dict
    assert ServiceContract.objects.count() == 1


def test_agent_may_not_create_and_nothing_is_saved(client_co, today):
    agent = user_with_role("service_agent")
    with pytest.raises(PermissionDenied):
        services.contract_create(
            actor=agent,
            company=client_co,
            fields={"name": "A", "starts_on": today, "ends_on": today},
        )
    assert ServiceContract.objects.count() == 0


def test_activate_cancel_and_illegal_moves(head, client_co, today):
    contract = make_contract(
        client_co, starts_on=today, ends_on=today + 30 * DAY, active=False, owner=head
    )
    active = services.contract_activate(actor=head, contract=contract)
    assert active.status == ServiceContract.Status.ACTIVE
    assert active.version == 2
    with pytest.raises(ValidationError) as error:
        services.contract_activate(actor=head, contract=active)
    assert "status" in error.value.message_dict
    cancelled = services.contract_cancel(actor=head, contract=active, reason="Client closed")
    assert cancelled.status == ServiceContract.Status.CANCELLED
    with pytest.raises(ValidationError):
        services.contract_cancel(actor=head, contract=cancelled)
    entry = AuditEntry.objects.filter(object_type="service_contract", object_id=contract.pk).latest(
        "id"
    )
    assert entry.changes == {"status": ["active", "cancelled"]}
    assert entry.message == "Client closed"


def test_a_draft_whose_period_ended_cannot_be_activated(head, client_co, today):
    contract = make_contract(
        client_co, starts_on=today - 60 * DAY, ends_on=today - DAY, active=False
    )
    with pytest.raises(ValidationError) as error:
        services.contract_activate(actor=head, contract=contract)
    assert "ends_on" in error.value.message_dict
    contract.refresh_from_db()
    assert contract.status == ServiceContract.Status.DRAFT


def test_update_is_optimistically_locked_and_audited(head, client_co, today):
    contract = make_contract(
        client_co, starts_on=today, ends_on=today + 30 * DAY, entitlements={"visits": 4}
    )
    updated = services.contract_update(
        actor=head,
        contract=contract,
        version=1,
        fields={"name": "Platinum"},
        entitlements={"visits": 6, "hours": 10},
    )
    assert updated.name == "Platinum"
    assert updated.version == 2
    assert dict(updated.entitlements.values_list("unit", "included")) == {
        "hours": Decimal("10.00"),
        "visits": Decimal("6.00"),
    }
    entry = AuditEntry.objects.filter(object_type="service_contract", object_id=contract.pk).latest(
        "id"
    )
    assert entry.changes["name"] == ["Maintenance", "Platinum"]
    assert entry.changes["entitlements"] == [
        {"visits": "4.00"},
        {"hours": "10.00", "visits": "6.00"},
    ]
    with pytest.raises(ConflictError):
        services.contract_update(actor=head, contract=contract, version=1, fields={"name": "Stale"})
    assert ServiceContract.objects.get(pk=contract.pk).name == "Platinum"


def test_used_entitlement_cannot_be_removed(head, client_co, today):
    contract = make_contract(client_co, starts_on=today, ends_on=today, entitlements={"visits": 2})
    services.record_consumption(
        actor=head, contract=contract, unit="visits", quantity=1, occurred_on=today
    )
    with pytest.raises(ValidationError) as error:
        services.contract_update(
            actor=head, contract=contract, version=1, fields={}, entitlements={}
        )
    assert "included_visits" in error.value.message_dict
    assert contract.entitlements.count() == 1


def test_renew_makes_the_next_period_draft_once(head, client_co, today):
    product = make_product()
    unit = make_asset(client_co, "R-1", product)
    start = datetime.date(today.year, 1, 1)
    contract = make_contract(
        client_co,
        starts_on=start,
        ends_on=datetime.date(today.year, 12, 31),
        products=(product,),
        assets=(unit,),
        entitlements={"visits": 12},
        sla_policy=None,
        amount=Decimal("1200.00"),
        currency="EUR",
    )
    copy = services.contract_renew(actor=head, contract=contract)
    assert copy.status == ServiceContract.Status.DRAFT
    assert (copy.starts_on, copy.ends_on) == (
        datetime.date(today.year + 1, 1, 1),
        datetime.date(today.year + 1, 12, 31),
    )
    assert copy.renewed_from == contract
    assert list(copy.covered_products.all()) == [product]
    assert list(copy.covered_assets.all()) == [unit]
    assert list(copy.entitlements.values_list("unit", "included")) == [("visits", Decimal("12.00"))]
    assert copy.amount == Decimal("1200.00")
    with pytest.raises(ValidationError) as error:
        services.contract_renew(actor=head, contract=contract)
    assert error.value.message_dict["status"] == [f"Already renewed as {copy.number}."]


def test_next_period_keeps_whole_months_and_day_counts():
    assert services.next_period(datetime.date(2027, 3, 1), datetime.date(2028, 2, 29)) == (
        datetime.date(2028, 3, 1),
        datetime.date(2029, 2, 28),
    )
    assert services.next_period(datetime.date(2026, 1, 15), datetime.date(2026, 2, 14)) == (
        datetime.date(2026, 2, 15),
        datetime.date(2026, 3, 14),
    )
    assert services.next_period(datetime.date(2026, 1, 10), datetime.date(2026, 1, 19)) == (
        datetime.date(2026, 1, 20),
        datetime.date(2026, 1, 29),
    )


# --- units ------------------------------------------------------------------------------


def test_serial_is_unique_per_product_case_insensitively(head, client_co, other_co):
    boiler, pump = make_product("Boiler"), make_product("Pump")
    unit = services.asset_create(
        actor=head, company=client_co, fields={"serial_number": "  ab-100 ", "product": boiler}
    )
    assert (unit.serial_number, unit.serial_key) == ("ab-100", "AB-100")
    with pytest.raises(ValidationError) as error:
        services.asset_create(
            actor=head, company=other_co, fields={"serial_number": "AB-100", "product": boiler}
        )
    assert "serial_number" in error.value.message_dict
    services.asset_create(
        actor=head, company=other_co, fields={"serial_number": "AB-100", "product": pump}
    )
    with pytest.raises(ValidationError):
        services.asset_create(actor=head, company=client_co, fields={"serial_number": "   "})
    assert Asset.objects.count() == 2


def test_warranty_is_counted_from_installation(head, client_co):
    unit = services.asset_create(
        actor=head,
        company=client_co,
        fields={"serial_number": "W-1", "installed_on": datetime.date(2026, 1, 31)},
        warranty_months=24,
    )
    assert unit.warranty_until == datetime.date(2028, 1, 30)
    with pytest.raises(ValidationError) as error:
        services.asset_create(
            actor=head, company=client_co, fields={"serial_number": "W-2"}, warranty_months=12
        )
    assert "installed_on" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.asset_create(
            actor=head,
            company=client_co,
            fields={
                "serial_number": "W-3",
                "installed_on": datetime.date(2026, 5, 1),
                "warranty_until": datetime.date(2026, 4, 1),
            },
        )
    assert "warranty_until" in error.value.message_dict


def test_asset_update_checks_version_and_serial(head, client_co):
    boiler = make_product()
    first = make_asset(client_co, "S-1", boiler)
    second = make_asset(client_co, "S-2", boiler)
    with pytest.raises(ValidationError):
        services.asset_update(actor=head, asset=second, version=1, fields={"serial_number": "s-1"})
    updated = services.asset_update(
        actor=head, asset=second, version=1, fields={"serial_number": "S-3 "}
    )
    assert (updated.serial_number, updated.serial_key, updated.version) == ("S-3", "S-3", 2)
    with pytest.raises(ConflictError):
        services.asset_update(actor=head, asset=second, version=1, fields={"location": "Hall"})
    assert first.serial_key == "S-1"


def test_agent_may_not_register_units(client_co):
    agent = user_with_role("service_agent")
    with pytest.raises(PermissionDenied):
        services.asset_create(actor=agent, company=client_co, fields={"serial_number": "Z-1"})
    assert Asset.objects.count() == 0


def test_units_need_a_client_the_user_may_see(head):
    from accord.core.models import Role, RoleGrant
    from accord.core.permissions import Scope

    role = Role.objects.create(code="unit_keeper", name="Unit keeper")
    RoleGrant.objects.create(
        role=role, object_type="service_contract", action="add", scope=Scope.ALL
    )
    RoleGrant.objects.create(role=role, object_type="company", action="view", scope=Scope.OWN)
    keeper = user_with_role("unit_keeper")
    own = make_company(owner=keeper, name="Mine")
    hidden = make_company(owner=head, name="Hidden")
    with pytest.raises(ValidationError) as error:
        services.asset_create(actor=keeper, company=hidden, fields={"serial_number": "H-1"})
    assert "company" in error.value.message_dict
    services.asset_create(actor=keeper, company=own, fields={"serial_number": "H-1"})
    assert list(Asset.objects.values_list("company__name", flat=True)) == ["Mine"]


# --- coverage ---------------------------------------------------------------------------


def test_unit_under_warranty_without_contract(client_co, today):
    unit = make_asset(client_co, "WX-1", warranty_until=today + 10 * DAY)
    coverage = coverage_for(None, " wx-1 ", None, today)
    assert coverage.asset == unit
    assert (coverage.warranty, coverage.warranty_until) == ("in", today + 10 * DAY)
    assert coverage.contract is None
    assert coverage.is_covered


def test_unit_with_expired_warranty(client_co, today):
    make_asset(client_co, "WX-2", warranty_until=today - DAY)
    coverage = coverage_for(client_co, "WX-2", None, today)
    assert coverage.warranty == "out"
    assert not coverage.is_covered
    assert ("warn", "No contract in force") in coverage.lines()


def test_contract_by_unit_wins_over_product_and_whole_client(client_co, today):
    boiler = make_product()
    unit = make_asset(client_co, "C-1", boiler)
    make_contract(client_co, starts_on=today - DAY, ends_on=today + DAY, name="Whole client")
    make_contract(
        client_co, starts_on=today - DAY, ends_on=today + DAY, products=(boiler,), name="Boilers"
    )
    by_unit = make_contract(
        client_co, starts_on=today - DAY, ends_on=today + DAY, assets=(unit,), name="Unit"
    )
    assert coverage_for(None, "c-1", None, today).contract == by_unit


def test_contract_by_product_then_whole_client(client_co, today):
    boiler, pump = make_product(), make_product()
    make_asset(client_co, "P-1", boiler)
    make_asset(client_co, "P-2", pump)
    by_product = make_contract(client_co, starts_on=today, ends_on=today, products=(boiler,))
    assert coverage_for(None, "P-1", None, today).contract == by_product
    assert coverage_for(None, "P-2", None, today).contract is None
    whole = make_contract(client_co, starts_on=today, ends_on=today, entitlements={"visits": 12})
    coverage = coverage_for(None, "P-2", None, today)
    assert coverage.contract == whole
    assert [(b.unit, b.remaining) for b in coverage.entitlements] == [("visits", Decimal("12.00"))]
    assert coverage_for(client_co, "", None, today).contract == whole


def test_contracts_not_in_force_do_not_cover(client_co, today):
    unit = make_asset(client_co, "N-1")
    make_contract(client_co, starts_on=today + DAY, ends_on=today + 9 * DAY, assets=(unit,))
    make_contract(client_co, starts_on=today - 9 * DAY, ends_on=today - DAY, assets=(unit,))
    make_contract(client_co, starts_on=today, ends_on=today, assets=(unit,), active=False)
    coverage = coverage_for(None, "N-1", None, today)
    assert coverage.asset == unit
    assert coverage.contract is None


def test_unknown_serial_and_another_clients_serial_not_leaked(head, client_co, other_co, today):
    make_asset(other_co, "SECRET-1", warranty_until=today + DAY)
    make_contract(other_co, starts_on=today, ends_on=today)
    unknown = coverage_for(None, "NOPE", None, today)
    assert unknown.asset is None
    assert unknown.lines() == [("muted", "Unknown serial number")]
    foreign = coverage_for(client_co, "SECRET-1", None, today)
    assert foreign.asset is None
    assert foreign.contract is None
    seller = user_with_role("sales_manager")
    hidden = coverage_for(None, "SECRET-1", None, today, within=companies_visible_to(seller))
    assert hidden.asset is None
    assert hidden.contract is None


def test_same_serial_at_two_clients_is_not_guessed(client_co, other_co, today):
    boiler, pump = make_product(), make_product()
    make_asset(client_co, "DUP", boiler)
    theirs = make_asset(other_co, "DUP", pump)
    assert coverage_for(None, "DUP", None, today).asset is None
    assert coverage_for(None, "DUP", pump, today).asset == theirs
    assert coverage_for(other_co, "DUP", None, today).asset == theirs


def _open_case(**fields) -> Case:
    case = Case.objects.create(subject="Broken", **fields)
    case_opening.send(sender=Case, case=case, actor=None)
    case.refresh_from_db()
    return case


def test_case_opening_fills_unit_client_product_and_contract(client_co, today):
    boiler = make_product()
    unit = make_asset(client_co, "K-77", boiler, warranty_until=today + DAY)
    contract = make_contract(client_co, starts_on=today, ends_on=today, entitlements={"cases": 3})
    case = _open_case(serial_number=" k-77")
    assert (case.asset, case.company, case.product, case.contract) == (
        unit,
        client_co,
        boiler,
        contract,
    )
    used = Consumption.objects.get()
    assert (used.quantity, used.case, used.source, used.entitlement.unit) == (
        Decimal("1.00"),
        case,
        case.reference,
        "cases",
    )
    entry = AuditEntry.objects.filter(object_type="case", object_id=case.pk).latest("id")
    assert entry.changes["contract"] == [None, contract.pk]


def test_case_opening_without_serial_uses_the_whole_client_contract(client_co, today):
    contract = make_contract(client_co, starts_on=today, ends_on=today)
    case = _open_case(company=client_co)
    assert (case.asset, case.contract) == (None, contract)
    assert Consumption.objects.count() == 0


def test_case_opening_for_another_clients_serial_leaves_the_case_alone(client_co, other_co, today):
    make_asset(other_co, "THEIRS")
    make_contract(other_co, starts_on=today, ends_on=today)
    case = _open_case(company=client_co, serial_number="THEIRS")
    assert (case.asset, case.contract, case.company) == (None, None, client_co)
    assert not AuditEntry.objects.filter(object_type="case", object_id=case.pk).exists()


# --- consumption ------------------------------------------------------------------------


def test_consumption_refusals_leave_nothing(head, client_co, other_co, today):
    contract = make_contract(
        client_co, starts_on=today - DAY, ends_on=today + DAY, entitlements={"visits": 2}
    )
    draft = make_contract(
        client_co, starts_on=today, ends_on=today, entitlements={"visits": 2}, active=False
    )
    foreign_case = Case.objects.create(subject="x", company=other_co)
    refusals = [
        ({"contract": contract, "unit": "visits", "quantity": 0, "occurred_on": today}, "quantity"),
        (
            {"contract": contract, "unit": "visits", "quantity": "-1", "occurred_on": today},
            "quantity",
        ),
        (
            {"contract": contract, "unit": "visits", "quantity": "lots", "occurred_on": today},
            "quantity",
        ),
        ({"contract": contract, "unit": "hours", "quantity": 1, "occurred_on": today}, "unit"),
        (
            {"contract": contract, "unit": "visits", "quantity": 1, "occurred_on": today + 2 * DAY},
            "occurred_on",
        ),
        ({"contract": draft, "unit": "visits", "quantity": 1, "occurred_on": today}, "occurred_on"),
        (
            {
                "contract": contract,
                "unit": "visits",
                "quantity": 1,
                "occurred_on": today,
                "case": foreign_case,
            },
            "case",
        ),
    ]
    for kwargs, field in refusals:
        with pytest.raises(ValidationError) as error:
            services.record_consumption(actor=head, **kwargs)
        assert field in error.value.message_dict, (field, error.value.message_dict)
    assert Consumption.objects.count() == 0
    with pytest.raises(ValidationError) as error:
        services.record_consumption(
            actor=head, contract=contract, unit="hours", quantity=1, occurred_on=today
        )
    assert error.value.message_dict["unit"] == [
        f"Contract {contract.number} does not include hours."
    ]


def test_going_over_is_allowed_and_flagged(head, client_co, today):
    contract = make_contract(client_co, starts_on=today, ends_on=today, entitlements={"hours": 8})
    services.record_consumption(
        actor=head,
        contract=contract,
        unit="hours",
        quantity="6.5",
        occurred_on=today,
        source="WO-1",
    )
    services.record_consumption(
        actor=head, contract=contract, unit="hours", quantity="3.5", occurred_on=today
    )
    [balance] = services.balances_for(contract)
    assert (balance.consumed, balance.remaining, balance.over) == (
        Decimal("10.00"),
        Decimal("-2.00"),
        Decimal("2.00"),
    )
    assert balance.summary() == "over by 2 h"


def test_who_may_record_consumption(client_co, today):
    contract = make_contract(client_co, starts_on=today, ends_on=today, entitlements={"visits": 2})
    engineer = user_with_role("field_engineer")
    services.record_consumption(
        actor=engineer, contract=contract, unit="visits", quantity=1, occurred_on=today
    )
    reader = user_with_role("read_only")
    with pytest.raises(PermissionDenied):
        services.record_consumption(
            actor=reader, contract=contract, unit="visits", quantity=1, occurred_on=today
        )
    seller = user_with_role("sales_manager")
    with pytest.raises(PermissionDenied):
        services.record_consumption(
            actor=seller, contract=contract, unit="visits", quantity=1, occurred_on=today
        )
    assert Consumption.objects.count() == 1


def test_use_taken_back_by_who_may_change_the_contract(head, client_co, today):
    contract = make_contract(client_co, starts_on=today, ends_on=today, entitlements={"visits": 2})
    used = services.record_consumption(
        actor=head, contract=contract, unit="visits", quantity=1, occurred_on=today
    )
    engineer = user_with_role("field_engineer")
    with pytest.raises(PermissionDenied):
        services.consumption_delete(actor=engineer, consumption=used)
    assert Consumption.objects.count() == 1
    services.consumption_delete(actor=head, consumption=used)
    assert Consumption.objects.count() == 0
    entry = AuditEntry.objects.filter(object_type="service_contract", object_id=contract.pk).latest(
        "id"
    )
    assert entry.message == "Use taken back"
    assert entry.changes["consumption"][1] is None
    assert entry.changes["consumption"][0]["quantity"] == "1.00"
