"""Opening a case through the case service: the contract found from the serial number
gives the case its unit, client and contract, counts it, and its service level applies."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from accord.contracts.models import Consumption
from accord.contracts.tests.factories import make_asset, make_contract, make_product
from accord.core.testing import user_with_role
from accord.parties.tests.factories import make_company
from accord.service.services import open_case

pytestmark = pytest.mark.django_db


def test_open_case_by_serial_number_comes_under_the_contract():
    from accord.sla.models import SlaPolicy

    today = timezone.localdate()
    head = user_with_role("service_manager")
    agent = user_with_role("service_agent")
    acme = make_company(owner=head, name="Acme")
    pump = make_product("Pump")
    unit = make_asset(acme, "PMP-42", pump, warranty_until=today - datetime.timedelta(days=1))
    policy = SlaPolicy.objects.filter(is_active=True).order_by("-id").first()
    assert policy is not None  # seeded with the SLA app
    contract = make_contract(
        acme,
        starts_on=today,
        ends_on=today,
        assets=(unit,),
        entitlements={"cases": 10},
        sla_policy=policy,
    )
    case = open_case(actor=agent, subject="Pump stopped", serial_number="pmp-42 ")
    case.refresh_from_db()
    assert (case.asset, case.company, case.product, case.contract) == (unit, acme, pump, contract)
    assert Consumption.objects.filter(case=case, entitlement__unit="cases").count() == 1
    assert case.sla_policy == policy


def test_a_merged_duplicate_gives_its_case_back():
    from accord.service.services import merge_cases

    today = timezone.localdate()
    head = user_with_role("service_manager")
    acme = make_company(owner=head, name="Acme")
    contract = make_contract(acme, starts_on=today, ends_on=today, entitlements={"cases": 10})
    primary = open_case(actor=head, subject="No heating", company=acme)
    duplicate = open_case(actor=head, subject="No heating (again)", company=acme)
    assert Consumption.objects.filter(entitlement__contract=contract).count() == 2
    merge_cases(actor=head, primary=primary, duplicates=[duplicate])
    assert list(Consumption.objects.values_list("case_id", flat=True)) == [primary.pk]
