"""Writes to deals and pipelines (K2, M1, M4). Every path (UI, board, API, jobs) comes here.

A deal's stage is a small state machine: it moves only to an active stage of its pipeline;
won and lost stages need a reason; a closed deal moves again only back to an open stage (a
reopen). Every move writes a StageChange row (for the funnel and the sales cycle) and an
audit entry (for the deal's and the client's history) in the same transaction.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accord.core import audit, customfields
from accord.core.errors import ConflictError
from accord.core.models import AuditEntry, Picklist, PicklistOption, Team, User
from accord.core.permissions import Action, require, require_administrator
from accord.core.records import record_create, record_delete
from accord.parties.models import Company, Contact
from accord.sales.models import Deal, Lead, Pipeline, Stage, StageChange

DEAL_FIELDS = (
    "name",
    "company",
    "amount",
    "currency",
    "pipeline",
    "stage",
    "expected_close",
    "source",
    "campaign",
    "lead",
    "owner",
    "team",
    "description",
    "won_reason",
    "lost_reason",
    "close_comment",
)
MAX_STAGES_WITHOUT_WARNING = 7


# --- resolving inputs ---------------------------------------------------------------------


def _resolve_company(actor: User, value: Any) -> Company:
    """The client must be one the actor may see; an invisible one is refused like a missing one."""
    from accord.parties.selectors import get_company_for

    if value in (None, ""):
        raise ValidationError({"company": [_("Choose the client.")]})
    try:
        return get_company_for(actor, getattr(value, "pk", value))
    except Http404:
        raise ValidationError({"company": [_("Company not found.")]}) from None


def _resolve_contacts(actor: User, contacts: Sequence[Any]) -> list[Contact]:
    from accord.parties.selectors import contacts_visible_to

    ids = list(dict.fromkeys(getattr(c, "pk", c) for c in contacts if c not in (None, "")))
    if not ids:
        return []
    try:
        ids = [int(i) for i in ids]
    except (TypeError, ValueError):
        raise ValidationError({"contacts": [_("Contact not found.")]}) from None
    found = {c.pk: c for c in contacts_visible_to(actor).filter(pk__in=ids)}
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise ValidationError(
            {"contacts": [_("Contact not found: %(ids)s.") % {"ids": ", ".join(missing)}]}
        )
    return [found[i] for i in ids]


def _resolve_pipeline(value: Any) -> Pipeline:
    from accord.sales.selectors_deals import default_pipeline

    if value in (None, ""):
        pipeline = default_pipeline()
        if pipeline is None:
            raise ValidationError({"pipeline": [_("No active pipeline is set up.")]})
        return pipeline
    if isinstance(value, Pipeline):
        pipeline_obj: Pipeline | None = value if value.is_active else None
    else:
        try:
            pipeline_obj = Pipeline.objects.filter(pk=int(value), is_active=True).first()
        except (TypeError, ValueError):
            pipeline_obj = None
    if pipeline_obj is None:
        raise ValidationError({"pipeline": [_("Pipeline not found.")]})
    return pipeline_obj


def _first_open_stage(pipeline: Pipeline) -> Stage:
    stage = (
        Stage.objects.filter(pipeline=pipeline, is_active=True, kind=Stage.Kind.OPEN)
        .order_by("position", "id")
        .first()
    )
    if stage is None:
        raise ValidationError({"stage": [_("This pipeline has no open stage.")]})
    return stage


def _resolve_stage(pipeline: Pipeline, value: Any) -> Stage:
    """A stage must be an active stage of the deal's pipeline."""
    if value in (None, ""):
        return _first_open_stage(pipeline)
    pk = getattr(value, "pk", value)
    try:
        stage = Stage.objects.filter(pk=int(pk)).first()
    except (TypeError, ValueError):
        stage = None
    if stage is None or stage.pipeline_id != pipeline.pk or not stage.is_active:
        raise ValidationError({"stage": [_("Choose an active stage of the deal's pipeline.")]})
    return stage


