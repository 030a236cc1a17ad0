"""Sales reports over the REST API (M1, I3): the figures of each report page as JSON, with the
same filters, the same permission scoping and the same validation messages."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema

from accord.analytics.filters import require_filter
from accord.analytics.formatting import json_value
from accord.analytics.queries import REPORTS, run_report
from accord.core.api import authed_user
from accord.core.permissions import Action, Scope, user_scope

router = Router(tags=["analytics"])


class ReportParams(Schema):
    """Filters; ``from``/``to`` (ISO dates, both included) override ``period``."""

    period: str | None = None
    pipeline: str | None = None
    team: str | None = None
    owner: str | None = None


class ColumnOut(Schema):
    key: str
    label: str
    kind: str


class FilterOut(Schema):
    start: datetime.date
    end: datetime.date
    pipeline: int | None
    team: int | None
    owner: int | None


class ReportOut(Schema):
    slug: str
    title: str
    note: str
    filter: FilterOut
    columns: list[ColumnOut]
    rows: list[dict[str, Any]]


@router.get(
    "/reports/{slug}",
    response=ReportOut,
    summary="One sales report's figures",
    openapi_extra={
        "parameters": [
            {"in": "query", "name": n, "schema": {"type": "string", "format": "date"}}
            for n in ("from", "to")
        ]
    },
)
def report_figures(request: HttpRequest, slug: str, params: Query[ReportParams]) -> dict[str, Any]:
    """Slugs: pipeline, forecast, win-rate, cycle, funnel, regions, sources, lost-reasons,
    repeat, retention, activity. Money amounts are strings (exact decimals) with a
    ``currency`` column beside them; percentages are strings with one decimal or null."""
    if slug not in REPORTS:
        raise Http404
    user = authed_user(request)
    _function, object_type = REPORTS[slug]
    if user_scope(user, object_type, Action.VIEW) == Scope.NONE:
        raise PermissionDenied(_("You do not have permission to see this report."))
    # "from" cannot be a schema field name; the raw query string carries it.
    report_filter = require_filter(request.GET, user)
    result = run_report(slug, user, report_filter)
    return {
        "slug": result.slug,
        "title": str(result.title),
        "note": str(result.note),
        "filter": {
            "start": report_filter.start,
            "end": report_filter.end,
            "pipeline": report_filter.pipeline.pk if report_filter.pipeline else None,
            "team": report_filter.team.pk if report_filter.team else None,
            "owner": report_filter.owner.pk if report_filter.owner else None,
        },
        "columns": [{"key": c.key, "label": str(c.label), "kind": c.kind} for c in result.columns],
        "rows": [
            {c.key: json_value(row.get(c.key)) for c in result.columns} for row in result.rows
        ],
    }
