"""Fast bulk generation of companies, contacts and activities for scale tests (issue #2, item 12);
deals, orders, invoices and payments come from accord.ops.generator_sales (issue #3).

Why not the services: they validate, normalise and audit one record at a time, which is right
for people and wrong for a million rows. This module computes exactly what the services would
store -- ``search_text``, ``name_key``, ``full_name``, normalised contact points (E.164 phones,
lower-case e-mails), employments -- and writes it with multi-row ``executemany`` inserts in one
transaction per batch. Every generated company, contact and activity still gets its own
"create" audit entry (source "command", message "generated"), holding the main fields rather
than the full snapshot a service would write, to keep the audit table a sensible size.

Search stays correct without extra work: the SQLite FTS5 tables are filled by INSERT triggers
and the PostgreSQL trigram indexes are maintained by PostgreSQL. Primary keys are allocated
here (max id + 1), so run it against a database nobody else writes to at the same time; the
PostgreSQL sequences are reset afterwards.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import json
import math
import random
import time
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone

from accord.activities.models import Activity
from accord.core import audit
from accord.core.models import AuditEntry, PicklistOption, Role, Team, User
from accord.ops import synthetic
from accord.parties import normalize
from accord.parties.models import Company, Contact, ContactPoint, Employment

Progress = Callable[[str], None]

MANAGER_PREFIX = "gen_manager_"
HEAD_USERNAME = "gen_head"
TEAM_PREFIX = "Generated sales team "


class BulkInserter:
    """``INSERT ... VALUES`` through ``executemany`` for one model, rows given as dicts of
    attnames; unnamed columns get the model field's default, so a new field with a default
    does not break the generator."""

    def __init__(self, model: type[models.Model], *, with_id: bool) -> None:
        quote = connection.ops.quote_name
        self.fields = [f for f in model._meta.concrete_fields if with_id or not f.primary_key]
        columns = ", ".join(quote(str(f.column)) for f in self.fields)
        placeholders = ", ".join(["%s"] * len(self.fields))
        table = quote(model._meta.db_table)
        # Identifiers come from the model's metadata, values are parameters.
        self.sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608
        self.defaults: dict[str, Any] = {}
        self.converters: list[Callable[[Any], Any] | None] = []
        for f in self.fields:
            if f.has_default():
                self.defaults[f.attname] = f.get_default()
            elif f.null:
                self.defaults[f.attname] = None
            else:
                self.defaults[f.attname] = ""
            self.converters.append(_converter(f))
        self.rows: list[tuple[Any, ...]] = []

    def add(self, row: dict[str, Any]) -> None:
        values = []
        for f, convert in zip(self.fields, self.converters, strict=True):
            value = row.get(f.attname, self.defaults[f.attname])
            values.append(convert(value) if convert is not None and value is not None else value)
        self.rows.append(tuple(values))

    def flush(self) -> int:
        count = len(self.rows)
        if count:
            with connection.cursor() as cursor:
                cursor.executemany(self.sql, self.rows)
            self.rows = []
        return count


def _converter(f: models.Field[Any, Any]) -> Callable[[Any], Any] | None:
    if isinstance(f, models.JSONField):
        if connection.vendor == "sqlite":
            return json.dumps  # what JSONField.get_prep_value stores, without the detour
        return lambda value: f.get_db_prep_save(value, connection)
    if isinstance(f, models.DateTimeField):
        if connection.vendor == "sqlite":
            return _sqlite_datetime
        return connection.ops.adapt_datetimefield_value
    if isinstance(f, models.DateField):
        return connection.ops.adapt_datefield_value
    return None


def _sqlite_datetime(value: datetime.datetime) -> str:
    """What Django stores on SQLite for an aware datetime (naive UTC text), minus the detour."""
    if value.tzinfo is datetime.UTC:
        return str(value.replace(tzinfo=None))
    return str(connection.ops.adapt_datetimefield_value(value))


@dataclass
class GenerateResult:
    counts: dict[str, int] = field(default_factory=dict)
    rows: int = 0
    seconds: float = 0.0

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


@dataclass
class Owners:
    managers: list[User]
    head: User
    teams: list[Team]
    team_of: dict[int, int]
    names: dict[int, str]


def ensure_users(count: int) -> Owners:
    """``count`` sales managers spread over a few teams, and one head of sales. Reused when
    they exist, so generate can be run again to add more rows."""
    team_count = max(1, min(5, math.ceil(count / 5)))
    teams = [Team.objects.get_or_create(name=f"{TEAM_PREFIX}{i + 1}")[0] for i in range(team_count)]
    manager_role = Role.objects.get(code="sales_manager")
    head_role = Role.objects.get(code="head_of_sales")
    rng = random.Random(count)
    pools = synthetic.NamePools(seed=7, size=60)
    managers: list[User] = []
    for index in range(count):
        username = f"{MANAGER_PREFIX}{index + 1}"
        user = User.objects.filter(username=username).first()
        if user is None:
            country = synthetic.COUNTRIES[index % 3]
            person = pools.person(rng, country)
            user = _user_create(
                username=username,
                first_name=person.first_name,
                last_name=person.last_name,
                language={"RU": "ru", "FR": "fr", "GB": "en"}[country],
                time_zone={"RU": "Europe/Moscow", "FR": "Europe/Paris", "GB": "Europe/London"}[
                    country
                ],
                role=manager_role,
                team=teams[index % team_count],
            )
        managers.append(user)
    head = User.objects.filter(username=HEAD_USERNAME).first() or _user_create(
        username=HEAD_USERNAME,
        first_name="Generated",
        last_name="Head of sales",
        language="en",
        time_zone="Europe/Moscow",
        role=head_role,
        team=None,
    )
    team_of: dict[int, int] = {}
    for team_id, user_id in User.teams.through.objects.filter(
        user_id__in=[m.pk for m in managers]
    ).values_list("team_id", "user_id"):
        team_of.setdefault(user_id, team_id)
    return Owners(
        managers=managers,
        head=head,
        teams=teams,
        team_of=team_of,
        names={u.pk: str(u)[:150] for u in [*managers, head]},
    )


def _user_create(
    *,
    username: str,
    first_name: str,
    last_name: str,
    language: str,
    time_zone: str,
    role: Role,
    team: Team | None,
) -> User:
    user = User(
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=f"{username}@accord.example",
        language=language,
        time_zone=time_zone,
    )
    user.set_unusable_password()  # generated users sign in only through tests and the bench
    user.save()
    user.roles.add(role)
    if team is not None:
        user.teams.add(team)
    audit.record(
        actor=None,
        action=AuditEntry.Kind.CREATE,
        obj=user,
        changes={"username": [None, username], "roles": [None, [role.code]]},
        message="generated",
    )
    return user


def _next_id(model: type[models.Model]) -> int:
    return (model._default_manager.aggregate(top=Max("pk"))["top"] or 0) + 1


def _batches(total: int, size: int) -> Iterator[tuple[int, int]]:
    for start in range(0, total, size):
        yield start, min(size, total - start)


def _picklist_ids(picklist: str) -> list[int | None]:
    ids: list[int | None] = list(
        PicklistOption.objects.filter(picklist=picklist, is_active=True).values_list(
            "pk", flat=True
        )
    )
    return ids or [None]


SUBJECTS = {
    "call": ("Call about the project", "Follow-up call", "Clarify the brief", "Price discussion"),
    "meeting": ("Project kick-off", "Design review", "Site visit", "Contract meeting"),
    "task": ("Send the proposal", "Prepare the estimate", "Call back", "Send the contract"),
    "note": ("Notes from the call", "Client feedback", "Internal note", "Decision makers"),
    "email": ("Proposal sent", "Drawings sent", "Question about stage P", "Invoice sent"),
}
KIND_WEIGHTS = (("call", 35), ("email", 20), ("note", 15), ("meeting", 15), ("task", 15))
OUTCOMES = ("reached", "reached", "reached", "no_answer", "busy", "voicemail", "callback")


# SQLite's FTS5 trigram index costs ~0.6 ms per row through its INSERT trigger but ~0.13 ms
# per row when rebuilt in one pass, so big loads rebuild it at the end instead.
DEFER_SEARCH_INDEX_FROM = 20_000
FTS_TABLES = {"parties_company": "parties_company_fts", "parties_contact": "parties_contact_fts"}


@contextlib.contextmanager
def deferred_search_index(*, enabled: bool) -> Iterator[None]:
    """On SQLite, drop the FTS insert triggers for the load, then rebuild the index and put
    the triggers back (also when the load fails). PostgreSQL needs nothing: its trigram GIN
    indexes are ordinary indexes."""
    if not enabled or connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN (%s, %s)"
            " AND name LIKE %s",
            [*FTS_TABLES, "%fts_ai"],
        )
        triggers = cursor.fetchall()
        for name, _sql in triggers:
            cursor.execute(f'DROP TRIGGER "{name}"')
    try:
        yield
    finally:
        with transaction.atomic(), connection.cursor() as cursor:
            for fts in FTS_TABLES.values():
                cursor.execute(f"INSERT INTO {fts}({fts}) VALUES('rebuild')")
            for _name, sql in triggers:
                cursor.execute(sql)


@contextlib.contextmanager
def bulk_session() -> Iterator[None]:
    """On SQLite, a 1 GB page cache keeps the indexes of a million rows in memory, and
    ``synchronous=OFF`` skips fsync on each batch commit (a crash of the machine during
    generation can corrupt the generated database; it is scratch data). Both are put back to
    the settings' values afterwards, so what runs next on the connection is measured as in
    production. Inside a transaction (tests) SQLite refuses to change them: left alone."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        synchronous = cursor.fetchone()[0]
        cursor.execute("PRAGMA cache_size")
        cache_size = cursor.fetchone()[0]
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.execute("PRAGMA cache_size=-1048576")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA synchronous={int(synchronous)}")
            cursor.execute(f"PRAGMA cache_size={int(cache_size)}")


