"""Reads of activities and documents, scoped by the permission layer (rule 2)."""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accord.activities.models import Activity, Document
from accord.core.models import AuditEntry, Notification, User
from accord.core.permissions import OBJECT_TYPES, Action, allows, restrict
from accord.parties.models import Company, Contact

MY_DAY_LIMIT = 50
TIMELINE_LIMIT = 20


def _participant_q(user: Any) -> Q:
    return Q(
        pk__in=Activity.participants.through.objects.filter(user_id=user.pk).values("activity_id")
    )


def activities_visible_to(user: Any, action: str = Action.VIEW) -> QuerySet[Activity]:
    """Activities the role's record rules allow; for viewing, also meetings one takes part in."""
    queryset = restrict(Activity.objects.all(), user, action)
    if action == Action.VIEW and getattr(user, "is_authenticated", False) and user.is_active:
        queryset = queryset | Activity.objects.filter(_participant_q(user))
    return queryset


def get_activity_for(user: Any, pk: Any, action: str = Action.VIEW) -> Activity:
    """The same 404 for an activity that does not exist and one the user may not touch."""
    try:
        return (
            activities_visible_to(user, action)
            .select_related("owner", "team", "company")
            .prefetch_related("contacts", "participants")
            .get(pk=int(pk))
        )
    except (Activity.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def documents_visible_to(user: Any, action: str = Action.VIEW) -> QuerySet[Document]:
    return restrict(Document.objects.all(), user, action)


def get_document_for(user: Any, pk: Any, action: str = Action.VIEW) -> Document:
    """The same 404 for a missing document and one attached to a record the user may not see."""
    try:
        return documents_visible_to(user, action).select_related("owner").get(pk=int(pk))
    except (Document.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def documents_for_company(user: Any, company: Company) -> QuerySet[Document]:
    return documents_visible_to(user).filter(company=company).select_related("owner")[:200]  # type: ignore[return-value]


def documents_for_contact(user: Any, contact: Contact) -> QuerySet[Document]:
    return documents_visible_to(user).filter(contact=contact).select_related("owner")[:200]  # type: ignore[return-value]


# --- My day -------------------------------------------------------------------------------


def user_zone(user: Any) -> datetime.tzinfo:
    try:
        return zoneinfo.ZoneInfo(getattr(user, "time_zone", "") or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return datetime.UTC


def day_bounds(
    user: Any, now: datetime.datetime | None = None
) -> tuple[datetime.datetime, datetime.datetime]:
    """Start and end of the user's today, in their own time zone (a Vladivostok manager's
    day ends seven hours before a Moscow one's)."""
    zone = user_zone(user)
    local = (now or timezone.now()).astimezone(zone)
    start = datetime.datetime.combine(local.date(), datetime.time.min, tzinfo=zone)
    end = datetime.datetime.combine(
        local.date() + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone
    )
    return start, end


def _shown_to(user: Any, activities: Any) -> list[Activity]:
    """A meeting someone invited me to may concern a client I may not see: show the meeting,
    not the client's or its people's names (checked in memory, no extra query)."""
    result = list(activities)
    for activity in result:
        if activity.company_id and not allows(user, Action.VIEW, activity.company):
            activity.company = None
        activity.shown_contacts = [
            c for c in activity.contacts.all() if allows(user, Action.VIEW, c)
        ]
    return result


def my_day(user: Any, now: datetime.datetime | None = None) -> dict[str, Any]:
    """Home page data: overdue tasks, today's meetings and tasks, the next 7 days, and unread
    reminders. Each section is one bounded query on the (owner, is_done, at) index."""
    start, end = day_bounds(user, now)
    mine = Q(owner_id=user.pk)
    mine_or_attending = mine | _participant_q(user)
    base = (
        Activity.objects.select_related("company", "owner")
        .prefetch_related(
            Prefetch(
                "contacts", queryset=Contact.objects.only("pk", "full_name", "owner_id", "team_id")
            )
        )
        .order_by("at", "id")
    )
    tasks = base.filter(mine, kind=Activity.Kind.TASK)
    meetings = base.filter(mine_or_attending, kind=Activity.Kind.MEETING)
    return {
        "start": start,
        "limit": MY_DAY_LIMIT,
        "overdue": _shown_to(user, tasks.filter(is_done=False, at__lt=start)[:MY_DAY_LIMIT]),
        "meetings": _shown_to(user, meetings.filter(at__gte=start, at__lt=end)[:MY_DAY_LIMIT]),
        "tasks": _shown_to(user, tasks.filter(at__gte=start, at__lt=end)[:MY_DAY_LIMIT]),
        "upcoming": _shown_to(
            user,
            base.filter(
                mine_or_attending,
                kind__in=[Activity.Kind.TASK, Activity.Kind.MEETING],
                is_done=False,
                at__gte=end,
                at__lt=end + datetime.timedelta(days=7),
            )[:MY_DAY_LIMIT],
        ),
        "reminders": list(
            Notification.objects.filter(user_id=user.pk, read_at__isnull=True).order_by(
                "-created_at"
            )[:10]
        ),
    }


# --- timeline (S2) --------------------------------------------------------------------------


@dataclass
class ChangeRow:
    label: str
    old: Any
    new: Any


@dataclass(frozen=True)
class TimelineCursor:
    """Where a timeline page ended: the last item's time, source and id."""

    ACTIVITY: ClassVar[int] = 1
    CHANGE: ClassVar[int] = 0

    at: datetime.datetime
    rank: int
    pk: int

    def isoformat(self) -> str:
        """The URL form (templates call it as they would on a datetime)."""
        return f"{self.at.isoformat()}~{self.rank}~{self.pk}"

    @classmethod
    def parse(cls, raw: str) -> TimelineCursor | None:
        from django.utils.dateparse import parse_datetime

        parts = raw.replace(" ", "+").split("~")
        if len(parts) == 1:  # a bare time: everything strictly before it
            at = parse_datetime(parts[0])
            return cls(at=at, rank=cls.CHANGE, pk=0) if at is not None else None
        if len(parts) != 3 or parts[1] not in ("0", "1") or not parts[2].isdigit():
            return None
        at = parse_datetime(parts[0])
        return cls(at=at, rank=int(parts[1]), pk=int(parts[2])) if at is not None else None


@dataclass
class TimelineItem:
    """One line of the client card's timeline: an activity or a recorded change."""

    at: datetime.datetime
    kind: str
    activity: Activity | None = None
    entry: AuditEntry | None = None
    changes: list[Any] = field(default_factory=list)
    is_hidden: bool = False

    @property
    def sort_key(self) -> tuple[datetime.datetime, int, int]:
        if self.activity is not None:
            return (self.at, TimelineCursor.ACTIVITY, self.activity.pk)
        assert self.entry is not None
        return (self.at, TimelineCursor.CHANGE, self.entry.pk)

    @property
    def cursor(self) -> TimelineCursor:
        at, rank, pk = self.sort_key
        return TimelineCursor(at=at, rank=rank, pk=pk)


@dataclass
class TimelinePage:
    items: list[TimelineItem]
    next_cursor: TimelineCursor | None


def _field_label(object_type: str, name: str) -> str:
    object_type_info = OBJECT_TYPES.get(object_type)
    if object_type_info is None:
        return name
    try:
        model_field = object_type_info.model._meta.get_field(name.removesuffix("_id"))
    except Exception:
        return name.replace("_", " ")
    return str(getattr(model_field, "verbose_name", name))


def _change_rows(entry: AuditEntry, limit: int = 6) -> list[ChangeRow]:
    rows = []
    for name, values in list((entry.changes or {}).items())[:limit]:
        old, new = ([*values, None, None])[:2] if isinstance(values, list) else (None, values)
        rows.append(ChangeRow(label=_field_label(entry.object_type, name), old=old, new=new))
    return rows


def _describe(user: Any, obj: Company | Contact, entries: list[AuditEntry]) -> list[Any]:
    """Field labels and names for the changes, and which related records the viewer may not
    see (their details are hidden): accord.core.history does this for the History tab too."""
    try:
        from accord.core.history import describe
    except ImportError:  # pragma: no cover - history.py is another part's module
        return [
            _FallbackDescription(rows=_change_rows(entry), is_hidden=False) for entry in entries
        ]
    return list(describe(user, obj, entries))


@dataclass
class _FallbackDescription:
    rows: list[ChangeRow]
    is_hidden: bool


def _merge(
    activities: list[Activity],
    entries: list[AuditEntry],
    descriptions: list[Any],
    limit: int,
) -> TimelinePage:
    items = [TimelineItem(at=a.at, kind=a.kind, activity=a) for a in activities]
    items += [
        TimelineItem(
            at=e.timestamp,
            kind="change",
            entry=e,
            changes=list(d.rows),
            is_hidden=d.is_hidden,
        )
        for e, d in zip(entries, descriptions, strict=True)
    ]
    items.sort(key=lambda item: item.sort_key, reverse=True)
    page = items[:limit]
    has_more = len(items) > limit or len(activities) == limit or len(entries) == limit
    return TimelinePage(items=page, next_cursor=page[-1].cursor if page and has_more else None)


def _timeline(
    user: Any,
    obj: Company | Contact,
    activities: QuerySet[Activity],
    entries: QuerySet[AuditEntry],
    before: TimelineCursor | None,
    limit: int,
) -> TimelinePage:
    if before is not None:
        # Order is (time, activities before changes, id), all descending: rows sharing the
        # cursor's timestamp are split exactly, so nothing is skipped or shown twice.
        if before.rank == TimelineCursor.ACTIVITY:
            activities = activities.filter(Q(at__lt=before.at) | Q(at=before.at, id__lt=before.pk))
            entries = entries.filter(timestamp__lte=before.at)
        else:
            activities = activities.filter(at__lt=before.at)
            entries = entries.filter(
                Q(timestamp__lt=before.at) | Q(timestamp=before.at, id__lt=before.pk)
            )
    activity_rows = list(
        activities.select_related("owner")
        .prefetch_related(Prefetch("contacts", queryset=Contact.objects.only("pk", "full_name")))
        .order_by("-at", "-id")[:limit]
    )
    entry_rows = list(
        # An activity's creation is the activity itself on the timeline: don't show it twice.
        entries.exclude(object_type="activity", action=AuditEntry.Kind.CREATE).order_by(
            "-timestamp", "-id"
        )[:limit]
    )
    return _merge(activity_rows, entry_rows, _describe(user, obj, entry_rows), limit)


def timeline_for_company(
    user: User,
    company: Company,
    *,
    before: TimelineCursor | None = None,
    limit: int = TIMELINE_LIMIT,
) -> TimelinePage:
    """The client card's single stream (S2), newest first: the company's activities the user
    may see, and every recorded change to the company or to records related to it. Three
    queries a page (activities, their contacts, changes) whatever the page size."""
    entries = AuditEntry.objects.filter(
        Q(object_type="company", object_id=company.pk)
        | Q(related_type="company", related_id=company.pk)
    )
    return _timeline(
        user, company, activities_visible_to(user).filter(company=company), entries, before, limit
    )


def timeline_for_contact(
    user: User,
    contact: Contact,
    *,
    before: TimelineCursor | None = None,
    limit: int = TIMELINE_LIMIT,
) -> TimelinePage:
    """A person's stream: activities they are linked to, and changes to their own record."""
    entries = AuditEntry.objects.filter(
        Q(object_type="contact", object_id=contact.pk)
        | Q(related_type="contact", related_id=contact.pk)
    )
    return _timeline(
        user, contact, activities_visible_to(user).filter(contacts=contact), entries, before, limit
    )


# --- activity per manager (M3) --------------------------------------------------------------


@dataclass
class ManagerActivity:
    owner: str
    calls: int
    meetings: int
    tasks_done: int
    notes: int
    emails: int


def team_activity(
    user: Any, *, days: int = 7, now: datetime.datetime | None = None
) -> list[ManagerActivity] | None:
    """Calls, meetings, finished tasks, notes and e-mails per manager over the last days: the
    head of sales' control of activity (M3). None for users who don't see everyone's work."""
    from django.db.models import Count

    from accord.core.permissions import Scope, user_scope

    if user_scope(user, "activity", Action.VIEW) != Scope.ALL:
        return None
    end = now or timezone.now()
    counted = (
        activities_visible_to(user)
        .filter(at__gte=end - datetime.timedelta(days=days), at__lte=end)
        .values("owner")
        .annotate(
            calls=Count("id", filter=Q(kind=Activity.Kind.CALL)),
            meetings=Count("id", filter=Q(kind=Activity.Kind.MEETING)),
            tasks_done=Count("id", filter=Q(kind=Activity.Kind.TASK, is_done=True)),
            notes=Count("id", filter=Q(kind=Activity.Kind.NOTE)),
            emails=Count("id", filter=Q(kind=Activity.Kind.EMAIL)),
        )
        .order_by("-calls", "-meetings", "owner")
    )
    rows = list(counted[:50])
    names = {u.pk: str(u) for u in User.objects.filter(pk__in=[r["owner"] for r in rows])}
    return [
        ManagerActivity(
            owner=names.get(r["owner"], "?"),
            calls=r["calls"],
            meetings=r["meetings"],
            tasks_done=r["tasks_done"],
            notes=r["notes"],
            emails=r["emails"],
        )
        for r in rows
    ]
