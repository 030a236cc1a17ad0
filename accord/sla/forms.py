"""Forms of the SLA settings pages: policies with their targets, calendars, holidays."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accord.core.models import TIME_ZONE_CHOICES, Picklist, PicklistOption, User
from accord.sla.models import Priority, SlaPolicy, WorkCalendar
from accord.sla.services import format_intervals

WEEKDAYS = (
    _("Monday"),
    _("Tuesday"),
    _("Wednesday"),
    _("Thursday"),
    _("Friday"),
    _("Saturday"),
    _("Sunday"),
)
TARGET_KINDS = (("first_response", _("first response")), ("resolution", _("resolution")))


class PolicyForm(forms.Form):
    """A policy and, per priority, its targets as hours and minutes (empty: no target)."""

    name = forms.CharField(label=_("Name"), max_length=120)
    name_ru = forms.CharField(label=_("Name (Russian)"), max_length=120, required=False)
    name_fr = forms.CharField(label=_("Name (French)"), max_length=120, required=False)
    name_de = forms.CharField(label=_("Name (German)"), max_length=120, required=False)
    tier = forms.ModelChoiceField(
        label=_("Client tier"),
        queryset=PicklistOption.objects.none(),
        required=False,
        empty_label=_("Any tier"),
        help_text=_("Empty: applies to clients of any tier."),
    )
    calendar = forms.ModelChoiceField(
        label=_("Working calendar"), queryset=WorkCalendar.objects.none()
    )
    warn_at_percent = forms.IntegerField(
        label=_("Warn when this share of a target is used (%)"),
        min_value=1,
        max_value=99,
        initial=80,
    )
    escalate_to = forms.ModelChoiceField(
        label=_("Escalate to"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("Told when a target is missed, besides the queue's supervisor."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tier"].queryset = PicklistOption.objects.filter(  # type: ignore[attr-defined]
            picklist=Picklist.CLIENT_TIER, is_active=True
        )
        self.fields["calendar"].queryset = WorkCalendar.objects.all()  # type: ignore[attr-defined]
        self.fields["escalate_to"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            is_active=True
        )
        self.target_rows: list[tuple[Any, list[tuple[Any, Any, Any]]]] = []
        for priority, label in Priority.choices:
            cells = []
            for kind, kind_label in TARGET_KINDS:
                hours = forms.IntegerField(
                    label=_("%(target)s, hours") % {"target": kind_label},
                    min_value=0,
                    max_value=9999,
                    required=False,
                )
                minutes = forms.IntegerField(
                    label=_("%(target)s, minutes") % {"target": kind_label},
                    min_value=0,
                    max_value=59,
                    required=False,
                )
                self.fields[f"{priority}_{kind}_hours"] = hours
                self.fields[f"{priority}_{kind}_minutes"] = minutes
                cells.append((kind_label, f"{priority}_{kind}_hours", f"{priority}_{kind}_minutes"))
            self.target_rows.append((label, cells))

    def bound_target_rows(self) -> list[tuple[Any, list[tuple[Any, Any, Any, str]]]]:
        return [
            (label, [(kl, self[h], self[m], h.rsplit("_", 1)[0]) for kl, h, m in cells])
            for label, cells in self.target_rows
        ]

    @staticmethod
    def initial_from(policy: SlaPolicy) -> dict[str, Any]:
        initial: dict[str, Any] = {
            name: getattr(policy, name)
            for name in (
                "name",
                "name_ru",
                "name_fr",
                "name_de",
                "tier",
                "calendar",
                "warn_at_percent",
                "escalate_to",
                "is_active",
                "version",
            )
        }
        for target in policy.targets.all():
            for kind, minutes in (
                ("first_response", target.first_response_minutes),
                ("resolution", target.resolution_minutes),
            ):
                initial[f"{target.priority}_{kind}_hours"] = minutes // 60
                initial[f"{target.priority}_{kind}_minutes"] = minutes % 60
        return initial

    def _minutes(self, priority: str, kind: str) -> int | None:
        hours = self.cleaned_data.get(f"{priority}_{kind}_hours")
        minutes = self.cleaned_data.get(f"{priority}_{kind}_minutes")
        if hours is None and minutes is None:
            return None
        return (hours or 0) * 60 + (minutes or 0)

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            name: data[name]
            for name in (
                "name",
                "name_ru",
                "name_fr",
                "name_de",
                "tier",
                "calendar",
                "warn_at_percent",
                "escalate_to",
                "is_active",
            )
        }

    def service_targets(self) -> dict[str, tuple[int | None, int | None]]:
        return {
            priority: (
                self._minutes(priority, "first_response"),
                self._minutes(priority, "resolution"),
            )
            for priority in Priority.values
        }

    # The service names a target's error "<priority>_first_response": show it on the hours.
    def error_aliases(self) -> dict[str, str]:
        return {f"{p}_{k}": f"{p}_{k}_hours" for p in Priority.values for k, _label in TARGET_KINDS}


class CalendarForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=TIME_ZONE_CHOICES)
    country = forms.ChoiceField(
        label=_("Country of its public holidays"),
        required=False,
        choices=[("", _("None")), ("RU", _("Russia")), ("FR", _("France"))],
    )
    is_default = forms.BooleanField(
        label=_("Default calendar"),
        required=False,
        help_text=_("Offered first when a new policy is set up."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for weekday, label in enumerate(WEEKDAYS):
            self.fields[f"day_{weekday}"] = forms.CharField(
                label=label,
                required=False,
                max_length=200,
                help_text=_("e.g. 9:00-13:00, 14:00-18:00; empty: day off") if weekday == 0 else "",
            )

    def hour_fields(self) -> list[Any]:
        return [self[f"day_{d}"] for d in range(7)]

    @staticmethod
    def initial_from(calendar: WorkCalendar | None) -> dict[str, Any]:
        if calendar is None:
            return {
                "time_zone": "Europe/Moscow",
                **{f"day_{d}": "09:00-18:00" for d in range(5)},
            }
        hours: dict[int, list[tuple[datetime.time, datetime.time]]] = {}
        for h in calendar.hours.all():
            hours.setdefault(h.weekday, []).append((h.start, h.end))
        return {
            "name": calendar.name,
            "time_zone": calendar.time_zone,
            "country": calendar.country,
            "is_default": calendar.is_default,
            **{f"day_{d}": format_intervals(sorted(hours.get(d, []))) for d in range(7)},
        }

    def service_fields(self) -> dict[str, Any]:
        return {k: self.cleaned_data[k] for k in ("name", "time_zone", "country", "is_default")}

    def week(self) -> dict[int, str]:
        return {d: self.cleaned_data.get(f"day_{d}") or "" for d in range(7)}


class HolidayForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    name = forms.CharField(label=_("Name"), max_length=120, required=False)
    is_working_day = forms.BooleanField(
        label=pgettext_lazy("holiday", "Worked (a transferred working day)"), required=False
    )


class LoadHolidaysForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=1990, max_value=2100)
