"""The service reports (issue 5 item 9): volume by channel and by category, first-response
and resolution times, SLA compliance, backlog age and satisfaction. Each takes the viewer
and a ServiceFilter and returns an ``accord.analytics.results.Report`` (columns, rows of raw
values, a chart), so the page, the CSV export and the API share one computation.

Counts are SQL aggregates over ``cases_visible_to``; the percentiles of the time reports are
computed in Python over one column of durations fetched for the period (the database gives
no portable percentile function)."""

from __future__ import annotations

import datetime
import math
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accord.analytics.results import Chart, Column, Kind, Report, Series, percent
from accord.core.models import User
from accord.core.permissions import Action
from accord.service.models import Case, Category, Queue
from accord.servicereports.filters import ServiceFilter
from accord.servicereports.scoping import created_in, scoped_cases

HOURS = Kind.DAYS  # one decimal, like days in the sales reports
WEEKLY_UP_TO_DAYS = 62
BACKLOG_BUCKETS: list[tuple[str, Any, int, int | None]] = [
    ("age_0_1", _("Under 1 day"), 0, 1),
    ("age_1_3", _("1–3 days"), 1, 3),
    ("age_3_7", _("3–7 days"), 3, 7),
    ("age_7_30", _("7–30 days"), 7, 30),
    ("age_30", _("Over 30 days"), 30, None),
]
NO_QUEUE = pgettext_lazy("service report", "No queue")
NO_CATEGORY = pgettext_lazy("service report", "No category")
TOTAL = pgettext_lazy("service report", "Total")


def _name(obj: Any) -> str:
    """A TranslatedName (queue, category) in the reader's language."""
    language = (translation.get_language() or "en")[:2]
    if language != "en":
        localised = getattr(obj, f"name_{language}", "")
        if localised:
            return str(localised)
    return str(obj.name)


def _weekly(report_filter: ServiceFilter) -> bool:
    return (report_filter.end - report_filter.start).days < WEEKLY_UP_TO_DAYS


def _buckets(report_filter: ServiceFilter) -> list[datetime.date]:
    """Every week (Monday) or month (1st) the period touches, so empty ones show as 0."""
    result: list[datetime.date] = []
    if _weekly(report_filter):
        day = report_filter.start - datetime.timedelta(days=report_filter.start.weekday())
        while day <= report_filter.end:
            result.append(day)
            day += datetime.timedelta(days=7)
    else:
        day = report_filter.start.replace(day=1)
        while day <= report_filter.end:
            result.append(day)
            day = (day + datetime.timedelta(days=32)).replace(day=1)
    return result


def _as_date(value: Any, tz: datetime.tzinfo) -> datetime.date:
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = value.astimezone(tz)
        return value.date()
    return value  # type: ignore[no-any-return]


def _volume(
    user: User,
    report_filter: ServiceFilter,
    action: str,
    *,
    slug: str,
    title: Any,
    field: str,
    labels: list[tuple[Any, str]],
) -> Report:
    """Cases opened per week or month, split by ``field``; ``labels`` are (key, name)."""
    trunc = TruncWeek if _weekly(report_filter) else TruncMonth
    cases = scoped_cases(user, report_filter, action).filter(created_in(report_filter))
    counts: dict[tuple[datetime.date, Any], int] = {}
    for bucket, key, n in (
        cases.annotate(bucket=trunc("created_at", tzinfo=report_filter.tz))
        .values("bucket", field)
        .annotate(n=Count("pk"))
        .values_list("bucket", field, "n")
    ):
        counts[(_as_date(bucket, report_filter.tz), key)] = n
    buckets = _buckets(report_filter)
    used = [(key, name) for key, name in labels if any(k[1] == key for k in counts)]
    columns = [
        Column(
            "period",
            _("Week of") if _weekly(report_filter) else _("Month"),
            Kind.DATE if _weekly(report_filter) else Kind.MONTH,
        ),
        *[Column(f"c{index}", name, Kind.INT) for index, (_key, name) in enumerate(used)],
        Column("total", TOTAL, Kind.INT),
    ]
    rows = []
    for bucket in buckets:
        row: dict[str, Any] = {"period": bucket}
        for index, key in enumerate(k for k, _label in used):
            row[f"c{index}"] = counts.get((bucket, key), 0)
        row["total"] = sum(n for (b, _k), n in counts.items() if b == bucket)
        rows.append(row)
    total = sum(counts.values())
    chart = Chart(
        kind="stacked",
        labels=[row["period"] for row in rows],
        series=[
            Series(name, [row[f"c{index}"] for row in rows])
            for index, (_key, name) in enumerate(used)
        ],
        value_kind=Kind.INT,
        y_title=_("Cases"),
    )
    return Report(
        slug=slug,
        title=title,
        columns=columns,
        rows=rows if total else [],
        chart=chart,
        note=_(
            "Cases opened in the period, per week for periods under two months, else per month."
        ),
        summary=[(_("Cases opened"), total, Kind.INT, "")],
    )


