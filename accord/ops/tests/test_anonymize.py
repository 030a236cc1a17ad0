"""``accord anonymize`` (O2): nothing personal survives, the same person stays one person,
structure, counts, dates and amounts are kept, the source is untouched, the copy opens."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from stdnum.fr import siren as fr_siren
from stdnum.fr import siret as fr_siret
from stdnum.fr import tva as fr_tva
from stdnum.ru import inn as ru_inn
from stdnum.ru import ogrn as ru_ogrn

from accord.activities import services as activity_services
from accord.activities.models import Activity, Document
from accord.core.audit import audit_context
from accord.core.models import ApiToken, CustomFieldDefinition, User
from accord.core.testing import UserFactory
from accord.ops import anonymize, anonymize_fakes
from accord.ops.generator import generate
from accord.parties import services as party_services
from accord.parties.models import Company, Contact, ContactPoint
from accord.parties.selectors import companies_visible_to, contacts_visible_to
from accord.sales import services_leads
from accord.sales.models import Deal

ROOT = Path(__file__).resolve().parents[3]
# Hand-made originals, chosen outside the fake name pools so that a hit is a real leak.
ORIGINALS = [
    "Зюзюкин",
    "Евлампий",
    "Евлампиевич",
    "Уралтрансгазпром",
    "Quenouillard",
    "Ravioliaux",
    "7707083893",
    "770701001",
    "1027700132195",
    "732829320",
    "73282932000074",
    "FR44732829320",
    "9123456789",
    "3512112233",
    "zyuzyukin",
    "uraltransgazprom",
    "quenouillard",
    "Кирпичнозаводская",
    "454091",
    "конфиденциальные",
    "Переговорищи",
    "Смотровизмы",
    "Zavyalovsky",
    "kirill.zavyalovsky",
    "contract-secret-bytes",
    "Договор_Зюзюкин",
]


@pytest.fixture(scope="session")
def schema_template(tmp_path_factory: Any) -> Path:
    """The copy's schema, made once by the real migration subprocess."""
    path = tmp_path_factory.mktemp("anonymize-schema") / "template.sqlite3"
    anonymize._migrate_copy(path)
    return path


@pytest.fixture
def fast_schema(monkeypatch: Any, schema_template: Path) -> None:
    monkeypatch.setattr(
        anonymize, "_migrate_copy", lambda path: shutil.copyfile(schema_template, path)
    )


def _build_source() -> dict[str, Any]:
    admin = UserFactory(
        is_superuser=True,
        username="kirill.zavyalovsky",
        first_name="Кирилл",
        last_name="Zavyalovsky",
        email="kirill.zavyalovsky@corp.example",
    )
    with audit_context(source="command"):
        generate(
            companies=15, contacts=40, activities=60, deals=10, order_lines=20, users=2, seed=7
        )
    CustomFieldDefinition.objects.create(
        model="company", name="remark", label="Remark", field_type="text"
    )
    CustomFieldDefinition.objects.create(
        model="company", name="employees", label="Employees", field_type="number"
    )
    company = party_services.company_create(
        actor=admin,
        fields={
            "name": "ООО «Уралтрансгазпром»",
            "legal_name": "Общество с ограниченной ответственностью «Уралтрансгазпром»",
            "inn": "7707083893",
            "kpp": "770701001",
            "ogrn": "1027700132195",
            "country": "RU",
            "website": "https://uraltransgazprom.ru",
            "description": "Директор Зюзюкин: конфиденциальные условия",
        },
        phones=["+7 351 211-22-33"],
        emails=["info@uraltransgazprom.ru"],
        addresses=[
            {
                "kind": "legal",
                "street": "ул. Кирпичнозаводская, 12",
                "city": "Челябинск",
                "postcode": "454091",
                "country": "RU",
            }
        ],
        custom={"remark": "Переговорищи по тендеру", "employees": 250},
    )
    french = party_services.company_create(
        actor=admin,
        fields={
            "name": "Ravioliaux Ingénierie SARL",
            "siren": "732829320",
            "siret": "73282932000074",
            "vat_number": "FR44732829320",
            "country": "FR",
        },
    )
    contact = party_services.contact_create(
        actor=admin,
        fields={
            "last_name": "Зюзюкин",
            "first_name": "Евлампий",
            "middle_name": "Евлампиевич",
            "notes": "Смотровизмы каждую пятницу",
            "owner": admin,
        },
        companies=[company],
        phones=["+7 912 345-67-89"],
        emails=["zyuzyukin@uraltransgazprom.ru"],
    )
    party_services.contact_create(
        actor=admin,
        fields={"last_name": "Quenouillard", "first_name": "Jean", "owner": admin},
        companies=[french],
        emails=["j.quenouillard@ravioliaux.fr"],
    )
    lead = services_leads.lead_create(
        actor=admin,
        fields={
            "full_name": "Зюзюкин Евлампий",
            "company_name": "ООО «Уралтрансгазпром»",
            "phone": "+79123456789",
            "email": "Zyuzyukin@Uraltransgazprom.ru",
            "inn": "7707083893",
            "city": "Челябинск",
            "description": "Смотровизмы",
        },
        assign_automatically=False,
    )
    activity = activity_services.activity_create(
        actor=admin,
        kind=Activity.Kind.CALL,
        fields={"company": company, "subject": "Звонок Зюзюкин", "body": "Переговорищи"},
        contacts=[contact],
    )
    document = activity_services.document_upload(
        actor=admin,
        uploaded_file=SimpleUploadedFile(
            "Договор_Зюзюкин.pdf",
            b"%PDF-1.4\n% contract-secret-bytes\n%%EOF\n",
            content_type="application/pdf",
        ),
        company=company,
        description="Договор Зюзюкин",
    )
    ApiToken.objects.create(
        user=admin, name="Zavyalovsky laptop", prefix="abc", token_hash="0" * 64
    )
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session["who"] = "kirill.zavyalovsky"
    session.create()
    return {
        "admin": admin,
        "company": company,
        "french": french,
        "contact": contact,
        "lead": lead,
        "activity": activity,
        "document": document,
    }


