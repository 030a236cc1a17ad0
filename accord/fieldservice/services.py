"""Writes of work orders (V5): one write path (ARCHITECTURE.md rule 1).

Every function checks permission, validates (``ValidationError`` naming the field), runs in
one transaction and writes the audit entry. Costs are kept on the work order by
:func:`recompute_costs` whenever time or materials change, in ``Decimal``:

    labour    = Σ work hours   × the engineer's rate (their own, else the default)
    travel    = Σ travel hours × the engineer's rate
    materials = Σ quantity × unit cost (each line rounded to kopecks)
    total     = labour + travel + materials
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accord.core import audit
from accord.core.errors import ConflictError
from accord.core.models import AuditEntry, Team, User
from accord.core.permissions import Action, require
from accord.fieldservice import selectors
from accord.fieldservice.models import (
    ChecklistItem,
    ChecklistTemplate,
    MaterialUse,
    TimeEntry,
    WorkOrder,
    WorkOrderEngineer,
)

ZERO = Decimal("0")
CENT = Decimal("0.01")
HOUR = Decimal("3600")
MAX_ENTRY = datetime.timedelta(hours=24)
DEFAULT_VISIT = datetime.timedelta(hours=2)
PHOTO_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}

# The visit's status machine: where each status may go.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    WorkOrder.Status.SCHEDULED: (
        WorkOrder.Status.TRAVELLING,
        WorkOrder.Status.IN_PROGRESS,
        WorkOrder.Status.CANCELLED,
    ),
    WorkOrder.Status.TRAVELLING: (
        WorkOrder.Status.IN_PROGRESS,
        WorkOrder.Status.SCHEDULED,
        WorkOrder.Status.CANCELLED,
    ),
    WorkOrder.Status.IN_PROGRESS: (
        WorkOrder.Status.DONE,
        WorkOrder.Status.TRAVELLING,
        WorkOrder.Status.CANCELLED,
    ),
    WorkOrder.Status.DONE: (),
    WorkOrder.Status.CANCELLED: (WorkOrder.Status.SCHEDULED,),
}

EDITABLE_FIELDS = ("site_address", "instructions", "result_notes", "signed_by", "travel_km")


# --- settings and helpers ------------------------------------------------------------------


def labour_rate() -> Decimal:
    """The hourly rate for engineers' time (``ACCORD_FIELD_LABOUR_RATE``, 3500 by default)."""
    return Decimal(str(getattr(settings, "ACCORD_FIELD_LABOUR_RATE", "3500")))


def field_currency() -> str:
    configured = getattr(settings, "ACCORD_FIELD_CURRENCY", "")
    if configured:
        return str(configured)
    currencies = getattr(settings, "ACCORD_CURRENCIES", ("RUB",))
    return str(currencies[0]) if currencies else "RUB"


def photo_max_bytes() -> int:
    return int(getattr(settings, "ACCORD_FIELD_PHOTO_MAX_BYTES", 10 * 1024 * 1024))


def rate_for(engineer: Any, work_order: WorkOrder) -> Decimal:
    """The engineer's own hourly rate, else the visit's default rate."""
    from accord.fieldservice.models import EngineerRate

    own = EngineerRate.objects.filter(user=engineer).values_list("hourly_rate", flat=True).first()
    return own if own is not None else work_order.labour_rate


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def hours_cost(seconds: int, rate: Decimal) -> Decimal:
    return money(Decimal(seconds) * rate / HOUR)


def _decimal(value: Any, field: str) -> Decimal:
    if isinstance(value, Decimal):
        result = value
    else:
        try:
            result = Decimal(str(value).strip().replace(",", ".").replace(" ", ""))
        except (InvalidOperation, ValueError) as exc:
            raise ValidationError({field: [_("Enter a number.")]}) from exc
    if not result.is_finite():
        raise ValidationError({field: [_("Enter a number.")]})
    return result


