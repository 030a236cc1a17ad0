"""The demo data of the service contracts: made through the services, once."""

from __future__ import annotations

import pytest
from django.utils import timezone

from accord.contracts.coverage import coverage_for
from accord.contracts.demo import seed_demo
from accord.contracts.models import Asset, ServiceContract
from accord.core.testing import user_with_role
from accord.parties.tests.factories import make_company

pytestmark = pytest.mark.django_db


def test_demo_seeds_units_and_contracts_once():
    head = user_with_role("service_manager")
    for index in range(6):
        make_company(owner=head, name=f"Client {index}")
    counts = seed_demo()
    assert counts == {"installed units": 20, "service contracts": 7}
    statuses = sorted(ServiceContract.objects.values_list("status", flat=True))
    assert statuses == ["active", "active", "active", "active", "draft", "draft", "expired"]
    today = timezone.localdate()
    assert coverage_for(None, "KNS-2401-0001", None, today).contract is not None
    assert coverage_for(None, "BLR-2203-0004", None, today).warranty == "out"
    assert seed_demo() == {}
    assert Asset.objects.count() == 20
