"""The SLA clocks driven by the real case services: open, reply, wait, resolve, reopen."""

from __future__ import annotations

import pytest
from django.utils import timezone

from accord.core.testing import user_with_role
from accord.service import services as case_services
from accord.service.models import Case
from accord.sla.models import SlaClock
from accord.sla.tests.factories import make_policy, only_policy

pytestmark = pytest.mark.django_db


def test_case_lifecycle_runs_the_clocks() -> None:
    policy = only_policy(make_policy(targets={"normal": (60, 480)}))
    agent = user_with_role("service_manager")
    case = case_services.open_case(
        actor=agent, subject="Pump leaks", requester_email="client@example.com"
    )
    case.refresh_from_db()
    assert case.sla_policy == policy
    assert case.first_response_due_at is not None and case.resolution_due_at is not None
    assert SlaClock.objects.get(case=case).next_check_at is not None

    case = case_services.add_message(
        actor=agent, case=case, kind="note", body_text="Looking", send=False
    ).case
    case.refresh_from_db()
    assert case.first_responded_at is None

    case_services.add_message(
        actor=agent, case=case, kind="reply", body_text="We are on it", send=False
    )
    case.refresh_from_db()
    assert case.first_responded_at is not None
    assert case.first_response_breached is False
    case = Case.objects.get(pk=case.pk)

    due_before = case.resolution_due_at
    case = case_services.change_status(actor=agent, case=case, status="waiting")
    case.refresh_from_db()
    assert case.sla_paused_at is not None
    case = case_services.change_status(actor=agent, case=case, status="in_progress")
    case.refresh_from_db()
    assert case.sla_paused_at is None
    assert case.resolution_due_at is not None and due_before is not None
    assert case.resolution_due_at >= due_before

    case = case_services.change_status(
        actor=agent, case=case, status="resolved", reason="Seal replaced"
    )
    case.refresh_from_db()
    assert case.resolution_breached is False
    assert SlaClock.objects.get(case=case).next_check_at is None

    case = case_services.change_status(actor=agent, case=case, status="in_progress")
    case.refresh_from_db()
    clock = SlaClock.objects.get(case=case)
    assert clock.resolution_started_at is not None
    assert clock.resolution_started_at <= timezone.now()
    assert clock.next_check_at is not None


def test_priority_change_through_the_case_service_recomputes_the_due_times() -> None:
    only_policy(make_policy(targets={"normal": (240, 2400), "urgent": (15, 120)}))
    manager = user_with_role("service_manager")
    case = case_services.open_case(actor=manager, subject="Boiler", requester_email="a@b.example")
    case.refresh_from_db()
    normal_due = case.first_response_due_at
    case = case_services.update_case(
        actor=manager, case=case, version=case.version, priority="urgent"
    )
    case.refresh_from_db()
    assert case.first_response_due_at is not None and normal_due is not None
    assert case.first_response_due_at < normal_due
    clock = SlaClock.objects.get(case=case)
    assert clock.first_response_warn_at is not None
    assert clock.first_response_warn_at < case.first_response_due_at
