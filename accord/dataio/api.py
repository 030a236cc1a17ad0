"""Imports and jobs over the REST API (I3, D5): upload a file and see what was detected, set the
mapping and options, preview, start, undo; list, read and cancel one's jobs.

Thin: parse -> selector -> one import service -> schema. An import or job the caller may not
see is a 404 exactly like a missing one; bad input is a 422 naming the field.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from accord.core.api import PageParams, authed_user, paginate
from accord.core.permissions import Action, Scope, user_scope
from accord.dataio import jobs as job_layer
from accord.dataio import services
from accord.dataio.models import ImportBatch, Job
from accord.dataio.views_import import file_sample, get_batch_for, importable_handlers
from accord.dataio.views_jobs import get_job_for, jobs_visible_to

router = Router(tags=["imports"])

PREVIEW_LIMIT_MAX = 1000


# --- schemas ----------------------------------------------------------------------------------


class DetectedOut(Schema):
    kind: str
    encoding: str
    delimiter: str
    sheet: str
    sheets: list[str]
    headers: list[str]
    sample: list[list[str]]


class ImportOut(Schema):
    id: int
    object_type: str
    status: str
    file_name: str
    created_by: int
    created_at: datetime.datetime
    detected: DetectedOut | None
    columns: dict[str, str]
    mode: str
    all_or_nothing: bool
    rows_total: int
    rows_created: int
    rows_updated: int
    rows_skipped: int
    rows_rejected: int
    rejected_file_url: str | None
    job: int | None
    undone_at: datetime.datetime | None


class ImportUploadIn(Schema):
    """``type`` is the record type (company, contact, lead…); ``encoding``, ``delimiter`` and
    ``sheet`` override what is detected."""

    type: str
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None


class ImportPatch(Schema):
    """``columns`` maps each file header to a field key (``""`` = do not import); ``mode`` is
    create, update or skip (for rows matching an existing record)."""

    columns: dict[str, str] | None = None
    mode: str | None = None
    all_or_nothing: bool | None = None


class RowOut(Schema):
    number: int
    raw: dict[str, str]
    errors: dict[str, list[str]]
    match_id: int | None
    match_reason: str


class PreviewOut(Schema):
    headers: list[str]
    columns: dict[str, str]
    total: int
    valid: int
    with_errors: int
    matched: int
    warnings: list[str]
    rows: list[RowOut]


class PreviewParams(Schema):
    limit: int = 100


class JobOut(Schema):
    id: int
    kind: str
    status: str
    title: str
    created_by: int
    created_at: datetime.datetime
    started_at: datetime.datetime | None
    finished_at: datetime.datetime | None
    total: int
    done: int
    percent: int
    cancel_requested: bool
    message: str
    log: list[str]
    result_name: str
    result_url: str | None
    import_id: int | None


class JobPage(Schema):
    items: list[JobOut]
    next: str | None


# --- rendering --------------------------------------------------------------------------------


def render_import(batch: ImportBatch, *, with_detection: bool = True) -> dict[str, Any]:
    detected = None
    if with_detection and batch.status == ImportBatch.Status.DRAFT:
        sample = file_sample(batch)
        detected = {
            "kind": sample["kind"],
            "encoding": batch.encoding,
            "delimiter": batch.delimiter,
            "sheet": batch.sheet,
            "sheets": sample["sheets"],
            "headers": sample["headers"],
            "sample": sample["rows"],
        }
    return {
        "id": batch.pk,
        "object_type": batch.object_type,
        "status": batch.status,
        "file_name": batch.file_name,
        "created_by": batch.created_by_id,
        "created_at": batch.created_at,
        "detected": detected,
        "columns": batch.columns or {},
        "mode": batch.mode,
        "all_or_nothing": batch.all_or_nothing,
        "rows_total": batch.rows_total,
        "rows_created": batch.rows_created,
        "rows_updated": batch.rows_updated,
        "rows_skipped": batch.rows_skipped,
        "rows_rejected": batch.rows_rejected,
        "rejected_file_url": (
            reverse("dataio:import_rejected", args=[batch.pk]) if batch.rejected_file else None
        ),
        "job": batch.job_id,
        "undone_at": batch.undone_at,
    }


def render_job(job: Job) -> dict[str, Any]:
    batch_id = ImportBatch.objects.filter(job=job).values_list("pk", flat=True).first()
    return {
        "id": job.pk,
        "kind": job.kind,
        "status": job.status,
        "title": job.title,
        "created_by": job.created_by_id,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "total": job.total,
        "done": job.done,
        "percent": job.percent,
        "cancel_requested": job.cancel_requested,
        "message": job.message,
        "log": [str(line) for line in job.log],
        "result_name": job.result_name,
        "result_url": (reverse("dataio:job_download", args=[job.pk]) if job.result_file else None),
        "import_id": batch_id,
    }


def _batch(request: HttpRequest, import_id: int) -> ImportBatch:
    return get_batch_for(authed_user(request), import_id)


# --- imports ----------------------------------------------------------------------------------


@router.post("/imports", response={201: ImportOut}, summary="Upload a file to import (multipart)")
def import_upload(
    request: HttpRequest, file: File[UploadedFile], details: Form[ImportUploadIn]
) -> Status[dict[str, Any]]:
    user = authed_user(request)
    if not importable_handlers(user):
        raise PermissionDenied(_("You may not import records."))
    try:
        batch = services.import_prepare(
            actor=user,
            object_type=details.type,
            uploaded_file=file,
            encoding=details.encoding or None,
            delimiter=details.delimiter or None,
            sheet=details.sheet or None,
        )
    except ValidationError as exc:
        if hasattr(exc, "error_dict") and "object_type" in exc.error_dict:
            exc.error_dict["type"] = exc.error_dict.pop("object_type")  # the form field's name
        raise
    return Status(201, render_import(batch))


@router.get("/imports/{int:import_id}", response=ImportOut, summary="An import and its counts")
def import_detail(request: HttpRequest, import_id: int) -> dict[str, Any]:
    return render_import(_batch(request, import_id))


@router.patch("/imports/{int:import_id}", response=ImportOut, summary="Set mapping and options")
def import_update(request: HttpRequest, import_id: int, payload: ImportPatch) -> dict[str, Any]:
    user = authed_user(request)
    batch = _batch(request, import_id)
    if batch.status != ImportBatch.Status.DRAFT:
        raise ValidationError({"status": [_("This import has already run.")]})
    mode = payload.mode if payload.mode is not None else batch.mode
    if not mode:
        may_add = user_scope(user, batch.object_type, Action.ADD) > Scope.NONE
        mode = ImportBatch.Mode.SKIP if may_add else ImportBatch.Mode.UPDATE
    batch = services.import_configure(
        actor=user,
        batch=batch,
        columns=payload.columns if payload.columns is not None else dict(batch.columns or {}),
        mode=mode,
        all_or_nothing=(
            payload.all_or_nothing if payload.all_or_nothing is not None else batch.all_or_nothing
        ),
    )
    return render_import(batch)


@router.get(
    "/imports/{int:import_id}/preview",
    response=PreviewOut,
    summary="The first rows cleaned, with errors per field, and the whole file's counts",
)
def import_preview(
    request: HttpRequest, import_id: int, params: Query[PreviewParams]
) -> dict[str, Any]:
    if params.limit < 1 or params.limit > PREVIEW_LIMIT_MAX:
        raise ValidationError({"limit": [_("Between 1 and %(max)s.") % {"max": PREVIEW_LIMIT_MAX}]})
    batch = _batch(request, import_id)
    preview = services.import_preview(actor=authed_user(request), batch=batch, limit=params.limit)
    return {
        "headers": preview.headers,
        "columns": preview.columns,
        "total": preview.total,
        "valid": preview.valid,
        "with_errors": preview.with_errors,
        "matched": preview.matched,
        "warnings": [str(w) for w in preview.warnings],
        "rows": [
            {
                "number": row.number,
                "raw": row.raw,
                "errors": row.errors,
                "match_id": row.match_id,
                "match_reason": str(row.match_reason),
            }
            for row in preview.rows
        ],
    }


@router.post(
    "/imports/{int:import_id}/start", response={202: JobOut}, summary="Run the import as a job"
)
def import_run(request: HttpRequest, import_id: int) -> Status[dict[str, Any]]:
    job = services.import_start(actor=authed_user(request), batch=_batch(request, import_id))
    job.refresh_from_db()
    return Status(202, render_job(job))


@router.post("/imports/{int:import_id}/undo", response=ImportOut, summary="Undo a finished import")
def import_undo(request: HttpRequest, import_id: int) -> dict[str, Any]:
    batch = services.import_undo(actor=authed_user(request), batch=_batch(request, import_id))
    return render_import(batch, with_detection=False)


# --- jobs -------------------------------------------------------------------------------------


@router.get("/jobs", response=JobPage, summary="My jobs (administrators: every job)")
def job_list(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    return paginate(
        jobs_visible_to(authed_user(request)),
        order=("-created_at", "-id"),
        after=page.after,
        limit=page.limit,
        render=render_job,
    )


@router.get("/jobs/{int:job_id}", response=JobOut, summary="A job's status and progress")
def job_detail(request: HttpRequest, job_id: int) -> dict[str, Any]:
    return render_job(get_job_for(authed_user(request), job_id))


@router.post("/jobs/{int:job_id}/cancel", response=JobOut, summary="Ask a job to stop")
def job_cancel(request: HttpRequest, job_id: int) -> dict[str, Any]:
    user = authed_user(request)
    job = get_job_for(user, job_id)
    if job.is_finished:
        raise ValidationError({"status": [_("This job has already finished.")]})
    try:
        job = job_layer.job_cancel(job=job, actor=user)
    except PermissionDenied:
        raise Http404 from None
    return render_job(job)