def _resolve_option(picklist: str, field: str, value: Any) -> PicklistOption | None:
    if value in (None, ""):
        return None
    pk = getattr(value, "pk", value)
    try:
        option = PicklistOption.objects.filter(
            pk=int(pk), picklist=picklist, is_active=True
        ).first()
    except (TypeError, ValueError):
        option = None
    if option is None:
        raise ValidationError({field: [_("Choose one of the listed options.")]})
    return option


def _resolve_team(value: Any) -> Team | None:
    if value in (None, ""):
        return None
    if isinstance(value, Team):
        return value
    try:
        team = Team.objects.filter(pk=int(value)).first()
    except (TypeError, ValueError):
        team = None
    if team is None:
        raise ValidationError({"team": [_("Team not found.")]})
    return team


def _resolve_user(value: Any, field: str = "owner") -> User:
    if isinstance(value, User):
        user: User | None = value
    else:
        try:
            user = User.objects.filter(pk=int(value)).first()
        except (TypeError, ValueError):
            user = None
    if user is None or not user.is_active:
        raise ValidationError({field: [_("User not found.")]})
    return user


def _resolve_lead(actor: User, value: Any) -> Lead | None:
    from accord.core.permissions import restrict

    if value in (None, ""):
        return None
    pk = getattr(value, "pk", value)
    try:
        lead = restrict(Lead.objects.all(), actor).filter(pk=int(pk)).first()
    except (TypeError, ValueError):
        lead = None
    if lead is None:
        raise ValidationError({"lead": [_("Lead not found.")]})
    return lead


def _clean_amount(value: Any) -> Decimal:
    if value in (None, ""):
        return Decimal("0")
    if isinstance(value, float):
        value = str(value)
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError({"amount": [_("Enter a number.")]}) from None
    if not amount.is_finite():
        raise ValidationError({"amount": [_("Enter a number.")]})
    if amount < 0:
        raise ValidationError({"amount": [_("The amount cannot be negative.")]})
    return amount.quantize(Decimal("0.01"))


def _collect(errors: dict[str, list[str]], func: Any) -> Any:
    try:
        return func()
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            errors.setdefault(key, []).extend(messages)
        return None


# --- create / update / delete -------------------------------------------------------------


@transaction.atomic
def deal_create(
    *,
    actor: User,
    company: Any,
    name: str,
    amount: Any = Decimal("0"),
    currency: str | None = None,
    pipeline: Any = None,
    stage: Any = None,
    expected_close: datetime.date | None = None,
    source: Any = None,
    campaign: str = "",
    lead: Any = None,
    contacts: Sequence[Any] = (),
    owner: Any = None,
    team: Any = None,
    description: str = "",
    custom: dict[str, Any] | None = None,
) -> Deal:
    """Open a deal with a client. Defaults: the default pipeline, its first open stage, the
    first configured currency, the actor as owner and the client's team. A new deal starts in
    an open stage (winning or losing is a move, which asks for the reason). The entry into the
    first stage is logged as a StageChange so the funnel counts every deal."""
    errors: dict[str, list[str]] = {}
    company_obj = _collect(errors, lambda: _resolve_company(actor, company))
    pipeline_obj = _collect(errors, lambda: _resolve_pipeline(pipeline))
    stage_obj = None
    if pipeline_obj is not None:
        stage_obj = _collect(errors, lambda: _resolve_stage(pipeline_obj, stage))
        if stage_obj is not None and stage_obj.kind != Stage.Kind.OPEN:
            errors.setdefault("stage", []).append(
                _("A new deal starts in an open stage; move it to won or lost afterwards.")
            )
    amount_value = _collect(errors, lambda: _clean_amount(amount))
    contact_objs = _collect(errors, lambda: _resolve_contacts(actor, contacts)) or []
    source_obj = _collect(errors, lambda: _resolve_option(Picklist.SOURCE, "source", source))
    owner_obj = actor if owner in (None, "") else _collect(errors, lambda: _resolve_user(owner))
    team_obj = _collect(errors, lambda: _resolve_team(team))
    lead_obj = _collect(errors, lambda: _resolve_lead(actor, lead))
    custom_values = _collect(errors, lambda: customfields.clean_values("deal", custom)) or {}
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    deal = Deal(
        name=(name or "").strip(),
        company=company_obj,
        pipeline=pipeline_obj,
        stage=stage_obj,
        amount=amount_value,
        currency=currency or settings.ACCORD_CURRENCIES[0],
        expected_close=expected_close,
        source=source_obj,
        campaign=campaign or "",
        lead=lead_obj,
        owner=owner_obj,
        team=team_obj if team not in (None, "") else company_obj.team,
        description=description or "",
        custom=custom_values,
        stage_entered_at=now,
        created_at=now,
        updated_at=now,
    )
    if deal.owner_id != actor.pk:
        require(actor, Action.REASSIGN, deal)
    record_create(
        obj=deal, actor=actor, extra_values={"contacts": sorted(c.pk for c in contact_objs)}
    )
    if contact_objs:
        deal.contacts.set(contact_objs)
    StageChange.objects.create(
        deal=deal,
        from_stage=None,
        to_stage=deal.stage,
        at=now,
        actor=actor if getattr(actor, "pk", None) else None,
        amount=deal.amount,
        seconds_in_previous=None,
    )
    return deal


