"""The import handler contract: one :class:`Handler` per record type turns mapped file rows into
records through services.

The engine (``accord.dataio.services``) streams the file in chunks of at most 1,000 rows, builds
a :class:`RowResult` per row with the mapped raw values, and calls the handler:

* :meth:`Handler.fields` lists the target fields (custom fields included) for the mapping step;
* :meth:`Handler.clean` fills ``values``/``errors``/``match_id`` for a whole chunk with bulk
  lookups (the same normalisation as the forms); a row repeating an earlier row of the same file
  matches that row (``match_id`` of the record the earlier row created, or ``match_row``);
* :meth:`Handler.create` writes valid unmatched rows, :meth:`Handler.update` writes matched rows,
  each recording an :class:`~accord.dataio.models.ImportRecord` per record;
* :meth:`Handler.undo` puts records back (created ones removed, updated ones restored).
"""

from __future__ import annotations

import datetime
import decimal
import re
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from accord.dataio.models import ImportBatch, ImportRecord

#: rows per chunk handed to :meth:`Handler.clean`, ``create`` and ``update``
CHUNK_SIZE = 1000


@dataclass(frozen=True)
class TargetField:
    """A field a file column can be mapped to."""

    key: str  # "email", "inn", "custom.region", "company" ...
    label: str  # translated
    required: bool = False
    synonyms: tuple[str, ...] = ()  # header names (ru/fr/en/de) that map to it, any case
    help: str = ""  # e.g. expected formats


@dataclass
class RowResult:
    """One file row on its way through the engine."""

    number: int  # row number in the file as a spreadsheet shows it (header = 1)
    raw: dict[str, str]  # mapped raw values, field key -> text from the file
    values: dict[str, Any] = field(default_factory=dict)  # cleaned values
    errors: dict[str, list[str]] = field(default_factory=dict)  # field key -> messages
    match_id: int | None = None  # the existing record this row matches
    match_reason: str = ""  # translated, e.g. "same e-mail"
    #: the number of an earlier row of the same file this row repeats (its record is matched
    #: once that row is written; the engine resolves it to ``match_id``)
    match_row: int | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    def add_error(self, key: str, message: Any) -> None:
        self.errors.setdefault(key, []).append(str(message))

    def error_text(self) -> str:
        """``field: message; field: message`` for the rejected-rows file and the command line."""
        return "; ".join(f"{key}: {' '.join(messages)}" for key, messages in self.errors.items())


class Handler:
    """One subclass per record type, registered with
    :func:`accord.dataio.handlers.register_handler`."""

    object_type: str = ""  # permission object type: company, contact, activity, lead, deal ...
    label: Any = ""  # translated plural for the wizard

    def fields(self, user: Any) -> list[TargetField]:
        """The target fields for ``user`` (custom fields included)."""
        raise NotImplementedError

    def clean(self, rows: list[RowResult], user: Any) -> None:
        """Clean one chunk (<= ``CHUNK_SIZE`` rows) in place: fill ``values``, ``errors`` and
        ``match_id``/``match_reason`` with bulk lookups; same normalisation as the forms; matches
        only records ``user`` may see. A row repeating an earlier row of the same file sets
        ``match_row`` (or ``match_id`` when that row matched an existing record)."""
        raise NotImplementedError

    def create(self, rows: list[RowResult], *, actor: Any, batch: ImportBatch) -> list[int]:
        """Create records for valid rows through services (permission checked, audited); write
        ``ImportRecord(action=created)`` per record; return the new ids in row order."""
        raise NotImplementedError

    def update(self, rows: list[RowResult], *, actor: Any, batch: ImportBatch) -> None:
        """Update the matched records (``row.match_id``) with the row's values through services;
        write ``ImportRecord(action=updated, before={field: old value})`` per record."""
        raise NotImplementedError

    def undo(self, records: list[ImportRecord], *, actor: Any) -> list[int] | None:
        """Undo records of one batch: delete created ones, restore ``before`` of updated ones
        (through services), audited. May return the ids of records it left alone because
        someone changed them since the import (the engine reports them)."""
        raise NotImplementedError

    def required_keys(self, user: Any) -> set[str]:
        return {f.key for f in self.fields(user) if f.required}

    def mapping_errors(self, keys: set[str], user: Any) -> list[str]:
        """Messages about a mapping that cannot work (by default: required fields missing);
        ``keys`` are the mapped field keys."""
        missing = [f.label for f in self.fields(user) if f.required and f.key not in keys]
        if not missing:
            return []
        return [
            _("Map a column to each required field: %(fields)s.") % {"fields": ", ".join(missing)}
        ]


# --- cleaning helpers shared by the handlers ------------------------------------------------
# Imports see what people type into spreadsheets: local date formats, decimal commas, "да"/"oui"
# for yes, picklist labels in any interface language. Each helper raises ValidationError with a
# message naming the value and what was expected.

