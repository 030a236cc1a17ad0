"""SLA clocks on cases: the one write path for a case's SLA fields.

Started when a case opens, paused while it waits for the client, stopped when it is resolved,
restarted when it is reopened, recomputed when its priority changes; the periodic check
(:func:`check_sla`) turns passed thresholds into warnings, breaches and escalations, each once.

The due times live on the case (``first_response_due_at``, ``resolution_due_at``) so lists and
the board can sort and filter on them; the bookkeeping behind them (when each warning falls,
what was already announced, time paused) lives in :class:`~accord.sla.models.SlaClock`.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.urls import NoReverseMatch
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from accord.core import audit
from accord.core.models import AuditEntry, Notification
from accord.sla.business import NoWorkingTime, WorkingTime, add_working_minutes
from accord.sla.models import SlaClock, SlaPolicy, SlaTarget

if TYPE_CHECKING:
    from accord.core.models import User
    from accord.service.models import Case, CaseMessage

logger = logging.getLogger(__name__)

FIRST_RESPONSE = "first_response"
RESOLUTION = "resolution"
BATCH = 500


# --- choosing the policy and computing due times ---------------------------------------------


def policy_for(case: Case) -> SlaPolicy | None:
    """The policy that governs a case: its contract's, else the first active one for the
    client's tier, else the first active one without a tier."""
    contract = case.contract
    if contract is not None and contract.sla_policy_id is not None:
        return SlaPolicy.objects.select_related("calendar").get(pk=contract.sla_policy_id)
    policies = SlaPolicy.objects.filter(is_active=True).select_related("calendar")
    tier_id = case.company.service_tier_id if case.company is not None else None
    if tier_id is not None:
        policy = policies.filter(tier_id=tier_id).order_by("position", "id").first()
        if policy is not None:
            return policy
    return policies.filter(tier__isnull=True).order_by("position", "id").first()


def _target(policy: SlaPolicy, priority: str) -> SlaTarget | None:
    return SlaTarget.objects.filter(policy=policy, priority=priority).first()


