"""SLA compliance: the share of cases that met their first-response and resolution targets,
per period (week or month), queue, priority, agent or policy.

A target counts once it is decided: first response when the first reply was sent or the
target was missed; resolution when the case is resolved (or closed) or the target was missed.
Cases still inside their targets are not counted yet. Only cases the reader may see count,
grouped and counted in SQL (no rows loaded), by the opening date of the case.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accord.service.models import Case
from accord.sla.models import Priority, SlaPolicy

GROUPS = {
    "month": gettext_lazy("Month"),
    "week": gettext_lazy("Week"),
    "queue": gettext_lazy("Queue"),
    "priority": gettext_lazy("Priority"),
    "agent": gettext_lazy("Agent"),
    "policy": gettext_lazy("Policy"),
}
CLOSED = (Case.Status.RESOLVED, Case.Status.CLOSED)
FIRST_MET = Q(first_responded_at__isnull=False, first_response_breached=False)
RESOLUTION_MET = Q(status__in=CLOSED, resolution_breached=False)


def _decided(now: datetime.datetime) -> tuple[Q, Q]:
    """When each target counts: met, flagged as missed, or past due without the periodic
    check having flagged it yet (the report does not wait for the job)."""
    first = (
        Q(first_responded_at__isnull=False)
        | Q(first_response_breached=True)
        | Q(first_response_due_at__lt=now, status__in=Case.OPEN_STATUSES)
    )
    resolution = (
        Q(status__in=CLOSED)
        | Q(resolution_breached=True)
        | Q(resolution_due_at__lt=now, sla_paused_at__isnull=True)
    )
    return first, resolution


@dataclass(frozen=True)
class ComplianceRow:
    key: Any
    label: str
    cases: int
    first_met: int
    first_total: int
    resolution_met: int
    resolution_total: int

    @property
    def first_percent(self) -> Decimal | None:
        return percent(self.first_met, self.first_total)

    @property
    def resolution_percent(self) -> Decimal | None:
        return percent(self.resolution_met, self.resolution_total)


def percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(100) * part / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def compliance(
    cases: QuerySet[Case],
    *,
    group: str,
    start: datetime.date,
    end: datetime.date,
    time_zone: str,
    now: datetime.datetime | None = None,
) -> list[ComplianceRow]:
    """Rows of the report: ``cases`` is already scoped to the reader; dates are inclusive, in
    the reader's time zone."""
    tz = ZoneInfo(time_zone)
    since = datetime.datetime.combine(start, datetime.time(0), tzinfo=tz)
    until = datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time(0), tzinfo=tz)
    base = cases.filter(
        sla_policy__isnull=False,
        merged_into__isnull=True,  # a merged duplicate is counted in the case it joined
        created_at__gte=since,
        created_at__lt=until,
    )
    if group in ("month", "week"):
        trunc = TruncMonth if group == "month" else TruncWeek
        base = base.annotate(bucket=trunc("created_at", tzinfo=tz))
        key_field = "bucket"
    else:
        key_field = {
            "queue": "queue_id",
            "priority": "priority",
            "agent": "owner_id",
            "policy": "sla_policy_id",
        }[group]
    first_decided, resolution_decided = _decided(now or timezone.now())
    rows = (
        base.order_by()
        .values(key_field)
        .annotate(
            cases=Count("pk"),
            first_total=Count("pk", filter=first_decided),
            first_met=Count("pk", filter=FIRST_MET),
            resolution_total=Count("pk", filter=resolution_decided),
            resolution_met=Count("pk", filter=RESOLUTION_MET),
        )
        .order_by(key_field)
    )
    data = list(rows)
    labels = _labels(group, [row[key_field] for row in data])
    result = [
        ComplianceRow(
            key=row[key_field],
            label=labels.get(row[key_field], "") or str(_("(none)")),
            cases=row["cases"],
            first_met=row["first_met"],
            first_total=row["first_total"],
            resolution_met=row["resolution_met"],
            resolution_total=row["resolution_total"],
        )
        for row in data
    ]
    if group == "priority":
        order = {p: i for i, p in enumerate(reversed(Priority.values))}
        result.sort(key=lambda r: order.get(r.key, 99))
    elif group not in ("month", "week"):
        result.sort(key=lambda r: r.label.lower())
    return result


def _labels(group: str, keys: list[Any]) -> dict[Any, str]:
    """Names for the group keys: one query for the named ones, none for the rest."""
    from accord.core.models import User
    from accord.service.models import Queue

    ids = [k for k in keys if k is not None]
    if group == "month":
        return {k: formats.date_format(k, "YEAR_MONTH_FORMAT") for k in ids}
    if group == "week":
        return {
            k: _("week of %(date)s") % {"date": formats.date_format(k, "SHORT_DATE_FORMAT")}
            for k in ids
        }
    if group == "priority":
        return {k: str(Priority(k).label) for k in ids if k in Priority.values}
    if group == "queue":
        return {q.pk: q.localized_name() for q in Queue.objects.filter(pk__in=ids)}
    if group == "agent":
        return {u.pk: str(u) for u in User.objects.filter(pk__in=ids)}
    if group == "policy":
        return {p.pk: p.localized_name() for p in SlaPolicy.objects.filter(pk__in=ids)}
    return {}


def totals(rows: list[ComplianceRow]) -> ComplianceRow:
    return ComplianceRow(
        key=None,
        label=str(_("Total")),
        cases=sum(r.cases for r in rows),
        first_met=sum(r.first_met for r in rows),
        first_total=sum(r.first_total for r in rows),
        resolution_met=sum(r.resolution_met for r in rows),
        resolution_total=sum(r.resolution_total for r in rows),
    )


def csv_rows(rows: list[ComplianceRow], group: str) -> Iterator[list[Any]]:
    yield [
        str(GROUPS[group]),
        _("Cases"),
        _("First response met"),
        _("First response decided"),
        _("First response met, %"),
        _("Resolution met"),
        _("Resolution decided"),
        _("Resolution met, %"),
    ]
    for row in [*rows, totals(rows)]:
        yield [
            row.label,
            row.cases,
            row.first_met,
            row.first_total,
            row.first_percent,
            row.resolution_met,
            row.resolution_total,
            row.resolution_percent,
        ]