@transaction.atomic
def deal_update(
    *,
    actor: User,
    deal: Deal,
    fields: dict[str, Any],
    contacts: Sequence[Any] | None = None,
    custom: dict[str, Any] | None = None,
    expected_version: int | None = None,
    comment: str = "",
) -> Deal:
    """Change a deal's facts. ``None`` for contacts/custom means "leave as is". A new stage in
    ``fields`` follows the same rules as :func:`deal_move` (reasons for won/lost, reopen only
    to an open stage); a new pipeline needs a stage of that pipeline (its first open stage if
    none is given) and is recorded as a move too. Contact changes land in the same audit
    entry."""
    unknown = set(fields) - set(DEAL_FIELDS)
    if unknown:
        raise ValidationError({name: [_("Unknown field.")] for name in sorted(unknown)})
    require(actor, Action.CHANGE, deal)
    locked = Deal.objects.select_for_update().select_related("stage", "company").get(pk=deal.pk)
    if expected_version is not None and expected_version != locked.version:
        raise ConflictError(locked.version)
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    for key, value in fields.items():
        if key == "company":
            values["company"] = _collect(errors, lambda v=value: _resolve_company(actor, v))
        elif key == "amount":
            values["amount"] = _collect(errors, lambda v=value: _clean_amount(v))
        elif key == "source":
            values["source"] = _collect(
                errors, lambda v=value: _resolve_option(Picklist.SOURCE, "source", v)
            )
        elif key == "owner":
            values["owner"] = _collect(errors, lambda v=value: _resolve_user(v))
        elif key == "team":
            values["team"] = _collect(errors, lambda v=value: _resolve_team(v))
        elif key == "lead":
            values["lead"] = _collect(errors, lambda v=value: _resolve_lead(actor, v))
        elif key in ("pipeline", "stage", "won_reason", "lost_reason", "close_comment"):
            continue
        elif key in ("name", "campaign", "description"):
            values[key] = (value or "").strip() if key == "name" else (value or "")
        else:
            values[key] = value
    new_pipeline = locked.pipeline
    if "pipeline" in fields and fields["pipeline"] not in (None, ""):
        new_pipeline = _collect(errors, lambda: _resolve_pipeline(fields["pipeline"]))
    new_stage = locked.stage
    if new_pipeline is not None:
        stage_value = fields.get("stage")
        if new_pipeline.pk != locked.pipeline_id and stage_value in (None, ""):
            new_stage = _collect(errors, lambda: _first_open_stage(new_pipeline))
        elif stage_value not in (None, ""):
            new_stage = _collect(errors, lambda: _resolve_stage(new_pipeline, stage_value))
    contact_objs = None
    if contacts is not None:
        contact_objs = _collect(errors, lambda: _resolve_contacts(actor, contacts))
    if custom is not None:
        values["custom"] = _collect(errors, lambda: customfields.clean_values("deal", custom))
    if errors:
        raise ValidationError(errors)
    if "owner" in values and values["owner"].pk != locked.owner_id:
        require(actor, Action.REASSIGN, locked)
    if "company" in values and values["company"].pk != locked.company_id:
        # The deal must stay within what the actor may change.
        require(actor, Action.CHANGE, Deal(owner=locked.owner, company=values["company"]))
    before = audit.snapshot(locked)
    before_contacts = sorted(locked.contacts.values_list("pk", flat=True))
    now = timezone.now()
    old_stage = locked.stage
    for key, value in values.items():
        setattr(locked, key, value)
    stage_change = None
    if new_stage is not None and (new_stage.pk != old_stage.pk or new_pipeline != locked.pipeline):
        locked.pipeline = new_pipeline
        stage_change = _apply_stage(
            locked,
            new_stage,
            won_reason=fields.get("won_reason"),
            lost_reason=fields.get("lost_reason"),
            comment=fields.get("close_comment") or comment,
            now=now,
        )
    else:
        for key, picklist in (
            ("won_reason", Picklist.WON_REASON),
            ("lost_reason", Picklist.LOST_REASON),
        ):
            if key in fields:
                option = _resolve_option(picklist, key, fields[key])
                closed_as = locked.is_closed and (locked.is_won == (key == "won_reason"))
                if option is None and closed_as:
                    raise ValidationError({key: [_("Give the reason.")]})
                if option is not None and not closed_as:
                    raise ValidationError(
                        {key: [_("A reason is kept only for a deal closed this way.")]}
                    )
                setattr(locked, key, option)
        if "close_comment" in fields:
            locked.close_comment = fields["close_comment"] or ""
    try:
        locked.full_clean(exclude=["stage_entered_at"])
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from None
    after = audit.snapshot(locked)
    after_contacts = (
        sorted(c.pk for c in contact_objs) if contact_objs is not None else before_contacts
    )
    changes = audit.diff(before, after)
    if after_contacts != before_contacts:
        changes["contacts"] = [before_contacts, after_contacts]
    if not changes:
        return locked
    locked.version = F("version") + 1  # type: ignore[assignment]
    locked.updated_at = now
    locked.save()
    locked.refresh_from_db()
    if contact_objs is not None and after_contacts != before_contacts:
        locked.contacts.set(contact_objs)
    if stage_change is not None:
        stage_change.deal = locked
        stage_change.actor = actor if getattr(actor, "pk", None) else None
        stage_change.save()
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.CHANGE,
        obj=locked,
        changes=changes,
        related=locked.company,
        message=_move_message(old_stage, locked.stage) if stage_change is not None else "",
    )
    return locked