def cases_visible_to(user: Any) -> Any:
    try:
        from accord.service.selectors import cases_visible_to
    except ImportError:  # the cases part's selectors; the permission layer is the same
        from accord.core.permissions import restrict
        from accord.service.models import Case

        return restrict(Case.objects.all(), user, Action.VIEW)
    return cases_visible_to(user)


def require_may(actor: Any, action: str, work_order: WorkOrder) -> None:
    if not selectors.may(actor, action, work_order):
        raise PermissionDenied(_("You do not have permission to do this."))


def _lock(actor: Any, work_order: WorkOrder, version: int | None = None) -> WorkOrder:
    """The row locked for a read-modify-write, after the change check; a stale version is
    refused rather than overwritten."""
    require_may(actor, Action.CHANGE, work_order)
    locked = WorkOrder.objects.select_for_update().get(pk=work_order.pk)
    if version is not None and version != locked.version:
        raise ConflictError(locked.version)
    return locked


def _require_open(work_order: WorkOrder, field: str = "status") -> None:
    if not work_order.is_open:
        raise ValidationError(
            {
                field: [
                    _("Work order %(number)s is %(status)s; it can no longer be changed.")
                    % {"number": work_order.number, "status": work_order.get_status_display()}
                ]
            }
        )


def _bump(work_order: WorkOrder, **values: Any) -> None:
    WorkOrder.objects.filter(pk=work_order.pk).update(
        version=F("version") + 1, updated_at=timezone.now(), **values
    )
    work_order.refresh_from_db()


def _active_users(users: Iterable[Any], field: str) -> list[User]:
    result: list[User] = []
    for user in users:
        if user is None:
            continue
        if not isinstance(user, User):
            user = User.objects.filter(pk=user).first()
        if user is None or not user.is_active:
            raise ValidationError({field: [_("Choose an active user.")]})
        if user not in result:
            result.append(user)
    return result


def _check_schedule(
    start: datetime.datetime | None, end: datetime.datetime | None
) -> tuple[datetime.datetime | None, datetime.datetime | None]:
    if start is None:
        if end is not None:
            raise ValidationError({"scheduled_start": [_("Enter when the visit starts.")]})
        return None, None
    if end is None:
        end = start + DEFAULT_VISIT
    if end <= start:
        raise ValidationError({"scheduled_end": [_("The visit must end after it starts.")]})
    if end - start > datetime.timedelta(days=7):
        raise ValidationError({"scheduled_end": [_("A visit cannot last longer than 7 days.")]})
    return start, end


def default_site_address(case: Any) -> str:
    """Where the visit goes: the installed unit's location, else the client's site address
    (or its first address)."""
    asset = getattr(case, "asset", None)
    if asset is not None and asset.location:
        return str(asset.location)
    if case.company_id is None:
        return ""
    from accord.parties.models import Address

    addresses = Address.objects.filter(company_id=case.company_id)
    address = addresses.filter(kind=Address.Kind.SITE).first() or addresses.first()
    return str(address) if address else ""


def default_team(case: Any, actor: Any) -> Team | None:
    """The team a new visit is dispatched in: the case's, else the actor's first team."""
    if case.team_id is not None:
        return case.team
    if actor is None or not getattr(actor, "pk", None):
        return None
    return actor.teams.order_by("name", "id").first()


def template_for_case(case: Any) -> ChecklistTemplate | None:
    if case.category_id is None:
        return None
    return (
        ChecklistTemplate.objects.filter(category_id=case.category_id, is_active=True)
        .order_by("id")
        .first()
    )


def _set_engineers(work_order: WorkOrder, lead: User | None, others: Sequence[User]) -> list[str]:
    """Replace the engineers of a visit; returns their names for the audit entry."""
    WorkOrderEngineer.objects.filter(work_order=work_order).delete()
    rows = []
    if lead is not None:
        rows.append(WorkOrderEngineer(work_order=work_order, user=lead, is_lead=True))
    rows += [
        WorkOrderEngineer(work_order=work_order, user=user)
        for user in others
        if lead is None or user.pk != lead.pk
    ]
    WorkOrderEngineer.objects.bulk_create(rows)
    return [str(row.user) for row in rows]


