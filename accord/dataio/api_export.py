"""Exports over the REST API (D2, I3): the same lists, filters, scope and safety as the export
button. ``GET /exports?list=contacts&format=xlsx&<the list's filters>`` answers with the file
when it is small, else with 202 and the background job; ``POST /exports`` always starts a job;
``GET /exports/{id}`` tells its progress and ``GET /exports/{id}/file`` downloads the result."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, Http404, HttpRequest, QueryDict
from django.http.response import HttpResponseBase
from django.urls import reverse
from ninja import Router, Schema, Status

from accord.core import lists
from accord.core.api import authed_user
from accord.dataio import export as export_jobs
from accord.dataio.models import Job

router = Router(tags=["exports"])


class ExportIn(Schema):
    list: str
    format: str = "csv"
    lossless: bool = False
    query: str = ""  # the list's filters as in its address: "q=acme&owner=3&sort=-name"


class ExportJobOut(Schema):
    id: int
    status: str
    total: int
    done: int
    message: str
    file_name: str
    file_url: str
    page_url: str


def _job_out(job: Job) -> dict[str, Any]:
    has_file = bool(job.result_file)
    return {
        "id": job.pk,
        "status": job.status,
        "total": job.total,
        "done": job.done,
        "message": job.message,
        "file_name": job.result_name if has_file else "",
        "file_url": reverse("api:export_file", args=[job.pk]) if has_file else "",
        "page_url": lists.job_url(job),
    }


def _export_job_for(user: Any, job_id: int) -> Job:
    """An export job of the caller (administrators: anyone's); 404 otherwise."""
    queryset = Job.objects.filter(pk=job_id, kind=Job.Kind.EXPORT)
    if not getattr(user, "is_administrator", False):
        queryset = queryset.filter(created_by=user)
    job = queryset.first()
    if job is None:
        raise Http404
    return job


def _is_true(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "on", "yes")


@router.get(
    "/exports",
    response={202: ExportJobOut},
    summary="Export a list: the file when small, else a background job",
)
def export_get(request: HttpRequest, list: str, format: str = "csv", lossless: bool = False) -> Any:
    user = authed_user(request)
    definition = export_jobs.definition_of(list)
    params = QueryDict(export_jobs.list_query(request.GET))
    export_jobs.check_format(format)
    lists.export_allowed(user, definition, lossless=lossless)
    if lossless or lists.export_needs_job(definition, user, params):
        job = export_jobs.export_start(
            actor=user, list_key=list, params=params, file_format=format, lossless=lossless
        )
        return Status(202, _job_out(job))
    return lists.export_file_response(definition, user, params, format, definition.key)


@router.post("/exports", response={201: ExportJobOut}, summary="Start an export job")
def export_post(request: HttpRequest, payload: ExportIn) -> Status[dict[str, Any]]:
    job = export_jobs.export_start(
        actor=authed_user(request),
        list_key=payload.list,
        params=payload.query,
        file_format=payload.format,
        lossless=payload.lossless,
    )
    return Status(201, _job_out(job))


@router.get("/exports/{int:job_id}", response=ExportJobOut, summary="An export job's progress")
def export_detail(request: HttpRequest, job_id: int) -> dict[str, Any]:
    return _job_out(_export_job_for(authed_user(request), job_id))


@router.get("/exports/{int:job_id}/file", url_name="export_file", summary="The exported file")
def export_file(request: HttpRequest, job_id: int) -> HttpResponseBase:
    job = _export_job_for(authed_user(request), job_id)
    if not job.result_file:
        raise Http404
    return FileResponse(job.result_file.open("rb"), as_attachment=True, filename=job.result_name)
