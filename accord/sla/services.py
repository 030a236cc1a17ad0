"""Settings of service levels: working calendars (hours, holidays), policies and their targets.

Administrators and the head of service edit them; every change is audited. Loading public
holidays from the ``holidays`` package is idempotent: a day already in the calendar (loaded
before, or entered by hand) is left as it is.
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import holidays as holidays_package
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import translation
from django.utils.translation import gettext as _

from accord.core import audit
from accord.core.errors import ConflictError
from accord.core.models import AuditEntry
from accord.core.services import apply_order, moved_order
from accord.sla.models import Holiday, Priority, SlaPolicy, SlaTarget, WorkCalendar, WorkingHours

if TYPE_CHECKING:
    from accord.core.models import User

SUPPORTED_COUNTRIES = ("RU", "FR")
SETTINGS_ROLE = "service_manager"


def may_manage(user: Any) -> bool:
    """Administrators and the head of service set up calendars and policies."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_administrator:
        return True
    cached = getattr(user, "_accord_sla_manager", None)
    if cached is None:
        cached = user.roles.filter(code=SETTINGS_ROLE).exists()
        user._accord_sla_manager = cached
    return bool(cached)


def require_manager(user: Any) -> None:
    if not may_manage(user):
        raise PermissionDenied(_("Only administrators and the head of service may do this."))


def _created(obj: Any) -> dict[str, list[Any]]:
    return {k: [None, v] for k, v in audit.snapshot(obj).items() if v not in (None, "", False)}


def _apply(obj: Any, fields: Mapping[str, Any], allowed: Iterable[str]) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise ValidationError({name: [_("Unknown field.")] for name in sorted(unknown)})
    for name, value in fields.items():
        setattr(obj, name, value)


# --- calendars -------------------------------------------------------------------------------

CALENDAR_FIELDS = ("name", "time_zone", "country", "is_default")


def _clean_calendar(calendar: WorkCalendar) -> None:
    calendar.country = (calendar.country or "").strip().upper()
    if calendar.country and calendar.country not in SUPPORTED_COUNTRIES:
        raise ValidationError(
            {"country": [_("Public holidays can be loaded for RU (Russia) or FR (France).")]}
        )
    calendar.full_clean()


@transaction.atomic
def calendar_create(
    *, actor: User, fields: Mapping[str, Any], weekdays: Iterable[int] = range(5)
) -> WorkCalendar:
    """A new calendar, with 9:00–18:00 on the given weekdays to start from."""
    require_manager(actor)
    calendar = WorkCalendar()
    _apply(calendar, fields, CALENDAR_FIELDS)
    if calendar.is_default:  # one default: the previous one steps down (rolled back on error)
        WorkCalendar.objects.filter(is_default=True).update(is_default=False)
    _clean_calendar(calendar)
    calendar.save()
    for weekday in weekdays:
        WorkingHours.objects.create(
            calendar=calendar, weekday=weekday, start=datetime.time(9), end=datetime.time(18)
        )
    audit.record(
        actor=actor, action=AuditEntry.Kind.CREATE, obj=calendar, changes=_created(calendar)
    )
    return calendar


@transaction.atomic
def calendar_update(
    *, actor: User, calendar: WorkCalendar, fields: Mapping[str, Any]
) -> WorkCalendar:
    require_manager(actor)
    locked = WorkCalendar.objects.select_for_update().get(pk=calendar.pk)
    before = audit.snapshot(locked)
    _apply(locked, fields, CALENDAR_FIELDS)
    if locked.is_default:
        WorkCalendar.objects.filter(is_default=True).exclude(pk=locked.pk).update(is_default=False)
    _clean_calendar(locked)
    changes = audit.diff(before, audit.snapshot(locked))
    if changes:
        locked.save()
        audit.record(actor=actor, action=AuditEntry.Kind.CHANGE, obj=locked, changes=changes)
    return locked


