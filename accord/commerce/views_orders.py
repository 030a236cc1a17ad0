"""Pages for orders, shipments, invoices and payments (S3, T4, D3). Thin views: parse the form,
fetch through a selector, call one service, render or redirect; a service's ValidationError is
put back next to the field it names."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.forms import BaseForm
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accord.commerce import selectors_orders as selectors
from accord.commerce import services_invoices, services_orders
from accord.commerce.forms_orders import (
    FreeInvoiceForm,
    InvoiceFromOrderForm,
    OrderCreateForm,
    OrderEditForm,
    OrderLineForm,
    PaymentForm,
    ReasonForm,
    ShipmentForm,
    company_contacts,
    lines_from_post,
    service_errors_to_lines,
)
from accord.commerce.models import Invoice, Order, OrderLine
from accord.commerce.pricing import LineDraft
from accord.core.errors import ConflictError
from accord.core.history import history_page
from accord.core.http import AuthedHttpRequest
from accord.core.permissions import Action, Scope, allows, user_scope
from accord.parties.models import Company
from accord.parties.selectors import get_company_for

HISTORY_PAGE_SIZE = 20
# The list pages live in lists_orders (declared on the list framework); urls import them there.
LINE_FIELDS = ("description", "quantity", "unit", "unit_price", "discount_percent")


def apply_errors(form: BaseForm, exc: ValidationError) -> dict[str, list[str]]:
    """Put a service's field-named errors next to the fields; return the rest (line rows)."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return {}
    others: dict[str, list[str]] = {}
    for name, errors in exc.message_dict.items():
        if name in form.fields:
            for message in errors:
                form.add_error(name, message)
        elif name == NON_FIELD_ERRORS or name in ("status", "lines", "company", "deal", "quote"):
            for message in errors:
                form.add_error(None, message)
        else:
            others[name] = errors
    return others


def _picker_url(prefix: str, price_list: Any, data: Any = None) -> str:
    """The catalogue's line picker for one row, when the catalogue provides it; after a
    refused save it comes back with the product, options and quantity chosen."""
    from urllib.parse import urlencode

    from accord.commerce.forms_orders import picker_prefix

    try:
        url = reverse("catalog:line_picker")
    except NoReverseMatch:
        return ""
    if price_list is None:
        return ""
    sub = picker_prefix(prefix)
    params: list[tuple[str, Any]] = [("prefix", sub), ("price_list", price_list.pk)]
    if data is not None and data.get(f"{sub}-product"):
        params.append((f"{sub}-product", data.get(f"{sub}-product")))
        from accord.catalog.forms import option_codes_from

        params += [(f"{sub}-options", v) for v in option_codes_from(data, sub)]
        params.append((f"{sub}-quantity", data.get(f"{sub}-quantity", "")))
    return f"{url}?{urlencode(params)}"


def _price_list(currency: str | None) -> Any:
    from accord.catalog.selectors import default_price_list

    return default_price_list(currency)


def _default_tax() -> Decimal:
    from accord.catalog.selectors import default_tax_rate

    return default_tax_rate()


