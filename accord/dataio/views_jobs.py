"""Job pages (D2, D5): the user's background jobs with live progress, cancel and the result
file. A job belongs to whoever started it; administrators see every job. Anyone else gets the
same 404 as for a missing job."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accord.core.http import AuthedHttpRequest
from accord.dataio import jobs as job_layer
from accord.dataio.models import Job

JOBS_PER_PAGE = 50


# --- selectors --------------------------------------------------------------------------------


def jobs_visible_to(user: Any) -> QuerySet[Job]:
    """The jobs a user may see: their own; every job for administrators."""
    queryset = Job.objects.select_related("created_by")
    if getattr(user, "is_administrator", False):
        return queryset
    return queryset.filter(created_by=user)


def get_job_for(user: Any, pk: int) -> Job:
    """One job the user may see; the same 404 for missing and for someone else's."""
    job = jobs_visible_to(user).filter(pk=pk).first()
    if job is None:
        raise Http404
    return job


def import_batch_of(job: Job) -> Any:
    """The import batch a job ran, if any (its page shows the counts and undo)."""
    from accord.dataio.models import ImportBatch

    return ImportBatch.objects.filter(job=job).first()


# --- pages ------------------------------------------------------------------------------------


@login_required
def job_list(request: AuthedHttpRequest) -> HttpResponse:
    jobs = list(jobs_visible_to(request.user)[:JOBS_PER_PAGE])
    return render(
        request,
        "dataio/job_list.html",
        {
            "jobs": jobs,
            "show_owner": request.user.is_administrator,
            "any_running": any(not job.is_finished for job in jobs),
        },
    )


@login_required
def job_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """The job; while it runs, htmx asks for the progress partial every second."""
    job = get_job_for(request.user, pk)
    batch = import_batch_of(job) if job.kind == Job.Kind.IMPORT else None
    context: dict[str, Any] = {"job": job, "batch": batch}
    if batch is not None:
        from accord.dataio.handlers import get_handler
        from accord.dataio.views_import import records_url

        context["handler"] = get_handler(batch.object_type)
        context["records_url"] = records_url(batch.object_type)
    if getattr(request, "htmx", False) and request.GET.get("partial") == "progress":
        return render(request, "dataio/_job_progress.html", context)
    return render(request, "dataio/job_detail.html", context)


@login_required
@require_POST
def job_cancel(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    job = get_job_for(request.user, pk)
    if job.is_finished:
        messages.info(request, _("This job has already finished."))
    else:
        try:
            job_layer.job_cancel(job=job, actor=request.user)
        except PermissionDenied:
            raise Http404 from None
        messages.success(request, _("The job will stop shortly."))
    next_url = request.POST.get("next", "")
    if next_url.startswith("/") and not next_url.startswith("//"):
        return redirect(next_url)
    return redirect("dataio:job_detail", pk=job.pk)


@login_required
def job_download(request: AuthedHttpRequest, pk: int) -> FileResponse:
    """The job's result file, streamed under its own name; only to its owner or an
    administrator."""
    job = get_job_for(request.user, pk)
    if not job.result_file:
        raise Http404
    try:
        handle = job.result_file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(handle, as_attachment=True, filename=job.result_name or "result")


urlpatterns: list[URLPattern] = [
    path("jobs/", job_list, name="job_list"),
    path("jobs/<int:pk>/", job_detail, name="job_detail"),
    path("jobs/<int:pk>/cancel/", job_cancel, name="job_cancel"),
    path("jobs/<int:pk>/download/", job_download, name="job_download"),
]
