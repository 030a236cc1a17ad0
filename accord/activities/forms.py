"""Short, phone-first forms for each kind of activity, and the document upload form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accord.activities.models import Activity
from accord.core.models import User

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"]

# The fields each kind shows, in order (U1: short forms; the rest has sensible defaults).
KIND_FORM_FIELDS: dict[str, tuple[str, ...]] = {
    Activity.Kind.CALL: ("direction", "subject", "duration_minutes", "body", "at"),
    Activity.Kind.MEETING: (
        "subject",
        "at",
        "ends_at",
        "location",
        "participants",
        "body",
        "remind_me",
    ),
    Activity.Kind.TASK: ("subject", "at", "remind_at", "body"),
    Activity.Kind.NOTE: ("body",),
    Activity.Kind.EMAIL: ("email_from", "email_to", "subject", "body", "at", "direction"),
}
AT_LABELS: dict[str, Any] = {
    Activity.Kind.CALL: _("When"),
    Activity.Kind.MEETING: _("Starts"),
    Activity.Kind.TASK: _("Due"),
    Activity.Kind.NOTE: _("When"),
    Activity.Kind.EMAIL: _("Sent"),
}


class ActivityForm(forms.Form):
    """One form for all kinds; fields not used by the kind are dropped in ``__init__``."""

    direction = forms.ChoiceField(
        label=_("Direction"),
        choices=[
            (Activity.Direction.OUTBOUND, Activity.Direction.OUTBOUND.label),
            (Activity.Direction.INBOUND, Activity.Direction.INBOUND.label),
        ],
        initial=Activity.Direction.OUTBOUND,
        widget=forms.RadioSelect,
        required=False,
    )
    subject = forms.CharField(label=_("Subject"), max_length=255, required=False)
    email_from = forms.CharField(label=_("From"), max_length=254, required=False)
    email_to = forms.CharField(label=_("To"), max_length=1000, required=False)
    at = forms.DateTimeField(
        label=_("When"), required=False, widget=DATETIME_WIDGET, input_formats=DATETIME_FORMATS
    )
    ends_at = forms.DateTimeField(
        label=_("Ends"), required=False, widget=DATETIME_WIDGET, input_formats=DATETIME_FORMATS
    )
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"),
        min_value=0,
        max_value=24 * 60,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=Activity.Outcome.choices, required=False
    )
    location = forms.CharField(label=_("Place"), max_length=255, required=False)
    participants = forms.ModelMultipleChoiceField(
        label=_("Participants"),
        queryset=User.objects.filter(is_active=True),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )
    remind_me = forms.BooleanField(label=_("Remind me 15 minutes before"), required=False)
    remind_at = forms.DateTimeField(
        label=_("Remind me at"),
        required=False,
        widget=DATETIME_WIDGET,
        input_formats=DATETIME_FORMATS,
    )
    body = forms.CharField(
        label=_("Details"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, kind: str, is_edit: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        keep = set(KIND_FORM_FIELDS[kind]) | {"version"}
        if kind == Activity.Kind.CALL:
            keep.add("outcome")
        if not is_edit:
            keep.discard("version")
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        self.order_fields([*KIND_FORM_FIELDS[kind], "outcome", "version"])
        if "at" in self.fields:
            self.fields["at"].label = AT_LABELS[kind]
        if kind == Activity.Kind.NOTE:
            self.fields["body"].label = _("Note")
            self.fields["body"].widget.attrs["rows"] = 5
        if kind in (Activity.Kind.CALL,):
            self.fields["subject"].help_text = _(
                "Leave it empty and Accord names the call after the contact."
            )

    def service_fields(self) -> dict[str, Any]:
        """The cleaned data in the service's vocabulary (minutes become seconds)."""
        data = dict(self.cleaned_data)
        data.pop("version", None)
        data.pop("participants", None)
        data.pop("remind_me", None)
        if "duration_minutes" in data:
            minutes = data.pop("duration_minutes")
            data["duration_seconds"] = minutes * 60 if minutes is not None else None
        return data

    def apply_errors(self, errors: dict[str, list[str]]) -> None:
        """Put a service ValidationError next to the field it names."""
        aliases = {"duration_seconds": "duration_minutes"}
        for name, messages in errors.items():
            target = aliases.get(name, name)
            for message in messages:
                self.add_error(target if target in self.fields else None, message)


class DocumentUploadForm(forms.Form):
    file = forms.FileField(label=_("File"))
    description = forms.CharField(label=_("Description"), max_length=255, required=False)
