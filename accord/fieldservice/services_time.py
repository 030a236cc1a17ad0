"""Time on a visit (V5): the engineers' timers and the time logged by hand, refused when
negative, longer than 24 hours, in the future or overlapping the engineer's other time. The
visit's costs are recomputed after every change (accord.fieldservice.services)."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accord.core import audit
from accord.core.models import AuditEntry, User
from accord.fieldservice.models import TimeEntry, WorkOrder, WorkOrderEngineer
from accord.fieldservice.services import (
    MAX_ENTRY,
    _close_entry,
    _ensure_engineer,
    _lock,
    _require_open,
    _start_timer,
    hours_cost,
    rate_for,
    recompute_costs,
)


@transaction.atomic
def time_start(*, actor: User, work_order: WorkOrder, kind: str) -> TimeEntry:
    """Start the actor's timer on a visit (switching from travel to work closes the first)."""
    locked = _lock(actor, work_order)
    _require_open(locked, "kind")
    if kind not in TimeEntry.Kind.values:
        raise ValidationError({"kind": [_("Choose work or travel.")]})
    _ensure_engineer(actor, locked)
    _start_timer(actor, locked, kind, timezone.now())
    entry = TimeEntry.objects.get(engineer=actor, ended_at__isnull=True)
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.CREATE,
        obj=entry,
        changes={"kind": [None, kind], "started_at": [None, audit._plain(entry.started_at)]},
        related=locked,
    )
    return entry


@transaction.atomic
def time_stop(*, actor: User, work_order: WorkOrder) -> TimeEntry:
    """Stop the actor's running timer on this visit."""
    locked = _lock(actor, work_order)
    entry = (
        TimeEntry.objects.select_for_update()
        .filter(work_order=locked, engineer=actor, ended_at__isnull=True)
        .first()
    )
    if entry is None:
        raise ValidationError({"kind": [_("You have no running timer on this work order.")]})
    _close_entry(entry, timezone.now())
    recompute_costs(locked)
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.CHANGE,
        obj=entry,
        changes={"ended_at": [None, audit._plain(entry.ended_at)]},
        related=locked,
    )
    return entry


def _check_entry(
    *,
    work_order: WorkOrder,
    engineer: User,
    started_at: datetime.datetime | None,
    ended_at: datetime.datetime | None,
    exclude_pk: int | None = None,
) -> int:
    if started_at is None:
        raise ValidationError({"started_at": [_("Enter when the time started.")]})
    if ended_at is None:
        raise ValidationError({"ended_at": [_("Enter when the time ended.")]})
    if ended_at <= started_at:
        raise ValidationError(
            {"ended_at": [_("The end must be after the start: time cannot be negative.")]}
        )
    if ended_at - started_at > MAX_ENTRY:
        raise ValidationError({"ended_at": [_("A time entry cannot be longer than 24 hours.")]})
    if ended_at > timezone.now() + datetime.timedelta(minutes=5):
        raise ValidationError({"ended_at": [_("Time cannot be logged in the future.")]})
    others = TimeEntry.objects.filter(engineer=engineer, started_at__lt=ended_at).filter(
        Q(ended_at__gt=started_at) | Q(ended_at__isnull=True)
    )
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    overlapping = others.select_related("work_order").first()
    if overlapping is not None:
        raise ValidationError(
            {
                "started_at": [
                    _("%(engineer)s already has time logged from %(start)s on %(number)s.")
                    % {
                        "engineer": engineer,
                        "start": timezone.localtime(overlapping.started_at).strftime(
                            "%Y-%m-%d %H:%M"
                        ),
                        "number": overlapping.work_order.number,
                    }
                ]
            }
        )
    return int((ended_at - started_at).total_seconds())


@transaction.atomic
def time_add(
    *,
    actor: User,
    work_order: WorkOrder,
    engineer: User | None = None,
    kind: str = TimeEntry.Kind.WORK,
    started_at: datetime.datetime | None,
    ended_at: datetime.datetime | None,
    note: str = "",
) -> TimeEntry:
    """Log time by hand (forgot the timer, or the dispatcher fills it in): no negative,
    over-24-hour, future or overlapping entries."""
    locked = _lock(actor, work_order)
    _require_open(locked, "started_at")
    engineer = engineer or actor
    if kind not in TimeEntry.Kind.values:
        raise ValidationError({"kind": [_("Choose work or travel.")]})
    if not WorkOrderEngineer.objects.filter(work_order=locked, user=engineer).exists():
        if engineer.pk != actor.pk:
            raise ValidationError({"engineer": [_("This engineer is not on the work order.")]})
        _ensure_engineer(actor, locked)
    seconds = _check_entry(
        work_order=locked, engineer=engineer, started_at=started_at, ended_at=ended_at
    )
    assert started_at is not None  # checked above
    rate = rate_for(engineer, locked)
    entry = TimeEntry.objects.create(
        work_order=locked,
        engineer=engineer,
        kind=kind,
        started_at=started_at,
        ended_at=ended_at,
        duration_seconds=seconds,
        rate=rate,
        cost=hours_cost(seconds, rate),
        note=note[:255],
        created_by=actor,
    )
    recompute_costs(locked)
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.CREATE,
        obj=entry,
        changes={
            "engineer": [None, str(engineer)],
            "kind": [None, kind],
            "started_at": [None, audit._plain(started_at)],
            "ended_at": [None, audit._plain(ended_at)],
        },
        related=locked,
    )
    return entry


@transaction.atomic
def time_entry_update(
    *,
    actor: User,
    entry: TimeEntry,
    started_at: datetime.datetime | None,
    ended_at: datetime.datetime | None,
    kind: str | None = None,
    note: str | None = None,
) -> TimeEntry:
    """Correct an entry (also the way to close a timer left running overnight)."""
    locked = _lock(actor, entry.work_order)
    _require_open(locked, "started_at")
    current = TimeEntry.objects.select_for_update().get(pk=entry.pk)
    seconds = _check_entry(
        work_order=locked,
        engineer=current.engineer,
        started_at=started_at,
        ended_at=ended_at,
        exclude_pk=current.pk,
    )
    before = audit.snapshot(current, ["kind", "started_at", "ended_at", "note"])
    assert started_at is not None  # checked above
    current.started_at = started_at
    current.ended_at = ended_at
    current.duration_seconds = seconds
    current.cost = hours_cost(seconds, current.rate)
    if kind is not None:
        if kind not in TimeEntry.Kind.values:
            raise ValidationError({"kind": [_("Choose work or travel.")]})
        current.kind = kind
    if note is not None:
        current.note = note[:255]
    current.save()
    recompute_costs(locked)
    changes = audit.diff(
        before, audit.snapshot(current, ["kind", "started_at", "ended_at", "note"])
    )
    audit.record(
        actor=actor, action=AuditEntry.Kind.CHANGE, obj=current, changes=changes, related=locked
    )
    return current


@transaction.atomic
def time_entry_delete(*, actor: User, entry: TimeEntry) -> None:
    locked = _lock(actor, entry.work_order)
    _require_open(locked, "started_at")
    entry_audit = audit.build(
        actor=actor,
        action=AuditEntry.Kind.DELETE,
        obj=entry,
        changes={
            "engineer": [str(entry.engineer), None],
            "kind": [entry.kind, None],
            "started_at": [audit._plain(entry.started_at), None],
            "ended_at": [audit._plain(entry.ended_at), None],
        },
        related=locked,
    )
    entry.delete()
    entry_audit.save()
    recompute_costs(locked)
