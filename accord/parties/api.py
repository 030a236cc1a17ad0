"""Companies, contacts, duplicates and reassignment over the REST API (I3, S1, D1, D6, M2).

Thin: parse -> selector -> one service -> schema. Reads go through the scoped selectors, so a
record the caller may not see is a 404 exactly like a missing one.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from accord.core import customfields
from accord.core.api import PageParams, authed_user, paginate
from accord.core.models import Picklist, PicklistOption, Team, User
from accord.core.permissions import Action, Scope, ordered_scan, user_scope
from accord.parties import normalize, services
from accord.parties.duplicates import Duplicate, find_company_duplicates, find_contact_duplicates
from accord.parties.models import Company, Contact, ContactPoint, Employment
from accord.parties.search import text_match
from accord.parties.selectors import (
    companies_visible_to,
    contacts_visible_to,
    get_company_for,
    get_contact_for,
)

router = Router(tags=["parties"])

PICKLIST_FIELDS = {
    "industry": Picklist.INDUSTRY,
    "region": Picklist.REGION,
    "company_type": Picklist.COMPANY_TYPE,
    "source": Picklist.SOURCE,
    "size": Picklist.SIZE,
}


# --- schemas --------------------------------------------------------------------------------


class PointIn(Schema):
    value: str
    label: str = ""


class PhoneOut(Schema):
    value: str
    normalized: str
    display: str
    label: str


class PointOut(Schema):
    value: str
    normalized: str
    label: str


class AddressSchema(Schema):
    kind: str = "office"
    street: str
    postcode: str = ""
    city: str = ""
    region_name: str = ""
    country: str = ""


class CompanyOut(Schema):
    id: int
    name: str
    legal_name: str
    inn: str
    kpp: str
    ogrn: str
    siren: str
    siret: str
    vat_number: str
    industry: str | None
    industry_label: str | None
    region: str | None
    region_label: str | None
    company_type: str | None
    company_type_label: str | None
    source: str | None
    source_label: str | None
    size: str | None
    size_label: str | None
    country: str
    website: str
    description: str
    owner: int
    team: int | None
    tags: list[str]
    phones: list[PhoneOut]
    emails: list[PointOut]
    addresses: list[AddressSchema]
    custom: dict[str, Any]
    version: int
    created_at: datetime.datetime
    updated_at: datetime.datetime


class CompanyPage(Schema):
    items: list[CompanyOut]
    next: str | None


class CompanyIn(Schema):
    name: str
    legal_name: str = ""
    inn: str = ""
    kpp: str = ""
    ogrn: str = ""
    siren: str = ""
    siret: str = ""
    vat_number: str = ""
    industry: str | None = None
    region: str | None = None
    company_type: str | None = None
    source: str | None = None
    size: str | None = None
    country: str = ""
    website: str = ""
    description: str = ""
    owner: int | None = None
    team: int | None = None
    tags: list[str] = []
    phones: list[str | PointIn] = []
    emails: list[str | PointIn] = []
    addresses: list[AddressSchema] = []
    custom: dict[str, Any] = {}


class CompanyPatch(Schema):
    """Only the fields sent are changed; ``version`` is the one the client last read."""

    version: int
    name: str | None = None
    legal_name: str | None = None
    inn: str | None = None
    kpp: str | None = None
    ogrn: str | None = None
    siren: str | None = None
    siret: str | None = None
    vat_number: str | None = None
    industry: str | None = None
    region: str | None = None
    company_type: str | None = None
    source: str | None = None
    size: str | None = None
    country: str | None = None
    website: str | None = None
    description: str | None = None
    owner: int | None = None
    team: int | None = None
    tags: list[str] | None = None
    phones: list[str | PointIn] | None = None
    emails: list[str | PointIn] | None = None
    addresses: list[AddressSchema] | None = None
    custom: dict[str, Any] | None = None


class CompanyFilters(Schema):
    q: str | None = None
    owner: int | None = None
    team: int | None = None
    industry: str | None = None
    region: str | None = None
    company_type: str | None = None
    source: str | None = None
    size: str | None = None
    country: str | None = None
    tag: str | None = None
    updated_after: datetime.datetime | None = None


class ContactOut(Schema):
    id: int
    first_name: str
    last_name: str
    middle_name: str
    full_name: str
    position: str
    companies: list[int]
    primary_company: int | None
    birthday: datetime.date | None
    preferred_channel: str
    do_not_call: bool
    do_not_email: bool
    notes: str
    owner: int
    team: int | None
    tags: list[str]
    phones: list[PhoneOut]
    emails: list[PointOut]
    messengers: list[PointOut]
    custom: dict[str, Any]
    version: int
    created_at: datetime.datetime
    updated_at: datetime.datetime


class ContactPage(Schema):
    items: list[ContactOut]
    next: str | None


class ContactIn(Schema):
    first_name: str = ""
    last_name: str = ""
    middle_name: str = ""
    position: str = ""
    companies: list[int] = []
    birthday: datetime.date | None = None
    preferred_channel: str = ""
    do_not_call: bool = False
    do_not_email: bool = False
    notes: str = ""
    owner: int | None = None
    team: int | None = None
    tags: list[str] = []
    phones: list[str | PointIn] = []
    emails: list[str | PointIn] = []
    messengers: list[str | PointIn] = []
    custom: dict[str, Any] = {}


class ContactPatch(Schema):
    version: int
    first_name: str | None = None
    last_name: str | None = None
    middle_name: str | None = None
    position: str | None = None
    companies: list[int] | None = None
    birthday: datetime.date | None = None
    preferred_channel: str | None = None
    do_not_call: bool | None = None
    do_not_email: bool | None = None
    notes: str | None = None
    owner: int | None = None
    team: int | None = None
    tags: list[str] | None = None
    phones: list[str | PointIn] | None = None
    emails: list[str | PointIn] | None = None
    messengers: list[str | PointIn] | None = None
    custom: dict[str, Any] | None = None


class ContactFilters(Schema):
    q: str | None = None
    owner: int | None = None
    team: int | None = None
    company: int | None = None
    tag: str | None = None
    updated_after: datetime.datetime | None = None


class CompanyDuplicateQuery(Schema):
    name: str = ""
    inn: str = ""
    siren: str = ""
    vat_number: str = ""
    phones: list[str] = []
    emails: list[str] = []
    exclude_id: int | None = None


class ContactDuplicateQuery(Schema):
    first_name: str = ""
    last_name: str = ""
    phones: list[str] = []
    emails: list[str] = []
    exclude_id: int | None = None


class DuplicateOut(Schema):
    """A likely duplicate. ``visible`` false: it exists but belongs to someone the caller may
    not see; only its owner's name and the reasons are given, so they can talk (D6)."""

    visible: bool
    id: int | None
    name: str | None
    owner_name: str
    reasons: list[str]


