"""Writes of projects, their stages and the project templates (P1): one write path (rule 1).

Money rule: a stage's payment milestone is budget × share, rounded half-up to kopecks; when
the shares add up to 100 %, the rounding remainder goes on the last stage so the milestones
add up to the budget exactly. Milestones already paid never change; a budget change spreads
what is left over the unpaid stages in proportion to their shares.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accord.core import audit
from accord.core.errors import ConflictError
from accord.core.models import AuditEntry, Team, User
from accord.core.permissions import Action, require, require_administrator
from accord.core.records import record_create, record_delete, record_update
from accord.parties.models import Company, Contact
from accord.parties.selectors import companies_visible_to
from accord.projects.models import Project, ProjectStage, ProjectTemplate, TemplateStage
from accord.projects.selectors import deals_visible_to

ZERO = Decimal("0")
CENT = Decimal("0.01")
HUNDRED = Decimal("100")

# Project status machine: which statuses a project may move to from each status.
PROJECT_TRANSITIONS: dict[str, set[str]] = {
    Project.Status.PLANNED: {
        Project.Status.ACTIVE,
        Project.Status.ON_HOLD,
        Project.Status.CANCELLED,
    },
    Project.Status.ACTIVE: {
        Project.Status.ON_HOLD,
        Project.Status.COMPLETED,
        Project.Status.CANCELLED,
    },
    Project.Status.ON_HOLD: {Project.Status.ACTIVE, Project.Status.CANCELLED},
    Project.Status.COMPLETED: {Project.Status.ACTIVE},
    Project.Status.CANCELLED: {Project.Status.PLANNED, Project.Status.ACTIVE},
}

STAGE_ORDER: dict[str, int] = {
    ProjectStage.Status.NOT_STARTED: 0,
    ProjectStage.Status.IN_PROGRESS: 1,
    ProjectStage.Status.DONE: 2,
}

PROJECT_FIELDS = (
    "name",
    "code",
    "contact",
    "status",
    "contract_number",
    "contract_date",
    "budget",
    "currency",
    "start_date",
    "end_date",
    "description",
    "owner",
    "team",
)
STAGE_FIELDS = (
    "name",
    "start_date",
    "deadline",
    "responsible",
    "budget_share",
    "has_payment_milestone",
    "notes",
)
TEMPLATE_FIELDS = ("name", "name_ru", "name_fr", "name_de", "description", "is_active")
TEMPLATE_STAGE_FIELDS = (
    "name",
    "name_ru",
    "name_fr",
    "name_de",
    "duration_days",
    "budget_share",
    "has_payment_milestone",
)


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def allocate(total: Decimal, shares: Sequence[Decimal], share_total: Decimal) -> list[Decimal]:
    """Split ``total`` in proportion to ``shares`` (out of ``share_total``), in kopecks.

    When the shares cover ``share_total`` entirely, the rounding remainder goes on the last
    stage with a share, so the parts add up to ``total`` exactly."""
    if share_total <= 0:
        return [ZERO for _share in shares]
    parts = [money(total * share / share_total) for share in shares]
    if sum(shares, ZERO) == share_total:
        last = max((i for i, share in enumerate(shares) if share > 0), default=None)
        if last is not None:
            parts[last] += total - sum(parts, ZERO)
    return parts


def percent_text(value: Decimal) -> str:
    """90.00 -> "90", 12.50 -> "12.5" (no exponent notation)."""
    return format(value.normalize(), "f") if value else "0"


def _decimal(value: Any, field_name: str) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise ValidationError({field_name: [_("Enter a number.")]}) from exc


def _check_user(value: Any, field_name: str) -> User | None:
    """A responsible engineer or owner must be an active user."""
    if value in (None, ""):
        return None
    user = value if isinstance(value, User) else User.objects.filter(pk=value).first()
    if user is None or not user.is_active:
        raise ValidationError({field_name: [_("Choose an active user.")]})
    return user


def _reject_unknown(fields: dict[str, Any], allowed: Sequence[str]) -> None:
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed here.")] for name in unknown})


# --- templates (administrators) ----------------------------------------------------------


def _check_template_stages(stages: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validate the stage rows of a template; their shares must add up to exactly 100 %."""
    errors: dict[str, list[str]] = {}
    cleaned: list[dict[str, Any]] = []
    for index, row in enumerate(stages):
        _reject_unknown(row, (*TEMPLATE_STAGE_FIELDS, "id"))
        name = str(row.get("name") or "").strip()
        if not name:
            errors.setdefault("name", []).append(
                _("Stage %(number)s needs a name.") % {"number": index + 1}
            )
        share = _decimal(row.get("budget_share", ZERO), "budget_share")
        if share < 0 or share > HUNDRED:
            errors.setdefault("budget_share", []).append(_("A share is between 0 and 100 %."))
        try:
            days = int(row.get("duration_days", 30))
        except (TypeError, ValueError):
            days = -1
        if days < 0 or days > 3650:
            errors.setdefault("duration_days", []).append(
                _("The usual length is between 0 and 3650 days.")
            )
        cleaned.append({**row, "name": name, "budget_share": share, "duration_days": days})
    total = sum((row["budget_share"] for row in cleaned), ZERO)
    if not errors and total != HUNDRED:
        errors["budget_share"] = [
            _("The shares of the stages must add up to 100 %% (now %(total)s %%).")
            % {"total": percent_text(total)}
        ]
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def template_save(
    *,
    actor: User,
    fields: dict[str, Any],
    stages: Sequence[dict[str, Any]],
    template: ProjectTemplate | None = None,
) -> ProjectTemplate:
    """Create or edit a template and replace its stages as one change, so a template is never
    seen with shares that do not add up to 100 %. Stage rows keep their ``id`` when edited;
    rows left out are removed; the order of the rows is the order of the stages."""
    require_administrator(actor)
    _reject_unknown(fields, TEMPLATE_FIELDS)
    cleaned = _check_template_stages(stages)
    if template is None:
        template = ProjectTemplate(**fields)
        template.full_clean()
        template.save()
        before: dict[str, Any] = {}
        kind = AuditEntry.Kind.CREATE
    else:
        template = ProjectTemplate.objects.select_for_update().get(pk=template.pk)
        before = {**audit.snapshot(template), "stages": _template_stage_lines(template)}
        for name, value in fields.items():
            setattr(template, name, value)
        template.full_clean()
        template.save()
        kind = AuditEntry.Kind.CHANGE
    existing = {stage.pk: stage for stage in template.stages.all()}
    kept: set[int] = set()
    for position, row in enumerate(cleaned):
        stage_id = row.get("id")
        stage = existing.get(int(stage_id)) if stage_id else None
        if stage_id and stage is None:
            raise ValidationError({"name": [_("This stage belongs to another template.")]})
        stage = stage or TemplateStage(template=template)
        for name in TEMPLATE_STAGE_FIELDS:
            if name in row:
                setattr(stage, name, row[name])
        stage.position = position
        stage.full_clean(exclude=["template"])
        stage.save()
        kept.add(stage.pk)
    TemplateStage.objects.filter(template=template).exclude(pk__in=kept).delete()
    after = {**audit.snapshot(template), "stages": _template_stage_lines(template)}
    changes = audit.diff(before, after)
    if changes:
        audit.record(actor=actor, action=kind, obj=template, changes=changes)
    return template


