"""Orders, shipments, invoices and payments over the REST API (S3, D3, I3).

Thin: parse -> selector -> one service -> schema. Amounts are decimals sent as strings, so no
client ever rounds money through a float. Stale ``version`` -> 409; bad input -> 422 naming
the field (``lines-0-quantity``, ``amount``…)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from accord.commerce import services_invoices, services_orders
from accord.commerce.models import Invoice, InvoiceLine, Order, OrderLine, Payment, Shipment
from accord.commerce.pricing import LineDraft
from accord.commerce.selectors_orders import (
    get_invoice_for,
    get_order_for,
    get_payment_for,
    get_shipment_for,
    invoices_visible_to,
    is_overdue,
    orders_visible_to,
)
from accord.core.api import PageParams, authed_user, paginate
from accord.core.models import User
from accord.core.permissions import Action, ordered_scan

router = Router(tags=["orders"])


# --- schemas --------------------------------------------------------------------------------


class OrderLineIn(Schema):
    """A free line (description and price), or a catalogue product with its chosen options
    (priced from the default price list of the document's currency)."""

    product: int | None = None
    options: list[str] = []
    description: str = ""
    quantity: Decimal = Decimal("1")
    unit: str = "pcs"
    unit_price: Decimal | None = None
    discount_percent: Decimal = Decimal("0")
    tax_rate: Decimal | None = None


class LineOut(Schema):
    id: int
    position: int
    product: int | None
    description: str
    configuration: list[Any]
    quantity: Decimal
    unit: str
    unit_price: Decimal
    discount_percent: Decimal
    tax_rate: Decimal
    net_amount: Decimal
    tax_amount: Decimal
    total_amount: Decimal


class OrderLineOut(LineOut):
    quantity_shipped: Decimal


class InvoiceLineOut(LineOut):
    order_line: int | None


class OrderOut(Schema):
    id: int
    number: str
    status: str
    channel: str
    company: int
    contact: int | None
    deal: int | None
    quote: int | None
    currency: str
    ordered_on: datetime.date
    delivery_date: datetime.date | None
    delivery_address: str
    customer_reference: str
    notes: str
    subtotal: Decimal
    discount_total: Decimal
    tax_total: Decimal
    total: Decimal
    fulfilled_at: datetime.datetime | None
    owner: int
    team: int | None
    lines: list[OrderLineOut]
    version: int
    created_at: datetime.datetime
    updated_at: datetime.datetime


class OrderPage(Schema):
    items: list[OrderOut]
    next: str | None


class OrderIn(Schema):
    company: int
    lines: list[OrderLineIn]
    contact: int | None = None
    deal: int | None = None
    channel: str = Order.Channel.PHONE
    currency: str | None = None
    ordered_on: datetime.date | None = None
    delivery_date: datetime.date | None = None
    delivery_address: str = ""
    customer_reference: str = ""
    notes: str = ""
    confirm: bool = False


class OrderPatch(Schema):
    version: int
    contact: int | None = None
    channel: str | None = None
    ordered_on: datetime.date | None = None
    delivery_date: datetime.date | None = None
    delivery_address: str | None = None
    customer_reference: str | None = None
    notes: str | None = None
    owner: int | None = None


class OrderLinePatch(Schema):
    version: int | None = None
    description: str | None = None
    quantity: Decimal | None = None
    unit: str | None = None
    unit_price: Decimal | None = None
    discount_percent: Decimal | None = None
    tax_rate: Decimal | None = None


class LineAddIn(OrderLineIn):
    version: int | None = None


class OrderFilters(Schema):
    status: str | None = None
    company: int | None = None
    owner: int | None = None
    deal: int | None = None
    ordered_from: datetime.date | None = None
    ordered_to: datetime.date | None = None


class StatusIn(Schema):
    status: str
    reason: str = ""
    version: int | None = None


class QuantityIn(Schema):
    order_line: int
    quantity: Decimal


class ShipmentIn(Schema):
    lines: list[QuantityIn]
    shipped_on: datetime.date | None = None
    carrier: str = ""
    tracking_number: str = ""
    notes: str = ""
    version: int | None = None


class ShipmentLineOut(Schema):
    order_line: int
    quantity: Decimal


class ShipmentOut(Schema):
    id: int
    number: str
    order: int
    shipped_on: datetime.date
    carrier: str
    tracking_number: str
    notes: str
    lines: list[ShipmentLineOut]
    created_by: int
    created_at: datetime.datetime


class ShipmentPage(Schema):
    items: list[ShipmentOut]
    next: str | None


class InvoiceOut(Schema):
    id: int
    number: str
    status: str
    company: int
    contact: int | None
    order: int | None
    project_stage: int | None
    currency: str
    issued_on: datetime.date
    due_on: datetime.date
    external_reference: str
    notes: str
    subtotal: Decimal
    discount_total: Decimal
    tax_total: Decimal
    total: Decimal
    amount_paid: Decimal
    balance_due: Decimal
    is_overdue: bool
    owner: int
    team: int | None
    lines: list[InvoiceLineOut]
    version: int
    created_at: datetime.datetime
    updated_at: datetime.datetime


class InvoicePage(Schema):
    items: list[InvoiceOut]
    next: str | None


class InvoiceIn(Schema):
    """From an order (``order``; ``order_lines`` picks quantities, else all not yet invoiced)
    or free lines for a company."""

    company: int | None = None
    order: int | None = None
    order_lines: list[QuantityIn] | None = None
    lines: list[OrderLineIn] = []
    contact: int | None = None
    currency: str | None = None
    issued_on: datetime.date | None = None
    due_on: datetime.date | None = None
    notes: str = ""
    external_reference: str = ""
    project_stage: int | None = None
    issue: bool = False


class InvoiceFilters(Schema):
    status: str | None = None
    company: int | None = None
    order: int | None = None
    owner: int | None = None
    is_overdue: bool | None = None
    issued_from: datetime.date | None = None
    issued_to: datetime.date | None = None


class PaymentIn(Schema):
    amount: Decimal
    paid_on: datetime.date | None = None
    method: int | None = None
    reference: str = ""
    notes: str = ""
    confirm_overpayment: bool = False
    version: int | None = None


class PaymentOut(Schema):
    id: int
    invoice: int
    amount: Decimal
    paid_on: datetime.date
    method: int | None
    reference: str
    notes: str
    created_by: int
    created_at: datetime.datetime


class PaymentPage(Schema):
    items: list[PaymentOut]
    next: str | None


# --- rendering ------------------------------------------------------------------------------

LINE_NAMES = (
    "id",
    "position",
    "description",
    "configuration",
    "quantity",
    "unit",
    "unit_price",
    "discount_percent",
    "tax_rate",
    "net_amount",
    "tax_amount",
    "total_amount",
)


def _line(line: Any, **extra: Any) -> dict[str, Any]:
    return {
        **{name: getattr(line, name) for name in LINE_NAMES},
        "product": line.product_id,
        **extra,
    }


def render_order(order: Order) -> dict[str, Any]:
    return {
        **{
            name: getattr(order, name)
            for name in (
                "id",
                "number",
                "status",
                "channel",
                "currency",
                "ordered_on",
                "delivery_date",
                "delivery_address",
                "customer_reference",
                "notes",
                "subtotal",
                "discount_total",
                "tax_total",
                "total",
                "fulfilled_at",
                "version",
                "created_at",
                "updated_at",
            )
        },
        "company": order.company_id,
        "contact": order.contact_id,
        "deal": order.deal_id,
        "quote": order.quote_id,
        "owner": order.owner_id,
        "team": order.team_id,
        "lines": [_line(x, quantity_shipped=x.quantity_shipped) for x in order.lines.all()],
    }


def render_invoice(invoice: Invoice) -> dict[str, Any]:
    return {
        **{
            name: getattr(invoice, name)
            for name in (
                "id",
                "number",
                "status",
                "currency",
                "issued_on",
                "due_on",
                "external_reference",
                "notes",
                "subtotal",
                "discount_total",
                "tax_total",
                "total",
                "amount_paid",
                "balance_due",
                "version",
                "created_at",
                "updated_at",
            )
        },
        "is_overdue": is_overdue(invoice),
        "company": invoice.company_id,
        "contact": invoice.contact_id,
        "order": invoice.order_id,
        "project_stage": invoice.project_stage_id,
        "owner": invoice.owner_id,
        "team": invoice.team_id,
        "lines": [_line(x, order_line=x.order_line_id) for x in invoice.lines.all()],
    }


def render_shipment(shipment: Shipment) -> dict[str, Any]:
    return {
        "id": shipment.pk,
        "number": shipment.number,
        "order": shipment.order_id,
        "shipped_on": shipment.shipped_on,
        "carrier": shipment.carrier,
        "tracking_number": shipment.tracking_number,
        "notes": shipment.notes,
        "lines": [
            {"order_line": x.order_line_id, "quantity": x.quantity} for x in shipment.lines.all()
        ],
        "created_by": shipment.created_by_id,
        "created_at": shipment.created_at,
    }


def render_payment(payment: Payment) -> dict[str, Any]:
    return {
        "id": payment.pk,
        "invoice": payment.invoice_id,
        "amount": payment.amount,
        "paid_on": payment.paid_on,
        "method": payment.method_id,
        "reference": payment.reference,
        "notes": payment.notes,
        "created_by": payment.created_by_id,
        "created_at": payment.created_at,
    }


def _order_rows(queryset: QuerySet[Order]) -> QuerySet[Order]:
    return queryset.prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.order_by("position", "id"))
    )