# --- create, edit, schedule ----------------------------------------------------------------


@transaction.atomic
def work_order_create(
    *,
    actor: User,
    case: Any,
    scheduled_start: datetime.datetime | None = None,
    scheduled_end: datetime.datetime | None = None,
    lead_engineer: User | None = None,
    engineers: Sequence[User] = (),
    team: Team | None = None,
    site_address: str | None = None,
    instructions: str = "",
    checklist_template: ChecklistTemplate | None = None,
    checklist: Sequence[str] | None = None,
) -> WorkOrder:
    """A visit for a case. The client, contact and contract come from the case; the
    checklist from the template chosen, else the lines typed, else the case category's
    template."""
    if not cases_visible_to(actor).filter(pk=case.pk).exists():
        raise ValidationError({"case": [_("Choose a case you can see.")]})
    from accord.service.models import Case

    if case.status == Case.Status.CLOSED:
        raise ValidationError(
            {"case": [_("The case is closed; reopen it before planning a visit.")]}
        )
    start, end = _check_schedule(scheduled_start, scheduled_end)
    lead = _active_users([lead_engineer], "lead_engineer")
    others = _active_users(engineers, "engineers")
    lead_user = lead[0] if lead else None
    if lead_user is None and others:
        lead_user = others[0]
    work_order = WorkOrder(
        case=case,
        company_id=case.company_id,
        contact_id=case.contact_id,
        contract_id=case.contract_id,
        scheduled_start=start,
        scheduled_end=end,
        owner=lead_user,
        team=team if team is not None else default_team(case, actor),
        site_address=(default_site_address(case) if site_address is None else site_address)[:255],
        instructions=instructions,
        labour_rate=labour_rate(),
        currency=field_currency(),
        created_by=actor,
    )
    require(actor, Action.ADD, work_order)
    work_order.full_clean(exclude=["case", "company", "contact", "contract", "owner", "team"])
    work_order.save()
    names = _set_engineers(work_order, lead_user, others)
    if checklist_template is not None:
        steps = checklist_template.steps()
    elif checklist is not None:
        steps = [s.strip() for s in checklist if s and s.strip()]
    else:
        template = template_for_case(case)
        steps = template.steps() if template else []
    ChecklistItem.objects.bulk_create(
        [
            ChecklistItem(work_order=work_order, position=i, text=text[:255])
            for i, text in enumerate(steps)
        ]
    )
    values = {
        **audit.snapshot(work_order),
        "engineers": names,
        "checklist": steps,
    }
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.CREATE,
        obj=work_order,
        changes={k: [None, v] for k, v in values.items() if v not in (None, "", [], {}, False)},
        related=case,
    )
    return work_order


@transaction.atomic
def work_order_update(
    *, actor: User, work_order: WorkOrder, version: int | None, **fields: Any
) -> WorkOrder:
    """Edit the visit's site, instructions, result, signature name or travel distance."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed here.")] for name in unknown})
    locked = _lock(actor, work_order, version)
    if "travel_km" in fields:
        km = _decimal(fields["travel_km"], "travel_km")
        if km < 0:
            raise ValidationError({"travel_km": [_("The distance cannot be negative.")]})
        fields["travel_km"] = km
    before = audit.snapshot(locked)
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.full_clean(exclude=["case", "company", "contact", "contract", "owner", "team"])
    changes = audit.diff(before, audit.snapshot(locked))
    if not changes:
        return locked
    locked.version = F("version") + 1  # type: ignore[assignment]
    locked.updated_at = timezone.now()
    locked.save()
    locked.refresh_from_db()
    audit.record(
        actor=actor, action=AuditEntry.Kind.CHANGE, obj=locked, changes=changes, related=locked.case
    )
    return locked


def conflicts_for(work_order: WorkOrder) -> list[tuple[User, WorkOrder]]:
    """Other open visits of this visit's engineers that overlap it in time."""
    if work_order.scheduled_start is None or work_order.scheduled_end is None:
        return []
    rows = (
        WorkOrderEngineer.objects.filter(
            user__in=WorkOrderEngineer.objects.filter(work_order=work_order).values("user"),
            work_order__scheduled_start__lt=work_order.scheduled_end,
            work_order__scheduled_end__gt=work_order.scheduled_start,
            work_order__status__in=WorkOrder.OPEN_STATUSES,
        )
        .exclude(work_order=work_order)
        .select_related("user", "work_order")
        .order_by("work_order__scheduled_start", "id")
    )
    return [(row.user, row.work_order) for row in rows]


