"""Forms of the catalogue pages, and ``line_from_post``: how another part's form (a quote, an
order) turns the inputs of the line picker into a priced, validated line."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accord.catalog.configurator import configure
from accord.catalog.models import OptionGroup, OptionRule, PriceList, Product, TaxRate
from accord.catalog.selectors import get_product_for
from accord.commerce.pricing import HUNDRED, ZERO, LineDraft

PREFIX_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,39}$")
DEFAULT_PREFIX = "line"
MAX_QUANTITY = Decimal("999999999")
QUANTITY_PLACES = 3


def clean_prefix(value: Any) -> str:
    """A prefix safe to use in input names and element ids ("line", "line_3")."""
    text = str(value or "").strip()
    return text if PREFIX_PATTERN.match(text) else DEFAULT_PREFIX


def parse_decimal(value: Any) -> Decimal | None:
    """A number as people type it ("1,5", "2 000"); None when it is not one."""
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    text = str(value if value is not None else "").strip().replace("\u00a0", "").replace(" ", "")
    text = text.replace(",", ".")
    if not text:
        return None
    try:
        number = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def parse_quantity(value: Any, field: str) -> Decimal:
    """A positive quantity with at most three decimals, or ValidationError naming ``field``."""
    number = parse_decimal(value)
    if number is None:
        raise ValidationError({field: [_("Enter the quantity, e.g. 1 or 2.5.")]})
    if number <= 0:
        raise ValidationError({field: [_("The quantity must be greater than zero.")]})
    if number > MAX_QUANTITY:
        raise ValidationError({field: [_("This quantity is too large.")]})
    if number != round(number, QUANTITY_PLACES):
        raise ValidationError({field: [_("Use at most three decimal places.")]})
    return number


def parse_discount(value: Any, field: str) -> Decimal:
    """A discount in percent, 0–100 (empty means none)."""
    if value in (None, ""):
        return ZERO
    number = parse_decimal(value)
    if number is None or number < 0 or number > HUNDRED:
        raise ValidationError({field: [_("A discount must be between 0 and 100 %.")]})
    return number


def option_codes_from(data: Any, prefix: str) -> list[str]:
    """The chosen option codes: repeated ``<prefix>-options`` (checkboxes, API-like posts)
    plus ``<prefix>-options-<group>`` (the radios of a single-choice group, which need a
    name of their own so that answering one group does not clear another)."""
    key = f"{prefix}-options"
    codes = _values(data, key)
    for name in list(data.keys()):
        if str(name).startswith(f"{key}-"):
            codes.extend(_values(data, name))
    return [code for code in codes if code.strip()]


def _values(data: Any, key: str) -> list[str]:
    if hasattr(data, "getlist"):
        return [str(v) for v in data.getlist(key)]
    value = data.get(key)
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [str(value)]


def line_from_post(data: Any, prefix: str, *, price_list: PriceList, user: Any) -> LineDraft:
    """The line the picker's inputs describe (``<prefix>-product``, repeated
    ``<prefix>-options`` (and ``<prefix>-options-<group>`` for radios), ``<prefix>-quantity``,
    optional ``<prefix>-discount_percent``), priced in ``price_list`` by the configurator.

    Raises ValidationError keyed ``<prefix>-product``, ``<prefix>-quantity``,
    ``<prefix>-discount_percent``, ``configuration`` or ``price_list``. Only products the user
    may see and that are still sold can be picked.
    """
    errors: dict[str, list[str]] = {}
    product: Product | None = None
    raw_product = (data.get(f"{prefix}-product") or "").strip()
    if not raw_product:
        errors[f"{prefix}-product"] = [_("Choose a product from the catalogue.")]
    else:
        try:
            product = get_product_for(user, raw_product)
        except Http404:
            errors[f"{prefix}-product"] = [_("This product is not in the catalogue.")]
    quantity = discount = ZERO
    try:
        quantity = parse_quantity(data.get(f"{prefix}-quantity"), f"{prefix}-quantity")
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        discount = parse_discount(
            data.get(f"{prefix}-discount_percent"), f"{prefix}-discount_percent"
        )
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    assert product is not None
    try:
        return configure(
            product=product,
            option_codes=option_codes_from(data, prefix),
            price_list=price_list,
            quantity=quantity,
            discount_percent=discount,
        )
    except ValidationError as exc:
        renamed: dict[str, list[str]] = {}
        for key, messages in exc.message_dict.items():
            if key in ("product", "quantity", "discount_percent"):
                key = f"{prefix}-{key}"
            renamed.setdefault(key, []).extend(messages)
        raise ValidationError(renamed) from None


# --- catalogue pages ----------------------------------------------------------------------


class CapitalisedLabels:
    """Labels reuse the models' lower-case verbose names; show them capitalised."""

    fields: dict[str, forms.Field]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        for field in self.fields.values():
            if field.label:
                field.label = str(field.label)[:1].upper() + str(field.label)[1:]


