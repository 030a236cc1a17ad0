"""The filter every service report and the feedback results take: a period in the viewer's
time zone (both ends included), and optionally a queue, a category and an agent. One form
parses GET parameters for the pages, the CSV exports and the API, so all three refuse the
same bad input with the same field-named message."""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accord.core.models import User
from accord.service.models import Category, Queue

MAX_DAYS = 366 * 3
DEFAULT_DAYS = 90


@dataclass(frozen=True)
class ServiceFilter:
    start: datetime.date
    end: datetime.date
    tz: datetime.tzinfo
    queue: Queue | None = None
    category: Category | None = None
    agent: User | None = None

    @property
    def start_at(self) -> datetime.datetime:
        return datetime.datetime.combine(self.start, datetime.time.min, tzinfo=self.tz)

    @property
    def end_before(self) -> datetime.datetime:
        """The first instant after the period (exclusive upper bound)."""
        return datetime.datetime.combine(
            self.end + datetime.timedelta(days=1), datetime.time.min, tzinfo=self.tz
        )

    def query_params(self) -> dict[str, str]:
        params = {"from": self.start.isoformat(), "to": self.end.isoformat()}
        if self.queue is not None:
            params["queue"] = str(self.queue.pk)
        if self.category is not None:
            params["category"] = str(self.category.pk)
        if self.agent is not None:
            params["agent"] = str(self.agent.pk)
        return params


class ServiceFilterForm(forms.Form):
    # Field names match the GET parameters ("from" is a Python keyword, hence the dict).
    queue = forms.ModelChoiceField(
        label=_("Queue"), queryset=Queue.objects.filter(is_active=True), required=False
    )
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.filter(is_active=True), required=False
    )
    agent = forms.ModelChoiceField(
        label=_("Agent"),
        queryset=User.objects.filter(is_active=True).order_by("first_name", "last_name"),
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["from"] = forms.DateField(
            label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
        )
        self.fields["to"] = forms.DateField(
            label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
        )
        self.order_fields(["from", "to", "queue", "category", "agent"])
        for name in ("queue", "category", "agent"):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.error_messages["invalid_choice"] = _("Choose one of the listed options.")
            field.empty_label = str(pgettext_lazy("filter", "All"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("from"), data.get("to")
        if start and end:
            if end < start:
                self.add_error("to", _("The end of the period is before its start."))
            elif (end - start).days > MAX_DAYS:
                self.add_error(
                    "to", _("The period is too long: at most %(days)d days.") % {"days": MAX_DAYS}
                )
        return data


def _user_tz(user: Any) -> datetime.tzinfo:
    name = getattr(user, "time_zone", "") or ""
    try:
        return zoneinfo.ZoneInfo(name) if name else timezone.get_current_timezone()
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return timezone.get_current_timezone()


def parse_filter(params: Any, user: Any) -> tuple[ServiceFilterForm, ServiceFilter | None]:
    """The form (for display and errors) and the filter, or None when the input is bad."""
    form = ServiceFilterForm(params or None)
    tz = _user_tz(user)
    today = timezone.now().astimezone(tz).date()
    if not params or not any(params.get(k) for k in ("from", "to", "queue", "category", "agent")):
        return ServiceFilterForm(
            initial={"from": today - datetime.timedelta(days=DEFAULT_DAYS - 1), "to": today}
        ), ServiceFilter(start=today - datetime.timedelta(days=DEFAULT_DAYS - 1), end=today, tz=tz)
    if not form.is_valid():
        return form, None
    data = form.cleaned_data
    end = data.get("to") or today
    start = data.get("from") or end - datetime.timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        form.add_error("from", _("The start of the period is after its end."))
        return form, None
    return form, ServiceFilter(
        start=start,
        end=end,
        tz=tz,
        queue=data.get("queue"),
        category=data.get("category"),
        agent=data.get("agent"),
    )


def validation_error(form: ServiceFilterForm) -> ValidationError:
    return ValidationError({name: list(errors) for name, errors in form.errors.items()})