def _template_stage_lines(template: ProjectTemplate) -> list[str]:
    return [
        f"{s.name} · {s.duration_days} · {s.budget_share}% · {int(s.has_payment_milestone)}"
        for s in TemplateStage.objects.filter(template=template).order_by("position", "id")
    ]


@transaction.atomic
def template_stage_move(*, actor: User, stage: TemplateStage, direction: str) -> None:
    """Swap a template stage with its neighbour ("up" or "down")."""
    require_administrator(actor)
    stages = list(
        TemplateStage.objects.filter(template_id=stage.template_id).order_by("position", "id")
    )
    _move_in(stages, stage.pk, direction)
    for position, item in enumerate(stages):
        if item.position != position:
            TemplateStage.objects.filter(pk=item.pk).update(position=position)
    template = ProjectTemplate.objects.get(pk=stage.template_id)
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.CHANGE,
        obj=template,
        changes={"stages": [None, _template_stage_lines(template)]},
        message=_("Stages reordered"),
    )


def _move_in(items: list[Any], pk: int, direction: str) -> None:
    index = next((i for i, item in enumerate(items) if item.pk == pk), None)
    if index is None or direction not in ("up", "down"):
        raise ValidationError({"position": [_("Unknown stage or direction.")]})
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(items):
        items[index], items[other] = items[other], items[index]


