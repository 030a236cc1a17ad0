"""Projects, their stages and the project templates over the REST API (P1).

Thin: parse -> selector -> one service -> schema. Stages are reached through their project.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from accord.core.api import PageParams, authed_user, paginate
from accord.core.models import Team, User
from accord.core.permissions import Action, ordered_scan
from accord.projects import selectors, services
from accord.projects.models import Project, ProjectStage, ProjectTemplate

router = Router(tags=["projects"])


# --- schemas ---------------------------------------------------------------------------------


class ProjectStageOut(Schema):
    id: int
    position: int
    name: str
    status: str
    start_date: datetime.date | None
    deadline: datetime.date | None
    completed_on: datetime.date | None
    responsible: int | None
    budget_share: Decimal
    has_payment_milestone: bool
    milestone_amount: Decimal
    milestone_paid_on: datetime.date | None
    is_overdue: bool
    notes: str
    version: int


class ProjectOut(Schema):
    id: int
    name: str
    code: str
    company: int
    contact: int | None
    deal: int | None
    template: int | None
    status: str
    contract_number: str
    contract_date: datetime.date | None
    budget: Decimal
    currency: str
    start_date: datetime.date | None
    end_date: datetime.date | None
    description: str
    owner: int
    team: int | None
    progress_percent: int
    overdue_stages: int
    next_deadline: datetime.date | None
    paid_total: Decimal
    stages: list[ProjectStageOut]
    version: int
    created_at: datetime.datetime
    updated_at: datetime.datetime


class ProjectPage(Schema):
    items: list[ProjectOut]
    next: str | None


class ProjectIn(Schema):
    """A new project. With ``deal``, name, client, budget and currency default to the deal's;
    with ``template``, the stages are generated from it (names in the caller's language)."""

    company: int | None = None
    deal: int | None = None
    template: int | None = None
    name: str = ""
    code: str = ""
    budget: Decimal | None = None
    currency: str | None = None
    start_date: datetime.date | None = None
    end_date: datetime.date | None = None
    contract_number: str = ""
    contract_date: datetime.date | None = None
    contact: int | None = None
    owner: int | None = None
    team: int | None = None
    description: str = ""


class ProjectPatch(Schema):
    version: int
    name: str | None = None
    code: str | None = None
    status: str | None = None
    budget: Decimal | None = None
    currency: str | None = None
    start_date: datetime.date | None = None
    end_date: datetime.date | None = None
    contract_number: str | None = None
    contract_date: datetime.date | None = None
    contact: int | None = None
    owner: int | None = None
    team: int | None = None
    description: str | None = None


class ProjectFilters(Schema):
    status: str | None = None
    company: int | None = None
    deal: int | None = None
    owner: int | None = None
    responsible: int | None = None


class StageIn(Schema):
    name: str
    start_date: datetime.date | None = None
    deadline: datetime.date | None = None
    responsible: int | None = None
    budget_share: Decimal = Decimal("0")
    has_payment_milestone: bool = True
    notes: str = ""


class StagePatch(Schema):
    """Facts, status (not_started / in_progress / done), paid date and position ("up"/"down")."""

    version: int
    name: str | None = None
    start_date: datetime.date | None = None
    deadline: datetime.date | None = None
    responsible: int | None = None
    budget_share: Decimal | None = None
    has_payment_milestone: bool | None = None
    notes: str | None = None
    status: str | None = None
    milestone_paid_on: datetime.date | None = None
    move: str | None = None


class TemplateStageOut(Schema):
    id: int
    position: int
    name: str
    name_ru: str
    name_fr: str
    name_de: str
    duration_days: int
    budget_share: Decimal
    has_payment_milestone: bool


class TemplateOut(Schema):
    id: int
    name: str
    name_ru: str
    name_fr: str
    name_de: str
    description: str
    is_active: bool
    stages: list[TemplateStageOut]


# --- helpers -----------------------------------------------------------------------------


def _stage_data(stage: ProjectStage) -> dict[str, Any]:
    data = {
        name: getattr(stage, name)
        for name in (
            "id",
            "position",
            "name",
            "status",
            "start_date",
            "deadline",
            "completed_on",
            "budget_share",
            "has_payment_milestone",
            "milestone_amount",
            "milestone_paid_on",
            "is_overdue",
            "notes",
            "version",
        )
    }
    data["responsible"] = stage.responsible_id
    return data


def render_project(project: Project) -> dict[str, Any]:
    stages = list(project.stages.all())
    progress = selectors.progress_of(project, stages)
    data: dict[str, Any] = {
        name: getattr(project, name)
        for name in (
            "id",
            "name",
            "code",
            "status",
            "contract_number",
            "contract_date",
            "budget",
            "currency",
            "start_date",
            "end_date",
            "description",
            "version",
            "created_at",
            "updated_at",
        )
    }
    data.update(
        company=project.company_id,
        contact=project.contact_id,
        deal=project.deal_id,
        template=project.template_id,
        owner=project.owner_id,
        team=project.team_id,
        progress_percent=progress.percent,
        overdue_stages=progress.overdue_count,
        next_deadline=progress.next_deadline,
        paid_total=progress.paid_total,
        stages=[_stage_data(s) for s in stages],
    )
    return data


def _one_project(pk: int) -> dict[str, Any]:
    return render_project(selectors.with_stages(Project.objects.filter(pk=pk)).get())


def _resolve(fields: dict[str, Any]) -> dict[str, Any]:
    """Owner, responsible and team ids -> instances (the services check they are active)."""
    errors: dict[str, list[str]] = {}
    for name in ("owner", "responsible"):
        if fields.get(name) is not None:
            user = User.objects.filter(pk=fields[name]).first()
            if user is None:
                errors[name] = [_("No user with this id.")]
            fields[name] = user
    if fields.get("team") is not None:
        team = Team.objects.filter(pk=fields["team"]).first()
        if team is None:
            errors["team"] = [_("No team with this id.")]
        fields["team"] = team
    if errors:
        raise ValidationError(errors)
    return fields


def _template(pk: int | None) -> ProjectTemplate | None:
    if pk is None:
        return None
    template = ProjectTemplate.objects.filter(pk=pk, is_active=True).first()
    if template is None:
        raise ValidationError({"template": [_("No active template with this id.")]})
    return template


# --- projects ----------------------------------------------------------------------------


@router.get("/projects", response=ProjectPage, summary="Projects the caller may see")
def project_list(
    request: HttpRequest, filters: Query[ProjectFilters], page: Query[PageParams]
) -> dict[str, Any]:
    with ordered_scan():  # see permissions.ordered_scan
        queryset: QuerySet[Project] = selectors.projects_visible_to(authed_user(request))
        if filters.status:
            queryset = queryset.filter(status=filters.status)
        if filters.company is not None:
            queryset = queryset.filter(company_id=filters.company)
        if filters.deal is not None:
            queryset = queryset.filter(deal_id=filters.deal)
        if filters.owner is not None:
            queryset = queryset.filter(owner_id=filters.owner)
        if filters.responsible is not None:
            queryset = queryset.filter(
                pk__in=ProjectStage.objects.filter(responsible_id=filters.responsible).values(
                    "project_id"
                )
            )
        return paginate(
            selectors.with_stages(queryset),
            order=("-created_at", "-id"),
            after=page.after,
            limit=page.limit,
            render=render_project,
        )


@router.post("/projects", response={201: ProjectOut}, summary="Open a project")
def project_create(request: HttpRequest, payload: ProjectIn) -> Status[dict[str, Any]]:
    user = authed_user(request)
    fields = _resolve(payload.model_dump(exclude={"template"}))
    project = services.project_create(actor=user, template=_template(payload.template), **fields)
    return Status(201, _one_project(project.pk))


@router.get("/projects/{int:project_id}", response=ProjectOut, summary="One project")
def project_detail(request: HttpRequest, project_id: int) -> dict[str, Any]:
    project = selectors.get_project_for(authed_user(request), project_id)
    return _one_project(project.pk)


@router.patch("/projects/{int:project_id}", response=ProjectOut, summary="Change a project")
def project_update(request: HttpRequest, project_id: int, payload: ProjectPatch) -> dict[str, Any]:
    user = authed_user(request)
    project = selectors.get_project_for(user, project_id)
    fields = payload.model_dump(exclude_unset=True)
    version = fields.pop("version")
    updated = services.project_update(
        actor=user, project=project, fields=_resolve(fields), expected_version=version
    )
    return _one_project(updated.pk)


@router.delete("/projects/{int:project_id}", response={204: None}, summary="Delete a project")
def project_delete(request: HttpRequest, project_id: int, version: int) -> Status[None]:
    user = authed_user(request)
    project = selectors.get_project_for(user, project_id)
    services.project_delete(actor=user, project=project, expected_version=version)
    return Status(204, None)


# --- stages ------------------------------------------------------------------------------


@router.get(
    "/projects/{int:project_id}/stages",
    response=list[ProjectStageOut],
    summary="A project's stages",
)
def stage_list(request: HttpRequest, project_id: int) -> list[dict[str, Any]]:
    project = selectors.get_project_for(authed_user(request), project_id)
    return [_stage_data(s) for s in selectors.stages_of(project).order_by("position", "id")]


@router.post(
    "/projects/{int:project_id}/stages", response={201: ProjectStageOut}, summary="Add a stage"
)
def stage_create(request: HttpRequest, project_id: int, payload: StageIn) -> Status[dict[str, Any]]:
    user = authed_user(request)
    project = selectors.get_project_for(user, project_id)
    stage = services.stage_add(actor=user, project=project, **_resolve(payload.model_dump()))
    return Status(201, _stage_data(stage))


@router.patch(
    "/projects/{int:project_id}/stages/{int:stage_id}",
    response=ProjectStageOut,
    summary="Change a stage, its status, its paid date or its position",
)
def stage_update(
    request: HttpRequest, project_id: int, stage_id: int, payload: StagePatch
) -> dict[str, Any]:
    user = authed_user(request)
    stage = selectors.get_stage_for(user, project_id, stage_id, Action.VIEW)
    fields = payload.model_dump(exclude_unset=True)
    version = fields.pop("version")
    status = fields.pop("status", None)
    move = fields.pop("move", None)
    has_paid = "milestone_paid_on" in fields
    paid_on = fields.pop("milestone_paid_on", None)
    with transaction.atomic():
        if fields:
            stage = services.stage_update(
                actor=user, stage=stage, fields=_resolve(fields), expected_version=version
            )
            version = stage.version
        if status is not None:
            stage = services.stage_set_status(
                actor=user, stage=stage, status=status, expected_version=version
            )
            version = stage.version
        if has_paid:
            stage = services.stage_set_paid(
                actor=user, stage=stage, paid_on=paid_on, expected_version=version
            )
        if move is not None:
            services.stage_move(actor=user, stage=stage, direction=move)
        if not (fields or status is not None or has_paid or move is not None):
            services.stage_update(actor=user, stage=stage, fields={}, expected_version=version)
    return _stage_data(selectors.stages_of(stage.project).get(pk=stage.pk))


# --- templates ---------------------------------------------------------------------------


@router.get(
    "/project-templates", response=list[TemplateOut], summary="Project templates and their stages"
)
def template_list(request: HttpRequest) -> list[dict[str, Any]]:
    authed_user(request)
    templates = selectors.templates_all()
    return [
        {
            "id": t.pk,
            "name": t.name,
            "name_ru": t.name_ru,
            "name_fr": t.name_fr,
            "name_de": t.name_de,
            "description": t.description,
            "is_active": t.is_active,
            "stages": [
                {
                    "id": s.pk,
                    "position": s.position,
                    "name": s.name,
                    "name_ru": s.name_ru,
                    "name_fr": s.name_fr,
                    "name_de": s.name_de,
                    "duration_days": s.duration_days,
                    "budget_share": s.budget_share,
                    "has_payment_milestone": s.has_payment_milestone,
                }
                for s in t.stages.all()
            ],
        }
        for t in templates
    ]