def _table_checksums() -> dict[str, str]:
    """A digest of every row of every table of the source, in primary-key order."""
    result = {}
    for model in apps.get_models(include_auto_created=True):
        rows = model._base_manager.order_by("pk").values_list()
        result[model._meta.label] = hashlib.sha256(repr(list(rows)).encode()).hexdigest()
    return result


@pytest.fixture
def copied(fast_schema: None, tmp_path: Path) -> dict[str, Any]:
    source = _build_source()
    before = _table_checksums()
    path = tmp_path / "copy.sqlite3"
    result = anonymize.anonymize_database(output=path, seed=11)
    return {**source, "path": path, "result": result, "before": before}


def _copy_rows(path: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as db:
        return db.execute(sql, params).fetchall()


def _copy_text(path: Path) -> str:
    """Every text value of every table of the copy (FTS shadow tables included)."""
    parts = []
    with sqlite3.connect(path) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for row in db.execute(f'SELECT * FROM "{table}"'):  # noqa: S608 -- test
                for value in row:
                    if isinstance(value, bytes):
                        parts.append(value.decode("utf-8", "ignore"))
                    elif isinstance(value, str) and value[:1] in "[{":
                        # JSON columns escape non-ASCII text: read them decoded too.
                        parts.append(value)
                        with contextlib.suppress(ValueError):
                            parts.append(json.dumps(json.loads(value), ensure_ascii=False))
                    elif value is not None:
                        parts.append(str(value))
    return "\n".join(parts).lower()


@pytest.mark.django_db
def test_every_text_json_and_file_column_has_a_reviewed_rule():
    """Fails when a model gains a text/JSON/file column (or a new model appears) that the
    table does not list as anonymised or kept: nothing can leak silently."""
    assert anonymize.unlisted_fields() == []
    known = anonymize_fakes.VALUE_RULES | {
        anonymize.KEEP,
        "derived",
        "custom",
        "json",
        "message",
        "clear",
        "contact_point",
        "username",
        "password",
        "object_repr",
        "file",
        "file_name",
        "digest",
    }
    for label, rules in anonymize.FIELD_RULES.items():
        model = apps.get_model(label)
        columns = {f.name for f in anonymize.text_fields(model)}
        assert set(rules) <= columns, label  # no stale entries
        assert set(rules.values()) <= known, label


@pytest.mark.django_db
def test_nothing_personal_survives_anywhere_in_the_copy(copied):
    text = _copy_text(copied["path"])

    leaks = [original for original in ORIGINALS if original.lower() in text]
    assert leaks == []
    generated = list(Contact.objects.values_list("full_name", flat=True))
    generated += list(Company.objects.values_list("name", flat=True))
    generated += list(ContactPoint.objects.values_list("normalized", flat=True))
    assert [value for value in generated if value.lower() in text] == []
    # The original file is not in the copy's folder either.
    for file in copied["result"].files_dir.rglob("*"):
        if file.is_file():
            assert b"contract-secret-bytes" not in file.read_bytes()


@pytest.mark.django_db
def test_structure_counts_dates_and_amounts_are_kept(copied):
    path = copied["path"]
    for model in anonymize.copied_models():
        table = model._meta.db_table
        count = _copy_rows(path, f'SELECT COUNT(*) FROM "{table}"')[0][0]  # noqa: S608
        assert count == model._base_manager.count(), model._meta.label
    assert _copy_rows(path, "SELECT COUNT(*) FROM django_session") == [(0,)]
    assert _copy_rows(path, "SELECT COUNT(*) FROM core_apitoken") == [(0,)]
    with anonymize._copy_connection(path):
        alias = anonymize.COPY_ALIAS
        assert list(
            Deal.objects.using(alias)
            .order_by("pk")
            .values_list("pk", "amount", "currency", "stage_id", "company_id", "created_at")
        ) == list(
            Deal.objects.order_by("pk").values_list(
                "pk", "amount", "currency", "stage_id", "company_id", "created_at"
            )
        )
        assert list(
            Activity.objects.using(alias)
            .order_by("pk")
            .values_list("pk", "at", "kind", "company_id")
        ) == list(Activity.objects.order_by("pk").values_list("pk", "at", "kind", "company_id"))
        copy_company = Company.objects.using(alias).get(pk=copied["company"].pk)
        assert copy_company.custom["employees"] == 250
        assert copy_company.custom["remark"] != "Переговорищи по тендеру"
        assert copy_company.country == "RU"
        assert list(
            ContactPoint.objects.using(alias).order_by("pk").values_list("pk", "kind", "contact_id")
        ) == list(ContactPoint.objects.order_by("pk").values_list("pk", "kind", "contact_id"))


@pytest.mark.django_db
def test_the_same_original_becomes_the_same_fake_everywhere(copied):
    path = copied["path"]
    contact, lead, company = copied["contact"], copied["lead"], copied["company"]
    ((last, first, middle, full),) = _copy_rows(
        path,
        "SELECT last_name, first_name, middle_name, full_name FROM parties_contact WHERE id = ?",
        (contact.pk,),
    )
    ((lead_name, lead_company, lead_phone, lead_email, lead_inn),) = _copy_rows(
        path,
        "SELECT full_name, company_name, phone, email, inn FROM sales_lead WHERE id = ?",
        (lead.pk,),
    )
    ((name, inn, ogrn),) = _copy_rows(
        path, "SELECT name, inn, ogrn FROM parties_company WHERE id = ?", (company.pk,)
    )
    points = dict(
        _copy_rows(
            path,
            "SELECT kind, normalized FROM parties_contactpoint WHERE contact_id = ?",
            (contact.pk,),
        )
    )
    assert full == f"{last} {first} {middle}"
    assert lead_name == f"{last} {first}"
    assert lead_company == name
    assert name.startswith("ООО «")
    assert points["phone"] == lead_phone
    assert points["phone"].startswith("+7912") and len(points["phone"]) == 12
    assert points["email"] == lead_email
    assert lead_email.endswith("@example.invalid")
    assert lead_inn == inn and ru_inn.is_valid(inn) and inn != "7707083893"
    assert ru_ogrn.is_valid(ogrn)
    ((siren, siret, vat),) = _copy_rows(
        path,
        "SELECT siren, siret, vat_number FROM parties_company WHERE id = ?",
        (copied["french"].pk,),
    )
    assert fr_siren.is_valid(siren) and fr_siret.is_valid(siret) and fr_tva.is_valid(vat)
    assert siret.startswith(siren) and vat.endswith(siren)
    # The contact's creation in the audit log names the fake, never the original.
    changes = _copy_rows(
        path,
        "SELECT changes, object_repr FROM core_auditentry WHERE object_type = 'contact' "
        "AND object_id = ? AND action = 'create'",
        (contact.pk,),
    )
    assert len(changes) == 1
    assert json.loads(changes[0][0])["last_name"] == [None, last]
    assert changes[0][1] == f"contact #{contact.pk}"


@pytest.mark.django_db
def test_users_files_and_search_in_the_copy(copied):
    path = copied["path"]
    alias = anonymize.COPY_ALIAS
    with anonymize._copy_connection(path):
        users = list(User.objects.using(alias).order_by("pk"))
        assert [u.username for u in users] == [f"user{u.pk}" for u in users]
        assert all(not u.has_usable_password() for u in users)
        document = Document.objects.using(alias).get(pk=copied["document"].pk)
        assert document.file.name == "anonymized/placeholder.pdf"
        assert document.original_name == f"document-{document.pk}.pdf"
        placeholder = copied["result"].files_dir / "anonymized" / "placeholder.pdf"
        assert placeholder.read_bytes().startswith(b"%PDF")
        # Search finds the fake through the rebuilt index and the rebuilt contact points.
        contact = Contact.objects.using(alias).get(pk=copied["contact"].pk)
        phone = ContactPoint.objects.using(alias).get(contact=contact, kind="phone").normalized
        found = _copy_rows(
            path,
            "SELECT rowid FROM parties_contact_fts WHERE parties_contact_fts MATCH ?",
            (f'"{contact.last_name.lower()}"',),
        )
        assert (contact.pk,) in found
        assert phone.lstrip("+") in contact.search_text
        admin_copy = User.objects.using(alias).get(pk=copied["admin"].pk)
        visible = companies_visible_to(admin_copy).using(alias)
        assert visible.count() == Company.objects.count()
        assert contacts_visible_to(admin_copy).using(alias).filter(pk=contact.pk).exists()


@pytest.mark.django_db
def test_source_is_left_unchanged(copied):
    assert _table_checksums() == copied["before"]


@pytest.mark.django_db
def test_same_seed_gives_the_same_copy_and_existing_output_needs_force(fast_schema, tmp_path):
    UserFactory(first_name="Зюзюкин")
    first = tmp_path / "a.sqlite3"
    anonymize.anonymize_database(output=first, seed=3)
    with pytest.raises(CommandError, match="already exists"):
        call_command("anonymize", "--output", str(first), "--seed", "3", stdout=io.StringIO())
    call_command(
        "anonymize", "--output", str(first), "--seed", "3", "--force", stdout=io.StringIO()
    )
    second = tmp_path / "b.sqlite3"
    anonymize.anonymize_database(output=second, seed=3)
    assert _copy_rows(first, "SELECT first_name FROM core_user") == _copy_rows(
        second, "SELECT first_name FROM core_user"
    )
    assert not Path(f"{first}.part").exists()


def _accord(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "accord.cli", *args],
        env={**os.environ, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.django_db
def test_the_copy_opens_in_accord(copied):
    env = {"DATABASE_URL": f"sqlite:///{copied['path']}"}

    check = _accord(env, "migrate", "--check")
    assert check.returncode == 0, check.stdout + check.stderr
    script = (
        "from accord.core.models import User;"
        "from accord.parties.selectors import contacts_visible_to;"
        "from accord.parties.search import text_match;"
        f"u = User.objects.get(pk={copied['admin'].pk});"
        f"c = contacts_visible_to(u).get(pk={copied['contact'].pk});"
        "print(contacts_visible_to(u).count(), text_match(contacts_visible_to(u), c.last_name)"
        ".filter(pk=c.pk).exists())"
    )
    shell = _accord(env, "shell", "--no-imports", "-c", script)
    assert shell.returncode == 0, shell.stderr
    assert shell.stdout.split() == [str(Contact.objects.count()), "True"]


def test_refuses_to_write_over_the_live_database(tmp_path):
    live = tmp_path / "accord.sqlite3"
    live.write_bytes(b"live")

    env = {"ACCORD_DATA_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{live}"}
    done = _accord(env, "anonymize", "--output", str(live))

    assert done.returncode != 0
    assert "is the live database" in done.stderr
    assert live.read_bytes() == b"live"


def test_command_on_a_sqlite_file_never_changes_its_bytes(schema_template, tmp_path):
    source = tmp_path / "source.sqlite3"
    shutil.copyfile(schema_template, source)
    env = {"DATABASE_URL": f"sqlite:///{source}", "ACCORD_DATA_DIR": str(tmp_path)}
    created = _accord(env, "createadmin", "root", "--password", "Secret-pass-1")
    assert created.returncode == 0, created.stderr
    with sqlite3.connect(source) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    digest = hashlib.sha256(source.read_bytes()).hexdigest()

    done = _accord(env, "anonymize", "--output", str(tmp_path / "copy.sqlite3"))

    assert done.returncode == 0, done.stderr
    assert hashlib.sha256(source.read_bytes()).hexdigest() == digest
    assert _copy_rows(tmp_path / "copy.sqlite3", "SELECT username FROM core_user") == [("user1",)]


def test_text_fields_cover_every_kind_of_text_column():
    class_names = {type(f).__name__ for m in apps.get_models() for f in anonymize.text_fields(m)}
    assert {"CharField", "TextField", "EmailField", "JSONField", "FileField"} <= class_names


@pytest.mark.django_db
def test_a_column_without_a_rule_refuses_the_copy(monkeypatch, tmp_path):
    monkeypatch.delitem(anonymize.FIELD_RULES["parties.Contact"], "notes")
    output = tmp_path / "copy.sqlite3"

    with pytest.raises(anonymize.AnonymizeError, match=r"parties\.Contact\.notes"):
        anonymize.anonymize_database(output=output)

    assert list(tmp_path.iterdir()) == []


@pytest.mark.django_db
def test_a_failed_run_leaves_no_file_behind(fast_schema, monkeypatch, tmp_path):
    UserFactory(last_name="Зюзюкин")

    def broken(target: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(anonymize, "_rebuild_search", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        anonymize.anonymize_database(output=tmp_path / "copy.sqlite3")

    assert [p.name for p in tmp_path.iterdir() if "sqlite3" in p.name] == []