@transaction.atomic
def deal_delete(*, actor: User, deal: Deal, expected_version: int | None = None) -> None:
    """Delete a deal; its stage log goes with it, its activities stay on the client's card."""
    record_delete(obj=deal, actor=actor, expected_version=expected_version)


# --- the state machine --------------------------------------------------------------------


def _move_message(old: Stage, new: Stage) -> str:
    """A short note in the audit entry; stored once, so kept in English like the ids it names
    (the history shows field labels and values in the reader's language)."""
    if old.kind != Stage.Kind.OPEN and new.kind == Stage.Kind.OPEN:
        return f"Reopened: {old.name} → {new.name}"
    return f"Stage: {old.name} → {new.name}"


def _apply_stage(
    deal: Deal,
    stage: Stage,
    *,
    won_reason: Any,
    lost_reason: Any,
    comment: str,
    now: datetime.datetime,
) -> StageChange:
    """Check one transition and apply it to ``deal`` in memory; returns the unsaved log row.

    Raises ValidationError naming the field when the move is not allowed, before anything is
    written."""
    old = deal.stage
    if stage.pipeline_id != deal.pipeline_id or not stage.is_active:
        raise ValidationError({"stage": [_("Choose an active stage of the deal's pipeline.")]})
    if stage.pk == old.pk:
        raise ValidationError({"stage": [_("The deal is already in this stage.")]})
    if deal.is_closed and stage.kind != Stage.Kind.OPEN:
        raise ValidationError(
            {
                "stage": [
                    _("This deal is closed. Reopen it by moving it back to an open stage first.")
                ]
            }
        )
    errors: dict[str, list[str]] = {}
    won_option = lost_option = None
    if stage.kind == Stage.Kind.WON:
        won_option = _collect(
            errors, lambda: _resolve_option(Picklist.WON_REASON, "won_reason", won_reason)
        )
        if won_option is None and "won_reason" not in errors:
            errors["won_reason"] = [_("Say why the deal was won.")]
    elif stage.kind == Stage.Kind.LOST:
        lost_option = _collect(
            errors, lambda: _resolve_option(Picklist.LOST_REASON, "lost_reason", lost_reason)
        )
        if lost_option is None and "lost_reason" not in errors:
            errors["lost_reason"] = [_("Say why the deal was lost.")]
    if errors:
        raise ValidationError(errors)
    seconds = max(0, int((now - deal.stage_entered_at).total_seconds()))
    change = StageChange(
        deal=deal,
        from_stage=old,
        to_stage=stage,
        at=now,
        amount=deal.amount,
        seconds_in_previous=seconds,
    )
    deal.stage = stage
    deal.stage_entered_at = now
    if stage.kind == Stage.Kind.OPEN:
        deal.is_closed = False
        deal.is_won = False
        deal.closed_at = None
        deal.won_reason = None
        deal.lost_reason = None
        deal.close_comment = ""
    else:
        deal.is_closed = True
        deal.is_won = stage.kind == Stage.Kind.WON
        deal.closed_at = now
        deal.won_reason = won_option
        deal.lost_reason = lost_option
        deal.close_comment = (comment or "").strip()
    return change


