"""Service report pages: the dashboard of report cards (each loads with htmx), one page per
report with its chart and table, and the CSV export of that table. Thin, like
accord.analytics: parse the filter, check the permission, run the report, render."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accord.analytics import charts
from accord.analytics.formatting import csv_value, format_row, format_value
from accord.analytics.results import Report
from accord.core.export import csv_response, safe_cell
from accord.core.http import AuthedHttpRequest
from accord.core.permissions import Action, Scope, user_scope
from accord.servicereports.filters import ServiceFilter, parse_filter
from accord.servicereports.reports import REPORT_TITLES, REPORTS, run_report


def may_run(user: Any, action: str = Action.VIEW) -> bool:
    return user_scope(user, "case", action) > Scope.NONE


def _require(user: Any) -> None:
    if not may_run(user):
        raise PermissionDenied(_("You do not have permission to see service reports."))


def _slug_or_404(slug: str) -> None:
    if slug not in REPORTS:
        raise Http404


def _summary(report: Report) -> list[tuple[Any, str]]:
    return [
        (label, format_value(value, kind, currency))
        for label, value, kind, currency in report.summary
    ]


@login_required
@require_GET
def dashboard(request: AuthedHttpRequest) -> HttpResponse:
    _require(request.user)
    form, report_filter = parse_filter(request.GET, request.user)
    query = urlencode(report_filter.query_params()) if report_filter else ""
    return render(
        request,
        "servicereports/dashboard.html",
        {
            "form": form,
            "report_filter": report_filter,
            "cards": [{"slug": slug, "title": title} for slug, title in REPORT_TITLES.items()],
            "query": query,
        },
        status=200 if report_filter else 400,
    )


@login_required
@require_GET
def card(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    _slug_or_404(slug)
    _require(request.user)
    form, report_filter = parse_filter(request.GET, request.user)
    if report_filter is None:
        return render(request, "analytics/_card_error.html", {"form": form, "slug": slug})
    result = run_report(slug, request.user, report_filter)
    chart = charts.render(result.chart, size="small") if result.chart and result.rows else None
    return render(
        request,
        "servicereports/_card.html",
        {
            "report": result,
            "chart": chart,
            "summary": _summary(result),
            "query": urlencode(report_filter.query_params()),
        },
    )


@login_required
@require_GET
def report(request: AuthedHttpRequest, slug: str) -> HttpResponse | StreamingHttpResponse:
    _slug_or_404(slug)
    _require(request.user)
    form, report_filter = parse_filter(request.GET, request.user)
    may_export = may_run(request.user, Action.EXPORT)
    if request.GET.get("format") == "csv" and report_filter is not None:
        if not may_export:
            raise PermissionDenied(_("You do not have permission to export this report."))
        return export_csv(request, slug, report_filter)
    context: dict[str, Any] = {
        "form": form,
        "slug": slug,
        "title": REPORT_TITLES[slug],
        "may_export": may_export,
    }
    if report_filter is not None:
        result = run_report(slug, request.user, report_filter)
        has_chart = bool(result.chart and result.rows)
        context.update(
            report=result,
            chart=charts.render(result.chart) if has_chart and result.chart else None,
            chart_narrow=(
                charts.render(result.chart, size="narrow") if has_chart and result.chart else None
            ),
            rows=[format_row(result.columns, row) for row in result.rows],
            summary=_summary(result),
            query=urlencode(report_filter.query_params()),
        )
    return render(
        request, "servicereports/report.html", context, status=200 if report_filter else 400
    )


def export_csv(
    request: AuthedHttpRequest, slug: str, report_filter: ServiceFilter
) -> StreamingHttpResponse:
    """The table as CSV within the viewer's export scope; text cells formula-safe."""
    result = run_report(slug, request.user, report_filter, Action.EXPORT)
    header = [safe_cell(str(column.label)) for column in result.columns]
    body = [
        [safe_cell(csv_value(row.get(column.key), column.kind)) for column in result.columns]
        for row in result.rows
    ]
    filename = (
        f"service-{slug}-{report_filter.start.isoformat()}-{report_filter.end.isoformat()}.csv"
    )
    return csv_response([header, *body], filename)
