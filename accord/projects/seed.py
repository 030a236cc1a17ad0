"""The default project template of a design organisation (P1), applied by a data migration."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

DEFAULT_TEMPLATE_NAME = (
    "Design contract",
    "Договор на проектирование",
    "Contrat d'études",
    "Planungsvertrag",
)

# (en, ru, fr, de, duration_days, budget_share)
DEFAULT_TEMPLATE_STAGES: list[tuple[str, str, str, str, int, str]] = [
    (
        "Engineering survey",
        "Инженерные изыскания",
        "Études de terrain",
        "Baugrunderkundung",
        30,
        "15",
    ),
    (
        "Design documentation",
        "Проектная документация",
        "Avant-projet et projet",
        "Entwurfsplanung",
        60,
        "35",
    ),
    (
        "Working documentation",
        "Рабочая документация",
        "Plans d'exécution",
        "Ausführungsplanung",
        60,
        "40",
    ),
    (
        "Author's supervision",
        "Авторский надзор",
        "Suivi de chantier",
        "Künstlerische Oberleitung",
        90,
        "10",
    ),
]


def seed_template(apps: Any, schema_editor: Any = None) -> None:
    ProjectTemplate = apps.get_model("projects", "ProjectTemplate")
    TemplateStage = apps.get_model("projects", "TemplateStage")
    if ProjectTemplate.objects.exists():
        return
    en, ru, fr, de = DEFAULT_TEMPLATE_NAME
    template = ProjectTemplate.objects.create(name=en, name_ru=ru, name_fr=fr, name_de=de)
    for position, (en, ru, fr, de, days, share) in enumerate(DEFAULT_TEMPLATE_STAGES):
        TemplateStage.objects.create(
            template=template,
            name=en,
            name_ru=ru,
            name_fr=fr,
            name_de=de,
            position=position,
            duration_days=days,
            budget_share=Decimal(share),
        )