# --- projects ------------------------------------------------------------------------------


def _visible_company(actor: User, company: Any) -> Company:
    pk = company.pk if isinstance(company, Company) else company
    found = companies_visible_to(actor).filter(pk=pk).first() if pk else None
    if found is None:
        raise ValidationError({"company": [_("Choose a client you may see.")]})
    return found


def _visible_deal(actor: User, deal: Any) -> Any:
    pk = getattr(deal, "pk", deal)
    found = deals_visible_to(actor).select_related("company").filter(pk=pk).first()
    if found is None:
        raise ValidationError({"deal": [_("Choose a deal you may see.")]})
    return found


def _check_contact(contact: Any, company: Company) -> Contact | None:
    if contact in (None, ""):
        return None
    found = contact if isinstance(contact, Contact) else Contact.objects.filter(pk=contact).first()
    if found is None or not found.companies.filter(pk=company.pk).exists():  # type: ignore[attr-defined]
        raise ValidationError({"contact": [_("Choose a contact of this client.")]})
    return found


def _template_stages_for(template: ProjectTemplate) -> list[TemplateStage]:
    stages = list(template.stages.order_by("position", "id"))
    total = sum((s.budget_share for s in stages), ZERO)
    if stages and total != HUNDRED:
        raise ValidationError(
            {"template": [_("This template's shares do not add up to 100 %; fix it first.")]}
        )
    return stages


@transaction.atomic
def project_create(
    *,
    actor: User,
    company: Company | int | None = None,
    deal: Any = None,
    template: ProjectTemplate | None = None,
    name: str = "",
    budget: Decimal | None = None,
    currency: str | None = None,
    start_date: datetime.date | None = None,
    end_date: datetime.date | None = None,
    code: str = "",
    contract_number: str = "",
    contract_date: datetime.date | None = None,
    contact: Contact | int | None = None,
    owner: User | None = None,
    team: Team | None = None,
    description: str = "",
    language: str | None = None,
) -> Project:
    """Open a project for a client, optionally from the deal it came from (name, client,
    budget and currency are taken from the deal when not given) and from a template (its
    stages, with deadlines chained from the start date and milestones from the budget)."""
    from django.conf import settings

    deal_obj = _visible_deal(actor, deal) if deal not in (None, "") else None
    if company in (None, "") and deal_obj is not None:
        company = deal_obj.company
    if company in (None, ""):
        raise ValidationError({"company": [_("Choose a client.")]})
    company_obj = _visible_company(actor, company)
    if deal_obj is not None and deal_obj.company_id != company_obj.pk:
        raise ValidationError({"deal": [_("This deal belongs to another client.")]})
    if deal_obj is not None:
        name = name or deal_obj.name
        budget = deal_obj.amount if budget is None else budget
        currency = currency or deal_obj.currency
    template_stages = _template_stages_for(template) if template is not None else []
    if template_stages and start_date is None:
        start_date = timezone.localdate()
    project = Project(
        name=(name or "").strip(),
        code=code,
        company=company_obj,
        contact=_check_contact(contact, company_obj),
        deal=deal_obj,
        template=template,
        budget=_decimal(budget if budget is not None else ZERO, "budget"),
        currency=currency or settings.ACCORD_CURRENCIES[0],
        start_date=start_date,
        end_date=end_date,
        contract_number=contract_number,
        contract_date=contract_date,
        description=description,
        owner=_check_user(owner, "owner") or actor,
        team=team,
    )
    if project.budget < 0:
        raise ValidationError({"budget": [_("The budget cannot be negative.")]})
    if template_stages and end_date is None and start_date is not None:
        project.end_date = start_date + datetime.timedelta(
            days=sum(s.duration_days for s in template_stages)
        )
    record_create(obj=project, actor=actor)
    if template_stages:
        _stages_from_template(project, template_stages, language or actor.language)
        audit.record(
            actor=actor,
            action=AuditEntry.Kind.CHANGE,
            obj=project,
            changes={"stages": [None, _stage_lines(project)]},
            related=company_obj,
            message=_("Stages from the template"),
        )
    return project


