"""Forms of the field-service pages: they parse input; the services validate and decide."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accord.core.models import User
from accord.fieldservice.models import ChecklistTemplate, TimeEntry
from accord.fieldservice.selectors import checklist_templates, engineers_queryset


class EngineerChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name() or obj.username


class EngineersChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name() or obj.username


class ServiceErrorsMixin:
    """Put a service's ``ValidationError`` on the fields it names."""

    def apply_errors(self, message_dict: dict[str, list[str]]) -> None:
        for field, messages in message_dict.items():
            target = field if field in self.fields else None  # type: ignore[attr-defined]
            for message in messages:
                self.add_error(target, message)  # type: ignore[attr-defined]


def _combine(day: datetime.date | None, time: datetime.time | None) -> datetime.datetime | None:
    if day is None or time is None:
        return None
    return timezone.make_aware(datetime.datetime.combine(day, time))


class ScheduleForm(ServiceErrorsMixin, forms.Form):
    """When and who: a day, start and end times, the lead engineer and helpers."""

    day = forms.DateField(
        label=_("Day"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    start = forms.TimeField(
        label=_("From"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    end = forms.TimeField(
        label=_("To"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    lead_engineer = EngineerChoice(
        label=_("Lead engineer"), queryset=User.objects.none(), required=False
    )
    engineers = EngineersChoice(
        label=_("Other engineers"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, team_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        queryset = engineers_queryset(team_id)
        self.fields["lead_engineer"].queryset = queryset  # type: ignore[attr-defined]
        self.fields["engineers"].queryset = queryset  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        day, start, end = data.get("day"), data.get("start"), data.get("end")
        if day and not start:
            self.add_error("start", _("Enter when the visit starts."))
        if (start or end) and not day:
            self.add_error("day", _("Choose the day of the visit."))
        return data

    def window(self) -> tuple[datetime.datetime | None, datetime.datetime | None]:
        day = self.cleaned_data.get("day")
        return (
            _combine(day, self.cleaned_data.get("start")),
            _combine(day, self.cleaned_data.get("end")),
        )


class WorkOrderCreateForm(ScheduleForm):
    site_address = forms.CharField(label=_("Site address"), max_length=255, required=False)
    instructions = forms.CharField(
        label=_("Instructions"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    checklist_template = forms.ModelChoiceField(
        label=_("Checklist"),
        queryset=ChecklistTemplate.objects.none(),
        required=False,
        empty_label=_("— the case category's checklist, or the steps typed below —"),
    )
    checklist = forms.CharField(
        label=_("Checklist steps"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One step per line."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["checklist_template"].queryset = checklist_templates()  # type: ignore[attr-defined]


class WorkOrderEditForm(ServiceErrorsMixin, forms.Form):
    site_address = forms.CharField(label=_("Site address"), max_length=255, required=False)
    instructions = forms.CharField(
        label=_("Instructions"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    result_notes = forms.CharField(
        label=_("Result"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    signed_by = forms.CharField(label=_("Signed by (client)"), max_length=255, required=False)
    travel_km = forms.CharField(label=_("Travel distance, km"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def service_fields(self) -> dict[str, Any]:
        """The fields the form sent (the phone's short form sends only some of them)."""
        data = {k: self.cleaned_data[k] for k in self.fields if k != "version" and k in self.data}
        if "travel_km" in data:
            data["travel_km"] = data["travel_km"] or "0"
        return data


class TimeEntryForm(ServiceErrorsMixin, forms.Form):
    kind = forms.ChoiceField(
        label=pgettext_lazy("time entry", "Kind"), choices=TimeEntry.Kind.choices
    )
    day = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}))
    start = forms.TimeField(label=_("From"), widget=forms.TimeInput(attrs={"type": "time"}))
    end = forms.TimeField(label=_("To"), widget=forms.TimeInput(attrs={"type": "time"}))
    note = forms.CharField(label=_("Note"), max_length=255, required=False)

    def window(self) -> tuple[datetime.datetime | None, datetime.datetime | None]:
        day = self.cleaned_data["day"]
        start = _combine(day, self.cleaned_data["start"])
        end = _combine(day, self.cleaned_data["end"])
        return start, end


class MaterialForm(ServiceErrorsMixin, forms.Form):
    product = forms.IntegerField(widget=forms.HiddenInput, required=False)
    sku = forms.CharField(label=_("Catalogue article"), max_length=60, required=False)
    description = forms.CharField(label=_("Description"), max_length=255, required=False)
    quantity = forms.CharField(label=_("Quantity"), max_length=20)
    unit_cost = forms.CharField(
        label=_("Unit cost"),
        max_length=20,
        required=False,
        help_text=_("Empty: the catalogue price."),
    )


class PhotoForm(ServiceErrorsMixin, forms.Form):
    image = forms.FileField(
        label=_("Photo"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )
    caption = forms.CharField(label=_("Caption"), max_length=255, required=False)


class ChecklistTemplateForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    category: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=pgettext_lazy("case category", "Category"), queryset=None, required=False
    )
    items = forms.CharField(
        label=_("Steps"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("One step per line."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from accord.service.models import Category

        self.fields["category"].queryset = Category.objects.filter(is_active=True)  # type: ignore[attr-defined]


def parse_period(params: Any) -> tuple[datetime.date, datetime.date]:
    """A report's period from ``?start=&end=`` (this month by default)."""
    today = timezone.localdate()
    default_start = today.replace(day=1)

    def parse(name: str, default: datetime.date) -> datetime.date:
        value = params.get(name) or ""
        try:
            return datetime.date.fromisoformat(value) if value else default
        except ValueError as exc:
            raise ValidationError({name: [_("Enter a valid date.")]}) from exc

    start = parse("start", default_start)
    end = parse("end", today)
    if end < start:
        raise ValidationError({"end": [_("The end of the period is before its start.")]})
    if (end - start).days > 366 * 3:
        raise ValidationError({"end": [_("Choose a period of at most three years.")]})
    return start, end
