"""Forms for companies and contacts.

Plain forms (not ModelForms) built from the model fields: validation of tax ids, phones and
permissions stays in the services, and a form never mutates the record it edits. Phones,
e-mails and messengers are typed one per line; tags are comma-separated.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.forms.models import fields_for_model, model_to_dict
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from accord.core import customfields
from accord.core.models import Team, User
from accord.core.permissions import Action, allows
from accord.parties.models import Address, Company, Contact, ContactPoint
from accord.parties.selectors import companies_visible_to

# A select of every visible company would not scale; the list shows the chosen ones plus the
# first few hundred by name (a search-as-you-type picker can replace it later).
COMPANY_CHOICES_SHOWN = 300


def split_lines(text: str) -> list[str]:
    return [line.strip() for line in re.split(r"[\r\n]+", text or "") if line.strip()]


def split_emails(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[\s,;]+", text or "") if part.strip()]


def split_tags(text: str) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _points_text(obj: Company | Contact, kind: str) -> str:
    return "\n".join(p.value for p in obj.contact_points.all() if p.kind == kind)


def _lines_field(label: Any, help_text: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def _formfield(db_field: models.Field[Any, Any], **kwargs: Any) -> forms.Field | None:
    if isinstance(db_field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return db_field.formfield(**kwargs)


class PartyForm(forms.Form):
    """What company and contact forms share: generated fields, owner/team, lists, custom fields."""

    model: ClassVar[type[models.Model]]
    custom_key: ClassVar[str]
    main_fields: ClassVar[list[str]]
    more_fields: ClassVar[list[str]]
    widgets: ClassVar[dict[str, type[forms.Widget] | forms.Widget]] = {}
    duplicate_fields: ClassVar[tuple[str, ...]] = ()
    duplicates_url: ClassVar[Any] = ""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    phones = _lines_field(_("Phones"), _("One per line, e.g. +7 351 123-45-67."))
    emails = _lines_field(_("E-mails"), _("One per line."))
    tags = forms.CharField(
        label=_("Tags"), required=False, help_text=_("Separated by commas."), max_length=1000
    )

    def __init__(
        self,
        data: Any = None,
        *,
        user: User,
        instance: Any = None,
        initial: dict[str, Any] | None = None,
    ) -> None:
        self.user = user
        self.instance = instance
        start: dict[str, Any] = {}
        if instance is not None:
            start = self.initial_from(instance)
        else:
            start["owner"] = user.pk
        super().__init__(data, initial={**start, **(initial or {})})
        generated = fields_for_model(
            self.model,
            fields=[*self.main_fields, *self.more_fields, "owner", "team"],
            widgets=self.widgets,
            formfield_callback=_formfield,
        )
        for name, field in generated.items():
            if field is not None:
                self.fields[name] = field
        if allows(user, Action.REASSIGN, instance if instance is not None else self.model):
            owner = self.fields["owner"]
            assert isinstance(owner, forms.ModelChoiceField)
            owner.queryset = User.objects.filter(is_active=True)
        else:
            del self.fields["owner"]
        team = self.fields["team"]
        assert isinstance(team, forms.ModelChoiceField)
        team.queryset = Team.objects.all()
        self.custom_names = customfields.add_form_fields(
            self, self.custom_key, instance.custom if instance is not None else None
        )
        if instance is None:
            self._wire_duplicate_check()

    # -- initial values ---------------------------------------------------------------------
    def initial_from(self, instance: Any) -> dict[str, Any]:
        values = model_to_dict(instance, fields=[*self.main_fields, *self.more_fields])
        values.update(
            owner=instance.owner_id,
            team=instance.team_id,
            version=instance.version,
            phones=_points_text(instance, ContactPoint.Kind.PHONE),
            emails=_points_text(instance, ContactPoint.Kind.EMAIL),
            tags=", ".join(t.name for t in instance.tags.all()),
        )
        return values

    def _wire_duplicate_check(self) -> None:
        """Ask the server for likely duplicates when an identifying field changes (D6)."""
        for name in self.duplicate_fields:
            self.fields[name].widget.attrs.update(
                {
                    "hx-post": str(self.duplicates_url),
                    "hx-trigger": "change delay:300ms",
                    "hx-target": "#duplicates",
                    "hx-include": "closest form",
                }
            )

    # -- groups for the template ------------------------------------------------------------
    def _bound(self, names: list[str]) -> list[forms.BoundField]:
        return [self[name] for name in names if name in self.fields]

    @property
    def main_bound_fields(self) -> list[forms.BoundField]:
        return self._bound([*self.main_fields, "phones", "emails", *self.extra_main])

    @property
    def more_bound_fields(self) -> list[forms.BoundField]:
        return self._bound([*self.more_fields, *self.custom_names, "tags", "owner", "team"])

    extra_main: ClassVar[list[str]] = []

    @property
    def more_has_errors(self) -> bool:
        return any(field.errors for field in self.more_bound_fields)

    # -- values for the service -------------------------------------------------------------
    def service_fields(self) -> dict[str, Any]:
        names = [*self.main_fields, *self.more_fields, "team"]
        if "owner" in self.fields:
            names.append("owner")
        return {name: self.cleaned_data.get(name) for name in names if name in self.fields}

    def service_lists(self) -> dict[str, Any]:
        return {
            "phones": split_lines(self.cleaned_data.get("phones", "")),
            "emails": split_emails(self.cleaned_data.get("emails", "")),
            "tags": split_tags(self.cleaned_data.get("tags", "")),
            "custom": customfields.values_from_form(self, self.custom_key),
        }

    @property
    def expected_version(self) -> int | None:
        return self.cleaned_data.get("version")

    def apply_service_errors(self, error: ValidationError) -> None:
        """Put a service's ValidationError next to the field it names."""
        if not hasattr(error, "error_dict"):
            for message in error.messages:
                self.add_error(None, message)
            return
        for key, messages in error.message_dict.items():
            name = self.field_for_error(key)
            for message in messages:
                if name in self.fields:
                    self.add_error(name, message)
                else:
                    self.add_error(None, message)

    def field_for_error(self, key: str) -> str | None:
        if key == "addresses" and "address_street" in self.fields:
            return "address_street"
        if key.startswith("custom."):
            return "cf_" + key.removeprefix("custom.")
        if key.endswith("_id"):
            key = key.removesuffix("_id")
        return None if key == "__all__" else key


