"""Deal reports (M1): pipeline value, weighted forecast, win rate, sales cycle, funnel."""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, TruncMonth
from django.utils.translation import gettext as _

from accord.analytics.filters import ReportFilter
from accord.analytics.results import Chart, Column, Kind, Report, Series, money, percent
from accord.analytics.scoping import (
    OWNER_FIELDS,
    WEIGHTED,
    closed_in,
    created_in,
    currencies,
    localized,
    person,
    scoped_deals,
    translated_fields,
)
from accord.core.models import User
from accord.core.permissions import Action
from accord.sales.models import Pipeline, Stage, StageChange

# --- pipeline value by stage ----------------------------------------------------------------


def pipeline_report(user: User, report_filter: ReportFilter, action: str = Action.VIEW) -> Report:
    """Open deals now, per stage and currency: count, amount, amount weighted by the stage's
    probability. A snapshot: the period does not apply (an open deal has no period yet)."""
    stage_fields = (
        "stage_id",
        "stage__position",
        "pipeline_id",
        "pipeline__position",
        *(f"stage__{f}" for f in translated_fields("name")),
        *(f"pipeline__{f}" for f in translated_fields("name")),
    )
    groups = list(
        scoped_deals(user, report_filter, action)
        .filter(is_closed=False)
        .values(*stage_fields, "currency")
        .annotate(
            deals=Count("id"),
            amount_sum=Sum("amount"),
            weighted=Sum(
                ExpressionWrapper(F("amount") * F("stage__probability"), output_field=WEIGHTED)
            ),
        )
        .order_by("pipeline__position", "pipeline_id", "stage__position", "stage_id", "currency")
    )
    several_pipelines = len({g["pipeline_id"] for g in groups}) > 1
    rows: list[dict[str, Any]] = []
    for group in groups:
        stage = localized(group, "stage__name")
        if several_pipelines:
            stage = f"{localized(group, 'pipeline__name')} · {stage}"
        rows.append(
            {
                "stage": stage,
                "currency": group["currency"],
                "deals": group["deals"],
                "amount": money(group["amount_sum"]),
                "weighted": money(money(group["weighted"]) / 100),
            }
        )
    labels = list(dict.fromkeys(row["stage"] for row in rows))
    series = []
    for currency in currencies(rows):
        by_stage = {r["stage"]: r["amount"] for r in rows if r["currency"] == currency}
        series.append(Series(currency, [by_stage.get(label) for label in labels]))
    summary = [
        (_("Open deals"), sum(r["deals"] for r in rows), Kind.INT, ""),
        *(
            (_("Weighted"), sum(r["weighted"] for r in rows if r["currency"] == c), Kind.MONEY, c)
            for c in currencies(rows)
        ),
    ]
    return Report(
        slug="pipeline",
        title=_("Pipeline value by stage"),
        columns=[
            Column("stage", _("Stage")),
            Column("currency", _("Currency"), Kind.CURRENCY),
            Column("deals", _("Open deals"), Kind.INT),
            Column("amount", _("Amount"), Kind.MONEY),
            Column("weighted", _("Weighted amount"), Kind.MONEY),
        ],
        rows=rows,
        chart=Chart("hbar", labels, series, Kind.MONEY, y_title=_("Amount")),
        note=_("Deals open today; the period does not apply."),
        summary=summary,
    )


# --- weighted forecast ----------------------------------------------------------------------


def _months(report_filter: ReportFilter) -> list[datetime.date]:
    months = []
    month = report_filter.start.replace(day=1)
    while month <= report_filter.end:
        months.append(month)
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return months


def _as_date(value: Any) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    return value  # type: ignore[no-any-return]