@transaction.atomic
def deal_move(
    *,
    actor: User,
    deal: Deal,
    stage: Any,
    won_reason: Any = None,
    lost_reason: Any = None,
    comment: str = "",
    expected_version: int | None = None,
) -> Deal:
    """Move a deal to another stage of its pipeline (board drag, the "Move to…" control, the
    API). Won needs ``won_reason``, lost needs ``lost_reason``; a closed deal moves only back to
    an open stage (which reopens it and clears the outcome); moving to the current stage is
    refused. Writes a StageChange and an audit entry (related to the client) with the deal."""
    require(actor, Action.CHANGE, deal)
    locked = (
        Deal.objects.select_for_update()
        .select_related("stage", "company", "pipeline")
        .get(pk=deal.pk)
    )
    if expected_version is not None and expected_version != locked.version:
        raise ConflictError(locked.version)
    pk = getattr(stage, "pk", stage)
    try:
        target = Stage.objects.filter(pk=int(pk)).first() if pk not in (None, "") else None
    except (TypeError, ValueError):
        target = None
    if target is None:
        raise ValidationError({"stage": [_("Choose an active stage of the deal's pipeline.")]})
    now = timezone.now()
    before = audit.snapshot(locked)
    old_stage = locked.stage
    change = _apply_stage(
        locked,
        target,
        won_reason=won_reason,
        lost_reason=lost_reason,
        comment=comment,
        now=now,
    )
    changes = audit.diff(before, audit.snapshot(locked))
    changes.pop("stage_entered_at", None)
    if comment and target.kind == Stage.Kind.OPEN:
        changes["comment"] = [None, comment.strip()[:500]]
    locked.version = F("version") + 1  # type: ignore[assignment]
    locked.updated_at = now
    locked.save()
    locked.refresh_from_db()
    change.deal = locked
    change.actor = actor if getattr(actor, "pk", None) else None
    change.save()
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.CHANGE,
        obj=locked,
        changes=changes,
        related=locked.company,
        message=_move_message(old_stage, target),
    )
    return locked