def conflict_text(engineer: User, other: WorkOrder) -> str:
    """The dispatcher's warning for one overlap."""
    return _("%(engineer)s already has %(number)s at %(start)s–%(end)s.") % {
        "engineer": engineer.get_full_name() or engineer.username,
        "number": other.number,
        "start": timezone.localtime(other.scheduled_start).strftime("%d.%m %H:%M")
        if other.scheduled_start
        else "",
        "end": timezone.localtime(other.scheduled_end).strftime("%H:%M")
        if other.scheduled_end
        else "",
    }


@transaction.atomic
def work_order_schedule(
    *,
    actor: User,
    work_order: WorkOrder,
    version: int | None,
    scheduled_start: datetime.datetime | None,
    scheduled_end: datetime.datetime | None,
    lead_engineer: User | None,
    engineers: Sequence[User] = (),
) -> tuple[WorkOrder, list[tuple[User, WorkOrder]]]:
    """The dispatcher's move: when and who. Overlaps with the engineers' other visits are
    allowed (a dispatcher may double-book on purpose) and returned as warnings."""
    locked = _lock(actor, work_order, version)
    _require_open(locked, "scheduled_start")
    start, end = _check_schedule(scheduled_start, scheduled_end)
    lead = _active_users([lead_engineer], "lead_engineer")
    others = _active_users(engineers, "engineers")
    lead_user = lead[0] if lead else (others[0] if others else None)
    before = {
        "scheduled_start": audit._plain(locked.scheduled_start),
        "scheduled_end": audit._plain(locked.scheduled_end),
        "owner": locked.owner_id,
        "engineers": [str(r.user) for r in locked.engineer_rows.select_related("user")],
    }
    names = _set_engineers(locked, lead_user, others)
    after = {
        "scheduled_start": audit._plain(start),
        "scheduled_end": audit._plain(end),
        "owner": lead_user.pk if lead_user else None,
        "engineers": names,
    }
    changes = audit.diff(before, after)
    if changes:
        _bump(locked, scheduled_start=start, scheduled_end=end, owner=lead_user)
        audit.record(
            actor=actor,
            action=AuditEntry.Kind.CHANGE,
            obj=locked,
            changes=changes,
            related=locked.case,
            message=_("Visit scheduled"),
        )
    return locked, conflicts_for(locked)


# --- status and time -----------------------------------------------------------------------


def _running_entry(engineer: Any) -> TimeEntry | None:
    return (
        TimeEntry.objects.select_for_update()
        .filter(engineer=engineer, ended_at__isnull=True)
        .select_related("work_order")
        .first()
    )


def _close_entry(entry: TimeEntry, ended_at: datetime.datetime) -> TimeEntry:
    if ended_at <= entry.started_at:
        ended_at = entry.started_at + datetime.timedelta(seconds=1)
    if ended_at - entry.started_at > MAX_ENTRY:
        raise ValidationError(
            {
                "ended_at": [
                    _(
                        "The timer started %(start)s has run for more than 24 hours; "
                        "correct the entry by hand."
                    )
                    % {"start": timezone.localtime(entry.started_at).strftime("%Y-%m-%d %H:%M")}
                ]
            }
        )
    entry.ended_at = ended_at
    entry.duration_seconds = int((ended_at - entry.started_at).total_seconds())
    entry.cost = hours_cost(entry.duration_seconds, entry.rate)
    entry.save(update_fields=["ended_at", "duration_seconds", "cost"])
    return entry