def _stages_from_template(
    project: Project, template_stages: Sequence[TemplateStage], language: str
) -> None:
    """Stages named in the user's language, deadlines chained from the project's start."""
    amounts = allocate(project.budget, [s.budget_share for s in template_stages], HUNDRED)
    start = project.start_date
    rows = []
    for position, (template_stage, amount) in enumerate(zip(template_stages, amounts, strict=True)):
        deadline = start + datetime.timedelta(days=template_stage.duration_days) if start else None
        rows.append(
            ProjectStage(
                project=project,
                position=position,
                name=template_stage.localized_name(language),
                start_date=start,
                deadline=deadline,
                budget_share=template_stage.budget_share,
                has_payment_milestone=template_stage.has_payment_milestone,
                milestone_amount=amount,
            )
        )
        start = deadline
    ProjectStage.objects.bulk_create(rows)


def _stage_lines(project: Project) -> list[str]:
    return [
        f"{s.name} · {s.deadline or '—'} · {s.budget_share}% · {s.milestone_amount}"
        for s in ProjectStage.objects.filter(project=project).order_by("position", "id")
    ]


def recompute_milestones(project: Project) -> dict[str, list[Any]]:
    """Recompute the milestones of unpaid stages from the budget and shares.

    Paid milestones stay as they were; what is left of the budget is spread over the unpaid
    stages by their shares. When the shares add up to 100 %, the milestones add up to the
    budget exactly. Returns the change for the audit entry ({} when nothing moved)."""
    stages = list(
        ProjectStage.objects.select_for_update().filter(project=project).order_by("position", "id")
    )
    share_total = sum((s.budget_share for s in stages), ZERO)
    unpaid = [s for s in stages if s.milestone_paid_on is None]
    paid_sum = sum((s.milestone_amount for s in stages if s.milestone_paid_on is not None), ZERO)
    if share_total == HUNDRED:
        rest = project.budget - paid_sum
        if rest < 0:
            raise ValidationError(
                {
                    "budget": [
                        _("The budget cannot be less than the milestones already paid (%(paid)s).")
                        % {"paid": paid_sum}
                    ]
                }
            )
        unpaid_total = sum((s.budget_share for s in unpaid), ZERO)
        amounts = allocate(rest, [s.budget_share for s in unpaid], unpaid_total)
    else:
        amounts = [money(project.budget * s.budget_share / HUNDRED) for s in unpaid]
    before = [str(s.milestone_amount) for s in stages]
    changed = []
    for stage, amount in zip(unpaid, amounts, strict=True):
        if stage.milestone_amount != amount:
            stage.milestone_amount = amount
            changed.append(stage)
    if changed:
        ProjectStage.objects.bulk_update(changed, ["milestone_amount"])
        ProjectStage.objects.filter(pk__in=[s.pk for s in changed]).update(
            version=F("version") + 1, updated_at=timezone.now()
        )
    after = [str(s.milestone_amount) for s in stages]
    return {"milestones": [before, after]} if before != after else {}


def _check_status_move(project: Project, new_status: str) -> None:
    if new_status == project.status:
        return
    if new_status not in Project.Status.values:
        raise ValidationError({"status": [_("Unknown status.")]})
    if new_status not in PROJECT_TRANSITIONS.get(project.status, set()):
        raise ValidationError(
            {
                "status": [
                    _("A project cannot go from “%(old)s” to “%(new)s”.")
                    % {
                        "old": Project.Status(project.status).label,
                        "new": Project.Status(new_status).label,
                    }
                ]
            }
        )
    if new_status == Project.Status.COMPLETED:
        open_count = (
            ProjectStage.objects.filter(project=project)
            .exclude(status=ProjectStage.Status.DONE)
            .count()
        )
        if open_count:
            raise ValidationError(
                {
                    "status": [
                        _(
                            "A project is completed only when every stage is done "
                            "(%(count)s still open)."
                        )
                        % {"count": open_count}
                    ]
                }
            )


