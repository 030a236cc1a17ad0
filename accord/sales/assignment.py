"""Lead assignment rules (M2): who gets a new lead, configured by administrators.

The first active rule (in the administrator's order) whose conditions all match decides: to one
user, or round robin among the active members of a team who may own leads. The round-robin
position (``last_assigned``) is read and advanced under ``select_for_update`` so two leads
arriving at once go to two different people.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.utils.translation import gettext as _

from accord.core import audit
from accord.core.models import AuditEntry, Picklist, Team, User
from accord.core.permissions import require_administrator
from accord.core.services import apply_order, moved_order
from accord.sales.models import AssignmentRule, Lead

RULE_FIELDS = ("name", "is_active", "source", "region", "country", "method", "user", "team")


@dataclass(frozen=True)
class Assignment:
    """The outcome of the rules for one lead: the owner and the rule that chose them."""

    owner: User
    rule: AssignmentRule


def lead_owners(team: Team) -> QuerySet[User]:
    """Active members of ``team`` who may own leads (a role grants adding leads), in a
    stable order so the round robin is predictable."""
    return (
        User.objects.filter(teams=team, is_active=True)
        .filter(
            Q(is_superuser=True)
            | Q(
                roles__grants__object_type="lead",
                roles__grants__action="add",
                roles__grants__scope__gt=0,
            )
        )
        .distinct()
        .order_by("pk")
    )


def rule_matches(rule: AssignmentRule, lead: Lead) -> bool:
    """All the conditions a rule sets hold for the lead (an empty condition matches all)."""
    if rule.source_id is not None and rule.source_id != lead.source_id:
        return False
    if rule.region_id is not None and rule.region_id != lead.region_id:
        return False
    return not (rule.country and rule.country.upper() != (lead.country or "").upper())


def _next_in_round(rule: AssignmentRule) -> User | None:
    members = list(lead_owners(rule.team)) if rule.team is not None else []
    if not members:
        return None
    after = [
        m for m in members if rule.last_assigned_id is not None and m.pk > rule.last_assigned_id
    ]
    return after[0] if after else members[0]


@transaction.atomic
def choose_assignment(lead: Lead) -> Assignment | None:
    """The owner the rules give this (unsaved) lead, advancing a round robin; None when no
    active rule matches or the matching rules have nobody to give it to."""
    for rule in AssignmentRule.objects.filter(is_active=True).order_by("position", "id"):
        if not rule_matches(rule, lead):
            continue
        if rule.method == AssignmentRule.Method.USER:
            if rule.user is not None and rule.user.is_active:
                return Assignment(owner=rule.user, rule=rule)
            continue
        locked = AssignmentRule.objects.select_for_update().get(pk=rule.pk)
        owner = _next_in_round(locked)
        if owner is None:
            continue
        AssignmentRule.objects.filter(pk=rule.pk).update(last_assigned=owner)
        return Assignment(owner=owner, rule=locked)
    return None


def assign_owner(lead: Lead) -> User | None:
    """The owner the assignment rules choose for a new lead, or None (the caller keeps it)."""
    assignment = choose_assignment(lead)
    return assignment.owner if assignment else None


# --- administration of the rules ------------------------------------------------------------


def _clean_rule(rule: AssignmentRule) -> None:
    errors: dict[str, list[str]] = {}
    rule.country = (rule.country or "").strip().upper()
    if rule.country and len(rule.country) != 2:
        errors["country"] = [_("The country is a two-letter code such as RU, FR or DE.")]
    if rule.method == AssignmentRule.Method.USER:
        if rule.user is None:
            errors["user"] = [_("Choose the user who gets the leads.")]
        elif not rule.user.is_active:
            errors["user"] = [_("This user is deactivated.")]
        rule.team = None
    elif rule.method == AssignmentRule.Method.ROUND_ROBIN:
        if rule.team is None:
            errors["team"] = [_("Choose the team whose members share the leads.")]
        elif not lead_owners(rule.team).exists():
            errors["team"] = [_("Nobody in this team may own leads.")]
        rule.user = None
    if rule.source is not None and rule.source.picklist != Picklist.SOURCE:
        errors["source"] = [_("Not a source.")]
    if rule.region is not None and rule.region.picklist != Picklist.REGION:
        errors["region"] = [_("Not a region.")]
    if errors:
        raise ValidationError(errors)
    rule.full_clean()


def _reject_unknown(fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(RULE_FIELDS)
    if unknown:
        raise ValidationError({name: [_("Unknown field.")] for name in sorted(unknown)})


@transaction.atomic
def assignment_rule_create(*, actor: User, fields: dict[str, Any]) -> AssignmentRule:
    """Add a rule at the end of the list (administrators only; audited)."""
    require_administrator(actor)
    _reject_unknown(fields)
    last = AssignmentRule.objects.aggregate(last=Max("position"))["last"]
    rule = AssignmentRule(**fields, position=(last + 1) if last is not None else 0)
    _clean_rule(rule)
    rule.save()
    snapshot = audit.snapshot(rule)
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.CREATE,
        obj=rule,
        changes={k: [None, v] for k, v in snapshot.items() if v not in (None, "", False)},
    )
    return rule


@transaction.atomic
def assignment_rule_update(
    *, actor: User, rule: AssignmentRule, fields: dict[str, Any]
) -> AssignmentRule:
    """Change a rule's conditions, method or target; activating and deactivating is a change of
    ``is_active`` (administrators only; audited)."""
    require_administrator(actor)
    _reject_unknown(fields)
    locked = AssignmentRule.objects.select_for_update().get(pk=rule.pk)
    before = audit.snapshot(locked)
    for name, value in fields.items():
        setattr(locked, name, value)
    _clean_rule(locked)
    changes = audit.diff(before, audit.snapshot(locked))
    if changes:
        if "team_id" in changes:
            locked.last_assigned = None  # a new team starts its round from the first member
        locked.save()
        audit.record(actor=actor, action=AuditEntry.Kind.CHANGE, obj=locked, changes=changes)
    return locked


@transaction.atomic
def assignment_rule_reorder(*, actor: User, ordered_ids: Sequence[int]) -> None:
    """Put the rules in this order (the first matching rule wins); audited per moved rule."""
    require_administrator(actor)
    apply_order(
        actor=actor, queryset=AssignmentRule.objects.all(), ordered_ids=ordered_ids, field="order"
    )


def assignment_rule_move(*, actor: User, rule: AssignmentRule, offset: int) -> None:
    """Move one rule up (-1) or down (+1) in the order."""
    ids = AssignmentRule.objects.order_by("position", "id").values_list("pk", flat=True)
    assignment_rule_reorder(actor=actor, ordered_ids=moved_order(ids, rule.pk, offset))


@transaction.atomic
def assignment_rule_delete(*, actor: User, rule: AssignmentRule) -> None:
    require_administrator(actor)
    entry = audit.build(
        actor=actor,
        action=AuditEntry.Kind.DELETE,
        obj=rule,
        changes={k: [v, None] for k, v in audit.snapshot(rule).items() if v not in (None, "")},
    )
    rule.delete()
    entry.save()
