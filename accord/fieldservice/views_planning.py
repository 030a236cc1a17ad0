"""The engineer's phone view (today's and tomorrow's visits) and the dispatcher's board
(engineers × days, overlaps flagged, work orders to plan)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from accord.core.http import AuthedHttpRequest
from accord.core.models import Team
from accord.core.permissions import Action, Scope, user_scope
from accord.fieldservice import selectors
from accord.fieldservice.forms import MaterialForm
from accord.fieldservice.models import (
    ChecklistItem,
    MaterialUse,
    TimeEntry,
    WorkOrder,
    WorkOrderEngineer,
)
from accord.fieldservice.views import _day_param, _int, _may_dispatch, maps_url, status_actions

# --- the engineer's phone view -------------------------------------------------------------


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


@login_required
def my_visits(request: AuthedHttpRequest) -> HttpResponse:
    """Today's and tomorrow's visits of the signed-in engineer, each with its one-tap
    buttons, checklist, materials, a note and a photo."""
    if user_scope(request.user, "work_order", Action.VIEW) == Scope.NONE:
        raise PermissionDenied
    today = timezone.localdate()
    visits = list(
        selectors.visits_of(
            request.user, _day_start(today), _day_start(today + datetime.timedelta(days=2))
        ).prefetch_related(
            "contact__contact_points",
            "company__contact_points",
            Prefetch("checklist_items", queryset=ChecklistItem.objects.order_by("position", "id")),
            Prefetch("materials", queryset=MaterialUse.objects.order_by("id")),
        )
    )
    running = (
        TimeEntry.objects.filter(engineer=request.user, ended_at__isnull=True)
        .select_related("work_order")
        .first()
    )
    days: dict[datetime.date, list[dict[str, Any]]] = {
        today: [],
        today + datetime.timedelta(days=1): [],
    }
    for visit in visits:
        day = timezone.localtime(visit.scheduled_start).date() if visit.scheduled_start else today
        items = list(visit.checklist_items.all())
        days.setdefault(day, []).append(
            {
                "visit": visit,
                "phone": _phone_of(visit),
                "maps_url": maps_url(visit.site_address) if visit.site_address else "",
                "actions": status_actions(visit),
                "checklist": items,
                "checklist_done": sum(1 for item in items if item.is_done),
                "materials": list(visit.materials.all()),
                "timer_here": running is not None and running.work_order_id == visit.pk,
            }
        )
    return render(
        request,
        "fieldservice/my_visits.html",
        {
            "days": [(day, days[day]) for day in sorted(days)],
            "today": today,
            "running": running,
            "next": reverse("fieldservice:my_visits"),
            "material_form": MaterialForm(),
        },
    )


def _phone_of(visit: WorkOrder) -> str:
    """The on-site contact's phone, else the client's (both prefetched)."""
    for owner in (visit.contact, visit.company):
        if owner is None:
            continue
        phones = [p for p in owner.contact_points.all() if p.kind == "phone"]
        phones.sort(key=lambda p: (not p.is_primary, p.pk))
        if phones:
            return phones[0].normalized or phones[0].value
    return ""


# --- the dispatcher's board ----------------------------------------------------------------


def overlapping(visits: list[WorkOrder]) -> set[int]:
    """Ids of the open visits (sorted by start) that overlap another one of the list."""
    found: set[int] = set()
    for i, visit in enumerate(visits):
        if visit.scheduled_start is None:
            continue
        visit_end = visit.scheduled_end or visit.scheduled_start
        for other in visits[i + 1 :]:
            if other.scheduled_start is None or other.scheduled_start >= visit_end:
                break
            if visit.is_open and other.is_open:
                found.update({visit.pk, other.pk})
    return found


@login_required
def dispatch(request: AuthedHttpRequest) -> HttpResponse:
    """Engineers × days with their visits as blocks, overlaps flagged, and the unscheduled
    work orders waiting to be planned."""
    if user_scope(request.user, "work_order", Action.VIEW) < Scope.TEAM:
        raise PermissionDenied
    day = _day_param(request)
    span = 1 if request.GET.get("days") == "1" else 7
    first = day - datetime.timedelta(days=day.weekday()) if span == 7 else day
    dates = [first + datetime.timedelta(days=i) for i in range(span)]
    team_id = _int(request.GET["team"]) if request.GET.get("team") else None
    engineers = list(selectors.engineers_queryset(team_id)[:60])
    rows = WorkOrderEngineer.objects.filter(user__in=[e.pk for e in engineers])
    if user_scope(request.user, "work_order", Action.VIEW) < Scope.ALL:
        rows = rows.filter(
            work_order__in=selectors.work_orders_visible_to(request.user).values("pk")
        )
    rows = (
        rows.filter(
            work_order__scheduled_start__gte=_day_start(dates[0]),
            work_order__scheduled_start__lt=_day_start(dates[-1] + datetime.timedelta(days=1)),
        )
        .exclude(work_order__status=WorkOrder.Status.CANCELLED)
        .select_related("work_order", "work_order__company")
        .order_by("work_order__scheduled_start", "work_order_id")
    )
    cells: dict[tuple[int, datetime.date], list[dict[str, Any]]] = defaultdict(list)
    per_day: dict[datetime.date, list[dict[str, Any]]] = defaultdict(list)
    by_engineer: dict[int, list[WorkOrder]] = defaultdict(list)
    names = {e.pk: e.get_full_name() or e.username for e in engineers}
    for row in rows:
        by_engineer[row.user_id].append(row.work_order)
    clashing = {
        (user_id, pk) for user_id, visits in by_engineer.items() for pk in overlapping(visits)
    }
    for user_id, visits in by_engineer.items():
        for visit in visits:
            start = timezone.localtime(visit.scheduled_start)
            block = {
                "visit": visit,
                "start": start,
                "end": timezone.localtime(visit.scheduled_end) if visit.scheduled_end else None,
                "conflict": (user_id, visit.pk) in clashing,
                "engineer": names[user_id],
            }
            cells[(user_id, start.date())].append(block)
            per_day[start.date()].append(block)
    grid = [{"engineer": e, "cells": [cells.get((e.pk, d), []) for d in dates]} for e in engineers]
    unscheduled = list(
        selectors.work_orders_visible_to(request.user)
        .filter(scheduled_start__isnull=True, status=WorkOrder.Status.SCHEDULED)
        .select_related("company", "case")
        .order_by("created_at", "id")[:50]
    )
    step = datetime.timedelta(days=span)
    return render(
        request,
        "fieldservice/dispatch.html",
        {
            "dates": dates,
            "grid": grid,
            "day_list": [(d, per_day.get(d, [])) for d in dates],
            "unscheduled": unscheduled,
            "conflict_count": len({pk for _user, pk in clashing}),
            "span": span,
            "day": day,
            "previous": (first - step).isoformat(),
            "following": (first + step).isoformat(),
            "teams": Team.objects.order_by("name"),
            "team_id": team_id,
            "can_plan": _may_dispatch(request.user),
            "today": timezone.localdate(),
        },
    )
