"""Reads of work orders, scoped to what the user may see (ARCHITECTURE.md rule 2).

The record rules narrow by lead engineer (``owner``) and ``team``; an engineer who is on a
visit without leading it also sees it and may log time on it, through membership."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from accord.core.models import User
from accord.core.permissions import Action, Scope, allows, scope_q, user_scope
from accord.fieldservice.models import ChecklistTemplate, WorkOrder, WorkOrderEngineer

OBJECT_TYPE = "work_order"


def _membership(user: Any) -> Exists:
    return Exists(WorkOrderEngineer.objects.filter(work_order=OuterRef("pk"), user=user.pk))


def membership_q(user: Any) -> Q:
    """Work orders the user is an engineer on (lead or not)."""
    return Q(_membership(user))


def work_orders_visible_to(user: Any, action: str = Action.VIEW) -> QuerySet[WorkOrder]:
    """Work orders ``user`` may do ``action`` on: the record rules, plus the visits the user
    is an engineer on when the role grants the action on own records at all."""
    from accord.core.permissions import OBJECT_TYPES

    scope = user_scope(user, OBJECT_TYPE, action)
    queryset = WorkOrder.objects.all()
    if scope == Scope.ALL:
        return queryset
    if scope == Scope.NONE:
        return queryset.none()
    rule = scope_q(user, OBJECT_TYPES[OBJECT_TYPE], scope) or Q()
    return queryset.filter(rule | Q(_membership(user)))


def may(user: Any, action: str, work_order: WorkOrder) -> bool:
    """The single-record form of :func:`work_orders_visible_to`."""
    if allows(user, action, work_order):
        return True
    if user_scope(user, OBJECT_TYPE, action) == Scope.NONE:
        return False
    return WorkOrderEngineer.objects.filter(work_order=work_order, user=user.pk).exists()


def get_work_order_for(user: Any, pk: Any, action: str = Action.VIEW) -> WorkOrder:
    """One work order, 404 when it does not exist or the user may not see it."""
    try:
        pk = int(pk)
    except (TypeError, ValueError) as exc:
        raise Http404 from exc
    work_order = (
        work_orders_visible_to(user, Action.VIEW)
        .select_related("case", "company", "contact", "contract", "owner", "team")
        .filter(pk=pk)
        .first()
    )
    if work_order is None:
        raise Http404
    return work_order


def visits_of(user: User, start: datetime.datetime, end: datetime.datetime) -> QuerySet[WorkOrder]:
    """The visits ``user`` is an engineer on that start in [start, end) (the phone view)."""
    return (
        WorkOrder.objects.filter(
            Q(_membership(user)), scheduled_start__gte=start, scheduled_start__lt=end
        )
        .exclude(status=WorkOrder.Status.CANCELLED)
        .select_related("company", "contact", "case")
        .order_by("scheduled_start", "id")
    )


def engineers_queryset(team_id: int | None = None) -> QuerySet[User]:
    """Who the dispatcher plans: users with the field-engineer role, or a chosen team."""
    users = User.objects.filter(is_active=True)
    users = users.filter(teams=team_id) if team_id else users.filter(roles__code="field_engineer")
    return users.distinct().order_by("first_name", "last_name", "id")


def checklist_templates(active_only: bool = True) -> QuerySet[ChecklistTemplate]:
    queryset = ChecklistTemplate.objects.select_related("category")
    return queryset.filter(is_active=True) if active_only else queryset