@transaction.atomic
def project_update(
    *,
    actor: User,
    project: Project,
    fields: dict[str, Any],
    expected_version: int | None = None,
) -> Project:
    """Change a project's facts; a budget change recomputes the unpaid milestones in the
    same transaction, and a status change follows the status rules."""
    _reject_unknown(fields, PROJECT_FIELDS)
    fields = dict(fields)
    if "owner" in fields:
        fields["owner"] = _check_user(fields["owner"], "owner") or project.owner
    if "contact" in fields:
        fields["contact"] = _check_contact(fields["contact"], project.company)
    if "budget" in fields:
        fields["budget"] = _decimal(fields["budget"], "budget")
        if fields["budget"] < 0:
            raise ValidationError({"budget": [_("The budget cannot be negative.")]})
    if "status" in fields:
        require(actor, Action.CHANGE, project)
        current = Project.objects.get(pk=project.pk)
        _check_status_move(current, fields["status"])
    updated, changes = record_update(
        obj=project, data=fields, actor=actor, expected_version=expected_version
    )
    if "budget" in changes:
        milestone_change = recompute_milestones(updated)
        if milestone_change:
            audit.record(
                actor=actor,
                action=AuditEntry.Kind.CHANGE,
                obj=updated,
                changes=milestone_change,
                related=updated.company,
                message=_("Milestones recomputed from the budget"),
            )
    return updated


def project_set_status(
    *, actor: User, project: Project, status: str, expected_version: int | None = None
) -> Project:
    """Move a project to another status (completed only when every stage is done)."""
    return project_update(
        actor=actor, project=project, fields={"status": status}, expected_version=expected_version
    )


@transaction.atomic
def project_delete(*, actor: User, project: Project, expected_version: int | None = None) -> None:
    """Delete a project and its stages; refused when a milestone was already paid."""
    require(actor, Action.DELETE, project)
    if ProjectStage.objects.filter(project=project, milestone_paid_on__isnull=False).exists():
        raise ValidationError(
            {"status": [_("A project with paid milestones cannot be deleted; cancel it instead.")]}
        )
    record_delete(obj=project, actor=actor, expected_version=expected_version)


# --- stages --------------------------------------------------------------------------------


def _lock_project(actor: User, project: Project) -> Project:
    require(actor, Action.CHANGE, project)
    return Project.objects.select_related("company").select_for_update().get(pk=project.pk)


def _check_share_total(project: Project, *, exclude_pk: int | None, new_share: Decimal) -> None:
    others = ProjectStage.objects.filter(project=project)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    total = sum(others.values_list("budget_share", flat=True), ZERO) + new_share
    if total > HUNDRED:
        raise ValidationError(
            {
                "budget_share": [
                    _("The shares of the stages cannot exceed 100 %% (would be %(total)s %%).")
                    % {"total": percent_text(total)}
                ]
            }
        )


def _stage_audit(
    *,
    actor: User,
    stage: ProjectStage,
    project: Project,
    action: str,
    changes: dict[str, Any],
    message: str = "",
) -> None:
    audit.record(
        actor=actor,
        action=action,
        obj=stage,
        changes=changes,
        related=project.company,
        message=message or str(project)[:300],
    )


@transaction.atomic
def stage_add(
    *,
    actor: User,
    project: Project,
    name: str,
    deadline: datetime.date | None = None,
    start_date: datetime.date | None = None,
    responsible: User | int | None = None,
    budget_share: Decimal = ZERO,
    has_payment_milestone: bool = True,
    notes: str = "",
) -> ProjectStage:
    """Add a stage at the end of a project; the shares of all stages stay within 100 %."""
    project = _lock_project(actor, project)
    _require_open(project)
    share = _decimal(budget_share, "budget_share")
    _check_share_total(project, exclude_pk=None, new_share=share)
    last = ProjectStage.objects.filter(project=project).aggregate(m=Max("position"))["m"]
    stage = ProjectStage(
        project=project,
        position=0 if last is None else last + 1,
        name=(name or "").strip(),
        deadline=deadline,
        start_date=start_date,
        responsible=_check_user(responsible, "responsible"),
        budget_share=share,
        has_payment_milestone=has_payment_milestone,
        notes=notes,
    )
    _check_dates(stage)
    stage.full_clean()
    stage.save()
    _stage_audit(
        actor=actor,
        stage=stage,
        project=project,
        action=AuditEntry.Kind.CREATE,
        changes={
            k: [None, v] for k, v in audit.snapshot(stage).items() if v not in (None, "", False)
        },
    )
    recompute_milestones(project)
    stage.refresh_from_db()
    return stage