class Generator:
    """One run of ``accord generate``."""

    def __init__(
        self,
        *,
        users: int,
        seed: int,
        batch_size: int = 5000,
        progress: Progress | None = None,
    ) -> None:
        self.rng = random.Random(seed)
        self.pools = synthetic.NamePools(seed=seed)
        self.batch_size = batch_size
        self.progress = progress or (lambda _line: None)
        self.users = users
        self.now = timezone.now()
        self.request_id = audit.current().request_id
        self.source = audit.current().source
        self.result = GenerateResult()

    def run(
        self,
        *,
        companies: int,
        contacts: int,
        activities: int,
        deals: int = 0,
        order_lines: int = 0,
    ) -> GenerateResult:
        from accord.ops.generator_sales import SalesGenerator

        started = time.monotonic()
        with transaction.atomic():
            self.owners = ensure_users(self.users)
        self._load_picklists()
        with (
            bulk_session(),
            deferred_search_index(enabled=companies + contacts >= DEFER_SEARCH_INDEX_FROM),
        ):
            self._companies(companies)
            self._contacts(contacts)
            self._activities(activities)
            sales = SalesGenerator(self)
            sales.deals(deals)
            sales.orders(order_lines)
        self._finish()
        self.result.seconds = time.monotonic() - started
        return self.result

    def _load_picklists(self) -> None:
        self.industries = _picklist_ids("industry")
        self.regions = _picklist_ids("region")
        self.company_types = _picklist_ids("company_type")
        self.sources = _picklist_ids("source")
        self.sizes = _picklist_ids("size")
        self.contact_roles = _picklist_ids("contact_role")

    def _audit_row(
        self,
        *,
        actor_id: int,
        object_type: str,
        object_id: int,
        object_repr: str,
        changes: dict[str, Any],
        timestamp: datetime.datetime,
        related_id: int | None = None,
    ) -> dict[str, Any]:
        return {
            "timestamp": timestamp,
            "actor_id": actor_id,
            "actor_name": self.owners.names.get(actor_id, ""),
            "request_id": self.request_id,
            "source": self.source,
            "action": AuditEntry.Kind.CREATE.value,
            "object_type": object_type,
            "object_id": object_id,
            "object_repr": object_repr[:200],
            "related_type": "company" if related_id else "",
            "related_id": related_id,
            "changes": changes,
            "message": "generated",
        }

    def _report(self, label: str, done: int, total: int, started: float) -> None:
        elapsed = max(time.monotonic() - started, 1e-6)
        self.progress(f"{label}: {done:,}/{total:,} ({done / elapsed:,.0f} records/s)")

    def _past(self, days: float) -> datetime.datetime:
        return self.now - datetime.timedelta(seconds=self.rng.random() * days * 86400)

    # --- companies ----------------------------------------------------------------------------
    def _companies(self, total: int) -> None:
        rng = self.rng
        first_id = _next_id(Company)
        self.company_first_id = first_id
        self.company_owner = array("q")
        self.company_team = array("q")  # 0 = not shared
        self.company_country: list[str] = []
        self.company_domain: list[str] = []
        self.company_contacts: list[list[int]] = []
        companies = BulkInserter(Company, with_id=True)
        points = BulkInserter(ContactPoint, with_id=False)
        entries = BulkInserter(AuditEntry, with_id=False)
        # Unique constraints (INN+KPP, SIRET) must hold against rows already there too.
        used_inn = set(Company.objects.exclude(inn="").values_list("inn", flat=True))
        used_siret = set(Company.objects.exclude(siret="").values_list("siret", flat=True))
        managers = self.owners.managers
        started = time.monotonic()
        for start, size in _batches(total, self.batch_size):
            with transaction.atomic():
                for offset in range(size):
                    index = start + offset
                    pk = first_id + index
                    owner = managers[index % len(managers)].pk
                    team = self.owners.team_of.get(owner) if rng.random() < 0.3 else None
                    country = synthetic.pick_country(rng)
                    identity = self.pools.company(rng, country)
                    ids = self._tax_ids(country, used_inn, used_siret)
                    domain = synthetic.company_domain(identity)
                    phone = synthetic.phone_e164(rng, country)
                    email = f"info@{domain}"
                    created = self._past(730)
                    row: dict[str, Any] = {
                        "id": pk,
                        "name": identity.name,
                        "legal_name": identity.legal_name,
                        **ids,
                        "industry_id": rng.choice(self.industries),
                        "region_id": rng.choice(self.regions),
                        "company_type_id": rng.choice(self.company_types),
                        "source_id": rng.choice(self.sources),
                        "size_id": rng.choice(self.sizes),
                        "country": country,
                        "website": f"https://{domain}/",
                        "custom": {},
                        "search_text": search_text(
                            identity.name,
                            identity.legal_name,
                            ids.get("inn", ""),
                            ids.get("ogrn", ""),
                            ids.get("siren", ""),
                            ids.get("siret", ""),
                            ids.get("vat_number", ""),
                            email,  # services list points by kind: e-mail first
                            phone,
                            phone.lstrip("+"),
                        ),
                        "name_key": name_key(identity.name) or name_key(identity.legal_name),
                        "owner_id": owner,
                        "team_id": team,
                        "created_at": created,
                        "updated_at": created,
                        "version": 1,
                    }
                    companies.add(row)
                    points.add(_point("phone", phone, True, company_id=pk))
                    points.add(_point("email", email, True, company_id=pk))
                    entries.add(
                        self._audit_row(
                            actor_id=owner,
                            object_type="company",
                            object_id=pk,
                            object_repr=identity.name,
                            changes={
                                "name": [None, identity.name],
                                "owner_id": [None, owner],
                                "phones": [None, [phone]],
                                "emails": [None, [email]],
                                **{k: [None, v] for k, v in ids.items()},
                            },
                            timestamp=created,
                        )
                    )
                    self.company_owner.append(owner)
                    self.company_team.append(team or 0)
                    self.company_country.append(country)
                    self.company_domain.append(domain)
                    self.company_contacts.append([])
                self._count("companies", companies.flush())
                self._count("contact points", points.flush())
                self._count("audit entries", entries.flush())
            self._report("companies", start + size, total, started)

    def _tax_ids(self, country: str, used_inn: set[str], used_siret: set[str]) -> dict[str, str]:
        rng = self.rng
        if country == "RU":
            region = rng.choice(synthetic.RU_TAX_REGIONS)
            inn = synthetic.company_inn(rng, region)
            while inn in used_inn:
                inn = synthetic.company_inn(rng, region)
            used_inn.add(inn)
            return {
                "inn": inn,
                "kpp": synthetic.company_kpp(region),
                "ogrn": synthetic.company_ogrn(rng, region),
            }
        if country == "FR":
            siren = synthetic.siren_number(rng)
            siret = synthetic.siret_number(rng, siren)
            while siret in used_siret:
                siren = synthetic.siren_number(rng)
                siret = synthetic.siret_number(rng, siren)
            used_siret.add(siret)
            return {"siren": siren, "siret": siret, "vat_number": synthetic.french_vat(siren)}
        return {}

    # --- contacts -----------------------------------------------------------------------------
    def _contacts(self, total: int) -> None:
        rng = self.rng
        first_id = _next_id(Contact)
        contacts = BulkInserter(Contact, with_id=True)
        points = BulkInserter(ContactPoint, with_id=False)
        employments = BulkInserter(Employment, with_id=False)
        entries = BulkInserter(AuditEntry, with_id=False)
        company_count = len(self.company_owner)
        managers = self.owners.managers
        started = time.monotonic()
        for start, size in _batches(total, self.batch_size):
            with transaction.atomic():
                for offset in range(size):
                    pk = first_id + start + offset
                    company_index = (
                        rng.randrange(company_count)
                        if company_count and rng.random() < 0.9
                        else None
                    )
                    if company_index is not None:
                        company_id: int | None = self.company_first_id + company_index
                        owner = self.company_owner[company_index]
                        team = self.company_team[company_index] or None
                        country = self.company_country[company_index]
                        domain = self.company_domain[company_index]
                        self.company_contacts[company_index].append(pk)
                    else:
                        company_id = None
                        owner = managers[rng.randrange(len(managers))].pk
                        team = None
                        country = synthetic.pick_country(rng)
                        domain = "mail.example"
                    person = self.pools.person(rng, country)
                    full_name = " ".join(
                        p for p in (person.last_name, person.first_name, person.middle_name) if p
                    )
                    phone = synthetic.phone_e164(rng, country) if rng.random() < 0.8 else ""
                    email = (
                        synthetic.email_address(person, domain, pk).lower()
                        if rng.random() < 0.9
                        else ""
                    )
                    normalized = [p for p in (email, phone) if p]  # kind order, as services
                    created = self._past(700)
                    contacts.add(
                        {
                            "id": pk,
                            "last_name": person.last_name,
                            "first_name": person.first_name,
                            "middle_name": person.middle_name,
                            "position": person.position,
                            "primary_company_id": company_id,
                            "custom": {},
                            "full_name": full_name,
                            "search_text": search_text(
                                full_name,
                                f"{person.first_name} {person.last_name}",
                                person.position,
                                *normalized,
                                *([phone.lstrip("+")] if phone else []),
                            ),
                            "name_key": name_key(f"{person.last_name} {person.first_name}"),
                            "owner_id": owner,
                            "team_id": team,
                            "created_at": created,
                            "updated_at": created,
                            "version": 1,
                        }
                    )
                    if phone:
                        points.add(_point("phone", phone, True, contact_id=pk))
                    if email:
                        points.add(_point("email", email, True, contact_id=pk))
                    if company_id is not None:
                        employments.add(
                            {
                                "contact_id": pk,
                                "company_id": company_id,
                                "position": person.position,
                                "role_id": rng.choice(self.contact_roles),
                                "is_primary": True,
                            }
                        )
                    entries.add(
                        self._audit_row(
                            actor_id=owner,
                            object_type="contact",
                            object_id=pk,
                            object_repr=full_name,
                            changes={
                                "full_name": [None, full_name],
                                "owner_id": [None, owner],
                                "companies": [None, [company_id] if company_id else []],
                                "phones": [None, [phone] if phone else []],
                                "emails": [None, [email] if email else []],
                            },
                            timestamp=created,
                            related_id=company_id,
                        )
                    )
                self._count("contacts", contacts.flush())
                self._count("contact points", points.flush())
                self._count("employments", employments.flush())
                self._count("audit entries", entries.flush())
            self._report("contacts", start + size, total, started)

    # --- activities ---------------------------------------------------------------------------
    def _activities(self, total: int) -> None:
        rng = self.rng
        company_count = len(self.company_owner)
        if not company_count or not total:
            return
        first_id = _next_id(Activity)
        activities = BulkInserter(Activity, with_id=True)
        links = BulkInserter(Activity.contacts.through, with_id=False)
        entries = BulkInserter(AuditEntry, with_id=False)
        kinds = [k for k, _w in KIND_WEIGHTS]
        weights = [w for _k, w in KIND_WEIGHTS]
        labels = {k.value: str(k.label) for k in Activity.Kind}
        today = self.now.replace(hour=9, minute=0, second=0, microsecond=0)
        started = time.monotonic()
        for start, size in _batches(total, self.batch_size):
            with transaction.atomic():
                kind_draws = rng.choices(kinds, weights=weights, k=size)
                for offset in range(size):
                    pk = first_id + start + offset
                    # Skewed towards the first companies: a few clients get thousands of
                    # activities, as key accounts do, which is what the client card must handle.
                    company_index = min(int(company_count * rng.random() ** 2), company_count - 1)
                    company_id = self.company_first_id + company_index
                    owner = self.company_owner[company_index]
                    team = self.company_team[company_index] or None
                    kind = kind_draws[offset]
                    row: dict[str, Any] = {
                        "id": pk,
                        "kind": kind,
                        "subject": rng.choice(SUBJECTS[kind]),
                        "company_id": company_id,
                        "owner_id": owner,
                        "team_id": team,
                        "version": 1,
                    }
                    at = self._past(365)
                    if kind == "call":
                        row.update(
                            direction=rng.choice(("in", "out", "out")),
                            outcome=rng.choice(OUTCOMES),
                            duration_seconds=rng.randint(20, 1800),
                        )
                    elif kind in ("task", "meeting"):
                        if rng.random() < 0.1:  # open and upcoming or overdue
                            at = today + datetime.timedelta(days=rng.randint(-5, 20))
                            row["is_done"] = False
                        else:
                            row.update(is_done=True, done_at=at)
                        if kind == "meeting":
                            row["ends_at"] = at + datetime.timedelta(hours=1)
                    elif kind == "email":
                        row.update(
                            email_from="manager@accord.example",
                            email_to=f"info@{self.company_domain[company_index]}",
                        )
                    row["at"] = at
                    row["created_at"] = min(at, self.now)
                    row["updated_at"] = row["created_at"]
                    activities.add(row)
                    contacts = self.company_contacts[company_index]
                    if contacts and rng.random() < 0.7:
                        links.add({"activity_id": pk, "contact_id": rng.choice(contacts)})
                    subject = row["subject"]
                    entries.add(
                        self._audit_row(
                            actor_id=owner,
                            object_type="activity",
                            object_id=pk,
                            object_repr=f"{labels[kind]}: {subject}",
                            changes={"kind": [None, kind], "subject": [None, subject]},
                            timestamp=row["created_at"],
                            related_id=company_id,
                        )
                    )
                self._count("activities", activities.flush())
                self._count("activity contacts", links.flush())
                self._count("audit entries", entries.flush())
            self._report("activities", start + size, total, started)

    def _count(self, label: str, rows: int) -> None:
        self.result.counts[label] = self.result.counts.get(label, 0) + rows
        self.result.rows += rows

    def _finish(self) -> None:
        """Keep sequences and planner statistics in step with what was inserted."""
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                from accord.commerce.models import Invoice, Order, OrderLine
                from accord.sales.models import Deal

                models_with_ids = [Company, Contact, Activity, Deal, Order, OrderLine, Invoice]
                for sql in connection.ops.sequence_reset_sql(no_style(), models_with_ids):
                    cursor.execute(sql)
                cursor.execute("ANALYZE")
            elif connection.vendor == "sqlite":
                cursor.execute("PRAGMA analysis_limit=1000")
                cursor.execute("ANALYZE")


