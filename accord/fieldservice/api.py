"""Work orders over the REST API (V5, I3): everything the pages do.

Thin: parse -> selector -> one service -> schema. Time entries, materials, checklist steps,
notes and photos are reached through their work order."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from accord.core.api import PageParams, authed_user, paginate
from accord.core.models import User
from accord.fieldservice import selectors, services, services_onsite, services_time
from accord.fieldservice.models import (
    ChecklistItem,
    ChecklistTemplate,
    MaterialUse,
    TimeEntry,
    WorkOrder,
)

router = Router(tags=["fieldservice"])


# --- schemas -------------------------------------------------------------------------------


class EngineerOut(Schema):
    user: int
    name: str
    is_lead: bool


class ChecklistItemOut(Schema):
    id: int
    position: int
    text: str
    is_done: bool
    done_by: int | None
    done_at: datetime.datetime | None


class MaterialOut(Schema):
    id: int
    product: int | None
    description: str
    quantity: Decimal
    unit_cost: Decimal
    currency: str
    total: Decimal
    created_at: datetime.datetime


class TimeEntryOut(Schema):
    id: int
    engineer: int
    kind: str
    started_at: datetime.datetime
    ended_at: datetime.datetime | None
    duration_seconds: int
    rate: Decimal
    cost: Decimal
    note: str


class WorkOrderOut(Schema):
    id: int
    number: str
    case: int
    company: int | None
    contact: int | None
    contract: int | None
    status: str
    site_address: str
    scheduled_start: datetime.datetime | None
    scheduled_end: datetime.datetime | None
    lead_engineer: int | None
    team: int | None
    instructions: str
    result_notes: str
    signed_by: str
    travel_km: Decimal
    started_at: datetime.datetime | None
    finished_at: datetime.datetime | None
    labour_rate: Decimal
    currency: str
    work_seconds: int
    travel_seconds: int
    labour_cost: Decimal
    travel_cost: Decimal
    materials_cost: Decimal
    total_cost: Decimal
    consumption_note: str
    version: int
    created_at: datetime.datetime
    updated_at: datetime.datetime


class WorkOrderFull(WorkOrderOut):
    engineers: list[EngineerOut]
    checklist: list[ChecklistItemOut]
    materials: list[MaterialOut]
    time_entries: list[TimeEntryOut]


class WorkOrderPage(Schema):
    items: list[WorkOrderOut]
    next: str | None


class WorkOrderFilters(Schema):
    status: str | None = None
    case: int | None = None
    company: int | None = None
    engineer: int | None = None
    scheduled_from: datetime.datetime | None = None
    scheduled_to: datetime.datetime | None = None


class WorkOrderIn(Schema):
    case: int
    scheduled_start: datetime.datetime | None = None
    scheduled_end: datetime.datetime | None = None
    lead_engineer: int | None = None
    engineers: list[int] = []
    site_address: str | None = None
    instructions: str = ""
    checklist_template: int | None = None
    checklist: list[str] | None = None


class WorkOrderPatch(Schema):
    version: int
    site_address: str | None = None
    instructions: str | None = None
    result_notes: str | None = None
    signed_by: str | None = None
    travel_km: Decimal | None = None


class ScheduleIn(Schema):
    version: int
    scheduled_start: datetime.datetime | None = None
    scheduled_end: datetime.datetime | None = None
    lead_engineer: int | None = None
    engineers: list[int] = []


class ScheduleOut(Schema):
    work_order: WorkOrderOut
    conflicts: list[str]


class WorkOrderStatusIn(Schema):
    status: str
    reason: str = ""


class TimerIn(Schema):
    kind: str = TimeEntry.Kind.WORK


class TimeEntryIn(Schema):
    engineer: int | None = None
    kind: str = TimeEntry.Kind.WORK
    started_at: datetime.datetime
    ended_at: datetime.datetime
    note: str = ""


class TimeEntryPatch(Schema):
    kind: str | None = None
    started_at: datetime.datetime
    ended_at: datetime.datetime
    note: str | None = None


class MaterialIn(Schema):
    product: int | None = None
    description: str = ""
    quantity: Decimal
    unit_cost: Decimal | None = None


class TickIn(Schema):
    is_done: bool


class StepIn(Schema):
    text: str


class NoteIn(Schema):
    text: str


class NoteOut(Schema):
    id: int
    author: int | None
    text: str
    created_at: datetime.datetime


class PhotoOut(Schema):
    id: int
    caption: str
    content_type: str
    size: int
    url: str


# --- helpers -------------------------------------------------------------------------------

FIELDS = (
    "id",
    "number",
    "status",
    "site_address",
    "scheduled_start",
    "scheduled_end",
    "instructions",
    "result_notes",
    "signed_by",
    "travel_km",
    "started_at",
    "finished_at",
    "labour_rate",
    "currency",
    "work_seconds",
    "travel_seconds",
    "labour_cost",
    "travel_cost",
    "materials_cost",
    "total_cost",
    "consumption_note",
    "version",
    "created_at",
    "updated_at",
)


def render_work_order(work_order: WorkOrder) -> dict[str, Any]:
    data = {name: getattr(work_order, name) for name in FIELDS}
    data.update(
        case=work_order.case_id,
        company=work_order.company_id,
        contact=work_order.contact_id,
        contract=work_order.contract_id,
        lead_engineer=work_order.owner_id,
        team=work_order.team_id,
    )
    return data


def _material(material: MaterialUse) -> dict[str, Any]:
    return {
        "id": material.pk,
        "product": material.product_id,
        "description": material.description,
        "quantity": material.quantity,
        "unit_cost": material.unit_cost,
        "currency": material.currency,
        "total": material.total,
        "created_at": material.created_at,
    }


def _entry(entry: TimeEntry) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "engineer": entry.engineer_id,
        "kind": entry.kind,
        "started_at": entry.started_at,
        "ended_at": entry.ended_at,
        "duration_seconds": entry.duration_seconds,
        "rate": entry.rate,
        "cost": entry.cost,
        "note": entry.note,
    }


def _item(item: ChecklistItem) -> dict[str, Any]:
    return {
        "id": item.pk,
        "position": item.position,
        "text": item.text,
        "is_done": item.is_done,
        "done_by": item.done_by_id,
        "done_at": item.done_at,
    }


def _full(work_order: WorkOrder) -> dict[str, Any]:
    work_order.refresh_from_db()
    data = render_work_order(work_order)
    data["engineers"] = [
        {"user": row.user_id, "name": str(row.user), "is_lead": row.is_lead}
        for row in work_order.engineer_rows.select_related("user")
    ]
    data["checklist"] = [_item(i) for i in work_order.checklist_items.all()]
    data["materials"] = [_material(m) for m in work_order.materials.all()]
    data["time_entries"] = [_entry(e) for e in work_order.time_entries.all()]
    return data


def _user(pk: int | None, field: str) -> User | None:
    if pk is None:
        return None
    user = User.objects.filter(pk=pk).first()
    if user is None:
        raise ValidationError({field: [_("No user with this id.")]})
    return user


def _users(pks: list[int], field: str) -> list[User]:
    users = list(User.objects.filter(pk__in=pks))
    if len(users) != len(set(pks)):
        raise ValidationError({field: [_("No user with this id.")]})
    return users


def _get(request: HttpRequest, work_order_id: int) -> tuple[User, WorkOrder]:
    user = authed_user(request)
    return user, selectors.get_work_order_for(user, work_order_id)


# --- work orders ---------------------------------------------------------------------------


@router.get("/work-orders", response=WorkOrderPage, summary="Work orders the caller may see")
def work_order_list(
    request: HttpRequest, filters: Query[WorkOrderFilters], page: Query[PageParams]
) -> dict[str, Any]:
    user = authed_user(request)
    queryset = selectors.work_orders_visible_to(user)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.case is not None:
        queryset = queryset.filter(case_id=filters.case)
    if filters.company is not None:
        queryset = queryset.filter(company_id=filters.company)
    if filters.engineer is not None:
        queryset = queryset.filter(engineer_rows__user_id=filters.engineer)
    if filters.scheduled_from is not None:
        queryset = queryset.filter(scheduled_start__gte=filters.scheduled_from)
    if filters.scheduled_to is not None:
        queryset = queryset.filter(scheduled_start__lt=filters.scheduled_to)
    return paginate(
        queryset, order=("-id",), after=page.after, limit=page.limit, render=render_work_order
    )


@router.post("/work-orders", response={201: WorkOrderFull}, summary="Plan a visit for a case")
def work_order_create(request: HttpRequest, payload: WorkOrderIn) -> Status[dict[str, Any]]:
    user = authed_user(request)
    case = services.cases_visible_to(user).filter(pk=payload.case).first()
    if case is None:
        raise ValidationError({"case": [_("Choose a case you can see.")]})
    template = None
    if payload.checklist_template is not None:
        template = ChecklistTemplate.objects.filter(
            pk=payload.checklist_template, is_active=True
        ).first()
        if template is None:
            raise ValidationError({"checklist_template": [_("No active checklist with this id.")]})
    work_order = services.work_order_create(
        actor=user,
        case=case,
        scheduled_start=payload.scheduled_start,
        scheduled_end=payload.scheduled_end,
        lead_engineer=_user(payload.lead_engineer, "lead_engineer"),
        engineers=_users(payload.engineers, "engineers"),
        site_address=payload.site_address,
        instructions=payload.instructions,
        checklist_template=template,
        checklist=payload.checklist,
    )
    return Status(201, _full(work_order))


@router.get("/work-orders/{int:work_order_id}", response=WorkOrderFull, summary="One work order")
def work_order_detail(request: HttpRequest, work_order_id: int) -> dict[str, Any]:
    work_order = _get(request, work_order_id)[1]
    return _full(work_order)


@router.patch(
    "/work-orders/{int:work_order_id}", response=WorkOrderFull, summary="Change a work order"
)
def work_order_update(
    request: HttpRequest, work_order_id: int, payload: WorkOrderPatch
) -> dict[str, Any]:
    user, work_order = _get(request, work_order_id)
    fields = payload.model_dump(exclude_unset=True)
    version = fields.pop("version")
    services.work_order_update(actor=user, work_order=work_order, version=version, **fields)
    return _full(work_order)


@router.post(
    "/work-orders/{int:work_order_id}/schedule",
    response=ScheduleOut,
    summary="Plan when and who (overlaps come back as warnings)",
)
def work_order_schedule(
    request: HttpRequest, work_order_id: int, payload: ScheduleIn
) -> dict[str, Any]:
    user, work_order = _get(request, work_order_id)
    updated, conflicts = services.work_order_schedule(
        actor=user,
        work_order=work_order,
        version=payload.version,
        scheduled_start=payload.scheduled_start,
        scheduled_end=payload.scheduled_end,
        lead_engineer=_user(payload.lead_engineer, "lead_engineer"),
        engineers=_users(payload.engineers, "engineers"),
    )
    return {
        "work_order": render_work_order(updated),
        "conflicts": [services.conflict_text(u, o) for u, o in conflicts],
    }


@router.post(
    "/work-orders/{int:work_order_id}/status",
    response=WorkOrderFull,
    summary="Move along scheduled → travelling → in progress → done / cancelled",
)
def work_order_status(
    request: HttpRequest, work_order_id: int, payload: WorkOrderStatusIn
) -> dict[str, Any]:
    user, work_order = _get(request, work_order_id)
    services.work_order_set_status(
        actor=user, work_order=work_order, status=payload.status, reason=payload.reason
    )
    return _full(work_order)


# --- time ----------------------------------------------------------------------------------


@router.get(
    "/work-orders/{int:work_order_id}/time-entries",
    response=list[TimeEntryOut],
    summary="Time logged on a visit",
)
def time_list(request: HttpRequest, work_order_id: int) -> list[dict[str, Any]]:
    work_order = _get(request, work_order_id)[1]
    return [_entry(e) for e in work_order.time_entries.all()]


@router.post(
    "/work-orders/{int:work_order_id}/time-entries",
    response={201: TimeEntryOut},
    summary="Log time by hand",
)
def time_add(
    request: HttpRequest, work_order_id: int, payload: TimeEntryIn
) -> Status[dict[str, Any]]:
    user, work_order = _get(request, work_order_id)
    entry = services_time.time_add(
        actor=user,
        work_order=work_order,
        engineer=_user(payload.engineer, "engineer"),
        kind=payload.kind,
        started_at=payload.started_at,
        ended_at=payload.ended_at,
        note=payload.note,
    )
    return Status(201, _entry(entry))


@router.post(
    "/work-orders/{int:work_order_id}/time-entries/start",
    response={201: TimeEntryOut},
    summary="Start the caller's timer",
)
def timer_start(
    request: HttpRequest, work_order_id: int, payload: TimerIn
) -> Status[dict[str, Any]]:
    user, work_order = _get(request, work_order_id)
    return Status(
        201, _entry(services_time.time_start(actor=user, work_order=work_order, kind=payload.kind))
    )


@router.post(
    "/work-orders/{int:work_order_id}/time-entries/stop",
    response=TimeEntryOut,
    summary="Stop the caller's timer",
)
def timer_stop(request: HttpRequest, work_order_id: int) -> dict[str, Any]:
    user, work_order = _get(request, work_order_id)
    return _entry(services_time.time_stop(actor=user, work_order=work_order))


@router.patch(
    "/work-orders/{int:work_order_id}/time-entries/{int:entry_id}",
    response=TimeEntryOut,
    summary="Correct a time entry (also closes a timer left running)",
)
def time_update(
    request: HttpRequest, work_order_id: int, entry_id: int, payload: TimeEntryPatch
) -> dict[str, Any]:
    user, work_order = _get(request, work_order_id)
    entry = TimeEntry.objects.filter(work_order=work_order, pk=entry_id).first()
    if entry is None:
        raise Http404
    updated = services_time.time_entry_update(
        actor=user,
        entry=entry,
        started_at=payload.started_at,
        ended_at=payload.ended_at,
        kind=payload.kind,
        note=payload.note,
    )
    return _entry(updated)


@router.delete(
    "/work-orders/{int:work_order_id}/time-entries/{int:entry_id}",
    response={204: None},
    summary="Remove a time entry",
)
def time_delete(request: HttpRequest, work_order_id: int, entry_id: int) -> Status[None]:
    user, work_order = _get(request, work_order_id)
    entry = TimeEntry.objects.filter(work_order=work_order, pk=entry_id).first()
    if entry is None:
        raise Http404
    services_time.time_entry_delete(actor=user, entry=entry)
    return Status(204, None)


# --- materials -----------------------------------------------------------------------------


@router.get(
    "/work-orders/{int:work_order_id}/materials",
    response=list[MaterialOut],
    summary="Materials used on a visit",
)
def material_list(request: HttpRequest, work_order_id: int) -> list[dict[str, Any]]:
    work_order = _get(request, work_order_id)[1]
    return [_material(m) for m in work_order.materials.all()]


@router.post(
    "/work-orders/{int:work_order_id}/materials",
    response={201: MaterialOut},
    summary="Add a material (catalogue price by default)",
)
def material_add(
    request: HttpRequest, work_order_id: int, payload: MaterialIn
) -> Status[dict[str, Any]]:
    user, work_order = _get(request, work_order_id)
    product = None
    if payload.product is not None:
        from accord.catalog.selectors import products_visible_to

        product = products_visible_to(user).filter(pk=payload.product).first()
        if product is None:
            raise ValidationError({"product": [_("No product with this id.")]})
    material = services_onsite.material_add(
        actor=user,
        work_order=work_order,
        product=product,
        description=payload.description,
        quantity=payload.quantity,
        unit_cost=payload.unit_cost,
    )
    return Status(201, _material(material))


@router.delete(
    "/work-orders/{int:work_order_id}/materials/{int:material_id}",
    response={204: None},
    summary="Remove a material",
)
def material_remove(request: HttpRequest, work_order_id: int, material_id: int) -> Status[None]:
    user, work_order = _get(request, work_order_id)
    material = MaterialUse.objects.filter(work_order=work_order, pk=material_id).first()
    if material is None:
        raise Http404
    services_onsite.material_remove(actor=user, material=material)
    return Status(204, None)


# --- checklist, notes, photos ---------------------------------------------------------------


@router.post(
    "/work-orders/{int:work_order_id}/checklist",
    response={201: ChecklistItemOut},
    summary="Add a checklist step",
)
def checklist_add(
    request: HttpRequest, work_order_id: int, payload: StepIn
) -> Status[dict[str, Any]]:
    user, work_order = _get(request, work_order_id)
    return Status(
        201,
        _item(services_onsite.checklist_add(actor=user, work_order=work_order, text=payload.text)),
    )


@router.post(
    "/work-orders/{int:work_order_id}/checklist/{int:item_id}",
    response=ChecklistItemOut,
    summary="Tick or untick a step",
)
def checklist_tick(
    request: HttpRequest, work_order_id: int, item_id: int, payload: TickIn
) -> dict[str, Any]:
    user, work_order = _get(request, work_order_id)
    item = ChecklistItem.objects.filter(work_order=work_order, pk=item_id).first()
    if item is None:
        raise Http404
    return _item(services_onsite.checklist_tick(actor=user, item=item, is_done=payload.is_done))


@router.get(
    "/work-orders/{int:work_order_id}/notes", response=list[NoteOut], summary="A visit's notes"
)
def note_list(request: HttpRequest, work_order_id: int) -> list[dict[str, Any]]:
    work_order = _get(request, work_order_id)[1]
    return [
        {"id": n.pk, "author": n.author_id, "text": n.text, "created_at": n.created_at}
        for n in work_order.notes.all()[:200]
    ]


@router.post(
    "/work-orders/{int:work_order_id}/notes", response={201: NoteOut}, summary="Add a note"
)
def note_add(request: HttpRequest, work_order_id: int, payload: NoteIn) -> Status[dict[str, Any]]:
    user, work_order = _get(request, work_order_id)
    note = services_onsite.note_add(actor=user, work_order=work_order, text=payload.text)
    return Status(
        201,
        {"id": note.pk, "author": note.author_id, "text": note.text, "created_at": note.created_at},
    )


def _photo(photo: Any) -> dict[str, Any]:
    from django.urls import reverse

    return {
        "id": photo.pk,
        "caption": photo.caption,
        "content_type": photo.content_type,
        "size": photo.size,
        "url": reverse("fieldservice:photo_file", args=[photo.work_order_id, photo.pk]),
    }


@router.get(
    "/work-orders/{int:work_order_id}/photos", response=list[PhotoOut], summary="A visit's photos"
)
def photo_list(request: HttpRequest, work_order_id: int) -> list[dict[str, Any]]:
    work_order = _get(request, work_order_id)[1]
    return [_photo(p) for p in work_order.photos.all()]


@router.post(
    "/work-orders/{int:work_order_id}/photos",
    response={201: PhotoOut},
    summary="Upload a photo (multipart: image, caption)",
)
def photo_add(
    request: HttpRequest,
    work_order_id: int,
    image: File[UploadedFile],
    caption: Form[str] = "",
) -> Status[dict[str, Any]]:
    user, work_order = _get(request, work_order_id)
    photo = services_onsite.photo_add(
        actor=user, work_order=work_order, upload=image, caption=caption
    )
    return Status(201, _photo(photo))
