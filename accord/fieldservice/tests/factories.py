"""Test data for field service: a case at a client, and work orders on it."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from accord.contracts.models import Entitlement, ServiceContract
from accord.core.models import Team, User
from accord.core.testing import user_with_role
from accord.fieldservice import services
from accord.fieldservice.models import WorkOrder
from accord.parties.tests.factories import make_company
from accord.service.models import Case

_counter = {"n": 0}


def make_case(*, owner: User | None = None, team: Team | None = None, **fields: Any) -> Case:
    _counter["n"] += 1
    company = fields.pop("company", None)
    if company is None:
        company = make_company(owner=owner or user_with_role("service_manager"))
    return Case.objects.create(
        subject=fields.pop("subject", f"Boiler {_counter['n']} does not start"),
        company=company,
        owner=owner,
        team=team,
        **fields,
    )


def make_contract(*, case: Case, visits: int | None = 5, hours: int | None = 20, **fields: Any):
    _counter["n"] += 1
    today = timezone.localdate()
    contract = ServiceContract.objects.create(
        number=f"SC-{_counter['n']}",
        name="Maintenance",
        company=case.company,
        owner=fields.pop("owner", None) or user_with_role("service_manager"),
        status=fields.pop("status", ServiceContract.Status.ACTIVE),
        starts_on=fields.pop("starts_on", today - datetime.timedelta(days=30)),
        ends_on=fields.pop("ends_on", today + datetime.timedelta(days=300)),
        **fields,
    )
    if visits is not None:
        Entitlement.objects.create(
            contract=contract, unit=Entitlement.Unit.VISITS, included=Decimal(visits)
        )
    if hours is not None:
        Entitlement.objects.create(
            contract=contract, unit=Entitlement.Unit.HOURS, included=Decimal(hours)
        )
    case.contract = contract
    case.save(update_fields=["contract"])
    return contract


def make_work_order(
    *,
    actor: User | None = None,
    case: Case | None = None,
    lead: User | None = None,
    engineers: tuple[User, ...] = (),
    start: datetime.datetime | None = None,
    hours: int = 2,
    **fields: Any,
) -> WorkOrder:
    actor = actor or User.objects.filter(is_superuser=True).first() or _root()
    case = case or make_case()
    return services.work_order_create(
        actor=actor,
        case=case,
        scheduled_start=start,
        scheduled_end=start + datetime.timedelta(hours=hours) if start else None,
        lead_engineer=lead,
        engineers=engineers,
        **fields,
    )


def _root() -> User:
    from accord.core.testing import UserFactory

    return UserFactory(is_superuser=True, username="field-root")
