"""Queues and routing (V3): which queue a new case goes to and which agent in it works it.

``route_case`` runs on ``case_opened`` inside the opening transaction. When the case has no
queue yet, the first active routing rule (in the administrators' order) whose set conditions
all match picks the queue, else the default queue. The queue's team becomes the case's team
(the "team" record rule). When the case has no agent, the queue's method picks one among the
active team members who may change cases: round robin (the next one after the last assigned,
by id, read and advanced under a row lock so two cases arriving at once go to two people),
least loaded (fewest open cases, ties by id), or nobody (agents take cases themselves).

The administration of queues and rules (administrators and the head of service) lives here
too, as services: validated, audited, refused when the record changed meanwhile.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q, QuerySet
from django.dispatch import receiver
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accord.core import audit
from accord.core.errors import ConflictError
from accord.core.models import AuditEntry, Notification, Picklist, User
from accord.core.services import apply_order, moved_order
from accord.parties.models import Company
from accord.service.models import Case, CaseEvent, Queue, RoutingRule
from accord.service.signals import case_opened

# The built-in role that runs the service desk ("Head of service") may configure it.
SERVICE_MANAGER_ROLE = "service_manager"
OPEN_STATUSES = [str(s) for s in Case.OPEN_STATUSES]
CONDITION_FIELDS = ("category", "product", "region", "tier", "channel")


# --- who may configure -------------------------------------------------------------------------


def may_manage_queues(user: Any) -> bool:
    """Administrators and the head of service configure queues and routing."""
    if not (getattr(user, "is_authenticated", False) and user.is_active):
        return False
    if user.is_administrator:
        return True
    cached = getattr(user, "_accord_service_manager", None)
    if cached is None:
        cached = user.roles.filter(code=SERVICE_MANAGER_ROLE).exists()
        user._accord_service_manager = cached
    return bool(cached)


def require_queue_manager(user: Any) -> None:
    if not may_manage_queues(user):
        raise PermissionDenied(
            gettext_lazy(
                "Only administrators and the head of service may change queues and routing."
            )
        )


# --- agents -------------------------------------------------------------------------------------


def case_agents(team_id: int) -> QuerySet[User]:
    """Active members of a queue's team who may change cases, in a stable order (by id) so the
    round robin is predictable."""
    return (
        User.objects.filter(teams=team_id, is_active=True)
        .filter(
            Q(is_superuser=True)
            | Q(
                roles__grants__object_type="case",
                roles__grants__action="change",
                roles__grants__scope__gt=0,
            )
        )
        .distinct()
        .order_by("pk")
    )


def open_case_counts(user_ids: Sequence[int]) -> dict[int, int]:
    """Open cases per agent, in one grouped query (index case_owner_idx)."""
    if not user_ids:
        return {}
    rows = (
        Case.objects.filter(owner_id__in=list(user_ids), status__in=OPEN_STATUSES)
        .order_by()
        .values_list("owner_id")
        .annotate(n=Count("id"))
    )
    return dict(rows)


def next_in_round(agents: Sequence[User], last_assigned_id: int | None) -> User | None:
    """The agent after the last assigned one (by id), wrapping round to the first."""
    if not agents:
        return None
    if last_assigned_id is not None:
        for agent in agents:
            if agent.pk > last_assigned_id:
                return agent
    return agents[0]


def least_loaded(agents: Sequence[User]) -> User | None:
    """The agent with the fewest open cases; ties go to the lowest id."""
    if not agents:
        return None
    loads = open_case_counts([a.pk for a in agents])
    return min(agents, key=lambda a: (loads.get(a.pk, 0), a.pk))


def preview_agent(queue: Queue) -> User | None:
    """Who the queue would give its next case to, without advancing the round."""
    if queue.method == Queue.Method.MANUAL:
        return None
    agents = list(case_agents(queue.team_id))
    if queue.method == Queue.Method.ROUND_ROBIN:
        return next_in_round(agents, queue.last_assigned_id)
    return least_loaded(agents)


# --- rules --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseFacts:
    """What routing rules look at in a case (also built from the preview form)."""

    category_id: int | None = None
    product_id: int | None = None
    region_id: int | None = None
    tier_id: int | None = None
    channel: str = ""


def rule_mismatches(rule: RoutingRule, facts: CaseFacts) -> list[str]:
    """The conditions of ``rule`` that ``facts`` fail (an unset condition matches all)."""
    failed = []
    if rule.category_id is not None and rule.category_id != facts.category_id:
        failed.append("category")
    if rule.product_id is not None and rule.product_id != facts.product_id:
        failed.append("product")
    if rule.region_id is not None and rule.region_id != facts.region_id:
        failed.append("region")
    if rule.tier_id is not None and rule.tier_id != facts.tier_id:
        failed.append("tier")
    if rule.channel and rule.channel != facts.channel:
        failed.append("channel")
    return failed


def rule_matches(rule: RoutingRule, facts: CaseFacts) -> bool:
    return not rule_mismatches(rule, facts)


def active_rules() -> list[RoutingRule]:
    """Active rules that lead to an active queue, first one first (one query)."""
    return list(
        RoutingRule.objects.filter(is_active=True, queue__is_active=True)
        .select_related("queue")
        .order_by("position", "id")
    )


def default_queue() -> Queue | None:
    return Queue.objects.filter(is_default=True, is_active=True).first()


@dataclass
class RoutingDecision:
    """Where the rules send a case: the queue and the rule that chose it (None = default)."""

    queue: Queue | None
    rule: RoutingRule | None = None
    checked: list[tuple[RoutingRule, list[str]]] = field(default_factory=list)


def choose_queue(
    facts: CaseFacts, *, rules: list[RoutingRule] | None = None, explain: bool = False
) -> RoutingDecision:
    """The first matching active rule's queue, else the default queue. With ``explain`` every
    rule checked is listed with the conditions it failed (the preview page)."""
    decision = RoutingDecision(queue=None)
    for rule in active_rules() if rules is None else rules:
        failed = rule_mismatches(rule, facts)
        if explain:
            decision.checked.append((rule, failed))
        if not failed and decision.rule is None:
            decision.queue, decision.rule = rule.queue, rule
            if not explain:
                return decision
    if decision.queue is None:
        decision.queue = default_queue()
    return decision


def facts_for_case(case: Case, rules: Sequence[RoutingRule]) -> CaseFacts:
    """The case's facts; the client's region and tier are read only when a rule asks."""
    region_id = tier_id = None
    if case.company_id is not None and any(r.region_id or r.tier_id for r in rules):
        row = (
            Company.objects.filter(pk=case.company_id)
            .values_list("region_id", "service_tier_id")
            .first()
        )
        if row is not None:
            region_id, tier_id = row
    return CaseFacts(
        category_id=case.category_id,
        product_id=case.product_id,
        region_id=region_id,
        tier_id=tier_id,
        channel=case.channel,
    )


# --- routing a case -----------------------------------------------------------------------------


def _case_url(case: Case) -> str:
    try:
        return reverse("service:case_detail", args=[case.pk])
    except NoReverseMatch:  # the case pages are not installed (partial deployments, tests)
        return ""


def _pick_agent(queue: Queue) -> User | None:
    """Choose the agent under a lock on the queue row, advancing the round robin."""
    if queue.method == Queue.Method.MANUAL:
        return None
    locked = Queue.objects.select_for_update().only("id", "last_assigned_id").get(pk=queue.pk)
    agents = list(case_agents(queue.team_id))
    if queue.method == Queue.Method.ROUND_ROBIN:
        agent = next_in_round(agents, locked.last_assigned_id)
        if agent is not None:
            Queue.objects.filter(pk=queue.pk).update(last_assigned=agent)
            queue.last_assigned = agent
        return agent
    return least_loaded(agents)


def route_case(*, case: Case, actor: User | None) -> Case:
    """Put a new case in its queue and, by the queue's method, with an agent.

    A case that already has a queue (mail to a queue's address, chosen by hand) keeps it; one
    that already has an agent keeps them. Records a CaseEvent, an audit entry and notifies the
    agent. Leaves the case alone when there is no queue to send it to."""
    with transaction.atomic():
        rule: RoutingRule | None = None
        if case.queue_id is None:
            rules = active_rules()
            decision = choose_queue(facts_for_case(case, rules), rules=rules)
            if decision.queue is None:
                return case
            queue, rule = decision.queue, decision.rule
        else:
            cached = case._state.fields_cache.get("queue")
            queue = cached if cached is not None else Queue.objects.get(pk=case.queue_id)
        owner = _pick_agent(queue) if case.owner_id is None else None

        before = {"queue": case.queue_id, "team": case.team_id, "owner": case.owner_id}
        case.queue = queue
        case.team_id = queue.team_id
        if owner is not None:
            case.owner = owner
        after = {"queue": case.queue_id, "team": case.team_id, "owner": case.owner_id}
        changes = audit.diff(before, after)
        if not changes:
            return case
        Case.objects.filter(pk=case.pk).update(
            queue=queue, team_id=queue.team_id, owner_id=case.owner_id
        )
        if rule is not None:
            reason = _("Routing rule “%(rule)s”") % {"rule": rule.name}
        elif "queue" in changes:
            reason = _("Default queue")
        else:
            reason = ""
        if owner is not None:
            reason = ", ".join(
                part for part in (reason, str(Queue.Method(queue.method).label)) if part
            )
        CaseEvent.objects.create(
            case=case,
            kind=CaseEvent.Kind.ASSIGNED,
            actor=actor if getattr(actor, "pk", None) else None,
            from_value="",
            to_value=" · ".join(str(v) for v in (queue, owner) if v is not None)[:255],
            reason=reason,
        )
        audit.record(
            actor=actor,
            action=AuditEntry.Kind.CHANGE,
            obj=case,
            changes=changes,
            related=case.company if case.company_id else None,
            message=reason[:300],
        )
        if owner is not None and (actor is None or owner.pk != actor.pk):
            with translation.override(owner.language or None):
                text = _("Case %(reference)s is assigned to you: %(subject)s") % {
                    "reference": case.reference,
                    "subject": case.subject,
                }
            Notification.objects.create(
                user=owner,
                text=text[:300],
                url=_case_url(case),
                dedupe_key=f"case-assigned:{case.pk}:{owner.pk}",
            )
    return case


@receiver(case_opened, dispatch_uid="accord.service.routing.route_opened_case")
def _route_opened_case(sender: Any, case: Case, actor: User | None = None, **kwargs: Any) -> None:
    route_case(case=case, actor=actor)


# --- optimistic locking without a version column -----------------------------------------------


def record_version(obj: Queue | RoutingRule) -> int:
    """A fingerprint of the record's stored values: an edit form carries it back, and a save
    is refused when the record changed meanwhile (queues and rules have no version column)."""
    data = json.dumps(audit.snapshot(obj), sort_keys=True, default=str)
    return zlib.crc32(data.encode())


def _check_version(obj: Queue | RoutingRule, expected: int | None) -> None:
    if expected is not None and record_version(obj) != expected:
        raise ConflictError(record_version(obj))


def _reject_unknown(fields: dict[str, Any], allowed: Sequence[str]) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise ValidationError({name: [_("Unknown field.")] for name in sorted(unknown)})


def _created_changes(obj: Any) -> dict[str, list[Any]]:
    return {k: [None, v] for k, v in audit.snapshot(obj).items() if v not in (None, "", False)}


# --- queues -------------------------------------------------------------------------------------

QUEUE_FIELDS = (
    "name",
    "name_ru",
    "name_fr",
    "name_de",
    "team",
    "method",
    "email",
    "supervisor",
    "is_default",
    "is_active",
    "position",
)


def _clean_queue(queue: Queue, *, was_default: bool) -> None:
    errors: dict[str, list[str]] = {}
    queue.name = (queue.name or "").strip()
    for lang in ("ru", "fr", "de"):
        setattr(queue, f"name_{lang}", (getattr(queue, f"name_{lang}") or "").strip())
    queue.email = (queue.email or "").strip().lower()
    if not queue.name:
        errors["name"] = [_("Give the queue a name.")]
    elif Queue.objects.filter(name__iexact=queue.name).exclude(pk=queue.pk).exists():
        errors["name"] = [_("Another queue already has this name.")]
    if queue.team_id is None:
        errors["team"] = [_("Choose the team that works this queue.")]
    if queue.method not in Queue.Method.values:
        errors["method"] = [_("Choose how cases are handed out.")]
    if (
        queue.email
        and Queue.objects.filter(email__iexact=queue.email).exclude(pk=queue.pk).exists()
    ):
        errors["email"] = [_("Another queue already receives mail at this address.")]
    if queue.supervisor is not None and not queue.supervisor.is_active:
        errors["supervisor"] = [_("This user is deactivated.")]
    if was_default and not queue.is_default:
        errors["is_default"] = [
            _("Cases no rule matches go to the default queue: make another queue the default.")
        ]
    if queue.is_default and not queue.is_active:
        errors["is_active"] = [_("The default queue cannot be deactivated.")]
    if (
        not queue.is_active
        and queue.pk
        and RoutingRule.objects.filter(queue=queue, is_active=True).exists()
    ):
        errors.setdefault("is_active", []).append(
            _("Active routing rules send cases to this queue: change or deactivate them first.")
        )
    if errors:
        raise ValidationError(errors)
    queue.full_clean(exclude=["is_default"])


def _take_default(queue: Queue, actor: User) -> None:
    """Only one default queue: the previous one gives the flag up (audited)."""
    for previous in Queue.objects.select_for_update().filter(is_default=True).exclude(pk=queue.pk):
        Queue.objects.filter(pk=previous.pk).update(is_default=False)
        audit.record(
            actor=actor,
            action=AuditEntry.Kind.CHANGE,
            obj=previous,
            changes={"is_default": [True, False]},
        )


@transaction.atomic
def queue_create(*, actor: User, fields: dict[str, Any]) -> Queue:
    """A new queue, placed after the others unless a position is given."""
    require_queue_manager(actor)
    _reject_unknown(fields, QUEUE_FIELDS)
    values = dict(fields)
    if values.get("position") is None:
        last = Queue.objects.aggregate(last=Max("position"))["last"]
        values["position"] = (last + 1) if last is not None else 0
    queue = Queue(**values)
    _clean_queue(queue, was_default=False)
    if queue.is_default:
        _take_default(queue, actor)
    queue.save()
    audit.record(
        actor=actor, action=AuditEntry.Kind.CREATE, obj=queue, changes=_created_changes(queue)
    )
    return queue


@transaction.atomic
def queue_update(
    *, actor: User, queue: Queue, fields: dict[str, Any], version: int | None = None
) -> Queue:
    """Change a queue; ``version`` is :func:`record_version` as the editor saw it."""
    require_queue_manager(actor)
    _reject_unknown(fields, QUEUE_FIELDS)
    locked = Queue.objects.select_for_update().get(pk=queue.pk)
    _check_version(locked, version)
    before = audit.snapshot(locked)
    was_default = locked.is_default
    for name, value in fields.items():
        setattr(locked, name, value)
    if locked.position is None:
        locked.position = queue.position
    _clean_queue(locked, was_default=was_default)
    changes = audit.diff(before, audit.snapshot(locked))
    if changes:
        if "team_id" in changes:
            locked.last_assigned = None  # a new team starts its round from its first member
        if locked.is_default and not was_default:
            _take_default(locked, actor)
        locked.save()
        audit.record(actor=actor, action=AuditEntry.Kind.CHANGE, obj=locked, changes=changes)
    return locked


@transaction.atomic
def queue_delete(*, actor: User, queue: Queue) -> None:
    """Delete a queue nobody used; one with cases or rules is deactivated instead."""
    require_queue_manager(actor)
    locked = Queue.objects.select_for_update().get(pk=queue.pk)
    errors = []
    if locked.is_default:
        errors.append(_("The default queue cannot be deleted: make another queue the default."))
    if Case.objects.filter(queue=locked).exists():
        errors.append(_("This queue has cases: deactivate it instead of deleting it."))
    if RoutingRule.objects.filter(queue=locked).exists():
        errors.append(_("Routing rules send cases to this queue: change or delete them first."))
    if errors:
        raise ValidationError({"queue": errors})
    entry = audit.build(
        actor=actor,
        action=AuditEntry.Kind.DELETE,
        obj=locked,
        changes={k: [v, None] for k, v in audit.snapshot(locked).items() if v not in (None, "")},
    )
    locked.delete()
    entry.save()


# --- routing rules ------------------------------------------------------------------------------

RULE_FIELDS = ("name", "is_active", "queue", *CONDITION_FIELDS)


def _clean_rule(rule: RoutingRule) -> None:
    errors: dict[str, list[str]] = {}
    rule.name = (rule.name or "").strip()
    rule.channel = rule.channel or ""
    if not rule.name:
        errors["name"] = [_("Give the rule a name.")]
    if rule.queue_id is None:
        errors["queue"] = [_("Choose the queue the matching cases go to.")]
    elif rule.is_active and not rule.queue.is_active:
        errors["queue"] = [_("This queue is inactive: an active rule cannot send cases to it.")]
    if rule.region is not None and rule.region.picklist != Picklist.REGION:
        errors["region"] = [_("Not a region.")]
    if rule.tier is not None and rule.tier.picklist != Picklist.CLIENT_TIER:
        errors["tier"] = [_("Not a client tier.")]
    if rule.channel and rule.channel not in Case.Channel.values:
        errors["channel"] = [_("Unknown channel.")]
    if errors:
        raise ValidationError(errors)
    rule.full_clean()


@transaction.atomic
def routing_rule_create(*, actor: User, fields: dict[str, Any]) -> RoutingRule:
    """Add a rule at the end of the list (the first matching rule wins)."""
    require_queue_manager(actor)
    _reject_unknown(fields, RULE_FIELDS)
    last = RoutingRule.objects.aggregate(last=Max("position"))["last"]
    rule = RoutingRule(**fields, position=(last + 1) if last is not None else 0)
    _clean_rule(rule)
    rule.save()
    audit.record(
        actor=actor, action=AuditEntry.Kind.CREATE, obj=rule, changes=_created_changes(rule)
    )
    return rule


@transaction.atomic
def routing_rule_update(
    *, actor: User, rule: RoutingRule, fields: dict[str, Any], version: int | None = None
) -> RoutingRule:
    """Change a rule's conditions, queue or name; (de)activating is a change of ``is_active``."""
    require_queue_manager(actor)
    _reject_unknown(fields, RULE_FIELDS)
    locked = RoutingRule.objects.select_for_update().get(pk=rule.pk)
    _check_version(locked, version)
    before = audit.snapshot(locked)
    for name, value in fields.items():
        setattr(locked, name, value)
    _clean_rule(locked)
    changes = audit.diff(before, audit.snapshot(locked))
    if changes:
        locked.save()
        audit.record(actor=actor, action=AuditEntry.Kind.CHANGE, obj=locked, changes=changes)
    return locked


@transaction.atomic
def routing_rule_reorder(*, actor: User, ordered_ids: Sequence[int]) -> None:
    """Put the rules in this order; audited per moved rule."""
    require_queue_manager(actor)
    apply_order(
        actor=actor, queryset=RoutingRule.objects.all(), ordered_ids=ordered_ids, field="order"
    )


def routing_rule_move(*, actor: User, rule: RoutingRule, offset: int) -> None:
    """Move one rule up (-1) or down (+1)."""
    require_queue_manager(actor)
    ids = RoutingRule.objects.order_by("position", "id").values_list("pk", flat=True)
    routing_rule_reorder(actor=actor, ordered_ids=moved_order(ids, rule.pk, offset))


@transaction.atomic
def routing_rule_delete(*, actor: User, rule: RoutingRule) -> None:
    require_queue_manager(actor)
    entry = audit.build(
        actor=actor,
        action=AuditEntry.Kind.DELETE,
        obj=rule,
        changes={k: [v, None] for k, v in audit.snapshot(rule).items() if v not in (None, "")},
    )
    rule.delete()
    entry.save()
