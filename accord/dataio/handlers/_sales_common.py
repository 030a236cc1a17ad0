"""What the lead, deal, product and order import handlers share: reading typed values the way
people write them in spreadsheets (decimal commas, local dates, yes/no in four languages), and
resolving names to records with one query per chunk rather than one per row."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import ProtectedError, Q
from django.utils import translation
from django.utils.translation import gettext as _

from accord.core.models import PicklistOption, User
from accord.core.permissions import Action, allows
from accord.dataio.handlers.base import (
    RowResult,
    TargetField,
    check_length,
    fold,
    parse_bool,
    parse_date,
    parse_decimal,
)
from accord.dataio.models import ImportBatch, ImportRecord
from accord.parties import normalize
from accord.parties.models import Company
from accord.parties.selectors import companies_visible_to
from accord.sales.models import Pipeline, Stage
from accord.sales.selectors_deals import default_pipeline


def target(
    key: str, label: str, synonyms: str, *, required: bool = False, help: str = ""
) -> TargetField:
    """A target field with its header synonyms written as "name|имя|nom|Name"."""
    return TargetField(
        key, label, required=required, synonyms=tuple(synonyms.split("|")), help=help
    )


def text(row: RowResult, key: str) -> str:
    """The row's raw text for ``key`` with runs of white space collapsed ("" when unmapped)."""
    return " ".join(str(row.raw.get(key) or "").split())


def check_lengths(row: RowResult, values: dict[str, Any], model: Any) -> None:
    """Text longer than the model's column is an error on its field (seen in the preview,
    not only when the row is written)."""
    for key, value in values.items():
        if not isinstance(value, str):
            continue
        try:
            limit = model._meta.get_field(key).max_length
        except FieldDoesNotExist:
            continue
        if limit and len(value) > limit:
            check_length(row, key, value, limit)


def clean_decimal(
    row: RowResult, key: str, *, places: int = 2, minimum: Decimal | None = None
) -> Decimal | None:
    """The row's number for ``key`` (None when blank); an error on ``key`` when not a number,
    below ``minimum`` or with more decimals than ``places``."""
    raw = text(row, key)
    if not raw:
        return None
    try:
        number = parse_decimal(raw)
    except ValidationError as exc:
        for message in exc.messages:
            row.add_error(key, message)
        return None
    if minimum is not None and number < minimum:
        row.add_error(key, _("The value cannot be negative."))
        return None
    step = Decimal(1).scaleb(-places)
    if number != number.quantize(step):
        row.add_error(key, _("Use at most %(places)s decimal places.") % {"places": places})
        return None
    if abs(number) >= Decimal("1e12"):
        row.add_error(key, _("This number is too large."))
        return None
    return number.quantize(step)


def clean_date(row: RowResult, key: str) -> datetime.date | None:
    raw = text(row, key)
    if not raw:
        return None
    try:
        return parse_date(raw)
    except ValidationError as exc:
        for message in exc.messages:
            row.add_error(key, message)
        return None


def clean_bool(row: RowResult, key: str) -> bool | None:
    raw = text(row, key)
    if not raw:
        return None
    try:
        return parse_bool(raw)
    except ValidationError as exc:
        for message in exc.messages:
            row.add_error(key, message)
        return None


def clean_currency(row: RowResult, key: str) -> str | None:
    raw = text(row, key).upper()
    if not raw:
        return None
    aliases = {"₽": "RUB", "РУБ": "RUB", "RUR": "RUB", "€": "EUR", "$": "USD", "£": "GBP"}
    code = aliases.get(raw.rstrip("."), raw)
    if code not in settings.ACCORD_CURRENCIES:
        row.add_error(
            key,
            _("Unknown currency “%(value)s”; use one of %(codes)s.")
            % {"value": text(row, key), "codes": ", ".join(settings.ACCORD_CURRENCIES)},
        )
        return None
    return code


# --- lookups, one query per chunk ------------------------------------------------------------


class PicklistLookup:
    """Options of one picklist by code or by label in any language (one query)."""

    def __init__(self, picklist: str) -> None:
        self.by_key: dict[str, PicklistOption] = {}
        for option in PicklistOption.objects.filter(picklist=picklist, is_active=True):
            for name in (option.code, option.label, option.label_ru, option.label_fr):
                if name:
                    self.by_key.setdefault(fold(name), option)
            if option.label_de:
                self.by_key.setdefault(fold(option.label_de), option)

    def clean(self, row: RowResult, key: str) -> PicklistOption | None:
        raw = text(row, key)
        if not raw:
            return None
        option = self.by_key.get(fold(raw))
        if option is None:
            row.add_error(
                key,
                _("“%(value)s” is not one of the listed options.") % {"value": raw},
            )
        return option