def _invoice_rows(queryset: QuerySet[Invoice]) -> QuerySet[Invoice]:
    return queryset.prefetch_related(
        Prefetch("lines", queryset=InvoiceLine.objects.order_by("position", "id"))
    )


def _one_order(user: User, pk: int) -> dict[str, Any]:
    return render_order(_order_rows(orders_visible_to(user)).get(pk=pk))


def _one_invoice(user: User, pk: int) -> dict[str, Any]:
    return render_invoice(_invoice_rows(invoices_visible_to(user)).get(pk=pk))


# --- lines in -------------------------------------------------------------------------------


def _drafts(user: User, lines: list[OrderLineIn], currency: str | None) -> list[LineDraft]:
    """Drafts from API lines: catalogue products through the configurator (options and rules
    checked there), free lines as given. Errors name ``lines-<i>-<field>``."""
    from accord.catalog.selectors import default_price_list, default_tax_rate

    drafts: list[LineDraft] = []
    errors: dict[str, list[str]] = {}
    default_tax = default_tax_rate()
    price_list = None
    for index, line in enumerate(lines):
        prefix = f"lines-{index}-"
        if line.product is not None:
            from accord.catalog.configurator import configure
            from accord.catalog.selectors import get_product_for

            try:
                product = get_product_for(user, line.product)
            except Http404:
                errors[f"{prefix}product"] = [_("Product not found.")]
                continue
            price_list = price_list or default_price_list(currency)
            if price_list is None:
                errors[f"{prefix}product"] = [_("There is no price list for this currency.")]
                continue
            try:
                draft = configure(
                    product=product,
                    option_codes=line.options,
                    price_list=price_list,
                    quantity=line.quantity,
                    discount_percent=line.discount_percent,
                )
            except ValidationError as exc:
                for key, messages in exc.message_dict.items():
                    errors[f"{prefix}{key}"] = messages
                continue
            drafts.append(draft)
            continue
        if line.unit_price is None:
            errors[f"{prefix}unit_price"] = [_("Enter the price.")]
            continue
        drafts.append(
            LineDraft(
                description=line.description,
                quantity=line.quantity,
                unit_price=line.unit_price,
                unit=line.unit,
                discount_percent=line.discount_percent,
                tax_rate=default_tax if line.tax_rate is None else line.tax_rate,
            )
        )
    if errors:
        raise ValidationError(errors)
    return drafts


