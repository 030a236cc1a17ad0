"""SLA clocks on cases: policy choice, due times, pause, stop, reopen, first reply, recompute."""

from __future__ import annotations

import datetime

import pytest

from accord.core.models import PicklistOption
from accord.service.models import Case, CaseEvent, CaseMessage
from accord.sla import clocks
from accord.sla.models import SlaClock
from accord.sla.tests.factories import (
    agent,
    make_calendar,
    make_case,
    make_client,
    make_policy,
    msk,
    only_policy,
)

pytestmark = pytest.mark.django_db

MONDAY_10 = msk(2026, 12, 7, 10, 0)


def tier(code: str) -> PicklistOption:
    return PicklistOption.objects.get(picklist="client_tier", code=code)


def test_opening_sets_due_times_in_working_hours() -> None:
    policy = only_policy(make_policy(targets={"normal": (60, 480), "urgent": (30, 240)}))
    case = make_case(created_at=msk(2026, 12, 4, 17, 30))  # Friday
    case.refresh_from_db()
    assert case.sla_policy == policy
    assert case.first_response_due_at == msk(2026, 12, 7, 9, 30)
    assert case.resolution_due_at == msk(2026, 12, 7, 16, 30)
    clock = SlaClock.objects.get(case=case)
    assert clock.first_response_warn_at == msk(2026, 12, 7, 9, 18)  # 80 % of 60 min
    assert clock.next_check_at == msk(2026, 12, 7, 9, 18)


def test_priority_without_target_has_no_due_times() -> None:
    only_policy(make_policy(targets={"urgent": (30, 240)}))
    case = make_case(created_at=MONDAY_10, priority="low")
    case.refresh_from_db()
    assert case.first_response_due_at is None
    assert case.resolution_due_at is None
    assert SlaClock.objects.get(case=case).next_check_at is None


def test_no_active_policy_leaves_the_case_without_clock() -> None:
    policy = only_policy(make_policy())
    policy.is_active = False
    policy.save()
    case = make_case(created_at=MONDAY_10)
    case.refresh_from_db()
    assert case.sla_policy is None
    assert case.resolution_due_at is None


def test_policy_of_the_client_tier_wins_over_the_general_one() -> None:
    general = only_policy(make_policy(position=0))
    key = make_policy(position=5, tier=tier("key"), targets={"normal": (15, 120)})
    owner = agent()
    key_client = make_client(owner=owner, tier_code="key")
    standard_client = make_client(owner=owner, tier_code="standard")
    assert make_case(created_at=MONDAY_10, company=key_client).sla_policy == key
    assert make_case(created_at=MONDAY_10, company=standard_client).sla_policy == general
    assert make_case(created_at=MONDAY_10).sla_policy == general


def test_inactive_tier_policy_is_skipped_and_order_decides() -> None:
    general = only_policy(make_policy(position=0))
    make_policy(position=1, tier=tier("key"), is_active=False)
    second = make_policy(position=3, tier=tier("key"))
    make_policy(position=4, tier=tier("key"))
    client = make_client(owner=agent(), tier_code="key")
    assert make_case(created_at=MONDAY_10, company=client).sla_policy == second
    assert general.is_active


def test_contract_policy_wins_over_tier() -> None:
    from accord.contracts.models import ServiceContract

    only_policy(make_policy())
    contract_policy = make_policy(is_active=False, targets={"normal": (10, 100)})
    owner = agent()
    client = make_client(owner=owner, tier_code="key")
    make_policy(tier=tier("key"))
    contract = ServiceContract.objects.create(
        number="SC-1",
        name="Boilers",
        company=client,
        owner=owner,
        starts_on=datetime.date(2026, 1, 1),
        ends_on=datetime.date(2027, 1, 1),
        sla_policy=contract_policy,
    )
    case = make_case(created_at=MONDAY_10, company=client, contract=contract)
    assert case.sla_policy == contract_policy
    assert case.first_response_due_at == msk(2026, 12, 7, 10, 10)


def test_waiting_pauses_and_shifts_resolution_by_working_minutes() -> None:
    only_policy(make_policy(targets={"normal": (60, 480)}))
    case = make_case(created_at=MONDAY_10)
    assert case.resolution_due_at == msk(2026, 12, 7, 18, 0)
    clocks.status_changed(case=case, old="new", new="waiting", now=msk(2026, 12, 7, 12, 0))
    case.refresh_from_db()
    assert case.sla_paused_at == msk(2026, 12, 7, 12, 0)
    assert SlaClock.objects.get(case=case).next_check_at == msk(2026, 12, 7, 10, 48)
    # Paused from Monday 12:00 to Tuesday 11:00: 6 + 2 = 8 working hours.
    clocks.status_changed(case=case, old="waiting", new="in_progress", now=msk(2026, 12, 8, 11, 0))
    case.refresh_from_db()
    assert case.sla_paused_at is None
    assert case.resolution_due_at == msk(2026, 12, 8, 17, 0)
    clock = SlaClock.objects.get(case=case)
    assert clock.paused_minutes == 480
    assert clock.resolution_warn_at == msk(2026, 12, 8, 15, 24)


def test_resolved_late_is_a_missed_resolution() -> None:
    only_policy(make_policy(targets={"normal": (60, 480)}))
    case = make_case(created_at=MONDAY_10)
    Case.objects.filter(pk=case.pk).update(status="resolved", resolved_at=msk(2026, 12, 8, 9, 0))
    case.refresh_from_db()
    clocks.status_changed(case=case, old="in_progress", new="resolved")
    case.refresh_from_db()
    assert case.resolution_breached is True
    assert list(CaseEvent.objects.filter(case=case).values_list("kind", "to_value")) == [
        ("sla_breach", "resolution")
    ]
    assert SlaClock.objects.get(case=case).next_check_at is None


