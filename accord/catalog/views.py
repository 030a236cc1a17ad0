"""Catalogue pages: the product list, a product's page with its prices and configurator,
editing for those allowed, and the administrators' VAT rates and price lists (K3, K4)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accord.catalog import selectors, services
from accord.catalog.configurator import describe
from accord.catalog.forms import (
    OptionForm,
    OptionGroupForm,
    PriceForm,
    PriceListForm,
    ProductForm,
    RuleForm,
    TaxRateForm,
    add_service_errors,
)
from accord.catalog.lists import PRODUCTS
from accord.catalog.models import (
    OptionGroup,
    OptionRule,
    Price,
    PriceList,
    Product,
    ProductOption,
    TaxRate,
)
from accord.catalog.selectors import default_price_list, get_product_for
from accord.catalog.views_picker import line_picker, line_preview, picker_context, product_search
from accord.core import lists
from accord.core.errors import ConflictError
from accord.core.history import history_page
from accord.core.http import AuthedHttpRequest
from accord.core.permissions import Action, allows, require_administrator

__all__ = ["line_picker", "line_preview", "product_search"]

HISTORY_PAGE_SIZE = 10


# --- list ---------------------------------------------------------------------------------


@login_required
def product_list(request: AuthedHttpRequest) -> HttpResponse:
    if request.GET.get("part") == "filters":
        return lists.render_list(request, PRODUCTS)
    context = lists.list_context(PRODUCTS, request.user, request.GET)
    if not allows(request.user, Action.ADD, Product):
        context["create_url"] = ""
    return render(request, "core/list.html", context)


@login_required
def product_export(request: AuthedHttpRequest) -> HttpResponseBase:
    return lists.export_list(request, PRODUCTS, "products")


# --- one product --------------------------------------------------------------------------


def _prices_by_list(product: Product) -> list[tuple[PriceList, Decimal | None]]:
    """Every active price list with the product's price in it (None: not in that list), plus
    inactive lists that still hold a price."""
    amounts = dict(
        Price.objects.filter(product=product, option__isnull=True).values_list(
            "price_list_id", "amount"
        )
    )
    return [
        (price_list, amounts.get(price_list.pk))
        for price_list in PriceList.objects.all()
        if price_list.is_active or price_list.pk in amounts
    ]


@login_required
def product_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    product = get_product_for(request.user, pk)
    price_list = default_price_list()
    can_change = allows(request.user, Action.CHANGE, product)
    context: dict[str, Any] = {
        "product": product,
        "prices": _prices_by_list(product),
        "can_change": can_change,
        "description": describe(product, price_list),
        "price_list": price_list,
        "price_form": PriceForm(initial={"price_list": price_list}) if can_change else None,
        "history": history_page(request.user, product, limit=HISTORY_PAGE_SIZE),
        "history_url": reverse("catalog:product_history", args=[product.pk]),
    }
    if price_list is not None and product.is_active:
        context["try"] = picker_context(
            request.user, prefix="try", price_list=price_list, product=product, is_fixed=True
        )
    return render(request, "catalog/product_detail.html", context)


@login_required
def product_history(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """More of the product's history (its prices, options and rules included), for htmx."""
    product = get_product_for(request.user, pk)
    before = request.GET.get("before", "")
    page = history_page(
        request.user,
        product,
        limit=HISTORY_PAGE_SIZE,
        before_id=int(before) if before.isdigit() else None,
    )
    return render(
        request,
        "core/_history.html",
        {
            "object": product,
            "object_type": "product",
            "page": page,
            "more_url": reverse("catalog:product_history", args=[product.pk]),
            "fragment": bool(before),
        },
    )


