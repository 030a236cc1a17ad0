"""Reads of the catalogue, scoped by the permission layer (rule 2).

The catalogue is shared: a role either sees every product or none. Price lists and VAT rates
are configuration, readable by anyone signed in (a quote needs them), changed by
administrators only.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from accord.catalog.models import Price, PriceList, Product, ProductOption, TaxRate
from accord.core.permissions import Action, restrict

DEFAULT_SELLER_COUNTRY = "RU"


def products_visible_to(user: Any, action: str = Action.VIEW) -> QuerySet[Product]:
    """Products the user's roles allow ``action`` on (all or none: the catalogue is shared)."""
    return restrict(Product.objects.all(), user, action)


def get_product_for(user: Any, pk: Any, action: str = Action.VIEW) -> Product:
    """The same 404 for a product that does not exist and one the user may not see."""
    try:
        return products_visible_to(user, action).select_related("tax_rate").get(pk=int(pk))
    except (Product.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def active_price_lists() -> QuerySet[PriceList]:
    """Price lists a new line may be priced from (default first)."""
    return PriceList.objects.filter(is_active=True)


def get_price_list(pk: Any, *, active_only: bool = True) -> PriceList:
    """A price list by id, 404 when missing (or inactive, unless ``active_only`` is off)."""
    queryset = active_price_lists() if active_only else PriceList.objects.all()
    try:
        return queryset.get(pk=int(pk))
    except (PriceList.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def default_price_list(currency: str | None = None) -> PriceList | None:
    """The price list a new document starts from: the default one, or, when a currency is
    asked for, the default if it is in that currency, else the first active list in it."""
    lists = active_price_lists()
    if currency:
        lists = lists.filter(currency=currency)
    return lists.order_by("-is_default", "name", "id").first()


def price_of(
    product: Product, price_list: PriceList, option: ProductOption | None = None
) -> Decimal | None:
    """The product's price (or, with ``option``, that option's adjustment) in a price list;
    None when the list has no such price."""
    prices = Price.objects.filter(price_list=price_list, product=product)
    prices = prices.filter(option__isnull=True) if option is None else prices.filter(option=option)
    return prices.values_list("amount", flat=True).first()


def prices_in(product: Product, price_list: PriceList) -> tuple[Decimal | None, dict[int, Decimal]]:
    """The product's own price and its options' adjustments in one query (option id ->
    amount), so the configurator and the product page price everything at once."""
    own: Decimal | None = None
    by_option: dict[int, Decimal] = {}
    rows = Price.objects.filter(price_list=price_list, product=product).values_list(
        "option_id", "amount"
    )
    for option_id, amount in rows:
        if option_id is None:
            own = amount
        else:
            by_option[option_id] = amount
    return own, by_option


def seller_country() -> str:
    """Our own country (from the company details), which decides the default VAT rate."""
    from accord.commerce.models import SellerProfile

    country = SellerProfile.objects.values_list("country", flat=True).first()
    return (country or DEFAULT_SELLER_COUNTRY).upper()


def default_tax_rate(country: str | None = None) -> Decimal:
    """The default VAT rate (percent) of ``country`` (the seller's when omitted); zero when the
    administrators have set none for that country."""
    code = (country or seller_country()).upper()
    rate = (
        TaxRate.objects.filter(country=code, is_default=True, is_active=True)
        .values_list("rate", flat=True)
        .first()
    )
    return rate if rate is not None else Decimal("0")


def tax_rate_of(product: Product) -> Decimal:
    """The VAT rate a line of this product carries: its own, else the seller's default."""
    if product.tax_rate_id is not None and product.tax_rate is not None:
        return product.tax_rate.rate
    return default_tax_rate()


def tax_rates() -> QuerySet[TaxRate]:
    """Every VAT rate, by country (configuration, readable by anyone signed in)."""
    return TaxRate.objects.all()