# --- orders ---------------------------------------------------------------------------------


@router.get("/orders", response=OrderPage, summary="Orders the caller may see")
def order_list(
    request: HttpRequest, filters: Query[OrderFilters], page: Query[PageParams]
) -> dict[str, Any]:
    with ordered_scan():
        queryset = orders_visible_to(authed_user(request))
        if filters.status:
            queryset = queryset.filter(status=filters.status)
        if filters.company is not None:
            queryset = queryset.filter(company_id=filters.company)
        if filters.owner is not None:
            queryset = queryset.filter(owner_id=filters.owner)
        if filters.deal is not None:
            queryset = queryset.filter(deal_id=filters.deal)
        if filters.ordered_from:
            queryset = queryset.filter(ordered_on__gte=filters.ordered_from)
        if filters.ordered_to:
            queryset = queryset.filter(ordered_on__lte=filters.ordered_to)
        return paginate(
            _order_rows(queryset),
            order=("-ordered_on", "-id"),
            after=page.after,
            limit=page.limit,
            render=render_order,
        )


@router.post("/orders", response={201: OrderOut}, summary="Take an order")
def order_create(request: HttpRequest, payload: OrderIn) -> Status[dict[str, Any]]:
    from accord.parties.models import Company

    user = authed_user(request)
    order = services_orders.order_create(
        actor=user,
        company=Company(pk=payload.company),
        lines=_drafts(user, payload.lines, payload.currency),
        contact=payload.contact,  # type: ignore[arg-type]  # resolved (and scoped) by the service
        deal=payload.deal,
        channel=payload.channel,
        currency=payload.currency,
        ordered_on=payload.ordered_on,
        delivery_date=payload.delivery_date,
        delivery_address=payload.delivery_address,
        customer_reference=payload.customer_reference,
        notes=payload.notes,
        confirm=payload.confirm,
    )
    return Status(201, _one_order(user, order.pk))


