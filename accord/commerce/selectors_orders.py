"""Reads of orders, shipments, invoices and payments, scoped by the permission layer (rule 2).

Shipments, lines and payments have no permission of their own: they are reached only through
an order or invoice the reader may see."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from accord.commerce.models import Invoice, Order, Payment, Shipment
from accord.core.permissions import Action, restrict

OPEN_INVOICE_STATUSES = (Invoice.Status.ISSUED, Invoice.Status.PARTIALLY_PAID)
PANEL_LIMIT = 10


def orders_visible_to(user: Any, action: str = Action.VIEW) -> QuerySet[Order]:
    return restrict(Order.objects.all(), user, action)


def get_order_for(user: Any, pk: Any, action: str = Action.VIEW) -> Order:
    """The same 404 for an order that does not exist and one the user may not touch."""
    try:
        return (
            orders_visible_to(user, action)
            .select_related("company", "contact", "deal", "quote", "owner", "team")
            .get(pk=int(pk))
        )
    except (Order.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def order_shipments(order: Order) -> list[Shipment]:
    """An order's shipments with their lines (the order was fetched through its selector)."""
    return list(order.shipments.select_related("created_by").prefetch_related("lines__order_line"))


def invoices_visible_to(user: Any, action: str = Action.VIEW) -> QuerySet[Invoice]:
    return restrict(Invoice.objects.all(), user, action)


def get_invoice_for(user: Any, pk: Any, action: str = Action.VIEW) -> Invoice:
    """The same 404 for an invoice that does not exist and one the user may not touch."""
    try:
        return (
            invoices_visible_to(user, action)
            .select_related("company", "contact", "order", "owner", "project_stage")
            .get(pk=int(pk))
        )
    except (Invoice.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def get_shipment_for(user: Any, pk: Any, action: str = Action.VIEW) -> Shipment:
    """A shipment through its order's scope."""
    try:
        return Shipment.objects.select_related("order__company").get(
            pk=int(pk), order__in=orders_visible_to(user, action)
        )
    except (Shipment.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def get_payment_for(user: Any, pk: Any, action: str = Action.VIEW) -> Payment:
    """A payment through its invoice's scope."""
    try:
        return Payment.objects.select_related("invoice__company").get(
            pk=int(pk), invoice__in=invoices_visible_to(user, action)
        )
    except (Payment.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def invoice_payments(invoice: Invoice) -> list[Payment]:
    return list(invoice.payments.select_related("method", "created_by"))


def invoices_of_order(user: Any, order: Order) -> list[Invoice]:
    return list(invoices_visible_to(user).filter(order=order).order_by("issued_on", "id"))


def company_orders(user: Any, company_pk: int) -> list[Order]:
    """The newest orders of a client for its card."""
    return list(
        orders_visible_to(user)
        .filter(company_id=company_pk)
        .order_by("-ordered_on", "-id")[:PANEL_LIMIT]
    )


def company_open_invoices(user: Any, company_pk: int) -> tuple[list[Invoice], dict[str, Decimal]]:
    """A client's unpaid invoices (oldest due first) and the outstanding total per currency."""
    queryset = invoices_visible_to(user).filter(
        company_id=company_pk, status__in=OPEN_INVOICE_STATUSES
    )
    invoices = list(queryset.order_by("due_on", "id")[:PANEL_LIMIT])
    totals: dict[str, Decimal] = {}
    for row in (
        queryset.order_by().values("currency").annotate(total=Sum("total"), paid=Sum("amount_paid"))
    ):
        totals[row["currency"]] = (row["total"] or Decimal("0")) - (row["paid"] or Decimal("0"))
    return invoices, totals


def deal_orders(user: Any, deal_pk: int) -> list[Order]:
    return list(orders_visible_to(user).filter(deal_id=deal_pk).order_by("-ordered_on", "-id")[:50])


def is_overdue(invoice: Invoice) -> bool:
    return invoice.status in OPEN_INVOICE_STATUSES and invoice.due_on < timezone.localdate()
