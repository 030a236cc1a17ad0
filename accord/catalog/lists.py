"""The product list and its CSV export (K3), declared on accord.core.lists."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext_lazy as _

from accord.catalog.models import Price, PriceList, Product
from accord.catalog.selectors import products_visible_to
from accord.catalog.templatetags.catalog_tags import format_money
from accord.core import lists


def _search_filter() -> lists.Filter:
    """Article or name, as typed."""

    def make(user: Any) -> forms.Field:
        return forms.CharField(label=_("Article or name"), required=False, max_length=100)

    def apply(queryset: QuerySet[Any], value: str, user: Any) -> QuerySet[Any]:
        text = value.strip()
        return (
            queryset.filter(Q(sku__icontains=text) | Q(name__icontains=text)) if text else queryset
        )

    return lists.Filter("search", make, apply)


def _yes_no_filter(key: str, label: Any, path: str) -> lists.Filter:
    def make(user: Any) -> forms.Field:
        return forms.ChoiceField(
            label=label,
            required=False,
            choices=[("", "—"), ("yes", _("Yes")), ("no", _("No"))],
        )

    return lists.Filter(key, make, lambda qs, v, u: qs.filter(**{path: v == "yes"}))


def _price_list_filter() -> lists.Filter:
    """Products priced in one price list (and the price column shows that list)."""

    def make(user: Any) -> forms.Field:
        return forms.ModelChoiceField(
            label=_("Priced in"), required=False, queryset=PriceList.objects.all()
        )

    return lists.Filter(
        "price_list",
        make,
        lambda qs, v, u: qs.filter(
            pk__in=Price.objects.filter(price_list=v, option__isnull=True).values("product_id")
        ),
    )


def products_with_default_price(user: Any, action: str) -> QuerySet[Product]:
    """Visible products with their price in the default price list (one subquery, no N+1)."""
    default = PriceList.objects.filter(is_default=True).values("pk")[:1]
    price = Price.objects.filter(
        product=OuterRef("pk"), option__isnull=True, price_list=Subquery(default)
    )
    currency = PriceList.objects.filter(is_default=True).values("currency")[:1]
    return products_visible_to(user, action).annotate(
        default_price=Subquery(price.values("amount")[:1]),
        default_currency=Subquery(currency),
    )


def _price(product: Any) -> str:
    amount = getattr(product, "default_price", None)
    return format_money(amount, product.default_currency) if amount is not None else "—"


def _yes(value: bool) -> Any:
    return _("yes") if value else _("no")


PRODUCTS = lists.register(
    lists.ListDefinition(
        key="products",
        title=_("Catalogue"),
        object_type="product",
        queryset=products_with_default_price,
        columns=[
            lists.Column("sku", _("Article"), lambda p: p.sku, sort="sku"),
            lists.Column(
                "name",
                _("Name"),
                lambda p: p.name,
                sort="name",
                link=lambda p: p.get_absolute_url(),
            ),
            lists.Column("kind", _("Type"), lambda p: p.get_kind_display()),
            lists.Column("unit", _("Unit"), lambda p: p.get_unit_display()),
            lists.Column(
                "price",
                _("Price (default list)"),
                _price,
                export=lambda p: getattr(p, "default_price", None),
                currency=lambda p: (
                    p.default_currency if getattr(p, "default_price", None) is not None else ""
                ),
            ),
            lists.Column(
                "configurable",
                _("Configurable"),
                lambda p: _yes(p.is_configurable),
                export=lambda p: p.is_configurable,
            ),
            lists.Column(
                "active",
                _("Active"),
                lambda p: _yes(p.is_active),
                is_default=False,
                export=lambda p: p.is_active,
            ),
            lists.Column(
                "description", _("Description"), lambda p: p.description, is_default=False
            ),
        ],
        sorts={
            "name": (_("Name"), "name"),
            "sku": (_("Article"), "sku"),
            "updated": (_("Updated"), "updated_at"),
        },
        default_sort="name",
        filters=[
            _search_filter(),
            lists.choice_filter("kind", _("Type"), Product.Kind.choices, "kind"),
            _yes_no_filter("active", _("Active"), "is_active"),
            _yes_no_filter("configurable", _("Configurable"), "is_configurable"),
            _price_list_filter(),
        ],
        url_name="catalog:product_list",
        export_url_name="catalog:product_export",
        create_url_name="catalog:product_create",
        create_label=_("New product"),
        has_text_search=False,
    )
)
