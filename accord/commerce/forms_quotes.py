"""Forms of the quote pages: they parse input; the services validate and decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accord.catalog.models import Unit
from accord.commerce.models import SellerProfile
from accord.commerce.seller import LOGO_MAX_BYTES, SELLER_FIELDS
from accord.parties.models import Contact


def apply_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Put a service's errors next to the fields they name; the rest above the form."""
    if not hasattr(exc, "error_dict"):
        for message in exc.messages:
            form.add_error(None, message)
        return
    for name, messages in exc.message_dict.items():
        target = name if name in form.fields else None
        for message in messages:
            form.add_error(target, message)


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _decimal_input(step: str = "any") -> forms.TextInput:
    # A text input with a decimal keyboard: "12,5" and "12.5" are both accepted.
    return forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class QuoteCreateForm(forms.Form):
    """The few choices a new quote needs; everything else comes from the deal."""

    contact = forms.ModelChoiceField(
        label=_("Contact"), queryset=Contact.objects.none(), required=False
    )
    language = forms.ChoiceField(label=_("Language of the document"), choices=settings.LANGUAGES)
    valid_until = forms.DateField(label=_("Valid until"), required=False, widget=_date_input())

    def __init__(self, *args: Any, contacts: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = contacts  # type: ignore[attr-defined]


class QuoteHeaderForm(VersionForm):
    """The details of a draft: who receives it, how long it holds, in which language."""

    contact = forms.ModelChoiceField(
        label=_("Contact"), queryset=Contact.objects.none(), required=False
    )
    valid_until = forms.DateField(label=_("Valid until"), required=False, widget=_date_input())
    language = forms.ChoiceField(label=_("Language of the document"), choices=settings.LANGUAGES)
    terms = forms.CharField(
        label=_("Terms and conditions"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    notes = forms.CharField(
        label=_("Internal notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Not printed on the quote."),
    )

    def __init__(self, *args: Any, contacts: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = contacts  # type: ignore[attr-defined]


class QuoteDiscountForm(VersionForm):
    discount_percent = forms.CharField(
        label=_("Discount on the quote, %"), required=False, widget=_decimal_input()
    )


class FreeLineForm(VersionForm):
    """A free-text line (or the edit of any line). Numbers are checked by the service, so the
    page and the API give the same message."""

    description = forms.CharField(label=_("Description"), max_length=500)
    quantity = forms.CharField(label=_("Quantity"), widget=_decimal_input())
    unit = forms.ChoiceField(label=_("Unit"), choices=Unit.choices)
    unit_price = forms.CharField(label=_("Unit price"), widget=_decimal_input())
    discount_percent = forms.CharField(
        label=_("Discount, %"), required=False, widget=_decimal_input()
    )
    tax_rate = forms.CharField(label=_("VAT, %"), required=False, widget=_decimal_input())

    def line_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        return data


class QuoteSendForm(VersionForm):
    to = forms.CharField(
        label=_("To"), help_text=_("Several addresses may be separated by commas.")
    )
    cc = forms.CharField(label=_("Copy to"), required=False)
    subject = forms.CharField(label=_("Subject"), max_length=255)
    message = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 8}))


class QuoteRejectForm(VersionForm):
    reason = forms.CharField(label=_("Reason for rejection"), max_length=255, required=False)


class SellerProfileForm(forms.ModelForm):
    """Our company details; the logo is checked by the service (Pillow)."""

    logo_upload = forms.FileField(
        label=_("Logo"),
        required=False,
        help_text=_("PNG, JPEG or GIF, at most %(size)s KB.") % {"size": LOGO_MAX_BYTES // 1024},
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/gif"}),
    )
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")

    class Meta:
        model = SellerProfile
        fields = list(SELLER_FIELDS)
        widgets = {
            "address": forms.Textarea(attrs={"rows": 3}),
            "bank_details": forms.Textarea(attrs={"rows": 3}),
            "quote_footer": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if field.label:
                field.label = str(field.label)[:1].upper() + str(field.label)[1:]

    def service_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in SELLER_FIELDS}
