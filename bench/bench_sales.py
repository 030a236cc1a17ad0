"""Sales scenarios of ``make bench`` (issue #3): the kanban board, the forecast, every other
analytics report and the dashboard, each next to a raw SQL aggregate on a plain cursor.

The raw SQL is what a person would write by hand for the same figures: the same period,
pipeline and visibility (for a sales manager, "deal/order/activity owned by me or my teams,
or belonging to a client that is"), grouped in the database. It is a baseline for the ratio,
not a claim that the page must run exactly that SQL.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

# The slugs of analytics:report (part G), in the order the reports menu lists them.
REPORT_SLUGS = (
    "pipeline",
    "forecast",
    "win-rate",
    "cycle",
    "funnel",
    "regions",
    "sources",
    "lost-reasons",
    "repeat",
    "retention",
    "activity",
)
BOARD_CARDS = 20  # cards per column the raw baseline fetches


class SalesProbe:
    """The raw SQL aggregates behind the board and the reports, scoped like the selectors."""

    def __init__(self, user: Any, connection: Any) -> None:
        from accord.core.permissions import Scope, user_scope
        from accord.sales.models import Pipeline

        self.user = user
        self.connection = connection
        self.vendor = connection.vendor
        self.teams = list(user.teams.values_list("id", flat=True))
        self.scoped = user_scope(user, "deal", "view") != Scope.ALL
        self.pipeline = Pipeline.objects.get(is_default=True)
        self.open_stages = list(
            self.pipeline.stages.filter(kind="open", is_active=True)
            .order_by("position", "id")
            .values_list("id", flat=True)
        )
        today = datetime.date.today()
        self.today = today
        self.period = (today - datetime.timedelta(days=365), today)
        self.previous = (today - datetime.timedelta(days=730), today - datetime.timedelta(days=366))
        first = today.replace(day=1)
        self.forecast_period = (first, first + datetime.timedelta(days=365))

    # --- helpers ------------------------------------------------------------------------------
    def _scope(self, record: str, company: str) -> tuple[str, list[Any]]:
        """Owner or team of the record or of its client (the registered owner/team paths)."""
        if not self.scoped:
            return "1 = 1", []
        parts = [f"{record}.owner_id = %s", f"{company}.owner_id = %s"]
        params: list[Any] = [self.user.pk, self.user.pk]
        if self.teams:
            marks = ", ".join(["%s"] * len(self.teams))
            parts += [f"{record}.team_id IN ({marks})", f"{company}.team_id IN ({marks})"]
            params += [*self.teams, *self.teams]
        return "(" + " OR ".join(parts) + ")", params

    def _join(self, record: str, company: str) -> str:
        """The join to the client, only when the scope needs it (the head sees everything)."""
        if not self.scoped:
            return ""
        return f" JOIN parties_company {company} ON {company}.id = {record}.company_id"

    def _datetime(self, day: datetime.date, *, end: bool = False) -> Any:
        moment = datetime.datetime.combine(
            day + datetime.timedelta(days=1) if end else day, datetime.time(), datetime.UTC
        )
        return self.connection.ops.adapt_datetimefield_value(moment)

    def _date(self, day: datetime.date) -> Any:
        return self.connection.ops.adapt_datefield_value(day)

    def _month(self, column: str) -> str:
        if self.vendor == "sqlite":
            return f"strftime('%%Y-%%m', {column})"
        return f"to_char({column}, 'YYYY-MM')"

    def _days(self, start: str, end: str) -> str:
        if self.vendor == "sqlite":
            return f"julianday({end}) - julianday({start})"
        return f"EXTRACT(EPOCH FROM ({end} - {start})) / 86400.0"

    def _query(self, sql: str, params: list[Any]) -> list[Any]:
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def _runner(self, *queries: tuple[str, list[Any]]) -> Callable[[], Any]:
        def run() -> None:
            for sql, params in queries:
                self._query(sql, params)

        return run

    def _closed_between(self) -> tuple[str, list[Any]]:
        start, end = self.period
        return "d.closed_at >= %s AND d.closed_at < %s", [
            self._datetime(start),
            self._datetime(end, end=True),
        ]

    def _created_between(self) -> tuple[str, list[Any]]:
        start, end = self.period
        return "d.created_at >= %s AND d.created_at < %s", [
            self._datetime(start),
            self._datetime(end, end=True),
        ]

    # --- the board ----------------------------------------------------------------------------
    def board(self) -> Callable[[], Any]:
        """Count and sum per open stage, then the first cards of each column."""
        scope, params = self._scope("d", "c")
        join = self._join("d", "c")
        queries = [
            (
                "SELECT d.stage_id, COUNT(*), SUM(d.amount) FROM sales_deal d"
                f"{join} WHERE d.pipeline_id = %s AND NOT d.is_closed AND {scope} "
                "GROUP BY d.stage_id",
                [self.pipeline.pk, *params],
            )
        ]
        for stage_id in self.open_stages:
            queries.append(
                (
                    "SELECT d.id, d.name, d.amount, d.currency, d.expected_close, d.owner_id, "
                    "c.name FROM sales_deal d JOIN parties_company c ON c.id = d.company_id "
                    f"WHERE d.pipeline_id = %s AND d.stage_id = %s AND {scope} "
                    f"ORDER BY d.amount DESC, d.id LIMIT {BOARD_CARDS}",
                    [self.pipeline.pk, stage_id, *params],
                )
            )
        return self._runner(*queries)

    # --- the reports --------------------------------------------------------------------------
    def report(self, slug: str) -> Callable[[], Any]:
        method = getattr(self, "report_" + slug.replace("-", "_"))
        return self._runner(*method())

    def dashboard(self) -> Callable[[], Any]:
        """The dashboard's headline figures: pipeline by stage, forecast, win rate."""
        return self._runner(
            *self.report_pipeline(), *self.report_forecast(), *self.report_win_rate()
        )

    def all_reports(self) -> Callable[[], Any]:
        """Every report's aggregate, one after the other (the dashboard's cards)."""
        queries = []
        for slug in REPORT_SLUGS:
            queries += getattr(self, "report_" + slug.replace("-", "_"))()
        return self._runner(*queries)

    def report_pipeline(self) -> list[tuple[str, list[Any]]]:
        scope, params = self._scope("d", "c")
        return [
            (
                "SELECT d.stage_id, d.currency, COUNT(*), SUM(d.amount) FROM sales_deal d"
                f"{self._join('d', 'c')} WHERE d.pipeline_id = %s AND NOT d.is_closed "
                f"AND {scope} GROUP BY d.stage_id, d.currency",
                [self.pipeline.pk, *params],
            )
        ]

    def report_forecast(self) -> list[tuple[str, list[Any]]]:
        scope, params = self._scope("d", "c")
        start, end = self.forecast_period
        month = self._month("d.expected_close")
        return [
            (
                f"SELECT {month}, d.currency, SUM(d.amount * s.probability / 100.0), "
                "SUM(d.amount) FROM sales_deal d JOIN sales_stage s ON s.id = d.stage_id"
                f"{self._join('d', 'c')} WHERE NOT d.is_closed AND d.pipeline_id = %s "
                f"AND d.expected_close >= %s AND d.expected_close < %s AND {scope} "
                f"GROUP BY {month}, d.currency",
                [self.pipeline.pk, self._date(start), self._date(end), *params],
            )
        ]

    def report_win_rate(self) -> list[tuple[str, list[Any]]]:
        scope, params = self._scope("d", "c")
        between, period = self._closed_between()
        return [
            (
                "SELECT d.owner_id, SUM(CASE WHEN d.is_won THEN 1 ELSE 0 END), COUNT(*) "
                f"FROM sales_deal d{self._join('d', 'c')} WHERE d.is_closed AND {between} "
                f"AND {scope} GROUP BY d.owner_id",
                [*period, *params],
            )
        ]

    def report_cycle(self) -> list[tuple[str, list[Any]]]:
        scope, params = self._scope("d", "c")
        between, period = self._closed_between()
        return [
            (
                f"SELECT d.owner_id, AVG({self._days('d.created_at', 'd.closed_at')}), COUNT(*) "
                f"FROM sales_deal d{self._join('d', 'c')} WHERE d.is_won AND {between} "
                f"AND {scope} GROUP BY d.owner_id",
                [*period, *params],
            )
        ]

    def report_funnel(self) -> list[tuple[str, list[Any]]]:
        scope, params = self._scope("d", "c")
        between, period = self._created_between()
        return [
            (
                "SELECT sc.to_stage_id, COUNT(DISTINCT sc.deal_id) FROM sales_stagechange sc "
                f"JOIN sales_deal d ON d.id = sc.deal_id{self._join('d', 'c')} "
                f"WHERE d.pipeline_id = %s AND {between} AND {scope} GROUP BY sc.to_stage_id",
                [self.pipeline.pk, *period, *params],
            )
        ]

    def report_regions(self) -> list[tuple[str, list[Any]]]:
        scope, params = self._scope("d", "c")
        between, period = self._closed_between()
        return [
            (
                "SELECT c.region_id, d.currency, COUNT(*), SUM(d.amount) FROM sales_deal d "
                "JOIN parties_company c ON c.id = d.company_id "
                f"WHERE d.is_won AND {between} AND {scope} GROUP BY c.region_id, d.currency",
                [*period, *params],
            )
        ]

    def report_sources(self) -> list[tuple[str, list[Any]]]:
        scope, params = self._scope("d", "c")
        between, period = self._created_between()
        return [
            (
                "SELECT d.source_id, COUNT(*), SUM(CASE WHEN d.is_won THEN 1 ELSE 0 END) "
                f"FROM sales_deal d{self._join('d', 'c')} WHERE {between} AND {scope} "
                "GROUP BY d.source_id",
                [*period, *params],
            )
        ]

    def report_lost_reasons(self) -> list[tuple[str, list[Any]]]:
        scope, params = self._scope("d", "c")
        between, period = self._closed_between()
        return [
            (
                "SELECT d.lost_reason_id, COUNT(*), SUM(d.amount) FROM sales_deal d"
                f"{self._join('d', 'c')} WHERE d.is_closed AND NOT d.is_won AND {between} "
                f"AND {scope} GROUP BY d.lost_reason_id",
                [*period, *params],
            )
        ]

    def _orders_of(self, period: tuple[datetime.date, datetime.date]) -> tuple[str, list[Any]]:
        scope, params = self._scope("o", "c")
        return (
            f"SELECT o.company_id FROM commerce_order o{self._join('o', 'c')} "
            "WHERE o.ordered_on >= %s AND o.ordered_on <= %s AND o.status <> 'cancelled' "
            f"AND {scope}",
            [self._date(period[0]), self._date(period[1]), *params],
        )

    def report_repeat(self) -> list[tuple[str, list[Any]]]:
        orders, params = self._orders_of(self.period)
        return [
            (
                "SELECT COUNT(*), SUM(CASE WHEN n > 1 THEN 1 ELSE 0 END) FROM ("
                f"SELECT t.company_id, COUNT(*) AS n FROM ({orders}) t GROUP BY t.company_id) r",
                params,
            )
        ]

    def report_retention(self) -> list[tuple[str, list[Any]]]:
        before, before_params = self._orders_of(self.previous)
        now, now_params = self._orders_of(self.period)
        return [
            (
                f"SELECT COUNT(DISTINCT p.company_id), COUNT(DISTINCT k.company_id) FROM ({before}) p "
                f"LEFT JOIN ({now}) k ON k.company_id = p.company_id",
                [*before_params, *now_params],
            )
        ]

    def report_activity(self) -> list[tuple[str, list[Any]]]:
        scope, params = self._scope("a", "c")
        start, end = self.period
        return [
            (
                "SELECT a.owner_id, a.kind, COUNT(*), "
                "SUM(CASE WHEN a.is_done THEN 1 ELSE 0 END) FROM activities_activity a"
                f"{self._join('a', 'c')} WHERE a.at >= %s AND a.at < %s AND {scope} "
                "GROUP BY a.owner_id, a.kind",
                [self._datetime(start), self._datetime(end, end=True), *params],
            )
        ]


