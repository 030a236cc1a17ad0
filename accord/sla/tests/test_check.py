"""The periodic SLA check: warnings, breaches and escalation, each once, in bulk."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone, translation
from django.utils.translation import gettext

from accord.core.models import AuditEntry, Notification
from accord.core.testing import assert_num_queries
from accord.service.models import Case, CaseEvent
from accord.sla.clocks import check_sla
from accord.sla.models import SlaClock
from accord.sla.tests.factories import agent, make_case, make_policy, make_queue, msk, only_policy

pytestmark = pytest.mark.django_db

MONDAY_10 = msk(2026, 12, 7, 10, 0)
# normal: first response 60 min (warn 10:48, due 11:00); resolution 480 (warn 16:24, due 18:00)


@pytest.fixture
def policy() -> object:
    return only_policy(make_policy(targets={"normal": (60, 480)}))


def events(case: Case) -> list[tuple[str, str]]:
    return list(CaseEvent.objects.filter(case=case).order_by("id").values_list("kind", "to_value"))


def test_nothing_before_the_warning_threshold(policy: object) -> None:
    case = make_case(created_at=MONDAY_10, owner=agent())
    result = check_sla(msk(2026, 12, 7, 10, 47))
    assert (result.warnings, result.breaches, result.escalations) == (0, 0, 0)
    assert events(case) == []


def test_warning_goes_to_the_agent_once(policy: object) -> None:
    owner = agent()
    case = make_case(created_at=MONDAY_10, owner=owner)
    result = check_sla(msk(2026, 12, 7, 10, 50))
    assert (result.warnings, result.breaches) == (1, 0)
    case.refresh_from_db()
    assert case.sla_warned_at == msk(2026, 12, 7, 10, 50)
    assert events(case) == [("sla_warning", "first_response")]
    note = Notification.objects.get(user=owner)
    assert note.text == f"SLA warning on {case}: first response due 12/07/2026 11:00."
    assert SlaClock.objects.get(case=case).next_check_at == msk(2026, 12, 7, 11, 0)
    again = check_sla(msk(2026, 12, 7, 10, 55))
    assert (again.warnings, again.breaches) == (0, 0)
    assert Notification.objects.filter(user=owner).count() == 1
    assert len(events(case)) == 1


def test_warning_of_an_unassigned_case_goes_to_the_queue_supervisor(policy: object) -> None:
    supervisor = agent(language="ru")
    case = make_case(created_at=MONDAY_10, queue=make_queue(supervisor=supervisor))
    check_sla(msk(2026, 12, 7, 10, 50))
    note = Notification.objects.get(user=supervisor)
    with translation.override("ru"):  # the supervisor's language, the due time as Russians write it
        expected = gettext("SLA warning on %(case)s: %(target)s due %(due)s.") % {
            "case": case,
            "target": gettext("first response"),
            "due": "07.12.2026 11:00",
        }
    assert note.text == expected
    assert events(case) == [("sla_warning", "first_response")]


def test_breach_flags_escalates_and_notifies_once(policy: object) -> None:
    owner, supervisor, head = agent(), agent(), agent()
    policy.escalate_to = head  # type: ignore[attr-defined]
    policy.save()  # type: ignore[attr-defined]
    case = make_case(created_at=MONDAY_10, owner=owner, queue=make_queue(supervisor=supervisor))
    result = check_sla(msk(2026, 12, 7, 11, 5))
    assert (result.warnings, result.breaches, result.escalations) == (0, 1, 1)
    case.refresh_from_db()
    assert case.first_response_breached is True
    assert case.resolution_breached is False
    assert case.escalated_at == msk(2026, 12, 7, 11, 5)
    assert events(case) == [("sla_breach", "first_response"), ("escalated", "")]
    for user in (owner, supervisor, head):
        assert Notification.objects.filter(user=user).count() == 1
    audit_changes = list(
        AuditEntry.objects.filter(object_type="case", object_id=case.pk)
        .order_by("id")
        .values_list("changes", flat=True)
    )
    assert audit_changes[0] == {"first_response_breached": [False, True]}
    assert list(audit_changes[1]) == ["escalated_at"]
    # The second run changes nothing; the resolution warning comes later, then its breach
    # without a second escalation.
    again = check_sla(msk(2026, 12, 7, 11, 10))
    assert (again.warnings, again.breaches, again.escalations) == (0, 0, 0)
    check_sla(msk(2026, 12, 7, 16, 30))
    later = check_sla(msk(2026, 12, 7, 18, 1))
    assert (later.breaches, later.escalations) == (1, 0)
    assert events(case) == [
        ("sla_breach", "first_response"),
        ("escalated", ""),
        ("sla_warning", "resolution"),
        ("sla_breach", "resolution"),
    ]
    case.refresh_from_db()
    assert case.resolution_breached is True
    assert SlaClock.objects.get(case=case).next_check_at is None
    assert check_sla(msk(2026, 12, 9, 12, 0)).cases == set()


def test_answered_paused_and_resolved_cases_are_left_alone(policy: object) -> None:
    answered = make_case(created_at=MONDAY_10, owner=agent())
    Case.objects.filter(pk=answered.pk).update(first_responded_at=msk(2026, 12, 7, 10, 10))
    SlaClock.objects.filter(case=answered).update(next_check_at=msk(2026, 12, 7, 10, 48))
    paused = make_case(created_at=MONDAY_10, owner=agent())
    Case.objects.filter(pk=paused.pk).update(
        status="waiting",
        first_responded_at=msk(2026, 12, 7, 10, 10),
        sla_paused_at=msk(2026, 12, 7, 10, 20),
    )
    resolved = make_case(created_at=MONDAY_10, owner=agent())
    Case.objects.filter(pk=resolved.pk).update(status="resolved")
    assert check_sla(msk(2026, 12, 7, 12, 0)).cases == set()
    assert CaseEvent.objects.count() == 0
    # A day later only the answered case misses its resolution; the paused one waits.
    assert check_sla(msk(2026, 12, 8, 12, 0)).cases == {answered.pk}
    assert events(paused) == [] and events(resolved) == []
    assert SlaClock.objects.filter(next_check_at__isnull=False).count() == 0


def test_overdue_case_is_breached_without_a_warning_first(policy: object) -> None:
    owner = agent()
    case = make_case(created_at=MONDAY_10, owner=owner)
    result = check_sla(msk(2026, 12, 8, 12, 0))  # both targets passed while the job was down
    assert (result.warnings, result.breaches, result.escalations) == (0, 2, 1)
    assert events(case) == [
        ("sla_breach", "first_response"),
        ("sla_breach", "resolution"),
        ("escalated", ""),
    ]


def _make_due(count: int) -> None:
    owner = agent()
    queue = make_queue(supervisor=agent())
    for _ in range(count):
        make_case(created_at=MONDAY_10, owner=owner, queue=queue)


def test_the_check_runs_a_fixed_number_of_queries(policy: object) -> None:
    _make_due(3)
    # select clocks, 4 case updates... (warn only: 1 update), events, notifications, clocks
    with assert_num_queries(7) as first:
        assert check_sla(msk(2026, 12, 7, 10, 50)).warnings == 3
    _make_due(9)
    with assert_num_queries(len(first.captured_queries)):
        assert check_sla(msk(2026, 12, 7, 10, 50)).warnings == 9
    with assert_num_queries(9):  # breach: 2 updates, events, notifications, audit
        assert check_sla(msk(2026, 12, 7, 11, 1)).breaches == 12


def test_sla_check_command_and_task(policy: object) -> None:
    from accord.sla.tasks import check_service_levels

    make_case(created_at=timezone.now() - datetime.timedelta(days=30), owner=agent())
    out = io.StringIO()
    call_command("sla-check", stdout=out)
    assert out.getvalue().strip() == "0 warnings, 2 breaches, 1 escalations"
    assert AuditEntry.objects.filter(source="command", object_type="case").count() == 3
    assert check_service_levels.call_local() == 0
