"""Merges over the REST API (D6, I3): merge duplicates, read a merge, undo it.

Thin: records through the scoped selectors (one the caller may not see is a 404), then one
service call. Errors use the API's shared handlers: 422 with fields, 403, 404, 409 on a stale
``version`` of the survivor."""

from __future__ import annotations

import datetime
from typing import Any, Literal

from django.apps import apps
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from accord.core.api import authed_user
from accord.dedup import merge as service
from accord.dedup.models import Merge

router = Router(tags=["duplicates"])


class MergeIn(Schema):
    type: Literal["company", "contact"]
    survivor: int
    others: list[int]
    # field -> id of the record whose value to keep, {"value": ...} for a typed value,
    # or "all" for addresses (keep every record's addresses, the default).
    values: dict[str, int | str | dict[str, Any]] = {}
    version: int | None = None


class MergeOut(Schema):
    id: int
    type: str
    survivor_id: int
    merged_ids: list[int]
    merged_by: str
    created_at: datetime.datetime
    undone_at: datetime.datetime | None
    undone_by: str | None
    moved: dict[str, int]
    may_undo: bool
    undo_refusal: str | None


def render_merge(merge: Merge, user: Any) -> dict[str, Any]:
    moved: dict[str, int] = {}
    for group in merge.snapshot.get("moved", []):
        name = str(apps.get_model(group["model"])._meta.model_name)
        moved[name] = moved.get(name, 0) + len(group["pks"])
    return {
        "id": merge.pk,
        "type": merge.object_type,
        "survivor_id": merge.survivor_id,
        "merged_ids": merge.merged_ids,
        "merged_by": str(merge.actor),
        "created_at": merge.created_at,
        "undone_at": merge.undone_at,
        "undone_by": str(merge.undone_by) if merge.undone_by else None,
        "moved": moved,
        "may_undo": service.may_undo(user, merge),
        "undo_refusal": service.undo_refusal(merge),
    }


@router.post("/merges", response={201: MergeOut}, summary="Merge duplicate companies or contacts")
def merge_create(request: HttpRequest, payload: MergeIn) -> Status[dict[str, Any]]:
    user = authed_user(request)
    ids = [payload.survivor, *payload.others]
    if len(set(ids)) != len(ids):
        raise ValidationError({"others": [_("A record appears twice in the merge.")]})
    if not payload.others:
        raise ValidationError({"others": [_("Choose at least two records to merge.")]})
    if len(ids) > service.MAX_RECORDS:
        raise ValidationError(
            {
                "others": [
                    _("At most %(count)s records can be merged at once.")
                    % {"count": service.MAX_RECORDS}
                ]
            }
        )
    records = service.load_records(user, payload.type, ids)
    merge = service.merge_records(
        actor=user,
        object_type=payload.type,
        survivor=records[0],
        others=records[1:],
        values=payload.values,
        expected_version=payload.version,
    )
    return Status(201, render_merge(merge, user))


@router.get("/merges/{int:merge_id}", response=MergeOut, summary="One merge")
def merge_detail(request: HttpRequest, merge_id: int) -> dict[str, Any]:
    user = authed_user(request)
    return render_merge(service.get_merge_for(user, merge_id), user)


@router.post("/merges/{int:merge_id}/undo", response=MergeOut, summary="Undo a merge")
def merge_undo(request: HttpRequest, merge_id: int) -> dict[str, Any]:
    user = authed_user(request)
    merge = service.get_merge_for(user, merge_id)
    service.merge_undo(actor=user, merge=merge)
    merge.refresh_from_db()
    return render_merge(merge, user)