def deal_reopen(
    *, actor: User, deal: Deal, stage: Any = None, expected_version: int | None = None
) -> Deal:
    """Reopen a won or lost deal: move it back to the given open stage, or the first one."""
    if not deal.is_closed:
        raise ValidationError({"stage": [_("This deal is not closed.")]})
    target = stage if stage not in (None, "") else _first_open_stage(deal.pipeline)
    return deal_move(actor=actor, deal=deal, stage=target, expected_version=expected_version)


# --- reassign hook (M2): open deals travel with the client ---------------------------------


def reassign_open_deals(
    actor: User, from_user: User, to_user: User, company_ids: list[int]
) -> dict[str, int]:
    """Move the departing manager's open deals of the reassigned companies to the new owner.

    Won and lost deals stay with whoever closed them: they are the record of past results
    (and of that manager's figures in the reports). One audit entry per deal."""
    if not company_ids:
        return {}
    rows = list(
        Deal.objects.filter(owner=from_user, company_id__in=company_ids, is_closed=False)
        .select_for_update()
        .only("pk", "name", "company_id")
    )
    change = {"owner_id": [from_user.pk, to_user.pk]}
    entries = [
        audit.build(
            actor=actor,
            action=AuditEntry.Kind.REASSIGN,
            obj=row,
            changes=change,
            related=Company(pk=row.company_id),
        )
        for row in rows
    ]
    Deal.objects.filter(pk__in=[r.pk for r in rows]).update(
        owner=to_user, version=F("version") + 1, updated_at=timezone.now()
    )
    audit.record_many(entries)
    # Nothing to report when no deal moved (the reassign page lists only what travelled).
    return {"deals": len(rows)} if rows else {}


def register_reassign_hook() -> None:
    from accord.parties.services import REASSIGN_HOOKS

    if reassign_open_deals not in REASSIGN_HOOKS:
        REASSIGN_HOOKS.append(reassign_open_deals)


# --- pipelines and stages (administrators) -------------------------------------------------

PIPELINE_FIELDS = ("name", "name_ru", "name_fr", "name_de", "is_default", "is_active", "position")
STAGE_FIELDS = (
    "name",
    "name_ru",
    "name_fr",
    "name_de",
    "kind",
    "probability",
    "position",
    "is_active",
)


def _check_stage_set(pipeline: Pipeline, stages: list[Stage]) -> None:
    """A pipeline keeps exactly one won and at least one lost stage among its active stages,
    and at least one open stage, so every deal can be won, lost and worked on."""
    active = [s for s in stages if s.is_active]
    won = sum(1 for s in active if s.kind == Stage.Kind.WON)
    lost = sum(1 for s in active if s.kind == Stage.Kind.LOST)
    opened = sum(1 for s in active if s.kind == Stage.Kind.OPEN)
    if won != 1:
        raise ValidationError({"kind": [_("A pipeline needs exactly one active won stage.")]})
    if lost < 1:
        raise ValidationError({"kind": [_("A pipeline needs at least one active lost stage.")]})
    if opened < 1:
        raise ValidationError({"kind": [_("A pipeline needs at least one active open stage.")]})


def stage_count_warning(pipeline: Pipeline) -> str:
    """Past seven stages a pipeline gets hard to read (U1): warn, don't refuse."""
    count = Stage.objects.filter(pipeline=pipeline, is_active=True).count()
    if count > MAX_STAGES_WITHOUT_WARNING:
        return _(
            "This pipeline has %(count)s active stages. More than %(max)s makes the board hard "
            "to read; consider merging some."
        ) % {"count": count, "max": MAX_STAGES_WITHOUT_WARNING}
    return ""


