"""Anonymised copies of the database for tests and demos (O2): ``accord anonymize``.

The copy is always a new SQLite file, whatever the source (SQLite or PostgreSQL), so it can
be handed to a developer and opened with ``DATABASE_URL=sqlite:////path/copy.sqlite3``.

How it works, and why:
1. The target schema comes from the project's own migrations, run in a child process whose
   ``DATABASE_URL`` is the new file: the data migrations seed through the default database,
   so running them in this process would write into the source.
2. Every model's rows are read from the source in primary-key chunks (the source connection
   is switched to read-only for the run, inside one read snapshot where the backend allows
   it) and written to the copy with each column passed through the rule of
   :data:`FIELD_RULES`. Personal values never reach the copy, not even in free pages.
3. Derived columns (search text, name keys, normalised phones and e-mails) are rebuilt from
   the fake values, then the FTS index is rebuilt and the file is vacuumed.

:data:`FIELD_RULES` is an explicit, reviewed table: every text, JSON and file column of
every model is listed as anonymised or kept (a test fails when a model gains one that is
not), so a new model cannot leak silently.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import hashlib
import os
import re
import secrets
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.db import connections, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.executor import MigrationExecutor

from accord.ops.anonymize_fakes import VALUE_RULES, Faker, apply_value_rule, scrub_json
from accord.ops.anonymize_rules import DROPPED_MODELS, FIELD_RULES, KEEP
from accord.parties import normalize

__all__ = ["DROPPED_MODELS", "FIELD_RULES", "KEEP", "anonymize_database"]

COPY_ALIAS = "accord_anonymized_copy"
CHUNK = 2000
Progress = Callable[[str], None]

# Inside audit changes, import "before" values and merge snapshots, values sit under the
# field's name: derived columns are treated as what they hold.
_JSON_DERIVED = {"full_name": "person_name", "search_text": "clear", "name_key": "clear"}
_PLACEHOLDERS: dict[str, bytes] = {
    ".pdf": (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    ),
    ".png": bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
    ),
}


def text_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    """The columns that can hold personal data: every text, JSON and file column."""
    kinds = (models.CharField, models.TextField, models.JSONField, models.FileField)
    return [f for f in model._meta.concrete_fields if isinstance(f, kinds)]


class AnonymizeError(Exception):
    """The copy cannot be made (bad output path, unmigrated source...): nothing was written."""


@dataclass
class AnonymizeResult:
    path: Path
    files_dir: Path
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return sum(self.counts.values())


def live_database_files() -> list[Path]:
    """The files of the live SQLite database (with its WAL/SHM), empty for PostgreSQL."""
    database = connections["default"].settings_dict
    if database["ENGINE"] != "django.db.backends.sqlite3":
        return []
    name = str(database["NAME"])
    if name.startswith("file:") or name == ":memory:":
        return []
    base = Path(name).resolve()
    return [base, Path(f"{base}-wal"), Path(f"{base}-shm")]


def check_output(output: Path, *, force: bool) -> Path:
    path = output.expanduser().resolve()
    if path in live_database_files():
        raise AnonymizeError(f"{path} is the live database: choose another output file.")
    if path.is_dir():
        raise AnonymizeError(f"{path} is a directory: give the path of the new file.")
    if path.exists() and not force:
        raise AnonymizeError(f"{path} already exists: use --force to overwrite it.")
    if not path.parent.is_dir():
        raise AnonymizeError(f"The folder {path.parent} does not exist.")
    return path


def _check_source_migrated() -> None:
    connection = connections["default"]
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        raise AnonymizeError(
            "The database has unapplied migrations: run `accord migrate` first, "
            "so the copy has the same structure."
        )


@contextlib.contextmanager
def _read_only_source() -> Iterator[None]:
    """No write can reach the source during the run; one snapshot where possible."""
    connection = connections["default"]
    connection.ensure_connection()
    own_transaction = not connection.in_atomic_block
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            if own_transaction:
                cursor.execute("BEGIN DEFERRED")
            cursor.execute("PRAGMA query_only = ON")
        elif connection.vendor == "postgresql" and own_transaction:
            # Inside a caller's transaction (tests) read-only mode could not be undone at
            # the end; there the caller owns the transaction and its writes.
            cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute("PRAGMA query_only = OFF")
            if own_transaction and connection.vendor in ("sqlite", "postgresql"):
                cursor.execute("ROLLBACK")


def _migrate_copy(path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{path}"}
    env.setdefault("DJANGO_SETTINGS_MODULE", "accord.settings")
    done = subprocess.run(
        [sys.executable, "-m", "accord.cli", "migrate", "--noinput", "--verbosity", "0"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise AnonymizeError("Could not create the copy's tables:\n" + done.stderr[-2000:])


@contextlib.contextmanager
def _copy_connection(path: Path) -> Iterator[BaseDatabaseWrapper]:
    connections.settings[COPY_ALIAS] = connections.configure_settings(
        {
            "default": connections.settings["default"],
            COPY_ALIAS: {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": str(path),
                "OPTIONS": {"init_command": "PRAGMA journal_mode=DELETE;PRAGMA synchronous=OFF;"},
            },
        }
    )[COPY_ALIAS]
    copy = connections[COPY_ALIAS]
    # Connected here, not lazily: the test runner forbids lazy connections to aliases that
    # are not declared on the test case.
    copy.connect()
    try:
        yield copy
    finally:
        connections[COPY_ALIAS].close()
        del connections[COPY_ALIAS]
        del connections.settings[COPY_ALIAS]


def copied_models() -> list[type[models.Model]]:
    return [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy and m._meta.label not in DROPPED_MODELS
    ]


class Anonymizer:
    """One run: the secret, the custom-field types and the placeholder files."""

    def __init__(self, *, seed: int | None, files_dir: Path) -> None:
        secret = (
            hashlib.sha256(f"accord-anonymize-{seed}".encode()).digest()
            if seed is not None
            else secrets.token_bytes(32)
        )
        self.faker = Faker(secret)
        self.files_dir = files_dir
        self.placeholders: set[str] = set()
        self.custom_types: dict[tuple[str, str], str] = {}
        from accord.core.models import CustomFieldDefinition
        from accord.core.permissions import OBJECT_TYPES

        for model_key, name, field_type in CustomFieldDefinition._base_manager.using(
            "default"
        ).values_list("model", "name", "field_type"):
            self.custom_types[(model_key, name)] = field_type
        self.model_by_type: dict[str, str] = {
            key: object_type.model_path for key, object_type in OBJECT_TYPES.items()
        }
        self.json_rules: dict[str, dict[str, str]] = {}
        self.unusable_password = make_password(None)

    # --- JSON -----------------------------------------------------------------------------
    def json_rules_for(self, label: str) -> dict[str, str]:
        """How a value under a field's name is replaced inside JSON (audit changes, import
        "before" values, merge snapshots): like the column, where the rule needs only the
        value; cleared for secrets and derived keys; by content otherwise."""
        rules = self.json_rules.get(label)
        if rules is None:
            rules = {}
            for name, rule in FIELD_RULES.get(label, {}).items():
                if rule in VALUE_RULES:
                    rules[name] = rule
                elif rule == "derived" and name in _JSON_DERIVED:
                    rules[name] = _JSON_DERIVED[name]
                elif rule in ("password", "digest", "clear"):
                    rules[name] = "clear"
            self.json_rules[label] = rules
        return rules

    def scrub(self, value: Any, object_type: str = "") -> Any:
        label = self.model_by_type.get(object_type, "")
        if not label and "." in object_type:
            with contextlib.suppress(LookupError, ValueError):
                label = apps.get_model(object_type)._meta.label
        rules = {k: v for k, v in self.json_rules_for(label).items() if v != "clear"}
        cleared = {k for k, v in self.json_rules_for(label).items() if v == "clear"}
        return _scrub(self.faker, value, rules, cleared)

    # --- rows -----------------------------------------------------------------------------
    def transform(
        self, model: type[models.Model], row: dict[str, Any], rules: dict[str, str]
    ) -> None:
        label = model._meta.label
        faker = self.faker
        for name, rule in rules.items():
            value = row.get(name)
            if rule == KEEP or rule == "derived" or value is None:
                continue
            if rule == "custom":
                row[name] = self.custom(model, value)
            elif rule == "json":
                object_type = row.get("object_type") or ""
                row[name] = self.scrub(value, str(object_type))
            elif rule == "message":
                row[name] = self.scrub(value)
            elif rule == "clear":
                row[name] = "" if isinstance(value, str) else type(value)()
            elif rule == "contact_point":
                row[name] = self.contact_point(row["kind"], value)
            elif rule == "username":
                row[name] = f"user{row['id']}"
            elif rule == "password":
                row[name] = self.unusable_password
            elif rule == "object_repr":
                row[name] = f"{row['object_type']} #{row['object_id']}"
            elif rule == "file":
                row[name] = self.placeholder(value) if value else value
            elif rule == "file_name":
                row[name] = f"{model._meta.model_name}-{row['id']}{_extension(value)}"
            elif rule == "digest":
                row[name] = faker.digest("digest", value).hex() * 2 if value else value
            else:
                row[name] = apply_value_rule(faker, rule, value)
        if label == "parties.ContactPoint":
            # The stored normal form of the original gives the fake's: E.164 for phones.
            row["normalized"] = self.contact_point(row["kind"], row["normalized"])
        fix = _DERIVED.get(label)
        if fix is not None:
            fix(row)

    def contact_point(self, kind: str, value: str) -> str:
        if kind == "phone":
            return self.faker.phone(value)
        if kind == "email":
            return self.faker.email(value)
        return self.faker.messenger(value)

    def custom(self, model: type[models.Model], values: Any) -> Any:
        if not isinstance(values, dict):
            return self.scrub(values)
        model_key = model._meta.model_name or ""
        result = {}
        for key, value in values.items():
            field_type = self.custom_types.get((model_key, key))
            if field_type == "text" and isinstance(value, str):
                result[key] = self.faker.text(value)
            elif field_type in (None, "text"):
                result[key] = self.scrub(value)
            else:
                result[key] = value
        return result

    def placeholder(self, name: str) -> str:
        extension = _extension(name)
        relative = f"anonymized/placeholder{extension}"
        if relative not in self.placeholders:
            target = self.files_dir / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(
                _PLACEHOLDERS.get(extension, b"This file was replaced in an anonymised copy.\n")
            )
            self.placeholders.add(relative)
        return relative


def _scrub(faker: Faker, value: Any, rules: dict[str, str], cleared: set[str]) -> Any:
    if isinstance(value, dict):
        return {
            k: ("" if k in cleared else _scrub_keyed(faker, v, rules, cleared, str(k)))
            for k, v in value.items()
        }
    return _scrub_keyed(faker, value, rules, cleared, "")


def _scrub_keyed(
    faker: Faker, value: Any, rules: dict[str, str], cleared: set[str], key: str
) -> Any:
    if isinstance(value, dict):
        return _scrub(faker, value, rules, cleared)
    if isinstance(value, list):
        return [_scrub_keyed(faker, v, rules, cleared, key) for v in value]
    if isinstance(value, str):
        if key not in rules:
            if re.fullmatch(r"\+\d[\d\s()\-]{6,}", value.strip()):
                return faker.phone(value)
            if re.fullmatch(r"\d{9,15}", value.strip()):
                return faker.permute_digits("json-digits", value.strip())
        return scrub_json(faker, value, rules, key)
    return value


def _extension(name: str) -> str:
    suffix = Path(name or "").suffix.lower()
    return suffix if re.fullmatch(r"\.[a-z0-9]{1,8}", suffix) else ""


def _fix_contact(row: dict[str, Any]) -> None:
    parts = (row["last_name"], row["first_name"], row["middle_name"])
    row["full_name"] = " ".join(p for p in parts if p)
    row["name_key"] = normalize.name_key(f"{row['last_name']} {row['first_name']}")
    row["search_text"] = ""  # rebuilt with the contact points afterwards


def _fix_company(row: dict[str, Any]) -> None:
    key = normalize.name_key(row["legal_name"] or row["name"])
    row["name_key"] = normalize.name_key(row["name"]) or key
    row["search_text"] = ""


def _fix_lead(row: dict[str, Any]) -> None:
    row["name_key"] = normalize.name_key(row["company_name"] or row["full_name"])


_DERIVED: dict[str, Callable[[dict[str, Any]], None]] = {
    "parties.Contact": _fix_contact,
    "parties.Company": _fix_company,
    "sales.Lead": _fix_lead,
}


def unlisted_fields() -> list[str]:
    """Text/JSON/file columns that FIELD_RULES does not decide about (must stay empty)."""
    missing = []
    for model in copied_models():
        rules = FIELD_RULES.get(model._meta.label, {})
        for f in text_fields(model):
            if f.name not in rules:
                missing.append(f"{model._meta.label}.{f.name}")
    return missing


# Values the SQLite driver stores as they come out of the ORM: no per-value conversion.
_PLAIN_FIELDS = (
    models.AutoField,
    models.BigAutoField,
    models.IntegerField,
    models.BooleanField,
    models.CharField,
    models.TextField,
    models.ForeignKey,
    models.FileField,
)


def _sqlite_datetime(value: datetime.datetime) -> str:
    """What Django stores for a datetime in SQLite (naive UTC text), without its checks."""
    if value.tzinfo is not None:
        value = value.astimezone(datetime.UTC).replace(tzinfo=None)
    return str(value)


def _db_converter(
    f: models.Field[Any, Any], target: BaseDatabaseWrapper
) -> Callable[[Any], Any] | None:
    if isinstance(f, _PLAIN_FIELDS) and not isinstance(f, models.JSONField):
        return None
    if isinstance(f, models.DateTimeField) and target.vendor == "sqlite":
        return _sqlite_datetime
    return functools.partial(f.get_db_prep_save, connection=target)


def _copy_model(
    anonymizer: Anonymizer,
    model: type[models.Model],
    target: BaseDatabaseWrapper,
    progress: Progress | None,
) -> int:
    rules = FIELD_RULES.get(model._meta.label, {})
    fields = list(model._meta.concrete_fields)
    names = [f.attname for f in fields]
    quote = target.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(str(f.column)) for f in fields)
    # Identifiers come from the model's metadata, values are parameters.
    sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"  # noqa: S608
    converters = [(f.attname, _db_converter(f, target)) for f in fields]
    pk = model._meta.pk
    assert pk is not None
    queryset = model._base_manager.using("default").order_by(pk.attname)
    last: Any = None
    copied = 0
    while True:
        chunk = queryset if last is None else queryset.filter(pk__gt=last)
        rows = list(chunk.values_list(*names)[:CHUNK])
        if not rows:
            break
        last = rows[-1][names.index(pk.attname)]
        params = []
        for values in rows:
            row = dict(zip(names, values, strict=True))
            # Rules are keyed by field name; attnames differ only for foreign keys.
            anonymizer.transform(model, row, rules)
            params.append(
                [
                    row[name] if prepare is None or row[name] is None else prepare(row[name])
                    for name, prepare in converters
                ]
            )
        with transaction.atomic(using=COPY_ALIAS), target.cursor() as cursor:
            cursor.executemany(sql, params)
        copied += len(rows)
    if progress and copied:
        progress(f"{model._meta.label}: {copied:,}")
    return copied


def _rebuild_search(target: BaseDatabaseWrapper) -> None:
    """search_text of companies and contacts from their fake names, ids and contact points,
    as the services compute it (accord.parties.services.refresh_*_search)."""
    with transaction.atomic(using=COPY_ALIAS), target.cursor() as cursor:
        for table, owner, columns in (
            (
                "parties_company",
                "company_id",
                "name, legal_name, inn, ogrn, siren, siret, vat_number",
            ),
            ("parties_contact", "contact_id", "full_name, first_name, last_name, position"),
        ):
            last = 0
            while True:
                # Fixed table and column names from this module.
                cursor.execute(
                    f"SELECT id, {columns} FROM {table} WHERE id > %s ORDER BY id LIMIT %s",  # noqa: S608
                    [last, CHUNK],
                )
                rows = cursor.fetchall()
                if not rows:
                    break
                last = rows[-1][0]
                points: dict[int, list[str]] = {}
                ids = [r[0] for r in rows]
                cursor.execute(
                    f"SELECT {owner}, normalized FROM parties_contactpoint "  # noqa: S608
                    f"WHERE {owner} IN ({', '.join(['%s'] * len(ids))}) ORDER BY kind, id",
                    ids,
                )
                for owner_id, value in cursor.fetchall():
                    points.setdefault(owner_id, []).append(value)
                updates = []
                for row in rows:
                    own = points.get(row[0], [])
                    digits = [p.lstrip("+") for p in own if p.startswith("+")]
                    if table == "parties_company":
                        parts = [*row[1:]]
                    else:
                        full_name, first, last_name, position = row[1:]
                        parts = [full_name, f"{first} {last_name}", position]
                    updates.append((normalize.search_text(*parts, *own, *digits), row[0]))
                cursor.executemany(
                    f"UPDATE {table} SET search_text = %s WHERE id = %s",  # noqa: S608
                    updates,
                )
        for fts in ("parties_company_fts", "parties_contact_fts"):
            cursor.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")  # noqa: S608
            cursor.execute(f"INSERT INTO {fts}({fts}) VALUES ('optimize')")  # noqa: S608


def _build_copy(
    partial: Path, result: AnonymizeResult, *, seed: int | None, progress: Progress | None
) -> None:
    if progress:
        progress("Creating the tables of the copy...")
    _migrate_copy(partial)
    with _copy_connection(partial) as target, _read_only_source():
        anonymizer = Anonymizer(seed=seed, files_dir=result.files_dir)
        with target.constraint_checks_disabled():
            with target.cursor() as cursor:
                for model in apps.get_models(include_auto_created=True):
                    if model._meta.managed and not model._meta.proxy:
                        # Seed rows of the data migrations: the source's rows replace them.
                        cursor.execute(f"DELETE FROM {target.ops.quote_name(model._meta.db_table)}")  # noqa: S608
            for model in copied_models():
                result.counts[model._meta.label] = _copy_model(anonymizer, model, target, progress)
        with target.cursor() as cursor:
            cursor.execute("PRAGMA foreign_key_check")
            broken = cursor.fetchall()
        if broken:
            raise AnonymizeError(f"The copy has broken references, e.g. {broken[:3]}.")
        if progress:
            progress("Rebuilding the search index...")
        _rebuild_search(target)
    # VACUUM rewrites the file: no page of the seed rows or of the index build survives.
    with contextlib.closing(sqlite3.connect(partial)) as db:
        db.execute("PRAGMA journal_mode=DELETE")
        db.execute("VACUUM")


def anonymize_database(
    *,
    output: Path,
    seed: int | None = None,
    force: bool = False,
    progress: Progress | None = None,
) -> AnonymizeResult:
    """Write an anonymised copy of the current database to a new SQLite file at ``output``.

    The source is only read; the copy is built as ``<output>.part`` and renamed at the end,
    so an interrupted run leaves no half copy under the final name.
    """
    started = time.monotonic()
    path = check_output(output, force=force)
    missing = unlisted_fields()
    if missing:
        raise AnonymizeError(
            "No anonymisation rule for: " + ", ".join(missing) + " (see FIELD_RULES)."
        )
    _check_source_migrated()
    partial = path.with_name(path.name + ".part")
    for leftover in (partial, Path(f"{partial}-journal")):
        leftover.unlink(missing_ok=True)
    files_dir = path.with_name(path.name + "-files")
    result = AnonymizeResult(path=path, files_dir=files_dir)
    try:
        _build_copy(partial, result, seed=seed, progress=progress)
    except BaseException:
        # Never leave a half-anonymised file behind, not even under the temporary name.
        for leftover in (partial, Path(f"{partial}-journal")):
            leftover.unlink(missing_ok=True)
        raise
    os.replace(partial, path)
    result.seconds = time.monotonic() - started
    return result
