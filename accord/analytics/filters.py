"""The filter every report takes (M1): a period in the viewer's time zone, and optionally a
pipeline, a team and a manager. Parsed from GET parameters by one form so the page, the CSV
export and the API refuse the same bad input with the same translated, field-named message."""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accord.core.models import Team, User
from accord.core.permissions import Action, Scope, team_ids, user_scope
from accord.sales.models import Pipeline

# The longest period a report accepts: enough for multi-year comparisons, small enough that
# a month-by-month chart stays readable and a typo ("0206") is caught.
MAX_DAYS = 366 * 5


class Preset:
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    LAST_12_MONTHS = "last12"
    CUSTOM = "custom"


PRESET_CHOICES = [
    (Preset.MONTH, _("This month")),
    (Preset.QUARTER, _("This quarter")),
    (Preset.YEAR, _("This year")),
    (Preset.LAST_12_MONTHS, _("Last 12 months")),
    (Preset.CUSTOM, pgettext_lazy("report period", "Custom")),
]


@dataclass(frozen=True)
class ReportFilter:
    """What a report is about. ``start`` and ``end`` are both included, as calendar dates in
    ``tz`` (the viewer's time zone): a deal closed at 23:30 Moscow time on 31 March belongs to
    March for a Moscow user."""

    start: datetime.date
    end: datetime.date
    tz: datetime.tzinfo
    pipeline: Pipeline | None = None
    team: Team | None = None
    owner: User | None = None

    @property
    def start_at(self) -> datetime.datetime:
        """The first instant of the period."""
        return datetime.datetime.combine(self.start, datetime.time.min, tzinfo=self.tz)

    @property
    def end_before(self) -> datetime.datetime:
        """The first instant after the period (periods are half-open on instants)."""
        day = self.end + datetime.timedelta(days=1)
        return datetime.datetime.combine(day, datetime.time.min, tzinfo=self.tz)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> ReportFilter:
        """The period of equal length just before this one (for retention)."""
        end = self.start - datetime.timedelta(days=1)
        start = end - datetime.timedelta(days=self.days - 1)
        return ReportFilter(start, end, self.tz, self.pipeline, self.team, self.owner)

    def query_params(self) -> dict[str, str]:
        """The filter as GET parameters, to link from the dashboard to a report and back."""
        params = {"from": self.start.isoformat(), "to": self.end.isoformat()}
        if self.pipeline is not None:
            params["pipeline"] = str(self.pipeline.pk)
        if self.team is not None:
            params["team"] = str(self.team.pk)
        if self.owner is not None:
            params["owner"] = str(self.owner.pk)
        return params