def volume_by_channel(
    user: User, report_filter: ServiceFilter, action: str = Action.VIEW
) -> Report:
    labels = [(value, str(label)) for value, label in Case.Channel.choices]
    return _volume(
        user,
        report_filter,
        action,
        slug="volume-channel",
        title=REPORT_TITLES["volume-channel"],
        field="channel",
        labels=labels,
    )


def volume_by_category(
    user: User, report_filter: ServiceFilter, action: str = Action.VIEW
) -> Report:
    labels: list[tuple[Any, str]] = [(c.pk, _name(c)) for c in Category.objects.all()]
    labels.append((None, str(NO_CATEGORY)))
    return _volume(
        user,
        report_filter,
        action,
        slug="volume-category",
        title=REPORT_TITLES["volume-category"],
        field="category_id",
        labels=labels,
    )


def quantile(sorted_values: list[float], q: float) -> float | None:
    """The q-quantile by linear interpolation between closest ranks (as numpy's default and
    PostgreSQL's percentile_cont); None for no values."""
    if not sorted_values:
        return None
    position = (len(sorted_values) - 1) * q
    lower = math.floor(position)
    upper = math.ceil(position)
    if lower == upper:
        return sorted_values[lower]
    return sorted_values[lower] + (sorted_values[upper] - sorted_values[lower]) * (position - lower)


