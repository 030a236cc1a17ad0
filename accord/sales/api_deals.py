"""Deals and pipelines over the REST API (I3, K2, M1).

Thin: parse -> selector -> one service -> schema. Illegal moves come back as 422 naming the
field (``stage``, ``won_reason``, ``lost_reason``); a stale ``version`` as 409.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Schema, Status

from accord.core.api import PageParams, authed_user, paginate
from accord.core.permissions import ordered_scan
from accord.parties.models import Contact
from accord.sales import services_deals as services
from accord.sales.models import Deal, Pipeline, Stage
from accord.sales.selectors_deals import deals_visible_to, get_deal_for

router = Router(tags=["deals"])


# --- schemas --------------------------------------------------------------------------------


class DealOut(Schema):
    id: int
    name: str
    company: int
    contacts: list[int]
    pipeline: int
    stage: int
    stage_kind: str
    amount: Decimal
    currency: str
    expected_close: datetime.date | None
    source: int | None
    campaign: str
    lead: int | None
    description: str
    is_closed: bool
    is_won: bool
    closed_at: datetime.datetime | None
    won_reason: int | None
    lost_reason: int | None
    close_comment: str
    stage_entered_at: datetime.datetime
    owner: int
    team: int | None
    custom: dict[str, Any]
    version: int
    created_at: datetime.datetime
    updated_at: datetime.datetime


class DealPage(Schema):
    items: list[DealOut]
    next: str | None


class DealIn(Schema):
    """A new deal; pipeline and stage default to the default pipeline's first stage."""

    name: str
    company: int
    amount: Decimal = Decimal("0")
    currency: str | None = None
    pipeline: int | None = None
    stage: int | None = None
    expected_close: datetime.date | None = None
    source: int | None = None
    campaign: str = ""
    lead: int | None = None
    contacts: list[int] = []
    owner: int | None = None
    team: int | None = None
    description: str = ""
    custom: dict[str, Any] | None = None


class DealPatch(Schema):
    """Changed fields only. A new ``stage`` follows the move rules (give the reason for won
    or lost); a new ``pipeline`` without a stage puts the deal in its first open stage."""

    version: int
    name: str | None = None
    company: int | None = None
    amount: Decimal | None = None
    currency: str | None = None
    pipeline: int | None = None
    stage: int | None = None
    expected_close: datetime.date | None = None
    source: int | None = None
    campaign: str | None = None
    lead: int | None = None
    contacts: list[int] | None = None
    owner: int | None = None
    team: int | None = None
    description: str | None = None
    won_reason: int | None = None
    lost_reason: int | None = None
    close_comment: str | None = None
    custom: dict[str, Any] | None = None


class MoveIn(Schema):
    stage: int
    won_reason: int | None = None
    lost_reason: int | None = None
    comment: str = ""
    version: int | None = None


class DealFilters(Schema):
    pipeline: int | None = None
    stage: int | None = None
    company: int | None = None
    owner: int | None = None
    status: str | None = None  # open / won / lost
    expected_close_after: datetime.date | None = None
    expected_close_before: datetime.date | None = None


class StageOut(Schema):
    id: int
    name: str
    name_ru: str
    name_fr: str
    name_de: str
    kind: str
    probability: int
    position: int
    is_active: bool


class PipelineOut(Schema):
    id: int
    name: str
    name_ru: str
    name_fr: str
    name_de: str
    is_default: bool
    is_active: bool
    stages: list[StageOut]


# --- helpers --------------------------------------------------------------------------------


def _rows(queryset: QuerySet[Deal]) -> QuerySet[Deal]:
    return queryset.select_related("stage").prefetch_related(
        Prefetch("contacts", queryset=Contact.objects.only("id"))
    )


def render_deal(deal: Deal) -> dict[str, Any]:
    data: dict[str, Any] = {
        name: getattr(deal, name)
        for name in (
            "id",
            "name",
            "amount",
            "currency",
            "expected_close",
            "campaign",
            "description",
            "is_closed",
            "is_won",
            "closed_at",
            "close_comment",
            "stage_entered_at",
            "custom",
            "version",
            "created_at",
            "updated_at",
        )
    }
    data.update(
        company=deal.company_id,
        pipeline=deal.pipeline_id,
        stage=deal.stage_id,
        stage_kind=deal.stage.kind,
        source=deal.source_id,
        lead=deal.lead_id,
        won_reason=deal.won_reason_id,
        lost_reason=deal.lost_reason_id,
        owner=deal.owner_id,
        team=deal.team_id,
        contacts=sorted(c.pk for c in deal.contacts.all()),
    )
    return data


