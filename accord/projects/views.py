"""Pages and htmx fragments of client projects (P1): list, detail with stages, forms, the
client-card panel, the deal fragment, "my stages" and the template administration."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_http_methods, require_POST

from accord.core import lists as core_lists
from accord.core.errors import ConflictError
from accord.core.http import AuthedHttpRequest
from accord.core.permissions import Action, allows, require_administrator
from accord.parties.models import Company
from accord.parties.selectors import companies_visible_to, get_company_for
from accord.projects import selectors, services
from accord.projects.forms import (
    ProjectForm,
    StageForm,
    TemplateForm,
    TemplateStageFormSet,
    template_stage_initial,
)
from accord.projects.lists import PROJECTS
from accord.projects.models import Project, ProjectStage, ProjectTemplate, TemplateStage


def invoice_service() -> Any:
    """The invoicing service of the orders part, when it exists (so the button can show)."""
    try:
        from accord.commerce import services_invoices
    except ImportError:
        return None
    return getattr(services_invoices, "invoice_create", None)


# --- list ----------------------------------------------------------------------------------


@login_required
def project_list(request: AuthedHttpRequest) -> HttpResponse:
    """The list framework's page, with a link to "My stages" next to "New project"."""
    if request.GET.get("part") == "filters":
        return core_lists.render_list(request, PROJECTS)
    context = core_lists.list_context(PROJECTS, request.user, request.GET)
    return render(request, "projects/project_list.html", context)


@login_required
def project_export(request: AuthedHttpRequest) -> HttpResponseBase:
    return core_lists.export_list(request, PROJECTS, "projects")


# --- create / edit -------------------------------------------------------------------------


def _pick_company(request: AuthedHttpRequest) -> HttpResponse:
    """Step one of "New project" without a client: find the client among those I may see."""
    from accord.core.permissions import ordered_scan
    from accord.parties.search import text_match

    query = request.GET.get("company_q", "").strip()
    found: list[Company] = []
    if query:
        with ordered_scan():
            found = list(
                text_match(companies_visible_to(request.user), query).order_by("name", "id")[:30]
            )
    return render(request, "projects/project_pick_company.html", {"query": query, "found": found})


@login_required
@require_http_methods(["GET", "POST"])
def project_create(request: AuthedHttpRequest) -> HttpResponse:
    if not allows(request.user, Action.ADD, Project):
        raise PermissionDenied
    params = request.POST if request.method == "POST" else request.GET
    deal = selectors.get_deal_for(request.user, params["deal"]) if params.get("deal") else None
    if deal is not None:
        company = deal.company
    elif params.get("company"):
        company = get_company_for(request.user, params["company"])
    else:
        return _pick_company(request)
    templates = selectors.templates_active()
    initial: dict[str, Any] = {
        "currency": services.default_currency(),
        "template": templates.first(),
        "start_date": timezone.localdate(),
    }
    if deal is not None:
        initial.update(name=deal.name, budget=deal.amount, currency=deal.currency)
    form = ProjectForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            project = services.project_create(
                actor=request.user,
                company=company,
                deal=deal,
                template=form.cleaned_data.get("template"),
                **form.service_fields(),
            )
        except ValidationError as exc:
            form.apply_errors(exc.message_dict)
        else:
            messages.success(request, _("Project created: %(name)s") % {"name": project.name})
            return redirect(project.get_absolute_url())
    return render(
        request,
        "projects/project_form.html",
        {"form": form, "company": company, "deal": deal, "templates": templates},
    )


@login_required
@require_http_methods(["GET", "POST"])
def project_edit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    project = selectors.get_project_for(request.user, pk, Action.CHANGE)
    form = ProjectForm(request.POST or None, is_edit=True, initial=ProjectForm.initial_for(project))
    if request.method == "POST" and form.is_valid():
        try:
            services.project_update(
                actor=request.user,
                project=project,
                fields=form.service_fields(),
                expected_version=form.cleaned_data.get("version"),
            )
        except ValidationError as exc:
            form.apply_errors(exc.message_dict)
        except ConflictError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Changes saved."))
            return redirect(project.get_absolute_url())
    return render(
        request,
        "projects/project_form.html",
        {"form": form, "project": project, "company": project.company},
    )


