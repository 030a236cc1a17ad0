"""Demo data for queues and routing: three more queues beside the first line, the rules that
feed them, a few agents, and open cases of every age opened through ``open_case`` so that the
routing really hands them out and the service board has something to show.

Runs after the core demo (users, companies). A second call creates nothing.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.utils import timezone

from accord.core import services as core_services
from accord.core.models import Picklist, PicklistOption, Role, Team, User
from accord.parties.models import Company
from accord.service import routing, services
from accord.service.models import Case, Category, Queue
from accord.service.seed import DEFAULT_TEAM

DEMO_PASSWORD = "accord-demo"  # noqa: S105 -- the demo's shared password, printed for all
MARKER_QUEUE = "Service engineers"

# username, first name, last name, language, time zone, team
AGENTS = (
    ("agent2", "Дмитрий", "Козлов", "ru", "Europe/Moscow", DEFAULT_TEAM),
    ("agent3", "Julie", "Martin", "fr", "Europe/Paris", DEFAULT_TEAM),
    ("expert", "Андрей", "Беляев", "ru", "Asia/Yekaterinburg", "Service engineers"),
    ("expert2", "Jonas", "Weber", "de", "Europe/Berlin", "Service engineers"),
)
# name, ru, fr, de, team, method, e-mail
QUEUES = (
    (
        MARKER_QUEUE,
        "Сервисные инженеры",
        "Ingénieurs service",
        "Serviceingenieure",
        "Service engineers",
        Queue.Method.LEAST_LOADED,
        "engineers@crm.example",
    ),
    (
        "Key accounts",
        "Ключевые клиенты",
        "Comptes clés",
        "Schlüsselkunden",
        DEFAULT_TEAM,
        Queue.Method.ROUND_ROBIN,
        "",
    ),
    (
        "Invoices",
        "Счета",
        "Facturation",
        "Rechnungen",
        DEFAULT_TEAM,
        Queue.Method.MANUAL,
        "billing@crm.example",
    ),
)
# subject, category code, channel, priority, hours ago
CASES = (
    ("Котёл не запускается после отключения электроэнергии", "fault", "phone", "high", 0.3),
    ("Ошибка E21 на панели управления", "fault", "email", "normal", 2.5),
    ("Pompe P-12 : fuite au presse-étoupe", "fault", "email", "urgent", 6),
    ("Нужна копия исполнительной документации", "documents", "portal", "low", 30),
    ("Rechnung 2026-118 doppelt gestellt", "billing", "email", "normal", 3),
    ("Mise en service de la chaufferie, lot 2", "installation", "phone", "normal", 50),
    ("Плановое ТО насосной станции", "maintenance", "manual", "normal", 80),
    ("Question sur la garantie du variateur", "question", "web_form", "low", 0.8),
    ("Жалоба на сроки выезда инженера", "complaint", "phone", "high", 100),
    ("Filter pressure alarm after service visit", "fault", "email", "high", 10),
)


def is_loaded() -> bool:
    return Queue.objects.filter(name=MARKER_QUEUE).exists()


def _admin() -> User | None:
    return User.objects.filter(is_active=True, roles__is_administrator=True).order_by("pk").first()


def _agents(admin: User) -> dict[str, User]:
    role = Role.objects.get(code="service_agent")
    teams = {
        name: Team.objects.filter(name=name).first()
        or core_services.team_create(actor=admin, name=name)
        for name in {a[5] for a in AGENTS}
    }
    users = {}
    for username, first, last, language, zone, team in AGENTS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = core_services.user_create(
                actor=admin,
                username=username,
                first_name=first,
                last_name=last,
                email=f"{username}@crm.example",
                password=DEMO_PASSWORD,
                language=language,
                time_zone=zone,
                roles=[role],
                teams=[teams[team]],
            )
        users[username] = user
    # the core demo's service agent works the first line too
    agent = User.objects.filter(username="agent").first()
    if agent is not None:
        agent.teams.add(teams[DEFAULT_TEAM])
    return users


def seed_demo(*, say: Callable[[str], None] | None = None) -> dict[str, int]:
    """Queues, routing rules, agents and routed open cases; returns counts for the summary."""
    report = say or (lambda _line: None)
    if is_loaded():
        return {}
    admin = _admin()
    if admin is None:
        return {}
    agents = _agents(admin)
    queues: dict[str, Queue] = {}
    for name, ru, fr, de, team, method, email in QUEUES:
        queues[name] = routing.queue_create(
            actor=admin,
            fields={
                "name": name,
                "name_ru": ru,
                "name_fr": fr,
                "name_de": de,
                "team": Team.objects.get(name=team),
                "method": method,
                "email": email,
                "supervisor": None,
                "is_default": False,
                "is_active": True,
                "position": None,
            },
        )
    categories = {c.code: c for c in Category.objects.all()}
    key = PicklistOption.objects.filter(picklist=Picklist.CLIENT_TIER, code="key").first()
    rules: list[dict[str, Any]] = [
        {"name": "Key accounts first", "queue": queues["Key accounts"], "tier": key},
        {"name": "Breakdowns", "queue": queues[MARKER_QUEUE], "category": categories["fault"]},
        {
            "name": "Installation and start-up",
            "queue": queues[MARKER_QUEUE],
            "category": categories["installation"],
        },
        {"name": "Invoices", "queue": queues["Invoices"], "category": categories["billing"]},
    ]
    for fields in rules:
        if "tier" in fields and fields["tier"] is None:
            continue
        routing.routing_rule_create(actor=admin, fields=fields)
    clients = list(Company.objects.order_by("pk")[:20])
    key_client = clients[0] if clients else None
    if key_client is not None and key is not None:
        Company.objects.filter(pk=key_client.pk).update(service_tier=key)
    opener = agents["agent2"]
    now = timezone.now()
    opened = 0
    for index, (subject, category, channel, priority, hours) in enumerate(CASES):
        company = clients[index % len(clients)] if clients else None
        case = services.open_case(
            actor=opener,
            subject=subject,
            description=subject,
            company=company,
            channel=channel,
            category=categories.get(category),
            priority=priority,
        )
        # Demo only: spread the cases over the last days so the board's age buckets fill.
        Case.objects.filter(pk=case.pk).update(
            created_at=now - datetime.timedelta(hours=hours),
            updated_at=now - datetime.timedelta(hours=hours),
        )
        opened += 1
    report(f"  {len(queues)} queues, {len(rules)} routing rules, {opened} routed open cases")
    return {"queues": len(queues), "routing_rules": len(rules), "routed_cases": opened}
