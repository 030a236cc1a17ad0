"""The demo organisation behind ``accord demo`` and ``make run`` (issue #2, item 11).

Every record is written through the same services as the UI and the API (users, teams and
custom fields through accord.core.services, clients through accord.parties.services,
activities through accord.activities.services, and the sales side -- leads, deals, catalogue,
quotes, orders, invoices, projects -- through theirs in accord.ops.demo_sales), inside
``audit_context(source="command")``, so the demo also shows a realistic history. All data is
synthetic (see accord.ops.synthetic).
"""

from __future__ import annotations

import datetime
import random
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from accord.activities.models import Activity
from accord.activities.services import activity_complete, activity_create
from accord.core import services as core_services
from accord.core.audit import audit_context
from accord.core.models import CustomFieldDefinition, PicklistOption, Role, Team, User
from accord.ops import demo_sales, demo_service, synthetic
from accord.parties.models import Company, Contact
from accord.parties.services import company_create, contact_create

DEMO_PASSWORD = "accord-demo"  # noqa: S105 -- printed for everyone to use: demo only
MARKER_USERNAME = "manager"  # its existence means the demo was loaded


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    first_name: str
    last_name: str
    language: str
    time_zone: str
    teams: tuple[str, ...]


TEAMS = (
    ("Moscow office", "Sales and project managers in Moscow."),
    ("Paris office", "Sales for France and French-speaking clients."),
)
USERS = (
    DemoUser("admin", "administrator", "Anna", "Adminova", "en", "Europe/Moscow", ()),
    DemoUser(
        "head",
        "head_of_sales",
        "Сергей",
        "Воронцов",
        "ru",
        "Europe/Moscow",
        ("Moscow office", "Paris office"),
    ),
    DemoUser(
        "manager", "sales_manager", "Ольга", "Смирнова", "ru", "Europe/Moscow", ("Moscow office",)
    ),
    DemoUser(
        "manager2", "sales_manager", "Camille", "Durand", "fr", "Europe/Paris", ("Paris office",)
    ),
    DemoUser("agent", "service_agent", "Oliver", "Hughes", "en", "Europe/London", ()),
    DemoUser("servicehead", "service_manager", "Marie", "Laurent", "fr", "Europe/Paris", ()),
    DemoUser("engineer", "field_engineer", "Игорь", "Соколов", "ru", "Europe/Moscow", ()),
    DemoUser("marketing", "marketing", "Lena", "Becker", "de", "Europe/Berlin", ()),
    DemoUser("readonly", "read_only", "Pierre", "Lefèvre", "fr", "Europe/Paris", ()),
)
USERNAMES = tuple(u.username for u in USERS)
DESIGN_STAGES = ("Pre-design", "Stage P (design)", "Stage RD (working drawings)", "Supervision")
LANGUAGES = ("Russian", "French", "English", "German")
TAGS = ("key account", "tender 2026", "BIM", "public procurement", "newsletter", "repeat client")
CITIES = {
    "RU": ("Москва", "Екатеринбург", "Челябинск", "Новосибирск", "Санкт-Петербург"),
    "FR": ("Paris", "Lyon", "Marseille", "Lille", "Nantes"),
    "GB": ("London", "Manchester", "Leeds", "Bristol"),
}
SUBJECTS = {
    "RU": {
        "call": ("Обсудили техническое задание", "Уточнить сроки", "Звонок по смете"),
        "meeting": ("Встреча по проекту", "Защита проектных решений", "Выезд на объект"),
        "task": ("Отправить коммерческое предложение", "Подготовить смету", "Перезвонить"),
        "note": ("Клиент просит скидку за объём", "ЛПР — главный инженер", "Тендер в марте"),
        "email": ("Коммерческое предложение", "Комплект чертежей", "Договор на подпись"),
    },
    "FR": {
        "call": ("Point sur le cahier des charges", "Relance devis", "Appel sur le planning"),
        "meeting": ("Réunion de lancement", "Revue de conception", "Visite de chantier"),
        "task": ("Envoyer la proposition", "Préparer le devis", "Rappeler le client"),
        "note": ("Le client veut une remise", "Décideur : directeur technique", "AO en mars"),
        "email": ("Proposition commerciale", "Plans envoyés", "Contrat à signer"),
    },
    "GB": {
        "call": ("Discussed the brief", "Chase the quote", "Call about the schedule"),
        "meeting": ("Kick-off meeting", "Design review", "Site visit"),
        "task": ("Send the proposal", "Prepare the estimate", "Call back"),
        "note": ("Asks for a volume discount", "Decision maker: technical director", "Tender"),
        "email": ("Proposal", "Drawings issued", "Contract for signature"),
    },
}
KIND_WEIGHTS = (("call", 35), ("email", 15), ("note", 15), ("meeting", 15), ("task", 20))
OUTCOMES = [o.value for o in Activity.Outcome if o.value]