@transaction.atomic
def calendar_delete(*, actor: User, calendar: WorkCalendar) -> None:
    require_manager(actor)
    if calendar.policies.exists():
        raise ValidationError(
            {"calendar": [_("This calendar is used by a policy; give the policy another first.")]}
        )
    entry = audit.build(actor=actor, action=AuditEntry.Kind.DELETE, obj=calendar)
    calendar.delete()
    entry.save()


def _parse_intervals(text: str) -> list[tuple[datetime.time, datetime.time]]:
    """``"9:00-13:00, 14:00-18:00"`` → intervals; empty text → a day off."""
    intervals: list[tuple[datetime.time, datetime.time]] = []
    for part in text.replace(";", ",").split(","):
        part = part.strip().replace("–", "-").replace("—", "-")
        if not part:
            continue
        bounds = part.split("-")
        if len(bounds) != 2:
            raise ValueError(part)
        start, end = (_parse_time(b) for b in bounds)
        if end <= start:
            raise ValueError(part)
        intervals.append((start, end))
    intervals.sort()
    for (_s1, e1), (s2, _e2) in itertools.pairwise(intervals):
        if s2 < e1:
            raise ValueError(text)
    return intervals


def _parse_time(text: str) -> datetime.time:
    text = text.strip().replace(".", ":")
    if text in ("24:00", "24"):
        return datetime.time(23, 59)
    if ":" not in text:
        text += ":00"
    hours, minutes = text.split(":", 1)
    return datetime.time(int(hours), int(minutes))


def format_intervals(intervals: Iterable[tuple[datetime.time, datetime.time]]) -> str:
    return ", ".join(
        f"{s:%H:%M}-{'24:00' if e == datetime.time(23, 59) else f'{e:%H:%M}'}" for s, e in intervals
    )


@transaction.atomic
def calendar_set_hours(
    *, actor: User, calendar: WorkCalendar, week: Mapping[int, str]
) -> WorkCalendar:
    """Replace the working hours: for each weekday (0 = Monday) a text such as
    ``9:00-13:00, 14:00-18:00``; an empty text makes the day a day off."""
    require_manager(actor)
    parsed: dict[int, list[tuple[datetime.time, datetime.time]]] = {}
    errors: dict[str, list[str]] = {}
    for weekday in range(7):
        try:
            parsed[weekday] = _parse_intervals(week.get(weekday, "") or "")
        except (ValueError, TypeError):
            errors[f"day_{weekday}"] = [
                _(
                    "Write intervals as 9:00-13:00, 14:00-18:00: each ends after it starts "
                    "and they do not overlap."
                )
            ]
    if not errors and not any(parsed.values()):
        errors["day_0"] = [_("A calendar needs working hours on at least one day.")]
    if errors:
        raise ValidationError(errors)
    locked = WorkCalendar.objects.select_for_update().get(pk=calendar.pk)
    before = {
        str(d): format_intervals((h.start, h.end) for h in locked.hours.all() if h.weekday == d)
        for d in range(7)
    }
    after = {str(d): format_intervals(parsed[d]) for d in range(7)}
    changes = audit.diff(before, after)
    if changes:
        locked.hours.all().delete()
        WorkingHours.objects.bulk_create(
            WorkingHours(calendar=locked, weekday=d, start=s, end=e)
            for d in range(7)
            for s, e in parsed[d]
        )
        audit.record(
            actor=actor,
            action=AuditEntry.Kind.CHANGE,
            obj=locked,
            changes={f"hours_{k}": v for k, v in changes.items()},
        )
    return locked


# --- holidays --------------------------------------------------------------------------------


@transaction.atomic
def holiday_add(
    *,
    actor: User,
    calendar: WorkCalendar,
    date: datetime.date | None,
    name: str = "",
    is_working_day: bool = False,
) -> Holiday:
    """A day off, or a weekend day that is worked (``is_working_day``)."""
    require_manager(actor)
    if date is None:
        raise ValidationError({"date": [_("Enter the date.")]})
    if Holiday.objects.filter(calendar=calendar, date=date).exists():
        raise ValidationError({"date": [_("This day is already in the calendar.")]})
    holiday = Holiday(
        calendar=calendar, date=date, name=(name or "").strip(), is_working_day=is_working_day
    )
    holiday.full_clean()
    holiday.save()
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.CREATE,
        obj=holiday,
        related=calendar,
        changes=_created(holiday),
    )
    return holiday


