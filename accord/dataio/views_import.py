"""The import wizard (D5), phone-first: upload → what we detected → column mapping → preview and
options → run (live progress, cancel, result, undo); and the history of past imports.

Thin views: each step parses its form and calls one import service, which checks permission,
validates and stores the choice on the ``ImportBatch``; the step shown is derived from the
batch, so a reload (or coming back the next day) lands where the user left off.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import File
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accord.core.http import AuthedHttpRequest
from accord.core.permissions import Action, Scope, user_scope
from accord.dataio import mapping, services
from accord.dataio.forms import (
    DELIMITERS,
    ENCODINGS,
    FormatForm,
    MappingForm,
    OptionsForm,
    UploadForm,
    apply_service_errors,
)
from accord.dataio.handlers import Handler, get_handler, handlers
from accord.dataio.models import ImportBatch, ImportMapping

PREVIEW_ROWS = 20
SAMPLE_ROWS = 5
IMPORTS_PER_PAGE = 50

# --- selectors --------------------------------------------------------------------------------


def importable_handlers(user: Any) -> list[Handler]:
    """The record types this user may import (the menu entry and the upload step)."""
    return [h for h in handlers() if user_scope(user, h.object_type, Action.IMPORT) > Scope.NONE]


def batches_visible_to(user: Any) -> QuerySet[ImportBatch]:
    """Imports a user may see: their own; every import for administrators."""
    queryset = ImportBatch.objects.select_related("created_by", "job", "undone_by")
    if getattr(user, "is_administrator", False):
        return queryset
    return queryset.filter(created_by=user)


def get_batch_for(user: Any, pk: int) -> ImportBatch:
    """One import the user may see (and still may import that type); 404 otherwise."""
    batch = batches_visible_to(user).filter(pk=pk).first()
    if batch is None or user_scope(user, batch.object_type, Action.IMPORT) == Scope.NONE:
        raise Http404
    return batch


def max_upload_bytes() -> int:
    return int(
        getattr(services, "MAX_FILE_BYTES", None)
        or getattr(settings, "ACCORD_IMPORT_MAX_BYTES", None)
        or settings.ACCORD_UPLOAD_MAX_BYTES
    )


def mode_options(user: Any, object_type: str, label: Any) -> list[dict[str, Any]]:
    """The three modes with the reason each one is unavailable to this user ("" = allowed):
    creating needs the add permission, updating the change permission."""
    may_add = user_scope(user, object_type, Action.ADD) > Scope.NONE
    may_change = user_scope(user, object_type, Action.CHANGE) > Scope.NONE
    cannot_add = _("You may not add %(type)s.") % {"type": label}
    cannot_change = _("You may not change %(type)s.") % {"type": label}
    return [
        {
            "value": ImportBatch.Mode.CREATE.value,
            "label": _("Create new records, even for rows that match"),
            "reason": "" if may_add else cannot_add,
        },
        {
            "value": ImportBatch.Mode.UPDATE.value,
            "label": _("Update the matched records (new rows are created)"),
            "reason": "" if may_change else cannot_change,
        },
        {
            "value": ImportBatch.Mode.SKIP.value,
            "label": _("Skip rows that match; create only the new ones"),
            "reason": "" if may_add else cannot_add,
        },
    ]


def default_mode(options: list[dict[str, Any]]) -> str:
    preferred = [ImportBatch.Mode.SKIP, ImportBatch.Mode.UPDATE, ImportBatch.Mode.CREATE]
    allowed = {o["value"] for o in options if not o["reason"]}
    for mode in preferred:
        if mode.value in allowed:
            return mode.value
    return ImportBatch.Mode.SKIP.value


#: where the records of each type are listed, for the "see them" link after an import
LIST_URLS = {
    "company": "parties:company_list",
    "contact": "parties:contact_list",
    "activity": "activities:activity_list",
    "lead": "sales:lead_list",
    "deal": "sales:deal_board",
    "product": "catalog:product_list",
    "order": "commerce:order_list",
}


def records_url(object_type: str) -> str:
    try:
        return reverse(LIST_URLS[object_type])
    except (KeyError, NoReverseMatch):
        return ""


def wizard_step(batch: ImportBatch) -> str:
    """Where a draft batch is: "format" until its columns are mapped, then "preview"."""
    if batch.status != ImportBatch.Status.DRAFT:
        return "run"
    if batch.mode and any(batch.columns.values()):
        return "preview"
    return "format"


# --- file reading helpers (the engine's reader) -------------------------------------------------


def file_sample(batch: ImportBatch, limit: int = SAMPLE_ROWS) -> dict[str, Any]:
    """Headers, the first rows and the workbook's sheets, read as the batch says (the engine's
    detection; ValidationError naming "file" when it cannot be read)."""
    detected = services.detection(batch)
    return {
        "kind": detected.kind,
        "headers": detected.headers,
        "rows": detected.sample[:limit],
        "sheets": detected.sheets,
    }


def suggested_columns(
    batch: ImportBatch, handler: Handler, headers: list[str], user: Any
) -> dict[str, str]:
    """The batch's mapping if it has one, else suggestions from the header names."""
    if any(batch.columns.values()):
        return {header: batch.columns.get(header, "") for header in headers}
    return mapping.suggest(handler, headers, user)