def user_tz(user: User) -> datetime.tzinfo:
    try:
        return zoneinfo.ZoneInfo(user.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return timezone.get_default_timezone()


def preset_range(preset: str, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The calendar dates a preset stands for, seen from ``today``."""
    if preset == Preset.QUARTER:
        first_month = (today.month - 1) // 3 * 3 + 1
        start = today.replace(month=first_month, day=1)
        end = _add_months(start, 3) - datetime.timedelta(days=1)
    elif preset == Preset.YEAR:
        start, end = today.replace(month=1, day=1), today.replace(month=12, day=31)
    elif preset == Preset.LAST_12_MONTHS:
        start = _add_months(today.replace(day=1), -11)
        end = _add_months(today.replace(day=1), 1) - datetime.timedelta(days=1)
    else:
        start = today.replace(day=1)
        end = _add_months(start, 1) - datetime.timedelta(days=1)
    return start, end


def _add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    return day.replace(year=index // 12, month=index % 12 + 1, day=1)


def filterable_teams(user: User) -> QuerySet[Team]:
    """Teams the viewer may narrow a report to: all for those who see all deals, their own
    teams for a team-scoped manager, none for someone who sees only their own deals."""
    scope = user_scope(user, "deal", Action.VIEW)
    if scope == Scope.ALL:
        return Team.objects.all()
    if scope == Scope.TEAM:
        return Team.objects.filter(pk__in=team_ids(user))
    return Team.objects.none()


def filterable_owners(user: User) -> QuerySet[User]:
    """Managers the viewer may narrow a report to (same rule as the teams)."""
    scope = user_scope(user, "deal", Action.VIEW)
    if scope == Scope.ALL:
        return User.objects.filter(is_active=True)
    if scope == Scope.TEAM:
        return User.objects.filter(
            Q(pk=user.pk) | Q(is_active=True, teams__in=team_ids(user))
        ).distinct()
    return User.objects.filter(pk=user.pk)


class ReportFilterForm(forms.Form):
    """GET parameters ``period``, ``from``, ``to``, ``pipeline``, ``team``, ``owner``. ``from``
    and ``to`` override the preset; without them the preset (default: this month) applies."""

    period = forms.ChoiceField(
        label=_("Period"), choices=PRESET_CHOICES, required=False, initial=Preset.MONTH
    )
    pipeline = forms.ModelChoiceField(
        label=_("Pipeline"),
        queryset=Pipeline.objects.filter(is_active=True),
        required=False,
        empty_label=_("All pipelines"),
    )
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.none(), required=False, empty_label=_("All teams")
    )
    owner = forms.ModelChoiceField(
        label=_("Manager"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("All managers"),
    )

    def __init__(self, data: Any, *, user: User, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.user = user
        # "from" is a Python keyword: declared here so the GET parameter keeps its plain name.
        self.fields["from"] = forms.DateField(
            label=pgettext_lazy("report period", "From"),
            required=False,
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        )
        self.fields["to"] = forms.DateField(
            label=pgettext_lazy("report period", "To"),
            required=False,
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        )
        self.order_fields(["period", "from", "to", "pipeline", "team", "owner"])
        self.fields["team"].queryset = filterable_teams(user)  # type: ignore[attr-defined]
        self.fields["owner"].queryset = filterable_owners(user)  # type: ignore[attr-defined]
        self.fields["owner"].label_from_instance = lambda u: str(u)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("from"), data.get("to")
        if "from" in self.errors or "to" in self.errors:
            return data
        if (start is None) != (end is None):
            missing = "to" if end is None else "from"
            self.add_error(missing, _("Give both dates of the period, or choose a preset."))
            return data
        if start is not None and end is not None:
            if start > end:
                self.add_error("from", _("The start of the period must not be after its end."))
            elif (end - start).days + 1 > MAX_DAYS:
                self.add_error("from", _("The period may be at most five years long."))
        return data

    def report_filter(self) -> ReportFilter:
        """The validated filter; call after ``is_valid()`` returned True."""
        data = self.cleaned_data
        tz = user_tz(self.user)
        if data.get("from") and data.get("to"):
            start, end = data["from"], data["to"]
        else:
            today = timezone.localtime(timezone.now(), tz).date()
            start, end = preset_range(data.get("period") or Preset.MONTH, today)
        return ReportFilter(
            start=start,
            end=end,
            tz=tz,
            pipeline=data.get("pipeline"),
            team=data.get("team"),
            owner=data.get("owner"),
        )


def display_form(form: ReportFilterForm, report_filter: ReportFilter | None) -> ReportFilterForm:
    """The form to show: with its errors when the input was refused, otherwise a fresh one
    holding the effective dates (so a preset's range can be adjusted by hand)."""
    if report_filter is None:
        return form
    return ReportFilterForm(
        None,
        user=form.user,
        initial={
            "from": report_filter.start,
            "to": report_filter.end,
            "pipeline": report_filter.pipeline,
            "team": report_filter.team,
            "owner": report_filter.owner,
        },
    )


def preset_links(report_filter: ReportFilter | None) -> list[dict[str, Any]]:
    """The period presets as links (no JavaScript needed), keeping pipeline, team and manager;
    the preset matching the current period is marked."""
    today = timezone.localtime(timezone.now(), report_filter.tz if report_filter else None).date()
    keep: dict[str, str] = {}
    if report_filter is not None:
        keep = {k: v for k, v in report_filter.query_params().items() if k not in ("from", "to")}
    links = []
    for code, label in PRESET_CHOICES:
        if code == Preset.CUSTOM:
            continue
        start, end = preset_range(code, today)
        is_current = report_filter is not None and (report_filter.start, report_filter.end) == (
            start,
            end,
        )
        links.append(
            {"label": label, "query": urlencode({"period": code, **keep}), "current": is_current}
        )
    return links


def parse_filter(params: Any, user: User) -> tuple[ReportFilterForm, ReportFilter | None]:
    """The form (to show, with errors next to the fields) and the filter when it is valid."""
    form = ReportFilterForm(params, user=user)
    if not form.is_valid():
        return form, None
    return form, form.report_filter()


def require_filter(params: Any, user: User) -> ReportFilter:
    """The filter, or a ValidationError keyed by the GET parameter's name (for the API)."""
    form, report_filter = parse_filter(params, user)
    if report_filter is None:
        raise ValidationError({field: list(errors) for field, errors in form.errors.items()})
    return report_filter