def forecast_report(user: User, report_filter: ReportFilter, action: str = Action.VIEW) -> Report:
    """Per month of the period: open deals expected to close that month, their amount and
    their weighted amount (amount × stage probability), beside the amount actually won in
    that month. Per currency."""
    deals = scoped_deals(user, report_filter, action)
    expected = (
        deals.filter(
            is_closed=False,
            expected_close__gte=report_filter.start,
            expected_close__lte=report_filter.end,
        )
        .annotate(month=TruncMonth("expected_close"))
        .values("month", "currency")
        .annotate(
            deals=Count("id"),
            amount_sum=Sum("amount"),
            weighted=Sum(
                ExpressionWrapper(F("amount") * F("stage__probability"), output_field=WEIGHTED)
            ),
        )
    )
    won = (
        deals.filter(closed_in(report_filter), is_won=True)
        .annotate(month=TruncMonth("closed_at", tzinfo=report_filter.tz))
        .values("month", "currency")
        .annotate(won=Sum("amount"), won_deals=Count("id"))
    )
    cells: dict[tuple[datetime.date, str], dict[str, Any]] = defaultdict(
        lambda: {
            "deals": 0,
            "amount": money(0),
            "weighted": money(0),
            "won_deals": 0,
            "won": money(0),
        }
    )
    for group in expected:
        cell = cells[(_as_date(group["month"]), group["currency"])]
        cell["deals"] = group["deals"]
        cell["amount"] = money(group["amount_sum"])
        cell["weighted"] = money(money(group["weighted"]) / 100)
    for group in won:
        cell = cells[(_as_date(group["month"]), group["currency"])]
        cell["won_deals"] = group["won_deals"]
        cell["won"] = money(group["won"])
    months = _months(report_filter)
    currencies = sorted({currency for _month, currency in cells})
    rows = [
        {"month": month, "currency": currency, **cells[(month, currency)]}
        for month in months
        for currency in currencies
        if (month, currency) in cells
    ]
    series = []
    for currency in currencies:
        series.append(
            Series(
                _("Weighted forecast, %(currency)s") % {"currency": currency},
                [
                    cells[(m, currency)]["weighted"] if (m, currency) in cells else None
                    for m in months
                ],
            )
        )
        series.append(
            Series(
                _("Won, %(currency)s") % {"currency": currency},
                [cells[(m, currency)]["won"] if (m, currency) in cells else None for m in months],
            )
        )
    summary = [
        (
            _("Weighted forecast"),
            sum(r["weighted"] for r in rows if r["currency"] == c),
            Kind.MONEY,
            c,
        )
        for c in currencies
    ]
    return Report(
        slug="forecast",
        title=_("Weighted forecast by month"),
        columns=[
            Column("month", _("Month"), Kind.MONTH),
            Column("currency", _("Currency"), Kind.CURRENCY),
            Column("deals", _("Open deals"), Kind.INT),
            Column("amount", _("Amount"), Kind.MONEY),
            Column("weighted", _("Weighted forecast"), Kind.MONEY),
            Column("won_deals", _("Deals won"), Kind.INT),
            Column("won", _("Won amount"), Kind.MONEY),
        ],
        rows=rows,
        chart=Chart("bar", list(months), series, Kind.MONEY, x_title=_("Month")),
        note=_(
            "Open deals by expected close date; won deals by the date they were won. "
            "Open deals without an expected close date are not in the forecast."
        ),
        summary=summary,
    )


# --- win rate -------------------------------------------------------------------------------


