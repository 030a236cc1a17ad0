"""The cost-of-service and engineer-utilisation reports, on screen and as CSV."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext as _

from accord.core.export import csv_cell, csv_stream
from accord.core.http import AuthedHttpRequest
from accord.core.models import Team
from accord.core.permissions import Action, Scope, user_scope
from accord.fieldservice import reports, selectors
from accord.fieldservice.forms import parse_period


def _period(request: AuthedHttpRequest) -> tuple[datetime.date, datetime.date, list[str]]:
    try:
        start, end = parse_period(request.GET)
    except ValidationError as exc:
        start, end = parse_period({})
        return start, end, exc.messages
    return start, end, []


def _optional_int(value: Any) -> int | None:
    try:
        return int(value) if value else None
    except (TypeError, ValueError):
        return None


def _charts(chart: Any) -> dict[str, Any]:
    """The wide and the phone drawing of a chart (analytics' pygal style)."""
    from accord.analytics import charts

    return {"chart": charts.render(chart), "chart_narrow": charts.render(chart, size="narrow")}


def _cost_chart(report: reports.CostReport) -> Any:
    from accord.analytics.results import Chart, Kind, Series

    rows = [row for row in report.rows if row.currency == next(iter(report.totals), "")][:10]
    if not rows:
        return None
    currency = rows[0].currency
    return Chart(
        kind="stacked",
        labels=[row.label or _("(none)") for row in rows],
        series=[
            Series(_("Labour") + f", {currency}", [row.labour for row in rows]),
            Series(_("Travel") + f", {currency}", [row.travel for row in rows]),
            Series(_("Materials") + f", {currency}", [row.materials for row in rows]),
        ],
        value_kind=Kind.MONEY,
    )


def _csv(filename: str, rows: list[list[Any]]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        csv_stream([[csv_cell(cell) for cell in row] for row in rows]),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def cost_report(request: AuthedHttpRequest) -> HttpResponseBase:
    """Labour, travel and materials of the visits finished in a period, per client or per
    contract, over the work orders the user may see."""
    if user_scope(request.user, "work_order", Action.VIEW) == Scope.NONE:
        raise PermissionDenied
    start, end, errors = _period(request)
    group = request.GET.get("group", "company")
    report = reports.cost_report(
        request.user,
        start,
        end,
        group=group,
        company_id=_optional_int(request.GET.get("company")),
        contract_id=_optional_int(request.GET.get("contract")),
    )
    if request.GET.get("format") == "csv" and not errors:
        header = [
            _("Client") if report.group == "company" else _("Contract"),
            _("Visits"),
            _("Work, h"),
            _("Travel, h"),
            _("Travel, km"),
            _("Labour"),
            _("Travel"),
            _("Materials"),
            _("Total"),
            _("Currency"),
        ]
        rows = [header] + [
            [
                row.label or _("(none)"),
                row.visits,
                row.work_hours,
                row.travel_hours,
                row.travel_km,
                row.labour,
                row.travel,
                row.materials,
                row.total,
                row.currency,
            ]
            for row in report.rows
        ]
        return _csv(f"service-cost-{start.isoformat()}-{end.isoformat()}.csv", rows)
    chart = _cost_chart(report)
    return render(
        request,
        "fieldservice/cost_report.html",
        {
            "report": report,
            "start": start,
            "end": end,
            "errors": errors,
            "group": report.group,
            **(_charts(chart) if chart else {}),
        },
    )


@login_required
def utilisation_report(request: AuthedHttpRequest) -> HttpResponseBase:
    """Hours logged working and travelling per engineer against the working hours of the
    period, and visits finished (the head of service and dispatchers)."""
    if user_scope(request.user, "work_order", Action.VIEW) < Scope.TEAM:
        raise PermissionDenied
    start, end, errors = _period(request)
    team_id = _optional_int(request.GET.get("team"))
    engineers = list(selectors.engineers_queryset(team_id)[:200])
    rows = reports.utilisation_report(request.user, start, end, engineers)
    if request.GET.get("format") == "csv" and not errors:
        header = [
            _("Engineer"),
            _("Work, h"),
            _("Travel, h"),
            _("Logged, h"),
            _("Working hours"),
            _("Utilisation, %"),
            _("Visits"),
        ]
        data = [header] + [
            [
                row.engineer.get_full_name() or row.engineer.username,
                row.work_hours,
                row.travel_hours,
                row.logged_hours,
                row.available_hours,
                row.percent,
                row.visits,
            ]
            for row in rows
        ]
        return _csv(f"engineer-utilisation-{start.isoformat()}-{end.isoformat()}.csv", data)
    from accord.analytics.results import Chart, Kind, Series

    chart = Chart(
        kind="hbar",
        labels=[row.engineer.get_full_name() or row.engineer.username for row in rows],
        series=[Series(_("Utilisation, %"), [min(row.percent, 100) for row in rows])],
        value_kind=Kind.PERCENT,
    )
    return render(
        request,
        "fieldservice/utilisation_report.html",
        {
            **(_charts(chart) if rows else {}),
            "rows": rows,
            "start": start,
            "end": end,
            "errors": errors,
            "teams": Team.objects.order_by("name"),
            "team_id": team_id,
        },
    )