@router.get("/orders/{int:order_id}", response=OrderOut, summary="One order with its lines")
def order_detail(request: HttpRequest, order_id: int) -> dict[str, Any]:
    user = authed_user(request)
    order = get_order_for(user, order_id)
    return _one_order(user, order.pk)


@router.patch("/orders/{int:order_id}", response=OrderOut, summary="Change an order's header")
def order_update(request: HttpRequest, order_id: int, payload: OrderPatch) -> dict[str, Any]:
    user = authed_user(request)
    order = get_order_for(user, order_id)
    fields = payload.model_dump(exclude_unset=True)
    version = fields.pop("version")
    if "owner" in fields:
        owner = User.objects.filter(pk=fields["owner"], is_active=True).first()
        if owner is None:
            raise ValidationError({"owner": [_("User not found.")]})
        fields["owner"] = owner
    updated = services_orders.order_update(
        actor=user, order=order, fields=fields, expected_version=version
    )
    return _one_order(user, updated.pk)


@router.post(
    "/orders/{int:order_id}/status",
    response=OrderOut,
    summary="Confirm, complete or cancel an order (cancel needs a reason)",
)
def order_status(request: HttpRequest, order_id: int, payload: StatusIn) -> dict[str, Any]:
    user = authed_user(request)
    order = get_order_for(user, order_id)
    services_orders.order_set_status(
        actor=user,
        order=order,
        status=payload.status,
        reason=payload.reason,
        expected_version=payload.version,
    )
    return _one_order(user, order.pk)


@router.post(
    "/orders/{int:order_id}/lines",
    response={201: OrderOut},
    summary="Add a line to a new order",
)
def order_line_add(
    request: HttpRequest, order_id: int, payload: LineAddIn
) -> Status[dict[str, Any]]:
    user = authed_user(request)
    order = get_order_for(user, order_id)
    (draft,) = _drafts(user, [payload], order.currency)
    services_orders.order_line_add(
        actor=user, order=order, line=draft, expected_version=payload.version
    )
    return Status(201, _one_order(user, order.pk))


@router.patch(
    "/orders/{int:order_id}/lines/{int:line_id}",
    response=OrderOut,
    summary="Change a line of a new order",
)
def order_line_update(
    request: HttpRequest, order_id: int, line_id: int, payload: OrderLinePatch
) -> dict[str, Any]:
    user = authed_user(request)
    order = get_order_for(user, order_id)
    fields = payload.model_dump(exclude_unset=True)
    version = fields.pop("version", None)
    services_orders.order_line_update(
        actor=user, order=order, line=line_id, fields=fields, expected_version=version
    )
    return _one_order(user, order.pk)


