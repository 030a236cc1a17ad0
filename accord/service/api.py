"""Cases over the REST API (V1, I3): list with filters, open, read, change, status moves,
messages (replies and notes), hand-over and merge.

Thin: parse -> selector -> one service -> schema. Bad input answers 422 with the field
errors, a stale ``version`` 409, a case the caller may not see 404 and one they may see but
not change 403 (accord/api.py)."""

from __future__ import annotations

import base64
import binascii
import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from accord.core.api import PageParams, authed_user, paginate
from accord.core.models import User
from accord.core.permissions import ordered_scan
from accord.service import selectors, services
from accord.service.models import Case, CaseAttachment, CaseEvent, CaseMessage, Category, Queue

router = Router(tags=["service"])

MESSAGE_PAGE = 200


# --- schemas ---------------------------------------------------------------------------------


class CaseOut(Schema):
    id: int
    reference: str
    subject: str
    description: str
    status: str
    priority: str
    channel: str
    category: int | None
    company: int | None
    contact: int | None
    requester_email: str
    requester_name: str
    product: int | None
    order: int | None
    project: int | None
    serial_number: str
    asset: int | None
    contract: int | None
    queue: int | None
    owner: int | None
    team: int | None
    sla_policy: int | None
    first_response_due_at: datetime.datetime | None
    first_responded_at: datetime.datetime | None
    resolution_due_at: datetime.datetime | None
    first_response_breached: bool
    resolution_breached: bool
    resolved_at: datetime.datetime | None
    closed_at: datetime.datetime | None
    reopened_count: int
    last_message_at: datetime.datetime | None
    merged_into: int | None
    follow_up_of: int | None
    legal_moves: list[str]
    version: int
    created_at: datetime.datetime
    updated_at: datetime.datetime


class CasePage(Schema):
    items: list[CaseOut]
    next: str | None


class AttachmentIn(Schema):
    name: str
    content_base64: str
    content_type: str = ""


class CaseIn(Schema):
    subject: str
    description: str = ""
    company: int | None = None
    contact: int | None = None
    channel: str = Case.Channel.API
    category: int | None = None
    priority: str = "normal"
    product: int | None = None
    order: int | None = None
    project: int | None = None
    serial_number: str = ""
    requester_email: str = ""
    requester_name: str = ""
    queue: int | None = None
    owner: int | None = None
    attachments: list[AttachmentIn] = []


class CasePatch(Schema):
    version: int
    subject: str | None = None
    description: str | None = None
    category: int | None = None
    priority: str | None = None
    channel: str | None = None
    company: int | None = None
    contact: int | None = None
    requester_email: str | None = None
    requester_name: str | None = None
    product: int | None = None
    order: int | None = None
    project: int | None = None
    serial_number: str | None = None


class CaseFiltersIn(Schema):
    status: str | None = None  # a status, or "open"
    queue: int | None = None
    assigned: str | None = None  # "mine" or "unassigned"
    owner: int | None = None
    priority: str | None = None
    category: int | None = None
    channel: str | None = None
    company: int | None = None
    contact: int | None = None
    q: str | None = None  # reference (CS-12) or words of the subject


class CaseStatusIn(Schema):
    status: str
    reason: str = ""


class AssignIn(Schema):
    owner: int | None = None
    queue: int | None = None
    reason: str = ""


class CaseMergeIn(Schema):
    duplicates: list[int]
    allow_different_clients: bool = False


class AttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    url: str


class MessageOut(Schema):
    id: int
    kind: str
    author: int | None
    from_address: str
    to_addresses: str
    cc_addresses: str
    subject: str
    body_text: str
    body_html: str
    message_id: str
    in_reply_to: str
    created_at: datetime.datetime
    attachments: list[AttachmentOut]


class MessageIn(Schema):
    kind: str  # reply, note or inbound
    body_text: str = ""
    body_html: str = ""
    to_addresses: str = ""
    cc_addresses: str = ""
    subject: str = ""
    attachments: list[AttachmentIn] = []


class EventOut(Schema):
    id: int
    kind: str
    actor: int | None
    from_value: str
    to_value: str
    reason: str
    created_at: datetime.datetime


class CaseCategoryOut(Schema):
    id: int
    code: str
    name: str
    name_ru: str
    name_fr: str
    name_de: str
    position: int
    is_active: bool


# --- helpers ---------------------------------------------------------------------------------

CASE_FIELDS = (
    "id",
    "reference",
    "subject",
    "description",
    "status",
    "priority",
    "channel",
    "requester_email",
    "requester_name",
    "serial_number",
    "first_response_due_at",
    "first_responded_at",
    "resolution_due_at",
    "first_response_breached",
    "resolution_breached",
    "resolved_at",
    "closed_at",
    "reopened_count",
    "last_message_at",
    "version",
    "created_at",
    "updated_at",
)
CASE_KEYS = (
    "category",
    "company",
    "contact",
    "product",
    "order",
    "project",
    "asset",
    "contract",
    "queue",
    "owner",
    "team",
    "sla_policy",
    "merged_into",
    "follow_up_of",
)


