"""Service levels over the REST API: a case's SLA state, the compliance report, and (for
administrators and the head of service) policies, calendars and public-holiday loading.
Bad input comes back as 422 naming the field; a stale ``version`` as 409."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from accord.core.api import authed_user
from accord.core.permissions import Action, Scope, user_scope
from accord.service.selectors import cases_visible_to, get_case_for
from accord.sla import report, selectors, services
from accord.sla.models import SlaPolicy, WorkCalendar

router = Router(tags=["sla"])


# --- a case's SLA ----------------------------------------------------------------------------


class TargetOut(Schema):
    target: str
    due_at: datetime.datetime | None
    done_at: datetime.datetime | None
    state: str  # running, overdue, paused, met, missed, or "" (no target)
    working_minutes_left: int | None  # negative: overdue by


class CaseSlaOut(Schema):
    case: int
    policy: int | None
    policy_name: str
    paused_since: datetime.datetime | None
    escalated_at: datetime.datetime | None
    targets: list[TargetOut]


@router.get("/cases/{int:case_id}/sla", response=CaseSlaOut, summary="A case's SLA state")
def case_sla(request: HttpRequest, case_id: int) -> dict[str, Any]:
    case = get_case_for(authed_user(request), case_id)
    state = selectors.case_sla(case)
    return {
        "case": case.pk,
        "policy": state.policy.pk if state.policy else None,
        "policy_name": state.policy.localized_name() if state.policy else "",
        "paused_since": state.paused_since,
        "escalated_at": state.escalated_at,
        "targets": [
            {
                "target": t.key,
                "due_at": t.due_at,
                "done_at": t.done_at,
                "state": t.state,
                "working_minutes_left": t.minutes_left,
            }
            for t in state.targets
        ],
    }


# --- compliance ------------------------------------------------------------------------------


class ComplianceParams(Schema):
    group: str = "month"
    start: datetime.date | None = None
    end: datetime.date | None = None


class ComplianceRowOut(Schema):
    key: str | None
    label: str
    cases: int
    first_response_met: int
    first_response_decided: int
    first_response_percent: Decimal | None
    resolution_met: int
    resolution_decided: int
    resolution_percent: Decimal | None


def _row(row: report.ComplianceRow) -> dict[str, Any]:
    return {
        "key": None if row.key is None else str(row.key),
        "label": row.label,
        "cases": row.cases,
        "first_response_met": row.first_met,
        "first_response_decided": row.first_total,
        "first_response_percent": row.first_percent,
        "resolution_met": row.resolution_met,
        "resolution_decided": row.resolution_total,
        "resolution_percent": row.resolution_percent,
    }


@router.get("/sla/compliance", response=list[ComplianceRowOut], summary="SLA compliance")
def compliance(request: HttpRequest, params: Query[ComplianceParams]) -> list[dict[str, Any]]:
    """Per group (month, week, queue, priority, agent, policy): cases opened in the period
    and how many of their decided targets were met. Only cases the caller may see count."""
    user = authed_user(request)
    if user_scope(user, "case", Action.VIEW) == Scope.NONE:
        raise Http404
    from django.core.exceptions import ValidationError

    if params.group not in report.GROUPS:
        raise ValidationError(
            {"group": [_("One of: %(choices)s.") % {"choices": ", ".join(report.GROUPS)}]}
        )
    today = timezone.localdate()
    start = params.start or (today - datetime.timedelta(days=180))
    end = params.end or today
    if end < start:
        raise ValidationError({"end": [_("The end of the period is before its start.")]})
    rows = report.compliance(
        cases_visible_to(user), group=params.group, start=start, end=end, time_zone=user.time_zone
    )
    return [_row(row) for row in [*rows, report.totals(rows)]]


# --- policies --------------------------------------------------------------------------------


class TargetIO(Schema):
    priority: str
    first_response_minutes: int
    resolution_minutes: int


class PolicyOut(Schema):
    id: int
    name: str
    name_ru: str
    name_fr: str
    name_de: str
    position: int
    is_active: bool
    calendar: int
    tier: int | None
    warn_at_percent: int
    escalate_to: int | None
    version: int
    targets: list[TargetIO]


class PolicyIn(Schema):
    name: str
    name_ru: str = ""
    name_fr: str = ""
    name_de: str = ""
    is_active: bool = True
    calendar: int
    tier: int | None = None
    warn_at_percent: int = 80
    escalate_to: int | None = None
    targets: list[TargetIO] = []


class PolicyPatch(Schema):
    version: int
    name: str | None = None
    name_ru: str | None = None
    name_fr: str | None = None
    name_de: str | None = None
    is_active: bool | None = None
    calendar: int | None = None
    tier: int | None = None
    warn_at_percent: int | None = None
    escalate_to: int | None = None
    targets: list[TargetIO] | None = None


def _policy_out(policy: SlaPolicy) -> dict[str, Any]:
    return {
        "id": policy.pk,
        "name": policy.name,
        "name_ru": policy.name_ru,
        "name_fr": policy.name_fr,
        "name_de": policy.name_de,
        "position": policy.position,
        "is_active": policy.is_active,
        "calendar": policy.calendar_id,
        "tier": policy.tier_id,
        "warn_at_percent": policy.warn_at_percent,
        "escalate_to": policy.escalate_to_id,
        "version": policy.version,
        "targets": [
            {
                "priority": t.priority,
                "first_response_minutes": t.first_response_minutes,
                "resolution_minutes": t.resolution_minutes,
            }
            for t in policy.targets.all()
        ],
    }


def _fields(data: dict[str, Any]) -> dict[str, Any]:
    """Ids in the payload → the records the service takes; an unknown id is a 422 on it."""
    from django.core.exceptions import ValidationError

    from accord.core.models import PicklistOption, User

    models = {"calendar": WorkCalendar, "tier": PicklistOption, "escalate_to": User}
    fields = dict(data)
    for name, model in models.items():
        if name in fields and fields[name] is not None:
            obj = model.objects.filter(pk=fields[name]).first()  # type: ignore[attr-defined]
            if obj is None:
                raise ValidationError({name: [_("No such record.")]})
            fields[name] = obj
    return fields


def _targets(items: list[TargetIO] | None) -> dict[str, tuple[int | None, int | None]]:
    return {t.priority: (t.first_response_minutes, t.resolution_minutes) for t in items or []}


@router.get("/sla/policies", response=list[PolicyOut], summary="SLA policies")
def policy_list(request: HttpRequest) -> list[dict[str, Any]]:
    services.require_manager(authed_user(request))
    return [_policy_out(p) for p in selectors.policies()]


@router.get("/sla/policies/{int:policy_id}", response=PolicyOut, summary="One SLA policy")
def policy_detail(request: HttpRequest, policy_id: int) -> dict[str, Any]:
    services.require_manager(authed_user(request))
    return _policy_out(get_object_or_404(selectors.policies(), pk=policy_id))


@router.post("/sla/policies", response={201: PolicyOut}, summary="Add an SLA policy")
def policy_create(request: HttpRequest, payload: PolicyIn) -> Status[dict[str, Any]]:
    user = authed_user(request)
    services.require_manager(user)
    data = payload.model_dump()
    targets = _targets(payload.targets)
    data.pop("targets")
    policy = services.policy_create(actor=user, fields=_fields(data), targets=targets)
    return Status(201, _policy_out(selectors.policies().get(pk=policy.pk)))


@router.patch("/sla/policies/{int:policy_id}", response=PolicyOut, summary="Change a policy")
def policy_update(request: HttpRequest, policy_id: int, payload: PolicyPatch) -> dict[str, Any]:
    """Targets given replace those of the priorities named; other priorities keep theirs."""
    user = authed_user(request)
    services.require_manager(user)
    policy = get_object_or_404(SlaPolicy, pk=policy_id)
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    data.pop("targets", None)
    services.policy_update(
        actor=user,
        policy=policy,
        fields=_fields(data),
        targets=_targets(payload.targets),
        version=version,
    )
    return _policy_out(selectors.policies().get(pk=policy.pk))


# --- calendars -------------------------------------------------------------------------------


class HoursOut(Schema):
    weekday: int
    start: datetime.time
    end: datetime.time


class HolidayOut(Schema):
    date: datetime.date
    name: str
    is_working_day: bool


class CalendarOut(Schema):
    id: int
    name: str
    time_zone: str
    country: str
    is_default: bool
    hours: list[HoursOut]


class LoadIn(Schema):
    year: int
    country: str = ""


@router.get("/sla/calendars", response=list[CalendarOut], summary="Working calendars")
def calendar_list(request: HttpRequest) -> list[dict[str, Any]]:
    services.require_manager(authed_user(request))
    return [
        {
            "id": c.pk,
            "name": c.name,
            "time_zone": c.time_zone,
            "country": c.country,
            "is_default": c.is_default,
            "hours": [
                {"weekday": h.weekday, "start": h.start, "end": h.end} for h in c.hours.all()
            ],
        }
        for c in selectors.calendars().prefetch_related("hours")
    ]


@router.get(
    "/sla/calendars/{int:calendar_id}/holidays",
    response=list[HolidayOut],
    summary="A calendar's holidays in a year",
)
def holiday_list(request: HttpRequest, calendar_id: int, year: int) -> list[dict[str, Any]]:
    services.require_manager(authed_user(request))
    calendar = get_object_or_404(WorkCalendar, pk=calendar_id)
    rows = calendar.holidays.filter(date__year=year).order_by("date")
    return [{"date": h.date, "name": h.name, "is_working_day": h.is_working_day} for h in rows]


@router.post(
    "/sla/calendars/{int:calendar_id}/holidays/load",
    response=list[HolidayOut],
    summary="Load a year's public holidays (RU, FR)",
)
def holidays_load(request: HttpRequest, calendar_id: int, payload: LoadIn) -> list[Any]:
    """Returns the days added; days already in the calendar are kept (idempotent)."""
    user = authed_user(request)
    calendar = get_object_or_404(WorkCalendar, pk=calendar_id)
    added = services.holidays_load(
        actor=user,
        calendar=calendar,
        year=payload.year,
        country=payload.country,
        language=user.language,
    )
    return [{"date": h.date, "name": h.name, "is_working_day": h.is_working_day} for h in added]
