"""Forms of the contract and unit pages. They only parse input; the services validate and
write, and their errors are put back next to the field they name."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accord.catalog.models import Product
from accord.contracts.models import Asset, Entitlement, ServiceContract
from accord.core.models import Team
from accord.sla.models import SlaPolicy

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
UNITS = tuple(Entitlement.Unit.values)


class ErrorsFromServiceMixin:
    def apply_errors(self, errors: dict[str, list[str]]) -> None:
        form: Any = self
        for name, messages in errors.items():
            target = name if name in form.fields else None
            for message in messages:
                form.add_error(target, message)


def _currency_choices() -> list[tuple[str, str]]:
    return [("", "—"), *[(code, code) for code in settings.ACCORD_CURRENCIES]]


class ContractForm(ErrorsFromServiceMixin, forms.Form):
    number = forms.CharField(
        label=_("Number"),
        max_length=40,
        required=False,
        help_text=_("Leave empty to get the next number (SC-year-number)."),
    )
    name = forms.CharField(label=_("Name"), max_length=255)
    starts_on = forms.DateField(label=_("Start"), widget=DATE)
    ends_on = forms.DateField(label=_("End"), widget=DATE)
    sla_policy = forms.ModelChoiceField(
        label=_("Service level"),
        queryset=SlaPolicy.objects.none(),
        required=False,
        empty_label=_("The client tier's usual service level"),
    )
    included_visits = forms.DecimalField(
        label=_("Visits included"), required=False, max_digits=10, decimal_places=2
    )
    included_hours = forms.DecimalField(
        label=_("Hours included"), required=False, max_digits=10, decimal_places=2
    )
    included_cases = forms.DecimalField(
        label=_("Cases included"), required=False, max_digits=10, decimal_places=2
    )
    covered_assets = forms.ModelMultipleChoiceField(
        label=_("Covered units"),
        queryset=Asset.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Nothing chosen here and below: the contract covers all of the client's requests."
        ),
    )
    covered_products = forms.ModelMultipleChoiceField(
        label=_("Covered products"),
        queryset=Product.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("Every unit of these products at this client is covered."),
    )
    amount = forms.DecimalField(
        label=_("Price"), required=False, max_digits=14, decimal_places=2, min_value=Decimal("0")
    )
    currency = forms.ChoiceField(label=_("Currency"), choices=_currency_choices, required=False)
    renewal_notice_days = forms.IntegerField(
        label=_("Remind before expiry (days)"), min_value=1, max_value=365, initial=30
    )
    team = forms.ModelChoiceField(
        label=_("Shared with team"), queryset=Team.objects.all(), required=False
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, company: Any, is_edit: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sla_policy"].queryset = SlaPolicy.objects.filter(is_active=True)  # type: ignore[attr-defined]
        units = Asset.objects.filter(company=company).select_related("product")
        self.fields["covered_assets"].queryset = units  # type: ignore[attr-defined]
        self.fields["covered_products"].queryset = Product.objects.filter(is_active=True)  # type: ignore[attr-defined]
        if not is_edit:
            del self.fields["version"]

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        fields = {
            name: data.get(name)
            for name in (
                "number",
                "name",
                "starts_on",
                "ends_on",
                "sla_policy",
                "amount",
                "currency",
                "renewal_notice_days",
                "team",
                "notes",
            )
        }
        fields["currency"] = fields["currency"] or ""
        fields["notes"] = fields["notes"] or ""
        return fields

    def entitlements(self) -> dict[str, Any]:
        return {unit: self.cleaned_data.get(f"included_{unit}") for unit in UNITS}

    @staticmethod
    def initial_for(contract: ServiceContract) -> dict[str, Any]:
        initial: dict[str, Any] = {
            name: getattr(contract, name)
            for name in (
                "number",
                "name",
                "starts_on",
                "ends_on",
                "sla_policy",
                "amount",
                "currency",
                "renewal_notice_days",
                "team",
                "notes",
                "version",
            )
        }
        initial["covered_assets"] = list(contract.covered_assets.values_list("pk", flat=True))
        initial["covered_products"] = list(contract.covered_products.values_list("pk", flat=True))
        for unit, included in contract.entitlements.values_list("unit", "included"):
            initial[f"included_{unit}"] = included
        return initial


class ConsumptionForm(ErrorsFromServiceMixin, forms.Form):
    unit = forms.ChoiceField(label=_("What was used"), choices=())
    quantity = forms.DecimalField(label=_("Quantity"), max_digits=10, decimal_places=2)
    occurred_on = forms.DateField(label=_("Date"), widget=DATE)
    note = forms.CharField(label=_("Note"), max_length=255, required=False)

    def __init__(self, *args: Any, units: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = units  # type: ignore[attr-defined]


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)


class AssetForm(ErrorsFromServiceMixin, forms.Form):
    serial_number = forms.CharField(label=_("Serial number"), max_length=80)
    product = forms.ModelChoiceField(
        label=_("Product"), queryset=Product.objects.none(), required=False
    )
    description = forms.CharField(label=_("Description"), max_length=255, required=False)
    location = forms.CharField(
        label=_("Location"),
        max_length=255,
        required=False,
        help_text=_("Site, building, room: where the engineer finds it."),
    )
    installed_on = forms.DateField(label=_("Installed on"), required=False, widget=DATE)
    warranty_months = forms.IntegerField(
        label=_("Warranty (months)"),
        required=False,
        help_text=_("Counted from the installation date when no end date is typed below."),
    )
    warranty_until = forms.DateField(label=_("Warranty until"), required=False, widget=DATE)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, is_edit: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = Product.objects.filter(is_active=True)  # type: ignore[attr-defined]
        if not is_edit:
            del self.fields["version"]

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "serial_number": data["serial_number"],
            "product": data.get("product"),
            "description": data.get("description") or "",
            "location": data.get("location") or "",
            "installed_on": data.get("installed_on"),
            "warranty_until": data.get("warranty_until"),
        }

    @staticmethod
    def initial_for(asset: Asset) -> dict[str, Any]:
        return {
            name: getattr(asset, name)
            for name in (
                "serial_number",
                "product",
                "description",
                "location",
                "installed_on",
                "warranty_until",
                "version",
            )
        }
