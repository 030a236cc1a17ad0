"""The catalogue over the REST API (K3, K4, I3).

Thin: parse -> selector -> one service -> schema. ``POST /products/{id}/configure`` runs the
same configurator as the pages, so a client program can price a configuration (or learn why
it is not valid) before putting it on a quote.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from accord.catalog import services
from accord.catalog.configurator import configure, describe
from accord.catalog.models import (
    OptionGroup,
    Price,
    PriceList,
    Product,
    ProductOption,
    TaxRate,
)
from accord.catalog.selectors import get_product_for, products_visible_to, tax_rates
from accord.commerce.pricing import line_amounts
from accord.core.api import PageParams, authed_user, paginate
from accord.core.permissions import Action

router = Router(tags=["catalogue"])


# --- schemas --------------------------------------------------------------------------------


class PriceOut(Schema):
    price_list: int
    currency: str
    amount: Decimal


class ProductOut(Schema):
    id: int
    sku: str
    name: str
    description: str
    kind: str
    unit: str
    tax_rate: int | None
    is_configurable: bool
    is_active: bool
    prices: list[PriceOut]
    version: int
    created_at: datetime.datetime
    updated_at: datetime.datetime


class OptionOut(Schema):
    id: int
    code: str
    name: str
    is_default: bool
    position: int
    prices: list[PriceOut]
    requires: list[str]
    excludes: list[str]


class OptionGroupOut(Schema):
    id: int
    name: str
    is_required: bool
    allows_multiple: bool
    position: int
    options: list[OptionOut]


class ProductDetailOut(ProductOut):
    option_groups: list[OptionGroupOut]


class ProductPage(Schema):
    items: list[ProductOut]
    next: str | None


class ProductFilters(Schema):
    q: str | None = None
    kind: str | None = None
    is_active: bool | None = None
    is_configurable: bool | None = None
    price_list: int | None = None


class ProductIn(Schema):
    sku: str
    name: str
    description: str = ""
    kind: str = Product.Kind.PRODUCT
    unit: str = "pcs"
    tax_rate: int | None = None
    is_configurable: bool = False
    is_active: bool = True


class ProductPatch(Schema):
    version: int
    sku: str | None = None
    name: str | None = None
    description: str | None = None
    kind: str | None = None
    unit: str | None = None
    tax_rate: int | None = None
    is_configurable: bool | None = None
    is_active: bool | None = None


class PriceIn(Schema):
    """``amount`` null takes the product (or option) out of the price list."""

    price_list: int
    amount: Decimal | None
    option: str | None = None  # an option code, for its price adjustment


class PriceListOut(Schema):
    id: int
    name: str
    currency: str
    prices_include_tax: bool
    is_default: bool
    is_active: bool
    version: int


class TaxRateOut(Schema):
    id: int
    country: str
    name: str
    rate: Decimal
    is_default: bool
    is_active: bool


class ConfigureIn(Schema):
    price_list: int
    options: list[str] = []
    quantity: Decimal = Decimal("1")
    discount_percent: Decimal = Decimal("0")


class ChosenOptionOut(Schema):
    group: str
    code: str
    name: str
    price: Decimal


class ConfiguredLineOut(Schema):
    product: int
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    discount_percent: Decimal
    tax_rate: Decimal
    currency: str
    net: Decimal
    tax: Decimal
    total: Decimal
    configuration: list[ChosenOptionOut]


# --- helpers ------------------------------------------------------------------------------


def _own_prices() -> Prefetch[Any]:
    return Prefetch(
        "prices",
        queryset=Price.objects.filter(option__isnull=True).select_related("price_list"),
        to_attr="own_prices",
    )


def _price_rows(prices: Any) -> list[dict[str, Any]]:
    return [
        {"price_list": p.price_list_id, "currency": p.price_list.currency, "amount": p.amount}
        for p in sorted(prices, key=lambda p: p.price_list_id)
    ]


def render_product(product: Product) -> dict[str, Any]:
    prices = getattr(product, "own_prices", None)
    if prices is None:
        prices = list(
            Price.objects.filter(product=product, option__isnull=True).select_related("price_list")
        )
    return {
        "id": product.pk,
        "sku": product.sku,
        "name": product.name,
        "description": product.description,
        "kind": product.kind,
        "unit": product.unit,
        "tax_rate": product.tax_rate_id,
        "is_configurable": product.is_configurable,
        "is_active": product.is_active,
        "prices": _price_rows(prices),
        "version": product.version,
        "created_at": product.created_at,
        "updated_at": product.updated_at,
    }


def render_product_detail(product: Product) -> dict[str, Any]:
    data = render_product(product)
    option_prices: dict[int, list[Price]] = {}
    for price in Price.objects.filter(product=product, option__isnull=False).select_related(
        "price_list"
    ):
        assert price.option_id is not None
        option_prices.setdefault(price.option_id, []).append(price)
    groups = []
    for entry in describe(product, None).groups:
        group: OptionGroup = entry.group
        groups.append(
            {
                "id": group.pk,
                "name": group.name,
                "is_required": group.is_required,
                "allows_multiple": group.allows_multiple,
                "position": group.position,
                "options": [
                    {
                        "id": o.option.pk,
                        "code": o.option.code,
                        "name": o.option.name,
                        "is_default": o.option.is_default,
                        "position": o.option.position,
                        "prices": _price_rows(option_prices.get(o.option.pk, [])),
                        "requires": [t.code for t in o.requires],
                        "excludes": [t.code for t in o.excludes],
                    }
                    for o in entry.options
                ],
            }
        )
    data["option_groups"] = groups
    return data


def _tax_rate(pk: int | None) -> TaxRate | None:
    if pk is None:
        return None
    rate = TaxRate.objects.filter(pk=pk).first()
    if rate is None:
        raise ValidationError({"tax_rate": [_("No VAT rate with this id.")]})
    return rate


def _price_list(pk: int, field: str = "price_list") -> PriceList:
    price_list = PriceList.objects.filter(pk=pk).first()
    if price_list is None:
        raise ValidationError({field: [_("No price list with this id.")]})
    return price_list


# --- products -----------------------------------------------------------------------------


@router.get("/products", response=ProductPage, summary="Products and services in the catalogue")
def product_list(
    request: HttpRequest, filters: Query[ProductFilters], page: Query[PageParams]
) -> dict[str, Any]:
    queryset: QuerySet[Product] = products_visible_to(authed_user(request))
    if filters.q:
        queryset = queryset.filter(Q(sku__icontains=filters.q) | Q(name__icontains=filters.q))
    if filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    if filters.is_active is not None:
        queryset = queryset.filter(is_active=filters.is_active)
    if filters.is_configurable is not None:
        queryset = queryset.filter(is_configurable=filters.is_configurable)
    if filters.price_list is not None:
        queryset = queryset.filter(
            pk__in=Price.objects.filter(
                price_list_id=filters.price_list, option__isnull=True
            ).values("product_id")
        )
    return paginate(
        queryset.prefetch_related(_own_prices()),
        order=("name", "id"),
        after=page.after,
        limit=page.limit,
        render=render_product,
    )


@router.post("/products", response={201: ProductDetailOut}, summary="Add a product or service")
def product_create(request: HttpRequest, payload: ProductIn) -> Status[dict[str, Any]]:
    fields = payload.model_dump()
    fields["tax_rate"] = _tax_rate(fields["tax_rate"])
    product = services.product_create(actor=authed_user(request), **fields)
    return Status(201, render_product_detail(product))


@router.get(
    "/products/{int:product_id}",
    response=ProductDetailOut,
    summary="A product with its prices, option groups, options and rules",
)
def product_detail(request: HttpRequest, product_id: int) -> dict[str, Any]:
    return render_product_detail(get_product_for(authed_user(request), product_id))


@router.patch("/products/{int:product_id}", response=ProductDetailOut, summary="Change a product")
def product_update(request: HttpRequest, product_id: int, payload: ProductPatch) -> dict[str, Any]:
    user = authed_user(request)
    product = get_product_for(user, product_id)
    fields = payload.model_dump(exclude_unset=True)
    version = fields.pop("version")
    if "tax_rate" in fields:
        fields["tax_rate"] = _tax_rate(fields["tax_rate"])
    updated = services.product_update(
        actor=user, product=product, fields=fields, expected_version=version
    )
    return render_product_detail(updated)


@router.post(
    "/products/{int:product_id}/prices",
    response=ProductDetailOut,
    summary="Set (or, with a null amount, remove) a price in a price list",
)
def product_price(request: HttpRequest, product_id: int, payload: PriceIn) -> dict[str, Any]:
    user = authed_user(request)
    product = get_product_for(user, product_id)
    price_list = _price_list(payload.price_list)
    option = None
    if payload.option:
        option = ProductOption.objects.filter(group__product=product, code=payload.option).first()
        if option is None:
            raise ValidationError({"option": [_("This product has no option with this code.")]})
    if payload.amount is None:
        services.price_remove(actor=user, product=product, price_list=price_list, option=option)
    else:
        services.price_set(
            actor=user, product=product, price_list=price_list, amount=payload.amount, option=option
        )
    return render_product_detail(Product.objects.get(pk=product.pk))


@router.post(
    "/products/{int:product_id}/configure",
    response=ConfiguredLineOut,
    summary="Price a configuration (422 naming `configuration` when a rule is broken)",
)
def product_configure(
    request: HttpRequest, product_id: int, payload: ConfigureIn
) -> dict[str, Any]:
    product = get_product_for(authed_user(request), product_id, Action.VIEW)
    price_list = _price_list(payload.price_list)
    line = configure(
        product=product,
        option_codes=payload.options,
        price_list=price_list,
        quantity=payload.quantity,
        discount_percent=payload.discount_percent,
    )
    amounts = line_amounts(line)
    return {
        "product": product.pk,
        "description": line.description,
        "quantity": line.quantity,
        "unit": line.unit,
        "unit_price": line.unit_price,
        "discount_percent": line.discount_percent,
        "tax_rate": line.tax_rate,
        "currency": price_list.currency,
        "net": amounts.net,
        "tax": amounts.tax,
        "total": amounts.total,
        "configuration": line.configuration,
    }


# --- configuration ------------------------------------------------------------------------


@router.get("/price-lists", response=list[PriceListOut], summary="Price lists")
def price_list_list(request: HttpRequest) -> list[PriceList]:
    return list(PriceList.objects.all())


@router.get("/tax-rates", response=list[TaxRateOut], summary="VAT rates per country")
def tax_rate_list(request: HttpRequest, country: str | None = None) -> list[TaxRate]:
    rates = tax_rates()
    if country:
        rates = rates.filter(country=country.upper())
    return list(rates)