def _row(
    prefix: str, data: Any = None, errors: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    """What one line row of the form shows: the posted values and the errors for its inputs."""
    data = data or {}
    errors = errors or {}
    return {
        "prefix": prefix,
        "values": {name: data.get(f"{prefix}-{name}", "") for name in (*LINE_FIELDS, "tax_rate")},
        # "quantity" for the free line's inputs, "_cat-quantity" etc. for the picker's
        "errors": {
            key[len(prefix) + 1 :] if key.startswith(f"{prefix}-") else key[len(prefix) :]: msgs
            for key, msgs in errors.items()
            if key.startswith(prefix)
        },
    }


def _rows(data: Any, errors: dict[str, list[str]]) -> list[dict[str, Any]]:
    from accord.commerce.forms_orders import line_prefixes

    prefixes = line_prefixes(data) or ["line0"]
    return [_row(p, data, errors) for p in prefixes]


def _units() -> list[tuple[str, str]]:
    from accord.catalog.models import Unit

    return [(str(value), str(label)) for value, label in Unit.choices]


# --- taking an order -----------------------------------------------------------------------


def _choose_client(request: AuthedHttpRequest, target: str) -> HttpResponse:
    """No client yet: find one (by name, INN, phone), then come back with ?company=."""
    from accord.core.permissions import ordered_scan
    from accord.parties.search import text_match
    from accord.parties.selectors import companies_visible_to

    query = request.GET.get("q", "").strip()
    found: list[Company] = []
    if query:
        with ordered_scan():
            found = list(
                text_match(companies_visible_to(request.user), query).order_by("name", "id")[:30]
            )
    return render(
        request,
        "commerce/order_choose_client.html",
        {"query": query, "found": found, "target": target},
    )


@login_required
@require_http_methods(["GET", "POST"])
def order_create(request: AuthedHttpRequest) -> HttpResponse:
    """Take an order in a few taps (T4): the client comes from the card, the channel defaults
    to phone, lines are added in place, one button saves (and optionally confirms)."""
    if not allows(request.user, Action.ADD, Order):
        raise PermissionDenied(_("You do not have permission to do this."))
    company_id = request.POST.get("company") or request.GET.get("company")
    if not company_id:
        return _choose_client(request, reverse("commerce:order_create"))
    company = get_company_for(request.user, company_id)
    deal = None
    deal_id = request.POST.get("deal") or request.GET.get("deal")
    if deal_id:
        from accord.sales.selectors_deals import get_deal_for

        deal = get_deal_for(request.user, deal_id)
        if deal.company_id != company.pk:
            raise Http404
    currency = deal.currency if deal is not None else None
    price_list = _price_list(currency)
    contacts = company_contacts(request.user, company)
    line_errors: dict[str, list[str]] = {}
    if request.method == "POST":
        form = OrderCreateForm(request.POST, contacts=contacts)
        drafts, prefixes, line_errors = lines_from_post(
            request.POST, user=request.user, price_list=price_list, default_tax=_default_tax()
        )
        if form.is_valid() and not line_errors:
            data = form.cleaned_data
            try:
                order = services_orders.order_create(
                    actor=request.user,
                    company=company,
                    lines=drafts,
                    contact=data["contact"],
                    deal=deal,
                    channel=data["channel"],
                    currency=price_list.currency
                    if price_list is not None and not currency
                    else currency,
                    ordered_on=data["ordered_on"],
                    delivery_date=data["delivery_date"],
                    delivery_address=data["delivery_address"],
                    customer_reference=data["customer_reference"],
                    notes=data["notes"],
                    confirm=data["confirm"],
                )
            except ValidationError as exc:
                others = apply_errors(form, exc)
                line_errors = service_errors_to_lines(others, prefixes)
                if "lines" in exc.message_dict:
                    line_errors.setdefault("line0-description", exc.message_dict["lines"])
            else:
                messages.success(request, _("Order %(number)s saved.") % {"number": order.number})
                return redirect(order.get_absolute_url())
        rows = _rows(request.POST, line_errors)
    else:
        initial: dict[str, Any] = {}
        if deal is not None:
            first = deal.contacts.filter(pk__in=contacts.values("pk")).first()
            if first is not None:
                initial["contact"] = first.pk
        elif contacts.count() == 1:
            initial["contact"] = contacts.first().pk  # type: ignore[union-attr]
        form = OrderCreateForm(contacts=contacts, initial=initial)
        rows = [_row("line0")]
    for row in rows:
        row["picker_url"] = _picker_url(
            row["prefix"], price_list, request.POST if request.method == "POST" else None
        )
    return render(
        request,
        "commerce/order_form.html",
        {
            "form": form,
            "company": company,
            "deal": deal,
            "rows": rows,
            "next_index": len(rows),
            "units": _units(),
            "default_tax": _default_tax(),
            "price_list": price_list,
            "line_errors": line_errors,
        },
    )


@login_required
def order_line_row(request: AuthedHttpRequest) -> HttpResponse:
    """One more empty line row for the order form (htmx: "Add a line" without leaving)."""
    try:
        index = max(0, min(int(request.GET.get("index", "1")), 199))
    except ValueError:
        index = 1
    currency = request.GET.get("currency") or None
    row = _row(f"line{index}")
    row["picker_url"] = _picker_url(row["prefix"], _price_list(currency))
    return render(
        request,
        "commerce/_order_line_row.html",
        {
            "row": row,
            "units": _units(),
            "default_tax": _default_tax(),
            "next_index": index + 1,
            "with_add_button": True,
        },
    )


# --- an order ------------------------------------------------------------------------------


def _order_context(request: AuthedHttpRequest, order: Order, **extra: Any) -> dict[str, Any]:
    can_change = allows(request.user, Action.CHANGE, order)
    lines = list(order.lines.all())
    return {
        "order": order,
        "lines": lines,
        "shipments": selectors.order_shipments(order),
        "invoices": selectors.invoices_of_order(request.user, order),
        "can_change": can_change,
        "can_edit_lines": can_change and order.status == Order.Status.NEW,
        "can_ship": can_change and order.status in services_orders.SHIPPABLE,
        "can_invoice": allows(request.user, Action.ADD, Invoice)
        and order.status != Order.Status.CANCELLED,
        "moves": services_orders.allowed_moves(order) if can_change else [],
        "line_form": OrderLineForm(initial={"tax_rate": _default_tax(), "quantity": 1}),
        "reason_form": ReasonForm(),
        "company_visible": _company_visible(request, order.company_id),
        "history": history_page(request.user, order, limit=HISTORY_PAGE_SIZE),
        "more_url": reverse("commerce:order_history", args=[order.pk]),
        "object": order,
        "object_type": "order",
        **extra,
    }


def _company_visible(request: AuthedHttpRequest, company_pk: int) -> bool:
    from accord.parties.selectors import companies_visible_to

    return companies_visible_to(request.user).filter(pk=company_pk).exists()


@login_required
def order_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    order = selectors.get_order_for(request.user, pk)
    return render(request, "commerce/order_detail.html", _order_context(request, order))


@login_required
@require_http_methods(["GET", "POST"])
def order_edit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """The order header (contact, channel, dates, delivery, reference, notes)."""
    order = selectors.get_order_for(request.user, pk, Action.CHANGE)
    contacts = company_contacts(request.user, order.company)
    if request.method == "POST":
        form = OrderEditForm(request.POST, contacts=contacts)
        if form.is_valid():
            fields = dict(form.cleaned_data)
            if not fields.get("ordered_on"):
                fields["ordered_on"] = order.ordered_on
            try:
                services_orders.order_update(
                    actor=request.user,
                    order=order,
                    fields=fields,
                    expected_version=_version(request),
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            except ConflictError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Changes saved."))
                return redirect(order.get_absolute_url())
    else:
        form = OrderEditForm(
            contacts=contacts,
            initial={
                "contact": order.contact_id,
                "channel": order.channel,
                "ordered_on": order.ordered_on,
                "delivery_date": order.delivery_date,
                "delivery_address": order.delivery_address,
                "customer_reference": order.customer_reference,
                "notes": order.notes,
            },
        )
    return render(request, "commerce/order_edit.html", {"form": form, "order": order})


def _version(request: AuthedHttpRequest) -> int | None:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() else None


def _refuse(request: AuthedHttpRequest, exc: ValidationError | ConflictError) -> None:
    if isinstance(exc, ConflictError):
        messages.error(request, str(exc))
    else:
        messages.error(request, " ".join(exc.messages))


@login_required
@require_POST
def order_status(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """Confirm, complete or cancel (with a reason)."""
    order = selectors.get_order_for(request.user, pk, Action.CHANGE)
    try:
        order = services_orders.order_set_status(
            actor=request.user,
            order=order,
            status=request.POST.get("status", ""),
            reason=request.POST.get("reason", ""),
            expected_version=_version(request),
        )
    except (ValidationError, ConflictError) as exc:
        _refuse(request, exc)
    else:
        messages.success(
            request,
            _("Order %(number)s: %(status)s.")
            % {"number": order.number, "status": order.get_status_display()},
        )
    return redirect(order.get_absolute_url())


@login_required
@require_POST
def order_line_add(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    order = selectors.get_order_for(request.user, pk, Action.CHANGE)
    form = OrderLineForm(request.POST)
    if form.is_valid():
        try:
            services_orders.order_line_add(
                actor=request.user,
                order=order,
                line=LineDraft(**form.cleaned_data),
                expected_version=_version(request),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        except ConflictError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Line added."))
            return redirect(order.get_absolute_url())
    order = selectors.get_order_for(request.user, pk)
    return render(
        request,
        "commerce/order_detail.html",
        _order_context(request, order, line_form=form),
        status=422,
    )


def _order_line(order: Order, line_pk: int) -> OrderLine:
    try:
        return order.lines.get(pk=line_pk)
    except OrderLine.DoesNotExist as exc:
        raise Http404 from exc


@login_required
@require_http_methods(["GET", "POST"])
def order_line_edit(request: AuthedHttpRequest, pk: int, line_pk: int) -> HttpResponse:
    order = selectors.get_order_for(request.user, pk, Action.CHANGE)
    line = _order_line(order, line_pk)
    if request.method == "POST":
        form = OrderLineForm(request.POST)
        if form.is_valid():
            try:
                services_orders.order_line_update(
                    actor=request.user,
                    order=order,
                    line=line,
                    fields=form.cleaned_data,
                    expected_version=_version(request),
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            except ConflictError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Line saved."))
                return redirect(order.get_absolute_url())
    else:
        form = OrderLineForm(
            initial={
                name: getattr(line, name)
                for name in (
                    "description",
                    "quantity",
                    "unit",
                    "unit_price",
                    "discount_percent",
                    "tax_rate",
                )
            }
        )
    return render(
        request, "commerce/order_line_form.html", {"form": form, "order": order, "line": line}
    )


@login_required
@require_POST
def order_line_delete(request: AuthedHttpRequest, pk: int, line_pk: int) -> HttpResponse:
    order = selectors.get_order_for(request.user, pk, Action.CHANGE)
    line = _order_line(order, line_pk)
    try:
        services_orders.order_line_remove(
            actor=request.user, order=order, line=line, expected_version=_version(request)
        )
    except (ValidationError, ConflictError) as exc:
        _refuse(request, exc)
    else:
        messages.success(request, _("Line removed."))
    return redirect(order.get_absolute_url())


# --- shipments -----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def shipment_create(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """Record what leaves now: a quantity per line, prefilled with what remains."""
    order = selectors.get_order_for(request.user, pk, Action.CHANGE)
    remaining = [
        (line, line.quantity - line.quantity_shipped)
        for line in order.lines.all()
        if line.quantity > line.quantity_shipped
    ]
    if request.method == "POST":
        form = ShipmentForm(request.POST, lines=remaining)
        if form.is_valid():
            data = form.cleaned_data
            try:
                shipment = services_orders.shipment_create(
                    actor=request.user,
                    order=order,
                    quantities=form.quantities(),
                    shipped_on=data["shipped_on"],
                    carrier=data["carrier"],
                    tracking_number=data["tracking_number"],
                    notes=data["notes"],
                    expected_version=_version(request),
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            except ConflictError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request, _("Shipment %(number)s recorded.") % {"number": shipment.number}
                )
                return redirect(order.get_absolute_url())
    else:
        form = ShipmentForm(lines=remaining)
    return render(request, "commerce/shipment_form.html", {"form": form, "order": order})


@login_required
@require_POST
def shipment_delete(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    shipment = selectors.get_shipment_for(request.user, pk, Action.CHANGE)
    order = shipment.order
    try:
        services_orders.shipment_delete(actor=request.user, shipment=shipment)
    except ValidationError as exc:
        _refuse(request, exc)
    else:
        messages.success(request, _("Shipment %(number)s removed.") % {"number": shipment.number})
    return redirect(order.get_absolute_url())


# --- invoices ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def invoice_create(request: AuthedHttpRequest) -> HttpResponse:
    """An invoice from an order (?order=) with the quantities still to invoice, or a free
    invoice for a client (?company=)."""
    if not allows(request.user, Action.ADD, Invoice):
        raise PermissionDenied(_("You do not have permission to do this."))
    order_id = request.POST.get("order") or request.GET.get("order")
    if order_id:
        return _invoice_from_order(request, selectors.get_order_for(request.user, order_id))
    company_id = request.POST.get("company") or request.GET.get("company")
    if not company_id:
        return _choose_client(request, reverse("commerce:invoice_create"))
    return _free_invoice(request, get_company_for(request.user, company_id))


def _invoice_from_order(request: AuthedHttpRequest, order: Order) -> HttpResponse:
    remaining = services_invoices.uninvoiced(order)
    if request.method == "POST":
        form = InvoiceFromOrderForm(request.POST, lines=remaining)
        if form.is_valid():
            data = form.cleaned_data
            try:
                invoice = services_invoices.invoice_create(
                    actor=request.user,
                    order=order,
                    order_quantities=form.quantities(),
                    issued_on=data["issued_on"],
                    due_on=data["due_on"],
                    issue=data["issue"],
                )
            except ValidationError as exc:
                apply_errors(form, exc)
                if "order" in exc.message_dict:
                    form.add_error(None, exc.message_dict["order"])
            else:
                messages.success(
                    request, _("Invoice %(number)s created.") % {"number": invoice.number}
                )
                return redirect(invoice.get_absolute_url())
    else:
        form = InvoiceFromOrderForm(lines=remaining)
    return render(
        request,
        "commerce/invoice_form.html",
        {"form": form, "order": order, "company": order.company, "nothing_left": not remaining},
    )


def _free_invoice(request: AuthedHttpRequest, company: Company) -> HttpResponse:
    contacts = company_contacts(request.user, company)
    line_errors: dict[str, list[str]] = {}
    price_list = _price_list(request.POST.get("currency") or None)
    if request.method == "POST":
        form = FreeInvoiceForm(request.POST, contacts=contacts)
        drafts, prefixes, line_errors = lines_from_post(
            request.POST, user=request.user, price_list=price_list, default_tax=_default_tax()
        )
        if form.is_valid() and not line_errors:
            data = form.cleaned_data
            try:
                invoice = services_invoices.invoice_create(
                    actor=request.user,
                    company=company,
                    lines=drafts,
                    contact=data["contact"],
                    currency=data["currency"],
                    issued_on=data["issued_on"],
                    due_on=data["due_on"],
                    external_reference=data["external_reference"],
                    notes=data["notes"],
                    issue=data["issue"],
                )
            except ValidationError as exc:
                others = apply_errors(form, exc)
                line_errors = service_errors_to_lines(others, prefixes)
            else:
                messages.success(
                    request, _("Invoice %(number)s created.") % {"number": invoice.number}
                )
                return redirect(invoice.get_absolute_url())
        rows = _rows(request.POST, line_errors)
    else:
        form = FreeInvoiceForm(
            contacts=contacts,
            initial={"currency": price_list.currency} if price_list is not None else {},
        )
        rows = [_row("line0")]
    for row in rows:
        row["picker_url"] = _picker_url(
            row["prefix"], price_list, request.POST if request.method == "POST" else None
        )
    return render(
        request,
        "commerce/invoice_form.html",
        {
            "form": form,
            "company": company,
            "rows": rows,
            "next_index": len(rows),
            "units": _units(),
            "default_tax": _default_tax(),
            "line_errors": line_errors,
        },
    )


def _invoice_context(request: AuthedHttpRequest, invoice: Invoice, **extra: Any) -> dict[str, Any]:
    can_change = allows(request.user, Action.CHANGE, invoice)
    return {
        "invoice": invoice,
        "lines": list(invoice.lines.all()),
        "payments": selectors.invoice_payments(invoice),
        "can_change": can_change,
        "can_pay": can_change and invoice.status in services_invoices.PAYABLE,
        "is_overdue": selectors.is_overdue(invoice),
        "payment_form": PaymentForm(initial={"amount": max(invoice.balance_due, Decimal("0"))}),
        "company_visible": _company_visible(request, invoice.company_id),
        "order_visible": invoice.order_id is not None
        and selectors.orders_visible_to(request.user).filter(pk=invoice.order_id).exists(),
        "history": history_page(request.user, invoice, limit=HISTORY_PAGE_SIZE),
        "more_url": reverse("commerce:invoice_history", args=[invoice.pk]),
        "object": invoice,
        "object_type": "invoice",
        **extra,
    }


@login_required
def invoice_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    invoice = selectors.get_invoice_for(request.user, pk)
    return render(request, "commerce/invoice_detail.html", _invoice_context(request, invoice))


@login_required
@require_POST
def invoice_issue(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    invoice = selectors.get_invoice_for(request.user, pk, Action.CHANGE)
    try:
        services_invoices.invoice_issue(
            actor=request.user, invoice=invoice, expected_version=_version(request)
        )
    except (ValidationError, ConflictError) as exc:
        _refuse(request, exc)
    else:
        messages.success(request, _("Invoice %(number)s issued.") % {"number": invoice.number})
    return redirect(invoice.get_absolute_url())


@login_required
@require_POST
def invoice_cancel(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    invoice = selectors.get_invoice_for(request.user, pk, Action.CHANGE)
    try:
        services_invoices.invoice_cancel(
            actor=request.user,
            invoice=invoice,
            reason=request.POST.get("reason", ""),
            expected_version=_version(request),
        )
    except (ValidationError, ConflictError) as exc:
        _refuse(request, exc)
    else:
        messages.success(request, _("Invoice %(number)s cancelled.") % {"number": invoice.number})
    return redirect(invoice.get_absolute_url())


@login_required
@require_POST
def payment_create(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """Enter a payment; an amount over the balance due comes back with a confirmation box."""
    invoice = selectors.get_invoice_for(request.user, pk, Action.CHANGE)
    form = PaymentForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services_invoices.payment_create(
                actor=request.user,
                invoice=invoice,
                amount=data["amount"],
                paid_on=data["paid_on"],
                method=data["method"],
                reference=data["reference"],
                confirm_overpayment=data["confirm_overpayment"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
            if "amount" in exc.message_dict and invoice.status != Invoice.Status.DRAFT:
                form.show_confirmation = True
        except ConflictError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Payment recorded."))
            return redirect(invoice.get_absolute_url())
    invoice = selectors.get_invoice_for(request.user, pk)
    return render(
        request,
        "commerce/invoice_detail.html",
        _invoice_context(request, invoice, payment_form=form),
        status=422,
    )


@login_required
@require_POST
def payment_delete(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    payment = selectors.get_payment_for(request.user, pk, Action.CHANGE)
    invoice = payment.invoice
    try:
        services_invoices.payment_delete(actor=request.user, payment=payment)
    except ValidationError as exc:
        _refuse(request, exc)
    else:
        messages.success(request, _("Payment removed."))
    return redirect(invoice.get_absolute_url())


def _history(request: AuthedHttpRequest, obj: Any, object_type: str, url: str) -> HttpResponse:
    before = request.GET.get("before", "")
    page = history_page(
        request.user,
        obj,
        limit=HISTORY_PAGE_SIZE,
        before_id=int(before) if before.isdigit() else None,
    )
    return render(
        request,
        "core/_history.html",
        {
            "object": obj,
            "object_type": object_type,
            "page": page,
            "more_url": url,
            "fragment": True,
        },
    )


@login_required
def order_history(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """More of an order's history (the "More" button)."""
    order = selectors.get_order_for(request.user, pk)
    return _history(request, order, "order", reverse("commerce:order_history", args=[pk]))


@login_required
def invoice_history(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """More of an invoice's history (the "More" button)."""
    invoice = selectors.get_invoice_for(request.user, pk)
    return _history(request, invoice, "invoice", reverse("commerce:invoice_history", args=[pk]))


# --- fragments for the client card and the deal page ----------------------------------------


@login_required
def company_orders_panel(request: AuthedHttpRequest, company_pk: int) -> HttpResponse:
    """The client card's "Orders" panel: the newest orders with status and total."""
    company = get_company_for(request.user, company_pk)
    return render(
        request,
        "commerce/_order_panel.html",
        {
            "company": company,
            "orders": selectors.company_orders(request.user, company.pk),
            "can_add": user_scope(request.user, "order", Action.ADD) > Scope.NONE,
        },
    )


@login_required
def company_invoices_panel(request: AuthedHttpRequest, company_pk: int) -> HttpResponse:
    """The client card's "Invoices" panel: open invoices, balance due, total outstanding."""
    company = get_company_for(request.user, company_pk)
    invoices, outstanding = selectors.company_open_invoices(request.user, company.pk)
    return render(
        request,
        "commerce/_invoice_panel.html",
        {
            "company": company,
            "invoices": invoices,
            "outstanding": sorted(outstanding.items()),
            "today": _today(),
        },
    )


def _today() -> Any:
    from django.utils import timezone

    return timezone.localdate()


@login_required
def deal_orders(request: AuthedHttpRequest, deal_pk: int) -> HttpResponse:
    """The deal page's orders fragment."""
    from accord.sales.selectors_deals import get_deal_for

    deal = get_deal_for(request.user, deal_pk)
    return render(
        request,
        "commerce/_order_deal_panel.html",
        {
            "deal": deal,
            "orders": selectors.deal_orders(request.user, deal.pk),
            "can_add": allows(request.user, Action.ADD, Order),
        },
    )
