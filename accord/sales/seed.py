"""The default pipeline of a design firm (K2), applied by a data migration."""

from __future__ import annotations

from typing import Any

# (en, ru, fr, de)
DEFAULT_PIPELINE_NAME = (
    "Design contracts",
    "Договоры на проектирование",
    "Contrats d'études",
    "Planungsverträge",
)

# (en, ru, fr, de, kind, probability)
DEFAULT_STAGES: list[tuple[str, str, str, str, str, int]] = [
    ("Enquiry", "Обращение", "Demande", "Anfrage", "open", 10),
    (
        "Technical assignment",
        "Техническое задание",
        "Cahier des charges",
        "Aufgabenstellung",
        "open",
        20,
    ),
    (
        "Commercial proposal",
        "Коммерческое предложение",
        "Proposition commerciale",
        "Angebot",
        "open",
        40,
    ),
    ("Negotiation", "Переговоры", "Négociation", "Verhandlung", "open", 60),
    ("Contract", "Договор", "Contrat", "Vertrag", "open", 80),
    ("Won", "Выиграна", "Gagnée", "Gewonnen", "won", 100),
    ("Lost", "Проиграна", "Perdue", "Verloren", "lost", 0),
]


def seed_pipeline(apps: Any, schema_editor: Any = None) -> None:
    Pipeline = apps.get_model("sales", "Pipeline")
    Stage = apps.get_model("sales", "Stage")
    if Pipeline.objects.exists():
        return
    en, ru, fr, de = DEFAULT_PIPELINE_NAME
    pipeline = Pipeline.objects.create(name=en, name_ru=ru, name_fr=fr, name_de=de, is_default=True)
    for position, (en, ru, fr, de, kind, probability) in enumerate(DEFAULT_STAGES):
        Stage.objects.create(
            pipeline=pipeline,
            name=en,
            name_ru=ru,
            name_fr=fr,
            name_de=de,
            kind=kind,
            probability=probability,
            position=position,
        )
