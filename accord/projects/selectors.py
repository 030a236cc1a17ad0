"""Reads of projects, always scoped to what the user may see (rule 2), and the figures a
project page shows: progress, overdue stages, next deadline, paid milestones (P1).

Stages are child records: they are reached only through a project the user may see.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accord.core.permissions import Action, restrict
from accord.projects.models import Project, ProjectStage, ProjectTemplate, TemplateStage

ZERO = Decimal("0")
HUNDRED = Decimal("100")
OPEN_STATUSES = (Project.Status.PLANNED, Project.Status.ACTIVE, Project.Status.ON_HOLD)


def projects_visible_to(user: Any, action: str = Action.VIEW) -> QuerySet[Project]:
    return restrict(Project.objects.all(), user, action)


def get_project_for(user: Any, pk: Any, action: str = Action.VIEW) -> Project:
    """The same 404 for a project that does not exist and one the user may not touch."""
    try:
        return (
            projects_visible_to(user, action)
            .select_related("company", "owner", "team", "deal", "template", "contact")
            .get(pk=int(pk))
        )
    except (Project.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def stages_of(project: Project) -> QuerySet[ProjectStage]:
    """The stages of a project already fetched through a scoped selector."""
    return ProjectStage.objects.filter(project=project).select_related("responsible")


def get_stage_for(
    user: Any, project_pk: Any, stage_pk: Any, action: str = Action.VIEW
) -> ProjectStage:
    """A stage, reached through its project (404 when either is missing or hidden)."""
    project = get_project_for(user, project_pk, action)
    try:
        stage = stages_of(project).get(pk=int(stage_pk))
    except (ProjectStage.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    stage.project = project
    return stage


def stages_visible_to(user: Any) -> QuerySet[ProjectStage]:
    """Stages of the projects the user may see (for "my stages")."""
    return ProjectStage.objects.filter(project__in=projects_visible_to(user).values("pk"))


def my_stages(user: Any, *, today: datetime.date | None = None) -> list[ProjectStage]:
    """Open stages where the user is the responsible engineer: overdue first, then by deadline."""
    today = today or timezone.localdate()
    stages = list(
        stages_visible_to(user)
        .filter(responsible=user)
        .exclude(status=ProjectStage.Status.DONE)
        .select_related("project", "project__company")
        .order_by("deadline", "id")[:200]
    )
    stages.sort(
        key=lambda s: (
            not (s.deadline is not None and s.deadline < today),
            s.deadline is None,
            s.deadline or today,
            s.pk,
        )
    )
    return stages


def overdue_stages_q(today: datetime.date | None = None) -> Q:
    return Q(deadline__lt=today or timezone.localdate()) & ~Q(status=ProjectStage.Status.DONE)


def with_overdue_flag(
    queryset: QuerySet[Project], today: datetime.date | None = None
) -> QuerySet[Project]:
    """Annotate ``has_overdue`` (a stage past its deadline and not done)."""
    overdue = ProjectStage.objects.filter(overdue_stages_q(today), project=OuterRef("pk"))
    return queryset.annotate(has_overdue=Exists(overdue))


def with_stages(queryset: QuerySet[Project]) -> QuerySet[Project]:
    return queryset.prefetch_related(
        Prefetch("stages", queryset=ProjectStage.objects.order_by("position", "id"))
    )


def templates_active() -> QuerySet[ProjectTemplate]:
    """Templates offered when creating a project (configuration: every user may read)."""
    return ProjectTemplate.objects.filter(is_active=True).prefetch_related(
        Prefetch("stages", queryset=TemplateStage.objects.order_by("position", "id"))
    )


def templates_all() -> QuerySet[ProjectTemplate]:
    return ProjectTemplate.objects.all().prefetch_related(
        Prefetch("stages", queryset=TemplateStage.objects.order_by("position", "id"))
    )


def deals_visible_to(user: Any) -> QuerySet[Any]:
    """Deals the user may see, through the deals part's selector when it is there."""
    try:
        from accord.sales.selectors_deals import deals_visible_to as deals_selector
    except ImportError:
        from accord.sales.models import Deal

        return restrict(Deal.objects.all(), user, Action.VIEW)
    return deals_selector(user)


def get_deal_for(user: Any, pk: Any) -> Any:
    """The same 404 for a missing deal and one the user may not see."""
    queryset = deals_visible_to(user).select_related("company")
    try:
        return queryset.get(pk=int(pk))
    except (queryset.model.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


# --- progress ------------------------------------------------------------------------------


@dataclass
class OverdueStage:
    stage: ProjectStage
    days: int


@dataclass
class ProjectProgress:
    """What a project page, list and card panel say about how far a project is."""

    percent: int
    done_count: int
    stage_count: int
    overdue: list[OverdueStage] = field(default_factory=list)
    next_deadline: datetime.date | None = None
    paid_total: Decimal = ZERO
    milestone_total: Decimal = ZERO
    budget: Decimal = ZERO

    @property
    def overdue_count(self) -> int:
        return len(self.overdue)

    @property
    def overdue_ids(self) -> set[int]:
        return {item.stage.pk for item in self.overdue}

    def days_overdue(self, stage: ProjectStage) -> int:
        return next((item.days for item in self.overdue if item.stage.pk == stage.pk), 0)


def progress_percent_exact(stages: Sequence[ProjectStage]) -> Decimal:
    """Share of the work done: stages weighted by budget share; equal weights when no stage
    has a share (a project without a budget split still shows progress)."""
    if not stages:
        return ZERO
    total_share = sum((s.budget_share for s in stages), ZERO)
    done = [s for s in stages if s.status == ProjectStage.Status.DONE]
    if total_share > 0:
        return sum((s.budget_share for s in done), ZERO) * HUNDRED / total_share
    return Decimal(len(done)) * HUNDRED / Decimal(len(stages))


def progress_of(
    project: Project,
    stages: Sequence[ProjectStage] | None = None,
    *,
    today: datetime.date | None = None,
) -> ProjectProgress:
    """Progress, overdue stages (oldest first), next deadline and paid milestones.

    ``today`` can be passed in so a test (or a report "as of") sees a fixed date."""
    today = today or timezone.localdate()
    stages = list(project.stages.all()) if stages is None else list(stages)
    exact = progress_percent_exact(stages)
    overdue = [
        OverdueStage(stage=s, days=(today - s.deadline).days)
        for s in stages
        if s.status != ProjectStage.Status.DONE and s.deadline is not None and s.deadline < today
    ]
    overdue.sort(key=lambda item: (-item.days, item.stage.position))
    upcoming = [
        s.deadline
        for s in stages
        if s.status != ProjectStage.Status.DONE and s.deadline is not None and s.deadline >= today
    ]
    return ProjectProgress(
        percent=int(exact),  # floor: 99.9 % is not done
        done_count=sum(1 for s in stages if s.status == ProjectStage.Status.DONE),
        stage_count=len(stages),
        overdue=overdue,
        next_deadline=min(upcoming) if upcoming else None,
        paid_total=sum(
            (s.milestone_amount for s in stages if s.milestone_paid_on is not None), ZERO
        ),
        milestone_total=sum((s.milestone_amount for s in stages), ZERO),
        budget=project.budget,
    )
