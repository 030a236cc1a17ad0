"""The sales reports (M1, M3, K7, O4), one function per report.

Every report scopes its querysets with ``accord.core.permissions.restrict`` for the viewer and
the action (``view`` for the page, ``export`` for the CSV), then aggregates in the database
(``values`` + ``annotate``/``aggregate``): Python only ever sees one row per group (stage,
month, manager, currency…), never one row per deal or order. Amounts in different currencies
are never added together: every money figure is per currency.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    Count,
    DecimalField,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, TruncMonth
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accord.activities.models import Activity
from accord.analytics.filters import ReportFilter
from accord.analytics.results import Chart, Column, Kind, Report, Series, money, percent
from accord.commerce.models import Order
from accord.core.models import User
from accord.core.permissions import Action, restrict
from accord.sales.models import Deal, Lead, Pipeline, Stage, StageChange

WEIGHTED = DecimalField(max_digits=20, decimal_places=2)
OWNER_FIELDS = ("owner_id", "owner__first_name", "owner__last_name", "owner__username")


# --- scoping --------------------------------------------------------------------------------


def _narrow(queryset: QuerySet[Any], report_filter: ReportFilter) -> QuerySet[Any]:
    """The manager and team filters, shared by every record type with an owner. A team means
    "deals owned by its members" (whoever the deal is shared with)."""
    if report_filter.owner is not None:
        queryset = queryset.filter(owner_id=report_filter.owner.pk)
    if report_filter.team is not None:
        members = User.objects.filter(teams=report_filter.team).values("pk")
        queryset = queryset.filter(owner_id__in=members)
    return queryset


def scoped_deals(user: User, report_filter: ReportFilter, action: str = Action.VIEW) -> Any:
    """The deals a report counts: those the viewer may see (or export), narrowed by the
    filter's pipeline, team and manager. The period is applied by each report."""
    deals = _narrow(restrict(Deal.objects.order_by(), user, action), report_filter)
    if report_filter.pipeline is not None:
        deals = deals.filter(pipeline_id=report_filter.pipeline.pk)
    return deals


def scoped_orders(user: User, report_filter: ReportFilter, action: str = Action.VIEW) -> Any:
    """Orders that count as purchases: visible to the viewer, not cancelled."""
    orders = restrict(Order.objects.order_by(), user, action)
    return _narrow(orders.exclude(status=Order.Status.CANCELLED), report_filter)


def scoped_activities(user: User, report_filter: ReportFilter, action: str = Action.VIEW) -> Any:
    return _narrow(restrict(Activity.objects.order_by(), user, action), report_filter)


def scoped_leads(user: User, report_filter: ReportFilter, action: str = Action.VIEW) -> Any:
    return _narrow(restrict(Lead.objects.order_by(), user, action), report_filter)


def _closed_in(report_filter: ReportFilter) -> Q:
    return Q(
        is_closed=True,
        closed_at__gte=report_filter.start_at,
        closed_at__lt=report_filter.end_before,
    )


def _created_in(report_filter: ReportFilter) -> Q:
    return Q(created_at__gte=report_filter.start_at, created_at__lt=report_filter.end_before)


# --- labels ---------------------------------------------------------------------------------


def _person(row: dict[str, Any], prefix: str = "owner__") -> str:
    full = f"{row[prefix + 'first_name']} {row[prefix + 'last_name']}".strip()
    return full or row[prefix + "username"]


def _localized(row: dict[str, Any], base: str) -> str:
    """A translated name fetched with ``values()``: ``<base>_ru`` etc., or the main one."""
    language = (translation.get_language() or "en")[:2]
    if language != "en":
        translated = row.get(f"{base}_{language}")
        if translated:
            return str(translated)
    return str(row[base])


def _translated_fields(base: str) -> tuple[str, ...]:
    return (base, f"{base}_ru", f"{base}_fr", f"{base}_de")


def _currencies(rows: list[dict[str, Any]]) -> list[str]:
    return sorted({row["currency"] for row in rows})


# --- pipeline value by stage ----------------------------------------------------------------