@router.delete(
    "/orders/{int:order_id}/lines/{int:line_id}",
    response=OrderOut,
    summary="Remove a line from a new order",
)
def order_line_remove(
    request: HttpRequest, order_id: int, line_id: int, version: int | None = None
) -> dict[str, Any]:
    user = authed_user(request)
    order = get_order_for(user, order_id)
    services_orders.order_line_remove(
        actor=user, order=order, line=line_id, expected_version=version
    )
    return _one_order(user, order.pk)


@router.get(
    "/orders/{int:order_id}/shipments", response=ShipmentPage, summary="An order's shipments"
)
def shipment_list(request: HttpRequest, order_id: int, page: Query[PageParams]) -> dict[str, Any]:
    order = get_order_for(authed_user(request), order_id)
    return paginate(
        Shipment.objects.filter(order=order).prefetch_related("lines"),
        order=("id",),
        after=page.after,
        limit=page.limit,
        render=render_shipment,
    )


@router.post(
    "/orders/{int:order_id}/shipments",
    response={201: ShipmentOut},
    summary="Record a (partial) shipment",
)
def shipment_create(
    request: HttpRequest, order_id: int, payload: ShipmentIn
) -> Status[dict[str, Any]]:
    user = authed_user(request)
    order = get_order_for(user, order_id)
    quantities: dict[int, Decimal] = {}
    for item in payload.lines:
        quantities[item.order_line] = quantities.get(item.order_line, Decimal("0")) + item.quantity
    shipment = services_orders.shipment_create(
        actor=user,
        order=order,
        quantities=quantities,
        shipped_on=payload.shipped_on,
        carrier=payload.carrier,
        tracking_number=payload.tracking_number,
        notes=payload.notes,
        expected_version=payload.version,
    )
    return Status(201, render_shipment(shipment))


# --- invoices -------------------------------------------------------------------------------


@router.get("/invoices", response=InvoicePage, summary="Invoices the caller may see")
def invoice_list(
    request: HttpRequest, filters: Query[InvoiceFilters], page: Query[PageParams]
) -> dict[str, Any]:
    with ordered_scan():
        queryset = invoices_visible_to(authed_user(request))
        if filters.status:
            queryset = queryset.filter(status=filters.status)
        if filters.company is not None:
            queryset = queryset.filter(company_id=filters.company)
        if filters.order is not None:
            queryset = queryset.filter(order_id=filters.order)
        if filters.owner is not None:
            queryset = queryset.filter(owner_id=filters.owner)
        if filters.is_overdue is not None:
            overdue = {
                "status__in": (Invoice.Status.ISSUED, Invoice.Status.PARTIALLY_PAID),
                "due_on__lt": timezone.localdate(),
            }
            queryset = (
                queryset.filter(**overdue) if filters.is_overdue else queryset.exclude(**overdue)
            )
        if filters.issued_from:
            queryset = queryset.filter(issued_on__gte=filters.issued_from)
        if filters.issued_to:
            queryset = queryset.filter(issued_on__lte=filters.issued_to)
        return paginate(
            _invoice_rows(queryset),
            order=("-issued_on", "-id"),
            after=page.after,
            limit=page.limit,
            render=render_invoice,
        )