@transaction.atomic
def pipeline_create(
    *,
    actor: User,
    name: str,
    name_ru: str = "",
    name_fr: str = "",
    name_de: str = "",
    is_default: bool = False,
    stages: Sequence[dict[str, Any]] | None = None,
) -> Pipeline:
    """Create a pipeline. Without ``stages`` it gets a minimal working set (one open, won,
    lost) so it is usable at once; administrators rename and add stages afterwards."""
    require_administrator(actor)
    position = (
        Pipeline.objects.order_by("-position").values_list("position", flat=True).first() or 0
    ) + 1
    pipeline = Pipeline(
        name=(name or "").strip(),
        name_ru=name_ru or "",
        name_fr=name_fr or "",
        name_de=name_de or "",
        is_default=False,
        position=position,
    )
    pipeline.full_clean()
    if is_default:
        Pipeline.objects.filter(is_default=True).update(is_default=False)
        pipeline.is_default = True
    pipeline.save()
    if stages is None:
        stages = [
            {
                "name": "New",
                "name_ru": "Новая",
                "name_fr": "Nouvelle",
                "name_de": "Neu",
                "kind": "open",
                "probability": 10,
            },
            {
                "name": "Won",
                "name_ru": "Выиграна",
                "name_fr": "Gagnée",
                "name_de": "Gewonnen",
                "kind": "won",
                "probability": 100,
            },
            {
                "name": "Lost",
                "name_ru": "Проиграна",
                "name_fr": "Perdue",
                "name_de": "Verloren",
                "kind": "lost",
                "probability": 0,
            },
        ]
    built = []
    for index, data in enumerate(stages):
        stage = Stage(
            pipeline=pipeline,
            position=index,
            **{k: v for k, v in data.items() if k in STAGE_FIELDS},
        )
        stage.full_clean()
        built.append(stage)
    _check_stage_set(pipeline, built)
    Stage.objects.bulk_create(built)
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.CREATE,
        obj=pipeline,
        changes={
            **{
                k: [None, v]
                for k, v in audit.snapshot(pipeline).items()
                if v not in (None, "", False)
            },
            "stages": [None, [s.name for s in built]],
        },
    )
    return pipeline


@transaction.atomic
def pipeline_update(*, actor: User, pipeline: Pipeline, fields: dict[str, Any]) -> Pipeline:
    """Rename, (de)activate or make default. The default pipeline cannot be deactivated."""
    require_administrator(actor)
    unknown = set(fields) - set(PIPELINE_FIELDS)
    if unknown:
        raise ValidationError({name: [_("Unknown field.")] for name in sorted(unknown)})
    locked = Pipeline.objects.select_for_update().get(pk=pipeline.pk)
    before = audit.snapshot(locked)
    for key, value in fields.items():
        setattr(locked, key, value)
    if locked.is_default and not locked.is_active:
        raise ValidationError({"is_active": [_("The default pipeline cannot be deactivated.")]})
    if not locked.is_default and before["is_default"]:
        raise ValidationError({"is_default": [_("Make another pipeline the default instead.")]})
    # The one-default constraint is kept below by clearing the old default first.
    locked.full_clean(validate_constraints=False)
    changes = audit.diff(before, audit.snapshot(locked))
    if not changes:
        return locked
    if locked.is_default and not before["is_default"]:
        Pipeline.objects.filter(is_default=True).exclude(pk=locked.pk).update(is_default=False)
    locked.save()
    audit.record(actor=actor, action=AuditEntry.Kind.CHANGE, obj=locked, changes=changes)
    return locked


@transaction.atomic
def stage_create(*, actor: User, pipeline: Pipeline, fields: dict[str, Any]) -> Stage:
    """Add a stage at the end of its kind. A second won stage is refused."""
    require_administrator(actor)
    unknown = set(fields) - set(STAGE_FIELDS)
    if unknown:
        raise ValidationError({name: [_("Unknown field.")] for name in sorted(unknown)})
    Pipeline.objects.select_for_update().get(pk=pipeline.pk)
    existing = list(Stage.objects.filter(pipeline=pipeline))
    position = max((s.position for s in existing), default=-1) + 1
    stage = Stage(pipeline=pipeline, position=position)
    for key, value in fields.items():
        setattr(stage, key, value)
    stage.full_clean()
    _check_stage_set(pipeline, [*existing, stage])
    stage.save()
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.CREATE,
        obj=stage,
        changes={k: [None, v] for k, v in audit.snapshot(stage).items() if v not in (None, "")},
        related=pipeline,
    )
    return stage