def _hours(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.1"))


def _time_stats(durations: list[datetime.timedelta]) -> dict[str, Any]:
    hours = sorted(d.total_seconds() / 3600 for d in durations)
    return {
        "count": len(hours),
        "median": _hours(quantile(hours, 0.5)),
        "p90": _hours(quantile(hours, 0.9)),
        "average": _hours(sum(hours) / len(hours)) if hours else None,
    }


def response_times(user: User, report_filter: ServiceFilter, action: str = Action.VIEW) -> Report:
    """First-response and resolution times of the cases opened in the period (elapsed
    hours, not business hours), per queue and in total."""
    cases = scoped_cases(user, report_filter, action).filter(created_in(report_filter))
    first = ExpressionWrapper(
        F("first_responded_at") - F("created_at"), output_field=DurationField()
    )
    resolve = ExpressionWrapper(F("resolved_at") - F("created_at"), output_field=DurationField())
    first_rows = (
        cases.filter(first_responded_at__isnull=False)
        .annotate(d=first)
        .values_list("queue_id", "d")
    )
    resolve_rows = (
        cases.filter(resolved_at__isnull=False).annotate(d=resolve).values_list("queue_id", "d")
    )
    per_queue: dict[Any, dict[str, list[datetime.timedelta]]] = defaultdict(
        lambda: {"first": [], "resolve": []}
    )
    for queue_id, duration in first_rows:
        per_queue[queue_id]["first"].append(duration)
    for queue_id, duration in resolve_rows:
        per_queue[queue_id]["resolve"].append(duration)
    queues = {q.pk: q for q in Queue.objects.filter(pk__in=[k for k in per_queue if k])}

    def row(name: Any, values: dict[str, list[datetime.timedelta]]) -> dict[str, Any]:
        f, r = _time_stats(values["first"]), _time_stats(values["resolve"])
        return {
            "queue": name,
            "first_count": f["count"],
            "first_median": f["median"],
            "first_p90": f["p90"],
            "resolve_count": r["count"],
            "resolve_median": r["median"],
            "resolve_p90": r["p90"],
        }

    ordered = sorted(
        per_queue, key=lambda k: (k is None, getattr(queues.get(k), "position", 0), k or 0)
    )
    rows = [row(_name(queues[k]) if k in queues else NO_QUEUE, per_queue[k]) for k in ordered]
    everything = {
        "first": [d for v in per_queue.values() for d in v["first"]],
        "resolve": [d for v in per_queue.values() for d in v["resolve"]],
    }
    total = row(TOTAL, everything)
    if rows:
        rows.append(total)
    columns = [
        Column("queue", _("Queue")),
        Column("first_count", _("Answered"), Kind.INT),
        Column("first_median", _("First response, median (h)"), HOURS),
        Column("first_p90", _("First response, 90th percentile (h)"), HOURS),
        Column("resolve_count", _("Resolved"), Kind.INT),
        Column("resolve_median", _("Resolution, median (h)"), HOURS),
        Column("resolve_p90", _("Resolution, 90th percentile (h)"), HOURS),
    ]
    chart_rows = rows[:-1]
    chart = Chart(
        kind="hbar",
        labels=[r["queue"] for r in chart_rows],
        series=[
            Series(_("First response, median (h)"), [r["first_median"] for r in chart_rows]),
            Series(_("Resolution, median (h)"), [r["resolve_median"] for r in chart_rows]),
        ],
        value_kind=HOURS,
    )
    return Report(
        slug="times",
        title=REPORT_TITLES["times"],
        columns=columns,
        rows=rows,
        chart=chart,
        note=_(
            "Cases opened in the period. Hours are elapsed time from opening; SLA targets count "
            "business hours (see SLA compliance)."
        ),
        summary=[
            (_("First response, median (h)"), total["first_median"], HOURS, ""),
            (_("First response, 90th percentile (h)"), total["first_p90"], HOURS, ""),
            (_("Resolution, median (h)"), total["resolve_median"], HOURS, ""),
            (_("Resolution, 90th percentile (h)"), total["resolve_p90"], HOURS, ""),
        ],
    )


def sla_compliance(user: User, report_filter: ServiceFilter, action: str = Action.VIEW) -> Report:
    """Share of cases that met their targets, among the cases opened in the period that had
    a target, per queue and in total."""
    cases = scoped_cases(user, report_filter, action).filter(created_in(report_filter))
    grouped = (
        cases.values("queue_id")
        .annotate(
            first_targets=Count("pk", filter=Q(first_response_due_at__isnull=False)),
            first_met=Count(
                "pk", filter=Q(first_response_due_at__isnull=False, first_response_breached=False)
            ),
            resolve_targets=Count("pk", filter=Q(resolution_due_at__isnull=False)),
            resolve_met=Count(
                "pk", filter=Q(resolution_due_at__isnull=False, resolution_breached=False)
            ),
        )
        .order_by()
    )
    data = {
        row["queue_id"]: row for row in grouped if row["first_targets"] or row["resolve_targets"]
    }
    queues = {q.pk: q for q in Queue.objects.filter(pk__in=[k for k in data if k])}
    ordered = sorted(data, key=lambda k: (k is None, getattr(queues.get(k), "position", 0), k or 0))

    def row(name: Any, values: dict[str, int]) -> dict[str, Any]:
        return {
            "queue": name,
            "first_targets": values["first_targets"],
            "first_met": values["first_met"],
            "first_rate": percent(values["first_met"], values["first_targets"]),
            "resolve_targets": values["resolve_targets"],
            "resolve_met": values["resolve_met"],
            "resolve_rate": percent(values["resolve_met"], values["resolve_targets"]),
        }

    rows = [row(_name(queues[k]) if k in queues else NO_QUEUE, data[k]) for k in ordered]
    keys = ("first_targets", "first_met", "resolve_targets", "resolve_met")
    total = row(TOTAL, {key: sum(data[k][key] for k in data) for key in keys})
    chart_rows = list(rows)
    if rows:
        rows.append(total)
    return Report(
        slug="sla",
        title=REPORT_TITLES["sla"],
        columns=[
            Column("queue", _("Queue")),
            Column("first_targets", _("With a first-response target"), Kind.INT),
            Column("first_met", _("First response in time"), Kind.INT),
            Column("first_rate", _("First response compliance"), Kind.PERCENT),
            Column("resolve_targets", _("With a resolution target"), Kind.INT),
            Column("resolve_met", _("Resolution in time"), Kind.INT),
            Column("resolve_rate", _("Resolution compliance"), Kind.PERCENT),
        ],
        rows=rows,
        chart=Chart(
            kind="hbar",
            labels=[r["queue"] for r in chart_rows],
            series=[
                Series(_("First response compliance"), [r["first_rate"] for r in chart_rows]),
                Series(_("Resolution compliance"), [r["resolve_rate"] for r in chart_rows]),
            ],
            value_kind=Kind.PERCENT,
        ),
        note=_(
            "Cases opened in the period that had an SLA target; a case counts as in time until "
            "its target is breached."
        ),
        summary=[
            (_("First response compliance"), total["first_rate"], Kind.PERCENT, ""),
            (_("Resolution compliance"), total["resolve_rate"], Kind.PERCENT, ""),
        ],
    )


def backlog_age(user: User, report_filter: ServiceFilter, action: str = Action.VIEW) -> Report:
    """Open cases now, by how long they have been open, per queue (the period does not
    apply: the backlog is today's)."""
    now = timezone.now()
    cases = scoped_cases(user, report_filter, action).filter(status__in=Case.OPEN_STATUSES)
    aggregates: dict[str, Any] = {}
    for key, _label, low, high in BACKLOG_BUCKETS:
        condition = Q(created_at__lte=now - datetime.timedelta(days=low))
        if high is not None:
            condition &= Q(created_at__gt=now - datetime.timedelta(days=high))
        aggregates[key] = Count("pk", filter=condition)
    aggregates["total"] = Count("pk")
    data = {
        row["queue_id"]: row for row in cases.values("queue_id").annotate(**aggregates).order_by()
    }
    queues = {q.pk: q for q in Queue.objects.filter(pk__in=[k for k in data if k])}
    ordered = sorted(data, key=lambda k: (k is None, getattr(queues.get(k), "position", 0), k or 0))
    bucket_keys = [key for key, *_rest in BACKLOG_BUCKETS]
    rows = [
        {
            "queue": _name(queues[k]) if k in queues else NO_QUEUE,
            **{b: data[k][b] for b in [*bucket_keys, "total"]},
        }
        for k in ordered
    ]
    chart_rows = list(rows)
    if rows:
        rows.append(
            {"queue": TOTAL, **{b: sum(data[k][b] for k in data) for b in [*bucket_keys, "total"]}}
        )
    total = rows[-1]["total"] if rows else 0
    older = rows[-1]["age_7_30"] + rows[-1]["age_30"] if rows else 0
    return Report(
        slug="backlog",
        title=REPORT_TITLES["backlog"],
        columns=[
            Column("queue", _("Queue")),
            *[Column(key, label, Kind.INT) for key, label, _low, _high in BACKLOG_BUCKETS],
            Column("total", TOTAL, Kind.INT),
        ],
        rows=rows,
        chart=Chart(
            kind="stacked",
            labels=[r["queue"] for r in chart_rows],
            series=[
                Series(label, [r[key] for r in chart_rows])
                for key, label, _l, _h in BACKLOG_BUCKETS
            ],
            value_kind=Kind.INT,
            y_title=_("Open cases"),
        ),
        note=_(
            "Cases open now (new, in progress, waiting for the client), by age; the period does not apply."
        ),
        summary=[
            (_("Open cases"), total, Kind.INT, ""),
            (_("Open for over 7 days"), older, Kind.INT, ""),
        ],
    )


def satisfaction(user: User, report_filter: ServiceFilter, action: str = Action.VIEW) -> Report:
    """Survey results per month (details on the feedback results page)."""
    from accord.feedback.results import feedback_results

    data = feedback_results(user, report_filter)
    rows = [
        {
            "month": row["month"],
            "sent": row["sent"],
            "answered": row["answered"],
            "response_rate": row["response_rate"],
            "average": row["average"],
            "low": row["low"],
        }
        for row in data.per_month
    ]
    return Report(
        slug="satisfaction",
        title=REPORT_TITLES["satisfaction"],
        columns=[
            Column("month", _("Month"), Kind.MONTH),
            Column("sent", _("Surveys sent"), Kind.INT),
            Column("answered", _("Answers"), Kind.INT),
            Column("response_rate", _("Response rate"), Kind.PERCENT),
            Column("average", _("Average score"), Kind.DAYS),
            Column("low", _("Low scores"), Kind.INT),
        ],
        rows=rows,
        chart=Chart(
            kind="bar",
            labels=[r["month"] for r in rows],
            series=[Series(_("Average score"), [r["average"] for r in rows])],
            value_kind=Kind.DAYS,
        ),
        note=_("Surveys sent in the period after resolved cases and completed orders."),
        summary=[
            (_("Average score"), data.average, Kind.DAYS, ""),
            (_("Response rate"), data.response_rate, Kind.PERCENT, ""),
            (_("Complaints"), data.complaints, Kind.INT, ""),
            (_("Refusals"), data.refusals, Kind.INT, ""),
        ],
    )


REPORT_TITLES: dict[str, Any] = {
    "volume-channel": _("Cases by channel"),
    "volume-category": _("Cases by category"),
    "times": _("First-response and resolution times"),
    "sla": _("SLA compliance"),
    "backlog": _("Backlog age"),
    "satisfaction": _("Client satisfaction"),
}

REPORTS: dict[str, Callable[[User, ServiceFilter, str], Report]] = {
    "volume-channel": volume_by_channel,
    "volume-category": volume_by_category,
    "times": response_times,
    "sla": sla_compliance,
    "backlog": backlog_age,
    "satisfaction": satisfaction,
}


def run_report(
    slug: str, user: User, report_filter: ServiceFilter, action: str = Action.VIEW
) -> Report:
    return REPORTS[slug](user, report_filter, action)
