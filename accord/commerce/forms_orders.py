"""Forms for orders, shipments, invoices and payments. Forms only parse input; the services
decide what is allowed and their ValidationErrors are put back on these forms."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accord.catalog.models import Unit
from accord.commerce.models import Order
from accord.commerce.pricing import LineDraft
from accord.core.models import Picklist, PicklistOption
from accord.parties.models import Company, Contact

LINE_PREFIX = re.compile(r"^line\d{1,3}$")
MAX_LINES = 200


class DateInput(forms.DateInput):
    input_type = "date"


class OrderForm(forms.Form):
    """The order header, as short as a phone call allows: the client is already chosen."""

    contact = forms.ModelChoiceField(
        label=_("Contact"), queryset=Contact.objects.none(), required=False
    )
    channel = forms.ChoiceField(
        label=_("Received via"), choices=Order.Channel.choices, initial=Order.Channel.PHONE
    )
    ordered_on = forms.DateField(label=_("Order date"), widget=DateInput, required=False)
    delivery_date = forms.DateField(
        label=_("Delivery date wanted"), widget=DateInput, required=False
    )
    delivery_address = forms.CharField(
        label=_("Delivery address"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    customer_reference = forms.CharField(
        label=_("Client's reference"), max_length=120, required=False
    )
    notes = forms.CharField(
        label=_("Notes"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args: Any, contacts: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if contacts is not None:
            self.fields["contact"].queryset = contacts  # type: ignore[attr-defined]
        self.fields["ordered_on"].initial = timezone.localdate()


class OrderCreateForm(OrderForm):
    confirm = forms.BooleanField(
        label=_("Confirm the order now"),
        required=False,
        help_text=_("A confirmed order can be shipped; its lines can no longer be changed."),
    )


class OrderEditForm(OrderForm):
    """The header of an existing order (its lines are edited one by one)."""


def _decimal(data: Mapping[str, Any], name: str, default: Decimal | None = None) -> Decimal | None:
    raw = str(data.get(name, "") or "").strip().replace(",", ".").replace(" ", "")
    if not raw:
        return default
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValidationError({name: [gettext("Enter a number.")]}) from None
    if not value.is_finite():
        raise ValidationError({name: [gettext("Enter a number.")]})
    return value


def line_prefixes(data: Mapping[str, Any]) -> list[str]:
    """The line rows posted, in page order (each row posts a hidden ``lines`` = its prefix)."""
    getlist = getattr(data, "getlist", None)
    values = getlist("lines") if getlist else data.get("lines", [])
    return [p for p in dict.fromkeys(values) if LINE_PREFIX.match(p)][:MAX_LINES]


def picker_prefix(prefix: str) -> str:
    """The catalogue picker of a row gets its own prefix, so its quantity input never clashes
    with the free line's."""
    return f"{prefix}_cat"


def row_is_blank(data: Mapping[str, Any], prefix: str) -> bool:
    return not any(
        str(data.get(name, "") or "").strip()
        for name in (
            f"{picker_prefix(prefix)}-product",
            f"{prefix}-description",
            f"{prefix}-unit_price",
        )
    )


def free_line_from_post(data: Mapping[str, Any], prefix: str, *, default_tax: Decimal) -> LineDraft:
    """A free-text line (description, quantity, price, discount, VAT) typed on the form.
    Errors name the input (``<prefix>-quantity``) so they show next to it."""
    errors: dict[str, list[str]] = {}
    values: dict[str, Decimal | None] = {}
    for name, default in (
        ("quantity", Decimal("1")),
        ("unit_price", None),
        ("discount_percent", Decimal("0")),
        ("tax_rate", default_tax),
    ):
        try:
            values[name] = _decimal(data, f"{prefix}-{name}", default)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    description = str(data.get(f"{prefix}-description", "") or "").strip()
    if not description:
        errors[f"{prefix}-description"] = [gettext("Describe the line.")]
    if values.get("unit_price") is None and f"{prefix}-unit_price" not in errors:
        errors[f"{prefix}-unit_price"] = [gettext("Enter the price.")]
    unit = str(data.get(f"{prefix}-unit", "") or Unit.PIECE)
    if unit not in Unit.values:
        unit = Unit.PIECE
    if errors:
        raise ValidationError(errors)
    return LineDraft(
        description=description,
        quantity=values["quantity"] or Decimal("0"),
        unit_price=values["unit_price"] or Decimal("0"),
        unit=unit,
        discount_percent=values["discount_percent"] or Decimal("0"),
        tax_rate=values["tax_rate"] or Decimal("0"),
    )


def lines_from_post(
    data: Mapping[str, Any], *, user: Any, price_list: Any, default_tax: Decimal
) -> tuple[list[LineDraft], list[str], dict[str, list[str]]]:
    """Every filled-in line row of the form: catalogue lines through the catalogue's parser
    (options and rules checked there), free lines here. Returns drafts, their prefixes and
    the errors keyed by input name."""
    drafts: list[LineDraft] = []
    prefixes: list[str] = []
    errors: dict[str, list[str]] = {}
    for prefix in line_prefixes(data):
        if row_is_blank(data, prefix):
            continue
        try:
            if str(data.get(f"{picker_prefix(prefix)}-product", "") or "").strip():
                from accord.catalog.forms import line_from_post

                draft = line_from_post(
                    data, picker_prefix(prefix), price_list=price_list, user=user
                )
            else:
                draft = free_line_from_post(data, prefix, default_tax=default_tax)
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                name = key if key.startswith(prefix) else f"{prefix}-{key}"
                errors.setdefault(name, []).extend(messages)
            continue
        drafts.append(draft)
        prefixes.append(prefix)
    return drafts, prefixes, errors