def win_rate_report(user: User, report_filter: ReportFilter, action: str = Action.VIEW) -> Report:
    """Won / (won + lost) among deals closed in the period, by count and by amount, per
    manager and currency, with an "all managers" row per currency."""
    groups = list(
        scoped_deals(user, report_filter, action)
        .filter(closed_in(report_filter))
        .values(*OWNER_FIELDS, "currency")
        .annotate(
            won=Count("id", filter=Q(is_won=True)),
            lost=Count("id", filter=Q(is_won=False)),
            won_amount=Sum("amount", filter=Q(is_won=True)),
            lost_amount=Sum("amount", filter=Q(is_won=False)),
        )
        .order_by("owner__first_name", "owner__last_name", "owner_id", "currency")
    )
    totals: dict[str, dict[str, Any]] = {}
    rows = []
    for group in groups:
        row = {
            "manager": person(group),
            "currency": group["currency"],
            "won": group["won"],
            "lost": group["lost"],
            "won_amount": money(group["won_amount"]),
            "lost_amount": money(group["lost_amount"]),
        }
        rows.append(row)
        total = totals.setdefault(
            group["currency"],
            {
                "manager": _("All managers"),
                "currency": group["currency"],
                "won": 0,
                "lost": 0,
                "won_amount": money(0),
                "lost_amount": money(0),
            },
        )
        for key in ("won", "lost", "won_amount", "lost_amount"):
            total[key] += row[key]
    all_rows = [totals[c] for c in sorted(totals)] + rows
    for row in all_rows:
        row["rate"] = percent(row["won"], row["won"] + row["lost"])
        row["amount_rate"] = percent(row["won_amount"], row["won_amount"] + row["lost_amount"])
    won_count = sum(t["won"] for t in totals.values())
    closed_count = won_count + sum(t["lost"] for t in totals.values())
    managers = list(dict.fromkeys(row["manager"] for row in rows))
    by_manager: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        by_manager[row["manager"]][0] += row["won"]
        by_manager[row["manager"]][1] += row["won"] + row["lost"]
    chart = Chart(
        "hbar",
        managers,
        [Series(_("Win rate by count, %"), [percent(*by_manager[m]) for m in managers])],
        Kind.PERCENT,
    )
    return Report(
        slug="win-rate",
        title=_("Win rate"),
        columns=[
            Column("manager", _("Manager")),
            Column("currency", _("Currency"), Kind.CURRENCY),
            Column("won", _("Won"), Kind.INT),
            Column("lost", _("Lost"), Kind.INT),
            Column("rate", _("Win rate by count"), Kind.PERCENT),
            Column("won_amount", _("Won amount"), Kind.MONEY),
            Column("lost_amount", _("Lost amount"), Kind.MONEY),
            Column("amount_rate", _("Win rate by amount"), Kind.PERCENT),
        ],
        rows=all_rows,
        chart=chart,
        note=_("Deals closed (won or lost) in the period."),
        summary=[(_("Win rate"), percent(won_count, closed_count), Kind.PERCENT, "")],
    )


# --- sales cycle ----------------------------------------------------------------------------


def _days(duration: datetime.timedelta | None, count: int) -> Decimal | None:
    if duration is None or not count:
        return None
    return (Decimal(duration.total_seconds()) / 86400 / count).quantize(Decimal("0.1"))


def cycle_report(user: User, report_filter: ReportFilter, action: str = Action.VIEW) -> Report:
    """Average days from a deal's creation to its winning, for deals won in the period,
    overall and per manager (the overall figure averages deals, not managers)."""
    groups = list(
        scoped_deals(user, report_filter, action)
        .filter(closed_in(report_filter), is_won=True)
        .values(*OWNER_FIELDS)
        .annotate(
            deals=Count("id"),
            total=Sum(
                ExpressionWrapper(F("closed_at") - F("created_at"), output_field=DurationField())
            ),
        )
        .order_by("owner__first_name", "owner__last_name", "owner_id")
    )
    rows = [
        {"manager": person(g), "deals": g["deals"], "days": _days(g["total"], g["deals"])}
        for g in groups
    ]
    count = sum(g["deals"] for g in groups)
    total = sum((g["total"] for g in groups if g["total"] is not None), datetime.timedelta())
    overall = {"manager": _("All managers"), "deals": count, "days": _days(total, count)}
    chart = Chart(
        "hbar",
        [row["manager"] for row in rows],
        [Series(_("Average days to win"), [row["days"] for row in rows])],
        Kind.DAYS,
    )
    return Report(
        slug="cycle",
        title=_("Average sales cycle"),
        columns=[
            Column("manager", _("Manager")),
            Column("deals", _("Deals won"), Kind.INT),
            Column("days", _("Average days"), Kind.DAYS),
        ],
        rows=[overall, *rows],
        chart=chart,
        note=_("Days from the creation of a deal to its winning, for deals won in the period."),
        summary=[(_("Average days"), overall["days"], Kind.DAYS, "")],
    )