def scenarios(
    client: Any, user: Any, connection: Any, get: Callable[..., Callable[[], Any]]
) -> list[tuple[str, Callable[[], Any], Callable[[], Any]]]:
    """(name, page request, raw SQL) for the board, the dashboard and every report.

    URL names missing from the tree (a part not committed yet) are reported as errors by the
    caller, not skipped silently."""
    from django.urls import NoReverseMatch, reverse

    probe = SalesProbe(user, connection)
    found: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = []

    def missing(name: str) -> Callable[[], Any]:
        def fail() -> None:
            raise RuntimeError(f"URL {name} is not there yet")

        return fail

    try:
        board = get(client, reverse("sales:deal_board"), pipeline=str(probe.pipeline.pk))
    except NoReverseMatch:
        board = missing("sales:deal_board")
    found.append(("deal board (default pipeline)", board, probe.board()))
    start, end = probe.period
    period = {"from": start.isoformat(), "to": end.isoformat()}
    try:
        dashboard = get(client, reverse("analytics:dashboard"), **period)
    except NoReverseMatch:
        dashboard = missing("analytics:dashboard")
    found.append(("dashboard page (cards by htmx)", dashboard, probe.dashboard()))
    # The page is a shell whose cards load with one htmx request each: time them all, one
    # after the other (a browser runs several at once, so this is an upper bound).
    try:
        cards = [
            get(client, reverse("analytics:card", args=[slug]), **period) for slug in REPORT_SLUGS
        ]

        def all_cards() -> None:
            for request in cards:
                request()

        found.append(("dashboard: all cards, in turn", all_cards, probe.all_reports()))
    except NoReverseMatch:
        found.append(
            ("dashboard: all cards, in turn", missing("analytics:card"), probe.all_reports())
        )
    for slug in REPORT_SLUGS:
        if slug == "forecast":
            start, end = probe.forecast_period
        else:
            start, end = probe.period
        params = {"from": start.isoformat(), "to": end.isoformat()}
        if slug in ("pipeline", "forecast", "funnel"):
            params["pipeline"] = str(probe.pipeline.pk)
        try:
            page = get(client, reverse("analytics:report", args=[slug]), **params)
        except NoReverseMatch:
            page = missing(f"analytics:report {slug}")
        found.append((f"report: {slug}", page, probe.report(slug)))
    return found
