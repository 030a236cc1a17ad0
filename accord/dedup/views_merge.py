"""The merge screen (phone-first), the merge record with its undo, and the list of merges.

Thin views: parse, fetch through the scoped selectors (a record the user may not see is a
404), call ``merge_records`` / ``merge_undo``, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accord.core.errors import ConflictError
from accord.core.http import AuthedHttpRequest
from accord.core.permissions import Action, allows
from accord.dedup import merge as service
from accord.dedup.models import Merge
from accord.parties.models import ContactPoint

PICKER_LIMIT = 20


class _Rollback(Exception):
    """Raised to roll back the rehearsal merge of the confirm step."""


def _display(record: Any, key: str) -> str:
    if key == service.ADDRESSES:
        return "; ".join(str(a) for a in record.addresses.all())
    if key.startswith("custom."):
        value = (record.custom or {}).get(key[7:])
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        return "" if value in (None, "") else str(value)
    field = record._meta.get_field(key)
    if field.choices and not field.is_relation:
        return str(getattr(record, f"get_{key}_display")()) if getattr(record, key) else ""
    value = getattr(record, key)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return "" if value in (None, "") else str(value)


def _default_survivor(
    records: list[Any], counts: dict[int, dict[str, int]], undeletable: set[int]
) -> int:
    """The record the user may not delete, else the one with most related records; on a tie,
    the oldest."""
    best = max(
        records,
        key=lambda r: (
            r.pk in undeletable,
            sum(counts[r.pk].values()),
            -r.created_at.timestamp(),
            -r.pk,
        ),
    )
    return int(best.pk)


def _rows(object_type: str, records: list[Any], survivor_id: int) -> list[dict[str, Any]]:
    ordered = sorted(records, key=lambda r: r.pk != survivor_id)
    rows = []
    for field in service.merge_fields(object_type, records):
        cells = [(r.pk, _display(r, field.key)) for r in records]
        shown = {text for _pk, text in cells}
        if field.key == service.ADDRESSES:
            default: Any = service.ALL_ADDRESSES
        else:
            default = service._default_source(field.key, ordered)
        rows.append(
            {
                "key": field.key,
                "label": field.label,
                "cells": cells,
                "same": len(shown) == 1,
                "default": default,
            }
        )
    return rows


def _points(object_type: str, ids: list[int]) -> dict[str, list[str]]:
    """The united phones / e-mails / messengers, each once, for display."""
    from accord.parties.normalize import display_phone

    owner = "company_id" if object_type == "company" else "contact_id"
    united: dict[str, list[str]] = {}
    points = ContactPoint.objects.filter(**{f"{owner}__in": ids}).order_by("kind", "id")
    seen: set[tuple[str, str]] = set()
    for kind, value in points.values_list("kind", "normalized"):
        if (kind, value) in seen:
            continue
        seen.add((kind, value))
        shown = display_phone(value) if kind == ContactPoint.Kind.PHONE else value
        united.setdefault(str(ContactPoint.Kind(kind).label), []).append(shown)
    return united


def _picked_values(request: AuthedHttpRequest, rows: list[dict[str, Any]]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for row in rows:
        raw = request.POST.get(f"f_{row['key']}", "")
        if raw:
            values[row["key"]] = raw if raw == service.ALL_ADDRESSES else _int_or(raw)
    return values


def _int_or(raw: str) -> Any:
    try:
        return int(raw)
    except ValueError:
        return raw


def _errors(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {k: list(v) for k, v in exc.message_dict.items()}
    return {"__all__": list(exc.messages)}


def _run(
    request: AuthedHttpRequest,
    object_type: str,
    records: list[Any],
    survivor_id: int,
    values: dict[str, Any],
    *,
    rehearse: bool,
) -> Merge | None:
    survivor = next(r for r in records if r.pk == survivor_id)
    others = [r for r in records if r.pk != survivor_id]
    expected = request.POST.get(f"version_{survivor_id}")
    call = {
        "actor": request.user,
        "object_type": object_type,
        "survivor": survivor,
        "others": others,
        "values": values,
        "expected_version": int(expected) if expected and expected.isdigit() else None,
    }
    if not rehearse:
        return service.merge_records(**call)
    try:
        with transaction.atomic():
            service.merge_records(**call)
            raise _Rollback
    except _Rollback:
        pass
    return None


@login_required
@require_http_methods(["GET", "POST"])
def merge(request: AuthedHttpRequest) -> HttpResponse:
    """Pick the survivor and, per field, the surviving value; confirm; merge."""
    source = request.GET if request.method == "GET" else request.POST
    for object_type in ("company", "contact"):
        if object_type in request.GET and "ids" not in request.GET:
            return _picker(request, object_type, request.GET[object_type])
    object_type = source.get("type", "")
    records = service.load_records(
        request.user, object_type, service.parse_ids(source.get("ids", ""))
    )
    if len(records) < 2:
        raise Http404
    ids = [r.pk for r in records]
    counts = service.related_counts(object_type, ids)
    undeletable = {r.pk for r in records if not allows(request.user, Action.DELETE, r)}
    unchangeable = {r.pk for r in records if not allows(request.user, Action.CHANGE, r)}
    survivor_id = _default_survivor(records, counts, undeletable)
    if request.method == "POST" and _int_or(request.POST.get("survivor", "")) in ids:
        survivor_id = int(request.POST["survivor"])
    rows = _rows(object_type, records, survivor_id)
    errors: dict[str, list[str]] = {}
    status = 200
    step = "choose"
    values: dict[str, Any] = {}
    if request.method == "POST":
        values = _picked_values(request, rows)
        for row in rows:
            if row["key"] in values:
                row["default"] = values[row["key"]]
        wanted = request.POST.get("step", "confirm")
        try:
            done = _run(
                request, object_type, records, survivor_id, values, rehearse=wanted != "merge"
            )
        except PermissionDenied as exc:
            errors = {"__all__": [str(exc)]}
            status = 403
        except ConflictError as exc:
            errors = {"__all__": [str(exc)]}
            status = 409
        except ValidationError as exc:
            errors = _errors(exc)
            status = 422
        else:
            if done is not None:
                survivor = next(r for r in records if r.pk == survivor_id)
                messages.success(
                    request,
                    format_html(
                        '{} <a href="{}">{}</a>',
                        _("The records were merged into this one."),
                        reverse("dedup:merge_detail", args=[done.pk]),
                        _("See the merge or undo it"),
                    ),
                )
                return redirect(survivor.get_absolute_url())
            step = "confirm"
    survivor = next(r for r in records if r.pk == survivor_id)
    moving = {pk: sorted(c.items()) for pk, c in counts.items() if pk != survivor_id and c}
    return render(
        request,
        "dedup/merge.html",
        {
            "object_type": object_type,
            "records": records,
            "ids": ",".join(str(pk) for pk in ids),
            "survivor": survivor,
            "others_count": len(records) - 1,
            "undeletable": undeletable,
            "unchangeable": unchangeable,
            "impossible": len(undeletable) > 1
            or bool(undeletable & unchangeable)
            or unchangeable >= set(ids),
            "rows": rows,
            "counts": {pk: sorted(c.items()) for pk, c in counts.items()},
            "moving": moving,
            "points": _points(object_type, ids),
            "errors": errors,
            "general_errors": errors.get("__all__", []),
            "field_errors": {k: v for k, v in errors.items() if k != "__all__"},
            "step": step,
            "values": values,
            "labels": {row["key"]: row["label"] for row in rows},
        },
        status=status,
    )


def _picker(request: AuthedHttpRequest, object_type: str, raw_pk: str) -> HttpResponse:
    """From a record's page: find the records to merge it with."""
    record = service.load_records(request.user, object_type, service.parse_ids(raw_pk))[0]
    query = request.GET.get("q", "").strip()
    found: list[Any] = []
    if query:
        candidates = service.visible(request.user, object_type, Action.DELETE).exclude(pk=record.pk)
        if object_type == "company":
            match = Q(name__icontains=query) | Q(search_text__icontains=query.lower())
        else:
            match = Q(full_name__icontains=query) | Q(search_text__icontains=query.lower())
        found = list(candidates.filter(match).order_by("pk")[:PICKER_LIMIT])
    return render(
        request,
        "dedup/merge_picker.html",
        {"object_type": object_type, "record": record, "query": query, "found": found},
    )


