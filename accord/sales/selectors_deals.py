"""Reads of deals and pipelines, scoped by the permission layer (rule 2).

Stage changes are child records: they are reached only through a deal the reader may see.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from accord.core.permissions import Action, restrict
from accord.sales.models import Deal, Pipeline, Stage, StageChange


def deals_visible_to(user: Any, action: str = Action.VIEW) -> QuerySet[Deal]:
    """Deals the role's record rules allow: own deals, deals of own clients, and (team scope)
    deals shared with or belonging to clients of one's teams."""
    return restrict(Deal.objects.all(), user, action)


def get_deal_for(user: Any, pk: Any, action: str = Action.VIEW) -> Deal:
    """The same 404 for a deal that does not exist and one the user may not touch."""
    try:
        return (
            deals_visible_to(user, action)
            .select_related(
                "company",
                "pipeline",
                "stage",
                "owner",
                "team",
                "source",
                "won_reason",
                "lost_reason",
                "lead",
            )
            .get(pk=int(pk))
        )
    except (Deal.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def stage_changes_for(deal: Deal) -> QuerySet[StageChange]:
    """A deal's moves, oldest first (the deal was already checked by get_deal_for)."""
    return (
        StageChange.objects.filter(deal=deal)
        .select_related("from_stage", "to_stage", "actor")
        .order_by("at", "id")
    )


def active_pipelines() -> list[Pipeline]:
    """Pipelines a user may choose for a deal (configuration, not user data: everyone sees
    them)."""
    return list(Pipeline.objects.filter(is_active=True).order_by("position", "id"))


def default_pipeline() -> Pipeline | None:
    """The pipeline new deals and the board use when none is chosen."""
    pipeline = Pipeline.objects.filter(is_default=True, is_active=True).first()
    return pipeline or Pipeline.objects.filter(is_active=True).order_by("position", "id").first()


def active_stages(pipeline: Pipeline) -> list[Stage]:
    """Active stages in board order: open ones by position, then won, then lost."""
    stages = list(Stage.objects.filter(pipeline=pipeline, is_active=True))
    order = {Stage.Kind.OPEN: 0, Stage.Kind.WON: 1, Stage.Kind.LOST: 2}
    return sorted(stages, key=lambda s: (order[Stage.Kind(s.kind)], s.position, s.pk))


@dataclass
class DealCounts:
    open_count: int
    open_amount: Decimal
    won_count: int
    lost_count: int


def deal_counts_for_company(user: Any, company_id: int) -> DealCounts:
    """Open/won/lost figures for the client card, in one aggregate query."""
    row = (
        deals_visible_to(user)
        .filter(company_id=company_id)
        .aggregate(
            open_count=Count("id", filter=Q(is_closed=False)),
            open_amount=Sum("amount", filter=Q(is_closed=False)),
            won_count=Count("id", filter=Q(is_closed=True, is_won=True)),
            lost_count=Count("id", filter=Q(is_closed=True, is_won=False)),
        )
    )
    return DealCounts(
        open_count=row["open_count"] or 0,
        open_amount=row["open_amount"] or Decimal("0"),
        won_count=row["won_count"] or 0,
        lost_count=row["lost_count"] or 0,
    )


def recently_closed_since(
    now: datetime.datetime | None = None, days: int = 30
) -> datetime.datetime:
    """Where the board's won and lost columns start: older closed deals live in the list."""
    return (now or timezone.now()) - datetime.timedelta(days=days)