class ReassignIn(Schema):
    from_user: int
    to_user: int
    company_ids: list[int] | None = None


class ReassignOut(Schema):
    companies: int
    contacts: int
    related: dict[str, int]


# --- helpers ------------------------------------------------------------------------------


def _points(items: list[Any] | None) -> list[dict[str, str]] | None:
    if items is None:
        return None
    return [
        {"value": item, "label": ""} if isinstance(item, str) else item.model_dump()
        for item in items
    ]


def _resolve_refs(data: dict[str, Any]) -> dict[str, Any]:
    """Codes and ids from the request -> model instances; unknown ones name the field."""
    errors: dict[str, list[str]] = {}
    fields = dict(data)
    picklist_codes = {name: fields[name] for name in PICKLIST_FIELDS if name in fields}
    wanted = {code for code in picklist_codes.values() if code}
    options = (
        {
            (o.picklist, o.code): o
            for o in PicklistOption.objects.filter(code__in=wanted, is_active=True)
        }
        if wanted
        else {}
    )
    for name, code in picklist_codes.items():
        if not code:
            fields[name] = None
            continue
        option = options.get((PICKLIST_FIELDS[name], code))
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
    if "team" in fields and fields["team"] is not None:
        team = Team.objects.filter(pk=fields["team"]).first()
        if team is None:
            errors["team"] = [_("No team with this id.")]
        fields["team"] = team
    if errors:
        raise ValidationError(errors)
    return fields


def _custom_filter(queryset: QuerySet[Any], model: str, request: HttpRequest) -> QuerySet[Any]:
    params = {k: str(request.GET.get(k, "")) for k in request.GET if k.startswith("cf_")}
    return customfields.filter_queryset(queryset, model, params) if params else queryset