def test_resolved_in_time_meets_the_target() -> None:
    only_policy(make_policy(targets={"normal": (60, 480)}))
    case = make_case(created_at=MONDAY_10)
    Case.objects.filter(pk=case.pk).update(status="resolved", resolved_at=msk(2026, 12, 7, 17, 0))
    case.refresh_from_db()
    clocks.status_changed(case=case, old="in_progress", new="resolved")
    case.refresh_from_db()
    assert case.resolution_breached is False
    assert not CaseEvent.objects.filter(case=case).exists()


def test_reopening_counts_resolution_again_from_now() -> None:
    only_policy(make_policy(targets={"normal": (60, 480)}))
    case = make_case(created_at=MONDAY_10)
    Case.objects.filter(pk=case.pk).update(status="in_progress")
    case.refresh_from_db()
    clocks.status_changed(case=case, old="resolved", new="in_progress", now=msk(2026, 12, 9, 15, 0))
    case.refresh_from_db()
    assert case.resolution_due_at == msk(2026, 12, 10, 14, 0)
    clock = SlaClock.objects.get(case=case)
    assert clock.resolution_started_at == msk(2026, 12, 9, 15, 0)
    assert clock.next_check_at == msk(2026, 12, 7, 10, 48)  # first response still pending


def _reply(case: Case, at: datetime.datetime) -> CaseMessage:
    message = CaseMessage.objects.create(case=case, kind="reply", body_text="On it")
    CaseMessage.objects.filter(pk=message.pk).update(created_at=at)
    message.refresh_from_db()
    return message


def test_first_reply_in_time() -> None:
    only_policy(make_policy(targets={"normal": (60, 480)}))
    case = make_case(created_at=MONDAY_10)
    clocks.message_added(message=_reply(case, msk(2026, 12, 7, 10, 40)))
    case.refresh_from_db()
    assert case.first_responded_at == msk(2026, 12, 7, 10, 40)
    assert case.first_response_breached is False
    assert SlaClock.objects.get(case=case).next_check_at == msk(2026, 12, 7, 16, 24)


def test_late_first_reply_is_a_missed_first_response_and_later_replies_change_nothing() -> None:
    only_policy(make_policy(targets={"normal": (60, 480)}))
    case = make_case(created_at=MONDAY_10)
    clocks.message_added(message=_reply(case, msk(2026, 12, 7, 11, 30)))
    case.refresh_from_db()
    assert case.first_responded_at == msk(2026, 12, 7, 11, 30)
    assert case.first_response_breached is True
    clocks.message_added(message=_reply(case, msk(2026, 12, 7, 12, 30)))
    case.refresh_from_db()
    assert case.first_responded_at == msk(2026, 12, 7, 11, 30)
    assert CaseEvent.objects.filter(case=case, kind="sla_breach").count() == 1


def test_notes_and_inbound_messages_do_not_stop_the_clock() -> None:
    only_policy(make_policy())
    case = make_case(created_at=MONDAY_10)
    for kind in ("note", "inbound"):
        clocks.message_added(message=CaseMessage.objects.create(case=case, kind=kind))
    case.refresh_from_db()
    assert case.first_responded_at is None


def test_recompute_after_priority_change() -> None:
    only_policy(make_policy(targets={"normal": (60, 480), "urgent": (15, 120)}))
    case = make_case(created_at=MONDAY_10)
    Case.objects.filter(pk=case.pk).update(priority="urgent")
    case.refresh_from_db()
    clocks.recompute(case=case, actor=None)
    case.refresh_from_db()
    assert case.first_response_due_at == msk(2026, 12, 7, 10, 15)
    assert case.resolution_due_at == msk(2026, 12, 7, 12, 0)
    assert SlaClock.objects.get(case=case).first_response_warn_at == msk(2026, 12, 7, 10, 12)


def test_calendar_without_hours_leaves_no_due_times() -> None:
    calendar = make_calendar()
    calendar.hours.all().delete()
    only_policy(make_policy(calendar=calendar))
    case = make_case(created_at=MONDAY_10)
    case.refresh_from_db()
    assert case.first_response_due_at is None
    assert case.resolution_due_at is None


def test_receivers_are_connected_to_the_case_signals() -> None:
    from accord.service import signals

    only_policy(make_policy(targets={"normal": (60, 480)}))
    case = make_case(created_at=MONDAY_10, start=False)
    signals.case_opened.send(sender=Case, case=case, actor=None)
    case.refresh_from_db()
    assert case.first_response_due_at == msk(2026, 12, 7, 11, 0)
    Case.objects.filter(pk=case.pk).update(status="waiting")
    signals.case_status_changed.send(sender=Case, case=case, old="new", new="waiting", actor=None)
    case.refresh_from_db()
    assert case.sla_paused_at is not None
    signals.case_message_added.send(
        sender=CaseMessage, message=_reply(case, msk(2026, 12, 7, 10, 5)), actor=None
    )
    case.refresh_from_db()
    assert case.first_responded_at == msk(2026, 12, 7, 10, 5)


def test_closing_an_open_case_late_is_a_missed_resolution() -> None:
    only_policy(make_policy(targets={"normal": (60, 480)}))
    case = make_case(created_at=MONDAY_10)
    Case.objects.filter(pk=case.pk).update(
        status="closed", resolved_at=msk(2026, 12, 9, 9, 0), closed_at=msk(2026, 12, 9, 9, 0)
    )
    case.refresh_from_db()
    clocks.status_changed(case=case, old="waiting", new="closed", now=msk(2026, 12, 9, 9, 0))
    case.refresh_from_db()
    assert case.resolution_breached is True
    assert case.sla_paused_at is None
