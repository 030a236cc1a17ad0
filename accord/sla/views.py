"""Pages of service levels: the case panel, the settings (policies, calendars, holidays) and
the compliance report. Thin: parse, fetch through a selector, call a service, render."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accord.analytics.charts import render as render_chart
from accord.analytics.results import Chart, Kind, Series
from accord.core import export
from accord.core.errors import ConflictError
from accord.core.http import AuthedHttpRequest
from accord.core.permissions import Action, Scope, user_scope
from accord.dataio.forms import apply_service_errors
from accord.service.selectors import cases_visible_to, get_case_for
from accord.sla import report, selectors, services
from accord.sla.forms import CalendarForm, HolidayForm, LoadHolidaysForm, PolicyForm
from accord.sla.models import Holiday, Priority, SlaPolicy, WorkCalendar

# --- the case panel --------------------------------------------------------------------------


@login_required
def case_panel(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """The "Service level" panel of a case page (an htmx fragment)."""
    case = get_case_for(request.user, pk)
    state = selectors.case_sla(case)
    targets = [
        {
            "target": target,
            "left": selectors.duration_text(target.minutes_left),
        }
        for target in state.targets
    ]
    return render(request, "sla/_case_panel.html", {"case": case, "sla": state, "targets": targets})


# --- settings --------------------------------------------------------------------------------


def _save(form: Any, save: Callable[[], Any], aliases: dict[str, str] | None = None) -> Any:
    try:
        return save()
    except ValidationError as exc:
        apply_service_errors(form, exc, aliases)
    except ConflictError:
        form.add_error(
            None,
            _(
                "Someone else changed this policy while you were editing it. "
                "Reload the page to see their version, then make your change again."
            ),
        )
    return None


@login_required
def settings_home(request: AuthedHttpRequest) -> HttpResponse:
    services.require_manager(request.user)
    rank = {value: index for index, value in enumerate(reversed(Priority.values))}
    policies = [
        (
            policy,
            [
                (
                    target.get_priority_display(),
                    selectors.duration_text(target.first_response_minutes),
                    selectors.duration_text(target.resolution_minutes),
                )
                for target in sorted(policy.targets.all(), key=lambda t: rank[t.priority])
            ],
        )
        for policy in selectors.policies()
    ]
    return render(
        request,
        "sla/settings.html",
        {"policies": policies, "calendars": list(selectors.calendars())},
    )


@login_required
def policy_create(request: AuthedHttpRequest) -> HttpResponse:
    services.require_manager(request.user)
    default = WorkCalendar.objects.filter(is_default=True).first()
    form = PolicyForm(
        request.POST or None,
        initial={"is_active": True, "warn_at_percent": 80, "calendar": default},
    )
    if request.method == "POST" and form.is_valid():
        policy = _save(
            form,
            lambda: services.policy_create(
                actor=request.user,
                fields=form.service_fields(),
                targets=form.service_targets(),
            ),
            form.error_aliases(),
        )
        if policy is not None:
            messages.success(request, _("Policy “%(name)s” created.") % {"name": policy})
            return redirect("sla:settings")
    return render(request, "sla/policy_form.html", {"form": form, "title": _("New SLA policy")})


@login_required
def policy_edit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    services.require_manager(request.user)
    policy = get_object_or_404(SlaPolicy, pk=pk)
    form = PolicyForm(request.POST or None, initial=PolicyForm.initial_from(policy))
    if request.method == "POST" and form.is_valid():
        saved = _save(
            form,
            lambda: services.policy_update(
                actor=request.user,
                policy=policy,
                fields=form.service_fields(),
                targets=form.service_targets(),
                version=form.cleaned_data.get("version"),
            ),
            form.error_aliases(),
        )
        if saved is not None:
            messages.success(request, _("Policy “%(name)s” saved.") % {"name": saved})
            return redirect("sla:settings")
    return render(
        request,
        "sla/policy_form.html",
        {
            "form": form,
            "policy": policy,
            "title": _("Edit SLA policy “%(name)s”") % {"name": policy},
        },
    )


@login_required
@require_POST
def policy_move(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    services.require_manager(request.user)
    policy = get_object_or_404(SlaPolicy, pk=pk)
    offset = -1 if request.POST.get("direction") == "up" else 1
    services.policy_move(actor=request.user, policy=policy, offset=offset)
    return redirect("sla:settings")


@login_required
def calendar_create(request: AuthedHttpRequest) -> HttpResponse:
    services.require_manager(request.user)
    form = CalendarForm(request.POST or None, initial=CalendarForm.initial_from(None))
    if request.method == "POST" and form.is_valid():

        @transaction.atomic
        def save() -> WorkCalendar:
            # One transaction: a calendar with bad hours is not left behind half-made.
            calendar = services.calendar_create(
                actor=request.user, fields=form.service_fields(), weekdays=()
            )
            return services.calendar_set_hours(
                actor=request.user, calendar=calendar, week=form.week()
            )

        calendar = _save(form, save)
        if calendar is not None:
            messages.success(request, _("Calendar “%(name)s” created.") % {"name": calendar})
            return redirect("sla:calendar_edit", calendar.pk)
    return render(
        request, "sla/calendar_form.html", {"form": form, "title": _("New working calendar")}
    )


@login_required
def calendar_edit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    services.require_manager(request.user)
    calendar = get_object_or_404(WorkCalendar, pk=pk)
    form = CalendarForm(request.POST or None, initial=CalendarForm.initial_from(calendar))
    if request.method == "POST" and form.is_valid():

        @transaction.atomic
        def save() -> WorkCalendar:
            updated = services.calendar_update(
                actor=request.user, calendar=calendar, fields=form.service_fields()
            )
            return services.calendar_set_hours(
                actor=request.user, calendar=updated, week=form.week()
            )

        if _save(form, save) is not None:
            messages.success(request, _("Calendar “%(name)s” saved.") % {"name": calendar})
            return redirect("sla:calendar_edit", calendar.pk)
    return _calendar_page(request, calendar, form=form)


def _calendar_page(
    request: AuthedHttpRequest,
    calendar: WorkCalendar,
    *,
    form: CalendarForm | None = None,
    holiday_form: HolidayForm | None = None,
    load_form: LoadHolidaysForm | None = None,
) -> HttpResponse:
    year = _year(request.GET.get("year"))
    holidays = list(calendar.holidays.filter(date__year=year).order_by("date"))
    return render(
        request,
        "sla/calendar_form.html",
        {
            "form": form or CalendarForm(initial=CalendarForm.initial_from(calendar)),
            "calendar": calendar,
            "title": _("Working calendar “%(name)s”") % {"name": calendar},
            "holidays": holidays,
            "year": year,
            "years": [year - 1, year, year + 1],
            "holiday_form": holiday_form or HolidayForm(),
            "load_form": load_form or LoadHolidaysForm(initial={"year": year}),
        },
    )


def _year(value: Any) -> int:
    try:
        year = int(value)
    except (TypeError, ValueError):
        return timezone.localdate().year
    return year if 1990 <= year <= 2100 else timezone.localdate().year


@login_required
@require_POST
def calendar_delete(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    services.require_manager(request.user)
    calendar = get_object_or_404(WorkCalendar, pk=pk)
    try:
        services.calendar_delete(actor=request.user, calendar=calendar)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("sla:calendar_edit", calendar.pk)
    messages.success(request, _("Calendar deleted."))
    return redirect("sla:settings")


@login_required
@require_POST
def holiday_add(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    services.require_manager(request.user)
    calendar = get_object_or_404(WorkCalendar, pk=pk)
    form = HolidayForm(request.POST)
    if form.is_valid():
        holiday = _save(
            form,
            lambda: services.holiday_add(
                actor=request.user,
                calendar=calendar,
                date=form.cleaned_data["date"],
                name=form.cleaned_data["name"],
                is_working_day=form.cleaned_data["is_working_day"],
            ),
        )
        if holiday is not None:
            messages.success(request, _("%(date)s added.") % {"date": holiday.date})
            return redirect(f"{_calendar_url(calendar)}?year={holiday.date.year}#holidays")
    return _calendar_page(request, calendar, holiday_form=form)


def _calendar_url(calendar: WorkCalendar) -> str:
    from django.urls import reverse

    return reverse("sla:calendar_edit", args=[calendar.pk])


@login_required
@require_POST
def holiday_delete(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    services.require_manager(request.user)
    holiday = get_object_or_404(Holiday.objects.select_related("calendar"), pk=pk)
    calendar = holiday.calendar
    year = holiday.date.year
    services.holiday_delete(actor=request.user, holiday=holiday)
    messages.success(request, _("Day removed from the calendar."))
    return redirect(f"{_calendar_url(calendar)}?year={year}#holidays")


@login_required
@require_POST
def holidays_load(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    services.require_manager(request.user)
    calendar = get_object_or_404(WorkCalendar, pk=pk)
    form = LoadHolidaysForm(request.POST)
    if form.is_valid():
        year = form.cleaned_data["year"]
        added = _save(
            form,
            lambda: services.holidays_load(
                actor=request.user,
                calendar=calendar,
                year=year,
                language=request.user.language,
            ),
        )
        if added is not None:
            if added:
                messages.success(
                    request,
                    _("Days added for %(year)s: %(count)s.") % {"count": len(added), "year": year},
                )
            else:
                messages.info(
                    request,
                    _("The calendar already had every public holiday of %(year)s.")
                    % {"year": year},
                )
            return redirect(f"{_calendar_url(calendar)}?year={year}#holidays")
    return _calendar_page(request, calendar, load_form=form)


# --- compliance report -----------------------------------------------------------------------


def _date(value: str | None, default: datetime.date) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value or "")
    except ValueError:
        return default


@login_required
def compliance(request: AuthedHttpRequest) -> HttpResponseBase:
    """% of cases meeting their targets, per period, queue, priority, agent or policy."""
    if user_scope(request.user, "case", Action.VIEW) == Scope.NONE:
        raise Http404
    today = timezone.localdate()
    group = request.GET.get("group") or "month"
    if group not in report.GROUPS:
        group = "month"
    default_start = (today.replace(day=1) - datetime.timedelta(days=150)).replace(day=1)
    start = _date(request.GET.get("start"), default_start)
    end = _date(request.GET.get("end"), today)
    error = ""
    if end < start:
        error = _("The end of the period is before its start.")
        start, end = end, start
    rows = report.compliance(
        cases_visible_to(request.user),
        group=group,
        start=start,
        end=end,
        time_zone=request.user.time_zone,
    )
    if request.GET.get("format") == "csv":
        if user_scope(request.user, "case", Action.EXPORT) == Scope.NONE:
            raise PermissionDenied(_("You do not have permission to do this."))
        return export.csv_response(
            export.csv_rows(report.csv_rows(rows, group)),
            f"sla-compliance-{start.isoformat()}-{end.isoformat()}.csv",
        )
    has_figures = any(
        row.first_percent is not None or row.resolution_percent is not None for row in rows
    )
    chart = Chart(
        kind="bar" if group in ("month", "week") else "hbar",
        labels=[row.label for row in rows],
        series=[
            Series(_("First response met, %"), [row.first_percent for row in rows]),
            Series(_("Resolution met, %"), [row.resolution_percent for row in rows]),
        ],
        value_kind=Kind.PERCENT,
    )
    return render(
        request,
        "sla/compliance.html",
        {
            "rows": rows,
            "total": report.totals(rows),
            "group": group,
            "groups": list(report.GROUPS.items()),
            "group_label": report.GROUPS[group],
            "start": start,
            "end": end,
            "error": error,
            "chart": render_chart(chart) if has_figures else None,
            "chart_narrow": render_chart(chart, size="narrow") if has_figures else None,
            "may_export": user_scope(request.user, "case", Action.EXPORT) > Scope.NONE,
            "may_manage": services.may_manage(request.user),
        },
    )