def pipeline_report(user: User, report_filter: ReportFilter, action: str = Action.VIEW) -> Report:
    """Open deals now, per stage and currency: count, amount, amount weighted by the stage's
    probability. A snapshot: the period does not apply (an open deal has no period yet)."""
    stage_fields = (
        "stage_id",
        "stage__position",
        "pipeline_id",
        "pipeline__position",
        *(f"stage__{f}" for f in _translated_fields("name")),
        *(f"pipeline__{f}" for f in _translated_fields("name")),
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
        stage = _localized(group, "stage__name")
        if several_pipelines:
            stage = f"{_localized(group, 'pipeline__name')} · {stage}"
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
    for currency in _currencies(rows):
        by_stage = {r["stage"]: r["amount"] for r in rows if r["currency"] == currency}
        series.append(Series(currency, [by_stage.get(label) for label in labels]))
    summary = [
        (_("Open deals"), sum(r["deals"] for r in rows), Kind.INT, ""),
        *(
            (_("Weighted"), sum(r["weighted"] for r in rows if r["currency"] == c), Kind.MONEY, c)
            for c in _currencies(rows)
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
        deals.filter(_closed_in(report_filter), is_won=True)
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
        .filter(_closed_in(report_filter))
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
            "manager": _person(group),
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
        .filter(_closed_in(report_filter), is_won=True)
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
        {"manager": _person(g), "deals": g["deals"], "days": _days(g["total"], g["deals"])}
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
        .values("id", "position", *_translated_fields("name"))
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
        .filter(_created_in(report_filter), pipeline_id=pipeline.pk)
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
                "stage": _localized(stage, "name"),
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


# --- breakdowns by region and by source -----------------------------------------------------


def _breakdown(
    user: User,
    report_filter: ReportFilter,
    action: str,
    *,
    slug: str,
    title: str,
    deal_path: str,
    lead_path: str,
    label: str,
) -> Report:
    """Deals created in the period (count, amount) and deals won in the period (count, won
    amount) per picklist option and currency, plus the leads received in the period."""
    option_fields = (f"{deal_path}_id", *(f"{deal_path}__{f}" for f in _translated_fields("label")))
    created, won = _created_in(report_filter), _closed_in(report_filter) & Q(is_won=True)
    deal_groups = list(
        scoped_deals(user, report_filter, action)
        .filter(created | won)
        .values(*option_fields, f"{deal_path}__position", "currency")
        .annotate(
            deals=Count("id", filter=created),
            amount_sum=Sum("amount", filter=created),
            won_deals=Count("id", filter=won),
            won=Sum("amount", filter=won),
        )
        .order_by(F(f"{deal_path}__position").asc(nulls_last=True), f"{deal_path}_id", "currency")
    )
    lead_fields = (f"{lead_path}_id", *(f"{lead_path}__{f}" for f in _translated_fields("label")))
    lead_groups = (
        scoped_leads(user, report_filter, action)
        .filter(_created_in(report_filter))
        .values(*lead_fields)
        .annotate(leads=Count("id"))
        .order_by()
    )

    def name(group: dict[str, Any], path: str) -> str:
        if group[f"{path}_id"] is None:
            return _("Not set")
        return _localized(group, f"{path}__label")

    leads = {name(g, lead_path): g["leads"] for g in lead_groups}
    rows: list[dict[str, Any]] = []
    for group in deal_groups:
        key = name(group, deal_path)
        rows.append(
            {
                label: key,
                "currency": group["currency"],
                "leads": leads.pop(key, 0),
                "deals": group["deals"],
                "amount": money(group["amount_sum"]),
                "won_deals": group["won_deals"],
                "won": money(group["won"]),
            }
        )
    for key, count in leads.items():  # options with leads but no deals
        rows.append(
            {
                label: key,
                "currency": "",
                "leads": count,
                "deals": 0,
                "amount": None,
                "won_deals": 0,
                "won": None,
            }
        )
    labels = list(dict.fromkeys(row[label] for row in rows))
    series = []
    for currency in _currencies([r for r in rows if r["currency"]]):
        by_label = {r[label]: r["won"] for r in rows if r["currency"] == currency}
        series.append(
            Series(
                _("Won, %(currency)s") % {"currency": currency},
                [by_label.get(key) for key in labels],
            )
        )
    column_label = _("Region") if label == "region" else _("Source")
    return Report(
        slug=slug,
        title=title,
        columns=[
            Column(label, column_label),
            Column("currency", _("Currency"), Kind.CURRENCY),
            Column("leads", _("Leads received"), Kind.INT),
            Column("deals", _("Deals created"), Kind.INT),
            Column("amount", _("Amount of deals created"), Kind.MONEY),
            Column("won_deals", _("Deals won"), Kind.INT),
            Column("won", _("Won amount"), Kind.MONEY),
        ],
        rows=rows,
        chart=Chart("hbar", labels, series, Kind.MONEY),
        note=_(
            "Deals and leads created in the period, and deals won in the period. A lead is "
            "counted once, on the first row of its %(label)s."
        )
        % {"label": column_label.lower()},
        summary=[(_("Groups"), len(labels), Kind.INT, "")],
    )


def regions_report(user: User, report_filter: ReportFilter, action: str = Action.VIEW) -> Report:
    """Breakdown by the client company's region (a picklist)."""
    return _breakdown(
        user,
        report_filter,
        action,
        slug="regions",
        title=_("Breakdown by region"),
        deal_path="company__region",
        lead_path="region",
        label="region",
    )


def sources_report(user: User, report_filter: ReportFilter, action: str = Action.VIEW) -> Report:
    """Breakdown by the deal's source (a picklist), with the leads received per source."""
    return _breakdown(
        user,
        report_filter,
        action,
        slug="sources",
        title=_("Breakdown by source"),
        deal_path="source",
        lead_path="source",
        label="source",
    )


# --- lost reasons ---------------------------------------------------------------------------


def lost_reasons_report(
    user: User, report_filter: ReportFilter, action: str = Action.VIEW
) -> Report:
    """Deals lost in the period per reason and currency: count and amount (refusal analysis)."""
    groups = list(
        scoped_deals(user, report_filter, action)
        .filter(_closed_in(report_filter), is_won=False)
        .values(
            "lost_reason_id",
            "lost_reason__position",
            *(f"lost_reason__{f}" for f in _translated_fields("label")),
            "currency",
        )
        .annotate(deals=Count("id"), amount_sum=Sum("amount"))
        .order_by(
            "-deals",
            F("lost_reason__position").asc(nulls_last=True),
            "lost_reason_id",
            "currency",
        )
    )
    rows = [
        {
            "reason": _localized(g, "lost_reason__label")
            if g["lost_reason_id"]
            else _("No reason given"),
            "currency": g["currency"],
            "deals": g["deals"],
            "amount": money(g["amount_sum"]),
        }
        for g in groups
    ]
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        counts[row["reason"]] += row["deals"]
    return Report(
        slug="lost-reasons",
        title=_("Lost reasons"),
        columns=[
            Column("reason", _("Reason")),
            Column("currency", _("Currency"), Kind.CURRENCY),
            Column("deals", _("Deals lost"), Kind.INT),
            Column("amount", _("Amount lost"), Kind.MONEY),
        ],
        rows=rows,
        chart=Chart("hbar", list(counts), [Series(_("Deals lost"), list(counts.values()))]),
        note=_("Deals lost in the period."),
        summary=[(_("Deals lost"), sum(counts.values()), Kind.INT, "")],
    )


# --- repeat purchases -----------------------------------------------------------------------


def repeat_report(user: User, report_filter: ReportFilter, action: str = Action.VIEW) -> Report:
    """Clients with two or more orders in the period, and the share of revenue (order totals)
    that came from them, per currency. Cancelled orders do not count."""
    orders = scoped_orders(user, report_filter, action).filter(
        ordered_on__gte=report_filter.start, ordered_on__lte=report_filter.end
    )
    repeat_clients = (
        orders.values("company_id").annotate(orders=Count("id")).filter(orders__gte=2)
    ).values("company_id")
    is_repeat = Q(company_id__in=repeat_clients)
    groups = (
        orders.values("currency")
        .annotate(
            clients=Count("company_id", distinct=True),
            repeat_clients=Count("company_id", distinct=True, filter=is_repeat),
            orders=Count("id"),
            revenue=Sum("total"),
            repeat_revenue=Sum("total", filter=is_repeat),
        )
        .order_by("currency")
    )
    rows = []
    for group in groups:
        revenue, repeat_revenue = money(group["revenue"]), money(group["repeat_revenue"])
        rows.append(
            {
                "currency": group["currency"],
                "clients": group["clients"],
                "repeat_clients": group["repeat_clients"],
                "orders": group["orders"],
                "revenue": revenue,
                "repeat_revenue": repeat_revenue,
                "share": percent(repeat_revenue, revenue),
            }
        )
    totals = orders.aggregate(
        clients=Count("company_id", distinct=True),
        repeat_clients=Count("company_id", distinct=True, filter=is_repeat),
    )
    currencies = [row["currency"] for row in rows]
    chart = Chart(
        "stacked",
        currencies,
        [
            Series(_("Repeat clients"), [row["repeat_revenue"] for row in rows]),
            Series(_("One-time clients"), [row["revenue"] - row["repeat_revenue"] for row in rows]),
        ],
        Kind.MONEY,
        x_title=_("Currency"),
    )
    return Report(
        slug="repeat",
        title=_("Repeat purchases"),
        columns=[
            Column("currency", _("Currency"), Kind.CURRENCY),
            Column("clients", _("Clients who ordered"), Kind.INT),
            Column("repeat_clients", _("Clients with 2 or more orders"), Kind.INT),
            Column("orders", _("Orders"), Kind.INT),
            Column("revenue", _("Revenue"), Kind.MONEY),
            Column("repeat_revenue", _("Revenue from repeat clients"), Kind.MONEY),
            Column("share", _("Share of repeat clients"), Kind.PERCENT),
        ],
        rows=rows,
        chart=chart,
        note=_(
            "Orders dated in the period, cancelled ones aside. A repeat client placed two or "
            "more orders in the period (in any currency)."
        ),
        summary=[
            (_("Clients who ordered"), totals["clients"], Kind.INT, ""),
            (_("Repeat clients"), totals["repeat_clients"], Kind.INT, ""),
        ],
    )


# --- retention ------------------------------------------------------------------------------


def retention_report(user: User, report_filter: ReportFilter, action: str = Action.VIEW) -> Report:
    """Of the clients who ordered in the previous period of equal length, the share who
    ordered again in this one. Cancelled orders do not count."""
    previous = report_filter.previous()
    orders = scoped_orders(user, report_filter, action)
    in_previous = Q(ordered_on__gte=previous.start, ordered_on__lte=previous.end)
    in_current = Q(ordered_on__gte=report_filter.start, ordered_on__lte=report_filter.end)
    previous_clients = orders.filter(in_previous).values("company_id")
    figures = orders.filter(
        ordered_on__gte=previous.start, ordered_on__lte=report_filter.end
    ).aggregate(
        previous_clients=Count("company_id", distinct=True, filter=in_previous),
        current_clients=Count("company_id", distinct=True, filter=in_current),
        retained=Count(
            "company_id",
            distinct=True,
            filter=in_current & Q(company_id__in=previous_clients),
        ),
    )
    rate = percent(figures["retained"], figures["previous_clients"])
    row = {
        "previous_start": previous.start,
        "previous_end": previous.end,
        "previous_clients": figures["previous_clients"],
        "current_clients": figures["current_clients"],
        "retained": figures["retained"],
        "new_clients": figures["current_clients"] - figures["retained"],
        "rate": rate,
    }
    chart = Chart(
        "bar",
        [_("Previous period"), _("This period"), _("Ordered in both")],
        [
            Series(
                _("Clients"),
                [figures["previous_clients"], figures["current_clients"], figures["retained"]],
            )
        ],
        Kind.INT,
    )
    return Report(
        slug="retention",
        title=_("Customer retention"),
        columns=[
            Column("previous_start", _("Previous period from"), Kind.DATE),
            Column("previous_end", _("Previous period to"), Kind.DATE),
            Column("previous_clients", _("Clients in the previous period"), Kind.INT),
            Column("current_clients", _("Clients in this period"), Kind.INT),
            Column("retained", _("Clients in both periods"), Kind.INT),
            Column("new_clients", _("New or returning clients"), Kind.INT),
            Column("rate", _("Retention rate"), Kind.PERCENT),
        ],
        rows=[row],
        chart=chart,
        note=_(
            "Retention rate = clients who ordered in the previous period and again in this one "
            "÷ clients who ordered in the previous period."
        ),
        summary=[(_("Retention rate"), rate, Kind.PERCENT, "")],
    )


# --- activity per manager -------------------------------------------------------------------


def activity_report(user: User, report_filter: ReportFilter, action: str = Action.VIEW) -> Report:
    """Per manager: calls logged in the period (and how many reached someone), meetings held
    in the period (marked done or already started), tasks done in the period (M3)."""
    start, end = report_filter.start_at, report_filter.end_before
    now = timezone.now()
    calls = Q(kind=Activity.Kind.CALL, at__gte=start, at__lt=end)
    # A meeting counts once held: marked done, or its start has passed.
    meetings = Q(kind=Activity.Kind.MEETING, at__gte=start, at__lt=end) & (
        Q(is_done=True) | Q(at__lte=now)
    )
    tasks = Q(kind=Activity.Kind.TASK, is_done=True, done_at__gte=start, done_at__lt=end)
    groups = (
        scoped_activities(user, report_filter, action)
        .filter(calls | meetings | tasks)
        .values(*OWNER_FIELDS)
        .annotate(
            calls=Count("id", filter=calls),
            reached=Count("id", filter=calls & Q(outcome=Activity.Outcome.REACHED)),
            meetings=Count("id", filter=meetings),
            tasks=Count("id", filter=tasks),
        )
        .order_by("owner__first_name", "owner__last_name", "owner_id")
    )
    rows = [
        {
            "manager": _person(g),
            "calls": g["calls"],
            "reached": g["reached"],
            "meetings": g["meetings"],
            "tasks": g["tasks"],
            "total": g["calls"] + g["meetings"] + g["tasks"],
        }
        for g in groups
    ]
    managers = [row["manager"] for row in rows]
    chart = Chart(
        "stacked",
        managers,
        [
            Series(_("Calls"), [row["calls"] for row in rows]),
            Series(_("Meetings"), [row["meetings"] for row in rows]),
            Series(_("Tasks done"), [row["tasks"] for row in rows]),
        ],
        Kind.INT,
    )
    return Report(
        slug="activity",
        title=_("Activity per manager"),
        columns=[
            Column("manager", _("Manager")),
            Column("calls", _("Calls"), Kind.INT),
            Column("reached", _("Calls that reached someone"), Kind.INT),
            Column("meetings", _("Meetings"), Kind.INT),
            Column("tasks", _("Tasks done"), Kind.INT),
            Column("total", _("Total"), Kind.INT),
        ],
        rows=rows,
        chart=chart,
        note=_(
            "Calls logged and meetings held in the period (by their date), tasks marked done "
            "in the period."
        ),
        summary=[(_("Activities"), sum(row["total"] for row in rows), Kind.INT, "")],
    )


# --- registry -------------------------------------------------------------------------------

ReportFunction = Callable[[User, ReportFilter, str], Report]

# slug -> (function, the object type whose view/export permission governs the report)
REPORTS: dict[str, tuple[ReportFunction, str]] = {
    "pipeline": (pipeline_report, "deal"),
    "forecast": (forecast_report, "deal"),
    "win-rate": (win_rate_report, "deal"),
    "cycle": (cycle_report, "deal"),
    "funnel": (funnel_report, "deal"),
    "regions": (regions_report, "deal"),
    "sources": (sources_report, "deal"),
    "lost-reasons": (lost_reasons_report, "deal"),
    "repeat": (repeat_report, "order"),
    "retention": (retention_report, "order"),
    "activity": (activity_report, "activity"),
}


def run_report(
    slug: str, user: User, report_filter: ReportFilter, action: str = Action.VIEW
) -> Report:
    """Compute one report by slug (KeyError for an unknown slug)."""
    function, _object_type = REPORTS[slug]
    return function(user, report_filter, action)
