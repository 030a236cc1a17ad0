"""Forms for leads, their conversion and the assignment rules.

Plain forms built from the model fields: normalisation and permissions stay in the services,
and a form never mutates the record it edits.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.forms.models import fields_for_model, model_to_dict
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from accord.core.models import Picklist, PicklistOption, Team, User
from accord.core.permissions import Action, allows
from accord.sales.models import AssignmentRule, Lead, Pipeline

MAIN_FIELDS = ["full_name", "company_name", "phone", "email", "source", "campaign"]
MORE_FIELDS = [
    "position",
    "inn",
    "country",
    "city",
    "region",
    "estimated_amount",
    "currency",
    "description",
    "team",
]
DUPLICATE_FIELDS = ("full_name", "company_name", "phone", "email", "inn")


def apply_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Put a service's field-named errors next to the matching fields, the rest on top."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, errors in exc.message_dict.items():
        target = name if name in form.fields and name != NON_FIELD_ERRORS else None
        for message in errors:
            form.add_error(target, message)


def _picklist_options(picklist: str) -> Any:
    return PicklistOption.objects.filter(picklist=picklist, is_active=True)


class LeadForm(forms.Form):
    """Manual entry and editing of a lead; phone-first: the few fields that matter on top."""

    main_fields: ClassVar[list[str]] = MAIN_FIELDS
    more_fields: ClassVar[list[str]] = MORE_FIELDS

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self,
        data: Any = None,
        *,
        user: User,
        instance: Lead | None = None,
        initial: dict[str, Any] | None = None,
    ) -> None:
        self.user = user
        self.instance = instance
        start: dict[str, Any] = {}
        if instance is not None:
            start = model_to_dict(instance, fields=[*MAIN_FIELDS, *MORE_FIELDS])
            start.update(owner=instance.owner_id, version=instance.version)
        else:
            start.update(owner=user.pk, assign_automatically=True)
        super().__init__(data, initial={**start, **(initial or {})})
        generated = fields_for_model(
            Lead,
            fields=[*MAIN_FIELDS, *MORE_FIELDS, "owner"],
            widgets={
                "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
                "email": forms.EmailInput(attrs={"autocomplete": "email"}),
                "description": forms.Textarea(attrs={"rows": 3}),
            },
        )
        for name, field in generated.items():
            if field is not None:
                field.label = str(field.label)[:1].upper() + str(field.label)[1:]
                self.fields[name] = field
        email = self.fields["email"]
        assert isinstance(email, forms.EmailField)
        # The service normalises and explains a bad address with the expected format.
        self.fields["email"] = forms.CharField(
            label=email.label, required=False, max_length=254, widget=email.widget
        )
        self.fields["full_name"].help_text = _("The person's name, e.g. Ivanov Ivan.")
        self.fields["phone"].help_text = _("Any format, e.g. +7 351 123-45-67.")
        for name, picklist in (("source", Picklist.SOURCE), ("region", Picklist.REGION)):
            choice = self.fields[name]
            assert isinstance(choice, forms.ModelChoiceField)
            choice.queryset = _picklist_options(picklist)
        team = self.fields["team"]
        assert isinstance(team, forms.ModelChoiceField)
        team.queryset = Team.objects.all()
        if allows(user, Action.REASSIGN, instance if instance is not None else Lead):
            owner = self.fields["owner"]
            assert isinstance(owner, forms.ModelChoiceField)
            owner.queryset = User.objects.filter(is_active=True)
            owner.required = False
        else:
            del self.fields["owner"]
        if instance is None:
            self.fields["assign_automatically"] = forms.BooleanField(
                label=_("Assign automatically"),
                required=False,
                help_text=_("The administrator's assignment rules choose the owner."),
            )
            for name in DUPLICATE_FIELDS:
                self.fields[name].widget.attrs.update(
                    {
                        "hx-post": str(reverse_lazy("sales:lead_duplicates")),
                        "hx-trigger": "change delay:300ms",
                        "hx-target": "#duplicates",
                        "hx-include": "closest form",
                    }
                )

    def _bound(self, names: list[str]) -> list[forms.BoundField]:
        return [self[name] for name in names if name in self.fields]

    @property
    def main_bound_fields(self) -> list[forms.BoundField]:
        return self._bound([*MAIN_FIELDS, "assign_automatically", "owner"])

    @property
    def more_bound_fields(self) -> list[forms.BoundField]:
        return self._bound(MORE_FIELDS)

    @property
    def more_has_errors(self) -> bool:
        return any(self[name].errors for name in MORE_FIELDS if name in self.fields)

    @property
    def expected_version(self) -> int | None:
        return self.cleaned_data.get("version")

    @property
    def assign_automatically(self) -> bool:
        return bool(self.cleaned_data.get("assign_automatically"))

    def service_fields(self) -> dict[str, Any]:
        """The cleaned values the service takes; owner only when the user chose one."""
        data = self.cleaned_data
        fields = {name: data.get(name) for name in [*MAIN_FIELDS, *MORE_FIELDS]}
        for name in ("full_name", "company_name", "phone", "email", "campaign", "position"):
            fields[name] = fields[name] or ""
        for name in ("inn", "country", "city", "description", "currency"):
            fields[name] = fields[name] or ""
        if self.instance is None:
            if not self.assign_automatically:
                fields["owner"] = data.get("owner") or self.user
        elif data.get("owner") is not None:
            fields["owner"] = data["owner"]
        return fields

    @staticmethod
    def duplicate_query(data: Any) -> dict[str, Any]:
        return {name: str(data.get(name, "") or "") for name in DUPLICATE_FIELDS}


class LeadStatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[(v, label) for v, label in Lead.Status.choices if v != Lead.Status.CONVERTED],
    )
    unqualified_reason = forms.CharField(
        label=_("Reason not qualified"), required=False, max_length=255
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class LeadConvertForm(forms.Form):
    """The conversion screen: for the company and the contact, "use existing" (one of the
    visible matches) or "create new"; then the optional deal."""

    company_choice = forms.ChoiceField(label=_("Which company"), widget=forms.RadioSelect)
    company_name = forms.CharField(label=_("New company's name"), required=False, max_length=255)
    contact_choice = forms.ChoiceField(label=_("Which contact"), widget=forms.RadioSelect)
    contact_last_name = forms.CharField(label=_("Last name"), required=False, max_length=120)
    contact_first_name = forms.CharField(label=_("First name"), required=False, max_length=120)
    create_deal = forms.BooleanField(label=_("Open a deal"), required=False)
    deal_name = forms.CharField(label=_("Deal name"), required=False, max_length=255)
    amount = forms.DecimalField(
        label=_("Amount"), required=False, max_digits=14, decimal_places=2, min_value=0
    )
    currency = forms.ChoiceField(label=_("Currency"), required=False)
    pipeline = forms.ModelChoiceField(
        label=_("Pipeline"), required=False, queryset=Pipeline.objects.none()
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self,
        data: Any = None,
        *,
        lead: Lead,
        companies: list[Any],
        contacts: list[Any],
        initial: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(data, initial=initial)
        company_choices: list[tuple[str, str]] = [
            (str(c.pk), _("Use existing: %(name)s") % {"name": c}) for c in companies
        ]
        company_choices.append(("new", str(_("Create a new company"))))
        self.fields["company_choice"].choices = company_choices  # type: ignore[attr-defined]
        contact_choices: list[tuple[str, str]] = [
            (str(c.pk), _("Use existing: %(name)s") % {"name": c}) for c in contacts
        ]
        contact_choices.append(("new", str(_("Create a new contact"))))
        contact_choices.append(("none", str(_("No contact"))))
        self.fields["contact_choice"].choices = contact_choices  # type: ignore[attr-defined]
        self.fields["currency"].choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *[(code, code) for code in settings.ACCORD_CURRENCIES],
        ]
        pipeline = self.fields["pipeline"]
        assert isinstance(pipeline, forms.ModelChoiceField)
        pipeline.queryset = Pipeline.objects.filter(is_active=True)
        pipeline.empty_label = str(_("Default pipeline"))

    @property
    def company_options(self) -> list[forms.BoundField]:
        return [self[n] for n in ("company_choice", "company_name")]

    @property
    def contact_options(self) -> list[forms.BoundField]:
        return [self[n] for n in ("contact_choice", "contact_last_name", "contact_first_name")]

    @property
    def deal_options(self) -> list[forms.BoundField]:
        return [self[n] for n in ("create_deal", "deal_name", "amount", "currency", "pipeline")]


class AssignmentRuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    source = forms.ModelChoiceField(
        label=_("When the source is"),
        required=False,
        queryset=PicklistOption.objects.none(),
        empty_label=_("Any source"),
    )
    region = forms.ModelChoiceField(
        label=_("When the region is"),
        required=False,
        queryset=PicklistOption.objects.none(),
        empty_label=_("Any region"),
    )
    country = forms.CharField(
        label=_("When the country is"),
        required=False,
        max_length=2,
        help_text=_("Two-letter code such as RU, FR or DE; empty for any country."),
    )
    method = forms.ChoiceField(
        label=_("Assign"), choices=AssignmentRule.Method.choices, widget=forms.RadioSelect
    )
    user = forms.ModelChoiceField(
        label=_("User"),
        required=False,
        queryset=User.objects.none(),
        help_text=_("With “To one user”: who gets every matching lead."),
    )
    team = forms.ModelChoiceField(
        label=_("Team"),
        required=False,
        queryset=Team.objects.none(),
        help_text=_(
            "With round robin: the team's active members who may own leads get them in turn."
        ),
    )

    def __init__(self, data: Any = None, *, initial: dict[str, Any] | None = None) -> None:
        super().__init__(data, initial=initial)
        for name, picklist in (("source", Picklist.SOURCE), ("region", Picklist.REGION)):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = _picklist_options(picklist)
        user = self.fields["user"]
        assert isinstance(user, forms.ModelChoiceField)
        user.queryset = User.objects.filter(is_active=True)
        team = self.fields["team"]
        assert isinstance(team, forms.ModelChoiceField)
        team.queryset = Team.objects.all()

    @staticmethod
    def initial_from(rule: AssignmentRule) -> dict[str, Any]:
        return {
            "name": rule.name,
            "is_active": rule.is_active,
            "source": rule.source_id,
            "region": rule.region_id,
            "country": rule.country,
            "method": rule.method,
            "user": rule.user_id,
            "team": rule.team_id,
        }

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "is_active": data["is_active"],
            "source": data.get("source"),
            "region": data.get("region"),
            "country": data.get("country") or "",
            "method": data["method"],
            "user": data.get("user"),
            "team": data.get("team"),
        }