@transaction.atomic
def holiday_delete(*, actor: User, holiday: Holiday) -> None:
    require_manager(actor)
    entry = audit.build(
        actor=actor,
        action=AuditEntry.Kind.DELETE,
        obj=holiday,
        related=holiday.calendar,
        changes={k: [v, None] for k, v in audit.snapshot(holiday).items()},
    )
    holiday.delete()
    entry.save()


def _package_language(country: str, language: str) -> str | None:
    supported = holidays_package.country_holidays(country).supported_languages
    for candidate in (language, {"en": "en_US"}.get(language, ""), "en_US"):
        if candidate in supported:
            return candidate
    return None


@transaction.atomic
def holidays_load(
    *,
    actor: User | None,
    calendar: WorkCalendar,
    year: int,
    country: str = "",
    language: str | None = None,
) -> list[Holiday]:
    """Add a year's public holidays (and, for Russia, the transferred working days) of the
    calendar's country from the ``holidays`` package; names in ``language`` (the caller's)
    where the package has them. Days already in the calendar are kept as they are, so
    loading twice adds nothing. ``actor`` None: the ``load-holidays`` command."""
    if actor is not None:
        require_manager(actor)
    country = (country or calendar.country or "").strip().upper()
    errors: dict[str, list[str]] = {}
    if country not in SUPPORTED_COUNTRIES:
        errors["country"] = [_("Public holidays can be loaded for RU (Russia) or FR (France).")]
    if not isinstance(year, int) or not 1990 <= year <= 2100:
        errors["year"] = [_("Enter a year between 1990 and 2100.")]
    if errors:
        raise ValidationError(errors)
    language = (language or translation.get_language() or "en")[:2]
    days = holidays_package.country_holidays(
        country, years=year, language=_package_language(country, language)
    )
    existing = set(
        Holiday.objects.filter(calendar=calendar, date__year=year).values_list("date", flat=True)
    )
    with translation.override(language):
        worked_name = _("Transferred working day")
    new = [
        Holiday(calendar=calendar, date=day, name=str(name)[:120])
        for day, name in sorted(days.items())
        if day not in existing
    ]
    new += [
        Holiday(calendar=calendar, date=day, name=worked_name, is_working_day=True)
        for day in sorted(getattr(days, "weekend_workdays", ()))
        if day not in existing and day.year == year
    ]
    Holiday.objects.bulk_create(new)
    if new:
        audit.record(
            actor=actor,
            action=AuditEntry.Kind.CHANGE,
            obj=calendar,
            changes={"holidays": [None, [f"{h.date.isoformat()} {h.name}" for h in new]]},
            message=_("Public holidays of %(country)s for %(year)s loaded: %(count)s.")
            % {"count": len(new), "country": country, "year": year},
        )
    return new


# --- policies and targets --------------------------------------------------------------------

POLICY_FIELDS = (
    "name",
    "name_ru",
    "name_fr",
    "name_de",
    "is_active",
    "calendar",
    "tier",
    "warn_at_percent",
    "escalate_to",
)


def _clean_policy(policy: SlaPolicy) -> None:
    errors: dict[str, list[str]] = {}
    if policy.tier is not None and policy.tier.picklist != "client_tier":
        errors["tier"] = [_("Not a client tier.")]
    if policy.escalate_to is not None and not policy.escalate_to.is_active:
        errors["escalate_to"] = [_("This user is deactivated.")]
    if errors:
        raise ValidationError(errors)
    policy.full_clean(exclude=["position"])


