"""Service-desk scenarios of ``make bench`` (issue #5): the contact-centre board, a case page
and a knowledge-base search, each next to the raw SQL behind it, timed in the same run.

Runs in a child process with a data directory of its own (``BENCH_SERVICE_DIR``, default a
temporary directory), so the bench's main database is not touched:

1. a small client base (``BENCH_SERVICE_COMPANIES``, default 20,000 companies and 50,000
   contacts) from ``accord.ops.generator``; 30 service agents in 5 queues;
2. ``BENCH_CASES`` cases (default 1,000,000; 2 % of them open, the rest resolved or closed
   over three years), ``BENCH_CASE_MESSAGES`` messages (default 5,000,000) and two events per
   case, written with ``bulk_create``;
3. ``BENCH_KB_ARTICLES`` published articles (default 50,000) in Russian, French, English and
   German, indexed for search by the knowledge base's own bulk indexer;
4. each page through Django's test client (URL, middleware, selectors, templates) as an agent
   and as the head of service, ``BENCH_RUNS`` times (default 30) after 3 warm-ups, and the
   raw SQL behind it on a plain cursor. Goal: median < 100 ms.

Sizes are multiplied by ``BENCH_SCALE``. Run alone: ``python bench/bench_service.py``.
"""

from __future__ import annotations

import datetime
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCALE = float(os.environ.get("BENCH_SCALE", "1"))
GOAL_MS = 100.0
RUNS = int(os.environ.get("BENCH_RUNS", "30"))
WARMUPS = int(os.environ.get("BENCH_WARMUPS", "3"))


def _size(name: str, default: int) -> int:
    return max(50, int(int(os.environ.get(name, default)) * SCALE))


COMPANIES = _size("BENCH_SERVICE_COMPANIES", 20_000)
CASES = _size("BENCH_CASES", 1_000_000)
MESSAGES = _size("BENCH_CASE_MESSAGES", 5_000_000)
ARTICLES = _size("BENCH_KB_ARTICLES", 50_000)
OPEN_SHARE = 0.02
AGENTS = 30
QUEUES = 5
BATCH = 10_000

SUBJECTS = [
    "Котёл не запускается после отключения электроэнергии",
    "Ошибка E21 на панели управления",
    "Нужна копия исполнительной документации",
    "Протечка в узле учёта тепла",
    "Счёт на оплату выставлен дважды",
    "Chaudière en panne depuis ce matin",
    "Demande de plans d'exécution mis à jour",
    "Bruit anormal de la pompe de circulation",
    "Heizung fällt nachts aus",
    "Rechnung doppelt erhalten",
    "Ventilation unit alarm after filter change",
    "Request for maintenance visit next week",
]
BODIES = [
    "Добрый день! После планового отключения электроэнергии котёл не запускается, на "
    "дисплее мигает индикатор аварии. Просим направить инженера. Серийный номер на шильдике.",
    "Bonjour, la chaudière affiche un code défaut et s'arrête toutes les dix minutes. "
    "Pouvez-vous nous envoyer un technicien cette semaine ? Merci d'avance.",
    "Guten Tag, die Heizungsanlage schaltet sich nachts ab und startet morgens nicht von "
    "selbst. Bitte schicken Sie einen Techniker. Mit freundlichen Grüßen",
    "Hello, after replacing the filters the ventilation unit shows a pressure alarm and stops. "
    "Could an engineer check the sensors during the next visit?",
]
REPLIES = [
    "Спасибо за обращение. Инженер свяжется с вами сегодня до 17:00 и согласует время визита.",
    "Merci pour votre message. Un technicien passera demain matin entre 9 h et 12 h.",
    "Vielen Dank. Unser Techniker meldet sich heute noch, um einen Termin abzustimmen.",
    "Thank you. We have scheduled a visit for tomorrow morning and will confirm by phone.",
]
# (language, title, body) seeds for articles; each article varies one of them.
ARTICLE_SEEDS = [
    (
        "ru",
        "Котёл не запускается после отключения электроэнергии",
        "Проверьте автомат защиты, сбросьте аварию кнопкой RESET и убедитесь, что давление в "
        "системе отопления не ниже 1,2 бар. Если котёл снова уходит в аварию, замените датчик "
        "тяги и проверьте дымоход.",
    ),
    (
        "ru",
        "Ошибка E21: перегрев теплообменника",
        "Ошибка возникает при недостаточной циркуляции теплоносителя. Проверьте насос, "
        "фильтры и запорную арматуру; удалите воздух из системы.",
    ),
    (
        "fr",
        "Chaudière en panne : code défaut après une coupure de courant",
        "Vérifiez le disjoncteur, réarmez la chaudière et contrôlez la pression du circuit de "
        "chauffage (au moins 1,2 bar). Si les pannes se répètent, remplacez la sonde.",
    ),
    (
        "de",
        "Heizung startet nach Stromausfall nicht",
        "Prüfen Sie die Sicherung, setzen Sie die Störung zurück und kontrollieren Sie den "
        "Anlagendruck der Heizungen (mindestens 1,2 bar). Bei wiederholten Störungen den "
        "Fühler tauschen.",
    ),
    (
        "en",
        "Ventilation unit pressure alarm after filter replacement",
        "Check that the filters are installed in the right direction, clean the pressure "
        "sensor tubes and recalibrate the differential pressure switch.",
    ),
]


