"""Demo field service for ``accord demo``: two field engineers and about fifteen work orders
over the demo cases: finished visits with time, travel and materials (so the cost and
utilisation reports show figures), today's and tomorrow's visits for the engineers' phones,
one double booking for the dispatcher to notice, and a few work orders still to plan.

Everything goes through the services, as the UI would, except that finished visits are
back-dated to when they happened (the services stamp "now")."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accord.core import services as core_services
from accord.core.audit import audit_context
from accord.core.models import Role, User
from accord.fieldservice import services, services_onsite, services_time
from accord.fieldservice.models import ChecklistTemplate, WorkOrder

DEMO_PASSWORD = "accord-demo"  # noqa: S105 -- the demo's shared password
ENGINEERS = (
    ("engineer", "Дмитрий", "Козлов", "ru", "Europe/Moscow"),
    ("engineer2", "Julien", "Moreau", "fr", "Europe/Paris"),
)
CHECKLISTS = (
    (
        "Boiler maintenance",
        "Check gas pressure\nClean the burner\nReplace the filter\nTest the safety valve\n"
        "Explain the result to the client",
    ),
    (
        "Installation check",
        "Check the mounting\nCheck the electrical connection\nRun a test cycle\n"
        "Take a photo of the serial plate",
    ),
)
MATERIALS = (
    ("Filter cartridge", Decimal("1450.00")),
    ("Gasket set", Decimal("380.00")),
    ("Pressure sensor", Decimal("5200.00")),
    ("Sealant, tube", Decimal("290.00")),
    ("Fuse 10 A", Decimal("45.00")),
)
NOTES = (
    "Client asked for a follow-up visit before the heating season.",
    "Access through the back entrance; the key is at the security desk.",
    "Old filter was badly clogged; advised a shorter maintenance interval.",
)


def _engineers(admin: User) -> list[User]:
    role = Role.objects.get(code="field_engineer")
    users = []
    for username, first, last, language, zone in ENGINEERS:
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
                teams=[],
            )
        users.append(user)
    return users


def _at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def seed_demo(*, seed: int = 7, count: int = 15) -> int:
    """Add the demo's work orders (once: does nothing when work orders exist). Returns how
    many were created."""
    from accord.service.models import Case

    if WorkOrder.objects.exists():
        return 0
    admin = User.objects.filter(is_superuser=True).order_by("id").first() or (
        User.objects.filter(roles__is_administrator=True).order_by("id").first()
    )
    cases = list(Case.objects.filter(status__in=Case.OPEN_STATUSES).order_by("id")[:count])
    if admin is None or not cases:
        return 0
    rng = random.Random(seed)
    today = timezone.localdate()
    created = 0
    with audit_context(source="command"), transaction.atomic():
        engineers = _engineers(admin)
        # The senior engineer costs more than the default rate.
        services_onsite.engineer_rate_set(
            actor=admin, engineer=engineers[1], hourly_rate=Decimal("4200.00")
        )
        for name, items in CHECKLISTS:
            ChecklistTemplate.objects.get_or_create(name=name, defaults={"items": items})
        templates = list(ChecklistTemplate.objects.order_by("id"))
        for index, case in enumerate(cases):
            engineer = engineers[index % len(engineers)]
            helper = engineers[(index + 1) % len(engineers)] if index % 5 == 0 else None
            if index < 7:  # finished over the last weeks
                day = today - datetime.timedelta(days=3 + 3 * index)
                start = _at(day, 9 + index % 4)
            elif index < 11:  # today and tomorrow, for the phones
                day = today + datetime.timedelta(days=(index - 7) // 2)
                start = _at(day, 9 + 2 * ((index - 7) % 2))
            elif index == 11:  # a double booking for the dispatcher
                start = _at(today, 10)
            else:  # still to plan
                start = None
            work_order = services.work_order_create(
                actor=admin,
                case=case,
                scheduled_start=start,
                scheduled_end=start + datetime.timedelta(hours=2) if start else None,
                lead_engineer=engineer if start else None,
                engineers=[helper] if helper and start else [],
                instructions=rng.choice(NOTES),
                checklist_template=templates[index % len(templates)],
            )
            created += 1
            if index < 7 and start is not None:
                _finish_in_the_past(work_order, engineer, start, rng)
    return created


def _finish_in_the_past(
    work_order: WorkOrder, engineer: User, start: datetime.datetime, rng: random.Random
) -> None:
    travel_minutes = rng.choice((25, 40, 55, 70))
    work_minutes = rng.choice((60, 90, 105, 150))
    arrived = start + datetime.timedelta(minutes=travel_minutes)
    finished = arrived + datetime.timedelta(minutes=work_minutes)
    services_time.time_add(
        actor=engineer,
        work_order=work_order,
        kind="travel",
        started_at=start,
        ended_at=arrived,
    )
    services_time.time_add(
        actor=engineer, work_order=work_order, kind="work", started_at=arrived, ended_at=finished
    )
    for item in work_order.checklist_items.all():
        services_onsite.checklist_tick(actor=engineer, item=item, is_done=True)
    for description, cost in rng.sample(MATERIALS, k=rng.randint(1, 3)):
        services_onsite.material_add(
            actor=engineer,
            work_order=work_order,
            description=description,
            quantity=rng.choice(("1", "2", "0.5")),
            unit_cost=cost,
        )
    fresh = WorkOrder.objects.get(pk=work_order.pk)
    services.work_order_update(
        actor=engineer,
        work_order=fresh,
        version=fresh.version,
        travel_km=Decimal(rng.randint(8, 60)),
        result_notes="Maintenance done, equipment works normally.",
        signed_by="Client representative",
    )
    services.work_order_set_status(actor=engineer, work_order=fresh, status="in_progress")
    services_time.time_stop(actor=engineer, work_order=fresh)
    # The timer of this scripted "tap" lasted a second now; drop it and date the visit back.
    fresh.time_entries.filter(started_at__gt=finished).delete()
    services.work_order_set_status(actor=engineer, work_order=fresh, status="done")
    WorkOrder.objects.filter(pk=fresh.pk).update(started_at=arrived, finished_at=finished)
    services.recompute_costs(fresh)