def _clean_targets(targets: Mapping[str, tuple[int | None, int | None]]) -> None:
    errors: dict[str, list[str]] = {}
    for priority, (first, resolution) in targets.items():
        if priority not in Priority.values:
            errors[f"{priority}"] = [_("Unknown priority.")]
            continue
        if (first is None) != (resolution is None):
            errors[f"{priority}_first_response"] = [
                _("Give both the first-response and the resolution target, or neither.")
            ]
            continue
        if first is None or resolution is None:
            continue
        if first <= 0:
            errors[f"{priority}_first_response"] = [_("The target must be at least a minute.")]
        if resolution <= 0:
            errors[f"{priority}_resolution"] = [_("The target must be at least a minute.")]
        elif first > 0 and resolution < first:
            errors[f"{priority}_resolution"] = [
                _("Resolution cannot be due before the first response.")
            ]
    if errors:
        raise ValidationError(errors)


def _target_snapshot(policy: SlaPolicy) -> dict[str, list[int]]:
    return {
        t.priority: [t.first_response_minutes, t.resolution_minutes] for t in policy.targets.all()
    }


def _save_targets(
    policy: SlaPolicy, targets: Mapping[str, tuple[int | None, int | None]]
) -> dict[str, list[Any]]:
    before = _target_snapshot(policy)
    for priority, (first, resolution) in targets.items():
        if first is None or resolution is None:
            SlaTarget.objects.filter(policy=policy, priority=priority).delete()
        else:
            SlaTarget.objects.update_or_create(
                policy=policy,
                priority=priority,
                defaults={"first_response_minutes": first, "resolution_minutes": resolution},
            )
    after = _target_snapshot(policy)
    return {f"target_{k}": v for k, v in audit.diff(before, after).items()}


@transaction.atomic
def policy_create(
    *,
    actor: User,
    fields: Mapping[str, Any],
    targets: Mapping[str, tuple[int | None, int | None]] | None = None,
) -> SlaPolicy:
    """A new policy at the end of the order, with its targets per priority (working minutes:
    first response, resolution; ``(None, None)`` for a priority without targets)."""
    require_manager(actor)
    policy = SlaPolicy()
    _apply(policy, fields, POLICY_FIELDS)
    _clean_policy(policy)
    _clean_targets(targets or {})
    last = SlaPolicy.objects.aggregate(last=Max("position"))["last"]
    policy.position = (last + 1) if last is not None else 0
    policy.save()
    changes = _created(policy)
    changes.update(_save_targets(policy, targets or {}))
    audit.record(actor=actor, action=AuditEntry.Kind.CREATE, obj=policy, changes=changes)
    return policy


@transaction.atomic
def policy_update(
    *,
    actor: User,
    policy: SlaPolicy,
    fields: Mapping[str, Any],
    targets: Mapping[str, tuple[int | None, int | None]] | None = None,
    version: int | None = None,
) -> SlaPolicy:
    """Change a policy and its targets (optimistic lock on ``version``). Cases already open
    keep their due times; new cases, and cases recomputed after a priority change, use the
    new targets."""
    require_manager(actor)
    locked = SlaPolicy.objects.select_for_update().get(pk=policy.pk)
    if version is not None and version != locked.version:
        raise ConflictError(locked.version)
    before = audit.snapshot(locked)
    _apply(locked, fields, POLICY_FIELDS)
    _clean_policy(locked)
    _clean_targets(targets or {})
    changes = audit.diff(before, audit.snapshot(locked))
    changes.update(_save_targets(locked, targets or {}))
    if changes:
        locked.version += 1
        locked.save()
        audit.record(actor=actor, action=AuditEntry.Kind.CHANGE, obj=locked, changes=changes)
    return locked


@transaction.atomic
def policy_move(*, actor: User, policy: SlaPolicy, offset: int) -> None:
    """Move a policy up (-1) or down (+1): the first matching active policy applies."""
    require_manager(actor)
    ids = SlaPolicy.objects.order_by("position", "id").values_list("pk", flat=True)
    apply_order(
        actor=actor,
        queryset=SlaPolicy.objects.all(),
        ordered_ids=moved_order(ids, policy.pk, offset),
        field="order",
    )