@login_required
def merge_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    merge = service.get_merge_for(request.user, pk)
    survivor = None
    if merge.object_type in service.MODELS:
        survivor = (
            service.visible(request.user, merge.object_type).filter(pk=merge.survivor_id).first()
        )
    labels = merge.snapshot.get("labels", {})
    moved_rows = service.moved_summary(merge)
    return render(
        request,
        "dedup/merge_detail.html",
        {
            "merge": merge,
            "survivor": survivor,
            "survivor_label": labels.get(str(merge.survivor_id), f"#{merge.survivor_id}"),
            "merged": [(pk, labels.get(str(pk), f"#{pk}")) for pk in merge.merged_ids],
            "moved": moved_rows,
            "may_undo": service.may_undo(request.user, merge),
            "refusal": service.undo_refusal(merge),
        },
    )


@login_required
@require_POST
def merge_undo(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    merge = service.get_merge_for(request.user, pk)
    try:
        survivor = service.merge_undo(actor=request.user, merge=merge)
    except (ValidationError, PermissionDenied) as exc:
        text = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        messages.error(request, text)
        return redirect("dedup:merge_detail", pk=merge.pk)
    messages.success(request, _("Merge undone: the merged records are back."))
    if allows(request.user, Action.VIEW, survivor):
        return redirect(survivor.get_absolute_url())
    return redirect("dedup:merge_detail", pk=merge.pk)


@login_required
def merge_list(request: AuthedHttpRequest) -> HttpResponse:
    """Merges the user made (administrators: everyone's), newest first."""
    merges = Merge.objects.select_related("actor", "undone_by").order_by("-created_at", "-id")
    if not request.user.is_administrator:
        merges = merges.filter(actor=request.user)
    page = Paginator(merges.defer("snapshot"), 50).get_page(request.GET.get("page"))
    return render(request, "dedup/merge_list.html", {"page": page})


urlpatterns = [
    path("merge/", merge, name="merge"),
    path("merges/", merge_list, name="merge_list"),
    path("merges/<int:pk>/", merge_detail, name="merge_detail"),
    path("merges/<int:pk>/undo/", merge_undo, name="merge_undo"),
]
