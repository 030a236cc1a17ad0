"""Which cases a service report counts: those ``accord.service.selectors.cases_visible_to``
lets the viewer see (or export), narrowed by the report filter. Merged duplicates are left
out so a case counts once."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from accord.core.permissions import Action
from accord.service.models import Case
from accord.service.selectors import cases_visible_to
from accord.servicereports.filters import ServiceFilter


def cases_visible(user: Any, action: str = Action.VIEW) -> QuerySet[Case]:
    return cases_visible_to(user, action)


def scoped_cases(user: Any, report_filter: ServiceFilter, action: str = Action.VIEW) -> Any:
    cases = cases_visible(user, action).order_by().filter(merged_into__isnull=True)
    if report_filter.queue is not None:
        cases = cases.filter(queue_id=report_filter.queue.pk)
    if report_filter.category is not None:
        cases = cases.filter(category_id=report_filter.category.pk)
    if report_filter.agent is not None:
        cases = cases.filter(owner_id=report_filter.agent.pk)
    return cases


def created_in(report_filter: ServiceFilter, field: str = "created_at") -> Q:
    return Q(**{f"{field}__gte": report_filter.start_at, f"{field}__lt": report_filter.end_before})