def _render_points(obj: Company | Contact) -> dict[str, list[dict[str, str]]]:
    result: dict[str, list[dict[str, str]]] = {"phones": [], "emails": [], "messengers": []}
    for point in obj.contact_points.all():
        entry = {"value": point.value, "normalized": point.normalized, "label": point.label}
        if point.kind == ContactPoint.Kind.PHONE:
            result["phones"].append({**entry, "display": normalize.display_phone(point.normalized)})
        elif point.kind == ContactPoint.Kind.EMAIL:
            result["emails"].append(entry)
        else:
            result["messengers"].append(entry)
    return result


def _option(option: PicklistOption | None) -> tuple[str | None, str | None]:
    return (option.code, option.localized_label()) if option is not None else (None, None)


def render_company(company: Company) -> dict[str, Any]:
    data: dict[str, Any] = {
        name: getattr(company, name)
        for name in (
            "id",
            "name",
            "legal_name",
            "inn",
            "kpp",
            "ogrn",
            "siren",
            "siret",
            "vat_number",
            "country",
            "website",
            "description",
            "custom",
            "version",
            "created_at",
            "updated_at",
        )
    }
    for name in PICKLIST_FIELDS:
        data[name], data[f"{name}_label"] = _option(getattr(company, name))
    points = _render_points(company)
    data.update(
        owner=company.owner_id,
        team=company.team_id,
        tags=sorted(t.name for t in company.tags.all()),
        phones=points["phones"],
        emails=points["emails"],
        addresses=[
            {
                k: getattr(a, k)
                for k in ("kind", "street", "postcode", "city", "region_name", "country")
            }
            for a in company.addresses.all()
        ],
    )
    return data


def render_contact(contact: Contact) -> dict[str, Any]:
    data: dict[str, Any] = {
        name: getattr(contact, name)
        for name in (
            "id",
            "first_name",
            "last_name",
            "middle_name",
            "full_name",
            "position",
            "birthday",
            "preferred_channel",
            "do_not_call",
            "do_not_email",
            "notes",
            "custom",
            "version",
            "created_at",
            "updated_at",
        )
    }
    data.update(
        owner=contact.owner_id,
        team=contact.team_id,
        primary_company=contact.primary_company_id,
        companies=[e.company_id for e in contact.employments.all()],
        tags=sorted(t.name for t in contact.tags.all()),
        **_render_points(contact),
    )
    return data


def _company_rows(queryset: QuerySet[Company]) -> QuerySet[Company]:
    return queryset.select_related(*PICKLIST_FIELDS).prefetch_related(
        "contact_points", "tags", "addresses"
    )


def _contact_rows(queryset: QuerySet[Contact]) -> QuerySet[Contact]:
    return queryset.prefetch_related(
        "contact_points",
        "tags",
        Prefetch("employments", queryset=Employment.objects.order_by("-is_primary", "id")),
    )


def _duplicates(found: list[Duplicate]) -> list[dict[str, Any]]:
    return [
        {
            "visible": d.visible,
            "id": d.obj.pk if d.visible else None,
            "name": str(d.obj) if d.visible else None,
            "owner_name": d.owner_name,
            "reasons": d.reasons,
        }
        for d in found
    ]


# --- companies ------------------------------------------------------------------------------


@router.get("/companies", response=CompanyPage, summary="Companies the caller may see")
def company_list(
    request: HttpRequest, filters: Query[CompanyFilters], page: Query[PageParams]
) -> dict[str, Any]:
    with ordered_scan():  # see permissions.ordered_scan
        queryset = companies_visible_to(authed_user(request))
        if filters.q:
            queryset = text_match(queryset, filters.q)
        if filters.owner is not None:
            queryset = queryset.filter(owner_id=filters.owner)
        if filters.team is not None:
            queryset = queryset.filter(team_id=filters.team)
        for name in PICKLIST_FIELDS:
            code = getattr(filters, name)
            if code:
                queryset = queryset.filter(**{f"{name}__code": code})
        if filters.country:
            queryset = queryset.filter(country=filters.country.upper())
        if filters.tag:
            queryset = queryset.filter(tags__name=filters.tag)
        if filters.updated_after:
            queryset = queryset.filter(updated_at__gt=filters.updated_after)
        queryset = _custom_filter(queryset, "company", request)
        return paginate(
            _company_rows(queryset),
            order=("name", "id"),
            after=page.after,
            limit=page.limit,
            render=render_company,
        )


