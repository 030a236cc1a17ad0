"""Client and team reports (K7, M3, O4): breakdowns by region and source, lost reasons,
repeat purchases, retention, activity per manager."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import (
    Count,
    F,
    Q,
    Sum,
)
from django.utils import timezone
from django.utils.translation import gettext as _

from accord.activities.models import Activity
from accord.analytics.filters import ReportFilter
from accord.analytics.results import Chart, Column, Kind, Report, Series, money, percent
from accord.analytics.scoping import (
    OWNER_FIELDS,
    closed_in,
    created_in,
    currencies,
    localized,
    person,
    scoped_activities,
    scoped_deals,
    scoped_leads,
    scoped_orders,
    translated_fields,
)
from accord.core.models import User
from accord.core.permissions import Action

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
    option_fields = (f"{deal_path}_id", *(f"{deal_path}__{f}" for f in translated_fields("label")))
    created, won = created_in(report_filter), closed_in(report_filter) & Q(is_won=True)
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
    lead_fields = (f"{lead_path}_id", *(f"{lead_path}__{f}" for f in translated_fields("label")))
    lead_groups = (
        scoped_leads(user, report_filter, action)
        .filter(created_in(report_filter))
        .values(*lead_fields)
        .annotate(leads=Count("id"))
        .order_by()
    )

    def name(group: dict[str, Any], path: str) -> str:
        if group[f"{path}_id"] is None:
            return _("Not set")
        return localized(group, f"{path}__label")

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
    for currency in currencies([r for r in rows if r["currency"]]):
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
        .filter(closed_in(report_filter), is_won=False)
        .values(
            "lost_reason_id",
            "lost_reason__position",
            *(f"lost_reason__{f}" for f in translated_fields("label")),
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
            "reason": localized(g, "lost_reason__label")
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
    activities = scoped_activities(user, report_filter, action)
    # Two queries rather than one OR: calls and meetings are found through the index on
    # ``at``, done tasks by their completion time.
    by_date = (
        activities.filter(
            kind__in=[Activity.Kind.CALL, Activity.Kind.MEETING], at__gte=start, at__lt=end
        )
        .values(*OWNER_FIELDS)
        .annotate(
            calls=Count("id", filter=calls),
            reached=Count("id", filter=calls & Q(outcome=Activity.Outcome.REACHED)),
            meetings=Count("id", filter=meetings),
        )
        .order_by()
    )
    tasks_done = (
        activities.filter(
            kind=Activity.Kind.TASK, is_done=True, done_at__gte=start, done_at__lt=end
        )
        .values(*OWNER_FIELDS)
        .annotate(tasks=Count("id"))
        .order_by()
    )
    per_owner: dict[int, dict[str, Any]] = {}
    order: dict[int, tuple[str, str, int]] = {}
    for group in [*by_date, *tasks_done]:
        owner_id = group["owner_id"]
        order[owner_id] = (group["owner__first_name"], group["owner__last_name"], owner_id)
        row = per_owner.setdefault(
            owner_id,
            {
                "manager": person(group),
                "calls": 0,
                "reached": 0,
                "meetings": 0,
                "tasks": 0,
            },
        )
        for key in ("calls", "reached", "meetings", "tasks"):
            row[key] += group.get(key, 0)
    rows = [per_owner[owner_id] for owner_id in sorted(per_owner, key=order.__getitem__)]
    for row in rows:
        row["total"] = row["calls"] + row["meetings"] + row["tasks"]
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
