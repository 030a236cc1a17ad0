"""``make bench``: generate a large client base into a fresh database and time the pages.

Sizes come from the environment (defaults: the issues' 1M contacts, 300k companies, 3M
activities, 300k deals and 1M order lines); ``BENCH_SCALE=0.01`` multiplies them all for a
quick run. Each scenario is timed through Django's test client (real URLs, middleware,
templates, permission-scoped selectors) as a sales manager and as the head of sales, and next
to it the raw SQL behind it is timed with a plain cursor in the same run. The sales scenarios
(board, dashboard, reports: issue #3) live in bench_sales.py. See bench/README.md.
"""

from __future__ import annotations

import base64
import datetime
import json
import os
import platform
import shutil
import statistics
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bench_dedup  # beside this file
import bench_export
import bench_import
import bench_sales
import bench_service

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
GOAL_MS = 50.0
GOAL_RATIO = 3.0
SALES_GOAL_MS = 200.0  # issue #3: the board and every analytics view; no ratio goal


def _int_env(name: str, default: int, scale: float) -> int:
    return max(1, int(int(os.environ.get(name, default)) * scale))


SCALE = float(os.environ.get("BENCH_SCALE", "1"))
CONTACTS = _int_env("BENCH_CONTACTS", 1_000_000, SCALE)
COMPANIES = _int_env("BENCH_COMPANIES", 300_000, SCALE)
ACTIVITIES = _int_env("BENCH_ACTIVITIES", 3_000_000, SCALE)
DEALS = _int_env("BENCH_DEALS", 300_000, SCALE)
ORDER_LINES = _int_env("BENCH_ORDER_LINES", 1_000_000, SCALE)
USERS = int(os.environ.get("BENCH_USERS", "20"))
RUNS = int(os.environ.get("BENCH_RUNS", "30"))
WARMUPS = int(os.environ.get("BENCH_WARMUPS", "3"))
KEEP = os.environ.get("BENCH_KEEP", "") == "1"  # reuse the data of the previous run
ONLY = os.environ.get("BENCH_ONLY", "")  # "clients", "sales" or "data": one group of scenarios
SALES = ONLY in ("", "sales")
CLIENTS = ONLY in ("", "clients")
DATA = ONLY in ("", "data")  # issue #4: import, export, duplicate scan
SERVICE = ONLY in ("", "service")  # issue #5: board, case page, knowledge-base search