# --- child side -------------------------------------------------------------------------------


def _django(data_dir: str) -> None:
    os.environ["ACCORD_DATA_DIR"] = data_dir
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def say(line: str = "") -> None:
    print(f"SAY {line}", flush=True)


def _chunks(total: int, size: int = BATCH) -> Iterator[tuple[int, int]]:
    for start in range(0, total, size):
        yield start, min(total, start + size)


def _people() -> dict[str, Any]:
    """Queues with their teams, 30 agents spread over them, a head of service."""
    from accord.core.models import Role, Team, User
    from accord.service.models import Queue

    agent_role = Role.objects.get(code="service_agent")
    head_role = Role.objects.get(code="service_manager")
    queues = list(Queue.objects.filter(is_default=True))
    for index in range(1, QUEUES):
        team, _created = Team.objects.get_or_create(name=f"Service line {index + 1}")
        queues.append(Queue.objects.create(name=f"Line {index + 1}", team=team, position=index))
    agents = []
    for index in range(AGENTS):
        user, _created = User.objects.get_or_create(
            username=f"bench_agent_{index + 1}",
            defaults={"first_name": "Agent", "last_name": str(index + 1), "language": "en"},
        )
        user.roles.add(agent_role)
        user.teams.add(queues[index % QUEUES].team)
        agents.append(user)
    head, _created = User.objects.get_or_create(
        username="bench_head_of_service",
        defaults={"first_name": "Head", "last_name": "Service", "language": "en"},
    )
    head.roles.add(head_role)
    return {"queues": queues, "agents": agents, "head": head}


