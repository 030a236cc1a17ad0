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

import csv
import datetime
import hashlib
import io
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import File
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accord.core import audit
from accord.core.models import AuditEntry
from accord.core.permissions import Action, Scope, user_scope
from accord.dataio import reader
from accord.dataio.handlers import get_handler
from accord.dataio.handlers.base import CHUNK_SIZE, Handler, RowResult
from accord.dataio.jobs import (
    JobCancelled,
    job_attach_file,
    job_progress,
    job_start,
    register_runner,
)
from accord.dataio.models import ImportBatch, ImportRecord, Job
from accord.dataio.reader import Detected


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


# --- helpers ---------------------------------------------------------------------------------

STALE_SECONDS = 600  # a running import that has not finished a chunk for this long is dead


class _Rollback(Exception):
    """Internal: leave an atomic block without committing."""


def _require_import(actor: Any, object_type: str) -> None:
    if user_scope(actor, object_type, Action.IMPORT) == Scope.NONE or (
        user_scope(actor, object_type, Action.ADD) == Scope.NONE
        and user_scope(actor, object_type, Action.CHANGE) == Scope.NONE
    ):
        raise PermissionDenied(_("You do not have permission to import these records."))


def _require_owner(actor: Any, batch: ImportBatch) -> None:
    if batch.created_by_id != actor.pk and not getattr(actor, "is_administrator", False):
        raise PermissionDenied(
            _("Only the person who started this import or an administrator may do this.")
        )


def detection(batch: ImportBatch) -> Detected:
    """The stored file's format as recorded on the batch (headers and sample re-read)."""
    with batch.source_file.open("rb") as stream:
        return reader.detect(
            stream,
            encoding=batch.encoding or None,
            delimiter=batch.delimiter or None,
            sheet=batch.sheet or None,
        )


def previous_imports(batch: ImportBatch) -> list[ImportBatch]:
    """Earlier imports of the very same file (same content) into the same record type."""
    return list(
        ImportBatch.objects.filter(
            file_sha256=batch.file_sha256,
            object_type=batch.object_type,
            status__in=[ImportBatch.Status.DONE, ImportBatch.Status.RUNNING],
        )
        .exclude(pk=batch.pk)
        .select_related("created_by")
        .order_by("-created_at")[:5]
    )


def import_warnings(batch: ImportBatch) -> list[str]:
    warnings = []
    for earlier in previous_imports(batch):
        warnings.append(
            _(
                "This file was already imported on %(date)s by %(user)s (import #%(number)s). "
                "Rows matching existing records will not be created again."
            )
            % {
                "date": formats.date_format(
                    timezone.localtime(earlier.created_at), "SHORT_DATETIME_FORMAT"
                ),
                "user": str(earlier.created_by),
                "number": earlier.pk,
            }
        )
    return warnings


@dataclass
class _Chunk:
    rows: list[RowResult]
    cells: list[list[str]]


def _chunks(batch: ImportBatch, detected: Detected, size: int = CHUNK_SIZE) -> Iterator[_Chunk]:
    """The file's rows mapped to field keys, ``size`` at a time; unreadable and ragged rows
    already carry their error (key ``""``: the row as a whole)."""
    headers = detected.headers
    positions = [
        (key, headers.index(header))
        for header, key in batch.columns.items()
        if key and header in headers
    ]
    width = len(headers)
    rows: list[RowResult] = []
    cells_list: list[list[str]] = []
    with batch.source_file.open("rb") as stream:
        for number, cells in reader.iter_rows(stream, detected):
            if isinstance(cells, reader.BadRow):
                row = RowResult(number=number, raw={})
                row.add_error("", cells.error)
            else:
                row = RowResult(
                    number=number,
                    raw={key: cells[i] if i < len(cells) else "" for key, i in positions},
                )
                extra = cells[width:]
                if detected.kind == "csv" and (len(cells) < width or any(c.strip() for c in extra)):
                    row.add_error(
                        "",
                        _("The row has %(cells)s values but the header has %(columns)s columns.")
                        % {"cells": len(cells), "columns": width},
                    )
            rows.append(row)
            cells_list.append(list(cells))
            if len(rows) >= size:
                yield _Chunk(rows, cells_list)
                rows, cells_list = [], []
    if rows:
        yield _Chunk(rows, cells_list)