def _fraction(minutes: int, percent: int) -> int:
    return max(1, minutes * percent // 100)


def _write(case: Case, **fields: Any) -> None:
    """Write SLA fields on the case row and the instance in hand, without touching ``version``:
    these are the system's fields, not an edit a person could conflict with."""
    from accord.service.models import Case

    for name, value in fields.items():
        setattr(case, name, value)
    Case.objects.filter(pk=case.pk).update(**fields)


def _clock(case: Case) -> SlaClock:
    clock, _created = SlaClock.objects.select_for_update().get_or_create(case_id=case.pk)
    return clock


def _next_check(clock: SlaClock, case: Case) -> datetime.datetime | None:
    """The next moment the periodic check has something to do for this case."""
    if not case.is_open:
        return None
    moments = []
    if case.first_responded_at is None and case.first_response_due_at is not None:
        if not clock.first_response_warned and clock.first_response_warn_at is not None:
            moments.append(clock.first_response_warn_at)
        elif not clock.first_response_breach_noted:
            moments.append(case.first_response_due_at)
    if case.sla_paused_at is None and case.resolution_due_at is not None:
        if not clock.resolution_warned and clock.resolution_warn_at is not None:
            moments.append(clock.resolution_warn_at)
        elif not clock.resolution_breach_noted:
            moments.append(case.resolution_due_at)
    return min(moments) if moments else None


def _set_due_times(
    case: Case, clock: SlaClock, *, now: datetime.datetime, reset_first_response: bool
) -> None:
    """Compute and store the case's due times from its policy and priority."""
    policy = policy_for(case)
    target = _target(policy, case.priority) if policy is not None else None
    fields: dict[str, Any] = {"sla_policy": policy}
    if policy is None or target is None:
        fields.update(first_response_due_at=None, resolution_due_at=None)
        clock.first_response_warn_at = clock.resolution_warn_at = None
    else:
        working = WorkingTime.of(policy.calendar)
        percent = policy.warn_at_percent
        opened = case.created_at
        try:
            if case.first_responded_at is None or reset_first_response:
                fields["first_response_due_at"] = add_working_minutes(
                    working, opened, target.first_response_minutes
                )
                clock.first_response_warn_at = add_working_minutes(
                    working, opened, _fraction(target.first_response_minutes, percent)
                )
            started = clock.resolution_started_at or opened
            paused = clock.paused_minutes
            fields["resolution_due_at"] = add_working_minutes(
                working, started, target.resolution_minutes + paused
            )
            clock.resolution_warn_at = add_working_minutes(
                working, started, _fraction(target.resolution_minutes, percent) + paused
            )
        except NoWorkingTime:
            logger.warning("SLA calendar %s has no working hours", policy.calendar_id)
            fields.update(first_response_due_at=None, resolution_due_at=None)
            clock.first_response_warn_at = clock.resolution_warn_at = None
    _write(case, **fields)
    # A later warning threshold (a lower priority) may warn again; breaches stay recorded.
    if clock.first_response_warn_at is None or clock.first_response_warn_at > now:
        clock.first_response_warned = False
    if clock.resolution_warn_at is None or clock.resolution_warn_at > now:
        clock.resolution_warned = False


def _save_clock(clock: SlaClock, case: Case) -> None:
    clock.next_check_at = _next_check(clock, case)
    clock.save()


@transaction.atomic
def start_clocks(*, case: Case, actor: User | None = None) -> Case:
    """Pick the case's policy and set its due times (a new case)."""
    clock = _clock(case)
    clock.resolution_started_at = case.created_at
    clock.paused_minutes = 0
    _set_due_times(case, clock, now=timezone.now(), reset_first_response=True)
    _save_clock(clock, case)
    return case


@transaction.atomic
def recompute(*, case: Case, actor: User | None = None) -> Case:
    """Recompute the due times after the case's priority, client or contract changed: the
    policy is chosen again and the targets counted from the opening (or last reopening),
    time waiting for the client excluded. Warnings whose new threshold is still ahead may be
    given again; breaches already recorded stay."""
    clock = _clock(case)
    if clock.resolution_started_at is None:
        clock.resolution_started_at = case.created_at
    _set_due_times(case, clock, now=timezone.now(), reset_first_response=False)
    _save_clock(clock, case)
    return case


# --- status moves and replies ----------------------------------------------------------------


def _event(case: Case, kind: str, *, target: str, reason: str, actor: Any = None) -> Any:
    from accord.service.models import CaseEvent

    return CaseEvent(case_id=case.pk, kind=kind, actor=actor, to_value=target, reason=reason[:2000])


def _when(moment: datetime.datetime | None, time_zone: str | None = None) -> str:
    if moment is None:
        return ""
    local = timezone.localtime(moment, ZoneInfo(time_zone or settings.TIME_ZONE))
    return f"{formats.date_format(local, 'SHORT_DATE_FORMAT')} {local:%H:%M}"


def _target_label(target: str) -> str:
    return _("first response") if target == FIRST_RESPONSE else _("resolution")


@transaction.atomic
def status_changed(
    *,
    case: Case,
    old: str,
    new: str,
    actor: User | None = None,
    now: datetime.datetime | None = None,
) -> Case:
    """Pause while waiting for the client, stop on resolution, restart on reopening."""
    from accord.service.models import Case, CaseEvent

    now = now or timezone.now()
    clock = _clock(case)
    status = Case.Status
    policy = case.sla_policy
    if old == status.WAITING and new != status.WAITING and case.sla_paused_at is not None:
        if policy is not None:
            from accord.sla.business import working_minutes_between

            paused = max(0, working_minutes_between(policy.calendar, case.sla_paused_at, now))
            clock.paused_minutes += paused
            _write(case, sla_paused_at=None)
            if case.resolution_due_at is not None and paused:
                try:
                    _write(
                        case,
                        resolution_due_at=add_working_minutes(
                            policy.calendar, case.resolution_due_at, paused
                        ),
                    )
                    if clock.resolution_warn_at is not None:
                        clock.resolution_warn_at = add_working_minutes(
                            policy.calendar, clock.resolution_warn_at, paused
                        )
                except NoWorkingTime:
                    pass
        else:
            _write(case, sla_paused_at=None)
    if new == status.WAITING and old != status.WAITING:
        _write(case, sla_paused_at=now)
    if new in (status.RESOLVED, status.CLOSED) and old in Case.OPEN_STATUSES:
        resolved = case.resolved_at or now
        due = case.resolution_due_at
        if due is not None and resolved > due and not case.resolution_breached:
            _write(case, resolution_breached=True)
            CaseEvent.objects.bulk_create(
                [
                    _event(
                        case,
                        CaseEvent.Kind.SLA_BREACH,
                        target=RESOLUTION,
                        reason=_("Resolved after the resolution target (due %(due)s).")
                        % {"due": _when(due)},
                    )
                ]
            )
            clock.resolution_breach_noted = True
    if old in (status.RESOLVED, status.CLOSED) and new in Case.OPEN_STATUSES:
        clock.resolution_started_at = now
        clock.paused_minutes = 0
        clock.resolution_warned = False
        clock.resolution_breach_noted = False
        _set_due_times(case, clock, now=now, reset_first_response=False)
    _save_clock(clock, case)
    return case


@transaction.atomic
def message_added(*, message: CaseMessage, actor: User | None = None) -> None:
    """The first reply to the client stops the first-response clock."""
    from accord.service.models import CaseEvent, CaseMessage

    if message.kind != CaseMessage.Kind.REPLY:
        return
    case = message.case
    if case.first_responded_at is None:
        _write(case, first_responded_at=message.created_at or timezone.now())
    due = case.first_response_due_at
    clock = _clock(case)
    assert case.first_responded_at is not None
    if due is not None and case.first_responded_at > due and not case.first_response_breached:
        _write(case, first_response_breached=True)
        if not clock.first_response_breach_noted:
            CaseEvent.objects.bulk_create(
                [
                    _event(
                        case,
                        CaseEvent.Kind.SLA_BREACH,
                        target=FIRST_RESPONSE,
                        reason=_("First reply after the first-response target (due %(due)s).")
                        % {"due": _when(due)},
                    )
                ]
            )
        clock.first_response_breach_noted = True
    _save_clock(clock, case)


# --- the periodic check ----------------------------------------------------------------------


@dataclass
class CheckResult:
    warnings: int = 0
    breaches: int = 0
    escalations: int = 0
    cases: set[int] = field(default_factory=set)


def _recipients(*users: Any) -> list[Any]:
    seen: dict[int, Any] = {}
    for user in users:
        if user is not None and user.is_active and user.pk not in seen:
            seen[user.pk] = user
    return list(seen.values())


def _notification(
    user: Any,
    case: Case,
    *,
    breach: bool,
    target: str,
    due: datetime.datetime,
    now: datetime.datetime,
) -> Notification:
    """A warning or breach notice in the recipient's language, due time in their time zone."""
    with translation.override(user.language or settings.LANGUAGE_CODE):
        values = {"case": case, "target": _target_label(target), "due": _when(due, user.time_zone)}
        if breach:
            text = _("SLA missed on %(case)s: %(target)s was due %(due)s.") % values
        else:
            text = _("SLA warning on %(case)s: %(target)s due %(due)s.") % values
    kind = "breach" if breach else "warn"
    return Notification(
        user=user,
        text=text[:300],
        url=case_url(case),
        created_at=now,
        dedupe_key=f"sla:{case.pk}:{target}:{kind}:{_stamp(due)}"[:80],
    )


def case_url(case: Case) -> str:
    try:
        return case.get_absolute_url()
    except NoReverseMatch:  # the case pages are not installed
        return ""


def _stamp(moment: datetime.datetime | None) -> int:
    return int(moment.timestamp()) if moment is not None else 0


def check_sla(now: datetime.datetime | None = None) -> CheckResult:
    """Turn passed thresholds into warnings, breaches and escalations, each exactly once.

    Reads only the clocks whose ``next_check_at`` has passed (a partial index), in batches of
    a fixed number of queries; safe to run twice or concurrently with itself: the flags are
    claimed under a row lock and notifications carry dedupe keys."""
    now = now or timezone.now()
    result = CheckResult()
    while _check_batch(now, result) == BATCH:
        pass
    return result


@transaction.atomic
def _check_batch(now: datetime.datetime, result: CheckResult) -> int:
    from accord.service.models import Case, CaseEvent

    clocks = list(
        SlaClock.objects.select_for_update(of=("self",))
        .filter(next_check_at__lte=now)
        .select_related(
            "case",
            "case__owner",
            "case__queue__supervisor",
            "case__sla_policy__escalate_to",
        )
        .order_by("next_check_at")[:BATCH]
    )
    if not clocks:
        return 0
    events: list[CaseEvent] = []
    notifications: list[Notification] = []
    entries: list[AuditEntry] = []
    warned: list[int] = []
    first_breached: list[int] = []
    resolution_breached: list[int] = []
    escalated: list[int] = []
    for clock in clocks:
        case = clock.case
        supervisor = case.queue.supervisor if case.queue is not None else None
        escalate_to = case.sla_policy.escalate_to if case.sla_policy is not None else None
        agent_or_supervisor = _recipients(case.owner or supervisor)
        breached_now: list[str] = []
        for target, due, warn_at in (
            (FIRST_RESPONSE, case.first_response_due_at, clock.first_response_warn_at),
            (RESOLUTION, case.resolution_due_at, clock.resolution_warn_at),
        ):
            if not case.is_open or due is None:
                continue
            if target == FIRST_RESPONSE and case.first_responded_at is not None:
                continue
            if target == RESOLUTION and case.sla_paused_at is not None:
                continue
            noted = f"{target}_breach_noted"
            warned_flag = f"{target}_warned"
            if due <= now and not getattr(clock, noted):
                setattr(clock, noted, True)
                setattr(clock, warned_flag, True)
                breached_now.append(target)
                (first_breached if target == FIRST_RESPONSE else resolution_breached).append(
                    case.pk
                )
                with translation.override(settings.LANGUAGE_CODE):
                    reason = _("The %(target)s target was missed (due %(due)s).") % {
                        "target": _target_label(target),
                        "due": _when(due),
                    }
                events.append(_event(case, CaseEvent.Kind.SLA_BREACH, target=target, reason=reason))
                entries.append(
                    audit.build(
                        actor=None,
                        action=AuditEntry.Kind.CHANGE,
                        obj=case,
                        changes={f"{target}_breached": [False, True]},
                        message=reason,
                    )
                )
                for user in _recipients(case.owner or supervisor, supervisor, escalate_to):
                    notifications.append(
                        _notification(user, case, breach=True, target=target, due=due, now=now)
                    )
                result.breaches += 1
                result.cases.add(case.pk)
            elif warn_at is not None and warn_at <= now and not getattr(clock, warned_flag):
                setattr(clock, warned_flag, True)
                warned.append(case.pk)
                with translation.override(settings.LANGUAGE_CODE):
                    reason = _("The %(target)s is due %(due)s.") % {
                        "target": _target_label(target),
                        "due": _when(due),
                    }
                events.append(
                    _event(case, CaseEvent.Kind.SLA_WARNING, target=target, reason=reason)
                )
                for user in agent_or_supervisor:
                    notifications.append(
                        _notification(user, case, breach=False, target=target, due=due, now=now)
                    )
                result.warnings += 1
                result.cases.add(case.pk)
        if breached_now and case.escalated_at is None:
            case.escalated_at = now
            escalated.append(case.pk)
            with translation.override(settings.LANGUAGE_CODE):
                people = ", ".join(str(u) for u in _recipients(supervisor, escalate_to))
                reason = (
                    _("Escalated to %(people)s.") % {"people": people}
                    if people
                    else _("Escalated; nobody to notify: the queue has no supervisor.")
                )
            events.append(_event(case, CaseEvent.Kind.ESCALATED, target="", reason=reason))
            entries.append(
                audit.build(
                    actor=None,
                    action=AuditEntry.Kind.CHANGE,
                    obj=case,
                    changes={"escalated_at": [None, now.isoformat()]},
                    message=reason,
                )
            )
            result.escalations += 1
        if case.pk in first_breached:
            case.first_response_breached = True
        if case.pk in resolution_breached:
            case.resolution_breached = True
        clock.next_check_at = _next_check(clock, case)
    if warned:
        Case.objects.filter(pk__in=warned, sla_warned_at__isnull=True).update(sla_warned_at=now)
    if first_breached:
        Case.objects.filter(pk__in=first_breached).update(first_response_breached=True)
    if resolution_breached:
        Case.objects.filter(pk__in=resolution_breached).update(resolution_breached=True)
    if escalated:
        Case.objects.filter(pk__in=escalated, escalated_at__isnull=True).update(escalated_at=now)
    if events:
        CaseEvent.objects.bulk_create(events)
    if notifications:
        Notification.objects.bulk_create(notifications, ignore_conflicts=True)
    if entries:
        audit.record_many(entries)
    SlaClock.objects.bulk_update(
        clocks,
        [
            "first_response_warned",
            "resolution_warned",
            "first_response_breach_noted",
            "resolution_breach_noted",
            "next_check_at",
        ],
    )
    return len(clocks)