def prepare_database() -> str:
    """Point Accord at a fresh database of its own before Django starts."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://", "pgsql://")):
        import dj_database_url
        import psycopg

        config = dj_database_url.parse(url)
        name = os.environ.get("BENCH_DB_NAME", "accord_bench")
        if not KEEP:
            with psycopg.connect(
                dbname=config["NAME"] or "postgres",
                user=config["USER"] or None,
                password=config["PASSWORD"] or None,
                host=config["HOST"] or None,
                port=config["PORT"] or None,
                autocommit=True,
            ) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                admin.execute(f'CREATE DATABASE "{name}"')
        base, _sep, _old = url.rpartition("/")
        os.environ["DATABASE_URL"] = f"{base}/{name}"
        return f"PostgreSQL database {name}"
    data_dir = Path(os.environ.get("BENCH_DATA_DIR", RESULTS / "data"))
    if not KEEP:
        shutil.rmtree(data_dir, ignore_errors=True)
    (data_dir / "static").mkdir(parents=True, exist_ok=True)  # WhiteNoise warns without it
    os.environ["ACCORD_DATA_DIR"] = str(data_dir)
    os.environ.pop("DATABASE_URL", None)
    return f"SQLite {data_dir / 'accord.sqlite3'}"


@dataclass
class Row:
    scenario: str
    user: str
    ours: list[float] = field(default_factory=list)
    raw: list[float] = field(default_factory=list)
    error: str = ""
    queries: int = 0  # SQL statements one request runs
    sql_ms: float = 0.0  # time spent in them, as Django measures it
    goal_ms: float = GOAL_MS
    goal_ratio: float | None = GOAL_RATIO  # None: the ratio is reported, not a goal

    @property
    def median(self) -> float:
        return statistics.median(self.ours) if self.ours else float("nan")

    @property
    def p95(self) -> float:
        if not self.ours:
            return float("nan")
        ordered = sorted(self.ours)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]

    @property
    def raw_median(self) -> float:
        return statistics.median(self.raw) if self.raw else float("nan")

    @property
    def ratio(self) -> float:
        return self.median / self.raw_median if self.raw and self.ours else float("nan")

    @property
    def verdict(self) -> str:
        if self.error:
            return "ERROR"
        ratio_met = self.goal_ratio is None or self.ratio <= self.goal_ratio
        return "PASS" if self.median < self.goal_ms and ratio_met else "MISS"


def timed(func: Callable[[], Any]) -> list[float]:
    for _ in range(WARMUPS):
        func()
    samples = []
    for _ in range(RUNS):
        started = time.perf_counter()
        func()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def main() -> int:
    if ONLY == "service":  # a base of its own, in a child process: skip the main one
        lines = []

        def report(line: str = "") -> None:
            print(line, flush=True)
            lines.append(line)

        report(f"Accord bench {datetime.datetime.now().isoformat(timespec='seconds')}")
        report(
            f"machine: {platform.platform()}, {os.cpu_count()} CPUs, "
            f"Python {platform.python_version()}"
        )
        bench_service.run(report)
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "latest-service.txt").write_text("\n".join(lines) + "\n")
        return 0
    where = prepare_database()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from accord.core.audit import audit_context
    from accord.ops import generator

    lines: list[str] = []

    def say(line: str = "") -> None:
        print(line, flush=True)
        lines.append(line)

    say(f"Accord bench {datetime.datetime.now().isoformat(timespec='seconds')}")
    say(f"database: {where} ({connection.vendor})")
    say(
        f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    say(f"load average at start: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    say(
        f"size: {COMPANIES:,} companies, {CONTACTS:,} contacts, {ACTIVITIES:,} activities, "
        f"{DEALS:,} deals, {ORDER_LINES:,} order lines"
    )
    call_command("migrate", verbosity=0)
    from accord.parties.models import Contact

    if KEEP and Contact.objects.exists():
        say("generation: skipped (BENCH_KEEP=1, reusing the previous data)")
    else:
        with audit_context(source="command"):
            result = generator.generate(
                companies=COMPANIES,
                contacts=CONTACTS,
                activities=ACTIVITIES,
                deals=DEALS,
                order_lines=ORDER_LINES,
                users=USERS,
                progress=lambda line: print(f"  {line}", flush=True),
            )
        say(
            f"generation: {result.rows:,} rows in {result.seconds:.1f} s "
            f"({result.rows_per_second:,.0f} rows/s)"
        )
    say(f"load average before measuring: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    rows = run_scenarios(say) if (SALES or CLIENTS) else []
    if rows:
        say()
        say(f"{RUNS} runs after {WARMUPS} warm-ups")
        say(
            "(ratio = median / raw SQL median; 'queries' and 'SQL in page' come from one extra "
            "request with query capture on)"
        )
    for title, part in (
        (
            f"clients (issue #2) -- goal: median < {GOAL_MS:.0f} ms and <= {GOAL_RATIO:.0f}x raw SQL",
            [r for r in rows if r.goal_ratio is not None],
        ),
        (
            f"sales (issue #3) -- goal: median < {SALES_GOAL_MS:.0f} ms; ratio reported",
            [r for r in rows if r.goal_ratio is None],
        ),
    ):
        if not part:
            continue
        say()
        say(title)
        header = (
            f"{'scenario':<30} {'user':<8} {'median':>8} {'p95':>8} {'raw SQL':>8} {'ratio':>6}"
            f"  goal  {'queries':>7} {'SQL in page':>11}"
        )
        say(header)
        say("-" * len(header))
        for row in part:
            if row.error:
                say(f"{row.scenario:<30} {row.user:<8} ERROR: {row.error}")
                continue
            say(
                f"{row.scenario:<30} {row.user:<8} {row.median:>6.1f}ms {row.p95:>6.1f}ms "
                f"{row.raw_median:>6.2f}ms {row.ratio:>5.1f}x  {row.verdict:<5} "
                f"{row.queries:>7} {row.sql_ms:>9.1f}ms"
            )
    if DATA:
        # The duplicate scan reads the base generated above; import and export generate bases
        # of their own in child processes, so they never change the one measured above.
        for title, module in (
            ("duplicate scan (issue #4) -- goal: 1M contacts in under 2 minutes", bench_dedup),
            ("export (issue #4) -- rows/s and flat memory", bench_export),
            ("import (issue #4) -- goal: >= 5,000 rows/s; peak RSS 1M <= 1.2x 100k", bench_import),
        ):
            say()
            say(title)
            try:
                module.run(say)
            except Exception as exc:  # report and keep going with the next group
                say(f"ERROR: {type(exc).__name__}: {exc}"[:200])
                traceback.print_exc(limit=5)
    if SERVICE:
        say()
        try:
            bench_service.run(say)
        except Exception as exc:  # report and keep going
            say(f"ERROR: {type(exc).__name__}: {exc}"[:200])
            traceback.print_exc(limit=5)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.txt").write_text("\n".join(lines) + "\n")
    print(f"\nwritten to {RESULTS / 'latest.txt'}")
    return 0


# --- scenarios ------------------------------------------------------------------------------


def encode_cursor(value: Any, pk: int) -> str:
    try:
        from accord.core.lists import encode_cursor as ours

        return ours(value, pk)
    except ImportError:  # pragma: no cover - the list module is not there yet
        raw = json.dumps([value, pk], ensure_ascii=False).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def run_scenarios(say: Callable[[str], None]) -> list[Row]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from accord.core.models import ApiToken, User
    from accord.ops import generator

    manager = User.objects.get(username=f"{generator.MANAGER_PREFIX}1")
    head = User.objects.get(username=generator.HEAD_USERNAME)
    results: list[Row] = []
    for label, user in (("manager", manager), ("head", head)):
        client = Client()
        client.force_login(user)
        token = _token(user, ApiToken)
        probe = Probe(user, connection)
        scenarios: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = []
        company_list = reverse("parties:company_list")
        scenarios.append(
            ("company list, page 1", _get(client, company_list), probe.company_page(None))
        )
        deep = probe.deep_company()
        if deep is not None:
            cursor = encode_cursor(*deep)
            scenarios.append(
                (
                    "company list, deep page",
                    _get(client, company_list, after=cursor),
                    probe.company_page(deep),
                )
            )
        search = reverse("search")
        for kind, query in probe.search_terms().items():
            scenarios.append(
                (f"search: {kind}", _get(client, search, q=query), probe.search(kind, query))
            )
        busiest = probe.busiest_company()
        if busiest is not None:
            scenarios.append(
                (
                    "client card",
                    _get(client, reverse("parties:company_detail", args=[busiest])),
                    probe.card(busiest),
                )
            )
        auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        scenarios.append(
            ("API /api/companies", _get(client, "/api/companies", auth), probe.company_page(None))
        )
        scenarios.append(
            ("API /api/contacts", _get(client, "/api/contacts", auth), probe.contact_page())
        )
        sales_names = set()
        if SALES:
            for name, ours, raw in bench_sales.scenarios(client, user, connection, _get):
                scenarios.append((name, ours, raw))
                sales_names.add(name)
        if not CLIENTS:
            scenarios = [s for s in scenarios if s[0] in sales_names]
        for name, ours, raw in scenarios:
            row = Row(name, label)
            if name in sales_names:
                row.goal_ms, row.goal_ratio = SALES_GOAL_MS, None
            try:
                row.raw = timed(raw)
                row.ours = timed(ours)
                with CaptureQueriesContext(connection) as captured:
                    ours()
                row.queries = len(captured.captured_queries)
                row.sql_ms = sum(float(q["time"]) for q in captured.captured_queries) * 1000
            except Exception as exc:  # report per scenario, keep going
                row.error = f"{type(exc).__name__}: {exc}"[:160]
                traceback.print_exc(limit=3)
            results.append(row)
            print(
                f"  {name} ({label}): "
                + (row.error or f"{row.median:.1f} ms vs raw {row.raw_median:.2f} ms"),
                flush=True,
            )
    return results


def _token(user: Any, api_token_model: Any) -> str:
    try:
        from accord.core.services import api_token_create

        _row, secret = api_token_create(actor=user, name="bench")
        return str(secret)
    except ImportError:  # pragma: no cover - older tree
        secret = api_token_model.new_secret()
        api_token_model.objects.create(
            user=user,
            name="bench",
            prefix=secret[:12],
            token_hash=api_token_model.hash_secret(secret),
        )
        return str(secret)


def _get(
    client: Any, url: str, headers: dict[str, str] | None = None, **params: str
) -> Callable[[], Any]:
    def request() -> Any:
        response = client.get(url, params, **(headers or {}))
        if response.status_code != 200:
            raise RuntimeError(f"HTTP {response.status_code} for {url}")
        return response

    return request


class Probe:
    """The raw SQL behind each page, scoped like the selectors scope it, on a plain cursor."""

    def __init__(self, user: Any, connection: Any) -> None:
        from accord.core.permissions import Scope, user_scope

        self.user = user
        self.connection = connection
        self.vendor = connection.vendor
        self.teams = list(user.teams.values_list("id", flat=True))
        self.scoped = user_scope(user, "company", "view") != Scope.ALL

    def _scope(self, alias: str) -> tuple[str, list[Any]]:
        if not self.scoped:
            return "1 = 1", []
        # The same predicate Accord sends: on SQLite, list pages and searches make the scope
        # non-indexable ("+ 0", see accord.core.permissions.ordered_scan) so that the sort
        # index or the search match drives the query. The baseline is that SQL, minus Django.
        plus = " + 0" if self.vendor == "sqlite" else ""
        if not self.teams:
            return f"{alias}.owner_id{plus} = %s", [self.user.pk]
        marks = ", ".join(["%s"] * len(self.teams))
        return f"({alias}.owner_id{plus} = %s OR {alias}.team_id{plus} IN ({marks}))", [
            self.user.pk,
            *self.teams,
        ]

    def _query(self, sql: str, params: list[Any]) -> list[Any]:
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def _runner(self, *queries: tuple[str, list[Any]]) -> Callable[[], Any]:
        def run() -> None:
            for sql, params in queries:
                self._query(sql, params)

        return run

    def company_page(self, after: tuple[str, int] | None) -> Callable[[], Any]:
        scope, params = self._scope("c")
        keyset = ""
        if after is not None:
            keyset = " AND (c.name > %s OR (c.name = %s AND c.id > %s))"
            params = [*params, after[0], after[0], after[1]]
        # The rows only: a join to the owners makes SQLite's planner sort the whole table.
        sql = f"SELECT c.* FROM parties_company c WHERE {scope}{keyset} ORDER BY c.name, c.id LIMIT 51"
        return self._runner((sql, params))

    def contact_page(self) -> Callable[[], Any]:
        scope, params = self._scope("c")
        sql = f"SELECT c.* FROM parties_contact c WHERE {scope} ORDER BY c.full_name, c.id LIMIT 51"
        return self._runner((sql, params))

    def deep_company(self) -> tuple[str, int] | None:
        scope, params = self._scope("c")
        count = self._query(f"SELECT COUNT(*) FROM parties_company c WHERE {scope}", params)[0][0]
        if count < 100:
            return None
        found = self._query(
            f"SELECT c.name, c.id FROM parties_company c WHERE {scope} "
            f"ORDER BY c.name, c.id LIMIT 1 OFFSET {int(count * 0.8)}",
            params,
        )
        return (found[0][0], found[0][1]) if found else None

    def search_terms(self) -> dict[str, str]:
        """A name fragment, a phone typed nationally and an e-mail of a visible contact."""
        import phonenumbers

        scope, params = self._scope("c")
        found = self._query(
            "SELECT c.last_name, p.normalized FROM parties_contact c "
            "JOIN parties_contactpoint p ON p.contact_id = c.id AND p.kind = 'phone' "
            f"WHERE {scope} AND p.normalized LIKE '+7%%' ORDER BY c.id LIMIT 1",
            params,
        )
        emails = self._query(
            "SELECT p.normalized FROM parties_contact c "
            "JOIN parties_contactpoint p ON p.contact_id = c.id AND p.kind = 'email' "
            f"WHERE {scope} ORDER BY c.id LIMIT 1",
            params,
        )
        terms: dict[str, str] = {}
        if found:
            last_name, phone = found[0]
            terms["name fragment"] = last_name[:5]
            national = phonenumbers.format_number(
                phonenumbers.parse(phone, None), phonenumbers.PhoneNumberFormat.NATIONAL
            )
            terms["phone (national format)"] = national
        if emails:
            terms["e-mail"] = emails[0][0]
        return terms

    def search(self, kind: str, query: str) -> Callable[[], Any]:
        """Companies and contacts, as the global search shows both."""
        from accord.parties.normalize import phone_for_search

        queries = []
        for table, order in (("parties_company", "name"), ("parties_contact", "full_name")):
            scope, params = self._scope("c")
            owner_column = "company_id" if table == "parties_company" else "contact_id"
            if kind == "name fragment":
                text = query.lower()
                if self.vendor == "sqlite":
                    match = f"c.id IN (SELECT rowid FROM {table}_fts WHERE {table}_fts MATCH %s)"
                    term = '"' + text.replace('"', '""') + '"'
                else:
                    match, term = "c.search_text LIKE %s", f"%{text}%"
                sql = f"SELECT c.id, c.{order} FROM {table} c WHERE {match} AND {scope} ORDER BY c.{order}, c.id LIMIT 25"
                queries.append((sql, [term, *params]))
            else:
                value = phone_for_search(query) if kind.startswith("phone") else query.lower()
                point_kind = "phone" if kind.startswith("phone") else "email"
                sql = (
                    f"SELECT c.id, c.{order} FROM {table} c WHERE c.id IN ("
                    f"SELECT {owner_column} FROM parties_contactpoint "
                    "WHERE kind = %s AND normalized = %s) "
                    f"AND {scope} ORDER BY c.{order}, c.id LIMIT 25"
                )
                queries.append((sql, [point_kind, value, *params]))
        return self._runner(*queries)

    def busiest_company(self) -> int | None:
        scope, params = self._scope("c")
        found = self._query(
            "SELECT a.company_id FROM activities_activity a "
            f"JOIN parties_company c ON c.id = a.company_id WHERE {scope} "
            "GROUP BY a.company_id ORDER BY COUNT(*) DESC LIMIT 1",
            params,
        )
        return found[0][0] if found else None

    def card(self, company_id: int) -> Callable[[], Any]:
        scope, params = self._scope("c")
        return self._runner(
            (
                "SELECT c.*, u.first_name, u.last_name, i.label FROM parties_company c "
                "JOIN core_user u ON u.id = c.owner_id "
                "LEFT JOIN core_picklistoption i ON i.id = c.industry_id "
                f"WHERE c.id = %s AND {scope}",
                [company_id, *params],
            ),
            (
                "SELECT * FROM parties_contactpoint WHERE company_id = %s ORDER BY kind, id",
                [company_id],
            ),
            (
                "SELECT p.* FROM parties_contact p JOIN parties_employment e "
                "ON e.contact_id = p.id WHERE e.company_id = %s ORDER BY p.full_name LIMIT 50",
                [company_id],
            ),
            (
                "SELECT a.* FROM activities_activity a WHERE a.company_id = %s "
                "ORDER BY a.at DESC, a.id DESC LIMIT 25",
                [company_id],
            ),
            (
                "SELECT * FROM core_auditentry WHERE (object_type = 'company' AND object_id = %s) "
                "OR (related_type = 'company' AND related_id = %s) "
                "ORDER BY timestamp DESC, id DESC LIMIT 25",
                [company_id, company_id],
            ),
        )


if __name__ == "__main__":
    sys.exit(main())
