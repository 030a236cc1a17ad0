"""Service reports over the REST API (I3): each report's figures as JSON, with the same
filters, scoping and validation messages as the pages. Mounted under the feedback router
(accord/feedback/api.py) because the API root lists one router per app it knows."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Router

from accord.analytics.formatting import json_value
from accord.core.api import authed_user
from accord.core.permissions import Action, Scope, user_scope
from accord.servicereports.filters import parse_filter, validation_error
from accord.servicereports.reports import REPORTS, run_report

router = Router(tags=["service reports"])


@router.get(
    "/service/reports/{slug}",
    response=dict[str, Any],
    summary="One service report's figures",
    openapi_extra={
        "parameters": [
            {"in": "query", "name": n, "schema": {"type": "string", "format": "date"}}
            for n in ("from", "to")
        ]
        + [
            {"in": "query", "name": n, "schema": {"type": "integer"}}
            for n in ("queue", "category", "agent")
        ]
    },
)
def report_figures(request: HttpRequest, slug: str) -> dict[str, Any]:
    """Slugs: volume-channel, volume-category, times, sla, backlog, satisfaction. Hours and
    percentages are strings with one decimal, or null when undefined."""
    if slug not in REPORTS:
        raise Http404
    user = authed_user(request)
    if user_scope(user, "case", Action.VIEW) == Scope.NONE:
        raise PermissionDenied(_("You do not have permission to see service reports."))
    form, report_filter = parse_filter(request.GET, user)
    if report_filter is None:
        raise validation_error(form)
    result = run_report(slug, user, report_filter)
    return {
        "slug": result.slug,
        "title": str(result.title),
        "note": str(result.note),
        "filter": report_filter.query_params(),
        "columns": [{"key": c.key, "label": str(c.label), "kind": c.kind} for c in result.columns],
        "rows": [
            {c.key: json_value(row.get(c.key)) for c in result.columns} for row in result.rows
        ],
        "summary": [
            {"label": str(label), "value": json_value(value), "kind": kind}
            for label, value, kind, _currency in result.summary
        ],
    }
