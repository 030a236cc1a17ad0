"""Activities and the document archive over the REST API (I3, S1, M3, C1, D4).

Thin: parse -> selector -> one service -> schema. A file is downloadable only through
``get_document_for``, i.e. by those who may see the record it hangs on.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import FileResponse, HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from accord.activities import services
from accord.activities.models import Activity, Document
from accord.activities.selectors import (
    activities_visible_to,
    documents_visible_to,
    get_activity_for,
    get_document_for,
)
from accord.core.api import PageParams, authed_user, paginate
from accord.core.models import Team, User
from accord.core.permissions import ordered_scan
from accord.parties.models import Contact

router = Router(tags=["activities"])


# --- schemas --------------------------------------------------------------------------------


class ActivityOut(Schema):
    id: int
    kind: str
    subject: str
    body: str
    company: int | None
    contacts: list[int]
    at: datetime.datetime
    ends_at: datetime.datetime | None
    is_done: bool
    done_at: datetime.datetime | None
    direction: str
    duration_seconds: int | None
    outcome: str
    location: str
    participants: list[int]
    email_from: str
    email_to: str
    remind_at: datetime.datetime | None
    owner: int
    team: int | None
    version: int
    created_at: datetime.datetime
    updated_at: datetime.datetime


class ActivityPage(Schema):
    items: list[ActivityOut]
    next: str | None


class ActivityIn(Schema):
    """A call, meeting, task, note or logged e-mail. Fields another kind uses are ignored."""

    kind: str
    subject: str = ""
    body: str = ""
    company: int | None = None
    contacts: list[int] = []
    participants: list[int] = []
    at: datetime.datetime | None = None
    ends_at: datetime.datetime | None = None
    direction: str = ""
    duration_seconds: int | None = None
    outcome: str = ""
    location: str = ""
    email_from: str = ""
    email_to: str = ""
    remind_at: datetime.datetime | None = None
    remind_me: bool = False
    owner: int | None = None
    team: int | None = None


class ActivityPatch(Schema):
    version: int
    subject: str | None = None
    body: str | None = None
    company: int | None = None
    contacts: list[int] | None = None
    participants: list[int] | None = None
    at: datetime.datetime | None = None
    ends_at: datetime.datetime | None = None
    direction: str | None = None
    duration_seconds: int | None = None
    outcome: str | None = None
    location: str | None = None
    email_from: str | None = None
    email_to: str | None = None
    remind_at: datetime.datetime | None = None
    owner: int | None = None
    team: int | None = None


class ActivityFilters(Schema):
    kind: str | None = None
    company: int | None = None
    contact: int | None = None
    owner: int | None = None
    is_done: bool | None = None
    at_after: datetime.datetime | None = None
    at_before: datetime.datetime | None = None


class CompleteIn(Schema):
    version: int | None = None


class DocumentOut(Schema):
    id: int
    original_name: str
    content_type: str
    size: int
    description: str
    company: int | None
    contact: int | None
    activity: int | None
    owner: int
    download_url: str
    created_at: datetime.datetime


class DocumentPage(Schema):
    items: list[DocumentOut]
    next: str | None


class DocumentFilters(Schema):
    company: int | None = None
    contact: int | None = None
    activity: int | None = None


class DocumentUploadIn(Schema):
    company: int | None = None
    contact: int | None = None
    activity: int | None = None
    description: str = ""


# --- helpers ------------------------------------------------------------------------------


def _resolve_people(fields: dict[str, Any]) -> dict[str, Any]:
    """Owner and team ids -> instances; company stays an id (the service checks visibility)."""
    errors: dict[str, list[str]] = {}
    if fields.get("owner") is not None:
        owner = User.objects.filter(pk=fields["owner"], is_active=True).first()
        if owner is None:
            errors["owner"] = [_("No active user with this id.")]
        fields["owner"] = owner
    elif "owner" in fields:
        del fields["owner"]
    if fields.get("team") is not None:
        team = Team.objects.filter(pk=fields["team"]).first()
        if team is None:
            errors["team"] = [_("No team with this id.")]
        fields["team"] = team
    if errors:
        raise ValidationError(errors)
    return fields


def _activity_rows(queryset: QuerySet[Activity]) -> QuerySet[Activity]:
    return queryset.prefetch_related(
        Prefetch("contacts", queryset=Contact.objects.only("id")),
        Prefetch("participants", queryset=User.objects.only("id")),
    )


def render_activity(activity: Activity) -> dict[str, Any]:
    data: dict[str, Any] = {
        name: getattr(activity, name)
        for name in (
            "id",
            "kind",
            "subject",
            "body",
            "at",
            "ends_at",
            "is_done",
            "done_at",
            "direction",
            "duration_seconds",
            "outcome",
            "location",
            "email_from",
            "email_to",
            "remind_at",
            "version",
            "created_at",
            "updated_at",
        )
    }
    data.update(
        company=activity.company_id,
        owner=activity.owner_id,
        team=activity.team_id,
        contacts=sorted(c.pk for c in activity.contacts.all()),
        participants=sorted(u.pk for u in activity.participants.all()),
    )
    return data


def _one_activity(pk: int) -> dict[str, Any]:
    return render_activity(_activity_rows(Activity.objects.filter(pk=pk)).get())


def render_document(document: Document) -> dict[str, Any]:
    return {
        "id": document.pk,
        "original_name": document.original_name,
        "content_type": document.content_type,
        "size": document.size,
        "description": document.description,
        "company": document.company_id,
        "contact": document.contact_id,
        "activity": document.activity_id,
        "owner": document.owner_id,
        "download_url": reverse("api:document_download", args=[document.pk]),
        "created_at": document.created_at,
    }


# --- activities ---------------------------------------------------------------------------


@router.get("/activities", response=ActivityPage, summary="Activities the caller may see")
def activity_list(
    request: HttpRequest, filters: Query[ActivityFilters], page: Query[PageParams]
) -> dict[str, Any]:
    with ordered_scan():  # see permissions.ordered_scan
        queryset = activities_visible_to(authed_user(request))
        if filters.kind:
            queryset = queryset.filter(kind=filters.kind)
        if filters.company is not None:
            queryset = queryset.filter(company_id=filters.company)
        if filters.contact is not None:
            queryset = queryset.filter(contacts__id=filters.contact)
        if filters.owner is not None:
            queryset = queryset.filter(owner_id=filters.owner)
        if filters.is_done is not None:
            queryset = queryset.filter(is_done=filters.is_done)
        if filters.at_after:
            queryset = queryset.filter(at__gte=filters.at_after)
        if filters.at_before:
            queryset = queryset.filter(at__lt=filters.at_before)
        return paginate(
            _activity_rows(queryset),
            order=("-at", "-id"),
            after=page.after,
            limit=page.limit,
            render=render_activity,
        )


@router.post("/activities", response={201: ActivityOut}, summary="Log or plan an activity")
def activity_create(request: HttpRequest, payload: ActivityIn) -> Status[dict[str, Any]]:
    user = authed_user(request)
    fields = payload.model_dump(
        exclude_unset=True, exclude={"kind", "contacts", "participants", "remind_me"}
    )
    activity = services.activity_create(
        actor=user,
        kind=payload.kind,
        fields=_resolve_people(fields),
        contacts=payload.contacts,
        participants=payload.participants,
        remind_me=payload.remind_me,
    )
    return Status(201, _one_activity(activity.pk))


@router.get("/activities/{int:activity_id}", response=ActivityOut, summary="One activity")
def activity_detail(request: HttpRequest, activity_id: int) -> dict[str, Any]:
    activity = get_activity_for(authed_user(request), activity_id)
    return _one_activity(activity.pk)


@router.patch("/activities/{int:activity_id}", response=ActivityOut, summary="Change an activity")
def activity_update(
    request: HttpRequest, activity_id: int, payload: ActivityPatch
) -> dict[str, Any]:
    user = authed_user(request)
    activity = get_activity_for(user, activity_id)
    fields = payload.model_dump(exclude_unset=True)
    version = fields.pop("version")
    contacts = fields.pop("contacts", None)
    participants = fields.pop("participants", None)
    updated = services.activity_update(
        actor=user,
        activity=activity,
        fields=_resolve_people(fields),
        expected_version=version,
        contacts=contacts,
        participants=participants,
    )
    return _one_activity(updated.pk)


@router.post(
    "/activities/{int:activity_id}/complete",
    response=ActivityOut,
    summary="Mark a task or meeting as done",
)
def activity_complete(
    request: HttpRequest, activity_id: int, payload: CompleteIn | None = None
) -> dict[str, Any]:
    user = authed_user(request)
    activity = get_activity_for(user, activity_id)
    updated = services.activity_complete(
        actor=user, activity=activity, expected_version=payload.version if payload else None
    )
    return _one_activity(updated.pk)


@router.delete("/activities/{int:activity_id}", response={204: None}, summary="Delete an activity")
def activity_delete(request: HttpRequest, activity_id: int, version: int) -> Status[None]:
    user = authed_user(request)
    activity = get_activity_for(user, activity_id)
    services.activity_delete(actor=user, activity=activity, expected_version=version)
    return Status(204, None)


# --- documents ------------------------------------------------------------------------------


@router.get("/documents", response=DocumentPage, summary="Documents the caller may see")
def document_list(
    request: HttpRequest, filters: Query[DocumentFilters], page: Query[PageParams]
) -> dict[str, Any]:
    queryset = documents_visible_to(authed_user(request))
    if filters.company is not None:
        queryset = queryset.filter(company_id=filters.company)
    if filters.contact is not None:
        queryset = queryset.filter(contact_id=filters.contact)
    if filters.activity is not None:
        queryset = queryset.filter(activity_id=filters.activity)
    return paginate(
        queryset,
        order=("-created_at", "-id"),
        after=page.after,
        limit=page.limit,
        render=render_document,
    )


@router.post("/documents", response={201: DocumentOut}, summary="Upload a file (multipart)")
def document_upload(
    request: HttpRequest, file: File[UploadedFile], details: Form[DocumentUploadIn]
) -> Status[dict[str, Any]]:
    document = services.document_upload(
        actor=authed_user(request),
        uploaded_file=file,
        company=details.company,
        contact=details.contact,
        activity=details.activity,
        description=details.description,
    )
    return Status(201, render_document(document))


@router.get("/documents/{int:document_id}", response=DocumentOut, summary="A document's details")
def document_detail(request: HttpRequest, document_id: int) -> dict[str, Any]:
    return render_document(get_document_for(authed_user(request), document_id))


@router.get(
    "/documents/{int:document_id}/download",
    url_name="document_download",
    summary="The file itself",
    response={200: None},
)
def document_download(request: HttpRequest, document_id: int) -> FileResponse:
    document = get_document_for(authed_user(request), document_id)
    return FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=document.original_name,
        content_type=document.content_type,
    )


@router.delete("/documents/{int:document_id}", response={204: None}, summary="Delete a document")
def document_delete(request: HttpRequest, document_id: int) -> Status[None]:
    user = authed_user(request)
    document = get_document_for(user, document_id)
    services.document_delete(actor=user, document=document)
    return Status(204, None)
