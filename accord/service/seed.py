"""The default case categories and the first queue, applied by a data migration."""

from __future__ import annotations

from typing import Any

# code -> (en, ru, fr, de); at most 7 (U1)
DEFAULT_CATEGORIES: list[tuple[str, str, str, str, str]] = [
    ("question", "Question", "Вопрос", "Question", "Frage"),
    ("fault", "Fault or breakdown", "Неисправность", "Panne", "Störung"),
    (
        "installation",
        "Installation and start-up",
        "Монтаж и пусконаладка",
        "Installation et mise en service",
        "Installation und Inbetriebnahme",
    ),
    ("maintenance", "Maintenance", "Техническое обслуживание", "Maintenance", "Wartung"),
    (
        "documents",
        "Documents and drawings",
        "Документация и чертежи",
        "Documents et plans",
        "Unterlagen und Pläne",
    ),
    (
        "billing",
        "Invoices and payments",
        "Счета и оплата",
        "Factures et paiements",
        "Rechnungen und Zahlungen",
    ),
    ("complaint", "Complaint", "Жалоба", "Réclamation", "Beschwerde"),
]
DEFAULT_TEAM = "Service desk"
DEFAULT_QUEUE = ("First line", "Первая линия", "Premier niveau", "First Level")


def seed_service(apps: Any, schema_editor: Any = None) -> None:
    Category = apps.get_model("service", "Category")
    Queue = apps.get_model("service", "Queue")
    Team = apps.get_model("core", "Team")
    for position, (code, en, ru, fr, de) in enumerate(DEFAULT_CATEGORIES):
        Category.objects.get_or_create(
            code=code,
            defaults={
                "name": en,
                "name_ru": ru,
                "name_fr": fr,
                "name_de": de,
                "position": position,
            },
        )
    team, _created = Team.objects.get_or_create(name=DEFAULT_TEAM)
    if not Queue.objects.filter(is_default=True).exists():
        en, ru, fr, de = DEFAULT_QUEUE
        Queue.objects.create(
            name=en, name_ru=ru, name_fr=fr, name_de=de, team=team, is_default=True
        )
