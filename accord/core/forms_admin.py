"""Forms of the administration area. They only parse input; the services validate and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accord.core.customfields import EXTENSIBLE_MODELS
from accord.core.models import (
    TIME_ZONE_CHOICES,
    AuditEntry,
    CustomFieldDefinition,
    Role,
    Team,
    User,
)

RECORD_TYPE_LABELS = {"company": _("Companies"), "contact": _("Contacts")}


def record_type_choices() -> list[tuple[str, Any]]:
    return [(key, RECORD_TYPE_LABELS.get(key, key)) for key in EXTENSIBLE_MODELS]


def add_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Put a service's field-named errors next to the matching fields, the rest on top."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, errors in exc.message_dict.items():
        target = name if name in form.fields and name != NON_FIELD_ERRORS else None
        for message in errors:
            form.add_error(target, message if target else f"{name}: {message}")


class CapitalisedLabels:
    """Labels reuse the models' lower-case verbose names; show them capitalised like
    ModelForm does."""

    fields: dict[str, forms.Field]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        for field in self.fields.values():
            if field.label:
                field.label = capfirst(field.label)


class UserForm(CapitalisedLabels, forms.Form):
    username = forms.CharField(label=_("username"), max_length=150)
    first_name = forms.CharField(label=_("first name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("e-mail"), required=False)
    phone = forms.CharField(label=_("phone"), max_length=32, required=False)
    language = forms.ChoiceField(label=_("language"), choices=settings.LANGUAGES)
    time_zone = forms.ChoiceField(
        label=_("time zone"), choices=TIME_ZONE_CHOICES, initial="Europe/Moscow"
    )
    roles = forms.ModelMultipleChoiceField(
        label=_("roles"),
        queryset=Role.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    teams = forms.ModelMultipleChoiceField(
        label=_("teams"),
        queryset=Team.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


class UserCreateForm(UserForm):
    password = forms.CharField(
        label=_("password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )


class UserEditForm(UserForm):
    is_active = forms.BooleanField(
        label=_("active"),
        required=False,
        help_text=_("A deactivated user cannot sign in; their records and history stay."),
    )

    @staticmethod
    def initial_for(user: User) -> dict[str, Any]:
        return {
            **{name: getattr(user, name) for name in UserForm.base_fields if hasattr(user, name)},
            "roles": list(user.roles.values_list("pk", flat=True)),
            "teams": list(user.teams.values_list("pk", flat=True)),
            "is_active": user.is_active,
        }


class PasswordForm(CapitalisedLabels, forms.Form):
    password = forms.CharField(
        label=_("new password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class TeamForm(CapitalisedLabels, forms.Form):
    name = forms.CharField(label=_("name"), max_length=120)
    description = forms.CharField(label=_("description"), widget=forms.Textarea, required=False)
    members = forms.ModelMultipleChoiceField(
        label=_("members"),
        queryset=User.objects.filter(is_active=True),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


class RoleCreateForm(CapitalisedLabels, forms.Form):
    code = forms.SlugField(
        label=_("code"),
        max_length=50,
        help_text=_("Lower-case letters, digits, hyphens and underscores; cannot be changed."),
    )
    name = forms.CharField(label=_("name"), max_length=120)
    description = forms.CharField(label=_("description"), widget=forms.Textarea, required=False)
    is_administrator = forms.BooleanField(
        label=_("administrator"),
        required=False,
        help_text=_("Administrators manage users, roles, fields and picklists."),
    )


class RoleEditForm(RoleCreateForm):
    code = None  # type: ignore[assignment]


class BuiltinRoleEditForm(CapitalisedLabels, forms.Form):
    description = forms.CharField(label=_("description"), widget=forms.Textarea, required=False)


class ChoicesField(forms.CharField):
    """Options one per line in a textarea, cleaned to a list."""

    widget = forms.Textarea(attrs={"rows": 4})

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return "\n".join(value)
        return value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        return [line.strip() for line in text.splitlines() if line.strip()]


class CustomFieldEditForm(CapitalisedLabels, forms.Form):
    label = forms.CharField(label=_("label"), max_length=120)
    choices = ChoicesField(
        label=_("choices"),
        required=False,
        help_text=_("For choice fields: one option per line."),
    )
    is_required = forms.BooleanField(label=_("required"), required=False)
    help_text = forms.CharField(label=_("help text"), max_length=200, required=False)
    position = forms.IntegerField(label=_("sort order"), min_value=0, required=False)


class CustomFieldCreateForm(CustomFieldEditForm):
    model = forms.ChoiceField(label=_("record type"), choices=record_type_choices)
    name = forms.CharField(
        label=_("key"),
        max_length=50,
        help_text=_("Lower-case letters, digits and underscores; used in the API and imports."),
    )
    field_type = forms.ChoiceField(label=_("type"), choices=CustomFieldDefinition.FieldType.choices)
    field_order = ["model", "name", "label", "field_type", "choices", "is_required", "help_text"]


class PicklistOptionEditForm(CapitalisedLabels, forms.Form):
    label = forms.CharField(label=_("label (English)"), max_length=120)
    label_ru = forms.CharField(label=_("label (Russian)"), max_length=120, required=False)
    label_fr = forms.CharField(label=_("label (French)"), max_length=120, required=False)
    label_de = forms.CharField(label=_("label (German)"), max_length=120, required=False)
    position = forms.IntegerField(label=_("sort order"), min_value=0, required=False)
    is_active = forms.BooleanField(label=_("active"), required=False, initial=True)


class PicklistOptionCreateForm(PicklistOptionEditForm):
    code = forms.CharField(
        label=_("code"),
        max_length=60,
        help_text=_("Lower-case letters, digits and underscores; cannot be changed."),
    )
    is_active = None  # type: ignore[assignment]
    field_order = ["code", "label", "label_ru", "label_fr", "label_de", "position"]


class AuditFilterForm(CapitalisedLabels, forms.Form):
    actor = forms.ModelChoiceField(label=_("actor"), queryset=User.objects.all(), required=False)
    action = forms.ChoiceField(
        label=_("action"),
        choices=[("", "—"), *AuditEntry.Kind.choices],
        required=False,
    )
    object_type = forms.CharField(label=_("object type"), max_length=40, required=False)
    object_id = forms.IntegerField(label=_("object id"), required=False)
    date_from = forms.DateField(
        label=pgettext_lazy("date range", "from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        label=pgettext_lazy("date range", "to"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    request_id = forms.CharField(label=_("request id"), max_length=36, required=False)