def saved_mappings(user: Any, object_type: str) -> list[ImportMapping]:
    return mapping.mappings_for(user, object_type)


def redetect(
    *,
    actor: Any,
    batch: ImportBatch,
    encoding: str | None,
    delimiter: str | None,
    sheet: str | None,
) -> ImportBatch:
    """Read the stored file again with the user's settings: the engine's re-detection when it
    has one, else a fresh draft batch of the same file (the old draft is left as it is)."""
    service = getattr(services, "import_redetect", None)
    if service is not None:
        result: ImportBatch = service(
            actor=actor, batch=batch, encoding=encoding, delimiter=delimiter, sheet=sheet
        )
        return result
    with batch.source_file.open("rb") as handle:
        return services.import_prepare(
            actor=actor,
            object_type=batch.object_type,
            uploaded_file=File(handle, name=batch.file_name),
            encoding=encoding,
            delimiter=delimiter,
            sheet=sheet,
        )


# --- step 1: upload -----------------------------------------------------------------------------


def _step_context(batch: ImportBatch | None, step: str, **extra: Any) -> dict[str, Any]:
    steps = [
        ("upload", _("File")),
        ("format", _("Detected")),
        ("mapping", _("Columns")),
        ("preview", _("Preview")),
        ("run", _("Import")),
    ]
    position = [key for key, _label in steps].index(step)
    return {
        "batch": batch,
        "step": step,
        "steps": [
            {"key": key, "label": label, "number": index + 1, "state": _state(index, position)}
            for index, (key, label) in enumerate(steps)
        ],
        **extra,
    }


def _state(index: int, position: int) -> str:
    if index < position:
        return "done"
    return "current" if index == position else "todo"


