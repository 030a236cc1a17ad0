"""The order and invoice lists and their CSV exports (S3, D3), declared on accord.core.lists."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accord.commerce.models import Invoice, Order
from accord.commerce.selectors_orders import (
    OPEN_INVOICE_STATUSES,
    invoices_visible_to,
    orders_visible_to,
)
from accord.commerce.templatetags.orders_money import format_money
from accord.core import lists
from accord.core.http import AuthedHttpRequest


def _day(value: Any) -> str:
    return date_format(value, "SHORT_DATE_FORMAT") if value else ""


def _date_filters(prefix: str, model_field: str, label: Any) -> list[lists.Filter]:
    """From / to (inclusive) on a date column."""

    def make(text: Any) -> Any:
        def field(user: Any) -> forms.Field:
            return forms.DateField(
                label=text, required=False, widget=forms.DateInput(attrs={"type": "date"})
            )

        return field

    return [
        lists.Filter(
            f"{prefix}_from",
            make(_("%(label)s from") % {"label": label}),
            lambda qs, v, u: qs.filter(**{f"{model_field}__gte": v}),
        ),
        lists.Filter(
            f"{prefix}_to",
            make(_("%(label)s to") % {"label": label}),
            lambda qs, v, u: qs.filter(**{f"{model_field}__lte": v}),
        ),
    ]


def _client_filter() -> lists.Filter:
    """Client by id (links from the card) or by name, within the companies the user sees."""

    def make(user: Any) -> forms.Field:
        return forms.CharField(label=_("Client"), required=False, max_length=200)

    def apply(queryset: QuerySet[Any], value: str, user: Any) -> QuerySet[Any]:
        from accord.parties.search import text_match
        from accord.parties.selectors import companies_visible_to

        if value.isdigit():
            return queryset.filter(company_id=int(value))
        return queryset.filter(company__in=text_match(companies_visible_to(user), value))

    return lists.Filter("client", make, apply)


def _overdue_filter() -> lists.Filter:
    def make(user: Any) -> forms.Field:
        return forms.BooleanField(label=_("Overdue only"), required=False)

    return lists.Filter(
        "overdue",
        make,
        lambda qs, v, u: (
            qs.filter(status__in=OPEN_INVOICE_STATUSES, due_on__lt=timezone.localdate())
            if v
            else qs
        ),
    )


def _prepare_orders(queryset: QuerySet[Any]) -> QuerySet[Any]:
    return queryset.select_related("company", "owner")


ORDERS = lists.register(
    lists.ListDefinition(
        key="orders",
        title=_("Orders"),
        object_type="order",
        queryset=orders_visible_to,
        columns=[
            lists.Column(
                "number",
                pgettext_lazy("document number", "Number"),
                lambda o: o.number,
                sort="number",
                link=lambda o: reverse("commerce:order_detail", args=[o.pk]),
            ),
            lists.Column(
                "ordered_on",
                _("Date"),
                lambda o: _day(o.ordered_on),
                sort="date",
                export=lambda o: o.ordered_on,
            ),
            lists.Column(
                "client",
                _("Client"),
                lambda o: o.company.name,
                link=lambda o: o.company.get_absolute_url(),
            ),
            lists.Column("status", _("Status"), lambda o: o.get_status_display()),
            lists.Column(
                "total",
                _("Total"),
                lambda o: format_money(o.total, o.currency),
                export=lambda o: o.total,
                currency=lambda o: o.currency,
            ),
            lists.Column("owner", _("Owner"), lambda o: str(o.owner)),
            lists.Column(
                "channel", _("Received via"), lambda o: o.get_channel_display(), is_default=False
            ),
            lists.Column(
                "delivery_date",
                _("Delivery date wanted"),
                lambda o: _day(o.delivery_date),
                export=lambda o: o.delivery_date,
                is_default=False,
            ),
        ],
        sorts={
            "date": (_("Date"), "ordered_on"),
            "number": (pgettext_lazy("document number", "Number"), "number"),
            "total": (_("Total"), "total"),
            "updated": (_("Updated"), "updated_at"),
        },
        default_sort="-date",
        filters=[
            lists.choice_filter("status", _("Status"), Order.Status.choices, "status"),
            lists.owner_filter(),
            _client_filter(),
            *_date_filters("date", "ordered_on", _("Date")),
        ],
        url_name="commerce:order_list",
        export_url_name="commerce:order_export",
        create_url_name="commerce:order_create",
        create_label=_("Take an order"),
        prepare=_prepare_orders,
        has_text_search=False,
    )
)


def _prepare_invoices(queryset: QuerySet[Any]) -> QuerySet[Any]:
    return queryset.select_related("company", "owner")


def _invoice_status(invoice: Invoice) -> str:
    label = str(invoice.get_status_display())
    if invoice.status in OPEN_INVOICE_STATUSES and invoice.due_on < timezone.localdate():
        return str(_("%(status)s, overdue") % {"status": label})
    return label


INVOICES = lists.register(
    lists.ListDefinition(
        key="invoices",
        title=_("Invoices"),
        object_type="invoice",
        queryset=invoices_visible_to,
        columns=[
            lists.Column(
                "number",
                pgettext_lazy("document number", "Number"),
                lambda i: i.number,
                sort="number",
                link=lambda i: reverse("commerce:invoice_detail", args=[i.pk]),
            ),
            lists.Column(
                "issued_on",
                _("Issue date"),
                lambda i: _day(i.issued_on),
                sort="date",
                export=lambda i: i.issued_on,
            ),
            lists.Column(
                "due_on",
                _("Due date"),
                lambda i: _day(i.due_on),
                sort="due",
                export=lambda i: i.due_on,
            ),
            lists.Column(
                "client",
                _("Client"),
                lambda i: i.company.name,
                link=lambda i: i.company.get_absolute_url(),
            ),
            lists.Column("status", _("Status"), _invoice_status),
            lists.Column(
                "total",
                _("Total"),
                lambda i: format_money(i.total, i.currency),
                export=lambda i: i.total,
                currency=lambda i: i.currency,
            ),
            lists.Column(
                "balance_due",
                _("Balance due"),
                lambda i: format_money(i.balance_due, i.currency),
                export=lambda i: i.balance_due,
                currency=lambda i: i.currency,
            ),
            lists.Column("owner", _("Owner"), lambda i: str(i.owner), is_default=False),
            lists.Column(
                "external_reference",
                _("Number in accounting"),
                lambda i: i.external_reference,
                is_default=False,
            ),
        ],
        sorts={
            "date": (_("Issue date"), "issued_on"),
            "due": (_("Due date"), "due_on"),
            "number": (pgettext_lazy("document number", "Number"), "number"),
            "total": (_("Total"), "total"),
        },
        default_sort="-date",
        filters=[
            lists.choice_filter("status", _("Status"), Invoice.Status.choices, "status"),
            _overdue_filter(),
            lists.owner_filter(),
            _client_filter(),
            *_date_filters("date", "issued_on", _("Issue date")),
            *_date_filters("due", "due_on", _("Due date")),
        ],
        url_name="commerce:invoice_list",
        export_url_name="commerce:invoice_export",
        create_url_name="commerce:invoice_create",
        create_label=_("New invoice"),
        prepare=_prepare_invoices,
        has_text_search=False,
    )
)


@login_required
def order_list(request: AuthedHttpRequest) -> HttpResponse:
    return lists.render_list(request, ORDERS)


@login_required
def order_export(request: AuthedHttpRequest) -> HttpResponseBase:
    return lists.export_list(request, ORDERS, "orders")


@login_required
def invoice_list(request: AuthedHttpRequest) -> HttpResponse:
    return lists.render_list(request, INVOICES)


@login_required
def invoice_export(request: AuthedHttpRequest) -> HttpResponseBase:
    return lists.export_list(request, INVOICES, "invoices")