_DATE_FORMATS = ("%d.%m.%Y", "%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%Y/%m/%d", "%d.%m.%y")
_DATE_SHAPE = re.compile(r"^\s*(\d{1,4})[./-](\d{1,2})[./-](\d{1,4})\s*$")
_TIME_TAIL = re.compile(r"^(.*?)[ T](\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?\s*$")
_TRUE = {
    "1",
    "true",
    "yes",
    "y",
    "x",
    "+",
    "да",
    "д",
    "истина",
    "oui",
    "o",
    "vrai",
    "ja",
    "j",
    "wahr",
}
_FALSE = {"0", "false", "no", "n", "-", "нет", "н", "ложь", "non", "faux", "nein", "falsch"}


# The two commonest shapes, read without ``strptime`` (several times slower); anything else,
# and any impossible date, goes through the formats below, so the result is the same.
_DMY = re.compile(r"([0-9]{2})\.([0-9]{2})\.([0-9]{4})")
_YMD = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


def parse_date(text: str) -> datetime.date:
    """dd.mm.yyyy, dd/mm/yyyy, yyyy-mm-dd (and dd-mm-yyyy, yyyy/mm/dd, dd.mm.yy)."""
    value = (text or "").strip()
    try:
        if match := _DMY.fullmatch(value):
            return datetime.date(int(match[3]), int(match[2]), int(match[1]))
        if match := _YMD.fullmatch(value):
            return datetime.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        pass
    for fmt in _DATE_FORMATS:
        try:
            return datetime.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    if _DATE_SHAPE.match(value):
        raise ValidationError(
            _("“%(value)s” is not a real date (there is no such day in that month).")
            % {"value": value}
        )
    raise ValidationError(
        _("“%(value)s” is not a date. Use dd.mm.yyyy, dd/mm/yyyy or yyyy-mm-dd.") % {"value": value}
    )


def parse_datetime(text: str) -> datetime.datetime:
    """A date as :func:`parse_date`, optionally followed by hh:mm[:ss], in the current time
    zone (the importing user's)."""
    value = (text or "").strip()
    time = datetime.time(0, 0)
    match = _TIME_TAIL.match(value)
    if match:
        hours, minutes, seconds = int(match[2]), int(match[3]), int(match[4] or 0)
        if hours > 23 or minutes > 59 or seconds > 59:
            raise ValidationError(_("“%(value)s” is not a valid time.") % {"value": value})
        value = match[1]
        time = datetime.time(hours, minutes, seconds)
    day = parse_date(value)
    return timezone.make_aware(datetime.datetime.combine(day, time))


def parse_decimal(text: str) -> decimal.Decimal:
    """1 234,56 / 1.234,56 / 1,234.56 / 1234.56 / 12,5 (spaces and apostrophes group digits)."""
    raw = (text or "").strip()
    value = re.sub(r"[\s\u00a0\u202f'’]", "", raw)
    if "," in value and "." in value:
        if value.rfind(",") > value.rfind("."):
            value = value.replace(".", "").replace(",", ".")
        else:
            value = value.replace(",", "")
    elif value.count(",") == 1:
        value = value.replace(",", ".")
    elif value.count(",") > 1:
        value = value.replace(",", "")
    try:
        result = decimal.Decimal(value)
    except decimal.InvalidOperation:
        result = None
    if result is None or not result.is_finite():
        raise ValidationError(
            _("“%(value)s” is not a number (e.g. 1234,56 or 1 234.56).") % {"value": raw}
        )
    return result