class CompanyForm(PartyForm):
    """Create or edit a company; rarely used fields go under "More fields" (U1)."""

    model = Company
    custom_key = "company"
    main_fields: ClassVar[list[str]] = [
        "name",
        "inn",
        "company_type",
        "industry",
        "region",
        "country",
        "website",
    ]
    more_fields: ClassVar[list[str]] = [
        "source",
        "size",
        "legal_name",
        "kpp",
        "ogrn",
        "siren",
        "siret",
        "vat_number",
        "description",
    ]
    widgets: ClassVar[dict[str, type[forms.Widget] | forms.Widget]] = {
        "description": forms.Textarea(attrs={"rows": 3}),
        "website": forms.URLInput(attrs={"placeholder": "https://"}),
    }
    duplicate_fields = ("name", "inn", "siren", "vat_number", "phones", "emails")
    duplicates_url = reverse_lazy("parties:company_duplicates")

    # The main postal address; further addresses (from the API or imports) are kept as they are.
    address_kind = forms.ChoiceField(
        label=_("Address type"),
        choices=Address.Kind.choices,
        initial=Address.Kind.OFFICE,
        required=False,
    )
    address_street = forms.CharField(label=_("Street and number"), max_length=255, required=False)
    address_postcode = forms.CharField(label=_("Postcode"), max_length=20, required=False)
    address_city = forms.CharField(label=_("City"), max_length=120, required=False)
    address_region = forms.CharField(label=_("Region / state"), max_length=120, required=False)
    address_country = forms.CharField(
        label=_("Address country"),
        max_length=2,
        required=False,
        help_text=_("Two-letter ISO code, e.g. RU, FR, DE."),
    )
    address_fields: ClassVar[list[str]] = [
        "address_kind",
        "address_street",
        "address_postcode",
        "address_city",
        "address_region",
        "address_country",
    ]

    @property
    def more_bound_fields(self) -> list[forms.BoundField]:
        return [*self._bound(self.address_fields), *super().more_bound_fields]

    def initial_from(self, instance: Any) -> dict[str, Any]:
        values = super().initial_from(instance)
        addresses = list(instance.addresses.all())
        if addresses:
            first = addresses[0]
            values.update(
                address_kind=first.kind,
                address_street=first.street,
                address_postcode=first.postcode,
                address_city=first.city,
                address_region=first.region_name,
                address_country=first.country,
            )
        return values

    def service_lists(self) -> dict[str, Any]:
        values = super().service_lists()
        data = self.cleaned_data
        main = {
            "kind": data.get("address_kind") or Address.Kind.OFFICE,
            "street": data.get("address_street", ""),
            "postcode": data.get("address_postcode", ""),
            "city": data.get("address_city", ""),
            "region_name": data.get("address_region", ""),
            "country": data.get("address_country", ""),
        }
        others = []
        if self.instance is not None:
            others = [
                {
                    "kind": a.kind,
                    "street": a.street,
                    "postcode": a.postcode,
                    "city": a.city,
                    "region_name": a.region_name,
                    "country": a.country,
                }
                for a in list(self.instance.addresses.all())[1:]
            ]
        values["addresses"] = [main, *others]
        return values

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The form field must hold what people type ("7707 083 893"); the service normalises.
        for name in ("inn", "kpp", "ogrn", "siren", "siret", "vat_number"):
            field = self.fields[name]
            assert isinstance(field, forms.CharField)
            field.max_length = 40
            field.validators = []
            field.widget.attrs.pop("maxlength", None)

    @classmethod
    def duplicate_query(cls, data: Any) -> dict[str, Any]:
        return {
            "name": data.get("name", ""),
            "inn": data.get("inn", ""),
            "siren": data.get("siren", "") or (data.get("siret", "") or "")[:9],
            "vat_number": data.get("vat_number", ""),
            "phones": split_lines(data.get("phones", "")),
            "emails": split_emails(data.get("emails", "")),
        }