# --- detail --------------------------------------------------------------------------------


def _stage_actions(stage: ProjectStage) -> list[tuple[str, str]]:
    """The status buttons a stage offers: next step forward, and the way back."""
    status = ProjectStage.Status
    if stage.status == status.NOT_STARTED:
        return [
            (status.IN_PROGRESS, pgettext("stage action", "Start")),
            (status.DONE, _("Mark as done")),
        ]
    if stage.status == status.IN_PROGRESS:
        return [(status.DONE, _("Mark as done")), (status.NOT_STARTED, _("Not started"))]
    return [(status.IN_PROGRESS, _("Reopen"))]


def _status_actions(project: Project) -> list[tuple[str, str]]:
    labels: dict[str, str] = {
        Project.Status.PLANNED: _("Back to planned"),
        Project.Status.ACTIVE: pgettext("project action", "Start")
        if project.status == Project.Status.PLANNED
        else _("Resume"),
        Project.Status.ON_HOLD: _("Put on hold"),
        Project.Status.COMPLETED: _("Complete"),
        Project.Status.CANCELLED: _("Cancel the project"),
    }
    allowed = services.PROJECT_TRANSITIONS.get(project.status, set())
    return [(value, labels[value]) for value in Project.Status.values if value in allowed]


@login_required
def project_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    project = selectors.get_project_for(request.user, pk)
    stages = list(selectors.stages_of(project).order_by("position", "id"))
    progress = selectors.progress_of(project, stages)
    can_change = allows(request.user, Action.CHANGE, project)
    is_open = project.status not in (Project.Status.COMPLETED, Project.Status.CANCELLED)
    can_invoice = invoice_service() is not None and allows(
        request.user, Action.ADD, _invoice_model()
    )
    invoices = _stage_invoices(request, stages)
    rows = [
        {
            "stage": stage,
            "days_overdue": progress.days_overdue(stage),
            "actions": _stage_actions(stage) if can_change and is_open else [],
            "invoices": invoices.get(stage.pk, []),
            "can_invoice": can_invoice
            and stage.pk not in invoices
            and stage.has_payment_milestone
            and stage.milestone_amount > 0
            and stage.milestone_paid_on is None,
        }
        for stage in stages
    ]
    company_is_visible = allows(request.user, Action.VIEW, project.company)
    deal_is_visible = (
        project.deal_id is not None
        and selectors.deals_visible_to(request.user).filter(pk=project.deal_id).exists()
    )
    return render(
        request,
        "projects/project_detail.html",
        {
            "project": project,
            "rows": rows,
            "progress": progress,
            "can_change": can_change,
            "can_delete": allows(request.user, Action.DELETE, project),
            "is_open": is_open,
            "status_actions": _status_actions(project) if can_change else [],
            "company_is_visible": company_is_visible,
            "deal_is_visible": deal_is_visible,
            "share_total": sum((s.budget_share for s in stages), services.ZERO),
        },
    )


def _stage_invoices(request: AuthedHttpRequest, stages: list[ProjectStage]) -> dict[int, list[Any]]:
    """Invoices (not cancelled) the user may see for these stages, by stage: one query, and
    none at all when the invoicing part is not there."""
    if invoice_service() is None or not stages:
        return {}
    from accord.commerce.selectors_orders import invoices_visible_to

    result: dict[int, list[Any]] = {}
    queryset = (
        invoices_visible_to(request.user)
        .filter(project_stage__in=[s.pk for s in stages])
        .exclude(status=_invoice_model().Status.CANCELLED)
        .only("pk", "number", "project_stage_id")
    )
    for invoice in queryset:
        if invoice.project_stage_id is not None:
            result.setdefault(invoice.project_stage_id, []).append(invoice)
    return result


def _invoice_model() -> Any:
    from accord.commerce.models import Invoice

    return Invoice