def _clean_chunk(handler: Handler, batch: ImportBatch, chunk: _Chunk, actor: Any) -> None:
    """Clean the readable rows and add the errors the mode implies."""
    readable = [r for r in chunk.rows if r.ok]
    if readable:
        handler.clean(readable, actor)
    may_add = user_scope(actor, batch.object_type, Action.ADD) != Scope.NONE
    for row in readable:
        if not row.ok:
            continue
        matched = row.match_id is not None or row.match_row is not None
        if batch.mode == ImportBatch.Mode.CREATE:
            matched = False  # "create" creates every row, matching or not
        if not matched and not may_add:
            row.add_error(
                "", _("You may not add new records of this type; only matched ones can be updated.")
            )


def _row_error_text(row: RowResult, labels: dict[str, str] | None = None) -> str:
    """``field: message; ...`` with the fields' labels (the whole row's errors unlabelled)."""
    parts = []
    for key, messages in row.errors.items():
        text = " ".join(messages)
        name = (labels or {}).get(key, key)
        parts.append(f"{name}: {text}" if key else text)
    return "; ".join(parts)


# --- services ------------------------------------------------------------------------------


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
    Raises ``ValidationError({"file": [...]})`` for an empty, binary or unreadable file. The
    returned batch carries ``warnings`` (e.g. the same file imported before) and ``detected``.
    """
    handler = get_handler(object_type)
    _require_import(actor, object_type)
    if uploaded_file is None:
        raise ValidationError({"file": [_("Choose a file to import.")]})
    detected = reader.detect(uploaded_file, encoding=encoding, delimiter=delimiter, sheet=sheet)
    digest = hashlib.sha256()
    uploaded_file.seek(0)
    for block in iter(lambda: uploaded_file.read(1024 * 1024), b""):
        digest.update(block)
    uploaded_file.seek(0)
    name = os.path.basename(getattr(uploaded_file, "name", "") or "import.csv")[:255]
    with transaction.atomic():
        batch = ImportBatch(
            object_type=handler.object_type,
            created_by=actor,
            file_name=name,
            file_sha256=digest.hexdigest(),
            encoding=detected.encoding,
            delimiter=detected.delimiter,
            sheet=detected.sheet,
            mode=ImportBatch.Mode.SKIP,
        )
        batch.source_file.save(name, File(uploaded_file, name=name), save=False)
        batch.save()
    batch.detected = detected  # type: ignore[attr-defined]
    batch.warnings = import_warnings(batch)  # type: ignore[attr-defined]
    return batch


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
    _require_owner(actor, batch)
    _require_import(actor, batch.object_type)
    if batch.status != ImportBatch.Status.DRAFT:
        raise ValidationError({"columns": [_("This import has already been started.")]})
    handler = get_handler(batch.object_type)
    detected = detection(batch)
    known = {f.key: f for f in handler.fields(actor)}
    errors: dict[str, list[str]] = {}
    used: dict[str, str] = {}
    cleaned: dict[str, str] = {}
    for header, key in (columns or {}).items():
        if header not in detected.headers:
            errors.setdefault("columns", []).append(
                _("The file has no column “%(header)s”.") % {"header": header}
            )
            continue
        if not key:
            continue
        if key not in known:
            errors.setdefault("columns", []).append(
                _("Column “%(header)s”: unknown field “%(field)s”.")
                % {"header": header, "field": key}
            )
            continue
        if key in used:
            errors.setdefault("columns", []).append(
                _("“%(field)s” is mapped to two columns: “%(first)s” and “%(second)s”.")
                % {"field": known[key].label, "first": used[key], "second": header}
            )
            continue
        used[key] = header
        cleaned[header] = key
    errors.setdefault("columns", []).extend(handler.mapping_errors(set(used), actor))
    if mode not in ImportBatch.Mode.values:
        errors["mode"] = [_("Choose what to do with matched records.")]
    elif (
        mode == ImportBatch.Mode.UPDATE
        and user_scope(actor, batch.object_type, Action.CHANGE) == Scope.NONE
    ):
        errors["mode"] = [
            _(
                "You may not change existing records of this type, so matched records cannot be updated."
            )
        ]
    elif (
        mode == ImportBatch.Mode.CREATE
        and user_scope(actor, batch.object_type, Action.ADD) == Scope.NONE
    ):
        errors["mode"] = [_("You may not add records of this type.")]
    errors = {k: v for k, v in errors.items() if v}
    if errors:
        raise ValidationError(errors)
    ImportBatch.objects.filter(pk=batch.pk).update(
        columns=cleaned, mode=mode, all_or_nothing=bool(all_or_nothing)
    )
    batch.columns, batch.mode, batch.all_or_nothing = cleaned, mode, bool(all_or_nothing)
    return batch


def import_preview(*, actor: Any, batch: ImportBatch, limit: int = 100) -> Preview:
    """Clean the first ``limit`` rows and count the whole file (streamed in chunks; writes
    nothing). Repeats of an earlier row are found within a chunk of 1,000 rows here; the import
    itself finds them across the whole file (earlier chunks are written by then)."""
    _require_owner(actor, batch)
    handler = get_handler(batch.object_type)
    detected = detection(batch)
    preview = Preview(headers=detected.headers, columns=dict(batch.columns), rows=[])
    preview.warnings = import_warnings(batch)
    for chunk in _chunks(batch, detected):
        _clean_chunk(handler, batch, chunk, actor)
        for row in chunk.rows:
            preview.total += 1
            if row.ok:
                preview.valid += 1
            else:
                preview.with_errors += 1
            if row.match_id is not None or row.match_row is not None:
                preview.matched += 1
            if len(preview.rows) < limit:
                preview.rows.append(row)
    return preview


def import_start(*, actor: Any, batch: ImportBatch) -> Job:
    """Queue the import job for a configured batch (status running); returns the job.
    Imports whose process died are recovered first."""
    _require_owner(actor, batch)
    _require_import(actor, batch.object_type)
    if batch.status != ImportBatch.Status.DRAFT:
        raise ValidationError({"columns": [_("This import has already been started.")]})
    if not batch.columns:
        raise ValidationError({"columns": [_("Map at least one column to a field.")]})
    import_recover()
    with transaction.atomic():
        job = job_start(
            kind=Job.Kind.IMPORT,
            actor=actor,
            params={"batch": batch.pk},
            title=_("Import #%(number)s: %(file)s") % {"number": batch.pk, "file": batch.file_name},
        )
        now = timezone.now()
        ImportBatch.objects.filter(pk=batch.pk).update(
            status=ImportBatch.Status.RUNNING, job=job, heartbeat_at=now
        )
        batch.status, batch.job, batch.heartbeat_at = ImportBatch.Status.RUNNING, job, now
    return job


def import_undo(*, actor: Any, batch: ImportBatch) -> ImportBatch:
    """Undo a finished batch as a whole: remove the records it created and restore the fields
    it changed. Only by the importer or an administrator. A record someone changed after the
    import is left as it is (listed in ``batch.undo_skipped``); all the others are undone."""
    _require_owner(actor, batch)
    if batch.status != ImportBatch.Status.DONE:
        raise ValidationError({"batch": [_("Only a finished import can be undone.")]})
    with transaction.atomic():
        locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.status != ImportBatch.Status.DONE:
            raise ValidationError({"batch": [_("Only a finished import can be undone.")]})
        since = _last_audit_id()
        skipped = _undo_records(batch, actor)
        undone_message = _("import #%(number)s undone: %(file)s") % {
            "number": batch.pk,
            "file": batch.file_name,
        }
        AuditEntry.objects.filter(pk__gt=since).filter(message__in=["", _("import undone")]).update(
            message=undone_message[:300]
        )
        now = timezone.now()
        ImportBatch.objects.filter(pk=batch.pk).update(
            status=ImportBatch.Status.UNDONE, undone_at=now, undone_by=actor
        )
        audit.record(
            actor=actor,
            action=AuditEntry.Kind.CHANGE,
            obj=batch,
            changes={"status": [ImportBatch.Status.DONE, ImportBatch.Status.UNDONE]},
            message=_("import #%(number)s undone: %(file)s")
            % {"number": batch.pk, "file": batch.file_name},
        )
    batch.status, batch.undone_at, batch.undone_by = ImportBatch.Status.UNDONE, now, actor
    batch.undo_skipped = skipped  # type: ignore[attr-defined]
    return batch


def _undo_records(batch: ImportBatch, actor: Any) -> list[int]:
    """Undo what a batch wrote, newest first, a thousand records at a time."""
    handler = get_handler(batch.object_type)
    skipped: list[int] = []
    records = ImportRecord.objects.filter(batch=batch).order_by("-pk")
    last: int | None = None
    while True:
        page = records.filter(pk__lt=last) if last is not None else records
        chunk = list(page[:CHUNK_SIZE])
        if not chunk:
            break
        last = chunk[-1].pk
        by_type: dict[str, list[ImportRecord]] = {}
        for record in chunk:
            by_type.setdefault(record.object_type, []).append(record)
        for object_type, items in by_type.items():
            skipped.extend(get_handler(object_type).undo(items, actor=actor) or [])
    del handler
    return skipped


def import_recover(*, stale_after: float = STALE_SECONDS) -> int:
    """Mark imports whose process died (batch left running, no chunk finished for
    ``stale_after`` seconds) as failed and undo what they wrote; returns how many batches were
    recovered. Runs before each new import starts; ``accord import`` runs it too."""
    limit = timezone.now() - datetime.timedelta(seconds=stale_after)
    recovered = 0
    for batch in ImportBatch.objects.filter(
        status=ImportBatch.Status.RUNNING, heartbeat_at__lte=limit
    ).select_related("created_by", "job"):
        with transaction.atomic(), audit.audit_context(source=AuditEntry.Source.JOB):
            _undo_records(batch, batch.created_by)
            ImportRecord.objects.filter(batch=batch).delete()
            ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.FAILED)
            if batch.job_id:
                Job.objects.filter(
                    pk=batch.job_id, status__in=[Job.Status.RUNNING, Job.Status.QUEUED]
                ).update(
                    status=Job.Status.FAILED,
                    finished_at=timezone.now(),
                    message=_("The import stopped unexpectedly; what it had written was undone."),
                )
        recovered += 1
    return recovered


# --- the runner ------------------------------------------------------------------------------


class _Rejected:
    """The rejected-rows CSV: the file's columns plus a last "Error" column (UTF-8 with a BOM,
    which Excel opens correctly)."""

    def __init__(
        self, headers: list[str], delimiter: str, labels: dict[str, str] | None = None
    ) -> None:
        self.labels = labels or {}
        self.binary = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
        self.text = io.TextIOWrapper(self.binary, encoding="utf-8-sig", newline="")
        self.writer = csv.writer(self.text, delimiter=delimiter or ",")
        self.writer.writerow([*headers, _("Error")])
        self.count = 0

    def add(self, row: RowResult, cells: list[str]) -> None:
        self.writer.writerow([*cells, _row_error_text(row, self.labels)])
        self.count += 1

    def save(self, batch: ImportBatch, job: Job | None) -> None:
        if not self.count:
            return
        self.text.flush()
        name = f"rejected-{batch.pk}.csv"
        self.binary.seek(0)
        batch.rejected_file.save(name, File(self.binary, name=name), save=False)
        ImportBatch.objects.filter(pk=batch.pk).update(rejected_file=batch.rejected_file.name)
        if job is not None:
            self.binary.seek(0)
            job_attach_file(job, name, File(self.binary, name=name))

    def close(self) -> None:
        self.text.close()


@dataclass
class RunResult:
    total: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    rejected: int = 0


def _count_rows(batch: ImportBatch, detected: Detected) -> int:
    with batch.source_file.open("rb") as stream:
        return sum(1 for _row in reader.iter_rows(stream, detected))


def _write_chunk(
    handler: Handler, batch: ImportBatch, chunk: _Chunk, actor: Any, result: RunResult
) -> None:
    """Create / update / skip the clean rows of one chunk (inside the caller's transaction)."""
    ok = [r for r in chunk.rows if r.ok]
    if batch.mode == ImportBatch.Mode.CREATE:
        for row in ok:  # "create" creates every row, even one matching an existing record
            row.match_id, row.match_row = None, None
    new = [r for r in ok if r.match_id is None and r.match_row is None]
    matched = [r for r in ok if r.match_id is not None or r.match_row is not None]
    if new:
        handler.create(new, actor=actor, batch=batch)
        result.created += sum(1 for r in new if r.ok)
    if matched:
        if batch.mode == ImportBatch.Mode.UPDATE:
            by_number = {r.number: r for r in chunk.rows}
            for row in matched:
                if row.match_id is None and row.match_row is not None:
                    earlier = by_number.get(row.match_row)
                    row.match_id = earlier.match_id if earlier is not None else None
                    if row.match_id is None:
                        row.add_error(
                            "",
                            _("Repeats row %(number)s, which was not imported.")
                            % {"number": row.match_row},
                        )
            to_update = [r for r in matched if r.ok]
            if to_update:
                handler.update(to_update, actor=actor, batch=batch)
                result.updated += sum(1 for r in to_update if r.ok)
        else:
            result.skipped += len(matched)


def _tag_audit(batch: ImportBatch, since: int) -> None:
    """Entries services wrote for this batch say which import they belong to."""
    AuditEntry.objects.filter(
        pk__gt=since, request_id=audit.current().request_id, message=""
    ).update(
        message=_("import #%(number)s: %(file)s") % {"number": batch.pk, "file": batch.file_name}
    )


def _last_audit_id() -> int:
    return AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def run_import(batch: ImportBatch, job: Job | None = None, *, after_chunk: Any = None) -> RunResult:
    """Run a configured batch now (the job's runner and ``accord import`` call this).

    Each chunk is cleaned and written in its own transaction, so other people can keep working
    during a long import. All-or-nothing first checks the whole file and writes nothing when a
    row has an error; if a row still fails while writing, or the import is cancelled or fails,
    everything the batch wrote so far is undone: nothing is left half-written either way.
    """
    actor = batch.created_by
    handler = get_handler(batch.object_type)
    detected = detection(batch)
    result = RunResult()
    labels = {f.key: str(f.label) for f in handler.fields(actor)}
    rejected = _Rejected(detected.headers, detected.delimiter, labels)
    try:
        if batch.all_or_nothing:
            check = import_preview(actor=actor, batch=batch, limit=0)
            if check.with_errors:
                for chunk in _chunks(batch, detected):
                    _clean_chunk(handler, batch, chunk, actor)
                    for row, cells in zip(chunk.rows, chunk.cells, strict=True):
                        if not row.ok:
                            rejected.add(row, cells)
                result.total, result.rejected = check.total, check.with_errors
                rejected.save(batch, job)
                _finish(batch, job, result, ImportBatch.Status.FAILED)
                return result
            total = check.total
        else:
            total = _count_rows(batch, detected)
        if job is not None:
            job_progress(job, done=0, total=total)
        for chunk in _chunks(batch, detected):
            since = _last_audit_id()
            with transaction.atomic():
                _clean_chunk(handler, batch, chunk, actor)
                _write_chunk(handler, batch, chunk, actor, result)
                _tag_audit(batch, since)
                ImportBatch.objects.filter(pk=batch.pk).update(heartbeat_at=timezone.now())
            for row, cells in zip(chunk.rows, chunk.cells, strict=True):
                result.total += 1
                if not row.ok:
                    result.rejected += 1
                    rejected.add(row, cells)
            if batch.all_or_nothing and result.rejected:
                raise _Rollback
            if job is not None:
                job_progress(job, done=result.total, total=max(total, result.total))
            if after_chunk is not None:
                after_chunk(result)
        rejected.save(batch, job)
        _finish(batch, job, result, ImportBatch.Status.DONE)
        return result
    except _Rollback:
        with transaction.atomic():
            _undo_records(batch, actor)
            ImportRecord.objects.filter(batch=batch).delete()
        result.created = result.updated = result.skipped = 0
        rejected.save(batch, job)
        _finish(batch, job, result, ImportBatch.Status.FAILED)
        return result
    except (Exception, KeyboardInterrupt) as error:
        with transaction.atomic():
            _undo_records(batch, actor)
            ImportRecord.objects.filter(batch=batch).delete()
        status = (
            ImportBatch.Status.CANCELLED
            if isinstance(error, JobCancelled)
            else ImportBatch.Status.FAILED
        )
        result.created = result.updated = result.skipped = 0
        _finish(batch, None, result, status)
        raise
    finally:
        rejected.close()


def _finish(batch: ImportBatch, job: Job | None, result: RunResult, status: str) -> None:
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=status,
        rows_total=result.total,
        rows_created=result.created,
        rows_updated=result.updated,
        rows_skipped=result.skipped,
        rows_rejected=result.rejected,
        heartbeat_at=timezone.now(),
    )
    batch.refresh_from_db()
    if job is not None:
        job.message = summary(batch)


