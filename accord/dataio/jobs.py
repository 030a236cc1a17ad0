"""The user-visible job layer (ARCHITECTURE.md rule 8): a ``Job`` row per import, export or scan,
a Huey task that only carries its id, and runners registered per kind.

A runner is ``fn(job) -> None``; it reports progress with :func:`job_progress`, which also raises
:class:`JobCancelled` once the user asked to cancel, and may attach a result file with
:func:`job_attach_file`. Queue with :func:`job_start` (the task is queued after commit).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.core.files.base import File
from django.db import transaction
from django.utils import timezone
from huey.contrib.djhuey import db_task

from accord.core.audit import audit_context
from accord.dataio.models import Job

logger = logging.getLogger(__name__)

Runner = Callable[[Job], None]
_RUNNERS: dict[str, Runner] = {}


class JobCancelled(Exception):
    """Raised inside a runner when the user cancelled the job; the runner's transaction rolls
    back and the job ends as cancelled."""


def register_runner(kind: str) -> Callable[[Runner], Runner]:
    def decorator(fn: Runner) -> Runner:
        _RUNNERS[kind] = fn
        return fn

    return decorator


def job_start(
    *, kind: str, actor: Any, params: dict[str, Any] | None = None, title: str = ""
) -> Job:
    """Create a queued job and hand it to the job layer once the transaction commits."""
    job = Job.objects.create(kind=kind, created_by=actor, params=params or {}, title=title[:200])
    transaction.on_commit(lambda: run_job_task(job.pk))
    return job


def job_progress(job: Job, *, done: int, total: int | None = None) -> None:
    """Save progress (outside any open transaction's view: a plain UPDATE) and stop the runner
    if the user cancelled."""
    job.done = done
    fields: dict[str, Any] = {"done": done}
    if total is not None:
        job.total = total
        fields["total"] = total
    Job.objects.filter(pk=job.pk).update(**fields)
    if Job.objects.filter(pk=job.pk, cancel_requested=True).exists():
        raise JobCancelled


def job_log(job: Job, line: str) -> None:
    job.log = [*job.log, line][-200:]
    Job.objects.filter(pk=job.pk).update(log=job.log)


def job_attach_file(job: Job, name: str, content: File[Any]) -> None:
    job.result_file.save(name, content, save=False)
    job.result_name = name
    Job.objects.filter(pk=job.pk).update(result_file=job.result_file.name, result_name=name)


def job_cancel(*, job: Job, actor: Any) -> Job:
    """Ask a running job to stop; a queued job is cancelled at once."""
    from django.core.exceptions import PermissionDenied

    if job.created_by_id != actor.pk and not actor.is_administrator:
        raise PermissionDenied
    Job.objects.filter(pk=job.pk).update(cancel_requested=True)
    Job.objects.filter(pk=job.pk, status=Job.Status.QUEUED).update(
        status=Job.Status.CANCELLED, finished_at=timezone.now()
    )
    job.refresh_from_db()
    return job


def run_job(job_id: int) -> None:
    """Run one job now (the Huey task, ``accord`` commands and tests call this)."""
    job = Job.objects.select_related("created_by").get(pk=job_id)
    if job.status != Job.Status.QUEUED:
        return
    runner = _RUNNERS[job.kind]
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, started_at=timezone.now())
    job.status = Job.Status.RUNNING
    status = Job.Status.DONE
    message = job.message
    try:
        with audit_context(source="job"):
            runner(job)
        message = job.message
    except JobCancelled:
        status = Job.Status.CANCELLED
    except Exception as error:  # the job's row tells the user; the log keeps the traceback
        logger.exception("job %s failed", job.pk)
        status = Job.Status.FAILED
        message = str(error)[:2000]
    Job.objects.filter(pk=job.pk).update(status=status, finished_at=timezone.now(), message=message)
    job.refresh_from_db()


@db_task()
def run_job_task(job_id: int) -> None:
    run_job(job_id)