@transaction.atomic
def stage_update(*, actor: User, stage: Stage, fields: dict[str, Any]) -> Stage:
    """Rename a stage, change its kind or probability, or (de)activate it. The pipeline must
    keep one won and at least one lost active stage; a stage holding deals keeps its kind
    (their won/lost flags follow it) and can be deactivated only once it is empty of open
    deals."""
    require_administrator(actor)
    unknown = set(fields) - set(STAGE_FIELDS)
    if unknown:
        raise ValidationError({name: [_("Unknown field.")] for name in sorted(unknown)})
    pipeline = Pipeline.objects.select_for_update().get(pk=stage.pipeline_id)
    locked = Stage.objects.get(pk=stage.pk)
    before = audit.snapshot(locked)
    for key, value in fields.items():
        setattr(locked, key, value)
    locked.full_clean()
    has_deals = Deal.objects.filter(stage=locked).exists()
    if before["kind"] != locked.kind and has_deals:
        raise ValidationError(
            {
                "kind": [
                    _("Deals are in this stage: its kind cannot change. Add a new stage instead.")
                ]
            }
        )
    if (
        before["is_active"]
        and not locked.is_active
        and Deal.objects.filter(stage=locked, is_closed=False).exists()
    ):
        raise ValidationError(
            {"is_active": [_("Move the open deals out of this stage before deactivating it.")]}
        )
    others = list(Stage.objects.filter(pipeline=pipeline).exclude(pk=locked.pk))
    _check_stage_set(pipeline, [*others, locked])
    changes = audit.diff(before, audit.snapshot(locked))
    if not changes:
        return locked
    locked.save()
    audit.record(
        actor=actor, action=AuditEntry.Kind.CHANGE, obj=locked, changes=changes, related=pipeline
    )
    return locked


@transaction.atomic
def stage_delete(*, actor: User, stage: Stage) -> None:
    """Delete a stage nobody ever used; a stage with deals (or history) is only deactivated."""
    require_administrator(actor)
    pipeline = Pipeline.objects.select_for_update().get(pk=stage.pipeline_id)
    used = (
        Deal.objects.filter(stage=stage).exists()
        or StageChange.objects.filter(to_stage=stage).exists()
        or StageChange.objects.filter(from_stage=stage).exists()
    )
    if used:
        raise ValidationError(
            {"stage": [_("This stage has deals or history: deactivate it instead of deleting it.")]}
        )
    others = list(Stage.objects.filter(pipeline=pipeline).exclude(pk=stage.pk))
    _check_stage_set(pipeline, others)
    entry = audit.build(
        actor=actor,
        action=AuditEntry.Kind.DELETE,
        obj=stage,
        changes={k: [v, None] for k, v in audit.snapshot(stage).items() if v not in (None, "")},
        related=pipeline,
    )
    stage.delete()
    entry.save()


@transaction.atomic
def stages_reorder(*, actor: User, pipeline: Pipeline, stage_ids: Sequence[int]) -> None:
    """Put the pipeline's stages in the given order (the board shows open stages in this
    order, then won, then lost)."""
    require_administrator(actor)
    Pipeline.objects.select_for_update().get(pk=pipeline.pk)
    stages = {s.pk: s for s in Stage.objects.filter(pipeline=pipeline)}
    ids = [int(i) for i in stage_ids]
    if sorted(ids) != sorted(stages):
        raise ValidationError({"stages": [_("List every stage of the pipeline exactly once.")]})
    before = [s.pk for s in sorted(stages.values(), key=lambda s: (s.position, s.pk))]
    if before == ids:
        return
    for position, pk in enumerate(ids):
        stages[pk].position = position
    Stage.objects.bulk_update(list(stages.values()), ["position"])
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.CHANGE,
        obj=pipeline,
        changes={"stage_order": [before, ids]},
    )