def add_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Put a service's field-named errors next to the matching fields, the rest on top."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, messages in exc.message_dict.items():
        target = name if name in form.fields else None
        for message in messages:
            form.add_error(target, message)


class ProductForm(CapitalisedLabels, forms.ModelForm):  # type: ignore[type-arg]
    """The facts of a product; the service validates and saves."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Product
        fields = [
            "sku",
            "name",
            "kind",
            "unit",
            "tax_rate",
            "is_configurable",
            "is_active",
            "description",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["tax_rate"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = TaxRate.objects.filter(is_active=True)
        field.empty_label = str(gettext_lazy("Default rate of our country"))

    def _post_clean(self) -> None:
        # The service runs full_clean (uniqueness included); don't do it twice here.
        pass

    def service_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class PriceForm(forms.Form):
    """One price of the product in a price list (empty removes it)."""

    price_list = forms.ModelChoiceField(
        label=gettext_lazy("Price list"), queryset=PriceList.objects.none()
    )
    amount = forms.CharField(label=gettext_lazy("Price"), required=False, max_length=30)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["price_list"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = PriceList.objects.all()


class OptionGroupForm(CapitalisedLabels, forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = OptionGroup
        fields = ["name", "is_required", "allows_multiple", "position"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["position"].required = False  # empty: after the last group

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        if data.get("position") is None:
            data.pop("position", None)
        return data

    def _post_clean(self) -> None:
        pass


class OptionForm(CapitalisedLabels, forms.Form):
    """An option with its price adjustment in every active price list."""

    code = forms.SlugField(label=gettext_lazy("Code"), max_length=60)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=255)
    is_default = forms.BooleanField(label=gettext_lazy("Selected by default"), required=False)
    position = forms.IntegerField(label=gettext_lazy("Sort order"), required=False, min_value=0)

    def __init__(self, *args: Any, price_lists: list[PriceList], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.price_lists = price_lists
        for price_list in price_lists:
            self.fields[f"price_{price_list.pk}"] = forms.CharField(
                label=_("Price adjustment, %(currency)s (%(list)s)")
                % {"currency": price_list.currency, "list": price_list.name},
                required=False,
                max_length=30,
                help_text=_("Added to the product's price; may be negative."),
            )


class RuleForm(forms.Form):
    option = forms.TypedChoiceField(label=gettext_lazy("When chosen"), coerce=int)
    kind = forms.ChoiceField(label=gettext_lazy("Rule"), choices=OptionRule.Kind.choices)
    target = forms.TypedChoiceField(label=gettext_lazy("Other option"), coerce=int)

    def __init__(self, *args: Any, choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("option", "target"):
            field = self.fields[name]
            assert isinstance(field, forms.TypedChoiceField)
            field.choices = [("", "—"), *choices]


class TaxRateForm(CapitalisedLabels, forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = TaxRate
        fields = ["country", "name", "rate", "is_default", "is_active"]

    def _post_clean(self) -> None:
        pass


class PriceListForm(CapitalisedLabels, forms.ModelForm):  # type: ignore[type-arg]
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = PriceList
        fields = ["name", "currency", "prices_include_tax", "is_default", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["currency"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(c, c) for c in settings.ACCORD_CURRENCIES]

    def _post_clean(self) -> None:
        pass