@login_required
@require_POST
def project_status(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    project = selectors.get_project_for(request.user, pk, Action.CHANGE)
    try:
        services.project_set_status(
            actor=request.user, project=project, status=request.POST.get("status", "")
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    return redirect(project.get_absolute_url())


@login_required
@require_http_methods(["GET", "POST"])
def project_delete(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    project = selectors.get_project_for(request.user, pk, Action.DELETE)
    if request.method == "POST":
        try:
            services.project_delete(actor=request.user, project=project)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return redirect(project.get_absolute_url())
        messages.success(request, _("Project deleted."))
        return redirect("projects:project_list")
    return render(request, "projects/project_confirm_delete.html", {"project": project})


# --- stages --------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def stage_create(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    project = selectors.get_project_for(request.user, pk, Action.CHANGE)
    form = StageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.stage_add(actor=request.user, project=project, **form.service_fields())
        except ValidationError as exc:
            form.apply_errors(exc.message_dict)
        else:
            messages.success(request, _("Stage added."))
            return redirect(project.get_absolute_url())
    return render(request, "projects/stage_form.html", {"form": form, "project": project})


@login_required
@require_http_methods(["GET", "POST"])
def stage_edit(request: AuthedHttpRequest, pk: int, stage_pk: int) -> HttpResponse:
    stage = selectors.get_stage_for(request.user, pk, stage_pk, Action.CHANGE)
    project = stage.project
    form = StageForm(request.POST or None, is_edit=True, initial=StageForm.initial_for(stage))
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                saved = services.stage_update(
                    actor=request.user,
                    stage=stage,
                    fields=form.service_fields(),
                    expected_version=form.cleaned_data.get("version"),
                )
                paid_on = form.cleaned_data.get("milestone_paid_on")
                if paid_on != saved.milestone_paid_on:
                    services.stage_set_paid(actor=request.user, stage=saved, paid_on=paid_on)
        except ValidationError as exc:
            form.apply_errors(exc.message_dict)
        except ConflictError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Changes saved."))
            return redirect(project.get_absolute_url())
    return render(
        request,
        "projects/stage_form.html",
        {"form": form, "project": project, "stage": stage},
    )


@login_required
@require_POST
def stage_status(request: AuthedHttpRequest, pk: int, stage_pk: int) -> HttpResponse:
    stage = selectors.get_stage_for(request.user, pk, stage_pk, Action.CHANGE)
    try:
        services.stage_set_status(
            actor=request.user, stage=stage, status=request.POST.get("status", "")
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    return redirect(stage.project.get_absolute_url() + "#stages")


@login_required
@require_POST
def stage_move(request: AuthedHttpRequest, pk: int, stage_pk: int, direction: str) -> HttpResponse:
    stage = selectors.get_stage_for(request.user, pk, stage_pk, Action.CHANGE)
    services.stage_move(actor=request.user, stage=stage, direction=direction)
    return redirect(stage.project.get_absolute_url() + "#stages")


@login_required
@require_POST
def stage_remove(request: AuthedHttpRequest, pk: int, stage_pk: int) -> HttpResponse:
    stage = selectors.get_stage_for(request.user, pk, stage_pk, Action.CHANGE)
    try:
        services.stage_remove(actor=request.user, stage=stage)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Stage removed."))
    return redirect(stage.project.get_absolute_url() + "#stages")


@login_required
@require_POST
def stage_invoice(request: AuthedHttpRequest, pk: int, stage_pk: int) -> HttpResponse:
    """Bill a stage's milestone through the invoicing service (when the orders part has one)."""
    create = invoice_service()
    if create is None:
        raise Http404
    stage = selectors.get_stage_for(request.user, pk, stage_pk, Action.VIEW)
    try:
        invoice = services.stage_invoice(actor=request.user, stage=stage, invoice_create=create)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(stage.project.get_absolute_url() + "#stages")
    messages.success(request, _("Invoice created for the milestone."))
    return redirect(invoice.get_absolute_url())


@login_required
def my_stages(request: AuthedHttpRequest) -> HttpResponse:
    today = timezone.localdate()
    stages = selectors.my_stages(request.user, today=today)
    rows = [
        {
            "stage": stage,
            "days_overdue": (today - stage.deadline).days
            if stage.deadline and stage.deadline < today
            else 0,
        }
        for stage in stages
    ]
    return render(request, "projects/my_stages.html", {"rows": rows})


# --- fragments for the client card and the deal page ---------------------------------------


@login_required
def company_projects(request: AuthedHttpRequest, company_pk: int) -> HttpResponse:
    """Card panel: the client's active projects with progress and overdue stages."""
    company = get_company_for(request.user, company_pk)
    projects = list(
        selectors.with_stages(
            selectors.projects_visible_to(request.user).filter(
                company=company, status__in=selectors.OPEN_STATUSES
            )
        ).order_by("-created_at", "-id")[:20]
    )
    items = [{"project": p, "progress": selectors.progress_of(p)} for p in projects]
    return render(
        request,
        "projects/_company_projects.html",
        {
            "company": company,
            "items": items,
            "can_add": allows(request.user, Action.ADD, Project),
            "all_url": reverse("projects:project_list") + f"?company={company.pk}",
        },
    )


@login_required
def deal_projects(request: AuthedHttpRequest, deal_pk: int) -> HttpResponse:
    """Deal-page fragment: the projects opened from this deal."""
    deal = selectors.get_deal_for(request.user, deal_pk)
    projects = list(
        selectors.with_stages(
            selectors.projects_visible_to(request.user).filter(deal=deal)
        ).order_by("-created_at", "-id")[:20]
    )
    items = [{"project": p, "progress": selectors.progress_of(p)} for p in projects]
    return render(
        request,
        "projects/_deal_projects.html",
        {"deal": deal, "items": items, "can_add": allows(request.user, Action.ADD, Project)},
    )


# --- templates (administrators) ------------------------------------------------------------


@login_required
def template_admin(request: AuthedHttpRequest) -> HttpResponse:
    require_administrator(request.user)
    templates = [
        {
            "template": template,
            "stages": list(template.stages.all()),
            "share_total": sum((s.budget_share for s in template.stages.all()), services.ZERO),
            "days_total": sum(s.duration_days for s in template.stages.all()),
        }
        for template in selectors.templates_all()
    ]
    return render(request, "projects/template_admin.html", {"templates": templates})


@login_required
@require_http_methods(["GET", "POST"])
def template_edit(request: AuthedHttpRequest, pk: int | None = None) -> HttpResponse:
    require_administrator(request.user)
    template = None
    if pk is not None:
        template = ProjectTemplate.objects.filter(pk=pk).first()
        if template is None:
            raise Http404
    initial = (
        {
            "name": template.name,
            "name_ru": template.name_ru,
            "name_fr": template.name_fr,
            "name_de": template.name_de,
            "description": template.description,
            "is_active": template.is_active,
        }
        if template
        else None
    )
    form = TemplateForm(request.POST or None, initial=initial)
    formset = TemplateStageFormSet(
        request.POST or None, initial=template_stage_initial(template), prefix="stages"
    )
    stage_errors: list[str] = []
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            saved = services.template_save(
                actor=request.user,
                template=template,
                fields=form.cleaned_data,
                stages=formset.rows(),  # type: ignore[attr-defined]
            )
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                if name in form.fields:
                    form.add_error(name, errors)
                else:
                    stage_errors.extend(errors)
        else:
            messages.success(request, _("Template saved: %(name)s") % {"name": saved.name})
            return redirect("projects:template_admin")
    return render(
        request,
        "projects/template_form.html",
        {"form": form, "formset": formset, "template": template, "stage_errors": stage_errors},
    )


@login_required
@require_POST
def template_stage_move(request: AuthedHttpRequest, pk: int, direction: str) -> HttpResponse:
    require_administrator(request.user)
    stage = TemplateStage.objects.filter(pk=pk).first()
    if stage is None:
        raise Http404
    services.template_stage_move(actor=request.user, stage=stage, direction=direction)
    return redirect(reverse("projects:template_admin") + f"#template-{stage.template_id}")
