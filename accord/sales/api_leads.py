"""Leads over the REST API (I3, K6, K2): entry (assignment rules apply), qualification,
duplicate check and conversion.

Thin: parse -> selector -> one service -> schema. A lead the caller may not see is a 404
exactly like a missing one.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from accord.core.api import PageParams, authed_user, paginate
from accord.core.models import Picklist, PicklistOption, Team, User
from accord.core.permissions import ordered_scan
from accord.parties.duplicates import Duplicate
from accord.parties.selectors import companies_visible_to, contacts_visible_to
from accord.sales import services_leads
from accord.sales.models import Lead, Pipeline
from accord.sales.selectors_leads import (
    LeadDuplicate,
    find_lead_duplicates,
    get_lead_for,
    leads_visible_to,
)

router = Router(tags=["leads"])

PICKLIST_FIELDS = {"source": Picklist.SOURCE, "region": Picklist.REGION}


# --- schemas ----------------------------------------------------------------------------------


class LeadOut(Schema):
    id: int
    status: str
    full_name: str
    company_name: str
    position: str
    email: str
    phone: str
    inn: str
    country: str
    city: str
    region: str | None
    source: str | None
    campaign: str
    channel: str
    description: str
    estimated_amount: Decimal | None
    currency: str
    unqualified_reason: str
    owner: int
    team: int | None
    converted_at: datetime.datetime | None
    converted_company: int | None
    converted_contact: int | None
    converted_deal: int | None
    version: int
    created_at: datetime.datetime
    updated_at: datetime.datetime


class LeadPage(Schema):
    items: list[LeadOut]
    next: str | None


class LeadIn(Schema):
    """A new lead. ``source`` and ``region`` are picklist codes. Without ``owner`` the
    assignment rules choose one (else the caller owns it)."""

    full_name: str = ""
    company_name: str = ""
    position: str = ""
    email: str = ""
    phone: str = ""
    inn: str = ""
    country: str = ""
    city: str = ""
    region: str | None = None
    source: str | None = None
    campaign: str = ""
    description: str = ""
    estimated_amount: Decimal | None = None
    currency: str = ""
    owner: int | None = None
    team: int | None = None


class LeadPatch(Schema):
    version: int
    full_name: str | None = None
    company_name: str | None = None
    position: str | None = None
    email: str | None = None
    phone: str | None = None
    inn: str | None = None
    country: str | None = None
    city: str | None = None
    region: str | None = None
    source: str | None = None
    campaign: str | None = None
    description: str | None = None
    estimated_amount: Decimal | None = None
    currency: str | None = None
    owner: int | None = None
    team: int | None = None


class LeadFilters(Schema):
    status: str | None = None
    source: str | None = None
    region: str | None = None
    campaign: str | None = None
    owner: int | None = None
    team: int | None = None
    created_after: datetime.datetime | None = None
    created_before: datetime.datetime | None = None


class LeadStatusIn(Schema):
    status: str
    unqualified_reason: str = ""
    version: int | None = None


class ConvertIn(Schema):
    """``company`` / ``contact``: ids of existing records to reuse (visible to the caller);
    without them a company (or the one with the lead's INN) and a contact are created."""

    company: int | None = None
    company_name: str = ""
    contact: int | None = None
    create_contact: bool = True
    contact_last_name: str = ""
    contact_first_name: str = ""
    create_deal: bool = True
    deal_name: str = ""
    amount: Decimal | None = None
    currency: str | None = None
    pipeline: int | None = None
    version: int | None = None


class ConvertOut(Schema):
    lead: LeadOut
    company: int
    contact: int | None
    deal: int | None
    company_created: bool
    contact_created: bool


class DuplicateQuery(Schema):
    full_name: str = ""
    company_name: str = ""
    email: str = ""
    phone: str = ""
    inn: str = ""
    exclude_id: int | None = None


class LeadDuplicateOut(Schema):
    kind: str
    visible: bool
    id: int | None
    name: str | None
    owner_name: str
    reasons: list[str]


# --- helpers ----------------------------------------------------------------------------------


def render_lead(lead: Lead) -> dict[str, Any]:
    references = {"region", "source", "owner", "team"} | {
        name for name in LeadOut.model_fields if name.startswith("converted_")
    }
    data = {name: getattr(lead, name) for name in LeadOut.model_fields if name not in references}
    data.update(
        converted_at=lead.converted_at,
        region=lead.region.code if lead.region else None,
        source=lead.source.code if lead.source else None,
        owner=lead.owner_id,
        team=lead.team_id,
        converted_company=lead.converted_company_id,
        converted_contact=lead.converted_contact_id,
        converted_deal=lead.converted_deal_id,
    )
    return data


def _lead_rows(queryset: Any) -> Any:
    return queryset.select_related("region", "source")


def _reload(lead: Lead) -> dict[str, Any]:
    return render_lead(_lead_rows(Lead.objects.filter(pk=lead.pk)).get())


def _resolve_refs(data: dict[str, Any]) -> dict[str, Any]:
    """Picklist codes and ids -> instances; unknown ones name the field."""
    errors: dict[str, list[str]] = {}
    fields = dict(data)
    for name, picklist in PICKLIST_FIELDS.items():
        if name not in fields:
            continue
        code = fields[name]
        if not code:
            fields[name] = None
            continue
        option = PicklistOption.objects.filter(picklist=picklist, code=code, is_active=True).first()
        if option is None:
            errors[name] = [_("Unknown option “%(code)s”.") % {"code": code}]
        fields[name] = option
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
    for name in ("full_name", "company_name", "position", "email", "phone", "inn", "country"):
        if name in fields and fields[name] is None:
            fields[name] = ""
    for name in ("city", "campaign", "description", "currency"):
        if name in fields and fields[name] is None:
            fields[name] = ""
    if errors:
        raise ValidationError(errors)
    return fields


def _duplicate_rows(
    kind: str, found: list[Duplicate] | list[LeadDuplicate]
) -> list[dict[str, Any]]:
    return [
        {
            "kind": kind,
            "visible": d.visible,
            "id": d.obj.pk if d.visible else None,
            "name": str(d.obj) if d.visible else None,
            "owner_name": d.owner_name,
            "reasons": d.reasons,
        }
        for d in found
    ]


# --- endpoints --------------------------------------------------------------------------------


@router.get("/leads", response=LeadPage, summary="Leads the caller may see, newest first")
def lead_list(
    request: HttpRequest, filters: Query[LeadFilters], page: Query[PageParams]
) -> dict[str, Any]:
    with ordered_scan():  # see permissions.ordered_scan
        queryset = leads_visible_to(authed_user(request))
        if filters.status:
            queryset = queryset.filter(status=filters.status)
        if filters.source:
            queryset = queryset.filter(source__code=filters.source)
        if filters.region:
            queryset = queryset.filter(region__code=filters.region)
        if filters.campaign:
            queryset = queryset.filter(campaign=filters.campaign)
        if filters.owner is not None:
            queryset = queryset.filter(owner_id=filters.owner)
        if filters.team is not None:
            queryset = queryset.filter(team_id=filters.team)
        if filters.created_after:
            queryset = queryset.filter(created_at__gte=filters.created_after)
        if filters.created_before:
            queryset = queryset.filter(created_at__lt=filters.created_before)
        return paginate(
            _lead_rows(queryset),
            order=("-created_at", "-id"),
            after=page.after,
            limit=page.limit,
            render=render_lead,
        )


@router.post("/leads", response={201: LeadOut}, summary="Record a lead (assignment rules apply)")
def lead_create(request: HttpRequest, payload: LeadIn) -> Status[dict[str, Any]]:
    lead = services_leads.lead_create(
        actor=authed_user(request),
        fields=_resolve_refs(payload.model_dump()),
        channel=Lead.Channel.API,
    )
    return Status(201, _reload(lead))


@router.get(
    "/leads/duplicates",
    response=list[LeadDuplicateOut],
    summary="Leads, companies and contacts a lead about to be entered may duplicate",
)
def lead_duplicates(request: HttpRequest, query: Query[DuplicateQuery]) -> list[Any]:
    found = find_lead_duplicates(
        user=authed_user(request),
        full_name=query.full_name,
        company_name=query.company_name,
        email=query.email,
        phone=query.phone,
        inn=query.inn,
        exclude_pk=query.exclude_id,
    )
    return [
        *_duplicate_rows("lead", found.leads),
        *_duplicate_rows("company", found.companies),
        *_duplicate_rows("contact", found.contacts),
    ]


@router.get("/leads/{int:lead_id}", response=LeadOut, summary="One lead")
def lead_detail(request: HttpRequest, lead_id: int) -> dict[str, Any]:
    return _reload(get_lead_for(authed_user(request), lead_id))


@router.patch("/leads/{int:lead_id}", response=LeadOut, summary="Change a lead")
def lead_update(request: HttpRequest, lead_id: int, payload: LeadPatch) -> dict[str, Any]:
    user = authed_user(request)
    lead = get_lead_for(user, lead_id)
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    lead = services_leads.lead_update(
        actor=user, lead=lead, fields=_resolve_refs(data), expected_version=version
    )
    return _reload(lead)


@router.delete("/leads/{int:lead_id}", response={204: None}, summary="Delete a lead")
def lead_delete(request: HttpRequest, lead_id: int, version: int) -> Status[None]:
    user = authed_user(request)
    lead = get_lead_for(user, lead_id)
    services_leads.lead_delete(actor=user, lead=lead, expected_version=version)
    return Status(204, None)


@router.post(
    "/leads/{int:lead_id}/status", response=LeadOut, summary="Change the qualification status"
)
def lead_status(request: HttpRequest, lead_id: int, payload: LeadStatusIn) -> dict[str, Any]:
    user = authed_user(request)
    lead = services_leads.lead_set_status(
        actor=user,
        lead=get_lead_for(user, lead_id),
        status=payload.status,
        unqualified_reason=payload.unqualified_reason,
        expected_version=payload.version,
    )
    return _reload(lead)


@router.post(
    "/leads/{int:lead_id}/convert",
    response=ConvertOut,
    summary="Convert into company + contact + deal in one step",
)
def lead_convert(request: HttpRequest, lead_id: int, payload: ConvertIn) -> dict[str, Any]:
    user = authed_user(request)
    lead = get_lead_for(user, lead_id)
    errors: dict[str, list[str]] = {}
    company = None
    if payload.company is not None:
        company = companies_visible_to(user).filter(pk=payload.company).first()
        if company is None:
            errors["company"] = [_("Company not found.")]
    contact = None
    if payload.contact is not None:
        contact = contacts_visible_to(user).filter(pk=payload.contact).first()
        if contact is None:
            errors["contact"] = [_("Contact not found.")]
    pipeline = None
    if payload.pipeline is not None:
        pipeline = Pipeline.objects.filter(pk=payload.pipeline, is_active=True).first()
        if pipeline is None:
            errors["pipeline"] = [_("No active pipeline with this id.")]
    if errors:
        raise ValidationError(errors)
    conversion = services_leads.lead_convert(
        actor=user,
        lead=lead,
        company=company,
        company_name=payload.company_name,
        contact=contact,
        create_contact=payload.create_contact,
        contact_last_name=payload.contact_last_name,
        contact_first_name=payload.contact_first_name,
        create_deal=payload.create_deal,
        deal_name=payload.deal_name,
        amount=payload.amount,
        currency=payload.currency,
        pipeline=pipeline,
        expected_version=payload.version,
    )
    return {
        "lead": _reload(conversion.lead),
        "company": conversion.company.pk,
        "contact": conversion.contact.pk if conversion.contact else None,
        "deal": conversion.deal.pk if conversion.deal else None,
        "company_created": conversion.company_created,
        "contact_created": conversion.contact_created,
    }