def _form_page(
    request: AuthedHttpRequest,
    form: Any,
    *,
    title: str,
    back: str,
    product: Product | None = None,
    delete_url: str = "",
) -> HttpResponse:
    return render(
        request,
        "catalog/form.html",
        {
            "form": form,
            "title": title,
            "back": back,
            "product": product,
            "delete_url": delete_url,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def product_create(request: AuthedHttpRequest) -> HttpResponse:
    if not allows(request.user, Action.ADD, Product):
        raise PermissionDenied(_("You do not have permission to do this."))
    form = ProductForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        fields = form.service_fields()
        try:
            product = services.product_create(actor=request.user, **fields)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved: %(name)s") % {"name": product.name})
            return redirect(product.get_absolute_url())
    return _form_page(request, form, title=_("New product"), back=reverse("catalog:product_list"))


@login_required
@require_http_methods(["GET", "POST"])
def product_edit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    product = get_product_for(request.user, pk, Action.CHANGE)
    initial = {"version": product.version}
    form = ProductForm(request.POST or None, instance=product, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            updated = services.product_update(
                actor=request.user,
                product=Product.objects.get(pk=product.pk),
                fields=form.service_fields(),
                expected_version=form.cleaned_data.get("version"),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except ConflictError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Changes saved."))
            return redirect(updated.get_absolute_url())
    return _form_page(
        request,
        form,
        title=_("Edit %(name)s") % {"name": product.name},
        back=product.get_absolute_url(),
        product=product,
    )


@login_required
@require_POST
def product_price(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """Set (or, with an empty amount, remove) the product's price in one price list."""
    product = get_product_for(request.user, pk, Action.CHANGE)
    form = PriceForm(request.POST)
    if form.is_valid():
        price_list = form.cleaned_data["price_list"]
        amount = (form.cleaned_data["amount"] or "").strip()
        try:
            if amount:
                services.price_set(
                    actor=request.user, product=product, price_list=price_list, amount=amount
                )
            else:
                services.price_remove(actor=request.user, product=product, price_list=price_list)
        except ValidationError as exc:
            for values in exc.message_dict.values():
                for message in values:
                    messages.error(request, message)
        else:
            messages.success(request, _("Price saved in %(list)s.") % {"list": price_list.name})
    else:
        messages.error(request, _("Choose a price list and enter an amount."))
    return redirect(product.get_absolute_url() + "#prices")


# --- option groups, options, rules -------------------------------------------------------


def _group_for(request: AuthedHttpRequest, pk: int, group_pk: int) -> tuple[Product, OptionGroup]:
    product = get_product_for(request.user, pk, Action.CHANGE)
    group = get_object_or_404(OptionGroup, pk=group_pk, product=product)
    return product, group


@login_required
@require_http_methods(["GET", "POST"])
def group_create(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    product = get_product_for(request.user, pk, Action.CHANGE)
    form = OptionGroupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.option_group_create(
                actor=request.user,
                product=product,
                name=data["name"],
                is_required=data["is_required"],
                allows_multiple=data["allows_multiple"],
                position=data.get("position"),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect(product.get_absolute_url() + "#options")
    return _form_page(
        request,
        form,
        title=_("New option group"),
        back=product.get_absolute_url(),
        product=product,
    )


@login_required
@require_http_methods(["GET", "POST"])
def group_edit(request: AuthedHttpRequest, pk: int, group_pk: int) -> HttpResponse:
    product, group = _group_for(request, pk, group_pk)
    form = OptionGroupForm(request.POST or None, instance=group)
    if request.method == "POST" and form.is_valid():
        try:
            services.option_group_update(
                actor=request.user,
                group=OptionGroup.objects.get(pk=group.pk),
                fields=form.service_fields(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect(product.get_absolute_url() + "#options")
    return _form_page(
        request,
        form,
        title=_("Option group %(name)s") % {"name": group.name},
        back=product.get_absolute_url(),
        product=product,
        delete_url=reverse("catalog:group_delete", args=[product.pk, group.pk]),
    )


@login_required
@require_POST
def group_delete(request: AuthedHttpRequest, pk: int, group_pk: int) -> HttpResponse:
    product, group = _group_for(request, pk, group_pk)
    services.option_group_delete(actor=request.user, group=group)
    messages.success(request, _("Deleted: %(name)s") % {"name": group.name})
    return redirect(product.get_absolute_url() + "#options")


def _option_prices(option: ProductOption | None, price_lists: list[PriceList]) -> dict[str, Any]:
    if option is None:
        return {}
    amounts = dict(Price.objects.filter(option=option).values_list("price_list_id", "amount"))
    return {f"price_{pl.pk}": amounts[pl.pk] for pl in price_lists if pl.pk in amounts}


def _price_values(form: OptionForm) -> dict[PriceList, Decimal | None] | None:
    """The adjustments typed per price list (None: empty), or None after putting an error
    next to each amount that is not one."""
    values: dict[PriceList, Decimal | None] = {}
    for price_list in form.price_lists:
        name = f"price_{price_list.pk}"
        text = (form.cleaned_data.get(name) or "").strip()
        if not text:
            values[price_list] = None
            continue
        try:
            values[price_list] = services.parse_amount(text, name, allow_negative=True)
        except ValidationError as exc:
            add_service_errors(form, exc)
    return None if form.errors else values


@login_required
@require_http_methods(["GET", "POST"])
def option_create(request: AuthedHttpRequest, pk: int, group_pk: int) -> HttpResponse:
    product, group = _group_for(request, pk, group_pk)
    price_lists = list(PriceList.objects.filter(is_active=True))
    form = OptionForm(request.POST or None, price_lists=price_lists)
    prices = _price_values(form) if request.method == "POST" and form.is_valid() else None
    if prices is not None:
        data = form.cleaned_data
        try:
            services.option_create(
                actor=request.user,
                group=group,
                code=data["code"],
                name=data["name"],
                is_default=data["is_default"],
                position=data.get("position"),
                prices={pl: v for pl, v in prices.items() if v is not None},
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect(product.get_absolute_url() + "#options")
    return _form_page(
        request,
        form,
        title=_("New option in %(group)s") % {"group": group.name},
        back=product.get_absolute_url(),
        product=product,
    )


@login_required
@require_http_methods(["GET", "POST"])
def option_edit(request: AuthedHttpRequest, pk: int, option_pk: int) -> HttpResponse:
    product = get_product_for(request.user, pk, Action.CHANGE)
    option = get_object_or_404(
        ProductOption.objects.select_related("group"), pk=option_pk, group__product=product
    )
    price_lists = list(PriceList.objects.filter(is_active=True))
    initial = {
        "code": option.code,
        "name": option.name,
        "is_default": option.is_default,
        "position": option.position,
        **_option_prices(option, price_lists),
    }
    form = OptionForm(request.POST or None, price_lists=price_lists, initial=initial)
    prices = _price_values(form) if request.method == "POST" and form.is_valid() else None
    if prices is not None:
        data = form.cleaned_data
        fields = {key: data[key] for key in ("code", "name", "is_default")}
        if data.get("position") is not None:
            fields["position"] = data["position"]
        try:
            services.option_update(actor=request.user, option=option, fields=fields, prices=prices)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect(product.get_absolute_url() + "#options")
    return _form_page(
        request,
        form,
        title=_("Option %(name)s") % {"name": option.name},
        back=product.get_absolute_url(),
        product=product,
        delete_url=reverse("catalog:option_delete", args=[product.pk, option.pk]),
    )


@login_required
@require_POST
def option_delete(request: AuthedHttpRequest, pk: int, option_pk: int) -> HttpResponse:
    product = get_product_for(request.user, pk, Action.CHANGE)
    option = get_object_or_404(
        ProductOption.objects.select_related("group"), pk=option_pk, group__product=product
    )
    services.option_delete(actor=request.user, option=option)
    messages.success(request, _("Deleted: %(name)s") % {"name": option.name})
    return redirect(product.get_absolute_url() + "#options")


@login_required
@require_http_methods(["GET", "POST"])
def rule_create(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    product = get_product_for(request.user, pk, Action.CHANGE)
    options = {
        o.pk: o
        for o in ProductOption.objects.filter(group__product=product).select_related("group")
    }
    choices = [(o.pk, f"{o.group.name}: {o.name}") for o in options.values()]
    form = RuleForm(request.POST or None, choices=choices)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.rule_create(
                actor=request.user,
                option=options[data["option"]],
                kind=data["kind"],
                target=options[data["target"]],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect(product.get_absolute_url() + "#rules")
    return _form_page(
        request, form, title=_("New rule"), back=product.get_absolute_url(), product=product
    )


@login_required
@require_POST
def rule_delete(request: AuthedHttpRequest, pk: int, rule_pk: int) -> HttpResponse:
    product = get_product_for(request.user, pk, Action.CHANGE)
    rule = get_object_or_404(
        OptionRule.objects.select_related("option", "target"),
        pk=rule_pk,
        option__group__product=product,
    )
    services.rule_delete(actor=request.user, rule=rule)
    return redirect(product.get_absolute_url() + "#rules")


# --- administrators: VAT rates and price lists -------------------------------------------


def _administrator(request: AuthedHttpRequest) -> None:
    require_administrator(request.user)


@login_required
def tax_rates(request: AuthedHttpRequest) -> HttpResponse:
    _administrator(request)
    rows = list(selectors.tax_rates())
    return render(request, "catalog/admin/tax_rates.html", {"tax_rates": rows})


@login_required
@require_http_methods(["GET", "POST"])
def tax_rate_create(request: AuthedHttpRequest) -> HttpResponse:
    _administrator(request)
    form = TaxRateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.tax_rate_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The VAT rate was saved."))
            return redirect("catalog:tax_rates")
    return render(
        request,
        "core/admin/form.html",
        {"form": form, "title": _("New VAT rate"), "back": "catalog:tax_rates"},
    )


@login_required
@require_http_methods(["GET", "POST"])
def tax_rate_edit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    _administrator(request)
    tax_rate = get_object_or_404(TaxRate, pk=pk)
    form = TaxRateForm(request.POST or None, instance=tax_rate)
    if request.method == "POST" and form.is_valid():
        try:
            services.tax_rate_update(
                actor=request.user,
                tax_rate=TaxRate.objects.get(pk=pk),
                fields=form.cleaned_data,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The VAT rate was saved."))
            return redirect("catalog:tax_rates")
    return render(
        request,
        "core/admin/form.html",
        {"form": form, "title": str(tax_rate), "back": "catalog:tax_rates"},
    )


@login_required
def price_lists(request: AuthedHttpRequest) -> HttpResponse:
    _administrator(request)
    rows = PriceList.objects.annotate(
        product_count=Count("prices", filter=Q(prices__option__isnull=True))
    )
    return render(request, "catalog/admin/price_lists.html", {"price_lists": list(rows)})


@login_required
@require_http_methods(["GET", "POST"])
def price_list_create(request: AuthedHttpRequest) -> HttpResponse:
    _administrator(request)
    form = PriceListForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            services.price_list_create(actor=request.user, **data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The price list was saved."))
            return redirect("catalog:price_lists")
    return render(
        request,
        "core/admin/form.html",
        {"form": form, "title": _("New price list"), "back": "catalog:price_lists"},
    )


@login_required
@require_http_methods(["GET", "POST"])
def price_list_edit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    _administrator(request)
    price_list = get_object_or_404(PriceList, pk=pk)
    form = PriceListForm(
        request.POST or None, instance=price_list, initial={"version": price_list.version}
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version", None)
        try:
            services.price_list_update(
                actor=request.user,
                price_list=PriceList.objects.get(pk=pk),
                fields=data,
                expected_version=version,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except ConflictError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The price list was saved."))
            return redirect("catalog:price_lists")
    return render(
        request,
        "core/admin/form.html",
        {"form": form, "title": str(price_list), "back": "catalog:price_lists"},
    )
