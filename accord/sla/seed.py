"""The default working calendar and SLA policy, applied by a data migration."""

from __future__ import annotations

import datetime
from typing import Any

DEFAULT_CALENDAR = "Moscow office, Mon–Fri 9:00–18:00"
# (en, ru, fr, de)
DEFAULT_POLICY_NAME = (
    "Standard service",
    "Стандартное обслуживание",
    "Service standard",
    "Standardservice",
)
# priority -> (first response, resolution) in working minutes
DEFAULT_TARGETS = {
    "urgent": (30, 4 * 60),
    "high": (60, 9 * 60),
    "normal": (4 * 60, 3 * 9 * 60),
    "low": (9 * 60, 5 * 9 * 60),
}


def seed_sla(apps: Any, schema_editor: Any = None) -> None:
    WorkCalendar = apps.get_model("sla", "WorkCalendar")
    WorkingHours = apps.get_model("sla", "WorkingHours")
    SlaPolicy = apps.get_model("sla", "SlaPolicy")
    SlaTarget = apps.get_model("sla", "SlaTarget")
    calendar, created = WorkCalendar.objects.get_or_create(
        name=DEFAULT_CALENDAR,
        defaults={"time_zone": "Europe/Moscow", "country": "RU", "is_default": True},
    )
    if created:
        for weekday in range(5):
            WorkingHours.objects.create(
                calendar=calendar,
                weekday=weekday,
                start=datetime.time(9, 0),
                end=datetime.time(18, 0),
            )
    en, ru, fr, de = DEFAULT_POLICY_NAME
    policy, created = SlaPolicy.objects.get_or_create(
        name=en, defaults={"name_ru": ru, "name_fr": fr, "name_de": de, "calendar": calendar}
    )
    if created:
        for priority, (first, resolution) in DEFAULT_TARGETS.items():
            SlaTarget.objects.create(
                policy=policy,
                priority=priority,
                first_response_minutes=first,
                resolution_minutes=resolution,
            )
