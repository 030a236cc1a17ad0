"""The quote list and its CSV export (S4, D2), declared on accord.core.lists."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.formats import date_format
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from accord.commerce.models import Quote
from accord.commerce.pdf import format_money
from accord.commerce.selectors_quotes import quotes_visible_to
from accord.core import lists


def _day(value: Any) -> str:
    return date_format(value, "SHORT_DATE_FORMAT") if value else ""


def _total(quote: Quote) -> str:
    return format_money(quote.total, quote.currency, (get_language() or "en")[:2])


def _client_filter() -> lists.Filter:
    """Client by name (the same fast search as the company list) or by id."""

    def make(user: Any) -> forms.Field:
        return forms.CharField(label=_("Client"), required=False, max_length=200)

    def apply(queryset: QuerySet[Any], value: str, user: Any) -> QuerySet[Any]:
        from accord.parties.search import text_match
        from accord.parties.selectors import companies_visible_to

        if value.isdigit():
            return queryset.filter(company_id=int(value))
        return queryset.filter(company__in=text_match(companies_visible_to(user), value))

    return lists.Filter("client", make, apply)


def _valid_until_filters() -> list[lists.Filter]:
    def from_field(user: Any) -> forms.Field:
        return forms.DateField(
            label=_("Valid until from"),
            required=False,
            widget=forms.DateInput(attrs={"type": "date"}),
        )

    def to_field(user: Any) -> forms.Field:
        return forms.DateField(
            label=_("Valid until to"),
            required=False,
            widget=forms.DateInput(attrs={"type": "date"}),
        )

    return [
        lists.Filter("valid_from", from_field, lambda qs, v, u: qs.filter(valid_until__gte=v)),
        lists.Filter("valid_to", to_field, lambda qs, v, u: qs.filter(valid_until__lte=v)),
    ]


def quotes_for_list(user: Any, action: str) -> QuerySet[Quote]:
    return quotes_visible_to(user, action)


def _prepare(queryset: QuerySet[Any]) -> QuerySet[Any]:
    return queryset.select_related("company", "owner", "deal")


QUOTES = lists.register(
    lists.ListDefinition(
        key="quotes",
        title=_("Quotes"),
        object_type="quote",
        queryset=quotes_for_list,
        columns=[
            lists.Column(
                "number",
                pgettext_lazy("document number", "Number"),
                lambda q: str(q),
                sort="number",
                link=lambda q: q.get_absolute_url(),
            ),
            lists.Column(
                "created",
                _("Date"),
                lambda q: _day(q.created_at),
                sort="created",
                export=lambda q: q.created_at,
            ),
            lists.Column(
                "client",
                _("Client"),
                lambda q: q.company.name,
                link=lambda q: q.company.get_absolute_url(),
            ),
            lists.Column("deal", _("Deal"), lambda q: q.deal.name, is_default=False),
            lists.Column("status", _("Status"), lambda q: q.get_status_display()),
            lists.Column(
                "total",
                _("Total"),
                _total,
                sort="total",
                export=lambda q: q.total,
                currency=lambda q: q.currency,
            ),
            lists.Column(
                "valid_until",
                _("Valid until"),
                lambda q: _day(q.valid_until),
                sort="valid_until",
                export=lambda q: q.valid_until,
            ),
            lists.Column("owner", _("Owner"), lambda q: str(q.owner)),
            lists.Column(
                "sent",
                _("Sent"),
                lambda q: _day(q.sent_at),
                is_default=False,
                export=lambda q: q.sent_at,
            ),
        ],
        sorts={
            "created": (_("Date"), "created_at"),
            "number": (pgettext_lazy("document number", "Number"), "number"),
            "total": (_("Total"), "total"),
            "valid_until": (_("Valid until"), "valid_until"),
        },
        default_sort="-created",
        filters=[
            lists.choice_filter("status", _("Status"), Quote.Status.choices, "status"),
            lists.owner_filter(),
            _client_filter(),
            *lists.date_range_filters("created", "created_at", _("Date")),
            *_valid_until_filters(),
        ],
        url_name="commerce:quote_list",
        export_url_name="commerce:quote_export",
        prepare=_prepare,
        has_text_search=False,
    )
)