def render_case(case: Case) -> dict[str, Any]:
    data = {name: getattr(case, name) for name in CASE_FIELDS}
    data.update({name: getattr(case, f"{name}_id") for name in CASE_KEYS})
    data["legal_moves"] = [str(s) for s in services.legal_moves(case)]
    return data


def render_message(message: CaseMessage) -> dict[str, Any]:
    return {
        "id": message.pk,
        "kind": message.kind,
        "author": message.author_id,
        "from_address": message.from_address,
        "to_addresses": message.to_addresses,
        "cc_addresses": message.cc_addresses,
        "subject": message.subject,
        "body_text": message.body_text,
        "body_html": message.body_html,
        "message_id": message.message_id,
        "in_reply_to": message.in_reply_to,
        "created_at": message.created_at,
        "attachments": [
            {
                "id": a.pk,
                "name": a.name,
                "content_type": a.content_type,
                "size": a.size,
                "url": reverse("service:case_attachment", args=[a.pk]),
            }
            for a in message.attachments.all()
        ],
    }


def _attachments(items: list[AttachmentIn]) -> list[tuple[str, bytes, str]]:
    result = []
    for item in items:
        try:
            data = base64.b64decode(item.content_base64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValidationError(
                {"attachments": [_("“%(name)s” is not valid base64.") % {"name": item.name}]}
            ) from exc
        result.append((item.name, data, item.content_type))
    return result


def _user(pk: int | None, field: str) -> User | None:
    if pk is None:
        return None
    user = User.objects.filter(pk=pk).first()
    if user is None:
        raise ValidationError({field: [_("No user with this id.")]})
    return user


def _queue(pk: int | None) -> Queue | None:
    if pk is None:
        return None
    queue = Queue.objects.filter(pk=pk).first()
    if queue is None:
        raise ValidationError({"queue": [_("No queue with this id.")]})
    return queue


def _category(pk: int | None) -> Category | None:
    if pk is None:
        return None
    category = Category.objects.filter(pk=pk).first()
    if category is None:
        raise ValidationError({"category": [_("No category with this id.")]})
    return category


def _fresh(pk: int) -> dict[str, Any]:
    return render_case(Case.objects.get(pk=pk))


# --- cases -----------------------------------------------------------------------------------


@router.get("/cases", response=CasePage, summary="Cases the caller may see")
def case_list(
    request: HttpRequest, filters: Query[CaseFiltersIn], page: Query[PageParams]
) -> dict[str, Any]:
    user = authed_user(request)
    values = {k: v for k, v in filters.model_dump().items() if v is not None}
    if values.get("status") not in (None, "open", *Case.Status.values):
        raise ValidationError({"status": [_("Unknown status.")]})
    if values.get("assigned") not in (None, "mine", "unassigned"):
        raise ValidationError({"assigned": [_("Use “mine” or “unassigned”.")]})
    with ordered_scan():  # see permissions.ordered_scan
        queryset: QuerySet[Case] = selectors.filter_cases(
            selectors.cases_visible_to(user), selectors.CaseFilters(**values), user
        )
        return paginate(
            queryset,
            order=("-created_at", "-id"),
            after=page.after,
            limit=page.limit,
            render=render_case,
        )


@router.post("/cases", response={201: CaseOut}, summary="Open a case")
def case_create(request: HttpRequest, payload: CaseIn) -> Status[dict[str, Any]]:
    user = authed_user(request)
    data = payload.model_dump(exclude={"attachments", "queue", "owner", "category"})
    case = services.open_case(
        actor=user,
        category=_category(payload.category),
        queue=_queue(payload.queue),
        owner=_user(payload.owner, "owner"),
        attachments=_attachments(payload.attachments),
        **data,
    )
    return Status(201, _fresh(case.pk))


@router.get("/cases/{int:case_id}", response=CaseOut, summary="One case")
def case_detail(request: HttpRequest, case_id: int) -> dict[str, Any]:
    return render_case(selectors.get_case_for(authed_user(request), case_id))


@router.patch("/cases/{int:case_id}", response=CaseOut, summary="Change a case's facts")
def case_update(request: HttpRequest, case_id: int, payload: CasePatch) -> dict[str, Any]:
    user = authed_user(request)
    case = selectors.get_case_for(user, case_id)
    fields = payload.model_dump(exclude_unset=True)
    version = fields.pop("version")
    if "category" in fields:
        fields["category"] = _category(fields["category"])
    updated = services.update_case(actor=user, case=case, version=version, **fields)
    return _fresh(updated.pk)


@router.post("/cases/{int:case_id}/status", response=CaseOut, summary="Move a case's status")
def case_status(request: HttpRequest, case_id: int, payload: CaseStatusIn) -> dict[str, Any]:
    user = authed_user(request)
    case = selectors.get_case_for(user, case_id)
    updated = services.change_status(
        actor=user, case=case, status=payload.status, reason=payload.reason
    )
    return _fresh(updated.pk)


@router.post("/cases/{int:case_id}/assign", response=CaseOut, summary="Assign or hand over a case")
def case_assign(request: HttpRequest, case_id: int, payload: AssignIn) -> dict[str, Any]:
    user = authed_user(request)
    case = selectors.get_case_for(user, case_id)
    if payload.owner is None and payload.queue is None:
        raise ValidationError({"owner": [_("Give an agent, a queue or both.")]})
    updated = services.assign(
        actor=user,
        case=case,
        owner=_user(payload.owner, "owner"),
        queue=_queue(payload.queue),
        reason=payload.reason,
    )
    return _fresh(updated.pk)


@router.post(
    "/cases/{int:case_id}/merge", response=CaseOut, summary="Merge duplicates into this case"
)
def case_merge(request: HttpRequest, case_id: int, payload: CaseMergeIn) -> dict[str, Any]:
    user = authed_user(request)
    primary = selectors.get_case_for(user, case_id)
    found = {c.pk: c for c in selectors.cases_visible_to(user).filter(pk__in=payload.duplicates)}
    missing = [f"CS-{pk}" for pk in payload.duplicates if pk not in found]
    if missing:
        raise ValidationError(
            {
                "duplicates": [
                    _("No such case: %(references)s.") % {"references": ", ".join(missing)}
                ]
            }
        )
    merged = services.merge_cases(
        actor=user,
        primary=primary,
        duplicates=[found[pk] for pk in payload.duplicates],
        allow_different_clients=payload.allow_different_clients,
    )
    return _fresh(merged.pk)


# --- messages and history --------------------------------------------------------------------


@router.get(
    "/cases/{int:case_id}/messages",
    response=list[MessageOut],
    summary="A case's messages, oldest first (the latest 200; ?before=<id> for older)",
)
def message_list(
    request: HttpRequest, case_id: int, before: int | None = None, kind: str | None = None
) -> list[dict[str, Any]]:
    case = selectors.get_case_for(authed_user(request), case_id)
    queryset = CaseMessage.objects.filter(case=case).prefetch_related(
        Prefetch("attachments", queryset=CaseAttachment.objects.order_by("id"))
    )
    if kind:
        queryset = queryset.filter(kind=kind)
    if before is not None:
        queryset = queryset.filter(pk__lt=before)
    rows = list(queryset.order_by("-created_at", "-id")[:MESSAGE_PAGE])
    rows.reverse()
    return [render_message(m) for m in rows]


@router.post(
    "/cases/{int:case_id}/messages",
    response={201: MessageOut},
    summary="Add a reply (e-mailed to the client), an internal note or a client's message",
)
def message_create(
    request: HttpRequest, case_id: int, payload: MessageIn
) -> Status[dict[str, Any]]:
    user = authed_user(request)
    case = selectors.get_case_for(user, case_id)
    message = services.add_message(
        actor=user,
        case=case,
        kind=payload.kind,
        body_text=payload.body_text,
        body_html=payload.body_html,
        to_addresses=payload.to_addresses,
        cc_addresses=payload.cc_addresses,
        subject=payload.subject,
        attachments=_attachments(payload.attachments),
    )
    fresh = CaseMessage.objects.prefetch_related("attachments").get(pk=message.pk)
    return Status(201, render_message(fresh))


@router.get("/cases/{int:case_id}/events", response=list[EventOut], summary="A case's history")
def event_list(request: HttpRequest, case_id: int) -> list[dict[str, Any]]:
    case = selectors.get_case_for(authed_user(request), case_id)
    events = CaseEvent.objects.filter(case=case).order_by("-created_at", "-id")[:MESSAGE_PAGE]
    return [
        {
            "id": e.pk,
            "kind": e.kind,
            "actor": e.actor_id,
            "from_value": e.from_value,
            "to_value": e.to_value,
            "reason": e.reason,
            "created_at": e.created_at,
        }
        for e in reversed(list(events))
    ]


@router.get("/case-categories", response=list[CaseCategoryOut], summary="Case categories")
def category_list(request: HttpRequest) -> list[dict[str, Any]]:
    authed_user(request)
    return [
        {
            "id": c.pk,
            "code": c.code,
            "name": c.name,
            "name_ru": c.name_ru,
            "name_fr": c.name_fr,
            "name_de": c.name_de,
            "position": c.position,
            "is_active": c.is_active,
        }
        for c in Category.objects.order_by("position", "id")
    ]
