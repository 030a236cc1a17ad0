"""Reading SLA state: a case's clocks as the case page and the API show them."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accord.sla.business import WorkingTime, working_minutes_between
from accord.sla.models import SlaPolicy, SlaTarget, WorkCalendar

if TYPE_CHECKING:
    from accord.service.models import Case

# What a target's clock says.
RUNNING = "running"  # due in the future, not met yet
OVERDUE = "overdue"  # due passed, not met yet
PAUSED = "paused"  # waiting for the client (resolution only)
MET = "met"
MISSED = "missed"


@dataclass(frozen=True)
class TargetState:
    key: str  # "first_response" or "resolution"
    label: str
    due_at: datetime.datetime | None
    done_at: datetime.datetime | None
    state: str
    # Working minutes until due (positive) or past due (negative); None once met or missed.
    minutes_left: int | None


@dataclass(frozen=True)
class CaseSla:
    policy: SlaPolicy | None
    paused_since: datetime.datetime | None
    escalated_at: datetime.datetime | None
    targets: list[TargetState]


def _state(
    *,
    due: datetime.datetime | None,
    done: datetime.datetime | None,
    breached: bool,
    paused: bool,
    now: datetime.datetime,
) -> str:
    if done is not None:
        return MISSED if breached or (due is not None and done > due) else MET
    if paused:
        return PAUSED
    if due is None:
        return ""
    return OVERDUE if breached or due <= now else RUNNING


def case_sla(case: Case, now: datetime.datetime | None = None) -> CaseSla:
    """The SLA state of a case (the caller has checked the user may see the case)."""
    now = now or timezone.now()
    policy = case.sla_policy
    working: WorkingTime | None = None
    open_ = case.is_open
    targets = []
    for key, label, due, done, breached, paused in (
        (
            "first_response",
            _("First response"),
            case.first_response_due_at,
            case.first_responded_at,
            case.first_response_breached,
            False,
        ),
        (
            "resolution",
            _("Resolution"),
            case.resolution_due_at,
            case.resolved_at if not open_ else None,
            case.resolution_breached and not open_,
            case.sla_paused_at is not None,
        ),
    ):
        if key == "first_response" and done is None and not open_:
            state = MISSED if breached else ""
        else:
            state = _state(due=due, done=done, breached=breached, paused=paused, now=now)
        left = None
        if state in (RUNNING, OVERDUE, PAUSED) and due is not None and policy is not None:
            if working is None:
                working = WorkingTime.of(policy.calendar)
            reference = case.sla_paused_at if paused and case.sla_paused_at else now
            left = working_minutes_between(working, reference, due)
        targets.append(TargetState(key, label, due, done, state, left))
    return CaseSla(policy, case.sla_paused_at, case.escalated_at, targets)


def duration_text(minutes: int | None) -> str:
    """``125`` → "2 h 05 min" (working time)."""
    if minutes is None:
        return ""
    minutes = abs(minutes)
    hours, rest = divmod(minutes, 60)
    if hours:
        return _("%(hours)d h %(minutes)02d min") % {"hours": hours, "minutes": rest}
    return _("%(minutes)d min") % {"minutes": rest}


def calendars() -> QuerySet[WorkCalendar]:
    return WorkCalendar.objects.order_by("name")


def policies() -> QuerySet[SlaPolicy]:
    return (
        SlaPolicy.objects.select_related("calendar", "tier", "escalate_to")
        .prefetch_related(Prefetch("targets", queryset=SlaTarget.objects.order_by("priority")))
        .order_by("position", "id")
    )


def targets_by_priority(policy: SlaPolicy) -> dict[str, Any]:
    return {t.priority: t for t in policy.targets.all()}