def _start_timer(actor: User, work_order: WorkOrder, kind: str, now: datetime.datetime) -> None:
    running = _running_entry(actor)
    if running is not None:
        if running.work_order_id != work_order.pk:
            raise ValidationError(
                {
                    "kind": [
                        _("Your timer on %(number)s is still running; stop it first.")
                        % {"number": running.work_order.number}
                    ]
                }
            )
        if running.kind == kind:
            return
        _close_entry(running, now)
    TimeEntry.objects.create(
        work_order=work_order,
        engineer=actor,
        kind=kind,
        started_at=now,
        rate=rate_for(actor, work_order),
        created_by=actor,
    )


def _ensure_engineer(actor: User, work_order: WorkOrder) -> None:
    """Timers are personal: whoever starts one joins the visit's engineers."""
    WorkOrderEngineer.objects.get_or_create(work_order=work_order, user=actor)


@transaction.atomic
def work_order_set_status(
    *, actor: User, work_order: WorkOrder, status: str, reason: str = ""
) -> WorkOrder:
    """Move a visit along its status machine; the one-tap buttons of the phone view.

    Travelling starts the actor's travel timer, in progress their work timer (when the actor
    is one of the visit's engineers), done stops
    every running timer of the visit, works out its cost and records the visit and the
    hours against the case's contract."""
    locked = _lock(actor, work_order)
    old = locked.status
    if status not in WorkOrder.Status.values:
        raise ValidationError({"status": [_("Unknown status.")]})
    if status not in TRANSITIONS[old]:
        raise ValidationError(
            {
                "status": [
                    _("A work order cannot go from “%(old)s” to “%(new)s”.")
                    % {
                        "old": WorkOrder.Status(old).label,
                        "new": WorkOrder.Status(status).label,
                    }
                ]
            }
        )
    now = timezone.now()
    values: dict[str, Any] = {"status": status}
    # Timers are personal: the tap starts the actor's own timer when they are on the visit
    # (a dispatcher changing the status for someone starts none).
    on_visit = WorkOrderEngineer.objects.filter(work_order=locked, user=actor.pk).exists()
    if status == WorkOrder.Status.TRAVELLING:
        if on_visit:
            _start_timer(actor, locked, TimeEntry.Kind.TRAVEL, now)
    elif status == WorkOrder.Status.IN_PROGRESS:
        if on_visit:
            _start_timer(actor, locked, TimeEntry.Kind.WORK, now)
        if locked.started_at is None:
            values["started_at"] = now
    elif status in (WorkOrder.Status.DONE, WorkOrder.Status.CANCELLED):
        running = TimeEntry.objects.select_for_update().filter(
            work_order=locked, ended_at__isnull=True
        )
        for entry in running:
            _close_entry(entry, now)
        if status == WorkOrder.Status.DONE:
            values["finished_at"] = now
    elif status == WorkOrder.Status.SCHEDULED:
        for entry in TimeEntry.objects.select_for_update().filter(
            work_order=locked, ended_at__isnull=True
        ):
            _close_entry(entry, now)
    _bump(locked, **values)
    recompute_costs(locked)
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.CHANGE,
        obj=locked,
        changes={"status": [old, status]},
        related=locked.case,
        message=reason[:300],
    )
    if status == WorkOrder.Status.DONE:
        record_contract_use(actor=actor, work_order=locked)
    return locked