def service_errors_to_lines(
    errors: Mapping[str, list[str]], prefixes: list[str]
) -> dict[str, list[str]]:
    """Map the service's ``lines-<i>-field`` keys back to the row inputs (``line3-field``)."""
    mapped: dict[str, list[str]] = {}
    for key, messages in errors.items():
        match = re.match(r"^lines-(\d+)-(.+)$", key)
        if match and int(match.group(1)) < len(prefixes):
            key = f"{prefixes[int(match.group(1))]}-{match.group(2)}"
        mapped.setdefault(key, []).extend(messages)
    return mapped


class OrderLineForm(forms.Form):
    """One line of a new order, edited in place."""

    description = forms.CharField(label=_("Description"), max_length=500)
    quantity = forms.DecimalField(label=_("Quantity"), max_digits=12, decimal_places=3)
    unit = forms.ChoiceField(label=_("Unit"), choices=Unit.choices, initial=Unit.PIECE)
    unit_price = forms.DecimalField(label=_("Unit price"), max_digits=14, decimal_places=2)
    discount_percent = forms.DecimalField(
        label=_("Discount, %"), max_digits=5, decimal_places=2, initial=Decimal("0")
    )
    tax_rate = forms.DecimalField(
        label=_("VAT, %"), max_digits=5, decimal_places=2, initial=Decimal("0")
    )


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Order.Status.choices)
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class QuantitiesForm(forms.Form):
    """A form with one quantity input per order line (``line-<id>``), prefilled with what is
    left; the service checks the quantities against the order."""

    remaining_help = _("%(remaining)s left")

    def __init__(
        self, *args: Any, lines: Sequence[tuple[Any, Decimal]] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.line_fields: list[tuple[Any, Decimal, str]] = []
        for line, remaining in lines:
            name = f"line-{line.pk}"
            self.fields[name] = forms.DecimalField(
                label=line.description,
                required=False,
                max_digits=12,
                decimal_places=3,
                initial=remaining,
                help_text=self.remaining_help % {"remaining": f"{remaining.normalize():f}"},
            )
            self.line_fields.append((line, remaining, name))

    def quantities(self) -> dict[int, Decimal]:
        return {
            line.pk: self.cleaned_data.get(name) or Decimal("0")
            for line, _remaining, name in self.line_fields
        }


class ShipmentForm(QuantitiesForm):
    """What leaves now: a quantity per order line, and the carrier's details."""

    shipped_on = forms.DateField(label=_("Shipped on"), widget=DateInput)
    carrier = forms.CharField(label=_("Carrier"), max_length=120, required=False)
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=120, required=False)
    notes = forms.CharField(
        label=_("Notes"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    remaining_help = _("%(remaining)s left to ship")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["shipped_on"].initial = timezone.localdate()


class InvoiceFromOrderForm(QuantitiesForm):
    """Which quantities of an order to invoice (prefilled with all that remains)."""

    issued_on = forms.DateField(label=_("Issue date"), widget=DateInput)
    due_on = forms.DateField(
        label=_("Due date"),
        widget=DateInput,
        required=False,
        help_text=_("Empty: from our payment terms."),
    )
    issue = forms.BooleanField(label=_("Issue it now"), required=False, initial=True)
    remaining_help = _("%(remaining)s not yet invoiced")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["issued_on"].initial = timezone.localdate()


class FreeInvoiceForm(forms.Form):
    """An invoice without an order: the header; lines are the same rows as on an order."""

    contact = forms.ModelChoiceField(
        label=_("Contact"), queryset=Contact.objects.none(), required=False
    )
    currency = forms.ChoiceField(label=_("Currency"), choices=())
    issued_on = forms.DateField(label=_("Issue date"), widget=DateInput)
    due_on = forms.DateField(label=_("Due date"), widget=DateInput, required=False)
    external_reference = forms.CharField(
        label=_("Number in accounting"), max_length=60, required=False
    )
    notes = forms.CharField(
        label=_("Notes"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    issue = forms.BooleanField(label=_("Issue it now"), required=False, initial=True)

    def __init__(self, *args: Any, contacts: Any = None, **kwargs: Any) -> None:
        from django.conf import settings

        super().__init__(*args, **kwargs)
        if contacts is not None:
            self.fields["contact"].queryset = contacts  # type: ignore[attr-defined]
        self.fields["currency"].choices = [(c, c) for c in settings.ACCORD_CURRENCIES]  # type: ignore[attr-defined]
        self.fields["issued_on"].initial = timezone.localdate()


class PaymentForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount"), max_digits=14, decimal_places=2, min_value=Decimal("0.01")
    )
    paid_on = forms.DateField(label=_("Payment date"), widget=DateInput)
    method = forms.ModelChoiceField(
        label=_("Method"),
        queryset=PicklistOption.objects.filter(picklist=Picklist.PAYMENT_METHOD, is_active=True),
        required=False,
    )
    reference = forms.CharField(label=_("Reference"), max_length=120, required=False)
    confirm_overpayment = forms.BooleanField(
        label=_("Yes, the client paid more than the balance due"), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["paid_on"].initial = timezone.localdate()
        self.show_confirmation = bool(self.data.get("confirm_overpayment"))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)


def company_contacts(user: Any, company: Company) -> Any:
    """The client's people the user may see, for the contact select."""
    from accord.parties.selectors import contacts_visible_to

    return (
        contacts_visible_to(user)
        .filter(employments__company=company)
        .order_by("last_name", "first_name", "id")
        .distinct()
    )