def summary(batch: ImportBatch) -> str:
    """One line for the job and the command line."""
    if batch.status == ImportBatch.Status.FAILED and batch.all_or_nothing and batch.rows_rejected:
        return _(
            "Nothing was imported: %(rejected)s of %(total)s rows have errors (see the rejected rows file)."
        ) % {"rejected": batch.rows_rejected, "total": batch.rows_total}
    return _(
        "%(total)s rows: %(created)s created, %(updated)s updated, %(skipped)s skipped, %(rejected)s rejected."
    ) % {
        "total": batch.rows_total,
        "created": batch.rows_created,
        "updated": batch.rows_updated,
        "skipped": batch.rows_skipped,
        "rejected": batch.rows_rejected,
    }


@register_runner(Job.Kind.IMPORT)
def _import_runner(job: Job) -> None:
    batch = ImportBatch.objects.select_related("created_by").get(pk=job.params["batch"])
    if batch.status != ImportBatch.Status.RUNNING:
        return
    run_import(batch, job)


def import_run_now(*, actor: Any, batch: ImportBatch, after_chunk: Any = None) -> RunResult:
    """Run a configured batch in this process without the job queue (``accord import``); the
    same checks as :func:`import_start`. ``after_chunk(result)`` is called after each chunk."""
    _require_owner(actor, batch)
    _require_import(actor, batch.object_type)
    if batch.status != ImportBatch.Status.DRAFT:
        raise ValidationError({"columns": [_("This import has already been started.")]})
    if not batch.columns:
        raise ValidationError({"columns": [_("Map at least one column to a field.")]})
    import_recover()
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportBatch.Status.RUNNING, heartbeat_at=timezone.now()
    )
    batch.status = ImportBatch.Status.RUNNING
    return run_import(batch, None, after_chunk=after_chunk)