def _one(pk: int) -> dict[str, Any]:
    return render_deal(_rows(Deal.objects.filter(pk=pk)).get())


# --- deals ----------------------------------------------------------------------------------


@router.get("/deals", response=DealPage, summary="Deals the caller may see")
def deal_list(
    request: HttpRequest, filters: Query[DealFilters], page: Query[PageParams]
) -> dict[str, Any]:
    with ordered_scan():  # see permissions.ordered_scan
        queryset = deals_visible_to(authed_user(request))
        for name in ("pipeline", "stage", "company", "owner"):
            value = getattr(filters, name)
            if value is not None:
                queryset = queryset.filter(**{f"{name}_id": value})
        if filters.status == "open":
            queryset = queryset.filter(is_closed=False)
        elif filters.status == "won":
            queryset = queryset.filter(is_closed=True, is_won=True)
        elif filters.status == "lost":
            queryset = queryset.filter(is_closed=True, is_won=False)
        if filters.expected_close_after:
            queryset = queryset.filter(expected_close__gte=filters.expected_close_after)
        if filters.expected_close_before:
            queryset = queryset.filter(expected_close__lt=filters.expected_close_before)
        return paginate(
            _rows(queryset),
            order=("-created_at", "-id"),
            after=page.after,
            limit=page.limit,
            render=render_deal,
        )


@router.post("/deals", response={201: DealOut}, summary="Open a deal")
def deal_create(request: HttpRequest, payload: DealIn) -> Status[dict[str, Any]]:
    user = authed_user(request)
    data = payload.model_dump(exclude_unset=True)
    deal = services.deal_create(actor=user, **data)
    return Status(201, _one(deal.pk))


@router.get("/deals/{int:deal_id}", response=DealOut, summary="One deal")
def deal_detail(request: HttpRequest, deal_id: int) -> dict[str, Any]:
    deal = get_deal_for(authed_user(request), deal_id)
    return _one(deal.pk)


@router.patch("/deals/{int:deal_id}", response=DealOut, summary="Change a deal")
def deal_update(request: HttpRequest, deal_id: int, payload: DealPatch) -> dict[str, Any]:
    user = authed_user(request)
    deal = get_deal_for(user, deal_id)
    fields = payload.model_dump(exclude_unset=True)
    version = fields.pop("version")
    contacts = fields.pop("contacts", None)
    custom = fields.pop("custom", None)
    updated = services.deal_update(
        actor=user,
        deal=deal,
        fields=fields,
        contacts=contacts,
        custom=custom,
        expected_version=version,
    )
    return _one(updated.pk)


@router.delete("/deals/{int:deal_id}", response={204: None}, summary="Delete a deal")
def deal_delete(request: HttpRequest, deal_id: int, version: int | None = None) -> Status[None]:
    user = authed_user(request)
    deal = get_deal_for(user, deal_id)
    services.deal_delete(actor=user, deal=deal, expected_version=version)
    return Status(204, None)


@router.post("/deals/{int:deal_id}/move", response=DealOut, summary="Move a deal to a stage")
def deal_move(request: HttpRequest, deal_id: int, payload: MoveIn) -> dict[str, Any]:
    user = authed_user(request)
    deal = get_deal_for(user, deal_id)
    moved = services.deal_move(
        actor=user,
        deal=deal,
        stage=payload.stage,
        won_reason=payload.won_reason,
        lost_reason=payload.lost_reason,
        comment=payload.comment,
        expected_version=payload.version,
    )
    return _one(moved.pk)


# --- pipelines ------------------------------------------------------------------------------


@router.get("/pipelines", response=list[PipelineOut], summary="Pipelines with their stages")
def pipeline_list(request: HttpRequest) -> list[dict[str, Any]]:
    pipelines = Pipeline.objects.order_by("position", "id").prefetch_related(
        Prefetch("stages", queryset=Stage.objects.order_by("position", "id"))
    )
    fields = ("id", "name", "name_ru", "name_fr", "name_de")
    stage_fields = (*fields, "kind", "probability", "position", "is_active")
    return [
        {
            **{name: getattr(p, name) for name in fields},
            "is_default": p.is_default,
            "is_active": p.is_active,
            "stages": [{name: getattr(s, name) for name in stage_fields} for s in p.stages.all()],
        }
        for p in pipelines
    ]