@router.post("/companies", response={201: CompanyOut}, summary="Create a company")
def company_create(request: HttpRequest, payload: CompanyIn) -> Status[dict[str, Any]]:
    user = authed_user(request)
    data = payload.model_dump(exclude={"tags", "phones", "emails", "custom", "addresses"})
    company = services.company_create(
        actor=user,
        fields=_resolve_refs(data),
        phones=_points(payload.phones) or [],
        emails=_points(payload.emails) or [],
        tags=payload.tags,
        custom=payload.custom,
        addresses=[a.model_dump() for a in payload.addresses],
    )
    return Status(201, render_company(_company_rows(Company.objects.filter(pk=company.pk)).get()))


@router.post(
    "/companies/duplicates",
    response=list[DuplicateOut],
    summary="Likely duplicates of a company about to be entered",
)
def company_duplicates(request: HttpRequest, payload: CompanyDuplicateQuery) -> list[Any]:
    return _duplicates(
        find_company_duplicates(
            user=authed_user(request),
            name=payload.name,
            inn=payload.inn,
            siren=payload.siren,
            vat_number=payload.vat_number,
            phones=payload.phones,
            emails=payload.emails,
            exclude_pk=payload.exclude_id,
        )
    )


@router.get("/companies/{int:company_id}", response=CompanyOut, summary="One company")
def company_detail(request: HttpRequest, company_id: int) -> dict[str, Any]:
    company = get_company_for(authed_user(request), company_id)
    return render_company(_company_rows(Company.objects.filter(pk=company.pk)).get())


@router.patch("/companies/{int:company_id}", response=CompanyOut, summary="Change a company")
def company_update(request: HttpRequest, company_id: int, payload: CompanyPatch) -> dict[str, Any]:
    user = authed_user(request)
    company = get_company_for(user, company_id)
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    lists = {
        k: data.pop(k) for k in ("tags", "phones", "emails", "custom", "addresses") if k in data
    }
    company = services.company_update(
        actor=user,
        company=company,
        fields=_resolve_refs(data),
        expected_version=version,
        phones=_points(payload.phones) if "phones" in lists else None,
        emails=_points(payload.emails) if "emails" in lists else None,
        tags=lists.get("tags"),
        custom=lists.get("custom"),
        addresses=lists.get("addresses"),
    )
    return render_company(_company_rows(Company.objects.filter(pk=company.pk)).get())


@router.delete("/companies/{int:company_id}", response={204: None}, summary="Delete a company")
def company_delete(request: HttpRequest, company_id: int, version: int) -> Status[None]:
    user = authed_user(request)
    company = get_company_for(user, company_id)
    services.company_delete(actor=user, company=company, expected_version=version)
    return Status(204, None)


@router.get(
    "/companies/{int:company_id}/contacts",
    response=ContactPage,
    summary="The company's contacts the caller may see",
)
def company_contacts(
    request: HttpRequest, company_id: int, page: Query[PageParams]
) -> dict[str, Any]:
    user = authed_user(request)
    company = get_company_for(user, company_id)
    queryset = contacts_visible_to(user).filter(employments__company=company)
    return paginate(
        _contact_rows(queryset),
        order=("full_name", "id"),
        after=page.after,
        limit=page.limit,
        render=render_contact,
    )


# --- contacts ---------------------------------------------------------------------------------


@router.get("/contacts", response=ContactPage, summary="Contacts the caller may see")
def contact_list(
    request: HttpRequest, filters: Query[ContactFilters], page: Query[PageParams]
) -> dict[str, Any]:
    with ordered_scan():  # see permissions.ordered_scan
        queryset = contacts_visible_to(authed_user(request))
        if filters.q:
            queryset = text_match(queryset, filters.q)
        if filters.owner is not None:
            queryset = queryset.filter(owner_id=filters.owner)
        if filters.team is not None:
            queryset = queryset.filter(team_id=filters.team)
        if filters.company is not None:
            queryset = queryset.filter(employments__company_id=filters.company)
        if filters.tag:
            queryset = queryset.filter(tags__name=filters.tag)
        if filters.updated_after:
            queryset = queryset.filter(updated_at__gt=filters.updated_after)
        queryset = _custom_filter(queryset, "contact", request)
        return paginate(
            _contact_rows(queryset),
            order=("full_name", "id"),
            after=page.after,
            limit=page.limit,
            render=render_contact,
        )


