"""Built-in roles and default picklists, applied by data migrations and ``accord demo``.

Kept as plain data so migrations can use it with historical models (``apps.get_model``).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_noop

OWN, TEAM, ALL = 1, 2, 3
ALL_ACTIONS = ("view", "add", "change", "delete", "export", "import", "reassign")
CLIENT_TYPES = ("company", "contact", "activity", "document")
SALES_TYPES = ("lead", "deal", "quote", "order", "invoice", "project")
SERVICE_TYPES = ("case", "service_contract", "work_order", "kb_article")
EVERY_TYPE = (*CLIENT_TYPES, *SALES_TYPES, "product", *SERVICE_TYPES)
OWN_WORK = {"view": TEAM, "add": OWN, "change": OWN, "delete": OWN, "export": TEAM}

# role code -> (name, description, is_administrator, {object_type: {action: scope}})
BUILTIN_ROLES: dict[str, tuple[str, str, bool, dict[str, dict[str, int]]]] = {
    "administrator": (
        gettext_noop("Administrator"),
        gettext_noop("Manages users, roles, fields, picklists; sees everything."),
        True,
        {t: dict.fromkeys(ALL_ACTIONS, ALL) for t in EVERY_TYPE},
    ),
    "head_of_sales": (
        gettext_noop("Head of sales"),
        gettext_noop("Sees every client and pipeline; redistributes clients."),
        False,
        {t: dict.fromkeys(ALL_ACTIONS, ALL) for t in EVERY_TYPE},
    ),
    "sales_manager": (
        gettext_noop("Sales manager"),
        gettext_noop("Works own clients; sees those shared with the team."),
        False,
        {
            "company": {
                "view": TEAM,
                "add": OWN,
                "change": OWN,
                "delete": OWN,
                "export": TEAM,
                "import": OWN,
            },
            "contact": {
                "view": TEAM,
                "add": OWN,
                "change": OWN,
                "delete": OWN,
                "export": TEAM,
                "import": OWN,
            },
            "activity": {"view": TEAM, "add": OWN, "change": OWN, "delete": OWN, "export": TEAM},
            "document": {"view": TEAM, "add": OWN, "delete": OWN},
            **{t: dict(OWN_WORK) for t in SALES_TYPES},
            "lead": {**OWN_WORK, "import": OWN},
            "product": {"view": ALL},
        },
    ),
    "service_agent": (
        gettext_noop("Service agent"),
        gettext_noop("Sees all clients to serve them; logs own activities."),
        False,
        {
            "company": {"view": ALL},
            "contact": {"view": ALL, "add": OWN, "change": ALL},
            "activity": {"view": ALL, "add": OWN, "change": OWN},
            "document": {"view": ALL, "add": OWN},
            "deal": {"view": ALL},
            "order": {"view": ALL},
            "invoice": {"view": ALL},
            "project": {"view": ALL},
            "product": {"view": ALL},
            "case": {
                "view": ALL,
                "add": ALL,
                "change": TEAM,
                "export": TEAM,
                "import": OWN,
                "reassign": TEAM,
            },
            "service_contract": {"view": ALL},
            "work_order": {"view": ALL, "add": TEAM, "change": TEAM},
            "kb_article": {"view": ALL, "add": OWN, "change": OWN},
        },
    ),
    "service_manager": (
        gettext_noop("Head of service"),
        gettext_noop("Runs the service desk: queues, SLAs, contracts, engineers, knowledge base."),
        False,
        {
            "company": {"view": ALL},
            "contact": {"view": ALL, "add": OWN, "change": ALL},
            "activity": {"view": ALL, "add": OWN, "change": OWN},
            "document": {"view": ALL, "add": OWN},
            "order": {"view": ALL},
            "invoice": {"view": ALL},
            "project": {"view": ALL},
            "product": {"view": ALL},
            **{t: dict.fromkeys(ALL_ACTIONS, ALL) for t in SERVICE_TYPES},
        },
    ),
    "field_engineer": (
        gettext_noop("Field engineer"),
        gettext_noop("Carries out the visits assigned to them and reads the knowledge base."),
        False,
        {
            "company": {"view": ALL},
            "contact": {"view": ALL},
            "activity": {"view": TEAM, "add": OWN, "change": OWN},
            "document": {"view": ALL, "add": OWN},
            "product": {"view": ALL},
            "case": {"view": TEAM, "change": OWN},
            "service_contract": {"view": ALL},
            "work_order": {"view": TEAM, "change": OWN},
            "kb_article": {"view": ALL},
        },
    ),
    "marketing": (
        gettext_noop("Marketing"),
        gettext_noop("Segments, imports and exports the client base."),
        False,
        {
            "company": {"view": ALL, "add": OWN, "export": ALL, "import": OWN},
            "contact": {"view": ALL, "add": OWN, "change": OWN, "export": ALL, "import": OWN},
            "activity": {"view": ALL, "add": OWN},
            "document": {"view": ALL},
            "lead": {
                "view": ALL,
                "add": OWN,
                "change": OWN,
                "delete": OWN,
                "export": ALL,
                "import": OWN,
            },
            "deal": {"view": ALL, "export": ALL},
            "product": {"view": ALL},
        },
    ),
    "read_only": (
        gettext_noop("Read-only"),
        gettext_noop("Sees everything, changes nothing."),
        False,
        {t: {"view": ALL} for t in EVERY_TYPE},
    ),
}

# picklist -> [(code, en, ru, fr, de)]  (at most 7 options each: U1)
DEFAULT_PICKLISTS: dict[str, list[tuple[str, str, str, str, str]]] = {
    "industry": [
        (
            "design",
            "Design and engineering",
            "Проектирование",
            "Ingénierie et conception",
            "Planung und Ingenieurwesen",
        ),
        ("construction", "Construction", "Строительство", "Construction", "Bauwesen"),
        (
            "energy",
            "Energy and utilities",
            "Энергетика и ЖКХ",
            "Énergie et services publics",
            "Energie und Versorgung",
        ),
        ("manufacturing", "Manufacturing", "Промышленность", "Industrie", "Fertigung"),
        ("public", "Public sector", "Госсектор", "Secteur public", "Öffentlicher Sektor"),
        (
            "trade",
            "Trade and services",
            "Торговля и услуги",
            "Commerce et services",
            "Handel und Dienstleistungen",
        ),
        ("other", "Other", "Другое", "Autre", "Sonstiges"),
    ],
    "region": [
        ("central", "Central Russia", "Центральная Россия", "Russie centrale", "Zentralrussland"),
        (
            "northwest",
            "Northwest Russia",
            "Северо-Запад",
            "Nord-Ouest de la Russie",
            "Nordwestrussland",
        ),
        ("ural", "Ural", "Урал", "Oural", "Ural"),
        ("siberia", "Siberia", "Сибирь", "Sibérie", "Sibirien"),
        ("idf", "Île-de-France", "Иль-де-Франс", "Île-de-France", "Île-de-France"),
        (
            "dach",
            "Germany, Austria, Switzerland",
            "Германия, Австрия, Швейцария",
            "Allemagne, Autriche, Suisse",
            "Deutschland, Österreich, Schweiz",
        ),
        ("other", "Other", "Другой", "Autre", "Sonstige"),
    ],
    "company_type": [
        ("client", "Client", "Клиент", "Client", "Kunde"),
        ("prospect", "Prospect", "Потенциальный клиент", "Prospect", "Interessent"),
        ("partner", "Partner", "Партнёр", "Partenaire", "Partner"),
        ("supplier", "Supplier", "Поставщик", "Fournisseur", "Lieferant"),
        ("competitor", "Competitor", "Конкурент", "Concurrent", "Wettbewerber"),
    ],
    "source": [
        ("website", "Website", "Сайт", "Site web", "Website"),
        ("referral", "Referral", "Рекомендация", "Recommandation", "Empfehlung"),
        ("exhibition", "Trade fair", "Выставка", "Salon professionnel", "Messe"),
        ("cold_call", "Cold call", "Холодный звонок", "Prospection téléphonique", "Kaltakquise"),
        ("tender", "Tender", "Тендер", "Appel d'offres", "Ausschreibung"),
        ("other", "Other", "Другое", "Autre", "Sonstiges"),
    ],
    "size": [
        ("micro", "1–10 employees", "1–10 сотрудников", "1 à 10 salariés", "1–10 Mitarbeiter"),
        ("small", "11–50 employees", "11–50 сотрудников", "11 à 50 salariés", "11–50 Mitarbeiter"),
        (
            "medium",
            "51–250 employees",
            "51–250 сотрудников",
            "51 à 250 salariés",
            "51–250 Mitarbeiter",
        ),
        (
            "large",
            "251–1000 employees",
            "251–1000 сотрудников",
            "251 à 1 000 salariés",
            "251–1.000 Mitarbeiter",
        ),
        (
            "xlarge",
            "Over 1000 employees",
            "Более 1000 сотрудников",
            "Plus de 1 000 salariés",
            "Über 1.000 Mitarbeiter",
        ),
    ],
    "contact_role": [
        (
            "decision_maker",
            "Decision maker",
            "Лицо, принимающее решения",
            "Décideur",
            "Entscheider",
        ),
        (
            "technical",
            "Technical expert",
            "Технический специалист",
            "Expert technique",
            "Technischer Experte",
        ),
        ("purchasing", "Purchasing", "Закупки", "Achats", "Einkauf"),
        ("finance", "Finance", "Финансы", "Finances", "Finanzen"),
        ("user", "User", "Пользователь", "Utilisateur", "Anwender"),
        ("other", "Other", "Другое", "Autre", "Sonstiges"),
    ],
    "won_reason": [
        ("price", "Best price", "Лучшая цена", "Meilleur prix", "Bester Preis"),
        (
            "expertise",
            "Quality and expertise",
            "Качество и экспертиза",
            "Qualité et expertise",
            "Qualität und Fachwissen",
        ),
        (
            "relationship",
            "Existing relationship",
            "Давние отношения",
            "Relation existante",
            "Bestehende Geschäftsbeziehung",
        ),
        ("speed", "Lead time", "Сроки", "Délais", "Lieferzeit"),
        ("references", "References", "Референции", "Références", "Referenzen"),
        ("other", "Other", "Другое", "Autre", "Sonstiges"),
    ],
    "lost_reason": [
        ("price", "Price too high", "Высокая цена", "Prix trop élevé", "Preis zu hoch"),
        (
            "competitor",
            "Chose a competitor",
            "Выбрали конкурента",
            "A choisi un concurrent",
            "Wettbewerber gewählt",
        ),
        (
            "postponed",
            "Project postponed",
            "Проект отложен",
            "Projet reporté",
            "Projekt verschoben",
        ),
        ("budget", "No budget", "Нет бюджета", "Pas de budget", "Kein Budget"),
        (
            "requirements",
            "Requirements not met",
            "Не соответствуем требованиям",
            "Exigences non satisfaites",
            "Anforderungen nicht erfüllt",
        ),
        (
            "no_response",
            "Client stopped responding",
            "Клиент пропал",
            "Le client ne répond plus",
            "Kunde meldet sich nicht mehr",
        ),
        ("other", "Other", "Другое", "Autre", "Sonstiges"),
    ],
    "client_tier": [
        ("standard", "Standard", "Стандартный", "Standard", "Standard"),
        ("priority", "Priority", "Приоритетный", "Prioritaire", "Priorität"),
        ("key", "Key account", "Ключевой клиент", "Compte clé", "Schlüsselkunde"),
    ],
    "payment_method": [
        (
            "bank_transfer",
            "Bank transfer",
            "Банковский перевод",
            "Virement bancaire",
            "Überweisung",
        ),
        ("card", "Card", "Банковская карта", "Carte bancaire", "Karte"),
        ("cash", "Cash", "Наличные", "Espèces", "Bargeld"),
        ("offset", "Offset", "Взаимозачёт", "Compensation", "Verrechnung"),
        ("other", "Other", "Другое", "Autre", "Sonstiges"),
    ],
}


def seed_roles(apps: Any, schema_editor: Any = None) -> None:
    Role = apps.get_model("core", "Role")
    RoleGrant = apps.get_model("core", "RoleGrant")
    for code, (name, description, is_admin, grants) in BUILTIN_ROLES.items():
        role, _created = Role.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "description": description,
                "is_builtin": True,
                "is_administrator": is_admin,
            },
        )
        for object_type, actions in grants.items():
            for action, scope in actions.items():
                RoleGrant.objects.update_or_create(
                    role=role, object_type=object_type, action=action, defaults={"scope": scope}
                )


def seed_picklists(apps: Any, schema_editor: Any = None) -> None:
    PicklistOption = apps.get_model("core", "PicklistOption")
    for picklist, options in DEFAULT_PICKLISTS.items():
        for position, (code, en, ru, fr, de) in enumerate(options):
            PicklistOption.objects.get_or_create(
                picklist=picklist,
                code=code,
                defaults={
                    "label": en,
                    "label_ru": ru,
                    "label_fr": fr,
                    "label_de": de,
                    "position": position,
                },
            )


def seed_everything(apps: Any) -> None:
    """Every row the data migrations write (roles, picklists, VAT rates, price lists, the
    default pipeline and project template): tests that commit for real flush the tables and
    put these back with this."""
    from accord.catalog.seed import seed_catalog
    from accord.projects.seed import seed_template
    from accord.sales.seed import seed_pipeline
    from accord.service.seed import seed_service
    from accord.sla.seed import seed_sla

    seed_roles(apps)
    seed_picklists(apps)
    seed_catalog(apps)
    seed_pipeline(apps)
    seed_template(apps)
    seed_sla(apps)
    seed_service(apps)