@router.post("/invoices", response={201: InvoiceOut}, summary="Create an invoice")
def invoice_create(request: HttpRequest, payload: InvoiceIn) -> Status[dict[str, Any]]:
    from accord.parties.models import Company

    user = authed_user(request)
    order = get_order_for(user, payload.order) if payload.order is not None else None
    if order is None and payload.company is None:
        raise ValidationError({"company": [_("Choose the client or the order.")]})
    quantities: dict[int, Decimal] | None = None
    if payload.order_lines is not None:
        quantities = {}
        for item in payload.order_lines:
            quantities[item.order_line] = (
                quantities.get(item.order_line, Decimal("0")) + item.quantity
            )
    currency = order.currency if order is not None else payload.currency
    invoice = services_invoices.invoice_create(
        actor=user,
        company=Company(pk=payload.company) if payload.company is not None else None,
        order=order,
        order_quantities=quantities,
        lines=_drafts(user, payload.lines, currency),
        contact=payload.contact,  # type: ignore[arg-type]  # checked against the scope by the service
        currency=payload.currency,
        issued_on=payload.issued_on,
        due_on=payload.due_on,
        notes=payload.notes,
        external_reference=payload.external_reference,
        project_stage=payload.project_stage,
        issue=payload.issue,
    )
    return Status(201, _one_invoice(user, invoice.pk))


@router.get("/invoices/{int:invoice_id}", response=InvoiceOut, summary="One invoice")
def invoice_detail(request: HttpRequest, invoice_id: int) -> dict[str, Any]:
    user = authed_user(request)
    invoice = get_invoice_for(user, invoice_id)
    return _one_invoice(user, invoice.pk)


@router.post(
    "/invoices/{int:invoice_id}/status",
    response=InvoiceOut,
    summary="Issue a draft invoice, or cancel one without payments",
)
def invoice_status(request: HttpRequest, invoice_id: int, payload: StatusIn) -> dict[str, Any]:
    user = authed_user(request)
    invoice = get_invoice_for(user, invoice_id)
    if payload.status == Invoice.Status.ISSUED:
        services_invoices.invoice_issue(
            actor=user, invoice=invoice, expected_version=payload.version
        )
    elif payload.status == Invoice.Status.CANCELLED:
        services_invoices.invoice_cancel(
            actor=user, invoice=invoice, reason=payload.reason, expected_version=payload.version
        )
    else:
        raise ValidationError(
            {"status": [_("Payments set the paid statuses; issue or cancel here.")]}
        )
    return _one_invoice(user, invoice.pk)


@router.get(
    "/invoices/{int:invoice_id}/payments", response=PaymentPage, summary="An invoice's payments"
)
def payment_list(request: HttpRequest, invoice_id: int, page: Query[PageParams]) -> dict[str, Any]:
    invoice = get_invoice_for(authed_user(request), invoice_id)
    return paginate(
        Payment.objects.filter(invoice=invoice),
        order=("id",),
        after=page.after,
        limit=page.limit,
        render=render_payment,
    )


@router.post(
    "/invoices/{int:invoice_id}/payments",
    response={201: PaymentOut},
    summary="Enter a payment (more than the balance due needs confirm_overpayment)",
)
def payment_create(
    request: HttpRequest, invoice_id: int, payload: PaymentIn
) -> Status[dict[str, Any]]:
    user = authed_user(request)
    invoice = get_invoice_for(user, invoice_id, Action.VIEW)
    payment = services_invoices.payment_create(
        actor=user,
        invoice=invoice,
        amount=payload.amount,
        paid_on=payload.paid_on,
        method=payload.method,
        reference=payload.reference,
        notes=payload.notes,
        confirm_overpayment=payload.confirm_overpayment,
        expected_version=payload.version,
    )
    return Status(201, render_payment(payment))


@router.delete(
    "/shipments/{int:shipment_id}",
    response=OrderOut,
    summary="Undo the latest shipment of an order (returns the order)",
)
def shipment_delete(request: HttpRequest, shipment_id: int) -> dict[str, Any]:
    user = authed_user(request)
    shipment = get_shipment_for(user, shipment_id)
    order = services_orders.shipment_delete(actor=user, shipment=shipment)
    return _one_order(user, order.pk)


@router.delete(
    "/payments/{int:payment_id}",
    response=InvoiceOut,
    summary="Remove a payment entered by mistake (returns the invoice)",
)
def payment_delete(request: HttpRequest, payment_id: int) -> dict[str, Any]:
    user = authed_user(request)
    payment = get_payment_for(user, payment_id)
    invoice = services_invoices.payment_delete(actor=user, payment=payment)
    return _one_invoice(user, invoice.pk)