def generate_cases(people: dict[str, Any]) -> float:
    """CASES cases, MESSAGES messages and two events per case, with bulk_create."""
    from django.db import transaction
    from django.utils import timezone

    from accord.parties.models import Company, Contact
    from accord.service.models import Case, CaseEvent, CaseMessage, Category
    from accord.sla.models import SlaPolicy

    rng = random.Random(5)
    now = timezone.now()
    # History has dates: let the generator set them instead of "now".
    for model in (CaseMessage, CaseEvent):
        model._meta.get_field("created_at").auto_now_add = False
    started = time.monotonic()
    company_ids = list(Company.objects.values_list("id", flat=True))
    contact_ids = list(Contact.objects.values_list("id", flat=True)[:50_000])
    categories = list(Category.objects.values_list("id", flat=True))
    policy = SlaPolicy.objects.order_by("id").first()
    queues = people["queues"]
    agents = people["agents"]
    agents_of = {
        q.pk: [a for i, a in enumerate(agents) if i % QUEUES == n] for n, q in enumerate(queues)
    }
    statuses_open = ["new", "in_progress", "waiting"]
    priorities = ["low", "normal", "normal", "normal", "high", "urgent"]
    channels = ["email", "email", "phone", "portal", "web_form", "manual"]
    span = datetime.timedelta(days=3 * 365)
    open_count = int(CASES * OPEN_SHARE)
    per_case = MESSAGES / CASES
    made_messages = 0
    for start, end in _chunks(CASES):
        cases = []
        for number in range(start, end):
            is_open = number >= CASES - open_count  # the newest cases are the open ones
            if is_open:
                created = now - datetime.timedelta(minutes=rng.randint(5, 6 * 24 * 60))
                status = rng.choice(statuses_open)
            else:
                created = now - span + span * (number / CASES) * 0.98
                status = "closed" if rng.random() < 0.85 else "resolved"
            queue = queues[number % QUEUES]
            owner = None if (is_open and rng.random() < 0.2) else rng.choice(agents_of[queue.pk])
            first_due = created + datetime.timedelta(hours=4)
            resolution_due = created + datetime.timedelta(days=3)
            responded = (
                None
                if status == "new"
                else created + datetime.timedelta(minutes=rng.randint(5, 600))
            )
            resolved = None if is_open else created + datetime.timedelta(hours=rng.randint(1, 120))
            cases.append(
                Case(
                    subject=rng.choice(SUBJECTS),
                    description=rng.choice(BODIES),
                    status=status,
                    priority=rng.choice(priorities),
                    channel=rng.choice(channels),
                    category_id=rng.choice(categories),
                    company_id=rng.choice(company_ids),
                    contact_id=rng.choice(contact_ids)
                    if contact_ids and rng.random() < 0.8
                    else None,
                    queue_id=queue.pk,
                    team_id=queue.team_id,
                    owner=owner,
                    sla_policy=policy,
                    first_response_due_at=first_due,
                    first_responded_at=responded,
                    resolution_due_at=resolution_due,
                    first_response_breached=bool(responded and responded > first_due),
                    resolution_breached=bool(resolved and resolved > resolution_due),
                    sla_warned_at=(created + datetime.timedelta(hours=3))
                    if is_open and rng.random() < 0.1
                    else None,
                    resolved_at=resolved,
                    closed_at=resolved + datetime.timedelta(days=3)
                    if resolved and status == "closed"
                    else None,
                    last_message_at=responded or created,
                    created_at=created,
                    updated_at=resolved or responded or created,
                )
            )
        with transaction.atomic():
            Case.objects.bulk_create(cases, batch_size=2000)
            messages = []
            events = []
            for case in cases:
                want = int(per_case * (case.pk or 0) + per_case) - int(per_case * (case.pk or 0))
                # Spread MESSAGES over the cases: about per_case each, at least one.
                count = max(1, want)
                for index in range(count):
                    inbound = index % 2 == 0
                    messages.append(
                        CaseMessage(
                            case_id=case.pk,
                            kind="inbound" if inbound else rng.choice(["reply", "reply", "note"]),
                            author=None if inbound else case.owner,
                            from_address="client@example.com" if inbound else "",
                            subject=case.subject,
                            body_text=rng.choice(BODIES if inbound else REPLIES),
                            created_at=case.created_at + datetime.timedelta(minutes=30 * index),
                        )
                    )
                events.append(
                    CaseEvent(case_id=case.pk, kind="created", created_at=case.created_at)
                )
                if case.status in ("resolved", "closed"):
                    events.append(
                        CaseEvent(
                            case_id=case.pk,
                            kind="status",
                            actor=case.owner,
                            from_value="in_progress",
                            to_value=case.status,
                            reason="",
                            created_at=case.resolved_at or case.created_at,
                        )
                    )
            CaseMessage.objects.bulk_create(messages, batch_size=2000)
            CaseEvent.objects.bulk_create(events, batch_size=2000)
            made_messages += len(messages)
        if end % 100_000 == 0 or end == CASES:
            print(f"  cases {end:,}/{CASES:,}, messages {made_messages:,}", flush=True)
    return time.monotonic() - started


