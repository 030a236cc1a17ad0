"""Demo service levels for ``accord demo``: public holidays in the Moscow calendar (this
year and next, Russian transferred working days included), a Paris office calendar with a
lunch break and French holidays, and policies for key accounts and priority clients beside
the standard one. Cases the demo opened before these existed get their clocks started, and
the SLA check runs once so overdue demo cases show warnings, breaches and escalations.

Everything goes through the services, as the settings pages would."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from accord.core.audit import audit_context
from accord.core.models import PicklistOption, User
from accord.sla import services
from accord.sla.clocks import check_sla, start_clocks
from accord.sla.models import SlaPolicy, WorkCalendar

PARIS = "Paris office, Mon–Fri 9:00–18:00"
# name (en, ru, fr, de), tier code, {priority: (first response, resolution) in minutes}
POLICIES = (
    (
        ("Key accounts", "Ключевые клиенты", "Grands comptes", "Schlüsselkunden"),
        "key",
        {"urgent": (15, 120), "high": (30, 240), "normal": (60, 540), "low": (240, 1080)},
    ),
    (
        (
            "Priority service",
            "Приоритетное обслуживание",
            "Service prioritaire",
            "Prioritätsservice",
        ),
        "priority",
        {"urgent": (20, 180), "high": (45, 360), "normal": (120, 1080), "low": (360, 1620)},
    ),
)
MAX_BACKFILL = 5000


def _actor() -> User | None:
    for code in ("service_manager", "administrator"):
        user = User.objects.filter(roles__code=code, is_active=True).order_by("id").first()
        if user is not None:
            return user
    return User.objects.filter(is_superuser=True, is_active=True).order_by("id").first()


def is_loaded() -> bool:
    return WorkCalendar.objects.filter(name=PARIS).exists()


def seed_demo(*, say: Callable[[str], None] | None = None) -> dict[str, int]:
    """Create the demo calendars and policies once; start clocks of open cases without one;
    run the SLA check. A second call creates nothing new."""
    say = say or (lambda _line: None)
    actor = _actor()
    if actor is None:
        return {}
    counts: dict[str, int] = {}
    with audit_context(source="command"):
        if not is_loaded():
            say("Service levels: calendars, holidays and policies")
            with transaction.atomic():
                counts.update(_settings(actor))
        counts["clocks_started"] = _backfill()
        result = check_sla()
    counts.update(
        warnings=result.warnings, breaches=result.breaches, escalations=result.escalations
    )
    return counts


def _settings(actor: User) -> dict[str, int]:
    year = timezone.localdate().year
    moscow = WorkCalendar.objects.filter(is_default=True).first() or WorkCalendar.objects.first()
    holidays = 0
    if moscow is not None:
        if not moscow.country:
            moscow = services.calendar_update(
                actor=actor, calendar=moscow, fields={"country": "RU"}
            )
        for each in (year, year + 1):
            holidays += len(
                services.holidays_load(actor=actor, calendar=moscow, year=each, language="ru")
            )
    paris = services.calendar_create(
        actor=actor, fields={"name": PARIS, "time_zone": "Europe/Paris", "country": "FR"}
    )
    services.calendar_set_hours(
        actor=actor,
        calendar=paris,
        week=dict.fromkeys(range(5), "9:00-12:30, 14:00-18:00"),
    )
    for each in (year, year + 1):
        holidays += len(
            services.holidays_load(actor=actor, calendar=paris, year=each, language="fr")
        )
    escalate_to = User.objects.filter(roles__code="service_manager", is_active=True).first()
    policies = 0
    for (en, ru, fr, de), tier_code, targets in POLICIES:
        tier = PicklistOption.objects.filter(picklist="client_tier", code=tier_code).first()
        if SlaPolicy.objects.filter(name=en).exists() or moscow is None:
            continue
        services.policy_create(
            actor=actor,
            fields={
                "name": en,
                "name_ru": ru,
                "name_fr": fr,
                "name_de": de,
                "calendar": moscow,
                "tier": tier,
                "warn_at_percent": 75,
                "escalate_to": escalate_to,
            },
            targets=targets,
        )
        policies += 1
    # Tier policies first, so the standard one (no tier) catches everyone else.
    standard = SlaPolicy.objects.filter(tier__isnull=True).order_by("position", "id").first()
    if standard is not None:
        for _ in range(SlaPolicy.objects.count()):
            ids = list(SlaPolicy.objects.order_by("position", "id").values_list("pk", flat=True))
            if ids[-1] == standard.pk:
                break
            services.policy_move(actor=actor, policy=standard, offset=1)
    return {"holidays": holidays, "policies": policies}


def _backfill() -> int:
    """Start the clocks of open demo cases that were opened before any receiver ran."""
    from accord.service.models import Case

    started = 0
    cases = Case.objects.filter(
        status__in=Case.OPEN_STATUSES, sla_clock__isnull=True
    ).select_related("company", "contract")
    for case in cases.order_by("id")[:MAX_BACKFILL]:
        start_clocks(case=case, actor=None)
        started += 1
    return started