class ContactForm(PartyForm):
    """Create or edit a person; the companies offered are the ones the user may see."""

    model = Contact
    custom_key = "contact"
    main_fields: ClassVar[list[str]] = [
        "last_name",
        "first_name",
        "middle_name",
        "position",
    ]
    more_fields: ClassVar[list[str]] = [
        "birthday",
        "preferred_channel",
        "do_not_call",
        "do_not_email",
        "notes",
    ]
    extra_main: ClassVar[list[str]] = ["companies", "messengers"]
    widgets: ClassVar[dict[str, type[forms.Widget] | forms.Widget]] = {
        "birthday": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        "notes": forms.Textarea(attrs={"rows": 3}),
    }
    duplicate_fields = ("last_name", "first_name", "phones", "emails")
    duplicates_url = reverse_lazy("parties:contact_duplicates")

    messengers = _lines_field(
        _("Messengers"), _("One per line, e.g. Telegram @name or WhatsApp +7 900 000-00-00.")
    )
    companies = forms.ModelMultipleChoiceField(
        label=_("Companies"),
        queryset=Company.objects.none(),
        required=False,
        help_text=_("The first selected company is the contact's main company."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["companies"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        visible = companies_visible_to(self.user)
        field.queryset = visible
        chosen = self._chosen_company_ids()
        shown = list(visible.filter(pk__in=chosen)) if chosen else []
        shown += list(visible.exclude(pk__in=chosen).order_by("name", "id")[:COMPANY_CHOICES_SHOWN])
        field.widget.choices = [(c.pk, c.name) for c in shown]

    def _chosen_company_ids(self) -> list[int]:
        raw = (
            self.data.getlist("companies")  # type: ignore[attr-defined]
            if self.is_bound
            else self.initial.get("companies")
        )
        ids = []
        for value in raw or []:
            value = getattr(value, "pk", value)
            if str(value).isdigit():
                ids.append(int(value))
        return ids

    def initial_from(self, instance: Any) -> dict[str, Any]:
        values = super().initial_from(instance)
        employments = sorted(instance.employments.all(), key=lambda e: (not e.is_primary, e.pk))
        values["companies"] = [e.company_id for e in employments]
        values["messengers"] = _points_text(instance, ContactPoint.Kind.MESSENGER)
        return values

    def service_fields(self) -> dict[str, Any]:
        fields = super().service_fields()
        if self.instance is None and fields.get("team") is None:
            fields.pop("team", None)  # a new contact joins its company's team by default
        return fields

    def service_lists(self) -> dict[str, Any]:
        values = super().service_lists()
        values["messengers"] = split_lines(self.cleaned_data.get("messengers", ""))
        order = {pk: index for index, pk in enumerate(self._chosen_company_ids())}
        chosen = list(self.cleaned_data.get("companies") or [])
        values["companies"] = sorted(chosen, key=lambda c: order.get(c.pk, len(order)))
        return values

    def field_for_error(self, key: str) -> str | None:
        if key in ("primary_company", "primary_company_id"):
            return "companies"
        return super().field_for_error(key)

    @classmethod
    def duplicate_query(cls, data: Any) -> dict[str, Any]:
        return {
            "first_name": data.get("first_name", ""),
            "last_name": data.get("last_name", ""),
            "phones": split_lines(data.get("phones", "")),
            "emails": split_emails(data.get("emails", "")),
        }
