"""Quotes over the REST API (S4, I3): the same services as the pages, so the same rules.

Thin: parse -> selector -> one service -> schema. Lines are reached through their quote.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError

from accord.commerce import mail, pdf, services_quotes
from accord.commerce.models import Quote, QuoteLine
from accord.commerce.pricing import LineDraft
from accord.commerce.selectors_quotes import get_quote_for, get_quote_line_for, quotes_visible_to
from accord.core.api import PageParams, authed_user, paginate
from accord.core.models import User
from accord.core.permissions import ordered_scan

router = Router(tags=["quotes"])


# --- schemas --------------------------------------------------------------------------------


class QuoteLineOut(Schema):
    id: int
    position: int
    product: int | None
    description: str
    configuration: list[dict[str, Any]]
    quantity: Decimal
    unit: str
    unit_price: Decimal
    discount_percent: Decimal
    tax_rate: Decimal
    net_amount: Decimal
    tax_amount: Decimal
    total_amount: Decimal


class QuoteSummaryOut(Schema):
    id: int
    number: str
    revision: int
    previous: int | None
    is_latest: bool
    status: str
    deal: int
    company: int
    contact: int | None
    currency: str
    price_list: int | None
    discount_percent: Decimal
    valid_until: datetime.date | None
    language: str
    subtotal: Decimal
    discount_total: Decimal
    tax_total: Decimal
    total: Decimal
    sent_at: datetime.datetime | None
    sent_to: str
    decided_at: datetime.datetime | None
    rejection_reason: str
    owner: int
    team: int | None
    version: int
    created_at: datetime.datetime
    updated_at: datetime.datetime


class QuoteOut(QuoteSummaryOut):
    terms: str
    notes: str
    order: int | None
    lines: list[QuoteLineOut]


class QuotePage(Schema):
    items: list[QuoteSummaryOut]
    next: str | None


class QuoteFilters(Schema):
    status: str | None = None
    company: int | None = None
    deal: int | None = None
    owner: int | None = None
    is_latest: bool | None = None


class LineIn(Schema):
    """A free-text line (description, quantity, unit_price…) or a catalogue line (product,
    options, quantity; priced from the quote's price list by the configurator)."""

    product: int | None = None
    options: list[str] = []
    description: str = ""
    quantity: Decimal
    unit: str = "pcs"
    unit_price: Decimal | None = None
    discount_percent: Decimal = Decimal("0")
    tax_rate: Decimal | None = None


class QuoteIn(Schema):
    deal: int
    contact: int | None = None
    valid_until: datetime.date | None = None
    language: str | None = None
    discount_percent: Decimal | None = None
    terms: str = ""
    notes: str = ""
    lines: list[LineIn] = []


class QuotePatch(Schema):
    version: int
    contact: int | None = None
    valid_until: datetime.date | None = None
    language: str | None = None
    discount_percent: Decimal | None = None
    terms: str | None = None
    notes: str | None = None


class LineAdd(LineIn):
    version: int | None = None


class LinePatch(Schema):
    version: int
    description: str | None = None
    quantity: Decimal | None = None
    unit: str | None = None
    unit_price: Decimal | None = None
    discount_percent: Decimal | None = None
    tax_rate: Decimal | None = None


class SendIn(Schema):
    """Recipients; subject and message default to the translated template."""

    to: list[str] | None = None
    cc: list[str] = []
    subject: str | None = None
    message: str | None = None
    version: int | None = None


class DecisionIn(Schema):
    version: int | None = None


class RejectIn(DecisionIn):
    reason: str = ""


# --- helpers --------------------------------------------------------------------------------


def render_line(line: QuoteLine) -> dict[str, Any]:
    return {
        "id": line.pk,
        "position": line.position,
        "product": line.product_id,
        "description": line.description,
        "configuration": list(line.configuration or []),
        "quantity": line.quantity,
        "unit": line.unit,
        "unit_price": line.unit_price,
        "discount_percent": line.discount_percent,
        "tax_rate": line.tax_rate,
        "net_amount": line.net_amount,
        "tax_amount": line.tax_amount,
        "total_amount": line.total_amount,
    }


SUMMARY_FIELDS = (
    "id",
    "number",
    "revision",
    "is_latest",
    "status",
    "currency",
    "discount_percent",
    "valid_until",
    "language",
    "subtotal",
    "discount_total",
    "tax_total",
    "total",
    "sent_at",
    "sent_to",
    "decided_at",
    "rejection_reason",
    "version",
    "created_at",
    "updated_at",
)


def render_summary(quote: Quote) -> dict[str, Any]:
    data = {name: getattr(quote, name) for name in SUMMARY_FIELDS}
    data.update(
        previous=quote.previous_id,
        deal=quote.deal_id,
        company=quote.company_id,
        contact=quote.contact_id,
        price_list=quote.price_list_id,
        owner=quote.owner_id,
        team=quote.team_id,
    )
    return data


def _one_quote(pk: int) -> dict[str, Any]:
    from accord.commerce.models import Order

    quote = Quote.objects.get(pk=pk)
    data = render_summary(quote)
    data.update(
        terms=quote.terms,
        notes=quote.notes,
        order=Order.objects.filter(quote=quote).values_list("pk", flat=True).first(),
        lines=[render_line(line) for line in quote.lines.order_by("position", "id")],
    )
    return data


def _contact(user: User, pk: int | None) -> Any:
    from accord.parties.selectors import get_contact_for

    if pk is None:
        return None
    try:
        return get_contact_for(user, pk)
    except Http404:
        raise ValidationError({"contact": [_("Contact not found.")]}) from None


def _line_draft(user: User, quote_price_list: Any, line: LineIn, index: int | None = None) -> Any:
    """A LineDraft for a catalogue line (through the configurator), else the free-text dict."""
    if line.product is None:
        return {
            "description": line.description,
            "quantity": line.quantity,
            "unit": line.unit,
            "unit_price": line.unit_price,
            "discount_percent": line.discount_percent,
            "tax_rate": line.tax_rate,
        }
    from accord.catalog.configurator import configure
    from accord.catalog.selectors import get_product_for

    prefix = f"lines.{index}." if index is not None else ""
    if quote_price_list is None:
        raise ValidationError({f"{prefix}product": [_("The quote has no price list.")]})
    try:
        product = get_product_for(user, line.product)
    except Http404:
        raise ValidationError({f"{prefix}product": [_("Product not found.")]}) from None
    draft: LineDraft = configure(
        product=product,
        option_codes=line.options,
        price_list=quote_price_list,
        quantity=line.quantity,
        discount_percent=line.discount_percent,
    )
    if line.description:
        draft.description = line.description
    return draft


# --- endpoints ------------------------------------------------------------------------------


@router.get("/quotes", response=QuotePage, summary="Quotes the caller may see")
def quote_list(
    request: HttpRequest, filters: Query[QuoteFilters], page: Query[PageParams]
) -> dict[str, Any]:
    with ordered_scan():  # see permissions.ordered_scan
        queryset = quotes_visible_to(authed_user(request))
        if filters.status:
            queryset = queryset.filter(status=filters.status)
        if filters.company is not None:
            queryset = queryset.filter(company_id=filters.company)
        if filters.deal is not None:
            queryset = queryset.filter(deal_id=filters.deal)
        if filters.owner is not None:
            queryset = queryset.filter(owner_id=filters.owner)
        if filters.is_latest is not None:
            queryset = queryset.filter(is_latest=filters.is_latest)
        return paginate(
            queryset,
            order=("-created_at", "-id"),
            after=page.after,
            limit=page.limit,
            render=render_summary,
        )


@router.post("/quotes", response={201: QuoteOut}, summary="Create a draft quote for a deal")
def quote_create(request: HttpRequest, payload: QuoteIn) -> Status[dict[str, Any]]:
    from accord.catalog.selectors import default_price_list
    from accord.sales.selectors_deals import get_deal_for

    user = authed_user(request)
    try:
        deal = get_deal_for(user, payload.deal)
    except Http404:
        raise ValidationError({"deal": [_("Deal not found.")]}) from None
    price_list = default_price_list(deal.currency)
    lines = [_line_draft(user, price_list, line, index) for index, line in enumerate(payload.lines)]
    quote = services_quotes.quote_create(
        actor=user,
        deal=deal,
        contact=_contact(user, payload.contact),
        valid_until=payload.valid_until,
        language=payload.language,
        discount_percent=payload.discount_percent,
        terms=payload.terms,
        notes=payload.notes,
        lines=lines,
    )
    return Status(201, _one_quote(quote.pk))


@router.get("/quotes/{int:quote_id}", response=QuoteOut, summary="One quote with its lines")
def quote_detail(request: HttpRequest, quote_id: int) -> dict[str, Any]:
    return _one_quote(get_quote_for(authed_user(request), quote_id).pk)


@router.patch("/quotes/{int:quote_id}", response=QuoteOut, summary="Change a draft quote")
def quote_update(request: HttpRequest, quote_id: int, payload: QuotePatch) -> dict[str, Any]:
    user = authed_user(request)
    quote = get_quote_for(user, quote_id)
    fields = payload.model_dump(exclude_unset=True)
    version = fields.pop("version")
    if "contact" in fields:
        fields["contact"] = _contact(user, fields["contact"])
    services_quotes.quote_update(actor=user, quote=quote, fields=fields, expected_version=version)
    return _one_quote(quote.pk)


@router.post(
    "/quotes/{int:quote_id}/lines", response={201: QuoteOut}, summary="Add a line to a draft"
)
def quote_line_add(request: HttpRequest, quote_id: int, payload: LineAdd) -> Status[dict[str, Any]]:
    user = authed_user(request)
    quote = get_quote_for(user, quote_id)
    services_quotes.quote_line_add(
        actor=user,
        quote=quote,
        line=_line_draft(user, quote.price_list, payload),
        expected_version=payload.version,
    )
    return Status(201, _one_quote(quote.pk))


@router.patch(
    "/quotes/{int:quote_id}/lines/{int:line_id}", response=QuoteOut, summary="Change a line"
)
def quote_line_update(
    request: HttpRequest, quote_id: int, line_id: int, payload: LinePatch
) -> dict[str, Any]:
    user = authed_user(request)
    quote = get_quote_for(user, quote_id)
    line = get_quote_line_for(user, quote, line_id)
    fields = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    version = fields.pop("version")
    services_quotes.quote_line_update(
        actor=user, quote=quote, line=line, fields=fields, expected_version=version
    )
    return _one_quote(quote.pk)


@router.delete(
    "/quotes/{int:quote_id}/lines/{int:line_id}", response=QuoteOut, summary="Remove a line"
)
def quote_line_delete(
    request: HttpRequest, quote_id: int, line_id: int, version: int | None = None
) -> dict[str, Any]:
    user = authed_user(request)
    quote = get_quote_for(user, quote_id)
    line = get_quote_line_for(user, quote, line_id)
    services_quotes.quote_line_remove(actor=user, quote=quote, line=line, expected_version=version)
    return _one_quote(quote.pk)


@router.post(
    "/quotes/{int:quote_id}/send",
    response=QuoteOut,
    summary="E-mail the PDF to the client and mark the quote sent (502 if the server refuses)",
)
def quote_send(request: HttpRequest, quote_id: int, payload: SendIn) -> dict[str, Any]:
    user = authed_user(request)
    quote = get_quote_for(user, quote_id)
    draft = mail.send_draft(quote, user)
    try:
        mail.quote_send(
            actor=user,
            quote=quote,
            to=payload.to if payload.to is not None else draft.to,
            cc=payload.cc,
            subject=payload.subject if payload.subject is not None else draft.subject,
            message=payload.message if payload.message is not None else draft.message,
            expected_version=payload.version,
        )
    except mail.QuoteSendError as exc:
        raise HttpError(502, str(exc)) from exc
    return _one_quote(quote.pk)


@router.post("/quotes/{int:quote_id}/accept", response=QuoteOut, summary="Accept: make the order")
def quote_accept(
    request: HttpRequest, quote_id: int, payload: DecisionIn | None = None
) -> dict[str, Any]:
    user = authed_user(request)
    quote = get_quote_for(user, quote_id)
    services_quotes.quote_accept(
        actor=user, quote=quote, expected_version=payload.version if payload else None
    )
    return _one_quote(quote.pk)


@router.post("/quotes/{int:quote_id}/reject", response=QuoteOut, summary="The client said no")
def quote_reject(
    request: HttpRequest, quote_id: int, payload: RejectIn | None = None
) -> dict[str, Any]:
    user = authed_user(request)
    quote = get_quote_for(user, quote_id)
    services_quotes.quote_reject(
        actor=user,
        quote=quote,
        reason=payload.reason if payload else "",
        expected_version=payload.version if payload else None,
    )
    return _one_quote(quote.pk)


@router.post(
    "/quotes/{int:quote_id}/revise",
    response={201: QuoteOut},
    summary="A new draft revision (same number, revision + 1)",
)
def quote_revise(
    request: HttpRequest, quote_id: int, payload: DecisionIn | None = None
) -> Status[dict[str, Any]]:
    user = authed_user(request)
    quote = get_quote_for(user, quote_id)
    revision = services_quotes.quote_revise(
        actor=user, quote=quote, expected_version=payload.version if payload else None
    )
    return Status(201, _one_quote(revision.pk))


@router.get(
    "/quotes/{int:quote_id}/pdf",
    url_name="quote_pdf",
    summary="The quote as PDF",
    response={200: None},
)
def quote_pdf(request: HttpRequest, quote_id: int) -> HttpResponse:
    quote = get_quote_for(authed_user(request), quote_id)
    response = HttpResponse(pdf.quote_pdf(quote), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pdf.quote_filename(quote)}"'
    return response