def recompute_costs(work_order: WorkOrder) -> WorkOrder:
    """Sum the visit's closed time and materials in SQL and store the costs (Decimal).

    Each time entry carries its engineer's rate and its cost (hours × rate, to the kopeck),
    so a senior engineer's hour costs more than a trainee's on the same visit."""
    totals = {
        kind: (int(seconds or 0), money(Decimal(str(cost or 0))))
        for kind, seconds, cost in TimeEntry.objects.filter(
            work_order=work_order, ended_at__isnull=False
        )
        .values_list("kind")
        .annotate(seconds=Sum("duration_seconds"), cost=Sum("cost"))
        .values_list("kind", "seconds", "cost")
    }
    work_seconds, labour = totals.get(TimeEntry.Kind.WORK, (0, ZERO))
    travel_seconds, travel = totals.get(TimeEntry.Kind.TRAVEL, (0, ZERO))
    materials_sum = MaterialUse.objects.filter(work_order=work_order).aggregate(total=Sum("total"))[
        "total"
    ]
    materials = money(Decimal(str(materials_sum or 0)))
    values = {
        "work_seconds": work_seconds,
        "travel_seconds": travel_seconds,
        "labour_cost": labour,
        "travel_cost": travel,
        "materials_cost": materials,
        "total_cost": labour + travel + materials,
    }
    WorkOrder.objects.filter(pk=work_order.pk).update(**values)
    for name, value in values.items():
        setattr(work_order, name, value)
    return work_order


# --- contract consumption ------------------------------------------------------------------


def record_contract_use(*, actor: User, work_order: WorkOrder) -> str:
    """On finishing: one visit and the hours worked against the case's contract, when it is
    in force and includes them; otherwise nothing is recorded and the visit says why."""
    from accord.contracts.models import Entitlement

    contract = work_order.contract
    day = timezone.localdate(work_order.finished_at or timezone.now())
    if contract is None:
        note = _("No service contract: nothing recorded against a contract.")
    elif not contract.is_in_force(day):
        note = _("Contract %(number)s is not in force on %(day)s: nothing recorded.") % {
            "number": contract.number,
            "day": day.isoformat(),
        }
    else:
        units = set(
            Entitlement.objects.filter(
                contract=contract, unit__in=[Entitlement.Unit.VISITS, Entitlement.Unit.HOURS]
            ).values_list("unit", flat=True)
        )
        hours = (Decimal(work_order.work_seconds) / HOUR).quantize(CENT, ROUND_HALF_UP)
        uses = []
        if Entitlement.Unit.VISITS in units:
            uses.append((Entitlement.Unit.VISITS, Decimal(1), _("1 visit")))
        if Entitlement.Unit.HOURS in units and hours > 0:
            uses.append((Entitlement.Unit.HOURS, hours, _("%(hours)s h") % {"hours": hours}))
        recorded, refused = [], []
        for unit, quantity, label in uses:
            # The visit is done whatever the contract says: a refusal is noted, not raised.
            try:
                _record_consumption(actor, work_order, contract, unit, quantity, day)
            except (ValidationError, PermissionDenied) as exc:
                refused.extend(exc.messages if isinstance(exc, ValidationError) else [str(exc)])
            else:
                recorded.append(str(label))
        if recorded:
            note = _("Recorded against contract %(number)s: %(what)s.") % {
                "number": contract.number,
                "what": ", ".join(recorded),
            }
        elif not uses:
            note = _("Contract %(number)s includes no visits or hours: nothing recorded.") % {
                "number": contract.number
            }
        else:
            note = ""
        if refused:
            note = " ".join(
                [note, _("Not recorded: %(reason)s") % {"reason": " ".join(refused)}]
            ).strip()
    WorkOrder.objects.filter(pk=work_order.pk).update(consumption_note=note[:255])
    work_order.consumption_note = note[:255]
    return note


def _record_consumption(
    actor: User,
    work_order: WorkOrder,
    contract: Any,
    unit: str,
    quantity: Decimal,
    day: datetime.date,
) -> None:
    """Through the contracts part's service (it allows anyone who may change work orders)."""
    from accord.contracts.services import record_consumption

    record_consumption(
        actor=actor,
        contract=contract,
        unit=unit,
        quantity=quantity,
        occurred_on=day,
        case=work_order.case,
        source=work_order.number,
    )