@dataclass
class DemoResult:
    created: bool
    logins: list[tuple[str, str, str]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def is_loaded() -> bool:
    return User.objects.filter(username=MARKER_USERNAME).exists()


def logins() -> list[tuple[str, str, str]]:
    """(username, role, password) of the demo users that exist."""
    rows = []
    roles = {r.code: str(r) for r in Role.objects.all()}
    existing = set(
        User.objects.filter(username__in=[u.username for u in USERS]).values_list(
            "username", flat=True
        )
    )
    for spec in USERS:
        if spec.username not in existing:
            continue
        password = DEMO_PASSWORD
        if spec.username == USERS[0].username:
            # An administrator made with ``accord createadmin`` before the demo keeps theirs.
            admin = User.objects.get(username=spec.username)
            if not admin.check_password(DEMO_PASSWORD):
                password = "(your own)"  # noqa: S105 -- a label, not a password
        rows.append((spec.username, roles.get(spec.role, spec.role), password))
    return rows


def load(
    *,
    companies: int = 200,
    contacts: int = 600,
    activities: int = 2000,
    seed: int = 2026,
    progress: Callable[[str], None] | None = None,
) -> DemoResult:
    """Create the demo organisation once; a second call creates nothing."""
    say = progress or (lambda _line: None)
    if is_loaded():
        if not companies or (demo_sales.is_loaded() and demo_service.is_loaded()):
            return DemoResult(created=False, logins=logins())
        # Loaded before the sales or service apps existed: add their part only.
        counts: dict[str, int] = {}
        if not demo_sales.is_loaded():
            with audit_context(source="command"), transaction.atomic():
                users = {u.username: u for u in User.objects.filter(username__in=USERNAMES)}
                counts.update(demo_sales.SalesDemo(users=users, seed=seed, say=say).load())
        if not demo_service.is_loaded():
            with audit_context(source="command"), transaction.atomic():
                _Builder(seed=seed, say=say).users_and_teams()
            with audit_context(source="command"):
                counts.update(demo_service.load(say=say))
        return DemoResult(created=True, logins=logins(), counts=counts)
    with audit_context(source="command"), transaction.atomic():
        builder = _Builder(seed=seed, say=say)
        builder.users_and_teams()
        builder.custom_fields()
        builder.companies(companies)
        builder.contacts(contacts)
        builder.activities(activities)
        if companies:
            sales = demo_sales.SalesDemo(users=builder.users, seed=seed, say=say)
            builder.counts.update(sales.load())
    if companies:
        # After the commit above: the service demos send mail after their own commits.
        with audit_context(source="command"):
            builder.counts.update(demo_service.load(say=say))
    return DemoResult(created=True, logins=logins(), counts=builder.counts)


class _Builder:
    def __init__(self, *, seed: int, say: Callable[[str], None]) -> None:
        self.rng = random.Random(seed)
        self.pools = synthetic.NamePools(seed=seed, size=150)
        self.say = say
        self.now = timezone.now()
        self.counts: dict[str, int] = {}
        self.users: dict[str, User] = {}
        self.company_list: list[tuple[Company, str]] = []
        self.contacts_of: dict[int, list[Contact]] = {}

    # --- people -------------------------------------------------------------------------------
    def users_and_teams(self) -> None:
        admin_spec = USERS[0]
        admin = User.objects.filter(username=admin_spec.username).first()
        if admin is None or not admin.is_administrator:
            admin = core_services.administrator_ensure(
                username=admin_spec.username,
                email=f"{admin_spec.username}@crm.example",
                password=DEMO_PASSWORD,
            )
            core_services.user_update_preferences(
                actor=admin,
                user=admin,
                data={
                    "first_name": admin_spec.first_name,
                    "last_name": admin_spec.last_name,
                    "language": admin_spec.language,
                    "time_zone": admin_spec.time_zone,
                },
            )
        self.users[admin.username] = admin
        teams = {}
        for name, description in TEAMS:
            teams[name] = Team.objects.filter(name=name).first() or core_services.team_create(
                actor=admin, name=name, description=description
            )
        roles = {r.code: r for r in Role.objects.all()}
        for spec in USERS[1:]:
            user = User.objects.filter(username=spec.username).first()
            if user is None:
                user = core_services.user_create(
                    actor=admin,
                    username=spec.username,
                    first_name=spec.first_name,
                    last_name=spec.last_name,
                    email=f"{spec.username}@crm.example",
                    password=DEMO_PASSWORD,
                    language=spec.language,
                    time_zone=spec.time_zone,
                    roles=[roles[spec.role]],
                    teams=[teams[t] for t in spec.teams],
                )
            self.users[spec.username] = user
        self.team_of = {"manager": teams["Moscow office"], "manager2": teams["Paris office"]}
        self.team_of["head"] = teams["Moscow office"]
        self.counts["users"] = len(self.users)
        self.owners = {u.pk: u for u in self.users.values()}

    def custom_fields(self) -> None:
        admin = self.users["admin"]
        for model, name, label, choices in (
            ("company", "design_stage", "Design stage", DESIGN_STAGES),
            ("contact", "preferred_language", "Preferred language", LANGUAGES),
        ):
            if not CustomFieldDefinition.objects.filter(model=model, name=name).exists():
                core_services.custom_field_create(
                    actor=admin,
                    model=model,
                    name=name,
                    label=label,
                    field_type=CustomFieldDefinition.FieldType.CHOICE,
                    choices=choices,
                )

    # --- clients ------------------------------------------------------------------------------
    def _owner_for(self, country: str) -> str:
        if country == "RU":
            return "manager" if self.rng.random() < 0.8 else "head"
        if country == "FR":
            return "manager2" if self.rng.random() < 0.85 else "head"
        return self.rng.choice(("manager", "manager2", "head"))

    def companies(self, total: int) -> None:
        rng = self.rng
        options = {
            picklist: list(PicklistOption.objects.filter(picklist=picklist, is_active=True))
            for picklist in ("industry", "region", "company_type", "source", "size")
        }
        region_for = {"RU": ("central", "ural", "siberia", "northwest"), "FR": ("idf",)}
        used_names: set[str] = set()
        for index in range(total):
            country = synthetic.pick_country(rng)
            identity = self.pools.company(rng, country)
            while identity.name in used_names:
                identity = self.pools.company(rng, country)
            used_names.add(identity.name)
            owner_name = self._owner_for(country)
            owner = self.users[owner_name]
            regions = [
                o for o in options["region"] if o.code in region_for.get(country, ("other",))
            ]
            fields = {
                "name": identity.name,
                "legal_name": identity.legal_name,
                "country": country,
                "website": f"https://{synthetic.company_domain(identity)}/",
                "industry": _weighted_design(rng, options["industry"]),
                "region": rng.choice(regions or options["region"]),
                "company_type": rng.choice(options["company_type"]),
                "source": rng.choice(options["source"]),
                "size": rng.choice(options["size"]),
                "team": self.team_of[owner_name] if rng.random() < 0.4 else None,
                "description": "",
            }
            fields.update(self._tax_ids(country))
            phone = synthetic.phone_e164(rng, country)
            company = company_create(
                actor=owner,
                fields=fields,
                phones=[_display(phone)],
                emails=[f"info@{synthetic.company_domain(identity)}"],
                tags=rng.sample(TAGS, k=rng.choice((0, 0, 1, 1, 2))),
                custom={"design_stage": rng.choice(DESIGN_STAGES)} if index % 3 else {},
            )
            self.company_list.append((company, country))
            self.contacts_of[company.pk] = []
        self.counts["companies"] = total
        self.say(f"companies: {total}")

    def _tax_ids(self, country: str) -> dict[str, str]:
        rng = self.rng
        if country == "RU":
            region = rng.choice(synthetic.RU_TAX_REGIONS)
            inn = synthetic.company_inn(rng, region)
            while Company.objects.filter(inn=inn).exists():
                inn = synthetic.company_inn(rng, region)
            return {
                "inn": inn,
                "kpp": synthetic.company_kpp(region),
                "ogrn": synthetic.company_ogrn(rng, region),
            }
        if country == "FR":
            siren = synthetic.siren_number(rng)
            while Company.objects.filter(siren=siren).exists():
                siren = synthetic.siren_number(rng)
            return {
                "siren": siren,
                "siret": synthetic.siret_number(rng, siren),
                "vat_number": synthetic.french_vat(siren),
            }
        return {}

    def contacts(self, total: int) -> None:
        rng = self.rng
        for index in range(total):
            company, country = (
                self.company_list[index % len(self.company_list)]
                if self.company_list
                else (None, synthetic.pick_country(rng))
            )
            person = self.pools.person(rng, country)
            owner = self.owners[company.owner_id] if company else self.users["manager"]
            domain = f"{company.website.split('//')[1].rstrip('/')}" if company else "mail.example"
            contact = contact_create(
                actor=owner,
                fields={
                    "last_name": person.last_name,
                    "first_name": person.first_name,
                    "middle_name": person.middle_name,
                    "position": person.position,
                    "birthday": datetime.date(rng.randint(1960, 1998), rng.randint(1, 12), 15)
                    if rng.random() < 0.3
                    else None,
                    "preferred_channel": rng.choice(("", "phone", "email", "messenger")),
                },
                companies=[company] if company else [],
                phones=[_display(synthetic.phone_e164(rng, country))]
                if rng.random() < 0.85
                else [],
                emails=[synthetic.email_address(person, domain)],
                tags=["newsletter"] if rng.random() < 0.2 else [],
                custom={
                    "preferred_language": {"RU": "Russian", "FR": "French"}.get(country, "English")
                }
                if rng.random() < 0.7
                else {},
            )
            if company:
                self.contacts_of[company.pk].append(contact)
        self.counts["contacts"] = total
        self.say(f"contacts: {total}")

    # --- activities ---------------------------------------------------------------------------
    def activities(self, total: int) -> None:
        if not self.company_list:
            return
        rng = self.rng
        kinds = [k for k, _w in KIND_WEIGHTS]
        weights = [w for _k, w in KIND_WEIGHTS]
        owners = self.owners
        # "My day" of each demo manager: tasks due today, overdue ones, today's meetings.
        planned = 0
        for username in ("manager", "manager2", "head"):
            user = self.users[username]
            mine = [(c, k) for c, k in self.company_list if c.owner_id == user.pk]
            if not mine:
                continue
            today = self.now.astimezone(zoneinfo.ZoneInfo(user.time_zone)).replace(
                hour=9, minute=0, second=0, microsecond=0
            )
            slots = [("task", today + datetime.timedelta(hours=h)) for h in (1, 3, 5, 7)]
            slots += [("task", today - datetime.timedelta(days=d)) for d in (1, 2, 4)]
            slots += [("meeting", today + datetime.timedelta(hours=h)) for h in (2, 6)]
            slots += [("task", today + datetime.timedelta(days=d)) for d in (1, 3, 7)]
            for kind, at in slots:
                company, country = rng.choice(mine)
                self._activity(owners[company.owner_id], company, country, kind, at, done=False)
                planned += 1
        for _index in range(max(0, total - planned)):
            company, country = self.company_list[
                min(int(len(self.company_list) * rng.random() ** 1.5), len(self.company_list) - 1)
            ]
            kind = rng.choices(kinds, weights=weights)[0]
            if kind in ("task", "meeting") and rng.random() < 0.1:
                at = self.now + datetime.timedelta(days=rng.randint(1, 30), hours=rng.randint(0, 8))
                done = False
            else:
                at = self.now - datetime.timedelta(seconds=rng.randint(3600, 365 * 86400))
                done = rng.random() < 0.9
            self._activity(owners[company.owner_id], company, country, kind, at, done=done)
        self.counts["activities"] = max(total, planned)
        self.say(f"activities: {max(total, planned)}")

    def _activity(
        self,
        actor: User,
        company: Company,
        country: str,
        kind: str,
        at: datetime.datetime,
        *,
        done: bool,
    ) -> Activity:
        rng = self.rng
        subject = rng.choice(SUBJECTS[country][kind])
        people = self.contacts_of.get(company.pk) or []
        contact = rng.choice(people) if people else None
        fields: dict[str, object] = {"company": company, "at": at, "subject": subject}
        if kind == "call":
            fields.update(
                direction=rng.choice(("in", "out", "out")),
                outcome=rng.choice(OUTCOMES),
                duration_seconds=rng.randint(30, 1500),
            )
        elif kind == "meeting":
            fields.update(
                ends_at=at + datetime.timedelta(minutes=rng.choice((30, 60, 90))),
                location=rng.choice(CITIES[country]),
            )
        elif kind == "note":
            fields["body"] = subject
        elif kind == "email":
            fields.update(
                email_from=actor.email or "sales@crm.example",
                email_to=f"info@{company.website.split('//')[1].rstrip('/')}",
                direction=rng.choice(("in", "out")),
                body=subject,
            )
        activity = activity_create(
            actor=actor,
            kind=kind,
            fields=fields,
            contacts=[contact] if contact else [],
            remind_me=kind == "meeting" and at > self.now,
        )
        if done and kind in ("task", "meeting") and at <= self.now:
            activity = activity_complete(actor=actor, activity=activity)
        return activity


def _weighted_design(rng: random.Random, options: list[PicklistOption]) -> PicklistOption | None:
    """Design and engineering clients dominate, as they do for the firms Accord is built for."""
    if not options:
        return None
    design = [o for o in options if o.code in ("design", "construction")]
    return rng.choice(design) if design and rng.random() < 0.6 else rng.choice(options)


def _display(e164: str) -> str:
    """What a person would type: the international format with spaces."""
    import phonenumbers

    number = phonenumbers.parse(e164, None)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