@functools.lru_cache(maxsize=200_000)
def _latin(text: str) -> str:
    return normalize.latin(text)


def _transliterate(text: str) -> str:
    if text.isascii():
        return text.lower()
    return " ".join(_latin(word) for word in text.split(" "))


def search_text(*parts: str) -> str:
    """``normalize.search_text`` with the transliteration cached per word: names repeat a lot
    and transliteration maps characters one by one, so the result is identical (tested)."""
    kept = [p.lower() for p in parts if p]
    joined = " ".join(kept)
    translit = " ".join(_transliterate(p) for p in kept)
    return f"{joined} {translit}" if translit != joined else joined


def name_key(name: str) -> str:
    """``normalize.name_key``, which starts by transliterating: feeding it the cached
    transliteration gives the same key."""
    return normalize.name_key(_transliterate(name))


def _point(
    kind: str,
    value: str,
    is_primary: bool,
    *,
    company_id: int | None = None,
    contact_id: int | None = None,
) -> dict[str, Any]:
    return {
        "kind": kind,
        "label": "",
        "value": value,
        "normalized": value,
        "is_primary": is_primary,
        "company_id": company_id,
        "contact_id": contact_id,
    }


def generate(
    *,
    companies: int,
    contacts: int,
    activities: int,
    deals: int = 0,
    order_lines: int = 0,
    users: int = 20,
    seed: int = 1,
    batch_size: int = 5000,
    progress: Progress | None = None,
) -> GenerateResult:
    """Fill the database; call inside ``audit_context(source="command")``. Deals and orders
    (accord.ops.generator_sales) go to the companies generated in the same run."""
    return Generator(users=users, seed=seed, batch_size=batch_size, progress=progress).run(
        companies=companies,
        contacts=contacts,
        activities=activities,
        deals=deals,
        order_lines=order_lines,
    )


def describe(result: GenerateResult) -> str:
    return json.dumps(result.counts, ensure_ascii=False)