def generate_articles(author: Any) -> float:
    """ARTICLES published articles, variations of ARTICLE_SEEDS, prepared by the knowledge
    base's own code (sanitised body, plain text, stems) and written with bulk_create; the
    search index follows through its triggers, as for articles saved one by one."""
    from django.db import transaction

    from accord.kb import services as kb_services
    from accord.kb.models import Article

    started = time.monotonic()
    rng = random.Random(9)
    words = {
        "ru": ["насос", "датчик", "давление", "теплообменник", "дымоход", "фильтр", "клапан"],
        "fr": ["pompe", "sonde", "pression", "échangeur", "conduit", "filtre", "vanne"],
        "de": ["Pumpe", "Fühler", "Druck", "Wärmetauscher", "Abgasrohr", "Filter", "Ventil"],
        "en": ["pump", "sensor", "pressure", "exchanger", "flue", "filter", "valve"],
    }
    for start, end in _chunks(ARTICLES, 2000):
        batch = []
        for number in range(start, end):
            language, title, body = ARTICLE_SEEDS[number % len(ARTICLE_SEEDS)]
            extra = " ".join(rng.sample(words[language], 3))
            article = Article(
                title=f"{title} ({number + 1})",
                body_html=f"<p>{body}</p><p>{extra}</p>",
                language=language,
                status=Article.Status.PUBLISHED,
                visibility=Article.Visibility.INTERNAL if number % 3 else Article.Visibility.PUBLIC,
                owner=author,
                current_version=1,
            )
            kb_services._refresh_derived(article)
            batch.append(article)
        with transaction.atomic():
            Article.objects.bulk_create(batch)
    return time.monotonic() - started


def raw_search(connection: Any, text: str) -> Callable[[], Any]:
    """The FTS5 query and the page's rows, with the same stems the page searches for."""
    from accord.kb import search

    query = search.parse_query(text)
    rows = (
        "SELECT a.id, bm25(kb_article_fts, 10.0, 1.0) AS r FROM kb_article_fts "
        "JOIN kb_article a ON a.id = kb_article_fts.rowid "
        "WHERE kb_article_fts MATCH %s AND a.status = 'published' ORDER BY r, a.id LIMIT 20"
    )
    count = (
        "SELECT COUNT(*) FROM (SELECT 1 FROM kb_article_fts JOIN kb_article a "
        "ON a.id = kb_article_fts.rowid WHERE kb_article_fts MATCH %s "
        "AND a.status = 'published' LIMIT 1000)"
    )

    def run() -> None:
        with connection.cursor() as cursor:
            cursor.execute(rows, [query.fts5()])
            ids = [row[0] for row in cursor.fetchall()]
            if ids:
                marks = ", ".join(["%s"] * len(ids))
                cursor.execute(
                    f"SELECT id, title, summary, body_text, language FROM kb_article "
                    f"WHERE id IN ({marks})",
                    ids,
                )
                cursor.fetchall()
            cursor.execute(count, [query.fts5()])
            cursor.fetchall()

    return run


def timed(func: Callable[[], Any]) -> list[float]:
    for _ in range(WARMUPS):
        func()
    samples = []
    for _ in range(RUNS):
        began = time.perf_counter()
        func()
        samples.append((time.perf_counter() - began) * 1000)
    return samples


def _get(client: Any, url: str, **params: str) -> Callable[[], Any]:
    def request() -> Any:
        response = client.get(url, params)
        if response.status_code != 200:
            raise RuntimeError(f"HTTP {response.status_code} for {url}")
        return response

    return request


