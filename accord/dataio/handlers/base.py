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

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

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

    def undo(self, records: list[ImportRecord], *, actor: Any) -> None:
        """Undo records of one batch: delete created ones, restore ``before`` of updated ones
        (through services), audited."""
        raise NotImplementedError

    def required_keys(self, user: Any) -> set[str]:
        return {f.key for f in self.fields(user) if f.required}
