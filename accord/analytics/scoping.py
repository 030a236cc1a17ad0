"""Shared by every report: the permission-scoped, filter-narrowed querysets, the period
conditions, and labels read from ``values()`` rows in the reader's language."""

from __future__ import annotations

from typing import Any

from django.db.models import (
    DecimalField,
    Q,
    QuerySet,
)
from django.utils import translation

from accord.activities.models import Activity
from accord.analytics.filters import ReportFilter
from accord.commerce.models import Order
from accord.core.models import User
from accord.core.permissions import Action, restrict
from accord.sales.models import Deal, Lead

WEIGHTED = DecimalField(max_digits=20, decimal_places=2)
OWNER_FIELDS = ("owner_id", "owner__first_name", "owner__last_name", "owner__username")


# --- scoping --------------------------------------------------------------------------------


def narrow(queryset: QuerySet[Any], report_filter: ReportFilter) -> QuerySet[Any]:
    """The manager and team filters, shared by every record type with an owner. A team means
    "deals owned by its members" (whoever the deal is shared with)."""
    if report_filter.owner is not None:
        queryset = queryset.filter(owner_id=report_filter.owner.pk)
    if report_filter.team is not None:
        members = User.objects.filter(teams=report_filter.team).values("pk")
        queryset = queryset.filter(owner_id__in=members)
    return queryset


def scoped_deals(user: User, report_filter: ReportFilter, action: str = Action.VIEW) -> Any:
    """The deals a report counts: those the viewer may see (or export), narrowed by the
    filter's pipeline, team and manager. The period is applied by each report."""
    deals = narrow(restrict(Deal.objects.order_by(), user, action), report_filter)
    if report_filter.pipeline is not None:
        deals = deals.filter(pipeline_id=report_filter.pipeline.pk)
    return deals


def scoped_orders(user: User, report_filter: ReportFilter, action: str = Action.VIEW) -> Any:
    """Orders that count as purchases: visible to the viewer, not cancelled."""
    orders = restrict(Order.objects.order_by(), user, action)
    return narrow(orders.exclude(status=Order.Status.CANCELLED), report_filter)


def scoped_activities(user: User, report_filter: ReportFilter, action: str = Action.VIEW) -> Any:
    return narrow(restrict(Activity.objects.order_by(), user, action), report_filter)


def scoped_leads(user: User, report_filter: ReportFilter, action: str = Action.VIEW) -> Any:
    return narrow(restrict(Lead.objects.order_by(), user, action), report_filter)


def closed_in(report_filter: ReportFilter) -> Q:
    return Q(
        is_closed=True,
        closed_at__gte=report_filter.start_at,
        closed_at__lt=report_filter.end_before,
    )


def created_in(report_filter: ReportFilter) -> Q:
    return Q(created_at__gte=report_filter.start_at, created_at__lt=report_filter.end_before)


# --- labels ---------------------------------------------------------------------------------


def person(row: dict[str, Any], prefix: str = "owner__") -> str:
    full = f"{row[prefix + 'first_name']} {row[prefix + 'last_name']}".strip()
    return full or row[prefix + "username"]


def localized(row: dict[str, Any], base: str) -> str:
    """A translated name fetched with ``values()``: ``<base>_ru`` etc., or the main one."""
    language = (translation.get_language() or "en")[:2]
    if language != "en":
        translated = row.get(f"{base}_{language}")
        if translated:
            return str(translated)
    return str(row[base])


def translated_fields(base: str) -> tuple[str, ...]:
    return (base, f"{base}_ru", f"{base}_fr", f"{base}_de")


def currencies(rows: list[dict[str, Any]]) -> list[str]:
    return sorted({row["currency"] for row in rows})
