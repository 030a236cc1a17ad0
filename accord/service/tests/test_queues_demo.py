"""The queues demo loads once, through the services, and its cases are routed."""

from __future__ import annotations

import pytest

from accord.core.testing import user_with_role
from accord.parties.tests.factories import make_company
from accord.service import demo_queues
from accord.service.models import Case, Queue, RoutingRule

pytestmark = pytest.mark.django_db


def test_demo_creates_queues_rules_and_routed_cases_once():
    admin = user_with_role("administrator")
    for n in range(3):
        make_company(owner=admin, name=f"Client {n}")
    counts = demo_queues.seed_demo()
    assert counts == {"queues": 3, "routing_rules": 4, "routed_cases": 10}
    assert Queue.objects.count() == 4
    assert RoutingRule.objects.count() == 4
    engineers = Queue.objects.get(name=demo_queues.MARKER_QUEUE)
    faults = Case.objects.filter(category__code="fault").exclude(company__service_tier__code="key")
    assert faults.exists()
    assert set(faults.values_list("queue_id", flat=True)) == {engineers.pk}
    assert not Case.objects.filter(owner__isnull=True, queue=engineers).exists()
    assert not Case.objects.filter(queue__isnull=True).exists()
    assert demo_queues.seed_demo() == {}
    assert Case.objects.count() == 10
