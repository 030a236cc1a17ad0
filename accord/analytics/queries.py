"""The sales reports (M1, M3, K7, O4), one function per report.

Every report scopes its querysets with ``accord.core.permissions.restrict`` for the viewer and
the action (``view`` for the page, ``export`` for the CSV), then aggregates in the database
(``values`` + ``annotate``/``aggregate``): Python only ever sees one row per group (stage,
month, manager, currency…), never one row per deal or order. Amounts in different currencies
are never added together: every money figure is per currency.
"""

from collections.abc import Callable

from accord.analytics.filters import ReportFilter
from accord.analytics.reports_clients import (
    activity_report,
    lost_reasons_report,
    regions_report,
    repeat_report,
    retention_report,
    sources_report,
)
from accord.analytics.reports_deals import (
    cycle_report,
    forecast_report,
    funnel_report,
    pipeline_report,
    win_rate_report,
)
from accord.analytics.results import Report
from accord.core.models import User
from accord.core.permissions import Action

__all__ = [
    "REPORTS",
    "Report",
    "activity_report",
    "cycle_report",
    "forecast_report",
    "funnel_report",
    "lost_reasons_report",
    "pipeline_report",
    "regions_report",
    "repeat_report",
    "retention_report",
    "run_report",
    "sources_report",
    "win_rate_report",
]

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