class UserLookup:
    """Active users by username, e-mail or full name ("Иван Петров" or "Петров Иван")."""

    def __init__(self, rows: Iterable[RowResult], key: str) -> None:
        wanted = {text(row, key) for row in rows} - {""}
        self.by_key: dict[str, list[User]] = {}
        if not wanted:
            return
        folded = {fold(w) for w in wanted}
        words = {w for value in wanted for w in value.split()}
        query = Q(username__in=wanted) | Q(email__in=[w.lower() for w in wanted])
        if words:
            query |= Q(last_name__in=words)
        for user in User.objects.filter(query, is_active=True):
            names = {
                fold(user.username),
                fold(user.email or ""),
                fold(f"{user.first_name} {user.last_name}"),
                fold(f"{user.last_name} {user.first_name}"),
            }
            for name in names & folded:
                self.by_key.setdefault(name, []).append(user)

    def clean(self, row: RowResult, key: str) -> User | None:
        raw = text(row, key)
        if not raw:
            return None
        found = self.by_key.get(fold(raw), [])
        if len(found) == 1:
            return found[0]
        if not found:
            row.add_error(key, _("User “%(value)s” not found.") % {"value": raw})
        else:
            row.add_error(
                key,
                _("Several users are called “%(value)s”; use the user name or e-mail.")
                % {"value": raw},
            )
        return None


def owner_for(row: RowResult, users: UserLookup, actor: Any, model: Any) -> User | None:
    """The row's owner; giving a record to someone else needs the reassign right."""
    owner = users.clean(row, "owner")
    if owner is not None and owner.pk != actor.pk and not allows(actor, Action.REASSIGN, model):
        row.add_error("owner", _("You may not make another user the owner."))
        return None
    return owner


class CompanyLookup:
    """Companies the user may see, by id, INN or name (spelling-insensitive), one query."""

    def __init__(self, rows: Iterable[RowResult], key: str, user: Any) -> None:
        values = {text(row, key) for row in rows} - {""}
        self.by_id: dict[int, Company] = {}
        self.by_inn: dict[str, list[Company]] = {}
        self.by_name: dict[str, list[Company]] = {}
        if not values:
            return
        ids = {int(v) for v in values if v.isdigit() and len(v) < 10}
        inns = {re.sub(r"\D", "", v) for v in values if re.fullmatch(r"[\d\s]{10,12}", v)}
        keys = {normalize.name_key(v) for v in values} - {""}
        query = Q(name_key__in=keys)
        if ids:
            query |= Q(pk__in=ids)
        if inns:
            query |= Q(inn__in=inns)
        for company in companies_visible_to(user).filter(query).select_related("team"):
            self.by_id[company.pk] = company
            if company.inn:
                self.by_inn.setdefault(company.inn, []).append(company)
            self.by_name.setdefault(company.name_key, []).append(company)

    def clean(self, row: RowResult, key: str, *, required: bool = True) -> Company | None:
        raw = text(row, key)
        if not raw:
            if required:
                row.add_error(key, _("Enter the client company."))
            return None
        digits = re.sub(r"\D", "", raw)
        if re.fullmatch(r"[\d\s]{10,12}", raw) and digits in self.by_inn:
            found = self.by_inn[digits]
        elif raw.isdigit() and int(raw) in self.by_id:
            found = [self.by_id[int(raw)]]
        else:
            found = self.by_name.get(normalize.name_key(raw), [])
        if len(found) == 1:
            return found[0]
        if not found:
            row.add_error(key, _("Company “%(value)s” not found.") % {"value": raw})
        else:
            row.add_error(
                key,
                _("Several companies are called “%(value)s”; use the INN instead.")
                % {"value": raw},
            )
        return None


def choice_lookup(choices: Any, allowed: tuple[str, ...]) -> dict[str, str]:
    """Choice values by value or label in every interface language."""
    found: dict[str, str] = {}
    for value in allowed:
        found[fold(str(value))] = str(value)
        for language in ("en", "ru", "fr", "de"):
            with translation.override(language):
                found.setdefault(fold(str(choices(value).label)), str(value))
    return found


class StageLookup:
    """Active pipelines and their stages by name in any interface language (two queries)."""

    def __init__(self) -> None:
        self.pipelines: dict[str, Pipeline] = {}
        self.stages: dict[tuple[int, str], Stage] = {}
        for pipeline in Pipeline.objects.filter(is_active=True).order_by("position", "id"):
            for name in (pipeline.name, pipeline.name_ru, pipeline.name_fr, pipeline.name_de):
                if name:
                    self.pipelines.setdefault(fold(name), pipeline)
        for stage in Stage.objects.filter(is_active=True, pipeline__is_active=True):
            for name in (stage.name, stage.name_ru, stage.name_fr, stage.name_de):
                if name:
                    self.stages.setdefault((stage.pipeline_id, fold(name)), stage)
        self.default = default_pipeline()


