"""The line picker: a fragment other parts (quotes, orders) put inside their line forms.

It searches the catalogue (visible, active products only), then asks the configurator's
questions of the chosen product and shows the price of the line as the inputs change. The
inputs it leaves in the surrounding form are ``<prefix>-product``, ``<prefix>-options``
(repeated) and ``<prefix>-quantity``; the receiving view calls
``accord.catalog.forms.line_from_post`` with the same prefix.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET

from accord.catalog.configurator import ProductDescription, describe
from accord.catalog.forms import clean_prefix, line_from_post, option_codes_from
from accord.catalog.models import Price, PriceList, Product
from accord.catalog.selectors import default_price_list, get_price_list, get_product_for
from accord.catalog.selectors import products_visible_to as visible_products
from accord.commerce.pricing import line_amounts
from accord.core.http import AuthedHttpRequest

SEARCH_LIMIT = 20


def price_list_from(params: Any) -> PriceList:
    """The price list named in the request (active), else the default one."""
    raw = params.get("price_list")
    if raw:
        return get_price_list(raw, active_only=False)
    price_list = default_price_list()
    if price_list is None:
        raise Http404
    return price_list


def picker_url(*, prefix: str, price_list: PriceList, **extra: Any) -> str:
    """The URL of the picker fragment, for an ``hx-get`` in another part's template."""
    params = {"prefix": prefix, "price_list": price_list.pk, **extra}
    return reverse("catalog:line_picker") + "?" + urlencode(params, doseq=True)


def preview(data: Any, *, prefix: str, price_list: PriceList, user: Any) -> dict[str, Any]:
    """The priced line the inputs describe, or the reasons it is not valid."""
    try:
        line = line_from_post(data, prefix, price_list=price_list, user=user)
    except ValidationError as exc:
        messages = [m for values in exc.message_dict.values() for m in values]
        return {"line": None, "amounts": None, "errors": messages}
    return {"line": line, "amounts": line_amounts(line), "errors": []}


def picker_context(
    user: Any,
    *,
    prefix: str,
    price_list: PriceList,
    product: Product | None,
    data: Any = None,
    is_fixed: bool = False,
) -> dict[str, Any]:
    """Everything the picker template needs. ``data`` (a QueryDict) pre-fills the choice,
    e.g. when a form comes back with errors; without it the defaults are chosen."""
    context: dict[str, Any] = {
        "prefix": prefix,
        "price_list": price_list,
        "price_lists": list(PriceList.objects.filter(is_active=True)),
        "product": product,
        "is_fixed": is_fixed,
        "search_url": reverse("catalog:product_search")
        + "?"
        + urlencode({"prefix": prefix, "price_list": price_list.pk}),
        "picker_url": picker_url(prefix=prefix, price_list=price_list),
        "preview_url": reverse("catalog:line_preview"),
    }
    if product is None:
        return context
    description: ProductDescription = describe(product, price_list)
    has_choice = data is not None and str(data.get(f"{prefix}-product") or "") == str(product.pk)
    if has_choice:
        chosen = option_codes_from(data, prefix)
        quantity = data.get(f"{prefix}-quantity") or "1"
    else:
        chosen = description.default_codes
        quantity = "1"
    values = QueryDict(mutable=True)
    values[f"{prefix}-product"] = str(product.pk)
    values.setlist(f"{prefix}-options", chosen)
    values[f"{prefix}-quantity"] = quantity
    context.update(
        description=description,
        groups=[
            (group, any(o.option.code in chosen for o in group.options))
            for group in description.groups
        ],
        chosen=chosen,
        quantity=quantity,
        preview=preview(values, prefix=prefix, price_list=price_list, user=user),
    )
    return context


def render_picker(
    request: Any,
    *,
    prefix: str,
    price_list: PriceList,
    product: Product | None = None,
    data: Any = None,
) -> str:
    """The picker's HTML, for a view that renders it in place instead of loading it."""
    context = picker_context(
        request.user,
        prefix=clean_prefix(prefix),
        price_list=price_list,
        product=product,
        data=data,
    )
    return render_to_string("catalog/_line_picker.html", context, request=request)


@login_required
@require_GET
def line_picker(request: AuthedHttpRequest) -> HttpResponse:
    """GET ?price_list=<id>&prefix=<p>[&product=<id>][&<p>-options=…&<p>-quantity=…]"""
    prefix = clean_prefix(request.GET.get("prefix"))
    price_list = price_list_from(request.GET)
    raw_product = request.GET.get("product") or request.GET.get(f"{prefix}-product")
    product = get_product_for(request.user, raw_product) if raw_product else None
    data = request.GET if request.GET.get(f"{prefix}-product") else None
    context = picker_context(
        request.user,
        prefix=prefix,
        price_list=price_list,
        product=product,
        data=data,
        is_fixed=request.GET.get("fixed") == "1",
    )
    return render(request, "catalog/_line_picker.html", context)


def searchable_products(user: Any, price_list: PriceList, text: str) -> QuerySet[Product]:
    """Active products the user may see matching the text, with their price in the list."""
    price = Price.objects.filter(
        product=OuterRef("pk"), price_list=price_list, option__isnull=True
    ).values("amount")[:1]
    queryset = visible_products(user).filter(is_active=True)
    text = text.strip()
    if text:
        queryset = queryset.filter(Q(sku__icontains=text) | Q(name__icontains=text))
    return queryset.annotate(list_price=Subquery(price)).order_by("name", "id")


@login_required
@require_GET
def product_search(request: AuthedHttpRequest) -> HttpResponse:
    """GET ?price_list=<id>&prefix=<p>&<p>-search=<text>: up to 20 matching products."""
    prefix = clean_prefix(request.GET.get("prefix"))
    price_list = price_list_from(request.GET)
    text = request.GET.get(f"{prefix}-search") or request.GET.get("q") or ""
    products = list(searchable_products(request.user, price_list, text)[: SEARCH_LIMIT + 1])
    return render(
        request,
        "catalog/_product_search.html",
        {
            "products": products[:SEARCH_LIMIT],
            "has_more": len(products) > SEARCH_LIMIT,
            "prefix": prefix,
            "price_list": price_list,
            "picker_url": picker_url(prefix=prefix, price_list=price_list),
            "text": text,
        },
    )


@login_required
@require_GET
def line_preview(request: AuthedHttpRequest) -> HttpResponse:
    """The price of the line the picker's inputs describe (or why it is not valid)."""
    prefix = clean_prefix(request.GET.get("prefix"))
    price_list = price_list_from(request.GET)
    context = preview(request.GET, prefix=prefix, price_list=price_list, user=request.user)
    context.update(prefix=prefix, price_list=price_list)
    return render(request, "catalog/_line_preview.html", context)
