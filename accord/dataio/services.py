"""The import engine: prepare a file, map its columns, preview, run as a job, undo (D2).

Flow (the wizard and ``accord import`` both go through here):

1. :func:`import_prepare` stores the uploaded file and detects its format (``ImportBatch``,
   status draft); it refuses an empty or unreadable file with ``ValidationError({"file": ...})``.
2. :func:`import_configure` validates and stores the column mapping, the mode (create / update /
   skip matched records) and all-or-nothing.
3. :func:`import_preview` cleans the first rows for display and counts the whole file.
4. :func:`import_start` queues the import job; the runner writes chunk by chunk.
5. :func:`import_undo` undoes the whole batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from accord.dataio.handlers.base import RowResult
from accord.dataio.models import ImportBatch, Job


@dataclass
class Preview:
    """What the wizard's preview step shows."""

    headers: list[str]  # the file's headers
    columns: dict[str, str]  # header -> field key (the batch's mapping)
    rows: list[RowResult]  # the first ``limit`` rows, cleaned
    total: int = 0  # rows in the whole file
    valid: int = 0  # rows without errors
    with_errors: int = 0  # rows with at least one error
    matched: int = 0  # rows that match an existing record (or an earlier row)
    warnings: list[str] = field(default_factory=list)  # e.g. "already imported on ... by ..."


def import_prepare(
    *,
    actor: Any,
    object_type: str,
    uploaded_file: Any,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
) -> ImportBatch:
    """Store ``uploaded_file`` as a draft batch and detect its format.

    Needs the "import" permission and "add" or "change" on ``object_type``. Stores the sha256,
    encoding, delimiter and sheet; ``encoding``/``delimiter``/``sheet`` override detection.
    Raises ``ValidationError({"file": [...]})`` for an empty, binary or unreadable file.
    """
    raise NotImplementedError


def import_configure(
    *,
    actor: Any,
    batch: ImportBatch,
    columns: dict[str, str],
    mode: str,
    all_or_nothing: bool,
) -> ImportBatch:
    """Store the mapping ``{header: field key}`` (``""`` = ignore the column), the mode and
    all-or-nothing. ValidationError for unknown headers or fields, a field mapped twice, a
    required field not mapped, or a mode the user lacks permission for (update = "change")."""
    raise NotImplementedError


def import_preview(*, actor: Any, batch: ImportBatch, limit: int = 100) -> Preview:
    """Clean the first ``limit`` rows and count the whole file (streamed in chunks; writes
    nothing)."""
    raise NotImplementedError


def import_start(*, actor: Any, batch: ImportBatch) -> Job:
    """Queue the import job for a configured batch (status running); returns the job."""
    raise NotImplementedError


def import_undo(*, actor: Any, batch: ImportBatch) -> ImportBatch:
    """Undo a finished batch as a whole: remove the records it created and restore the fields
    it changed. Only by the importer or an administrator."""
    raise NotImplementedError


def import_recover() -> int:
    """Mark imports whose process died (batch and job left running) as failed and undo what they
    wrote; returns how many batches were recovered. Runs before each new import starts."""
    raise NotImplementedError
