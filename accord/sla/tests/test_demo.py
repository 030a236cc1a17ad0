"""The SLA demo data: loads once, through the services."""

from __future__ import annotations

import pytest

from accord.core.testing import user_with_role
from accord.sla import demo
from accord.sla.models import Holiday, SlaClock, SlaPolicy, WorkCalendar
from accord.sla.tests.factories import make_case

pytestmark = pytest.mark.django_db


def test_demo_loads_once_and_starts_missing_clocks() -> None:
    from django.utils import timezone

    user_with_role("service_manager")
    case = make_case(created_at=timezone.now(), start=False)
    counts = demo.seed_demo()
    assert counts["policies"] == 2
    assert counts["holidays"] > 20
    assert counts["clocks_started"] == 1
    assert SlaClock.objects.filter(case=case).exists()
    paris = WorkCalendar.objects.get(name=demo.PARIS)
    assert paris.hours.count() == 10
    assert Holiday.objects.filter(calendar=paris).exists()
    names = list(SlaPolicy.objects.order_by("position", "id").values_list("name", flat=True))
    assert names[-1] == "Standard service"
    again = demo.seed_demo()
    assert "policies" not in again
    assert again["clocks_started"] == 0
    assert SlaPolicy.objects.count() == 3