class Probe:
    """The raw SQL behind each page on a plain cursor: what the page must at least read."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    def _runner(self, *queries: tuple[str, list[Any]]) -> Callable[[], Any]:
        def run() -> None:
            with self.connection.cursor() as cursor:
                for sql, params in queries:
                    cursor.execute(sql, params)
                    cursor.fetchall()

        return run

    def board(self, now: datetime.datetime) -> Callable[[], Any]:
        """Open cases per queue by age bucket and SLA state, the per-agent load, the oldest."""
        hour = datetime.timedelta(hours=1)
        edges = [now - hour, now - 4 * hour, now - 24 * hour, now - 72 * hour]
        open_ = "status IN ('new', 'in_progress', 'waiting')"
        counts = (
            "SELECT queue_id, COUNT(*), "
            "SUM(CASE WHEN created_at >= %s THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN created_at < %s AND created_at >= %s THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN created_at < %s AND created_at >= %s THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN created_at < %s AND created_at >= %s THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN created_at < %s THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN first_response_breached OR resolution_breached THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN sla_warned_at IS NOT NULL THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN status = 'waiting' THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN owner_id IS NULL THEN 1 ELSE 0 END) "
            f"FROM service_case WHERE {open_} GROUP BY queue_id"
        )
        params = [edges[0], edges[0], edges[1], edges[1], edges[2], edges[2], edges[3], edges[3]]
        load = f"SELECT owner_id, COUNT(*) FROM service_case WHERE {open_} GROUP BY owner_id"
        oldest = (
            f"SELECT c.id, c.subject, c.priority, c.created_at, c.resolution_due_at "
            f"FROM service_case c WHERE {open_} ORDER BY c.created_at LIMIT 20"
        )
        return self._runner((counts, params), (load, []), (oldest, []))

    def case_page(self, case_id: int) -> Callable[[], Any]:
        return self._runner(
            (
                "SELECT c.*, co.name, ct.full_name, q.name, u.first_name, u.last_name "
                "FROM service_case c LEFT JOIN parties_company co ON co.id = c.company_id "
                "LEFT JOIN parties_contact ct ON ct.id = c.contact_id "
                "LEFT JOIN service_queue q ON q.id = c.queue_id "
                "LEFT JOIN core_user u ON u.id = c.owner_id WHERE c.id = %s",
                [case_id],
            ),
            (
                "SELECT m.*, u.first_name, u.last_name FROM service_casemessage m "
                "LEFT JOIN core_user u ON u.id = m.author_id WHERE m.case_id = %s "
                "ORDER BY m.created_at, m.id",
                [case_id],
            ),
            (
                "SELECT a.* FROM service_caseattachment a JOIN service_casemessage m "
                "ON m.id = a.message_id WHERE m.case_id = %s",
                [case_id],
            ),
            (
                "SELECT e.* FROM service_caseevent e WHERE e.case_id = %s "
                "ORDER BY e.created_at, e.id",
                [case_id],
            ),
        )


def child_run(data_dir: str) -> None:
    _django(data_dir)
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from accord.core.audit import audit_context
    from accord.ops.generator import generate
    from accord.service.models import Case, CaseMessage

    call_command("migrate", verbosity=0)
    keep = os.environ.get("BENCH_KEEP") == "1" and Case.objects.exists()
    if keep:
        from accord.core.models import User
        from accord.kb.models import Article

        people = {
            "agents": list(User.objects.filter(username__startswith="bench_agent_").order_by("id")),
            "head": User.objects.get(username="bench_head_of_service"),
        }
        kb = Article.objects.exists()
        say(
            f"  reusing the data of the previous run (BENCH_KEEP=1): {Case.objects.count():,} "
            f"cases, {CaseMessage.objects.count():,} messages"
        )
    else:
        began = time.monotonic()
        with audit_context(source="command"):
            generate(
                companies=COMPANIES,
                contacts=COMPANIES * 5 // 2,
                activities=0,
                deals=0,
                order_lines=0,
                users=5,
            )
        say(f"  client base: {COMPANIES:,} companies in {time.monotonic() - began:.1f} s")
        people = _people()
        seconds = generate_cases(people)
        cases = Case.objects.count()
        messages = CaseMessage.objects.count()
        say(
            f"  generated {cases:,} cases ({int(CASES * OPEN_SHARE):,} open) and {messages:,} "
            f"messages in {seconds:.1f} s"
        )
        try:
            seconds = generate_articles(people["head"])
            say(f"  generated {ARTICLES:,} knowledge-base articles in {seconds:.1f} s")
            kb = True
        except Exception as exc:  # report, measure the rest
            traceback.print_exc(limit=3)
            say(f"  knowledge-base articles not generated ({exc}); KB search not measured")
            kb = False
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    probe = Probe(connection)
    typical = (
        Case.objects.filter(status="in_progress").order_by("-id").values_list("id", flat=True)[0]
    )
    busy = Case.objects.filter(status="waiting").order_by("-id").values_list("id", flat=True)[0]
    moment = timezone.now()
    extra = [
        CaseMessage(
            case_id=busy,
            kind="inbound" if i % 2 == 0 else "reply",
            body_text=BODIES[i % 4],
            created_at=moment - datetime.timedelta(minutes=100 - i),
        )
        for i in range(95)
    ]
    if CaseMessage.objects.filter(case_id=busy).count() < 100:
        CaseMessage.objects.bulk_create(extra)
    from django.urls import reverse

    from accord.service.panels import panels_for

    rows: list[tuple[str, str, list[float], list[float], int, float]] = []
    for label, user in (("agent", people["agents"][0]), ("head", people["head"])):
        client = Client()
        client.force_login(user)
        scenarios: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = [
            (
                "contact-centre board",
                _get(client, reverse("service:board")),
                probe.board(timezone.now()),
            ),
            (
                "board, live refresh (every 15 s)",
                _get(client, reverse("service:board_live")),
                probe.board(timezone.now()),
            ),
            (
                "case page (5 messages)",
                _get(client, reverse("service:case_detail", args=[typical])),
                probe.case_page(typical),
            ),
            (
                "case page (100 messages)",
                _get(client, reverse("service:case_detail", args=[busy])),
                probe.case_page(busy),
            ),
        ]
        # The panels the case page loads right after it (SLA, coverage, suggested articles,
        # work orders, rating), one request each, as htmx sends them.
        for panel, url in panels_for(user, typical):
            scenarios.append(
                (f"case panel: {panel.key}", _get(client, url), probe.case_page(typical))
            )
        if kb:
            for query in (
                "котёл не запускается",
                "chaudière pression",
                "Heizungen Störung",
                "filter pressure alarm",
            ):
                scenarios.append(
                    (
                        f"KB search: {query}",
                        _get(client, reverse("kb:article_list"), q=query),
                        raw_search(connection, query),
                    )
                )
        for name, ours, raw in scenarios:
            try:
                raw_samples = timed(raw)
                our_samples = timed(ours)
                with CaptureQueriesContext(connection) as captured:
                    ours()
                sql_ms = sum(float(q["time"]) for q in captured.captured_queries) * 1000
                rows.append(
                    (name, label, our_samples, raw_samples, len(captured.captured_queries), sql_ms)
                )
                print(f"  {name} ({label}): {statistics.median(our_samples):.1f} ms", flush=True)
            except Exception as exc:  # report per scenario, keep going
                traceback.print_exc(limit=3)
                say(f"  {name} ({label}): ERROR {type(exc).__name__}: {exc}"[:200])
    say(f"  {RUNS} runs after {WARMUPS} warm-ups; ratio = median / raw SQL median")
    header = (
        f"  {'scenario':<34} {'user':<6} {'median':>8} {'p95':>8} {'raw SQL':>8} {'ratio':>6}"
        f"  goal  {'queries':>7} {'SQL in page':>11}"
    )
    say(header)
    say("  " + "-" * (len(header) - 2))
    for name, label, ours, raw, queries, sql_ms in rows:
        median = statistics.median(ours)
        p95 = sorted(ours)[min(len(ours) - 1, round(0.95 * (len(ours) - 1)))]
        raw_median = statistics.median(raw)
        verdict = "PASS" if median < GOAL_MS else "MISS"
        say(
            f"  {name:<34} {label:<6} {median:>6.1f}ms {p95:>6.1f}ms {raw_median:>6.2f}ms "
            f"{median / raw_median:>5.1f}x  {verdict:<5} {queries:>7} {sql_ms:>9.1f}ms"
        )


# --- parent side ------------------------------------------------------------------------------


def run(report: Callable[[str], None]) -> None:
    own = os.environ.get("BENCH_SERVICE_DIR")
    data_dir = own or tempfile.mkdtemp(prefix="accord-bench-service-")
    if not own or os.environ.get("BENCH_KEEP") != "1":
        shutil.rmtree(data_dir, ignore_errors=True)
    Path(data_dir, "static").mkdir(parents=True, exist_ok=True)
    report(
        f"service desk (issue #5): {CASES:,} cases, {MESSAGES:,} messages, {ARTICLES:,} "
        f"articles, SQLite; goal: median < {GOAL_MS:.0f} ms"
    )
    try:
        process = subprocess.Popen(
            [sys.executable, __file__, "--child", data_dir],
            stdout=subprocess.PIPE,
            text=True,
            cwd=str(ROOT),
        )
        assert process.stdout is not None
        for line in process.stdout:
            line = line.rstrip("\n")
            if line.startswith("SAY "):
                report(line[4:])
            else:
                print(line, flush=True)
        if process.wait() != 0:
            report(f"  ERROR: the service bench child exited with {process.returncode}")
    finally:
        if not own:
            shutil.rmtree(data_dir, ignore_errors=True)


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child_run(sys.argv[2])
        return 0
    run(lambda line: print(line, flush=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
