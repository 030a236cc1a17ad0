"""The deal list and its CSV export (K2, D2), declared on accord.core.lists."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from accord.core import lists
from accord.core.http import AuthedHttpRequest
from accord.core.models import Picklist, PicklistOption
from accord.sales.models import Deal, Pipeline, Stage
from accord.sales.selectors_deals import deals_visible_to


def money(amount: Decimal | None, currency: str) -> str:
    """An amount with its currency in the reader's language (babel, as the PDFs do)."""
    from babel.numbers import format_currency
    from django.utils import translation

    if amount is None:
        return ""
    language = (translation.get_language() or "en")[:2]
    return format_currency(amount, currency, locale=language).replace("\xa0", " ")


def _status_filter() -> lists.Filter:
    def make(user: Any) -> forms.Field:
        return forms.ChoiceField(
            label=_("Status"),
            required=False,
            choices=[
                ("", "—"),
                ("open", pgettext_open()),
                ("won", _("Won")),
                ("lost", _("Lost")),
            ],
        )

    def apply(queryset: QuerySet[Any], value: str, user: Any) -> QuerySet[Any]:
        if value == "open":
            return queryset.filter(is_closed=False)
        if value == "won":
            return queryset.filter(is_closed=True, is_won=True)
        if value == "lost":
            return queryset.filter(is_closed=True, is_won=False)
        return queryset

    return lists.Filter("status", make, apply)


def pgettext_open() -> Any:
    from django.utils.translation import pgettext_lazy

    return pgettext_lazy("deal status", "Open")


def _amount_filters() -> list[lists.Filter]:
    def field(label: Any) -> Any:
        def make(user: Any) -> forms.Field:
            return forms.DecimalField(
                label=label, required=False, min_value=Decimal("0"), max_digits=14
            )

        return make

    return [
        lists.Filter(
            "amount_min", field(_("Amount from")), lambda qs, v, u: qs.filter(amount__gte=v)
        ),
        lists.Filter(
            "amount_max", field(_("Amount to")), lambda qs, v, u: qs.filter(amount__lte=v)
        ),
    ]


def _close_filters() -> list[lists.Filter]:
    def field(label: Any) -> Any:
        def make(user: Any) -> forms.Field:
            return forms.DateField(
                label=label, required=False, widget=forms.DateInput(attrs={"type": "date"})
            )

        return make

    return [
        lists.Filter(
            "close_from",
            field(_("Expected close from")),
            lambda qs, v, u: qs.filter(expected_close__gte=v),
        ),
        lists.Filter(
            "close_to",
            field(_("Expected close to")),
            lambda qs, v, u: qs.filter(expected_close__lte=v),
        ),
    ]


class _StageField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.pipeline} — {obj}"


def _stage_filter() -> lists.Filter:
    def make(user: Any) -> forms.Field:
        return _StageField(
            label=_("Stage"),
            required=False,
            queryset=Stage.objects.filter(is_active=True).select_related("pipeline"),
        )

    return lists.Filter("stage", make, lambda qs, v, u: qs.filter(stage=v))


class _OptionField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return obj.localized_label()


def _source_filter() -> lists.Filter:
    def make(user: Any) -> forms.Field:
        return _OptionField(
            label=_("Source"),
            required=False,
            queryset=PicklistOption.objects.filter(picklist=Picklist.SOURCE),
        )

    return lists.Filter("source", make, lambda qs, v, u: qs.filter(source=v))


def _company_filter() -> lists.Filter:
    """Company by id (the client card's "all deals" link) or by name."""

    def make(user: Any) -> forms.Field:
        return forms.CharField(label=_("Client"), required=False, max_length=200)

    def apply(queryset: QuerySet[Any], value: str, user: Any) -> QuerySet[Any]:
        from accord.parties.search import text_match
        from accord.parties.selectors import companies_visible_to

        if value.isdigit():
            return queryset.filter(company_id=int(value))
        return queryset.filter(company__in=text_match(companies_visible_to(user), value))

    return lists.Filter("company", make, apply)


def _date(value: Any) -> str:
    return date_format(value, "SHORT_DATE_FORMAT") if value else ""


def _prepare(queryset: QuerySet[Any]) -> QuerySet[Any]:
    return queryset.select_related("company", "stage", "owner", "pipeline")


def _status(deal: Deal) -> str:
    if not deal.is_closed:
        return str(pgettext_open())
    return str(_("Won")) if deal.is_won else str(_("Lost"))


DEALS = lists.register(
    lists.ListDefinition(
        key="deals",
        title=_("Deals"),
        object_type="deal",
        queryset=deals_visible_to,
        columns=[
            lists.Column(
                "name",
                _("Name"),
                lambda d: d.name,
                sort="name",
                link=lambda d: d.get_absolute_url(),
            ),
            lists.Column(
                "company",
                _("Client"),
                lambda d: d.company.name,
                link=lambda d: d.company.get_absolute_url(),
            ),
            lists.Column("stage", _("Stage"), lambda d: str(d.stage)),
            lists.Column(
                "amount",
                _("Amount"),
                lambda d: money(d.amount, d.currency),
                sort="amount",
                export=lambda d: d.amount,
                currency=lambda d: d.currency,
            ),
            lists.Column(
                "expected_close",
                _("Expected close"),
                lambda d: _date(d.expected_close),
                export=lambda d: d.expected_close,
            ),
            lists.Column("owner", _("Owner"), lambda d: str(d.owner)),
            lists.Column("status", _("Status"), _status, is_default=False),
            lists.Column("pipeline", _("Pipeline"), lambda d: str(d.pipeline), is_default=False),
            lists.Column(
                "created",
                _("Created"),
                lambda d: _date(d.created_at),
                sort="created",
                export=lambda d: d.created_at,
                is_default=False,
            ),
        ],
        sorts={
            "name": (_("Name"), "name"),
            "amount": (_("Amount"), "amount"),
            "created": (_("Created"), "created_at"),
            "updated": (_("Updated"), "updated_at"),
        },
        default_sort="-created",
        filters=[
            lists.model_filter(
                "pipeline", _("Pipeline"), lambda: Pipeline.objects.all(), "pipeline"
            ),
            _stage_filter(),
            _status_filter(),
            lists.owner_filter(),
            lists.team_filter(),
            *_close_filters(),
            *_amount_filters(),
            _source_filter(),
            _company_filter(),
        ],
        url_name="sales:deal_list",
        export_url_name="sales:deal_export",
        create_url_name="sales:deal_create",
        create_label=_("New deal"),
        prepare=_prepare,
        has_text_search=False,
    )
)


@login_required
def deal_list(request: AuthedHttpRequest) -> HttpResponse:
    return lists.render_list(request, DEALS)


@login_required
def deal_export(request: AuthedHttpRequest) -> HttpResponseBase:
    return lists.export_list(request, DEALS, "deals")