@login_required
def import_start(request: AuthedHttpRequest) -> HttpResponse:
    available = importable_handlers(request.user)
    if not available:
        raise PermissionDenied
    types = [(h.object_type, capfirst(h.label)) for h in available]
    form = UploadForm(
        request.POST if request.method == "POST" else None,
        request.FILES or None,
        types=types,
        max_bytes=max_upload_bytes(),
        initial={"object_type": request.GET.get("type", "")},
    )
    if request.method == "POST" and form.is_valid():
        try:
            batch = services.import_prepare(
                actor=request.user,
                object_type=form.cleaned_data["object_type"],
                uploaded_file=form.cleaned_data["file"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return redirect("dataio:import_format", pk=batch.pk)
    return render(request, "dataio/import_upload.html", _step_context(None, "upload", form=form))


# --- step 2: what we detected -------------------------------------------------------------------


@login_required
def import_format(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    batch = get_batch_for(request.user, pk)
    if batch.status != ImportBatch.Status.DRAFT:
        return redirect("dataio:import_detail", pk=batch.pk)
    sample: dict[str, Any] = {"headers": [], "rows": [], "sheets": []}
    sample_error = ""
    try:
        sample = file_sample(batch)
    except ValidationError as exc:
        sample_error = " ".join(exc.messages)
    form = FormatForm(
        request.POST if request.method == "POST" else None,
        batch=batch,
        sheets=sample.get("sheets") or [],
    )
    if request.method == "POST" and form.is_valid():
        try:
            batch = redetect(
                actor=request.user,
                batch=batch,
                encoding=form.cleaned_data.get("encoding") or None,
                delimiter=form.cleaned_data.get("delimiter") or None,
                sheet=form.cleaned_data.get("sheet") or None,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The file was read again with your settings."))
            return redirect("dataio:import_format", pk=batch.pk)
    return render(
        request,
        "dataio/import_format.html",
        _step_context(
            batch,
            "format",
            form=form,
            sample=sample,
            sample_error=sample_error,
            handler=get_handler(batch.object_type),
            encoding_label=dict(ENCODINGS).get(batch.encoding, batch.encoding),
            delimiter_label=dict(DELIMITERS).get(batch.delimiter, batch.delimiter),
        ),
    )


# --- step 3: column mapping ---------------------------------------------------------------------


@login_required
def import_mapping(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    batch = get_batch_for(request.user, pk)
    if batch.status != ImportBatch.Status.DRAFT:
        return redirect("dataio:import_detail", pk=batch.pk)
    handler = get_handler(batch.object_type)
    targets = handler.fields(request.user)
    sample = file_sample(batch, limit=1)
    headers: list[str] = sample["headers"]
    mappings = saved_mappings(request.user, batch.object_type)
    initial = suggested_columns(batch, handler, headers, request.user)
    applied = request.GET.get("mapping")
    if applied:
        chosen = next((m for m in mappings if str(m.pk) == applied), None)
        if chosen is not None:
            initial = mapping.apply_mapping(chosen, headers)
    form = MappingForm(
        request.POST if request.method == "POST" else None,
        headers=headers,
        targets=targets,
        initial_columns=initial,
    )
    if request.method == "POST" and form.is_valid():
        options = mode_options(request.user, batch.object_type, handler.label)
        mode = batch.mode if batch.mode else default_mode(options)
        try:
            batch = services.import_configure(
                actor=request.user,
                batch=batch,
                columns=form.columns(),
                mode=mode,
                all_or_nothing=batch.all_or_nothing,
            )
            if form.cleaned_data["save_as"]:
                mapping.mapping_save(
                    actor=request.user,
                    name=form.cleaned_data["save_as"],
                    object_type=batch.object_type,
                    columns=form.columns(),
                )
        except ValidationError as exc:
            form.apply_service_errors(exc, targets)
        else:
            return redirect("dataio:import_preview", pk=batch.pk)
    return render(
        request,
        "dataio/import_mapping.html",
        _step_context(
            batch,
            "mapping",
            form=form,
            mappings=mappings,
            targets=targets,
            handler=handler,
            mapping_rows=[
                {"field": bound, "example": example}
                for bound, example in zip(
                    form.column_bound_fields(),
                    [*(sample.get("rows") or [[]])[0], *[""] * len(headers)],
                    strict=False,
                )
            ],
        ),
    )


# --- step 4: preview and options ----------------------------------------------------------------


@login_required
def import_preview(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    batch = get_batch_for(request.user, pk)
    if batch.status != ImportBatch.Status.DRAFT:
        return redirect("dataio:import_detail", pk=batch.pk)
    if wizard_step(batch) != "preview":
        return redirect("dataio:import_mapping", pk=batch.pk)
    handler = get_handler(batch.object_type)
    options = mode_options(request.user, batch.object_type, handler.label)
    initial = {
        "mode": batch.mode if batch.mode else default_mode(options),
        "rejects": OptionsForm.ALL_OR_NOTHING if batch.all_or_nothing else OptionsForm.VALID_ROWS,
    }
    form = OptionsForm(
        request.POST if request.method == "POST" else None, mode_options=options, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            batch = services.import_configure(
                actor=request.user,
                batch=batch,
                columns=batch.columns,
                mode=form.cleaned_data["mode"],
                all_or_nothing=form.all_or_nothing,
            )
            services.import_start(actor=request.user, batch=batch)
        except ValidationError as exc:
            apply_service_errors(form, exc, aliases={"all_or_nothing": "rejects"})
        else:
            return redirect("dataio:import_detail", pk=batch.pk)
    context = _step_context(batch, "preview", form=form, handler=handler)
    part = request.GET.get("part") == "rows"
    if part or request.GET.get("full"):
        # The whole file is checked here; on a page of its own (htmx) so that the page and its
        # choices show at once while a large file is being checked.
        try:
            context.update(preview_context(request.user, batch, handler))
        except ValidationError as exc:
            context["preview_error"] = " ".join(exc.messages)
        if part:
            return render(request, "dataio/_preview_rows.html", context)
    return render(request, "dataio/import_preview.html", context)


def preview_context(user: Any, batch: ImportBatch, handler: Handler) -> dict[str, Any]:
    """The whole-file counts and the first rows, each error on its field."""
    preview = services.import_preview(actor=user, batch=batch, limit=PREVIEW_ROWS)
    labels = {t.key: t.label for t in handler.fields(user)}
    mapped = [(header, key) for header, key in preview.columns.items() if key]
    mapped_keys = {key for _header, key in mapped}
    table = [
        {
            "row": row,
            "cells": [
                {
                    "key": key,
                    "label": labels.get(key, key),
                    "value": row.raw.get(key, ""),
                    "errors": row.errors.get(key, []),
                }
                for _header, key in mapped
            ],
            "other_errors": [
                message
                for key, messages_ in row.errors.items()
                if key not in mapped_keys
                for message in messages_
            ],
        }
        for row in preview.rows
    ]
    return {
        "preview": preview,
        "columns": [{"header": h, "key": k, "label": labels.get(k, k)} for h, k in mapped],
        "table": table,
    }


# --- step 5: run and result ---------------------------------------------------------------------


@login_required
def import_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    batch = get_batch_for(request.user, pk)
    step = wizard_step(batch)
    if step == "format":
        return redirect("dataio:import_format", pk=batch.pk)
    if step == "preview":
        return redirect("dataio:import_preview", pk=batch.pk)
    handler = get_handler(batch.object_type)
    return render(
        request,
        "dataio/import_detail.html",
        _step_context(
            batch,
            "run",
            job=batch.job,
            handler=handler,
            records_url=records_url(batch.object_type),
        ),
    )


@login_required
@require_POST
def import_undo(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    batch = get_batch_for(request.user, pk)
    try:
        services.import_undo(actor=request.user, batch=batch)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except PermissionDenied:
        raise Http404 from None
    else:
        messages.success(request, _("The import was undone."))
    next_url = request.POST.get("next", "")
    if next_url == "list":
        return redirect("dataio:import_list")
    return redirect("dataio:import_detail", pk=batch.pk)


@login_required
def import_rejected(request: AuthedHttpRequest, pk: int) -> FileResponse:
    """The rejected rows with their reasons, for the importer (or an administrator)."""
    batch = get_batch_for(request.user, pk)
    if not batch.rejected_file:
        raise Http404
    try:
        handle = batch.rejected_file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    base = batch.file_name.rsplit(".", 1)[0] or "import"
    extension = (batch.rejected_file.name or "").rsplit(".", 1)[-1]
    name = _("%(name)s - rejected rows.%(extension)s") % {"name": base, "extension": extension}
    return FileResponse(handle, as_attachment=True, filename=name)


@login_required
def import_list(request: AuthedHttpRequest) -> HttpResponse:
    if not importable_handlers(request.user):
        raise PermissionDenied
    labels = {h.object_type: h.label for h in handlers()}
    # A draft read again with other settings is superseded by the newer draft of the same file.
    superseded = ImportBatch.objects.filter(
        status=ImportBatch.Status.DRAFT,
        created_by=OuterRef("created_by"),
        file_sha256=OuterRef("file_sha256"),
        object_type=OuterRef("object_type"),
        pk__gt=OuterRef("pk"),
    )
    batches = list(
        batches_visible_to(request.user).exclude(
            Q(status=ImportBatch.Status.DRAFT) & Exists(superseded)
        )[:IMPORTS_PER_PAGE]
    )
    for batch in batches:
        batch.type_label = labels.get(batch.object_type, batch.object_type)  # type: ignore[attr-defined]
    return render(
        request,
        "dataio/import_list.html",
        {"batches": batches, "show_owner": request.user.is_administrator},
    )


urlpatterns: list[URLPattern] = [
    path("imports/", import_list, name="import_list"),
    path("imports/new/", import_start, name="import_start"),
    path("imports/<int:pk>/", import_detail, name="import_detail"),
    path("imports/<int:pk>/format/", import_format, name="import_format"),
    path("imports/<int:pk>/columns/", import_mapping, name="import_mapping"),
    path("imports/<int:pk>/preview/", import_preview, name="import_preview"),
    path("imports/<int:pk>/undo/", import_undo, name="import_undo"),
    path("imports/<int:pk>/rejected/", import_rejected, name="import_rejected"),
]