# --- stage conversion funnel ----------------------------------------------------------------


def funnel_pipeline(user: User, report_filter: ReportFilter) -> Pipeline | None:
    """The funnel needs one pipeline's stages: the filter's, else the default one."""
    if report_filter.pipeline is not None:
        return report_filter.pipeline
    return Pipeline.objects.filter(is_active=True).order_by("-is_default", "position", "id").first()


def funnel_report(user: User, report_filter: ReportFilter, action: str = Action.VIEW) -> Report:
    """Of the deals created in the period, how many got at least as far as each stage.

    A deal's furthest stage is the highest-placed stage (lost stages aside) among the stages
    it moved into (``StageChange.to_stage``) and its current stage; it counts for that stage
    and every stage before it, so a deal that skipped a stage still passed through it."""
    pipeline = funnel_pipeline(user, report_filter)
    columns = [
        Column("stage", _("Stage")),
        Column("deals", _("Deals that reached it"), Kind.INT),
        Column("of_first", _("Of all deals"), Kind.PERCENT),
        Column("conversion", _("Conversion from the previous stage"), Kind.PERCENT),
    ]
    if pipeline is None:
        return Report("funnel", _("Stage conversion funnel"), columns, [])
    stages = list(
        Stage.objects.filter(pipeline=pipeline)
        .exclude(kind=Stage.Kind.LOST)
        .order_by("position", "id")
        .values("id", "position", *translated_fields("name"))
    )
    moved_into = (
        StageChange.objects.filter(deal_id=OuterRef("pk"), to_stage__pipeline_id=pipeline.pk)
        .exclude(to_stage__kind=Stage.Kind.LOST)
        .order_by()
        .values("deal_id")
        .annotate(furthest=Max("to_stage__position"))
        .values("furthest")
    )
    furthest = Greatest(
        Coalesce(Subquery(moved_into, output_field=IntegerField()), Value(-1)),
        # The current stage counts unless it is a lost stage.
        Case(
            When(stage__kind=Stage.Kind.LOST, then=Value(-1)),
            default=F("stage__position"),
            output_field=IntegerField(),
        ),
        output_field=IntegerField(),
    )
    reached = dict(
        scoped_deals(user, report_filter, action)
        .filter(created_in(report_filter), pipeline_id=pipeline.pk)
        .annotate(furthest=furthest)
        .values("furthest")
        .annotate(deals=Count("id"))
        .values_list("furthest", "deals")
    )
    rows: list[dict[str, Any]] = []
    for stage in stages:
        deals = sum(n for position, n in reached.items() if position >= stage["position"])
        first = rows[0]["deals"] if rows else deals
        previous = rows[-1]["deals"] if rows else None
        rows.append(
            {
                "stage": localized(stage, "name"),
                "deals": deals,
                "of_first": percent(deals, first),
                "conversion": percent(deals, previous) if previous is not None else None,
            }
        )
    chart = Chart(
        "hbar",
        [row["stage"] for row in rows],
        [Series(_("Deals"), [row["deals"] for row in rows])],
        Kind.INT,
    )
    return Report(
        slug="funnel",
        title=_("Stage conversion funnel"),
        columns=columns,
        rows=rows,
        chart=chart,
        note=_("Deals created in the period in the pipeline “%(pipeline)s”.")
        % {"pipeline": pipeline},
        summary=[
            (
                _("Won of created"),
                rows[-1]["of_first"] if rows else None,
                Kind.PERCENT,
                "",
            )
        ],
    )