# --- writing ---------------------------------------------------------------------------------


def add_service_errors(row: RowResult, exc: ValidationError, aliases: dict[str, str]) -> None:
    """A service's refusal, on the row's columns (``aliases`` maps service field names; errors
    about the row as a whole go under ``""``, as the engine reports them)."""
    if hasattr(exc, "error_dict"):
        for name, messages in exc.message_dict.items():
            key = aliases.get(name, name)
            if key.startswith("lines-"):
                key = aliases.get(key.split("-", 2)[-1], key.split("-", 2)[-1])
            for message in messages:
                row.add_error("" if key == "__all__" else key, message)
    else:
        for message in exc.messages:
            row.add_error("", message)


def write_rows(
    rows: list[RowResult],
    write: Callable[[RowResult], int | None],
    aliases: dict[str, str],
) -> list[int]:
    """Write each row in its own savepoint: a row the services refuse (bad value, or no
    permission on this one record) gets the reason and writes nothing."""
    ids: list[int] = []
    for row in rows:
        try:
            with transaction.atomic():
                pk = write(row)
        except ValidationError as exc:
            add_service_errors(row, exc, aliases)
            continue
        except PermissionDenied as exc:
            row.add_error("", str(exc) or _("You do not have permission to do this."))
            continue
        if pk is not None:
            ids.append(pk)
    return ids


def record(
    batch: ImportBatch,
    object_type: str,
    obj: Any,
    row: RowResult,
    *,
    before: dict[str, Any] | None = None,
    previous_version: int | None = None,
) -> ImportRecord:
    """The ImportRecord of a row's record; ``version`` is the record's version once the import
    wrote it, so undo leaves alone a record someone changed since. An update also keeps the
    version it started from, so that undoing it hands the record back to the import before."""
    action = ImportRecord.Action.UPDATED if before is not None else ImportRecord.Action.CREATED
    version = type(obj).objects.filter(pk=obj.pk).values_list("version", flat=True).first()
    kept = {**(before or {}), "version": version}
    if previous_version is not None:
        kept["previous_version"] = previous_version
    return ImportRecord.objects.create(
        batch=batch,
        object_type=object_type,
        object_id=obj.pk,
        action=action,
        row_number=row.number,
        before=kept,
    )


def undo_records(
    model: Any,
    records: list[ImportRecord],
    *,
    delete: Callable[[Any], Any],
    restore: Callable[[Any, dict[str, Any]], Any],
) -> list[int]:
    """Undo one type's records through its services, each in its own savepoint: created ones
    are deleted, updated ones get ``before`` back. A record changed by anyone since the import,
    or one the services refuse to remove, is left as it is; its id is returned so the import's
    page can say so."""
    skipped: list[int] = []
    objects = model.objects.in_bulk([r.object_id for r in records])
    touched: set[int] = set()
    for item in records:
        if item.object_id in touched:  # restored by a later record of this batch just now
            objects[item.object_id] = model.objects.filter(pk=item.object_id).first()
            item.refresh_from_db(fields=["before"])
        obj = objects.get(item.object_id)
        if obj is None:
            continue
        before = dict(item.before)
        version = before.pop("version", None)
        previous = before.pop("previous_version", None)
        if version is not None and obj.version != version:
            skipped.append(obj.pk)
            continue
        try:
            with transaction.atomic():
                if item.action == ImportRecord.Action.CREATED:
                    delete(obj)
                else:
                    restore(obj, before)
                    _hand_back(model, item, previous)
                    touched.add(obj.pk)
        except (ValidationError, PermissionDenied, ProtectedError):
            skipped.append(obj.pk)
    return skipped


def _hand_back(model: Any, item: ImportRecord, previous: int | None) -> None:
    """The record is back as an earlier import left it: that import's record of it follows
    the version the restore gave it, so undoing that import too still works."""
    if previous is None:
        return
    version = model.objects.filter(pk=item.object_id).values_list("version", flat=True).first()
    earlier = ImportRecord.objects.filter(
        object_type=item.object_type, object_id=item.object_id, pk__lt=item.pk
    )
    for other in earlier:
        if other.before.get("version") == previous:
            other.before = {**other.before, "version": version}
            other.save(update_fields=["before"])


def jsonable(value: Any) -> Any:
    """A field value as ImportRecord.before keeps it (ids for records, text for money/dates)."""
    if hasattr(value, "pk"):
        return value.pk
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def current_value(obj: Any, key: str) -> Any:
    """A field's stored value as ``jsonable`` writes it, without loading related records."""
    field = obj._meta.get_field(key)
    if field.is_relation:
        return getattr(obj, field.attname)
    return jsonable(getattr(obj, key))
