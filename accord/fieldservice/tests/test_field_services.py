"""Work order services: creation from a case, the status machine, timers, manual time,
costs in Decimal, contract consumption, materials, photos and who may do what."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from accord.catalog.models import Price, PriceList, Product
from accord.contracts.models import Consumption, ServiceContract
from accord.core.models import AuditEntry
from accord.core.testing import TeamFactory, user_with_role
from accord.fieldservice import selectors, services, services_onsite, services_time
from accord.fieldservice.models import (
    ChecklistItem,
    ChecklistTemplate,
    MaterialUse,
    TimeEntry,
    WorkOrder,
    WorkOrderPhoto,
)
from accord.fieldservice.tests.factories import make_case, make_contract, make_work_order
from accord.service.models import Case, Category

pytestmark = pytest.mark.django_db

H = datetime.timedelta(hours=1)


def _past(hours_ago: float) -> datetime.datetime:
    return timezone.now().replace(microsecond=0) - datetime.timedelta(hours=hours_ago)


def _png(size: tuple[int, int] = (8, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def manager():
    return user_with_role("service_manager")


@pytest.fixture
def engineer():
    return user_with_role("field_engineer")


# --- create --------------------------------------------------------------------------------


def test_create_from_case_takes_client_contract_and_category_checklist(manager, engineer):
    category = Category.objects.order_by("id").first()
    ChecklistTemplate.objects.create(
        name="Boiler", category=category, items="Check pressure\n\n  Clean burner  \n"
    )
    case = make_case(category=category)
    contract = make_contract(case=case)
    start = timezone.now().replace(microsecond=0) + H

    work_order = services.work_order_create(
        actor=manager, case=case, scheduled_start=start, lead_engineer=engineer
    )

    assert work_order.company_id == case.company_id
    assert work_order.contract_id == contract.pk
    assert work_order.scheduled_end == start + 2 * H
    assert work_order.owner_id == engineer.pk
    assert work_order.number == f"WO-{work_order.pk}"
    assert work_order.labour_rate == Decimal("3500")
    assert list(work_order.checklist_items.values_list("text", flat=True)) == [
        "Check pressure",
        "Clean burner",
    ]
    assert list(work_order.engineer_rows.values_list("user_id", "is_lead")) == [(engineer.pk, True)]
    entry = AuditEntry.objects.get(object_type="work_order", object_id=work_order.pk)
    assert entry.action == AuditEntry.Kind.CREATE
    assert entry.related_id == case.pk


def test_create_refuses_closed_case_and_bad_schedule(manager):
    case = make_case(status=Case.Status.CLOSED)
    with pytest.raises(ValidationError) as error:
        services.work_order_create(actor=manager, case=case)
    assert "case" in error.value.message_dict
    open_case = make_case()
    start = timezone.now()
    with pytest.raises(ValidationError) as error:
        services.work_order_create(
            actor=manager, case=open_case, scheduled_start=start, scheduled_end=start - H
        )
    assert error.value.message_dict == {"scheduled_end": ["The visit must end after it starts."]}
    assert WorkOrder.objects.count() == 0


def test_engineer_cannot_create_work_orders(engineer):
    case = make_case(owner=engineer)
    with pytest.raises(PermissionDenied):
        services.work_order_create(actor=engineer, case=case)
    assert WorkOrder.objects.count() == 0


# --- status machine and timers -------------------------------------------------------------


def test_illegal_status_move_is_refused_and_changes_nothing(engineer):
    work_order = make_work_order(lead=engineer)
    with pytest.raises(ValidationError) as error:
        services.work_order_set_status(actor=engineer, work_order=work_order, status="done")
    assert error.value.message_dict == {
        "status": ["A work order cannot go from “Scheduled” to “Done”."]
    }
    work_order.refresh_from_db()
    assert work_order.status == WorkOrder.Status.SCHEDULED
    assert work_order.version == 1
    assert TimeEntry.objects.count() == 0


def test_one_tap_flow_opens_and_closes_timers(engineer):
    work_order = make_work_order(lead=engineer)

    services.work_order_set_status(actor=engineer, work_order=work_order, status="travelling")
    travel = TimeEntry.objects.get()
    assert (travel.kind, travel.ended_at) == ("travel", None)

    services.work_order_set_status(actor=engineer, work_order=work_order, status="in_progress")
    travel.refresh_from_db()
    assert travel.ended_at is not None
    work = TimeEntry.objects.get(ended_at__isnull=True)
    assert work.kind == "work"

    done = services.work_order_set_status(actor=engineer, work_order=work_order, status="done")
    assert done.status == WorkOrder.Status.DONE
    assert done.finished_at is not None
    assert TimeEntry.objects.filter(ended_at__isnull=True).count() == 0
    with pytest.raises(ValidationError):
        services.work_order_set_status(actor=engineer, work_order=done, status="in_progress")


def test_timer_on_another_visit_must_be_stopped_first(engineer):
    first = make_work_order(lead=engineer)
    second = make_work_order(lead=engineer)
    services_time.time_start(actor=engineer, work_order=first, kind="work")
    with pytest.raises(ValidationError) as error:
        services_time.time_start(actor=engineer, work_order=second, kind="work")
    assert error.value.message_dict == {
        "kind": [f"Your timer on {first.number} is still running; stop it first."]
    }
    assert TimeEntry.objects.count() == 1
    entry = services_time.time_stop(actor=engineer, work_order=first)
    assert entry.ended_at is not None
    with pytest.raises(ValidationError):
        services_time.time_stop(actor=engineer, work_order=first)
    services_time.time_start(actor=engineer, work_order=second, kind="travel")
    assert TimeEntry.objects.get(ended_at__isnull=True).work_order_id == second.pk


# --- manual time ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start_ago", "end_ago", "field", "message"),
    [
        (2, 3, "ended_at", "The end must be after the start: time cannot be negative."),
        (2, 2, "ended_at", "The end must be after the start: time cannot be negative."),
        (30, 5, "ended_at", "A time entry cannot be longer than 24 hours."),
        (1, -2, "ended_at", "Time cannot be logged in the future."),
    ],
)
def test_manual_time_refuses_bad_ranges(engineer, start_ago, end_ago, field, message):
    work_order = make_work_order(lead=engineer)
    with pytest.raises(ValidationError) as error:
        services_time.time_add(
            actor=engineer,
            work_order=work_order,
            started_at=_past(start_ago),
            ended_at=_past(end_ago),
        )
    assert error.value.message_dict == {field: [message]}
    assert TimeEntry.objects.count() == 0


def test_manual_time_refuses_overlap_with_own_entries(engineer):
    first = make_work_order(lead=engineer)
    second = make_work_order(lead=engineer)
    services_time.time_add(actor=engineer, work_order=first, started_at=_past(5), ended_at=_past(3))
    with pytest.raises(ValidationError) as error:
        services_time.time_add(
            actor=engineer, work_order=second, started_at=_past(4), ended_at=_past(2)
        )
    assert list(error.value.message_dict) == ["started_at"]
    assert first.number in error.value.message_dict["started_at"][0]
    assert TimeEntry.objects.count() == 1
    # touching, not overlapping
    services_time.time_add(
        actor=engineer, work_order=second, started_at=_past(3), ended_at=_past(2)
    )
    assert TimeEntry.objects.count() == 2


def test_manual_time_needs_engineer_on_the_visit(manager, engineer):
    work_order = make_work_order(actor=manager)
    with pytest.raises(ValidationError) as error:
        services_time.time_add(
            actor=manager,
            work_order=work_order,
            engineer=engineer,
            started_at=_past(3),
            ended_at=_past(2),
        )
    assert error.value.message_dict == {"engineer": ["This engineer is not on the work order."]}


# --- costs ---------------------------------------------------------------------------------


def test_cost_arithmetic_is_exact(engineer, settings):
    settings.ACCORD_FIELD_LABOUR_RATE = "3333.33"
    work_order = make_work_order(lead=engineer)
    services_time.time_add(
        actor=engineer, work_order=work_order, started_at=_past(6), ended_at=_past(4.5)
    )  # 1.5 h work
    services_time.time_add(
        actor=engineer,
        work_order=work_order,
        kind="travel",
        started_at=_past(7),
        ended_at=_past(6) - datetime.timedelta(minutes=20),
    )  # 40 min travel
    services_onsite.material_add(
        actor=engineer,
        work_order=work_order,
        description="Gasket",
        quantity="2",
        unit_cost="125.50",
    )
    services_onsite.material_add(
        actor=engineer,
        work_order=work_order,
        description="Sealant",
        quantity="0,333",
        unit_cost="10",
    )
    work_order.refresh_from_db()
    assert work_order.work_seconds == 5400
    assert work_order.travel_seconds == 2400
    assert work_order.labour_cost == Decimal("5000.00")  # 1.5 × 3333.33 = 4999.995
    assert work_order.travel_cost == Decimal("2222.22")  # 2/3 × 3333.33
    assert work_order.materials_cost == Decimal("254.33")  # 251.00 + 3.33
    assert work_order.total_cost == Decimal("7476.55")


def test_material_defaults_to_catalogue_price_and_refuses_bad_numbers(engineer):
    work_order = make_work_order(lead=engineer)
    product = Product.objects.create(sku="FLT-1", name="Filter")
    price_list = PriceList.objects.filter(currency="RUB").first() or PriceList.objects.create(
        name="Base", currency="RUB", is_default=True
    )
    Price.objects.create(price_list=price_list, product=product, amount=Decimal("990.00"))
    material = services_onsite.material_add(
        actor=engineer, work_order=work_order, product=product, quantity="3"
    )
    assert (material.unit_cost, material.total, material.description) == (
        Decimal("990.00"),
        Decimal("2970.00"),
        "Filter",
    )
    for kwargs, field in [
        ({"quantity": "0", "unit_cost": "1"}, "quantity"),
        ({"quantity": "-1", "unit_cost": "1"}, "quantity"),
        ({"quantity": "abc", "unit_cost": "1"}, "quantity"),
        ({"quantity": "1", "unit_cost": "-0.01"}, "unit_cost"),
        ({"quantity": "1"}, "unit_cost"),
    ]:
        with pytest.raises(ValidationError) as error:
            services_onsite.material_add(
                actor=engineer, work_order=work_order, description="Bolt", **kwargs
            )
        assert list(error.value.message_dict) == [field]
    with pytest.raises(ValidationError) as error:
        services_onsite.material_add(
            actor=engineer, work_order=work_order, quantity="1", unit_cost="1"
        )
    assert list(error.value.message_dict) == ["product"]
    assert MaterialUse.objects.count() == 1
    work_order.refresh_from_db()
    assert work_order.materials_cost == Decimal("2970.00")


# --- consumption ---------------------------------------------------------------------------


def _finish(engineer, work_order):
    services_time.time_add(
        actor=engineer, work_order=work_order, started_at=_past(3), ended_at=_past(1.5)
    )
    services.work_order_set_status(actor=engineer, work_order=work_order, status="in_progress")
    services_time.time_stop(actor=engineer, work_order=work_order)
    return services.work_order_set_status(actor=engineer, work_order=work_order, status="done")


def test_finishing_records_visit_and_hours_against_the_contract(engineer):
    case = make_case()
    contract = make_contract(case=case)
    work_order = make_work_order(case=case, lead=engineer)
    done = _finish(engineer, work_order)
    rows = sorted(
        Consumption.objects.filter(entitlement__contract=contract).values_list(
            "entitlement__unit", "quantity", "source", "case_id"
        )
    )
    assert rows == [
        ("hours", Decimal("1.50"), done.number, case.pk),
        ("visits", Decimal("1.00"), done.number, case.pk),
    ]
    assert done.consumption_note == f"Recorded against contract {contract.number}: 1 visit, 1.50 h."


def test_finishing_with_a_contract_not_in_force_records_nothing(engineer):
    case = make_case()
    contract = make_contract(case=case, status=ServiceContract.Status.EXPIRED)
    work_order = make_work_order(case=case, lead=engineer)
    done = _finish(engineer, work_order)
    assert Consumption.objects.count() == 0
    assert done.consumption_note == (
        f"Contract {contract.number} is not in force on {timezone.localdate().isoformat()}: "
        "nothing recorded."
    )


# --- scope ---------------------------------------------------------------------------------


def test_engineer_sees_own_visits_and_the_ones_they_are_on(manager):
    team = TeamFactory()
    lead = user_with_role("field_engineer")
    helper = user_with_role("field_engineer")
    stranger = user_with_role("field_engineer", team=team)
    mine = make_work_order(actor=manager, lead=lead, engineers=(helper,))
    other = make_work_order(actor=manager, lead=stranger)

    assert set(selectors.work_orders_visible_to(lead)) == {mine}
    assert set(selectors.work_orders_visible_to(helper)) == {mine}
    assert set(selectors.work_orders_visible_to(helper, "change")) == {mine}
    assert set(selectors.work_orders_visible_to(stranger)) == {other}
    assert set(selectors.work_orders_visible_to(manager)) == {mine, other}
    with pytest.raises(PermissionDenied):
        services.work_order_set_status(actor=stranger, work_order=mine, status="travelling")
    with pytest.raises(PermissionDenied):
        services_onsite.note_add(actor=stranger, work_order=mine, text="hi")
    mine.refresh_from_db()
    assert mine.status == WorkOrder.Status.SCHEDULED
    assert not TimeEntry.objects.exists()


# --- dispatcher ----------------------------------------------------------------------------


def test_schedule_reports_overlapping_visits(manager, engineer):
    start = timezone.now().replace(microsecond=0) + 24 * H
    first = make_work_order(actor=manager, lead=engineer, start=start, hours=3)
    second = make_work_order(actor=manager)
    second, conflicts = services.work_order_schedule(
        actor=manager,
        work_order=second,
        version=second.version,
        scheduled_start=start + 2 * H,
        scheduled_end=start + 4 * H,
        lead_engineer=engineer,
    )
    assert conflicts == [(engineer, first)]
    assert second.owner_id == engineer.pk
    assert second.version == 2
    _moved, conflicts = services.work_order_schedule(
        actor=manager,
        work_order=second,
        version=second.version,
        scheduled_start=start + 3 * H,
        scheduled_end=start + 4 * H,
        lead_engineer=engineer,
    )
    assert conflicts == []


def test_schedule_refuses_stale_version(manager, engineer):
    from accord.core.errors import ConflictError

    work_order = make_work_order(actor=manager)
    with pytest.raises(ConflictError):
        services.work_order_schedule(
            actor=manager,
            work_order=work_order,
            version=work_order.version + 1,
            scheduled_start=None,
            scheduled_end=None,
            lead_engineer=engineer,
        )
    work_order.refresh_from_db()
    assert work_order.owner_id is None


# --- checklist, photos, notes ----------------------------------------------------------------


def test_checklist_tick_records_who_and_when(engineer):
    work_order = make_work_order(lead=engineer, checklist=["Check pressure"])
    item = ChecklistItem.objects.get()
    ticked = services_onsite.checklist_tick(actor=engineer, item=item, is_done=True)
    assert (ticked.is_done, ticked.done_by_id) == (True, engineer.pk)
    assert ticked.done_at is not None
    unticked = services_onsite.checklist_tick(actor=engineer, item=item, is_done=False)
    assert (unticked.is_done, unticked.done_by_id, unticked.done_at) == (False, None, None)
    assert work_order.checklist_items.count() == 1


def test_photo_must_be_a_real_image_within_the_limit(engineer, settings):
    work_order = make_work_order(lead=engineer)
    photo = services_onsite.photo_add(
        actor=engineer,
        work_order=work_order,
        upload=SimpleUploadedFile("plate.png", _png(), "image/png"),
        caption="Serial plate",
    )
    assert photo.content_type == "image/png"
    with pytest.raises(ValidationError) as error:
        services_onsite.photo_add(
            actor=engineer,
            work_order=work_order,
            upload=SimpleUploadedFile("x.jpg", b"<script>alert(1)</script>", "image/jpeg"),
        )
    assert error.value.message_dict == {"image": ["This file is not an image we can read."]}
    settings.ACCORD_FIELD_PHOTO_MAX_BYTES = 50
    with pytest.raises(ValidationError) as error:
        services_onsite.photo_add(
            actor=engineer,
            work_order=work_order,
            upload=SimpleUploadedFile("big.png", _png((64, 64)), "image/png"),
        )
    assert list(error.value.message_dict) == ["image"]
    assert WorkOrderPhoto.objects.count() == 1


def test_travel_distance_cannot_be_negative(engineer):
    work_order = make_work_order(lead=engineer)
    with pytest.raises(ValidationError) as error:
        services.work_order_update(
            actor=engineer, work_order=work_order, version=work_order.version, travel_km="-3"
        )
    assert error.value.message_dict == {"travel_km": ["The distance cannot be negative."]}
    updated = services.work_order_update(
        actor=engineer,
        work_order=work_order,
        version=work_order.version,
        travel_km="42.5",
        signed_by="I. Petrov",
    )
    assert (updated.travel_km, updated.signed_by, updated.version) == (
        Decimal("42.5"),
        "I. Petrov",
        2,
    )


def test_demo_seeds_visits_with_costs_and_a_double_booking():
    from accord.core.testing import UserFactory
    from accord.fieldservice.demo import seed_demo

    UserFactory(is_superuser=True, username="demo-root")
    for _ in range(15):
        make_case()
    assert seed_demo() == 15
    done = WorkOrder.objects.filter(status=WorkOrder.Status.DONE)
    assert done.count() == 7
    assert all(wo.total_cost > 0 and wo.work_seconds >= 3600 for wo in done)
    assert all(wo.finished_at < timezone.now() - datetime.timedelta(days=1) for wo in done)
    assert WorkOrder.objects.filter(scheduled_start__isnull=True).count() == 3
    open_visits = WorkOrder.objects.filter(status=WorkOrder.Status.SCHEDULED)
    assert sum(1 for wo in open_visits if services.conflicts_for(wo)) == 2
    assert seed_demo() == 0


def test_a_dispatcher_changing_the_status_starts_no_timer(manager, engineer):
    work_order = make_work_order(actor=manager, lead=engineer)
    services.work_order_set_status(actor=manager, work_order=work_order, status="travelling")
    assert not TimeEntry.objects.exists()
    assert list(work_order.engineer_rows.values_list("user_id", flat=True)) == [engineer.pk]


def test_a_timer_left_running_overnight_is_corrected_by_hand(engineer):
    work_order = make_work_order(lead=engineer)
    stale = TimeEntry.objects.create(
        work_order=work_order,
        engineer=engineer,
        kind="work",
        started_at=_past(30),
        rate=Decimal("3500"),
    )
    with pytest.raises(ValidationError) as error:
        services_time.time_stop(actor=engineer, work_order=work_order)
    assert list(error.value.message_dict) == ["ended_at"]
    stale.refresh_from_db()
    assert stale.ended_at is None
    corrected = services_time.time_entry_update(
        actor=engineer, entry=stale, started_at=_past(30), ended_at=_past(27)
    )
    assert corrected.duration_seconds == 3 * 3600
    work_order.refresh_from_db()
    assert work_order.work_seconds == 3 * 3600
    assert work_order.labour_cost == Decimal("10500.00")


def test_checklist_templates_are_kept_by_the_head_of_service(manager, engineer):
    with pytest.raises(PermissionDenied):
        services_onsite.checklist_template_save(actor=engineer, name="X", items="Step")
    with pytest.raises(ValidationError) as error:
        services_onsite.checklist_template_save(actor=manager, name="Boiler", items=" \n ")
    assert error.value.message_dict == {"items": ["Enter at least one step."]}
    assert not ChecklistTemplate.objects.exists()
    template = services_onsite.checklist_template_save(
        actor=manager, name="Boiler", items=" Check pressure \n\nClean burner"
    )
    assert template.steps() == ["Check pressure", "Clean burner"]


def test_an_agent_dispatches_a_teamless_case_in_their_own_team(engineer):
    team = TeamFactory()
    agent = user_with_role("service_agent", team=team)
    case = make_case()
    work_order = services.work_order_create(actor=agent, case=case, lead_engineer=engineer)
    assert work_order.team_id == team.pk
    assert set(selectors.work_orders_visible_to(agent, "change")) == {work_order}


def test_a_refusal_by_the_contract_does_not_block_finishing(engineer):
    other_client_case = make_case()
    case = make_case()
    contract = make_contract(case=other_client_case)
    case.contract = contract  # a contract of another client: the contracts service refuses
    case.save(update_fields=["contract"])
    work_order = make_work_order(case=case, lead=engineer)
    done = _finish(engineer, work_order)
    assert done.status == WorkOrder.Status.DONE
    assert Consumption.objects.count() == 0
    assert done.consumption_note.startswith("Not recorded: ")
    assert "another client" in done.consumption_note


def test_each_engineer_is_costed_at_their_own_rate(manager, engineer):
    trainee = user_with_role("field_engineer")
    with pytest.raises(PermissionDenied):
        services_onsite.engineer_rate_set(actor=engineer, engineer=engineer, hourly_rate="9000")
    with pytest.raises(ValidationError) as error:
        services_onsite.engineer_rate_set(actor=manager, engineer=engineer, hourly_rate="-1")
    assert error.value.message_dict == {"hourly_rate": ["The rate cannot be negative."]}
    services_onsite.engineer_rate_set(actor=manager, engineer=engineer, hourly_rate="5000")
    work_order = make_work_order(actor=manager, lead=engineer, engineers=(trainee,))
    services_time.time_add(
        actor=engineer, work_order=work_order, started_at=_past(3), ended_at=_past(2)
    )
    services_time.time_add(
        actor=trainee, work_order=work_order, started_at=_past(3), ended_at=_past(2)
    )
    work_order.refresh_from_db()
    assert work_order.labour_cost == Decimal("8500.00")  # 5000 + the default 3500
    services_onsite.engineer_rate_set(actor=manager, engineer=engineer, hourly_rate="")
    services_time.time_add(
        actor=engineer, work_order=work_order, started_at=_past(2), ended_at=_past(1.5)
    )
    work_order.refresh_from_db()
    assert work_order.labour_cost == Decimal("10250.00")  # past entries keep their rate