def _require_open(project: Project) -> None:
    """Stages of a completed or cancelled project stay as they were (payments excepted)."""
    if project.status in (Project.Status.COMPLETED, Project.Status.CANCELLED):
        raise ValidationError(
            {"status": [_("The project is closed; reopen it before changing its stages.")]}
        )


def _check_dates(stage: ProjectStage) -> None:
    if stage.start_date and stage.deadline and stage.deadline < stage.start_date:
        raise ValidationError({"deadline": [_("The deadline cannot be before the start.")]})


def _locked_stage(
    actor: User, stage: ProjectStage, expected_version: int | None
) -> tuple[Project, ProjectStage]:
    project = _lock_project(actor, stage.project)
    locked = ProjectStage.objects.select_for_update().get(pk=stage.pk, project=project)
    if expected_version is not None and expected_version != locked.version:
        raise ConflictError(locked.version)
    return project, locked


def _save_stage(
    *, actor: User, project: Project, stage: ProjectStage, before: dict[str, Any], message: str = ""
) -> ProjectStage:
    after = audit.snapshot(stage)
    changes = audit.diff(before, after)
    if not changes:
        return stage
    stage.version = F("version") + 1  # type: ignore[assignment]
    stage.updated_at = timezone.now()
    stage.save()
    stage.refresh_from_db()
    _stage_audit(
        actor=actor,
        stage=stage,
        project=project,
        action=AuditEntry.Kind.CHANGE,
        changes=changes,
        message=message,
    )
    return stage


@transaction.atomic
def stage_update(
    *,
    actor: User,
    stage: ProjectStage,
    fields: dict[str, Any],
    expected_version: int | None = None,
) -> ProjectStage:
    """Change a stage's name, dates, responsible engineer, share or milestone flag."""
    _reject_unknown(fields, STAGE_FIELDS)
    project, locked = _locked_stage(actor, stage, expected_version)
    before = audit.snapshot(locked)
    for name, value in fields.items():
        if name == "responsible":
            value = _check_user(value, "responsible")
        elif name == "budget_share":
            value = _decimal(value, "budget_share")
            _check_share_total(project, exclude_pk=locked.pk, new_share=value)
        setattr(locked, name, value)
    _check_dates(locked)
    locked.full_clean()
    saved = _save_stage(actor=actor, project=project, stage=locked, before=before)
    if "budget_share" in fields:
        recompute_milestones(project)
        saved.refresh_from_db()
    return saved


@transaction.atomic
def stage_remove(*, actor: User, stage: ProjectStage, expected_version: int | None = None) -> None:
    """Remove a stage; refused once its milestone is paid (the money is on record)."""
    project, locked = _locked_stage(actor, stage, expected_version)
    _require_open(project)
    if locked.milestone_paid_on is not None:
        raise ValidationError(
            {"milestone_paid_on": [_("A stage whose milestone is paid cannot be removed.")]}
        )
    entry = audit.build(
        actor=actor,
        action=AuditEntry.Kind.DELETE,
        obj=locked,
        changes={k: [v, None] for k, v in audit.snapshot(locked).items() if v not in (None, "")},
        related=project.company,
        message=str(project)[:300],
    )
    locked.delete()
    entry.save()
    remaining = list(ProjectStage.objects.filter(project=project).order_by("position", "id"))
    for position, item in enumerate(remaining):
        if item.position != position:
            ProjectStage.objects.filter(pk=item.pk).update(position=position)
    recompute_milestones(project)