def parse_bool(text: str) -> bool:
    value = (text or "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE or not value:
        return False
    raise ValidationError(
        _("“%(value)s” is not yes or no (use yes/no, да/нет, oui/non, ja/nein, 1/0).")
        % {"value": text}
    )


def split_values(text: str) -> list[str]:
    """Several values in one cell: separated by , ; or line breaks."""
    return [part.strip() for part in re.split(r"[,;\n]+", text or "") if part.strip()]


def fold(text: str) -> str:
    """Case-, ё- and punctuation-insensitive form used to compare labels and header names."""
    value = unicodedata.normalize("NFKC", str(text or "")).lower().replace("ё", "е")
    return " ".join(re.findall(r"\w+", value)).replace("_", " ")


def check_length(row: RowResult, key: str, value: str, limit: int) -> str:
    if len(value) > limit:
        row.add_error(
            key,
            _("Too long: %(length)s characters, at most %(limit)s.")
            % {"length": len(value), "limit": limit},
        )
    return value


class Choices:
    """Resolves a value by code or by label in any interface language."""

    def __init__(self, options: dict[str, Any], labels: dict[str, list[str]]) -> None:
        self.options = options  # code -> value to store
        self.lookup: dict[str, Any] = {}
        self.names: list[str] = []
        for code, value in options.items():
            self.lookup.setdefault(fold(code), value)
            for label in labels.get(code, []):
                if label:
                    self.lookup.setdefault(fold(label), value)
            self.names.append(labels.get(code, [code])[0] or code)

    @classmethod
    def from_picklist(cls, picklist: str) -> Choices:
        from accord.core.models import PicklistOption

        options: dict[str, Any] = {}
        labels: dict[str, list[str]] = {}
        for option in PicklistOption.objects.filter(picklist=picklist, is_active=True):
            options[option.code] = option.pk
            labels[option.code] = [
                option.localized_label(),
                option.label,
                option.label_ru,
                option.label_fr,
                option.label_de,
            ]
        return cls(options, labels)

    @classmethod
    def from_text_choices(cls, choices: Any) -> Choices:
        from django.utils import translation

        options = {str(value): str(value) for value in choices.values if value}
        labels: dict[str, list[str]] = {}
        for value, label in choices.choices:
            if not value:
                continue
            names = [str(label)]
            for language in ("en", "ru", "fr", "de"):
                with translation.override(language):
                    names.append(str(label))
            labels[str(value)] = names
        return cls(options, labels)

    def resolve(self, text: str) -> Any:
        key = fold(text)
        if key in self.lookup:
            return self.lookup[key]
        raise ValidationError(
            _("“%(value)s” is not one of the allowed values: %(allowed)s.")
            % {"value": text.strip(), "allowed": ", ".join(self.names)}
        )


class Users:
    """Resolves an owner given as username, e-mail or full name (active users only)."""

    def __init__(self) -> None:
        from accord.core.models import User

        self.lookup: dict[str, Any] = {}
        ambiguous: set[str] = set()
        for user in User.objects.filter(is_active=True).order_by("pk"):
            for name in (user.username, user.email, user.get_full_name(), str(user)):
                key = fold(name) if name else ""
                if not key:
                    continue
                if key in self.lookup and self.lookup[key].pk != user.pk:
                    ambiguous.add(key)
                self.lookup.setdefault(key, user)
        for key in ambiguous:
            self.lookup[key] = None

    def resolve(self, text: str) -> Any:
        key = fold(text)
        user = self.lookup.get(key, False)
        if user is None:
            raise ValidationError(
                _("“%(value)s” names several users; use the username or e-mail.") % {"value": text}
            )
        if user is False:
            raise ValidationError(
                _("No active user “%(value)s” (use a username, e-mail or full name).")
                % {"value": text}
            )
        return user


def custom_targets(model: str) -> list[TargetField]:
    """Target fields ``custom.<name>`` for the active custom fields of ``model``."""
    from accord.core import customfields

    return [
        TargetField(
            key=f"custom.{d.name}",
            label=d.label,
            required=d.is_required,
            synonyms=(d.name, d.label),
            help=d.help_text,
        )
        for d in customfields.definitions(model)
    ]


def clean_custom(
    model: str, row: RowResult, users: Users | None = None, definitions: list[Any] | None = None
) -> dict[str, Any]:
    """The row's ``custom.<name>`` values, parsed the import way and checked against the
    definitions (pass ``definitions``, fetched once per chunk); errors land on the row under
    ``custom.<name>``."""
    from accord.core import customfields
    from accord.core.models import CustomFieldDefinition

    kinds = CustomFieldDefinition.FieldType
    values: dict[str, Any] = {}
    if definitions is None:
        definitions = _definitions(model)
    for definition in definitions:
        key = f"custom.{definition.name}"
        if key not in row.raw:
            continue
        text = row.raw[key].strip()
        if not text:
            if definition.is_required:
                row.add_error(key, _("This field is required."))
            continue
        try:
            kind = definition.field_type
            value: Any
            if kind == kinds.NUMBER:
                value = parse_decimal(text)
            elif kind == kinds.DATE:
                value = parse_date(text)
            elif kind == kinds.BOOLEAN:
                value = parse_bool(text)
            elif kind == kinds.CHOICE:
                value = Choices({c: c for c in definition.choices}, {}).resolve(text)
            elif kind == kinds.MULTI_CHOICE:
                allowed = Choices({c: c for c in definition.choices}, {})
                value = [allowed.resolve(part) for part in split_values(text)]
            elif kind == kinds.USER:
                value = (users or Users()).resolve(text).pk
            else:
                value = check_length(row, key, text, 500)
        except ValidationError as error:
            for message in error.messages:
                row.add_error(key, message)
            continue
        converted = customfields.to_json(definition, value)
        if converted is not None:
            values[definition.name] = converted
    return values


def _definitions(model: str) -> list[Any]:
    from accord.core import customfields

    return customfields.definitions(model)


def mark_repeats(rows: list[RowResult], keys: Any) -> None:
    """Within one chunk: a row sharing a key (``keys(row)`` -> iterable of hashables) with an
    earlier row repeats it (``match_row``), unless it already matched an existing record."""
    seen: dict[Any, RowResult] = {}
    for row in rows:
        if not row.ok:
            continue
        row_keys = [k for k in keys(row) if k]
        earlier = next((seen[k] for k in row_keys if k in seen), None)
        if earlier is not None and row.match_id is None:
            if earlier.match_id is not None:
                row.match_id = earlier.match_id
                row.match_reason = earlier.match_reason
            else:
                row.match_row = earlier.number
                row.match_reason = _("same as row %(number)s") % {"number": earlier.number}
        for key in row_keys:
            seen.setdefault(key, row)
