"""Report pages (M1, M3, K7, O4): the dashboard of report cards, one page per report with
its chart and table, and the CSV export of that table. Thin: parse the filter, check the
permission, run the report's query function, render."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from accord.analytics import charts
from accord.analytics.filters import ReportFilter, display_form, parse_filter, preset_links
from accord.analytics.formatting import csv_value, format_row, format_value
from accord.analytics.queries import REPORTS, Report, run_report
from accord.core.export import csv_response, safe_cell
from accord.core.http import AuthedHttpRequest
from accord.core.permissions import Action, Scope, user_scope


def may_run(user: Any, slug: str, action: str = Action.VIEW) -> bool:
    """Whether the viewer may see (or export) some records of the report's object type."""
    _function, object_type = REPORTS[slug]
    return user_scope(user, object_type, action) > Scope.NONE


def _report_or_404(slug: str) -> None:
    if slug not in REPORTS:
        raise Http404


def _show_team_filter(user: Any) -> bool:
    """Team and manager filters only for those who see more than their own deals."""
    return user_scope(user, "deal", Action.VIEW) > Scope.OWN


def _summary(report: Report) -> list[tuple[Any, str]]:
    return [
        (label, format_value(value, kind, currency))
        for label, value, kind, currency in report.summary
    ]


@login_required
@require_GET
def dashboard(request: AuthedHttpRequest) -> HttpResponse:
    """The filter bar and a card per report the viewer may see; each card loads its figures
    with htmx (one request per card, so a slow report never holds up the page)."""
    slugs = [slug for slug in REPORTS if may_run(request.user, slug)]
    if not slugs:
        raise PermissionDenied(_("You do not have permission to see reports."))
    form, report_filter = parse_filter(request.GET, request.user)
    query = urlencode(report_filter.query_params()) if report_filter else ""
    cards = [{"slug": slug, "title": REPORT_TITLES[slug]} for slug in slugs]
    return render(
        request,
        "analytics/dashboard.html",
        {
            "form": display_form(form, report_filter),
            "presets": preset_links(report_filter),
            "report_filter": report_filter,
            "cards": cards,
            "query": query,
            "show_team_filter": _show_team_filter(request.user),
        },
    )


@login_required
@require_GET
def card(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    """One dashboard card (htmx fragment): headline figures and a small chart."""
    _report_or_404(slug)
    if not may_run(request.user, slug):
        raise PermissionDenied
    form, report_filter = parse_filter(request.GET, request.user)
    if report_filter is None:
        return render(request, "analytics/_card_error.html", {"form": form, "slug": slug})
    report = run_report(slug, request.user, report_filter)
    chart = charts.render(report.chart, size="small") if report.chart and report.rows else None
    return render(
        request,
        "analytics/_card.html",
        {
            "report": report,
            "chart": chart,
            "summary": _summary(report),
            "query": urlencode(report_filter.query_params()),
        },
    )


@login_required
@require_GET
def report(request: AuthedHttpRequest, slug: str) -> HttpResponse | StreamingHttpResponse:
    """One report in full: chart, table with the same figures, CSV export (``?format=csv``)."""
    _report_or_404(slug)
    if not may_run(request.user, slug):
        raise PermissionDenied
    form, report_filter = parse_filter(request.GET, request.user)
    if request.GET.get("format") == "csv":
        if not may_run(request.user, slug, Action.EXPORT):
            raise PermissionDenied(_("You do not have permission to export this report."))
        if report_filter is not None:
            return export_csv(request, slug, report_filter)
    context: dict[str, Any] = {
        "form": display_form(form, report_filter),
        "presets": preset_links(report_filter),
        "slug": slug,
        "title": REPORT_TITLES[slug],
        "may_export": may_run(request.user, slug, Action.EXPORT),
        "show_team_filter": _show_team_filter(request.user),
    }
    if report_filter is not None:
        result = run_report(slug, request.user, report_filter)
        context.update(
            report=result,
            chart=charts.render(result.chart) if result.chart and result.rows else None,
            chart_narrow=(
                charts.render(result.chart, size="narrow") if result.chart and result.rows else None
            ),
            rows=[format_row(result.columns, row) for row in result.rows],
            summary=_summary(result),
            query=urlencode(report_filter.query_params()),
            report_filter=report_filter,
        )
    return render(request, "analytics/report.html", context, status=200 if report_filter else 400)


def export_csv(
    request: AuthedHttpRequest, slug: str, report_filter: ReportFilter
) -> StreamingHttpResponse:
    """The report's table as CSV, computed within the viewer's *export* scope (which may be
    narrower than what they can see). Text cells are made safe against formula injection."""
    result = run_report(slug, request.user, report_filter, Action.EXPORT)
    header = [safe_cell(str(column.label)) for column in result.columns]
    body = [
        [safe_cell(csv_value(row.get(column.key), column.kind)) for column in result.columns]
        for row in result.rows
    ]
    filename = (
        f"report-{slug}-{report_filter.start.isoformat()}-{report_filter.end.isoformat()}.csv"
    )
    return csv_response([header, *body], filename)


# Report titles without running the reports (for the dashboard and page heads).
REPORT_TITLES: dict[str, Any] = {
    "pipeline": gettext_lazy("Pipeline value by stage"),
    "forecast": gettext_lazy("Weighted forecast by month"),
    "win-rate": gettext_lazy("Win rate"),
    "cycle": gettext_lazy("Average sales cycle"),
    "funnel": gettext_lazy("Stage conversion funnel"),
    "regions": gettext_lazy("Breakdown by region"),
    "sources": gettext_lazy("Breakdown by source"),
    "lost-reasons": gettext_lazy("Lost reasons"),
    "repeat": gettext_lazy("Repeat purchases"),
    "retention": gettext_lazy("Customer retention"),
    "activity": gettext_lazy("Activity per manager"),
}