@transaction.atomic
def stage_move(*, actor: User, stage: ProjectStage, direction: str) -> None:
    """Move a stage one place up or down in its project."""
    project = _lock_project(actor, stage.project)
    stages = list(ProjectStage.objects.filter(project=project).order_by("position", "id"))
    before = [s.name for s in stages]
    _move_in(stages, stage.pk, direction)
    for position, item in enumerate(stages):
        if item.position != position:
            ProjectStage.objects.filter(pk=item.pk).update(position=position)
    after = [s.name for s in stages]
    if before != after:
        audit.record(
            actor=actor,
            action=AuditEntry.Kind.CHANGE,
            obj=project,
            changes={"stages": [before, after]},
            related=project.company,
            message=_("Stages reordered"),
        )


@transaction.atomic
def stage_set_status(
    *,
    actor: User,
    stage: ProjectStage,
    status: str,
    expected_version: int | None = None,
    completed_on: datetime.date | None = None,
) -> ProjectStage:
    """Move a stage: not started → in progress → done. Done records the completion date;
    going back (reopening a done stage) is allowed and recorded as such. Starting a stage of
    a planned project makes the project active."""
    if status not in ProjectStage.Status.values:
        raise ValidationError({"status": [_("Unknown status.")]})
    project, locked = _locked_stage(actor, stage, expected_version)
    _require_open(project)
    if locked.status == status:
        return locked
    before = audit.snapshot(locked)
    is_reopening = STAGE_ORDER[status] < STAGE_ORDER[locked.status]
    locked.status = status
    if status == ProjectStage.Status.DONE:
        locked.completed_on = completed_on or timezone.localdate()
    else:
        locked.completed_on = None
    if status != ProjectStage.Status.NOT_STARTED and locked.start_date is None:
        locked.start_date = timezone.localdate()
    saved = _save_stage(
        actor=actor,
        project=project,
        stage=locked,
        before=before,
        message=_("Stage reopened") if is_reopening else "",
    )
    if project.status == Project.Status.PLANNED and status != ProjectStage.Status.NOT_STARTED:
        record_update(obj=project, data={"status": Project.Status.ACTIVE}, actor=actor)
    return saved


@transaction.atomic
def stage_set_paid(
    *,
    actor: User,
    stage: ProjectStage,
    paid_on: datetime.date | None,
    expected_version: int | None = None,
) -> ProjectStage:
    """Record (or clear) the date the stage's payment milestone was paid."""
    project, locked = _locked_stage(actor, stage, expected_version)
    if paid_on is not None and not locked.has_payment_milestone:
        raise ValidationError({"milestone_paid_on": [_("This stage has no payment milestone.")]})
    if paid_on is not None and paid_on > timezone.localdate():
        raise ValidationError({"milestone_paid_on": [_("A payment date cannot be in the future.")]})
    before = audit.snapshot(locked)
    locked.milestone_paid_on = paid_on
    return _save_stage(actor=actor, project=project, stage=locked, before=before)


def default_currency() -> str:
    from django.conf import settings

    return str(settings.ACCORD_CURRENCIES[0])


def stage_invoice(*, actor: User, stage: ProjectStage, invoice_create: Any) -> Any:
    """Bill a stage's payment milestone: one invoice line for the milestone amount, linked to
    the stage (the invoicing service of the orders part checks the invoice permission).

    The line carries no VAT of its own: the project budget, and so each milestone, is the
    contract price as agreed with the client."""
    from accord.commerce.pricing import LineDraft

    project = stage.project
    if not stage.has_payment_milestone or stage.milestone_amount <= 0:
        raise ValidationError({"milestone_amount": [_("This stage has no milestone to invoice.")]})
    if stage.milestone_paid_on is not None:
        raise ValidationError({"milestone_paid_on": [_("This milestone is already paid.")]})
    description = _("%(project)s: stage “%(stage)s”") % {
        "project": str(project),
        "stage": stage.name,
    }
    return invoice_create(
        actor=actor,
        company=project.company,
        contact=project.contact,
        currency=project.currency,
        lines=[
            LineDraft(
                description=description,
                quantity=Decimal("1"),
                unit_price=stage.milestone_amount,
                unit="service",
            )
        ],
        project_stage=stage,
    )
