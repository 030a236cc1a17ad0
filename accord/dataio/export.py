"""Large exports as background jobs (D2): the list's filters, sort and scope are kept in the
job's parameters, and the runner writes the file in a streaming way (rows fetched in chunks,
CSV written row by row to a temporary file, XLSX through openpyxl's write-only workbook), so
memory stays flat whatever the number of rows. The file is attached to the job; the jobs pages
let its owner download it.

Lossless exports (administrators only) always run here, so that each one leaves a job row
(who, when, which list and filters) with a note in its parameters and a line in its log:
AuditEntry has no "export" action and business data is not changed.
"""

from __future__ import annotations

import io
import logging
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.http import QueryDict
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accord.core import export as export_format
from accord.core import lists
from accord.dataio.jobs import job_attach_file, job_log, job_progress, job_start, register_runner
from accord.dataio.models import Job

logger = logging.getLogger(__name__)

# Parameters of the export request that are not part of the list's own state.
_NOT_LIST_PARAMS = (*lists.POSITION_PARAMS, "format", "lossless", "csrfmiddlewaretoken", "list")


def list_query(params: QueryDict | Mapping[str, Any] | str) -> str:
    if isinstance(params, str):
        params = QueryDict(params)
    if not isinstance(params, QueryDict):
        query = QueryDict(mutable=True)
        for key, value in params.items():
            if isinstance(value, list | tuple):
                query.setlist(key, [str(v) for v in value])
            elif value not in (None, ""):
                query[key] = str(value)
        params = query
    kept = QueryDict(mutable=True)
    for key, values in params.lists():
        if key not in _NOT_LIST_PARAMS:
            kept.setlist(key, values)
    return kept.urlencode()


def definition_of(list_key: str) -> lists.ListDefinition:
    if list_key not in lists.LISTS:
        # Lists register when their app's views load; a job worker may not have loaded them.
        from django.urls import get_resolver

        get_resolver().url_patterns  # noqa: B018
    definition = lists.LISTS.get(list_key)
    if definition is None:
        raise ValidationError(
            {"list": [_("There is no list named “%(list)s”.") % {"list": list_key}]}
        )
    return definition


def check_format(file_format: str) -> None:
    if file_format not in export_format.FORMATS:
        raise ValidationError({"format": [_("Choose CSV or XLSX.")]})


def export_start(
    *,
    actor: Any,
    list_key: str,
    params: QueryDict | Mapping[str, Any] | str,
    file_format: str,
    lossless: bool,
) -> Job:
    """Queue the export of one list as the actor filtered it. Checks the export permission
    (and, for a lossless export, that the actor is an administrator) before anything is
    written: a refused export leaves no job."""
    definition = definition_of(list_key)
    check_format(file_format)
    lists.export_allowed(actor, definition, lossless=lossless)
    job_params: dict[str, Any] = {
        "list": definition.key,
        "query": list_query(params),
        "format": file_format,
        "lossless": bool(lossless),
    }
    if lossless:
        job_params["note"] = (
            f"lossless export (exact values, no formula escaping) requested by "
            f"administrator {actor.get_username()} (id {actor.pk}) at {timezone.now().isoformat()}"
        )
    title = _("Export: %(list)s (%(format)s)") % {
        "list": definition.title,
        "format": file_format.upper(),
    }
    if lossless:
        title = _("%(title)s, lossless") % {"title": title}
    job = job_start(kind=Job.Kind.EXPORT, actor=actor, params=job_params, title=title)
    if lossless:
        job_log(job, job_params["note"])
        logger.warning(
            "lossless export of %s by user %s (job %s)", definition.key, actor.pk, job.pk
        )
    return job


def _with_progress(job: Job, rows: Iterator[list[Any]], every: int) -> Iterator[list[Any]]:
    """Pass rows through, saving progress (and stopping on cancel) every ``every`` rows."""
    done = -1
    for done, row in enumerate(rows):  # the first row is the header
        if done and done % every == 0:
            job_progress(job, done=done)
        yield row


@register_runner(Job.Kind.EXPORT)
def run_export(job: Job) -> None:
    """Write the export file and attach it to the job, in the starter's language and time
    zone. The permission is checked again: it may have been withdrawn since the job was
    queued."""
    user = job.created_by
    with (
        translation.override(getattr(user, "language", None)),
        timezone.override(getattr(user, "time_zone", None) or timezone.get_default_timezone()),
    ):
        _run_export(job, user)


def _run_export(job: Job, user: Any) -> None:
    params = job.params
    definition = definition_of(params["list"])
    lossless = bool(params.get("lossless"))
    lists.export_allowed(user, definition, lossless=lossless)
    file_format = params.get("format", "csv")
    query = QueryDict(params.get("query", ""))
    total = lists.export_state(definition, user, query).filtered().order_by().count()
    job_progress(job, done=0, total=total)
    rows = _with_progress(job, lists.export_values(definition, user, query), lists.EXPORT_CHUNK)
    name = lists.export_filename(definition.key, file_format, lossless=lossless)
    with tempfile.TemporaryFile() as handle:
        count = write_export(
            rows, handle, file_format, title=str(definition.title), lossless=lossless
        )
        handle.seek(0)
        job_progress(job, done=count, total=count)
        job_attach_file(job, name, File(handle, name=name))
    job.message = ngettext("%(count)d row exported.", "%(count)d rows exported.", count) % {
        "count": count
    }


def write_export(
    rows: Iterable[Sequence[Any]],
    handle: Any,
    file_format: str,
    *,
    title: str = "",
    lossless: bool = False,
) -> int:
    """Write typed rows (header first) to a binary file as CSV or XLSX; the number of rows."""
    if file_format == "xlsx":
        return export_format.write_xlsx(rows, handle, title=title, lossless=lossless)
    text = io.TextIOWrapper(handle, encoding="utf-8", newline="")
    try:
        return export_format.write_csv(rows, text, lossless=lossless)
    finally:
        text.flush()
        text.detach()
