"""Calendars, policies and cases for the SLA tests. Cases are made with the ORM and their
clocks started by :mod:`accord.sla.clocks` directly, so these tests don't depend on how the
cases part opens them (a test of the signal wiring covers that hand-off)."""

from __future__ import annotations

import datetime
from typing import Any
from zoneinfo import ZoneInfo

from accord.core.models import Team, User
from accord.core.testing import UserFactory
from accord.service.models import Case, Queue
from accord.sla.models import SlaPolicy, SlaTarget, WorkCalendar, WorkingHours

MSK = ZoneInfo("Europe/Moscow")
_counter = {"n": 0}


def msk(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=MSK)


def make_calendar(*, tz: str = "Europe/Moscow", lunch: bool = False, **fields: Any) -> WorkCalendar:
    _counter["n"] += 1
    calendar = WorkCalendar.objects.create(
        name=fields.pop("name", f"Calendar {_counter['n']}"), time_zone=tz, **fields
    )
    day = [(9, 13), (14, 18)] if lunch else [(9, 18)]
    WorkingHours.objects.bulk_create(
        WorkingHours(
            calendar=calendar, weekday=weekday, start=datetime.time(s), end=datetime.time(e)
        )
        for weekday in range(5)
        for s, e in day
    )
    return calendar


def make_policy(
    *,
    calendar: WorkCalendar | None = None,
    targets: dict[str, tuple[int, int]] | None = None,
    **fields: Any,
) -> SlaPolicy:
    _counter["n"] += 1
    fields.setdefault("name", f"Policy {_counter['n']}")
    fields.setdefault("position", _counter["n"])
    policy = SlaPolicy.objects.create(calendar=calendar or make_calendar(), **fields)
    for priority, (first, resolution) in (targets or {"normal": (60, 480)}).items():
        SlaTarget.objects.create(
            policy=policy,
            priority=priority,
            first_response_minutes=first,
            resolution_minutes=resolution,
        )
    return policy


def only_policy(policy: SlaPolicy) -> SlaPolicy:
    """Make ``policy`` the only active one (the migration seeds a default policy)."""
    SlaPolicy.objects.exclude(pk=policy.pk).update(is_active=False)
    return policy


def make_queue(*, supervisor: User | None = None) -> Queue:
    _counter["n"] += 1
    team, _created = Team.objects.get_or_create(name=f"SLA team {_counter['n']}")
    return Queue.objects.create(name=f"Queue {_counter['n']}", team=team, supervisor=supervisor)


def make_case(*, created_at: datetime.datetime, start: bool = True, **fields: Any) -> Case:
    from accord.sla.clocks import start_clocks

    _counter["n"] += 1
    fields.setdefault("subject", f"Boiler fault {_counter['n']}")
    case = Case.objects.create(created_at=created_at, updated_at=created_at, **fields)
    if start:
        start_clocks(case=case, actor=None)
    return case


def agent(**kwargs: Any) -> User:
    return UserFactory(roles="service_agent", **kwargs)


def make_client(*, owner: User, tier_code: str | None = None) -> Any:
    """A company (through the parties service) with a service tier set afterwards: the
    company service does not take the tier yet."""
    from accord.core.models import PicklistOption
    from accord.parties.models import Company
    from accord.parties.tests.factories import make_company

    company = make_company(owner=owner)
    if tier_code:
        tier = PicklistOption.objects.get(picklist="client_tier", code=tier_code)
        Company.objects.filter(pk=company.pk).update(service_tier=tier)
        company.refresh_from_db()
    return company