@router.post("/contacts", response={201: ContactOut}, summary="Create a contact")
def contact_create(request: HttpRequest, payload: ContactIn) -> Status[dict[str, Any]]:
    user = authed_user(request)
    data = payload.model_dump(
        exclude={"companies", "tags", "phones", "emails", "messengers", "custom"}
    )
    contact = services.contact_create(
        actor=user,
        fields=_resolve_refs(data),
        companies=payload.companies,
        phones=_points(payload.phones) or [],
        emails=_points(payload.emails) or [],
        messengers=_points(payload.messengers) or [],
        tags=payload.tags,
        custom=payload.custom,
    )
    return Status(201, render_contact(_contact_rows(Contact.objects.filter(pk=contact.pk)).get()))


@router.post(
    "/contacts/duplicates",
    response=list[DuplicateOut],
    summary="Likely duplicates of a contact about to be entered",
)
def contact_duplicates(request: HttpRequest, payload: ContactDuplicateQuery) -> list[Any]:
    return _duplicates(
        find_contact_duplicates(
            user=authed_user(request),
            first_name=payload.first_name,
            last_name=payload.last_name,
            phones=payload.phones,
            emails=payload.emails,
            exclude_pk=payload.exclude_id,
        )
    )


@router.get("/contacts/{int:contact_id}", response=ContactOut, summary="One contact")
def contact_detail(request: HttpRequest, contact_id: int) -> dict[str, Any]:
    contact = get_contact_for(authed_user(request), contact_id)
    return render_contact(_contact_rows(Contact.objects.filter(pk=contact.pk)).get())


@router.patch("/contacts/{int:contact_id}", response=ContactOut, summary="Change a contact")
def contact_update(request: HttpRequest, contact_id: int, payload: ContactPatch) -> dict[str, Any]:
    user = authed_user(request)
    contact = get_contact_for(user, contact_id)
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    lists = {
        k: data.pop(k)
        for k in ("companies", "tags", "phones", "emails", "messengers", "custom")
        if k in data
    }
    contact = services.contact_update(
        actor=user,
        contact=contact,
        fields=_resolve_refs(data),
        expected_version=version,
        companies=lists.get("companies"),
        phones=_points(payload.phones) if "phones" in lists else None,
        emails=_points(payload.emails) if "emails" in lists else None,
        messengers=_points(payload.messengers) if "messengers" in lists else None,
        tags=lists.get("tags"),
        custom=lists.get("custom"),
    )
    return render_contact(_contact_rows(Contact.objects.filter(pk=contact.pk)).get())


@router.delete("/contacts/{int:contact_id}", response={204: None}, summary="Delete a contact")
def contact_delete(request: HttpRequest, contact_id: int, version: int) -> Status[None]:
    user = authed_user(request)
    contact = get_contact_for(user, contact_id)
    services.contact_delete(actor=user, contact=contact, expected_version=version)
    return Status(204, None)


# --- reassignment -----------------------------------------------------------------------------


@router.post(
    "/clients/reassign",
    response=ReassignOut,
    summary="Hand a manager's clients to another user (M2)",
)
def clients_reassign(request: HttpRequest, payload: ReassignIn) -> dict[str, Any]:
    user = authed_user(request)
    if user_scope(user, "company", Action.REASSIGN) == Scope.NONE:
        raise PermissionDenied(_("You do not have permission to do this."))
    users = {u.pk: u for u in User.objects.filter(pk__in=[payload.from_user, payload.to_user])}
    errors = {
        name: [_("No user with this id.")]
        for name in ("from_user", "to_user")
        if getattr(payload, name) not in users
    }
    if errors:
        raise ValidationError(errors)
    result = services.clients_reassign(
        actor=user,
        from_user=users[payload.from_user],
        to_user=users[payload.to_user],
        company_ids=payload.company_ids,
    )
    return {"companies": result.companies, "contacts": result.contacts, "related": result.related}
