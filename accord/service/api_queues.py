"""Queues, routing rules and the contact-centre board over the REST API (V3, I3).

The same services and the same board selector as the pages: the board's numbers are those of
the cases the caller may see; queues and rules are changed by administrators and the head of
service only (403 otherwise). Bad input answers 422 naming the field, a stale ``version`` 409.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Query, Router, Schema, Status

from accord.catalog.models import Product
from accord.core.api import authed_user
from accord.core.models import PicklistOption, Team, User
from accord.core.permissions import Action, Scope, user_scope
from accord.service import routing
from accord.service.models import Case, Category, Queue, RoutingRule
from accord.service.views_queues import QueueCard, board_for
from accord.sla.models import Priority

router = Router(tags=["service queues"])


# --- schemas ---------------------------------------------------------------------------------


class QueueOut(Schema):
    id: int
    name: str
    name_ru: str
    name_fr: str
    name_de: str
    team: int
    method: str
    email: str
    supervisor: int | None
    is_default: bool
    is_active: bool
    position: int
    version: int


class QueueIn(Schema):
    name: str
    name_ru: str = ""
    name_fr: str = ""
    name_de: str = ""
    team: int
    method: str = Queue.Method.ROUND_ROBIN
    email: str = ""
    supervisor: int | None = None
    is_default: bool = False
    is_active: bool = True
    position: int | None = None


class QueuePatch(Schema):
    version: int
    name: str | None = None
    name_ru: str | None = None
    name_fr: str | None = None
    name_de: str | None = None
    team: int | None = None
    method: str | None = None
    email: str | None = None
    supervisor: int | None = None
    is_default: bool | None = None
    is_active: bool | None = None
    position: int | None = None


class RuleOut(Schema):
    id: int
    name: str
    position: int
    is_active: bool
    category: int | None
    product: int | None
    region: int | None
    tier: int | None
    channel: str
    queue: int
    version: int


class RuleIn(Schema):
    name: str
    queue: int
    is_active: bool = True
    category: int | None = None
    product: int | None = None
    region: int | None = None
    tier: int | None = None
    channel: str = ""


class RulePatch(Schema):
    version: int
    name: str | None = None
    queue: int | None = None
    is_active: bool | None = None
    category: int | None = None
    product: int | None = None
    region: int | None = None
    tier: int | None = None
    channel: str | None = None


class RuleOrderIn(Schema):
    ids: list[int]


class PreviewIn(Schema):
    category: int | None = None
    product: int | None = None
    region: int | None = None
    tier: int | None = None
    channel: str = ""


class CheckedRuleOut(Schema):
    rule: int
    name: str
    matches: bool
    failed: list[str]


class RoutingPreviewOut(Schema):
    queue: int | None
    rule: int | None
    agent: int | None
    checked: list[CheckedRuleOut]


class BoardFilters(Schema):
    queue: int | None = None
    priority: str | None = None
    category: int | None = None


class AgentLoadOut(Schema):
    agent: int | None
    name: str
    open: int
    breached: int


class CardOut(Schema):
    queue: int | None
    name: str
    total: int
    unassigned: int
    ages: dict[str, int]
    sla: dict[str, int]
    agents: list[AgentLoadOut]


class BoardCaseOut(Schema):
    id: int
    reference: str
    subject: str
    queue: int | None
    owner: int | None
    priority: str
    status: str
    created_at: Any
    next_due: Any = None


class BoardOut(Schema):
    generated_at: Any
    totals: CardOut
    queues: list[CardOut]
    oldest: list[BoardCaseOut]
    most_urgent: list[BoardCaseOut]


# --- helpers ---------------------------------------------------------------------------------


def _queue_out(queue: Queue) -> dict[str, Any]:
    return {
        "id": queue.pk,
        "name": queue.name,
        "name_ru": queue.name_ru,
        "name_fr": queue.name_fr,
        "name_de": queue.name_de,
        "team": queue.team_id,
        "method": queue.method,
        "email": queue.email,
        "supervisor": queue.supervisor_id,
        "is_default": queue.is_default,
        "is_active": queue.is_active,
        "position": queue.position,
        "version": routing.record_version(queue),
    }


def _rule_out(rule: RoutingRule) -> dict[str, Any]:
    return {
        "id": rule.pk,
        "name": rule.name,
        "position": rule.position,
        "is_active": rule.is_active,
        "category": rule.category_id,
        "product": rule.product_id,
        "region": rule.region_id,
        "tier": rule.tier_id,
        "channel": rule.channel,
        "queue": rule.queue_id,
        "version": routing.record_version(rule),
    }


# field -> (model, message when the id is unknown)
_REFERENCES: dict[str, tuple[Any, Any]] = {
    "team": (Team, gettext_lazy("No team with this id.")),
    "supervisor": (User, gettext_lazy("No user with this id.")),
    "queue": (Queue, gettext_lazy("No queue with this id.")),
    "category": (Category, gettext_lazy("No category with this id.")),
    "product": (Product, gettext_lazy("No product with this id.")),
    "region": (PicklistOption, gettext_lazy("No option with this id.")),
    "tier": (PicklistOption, gettext_lazy("No option with this id.")),
}


def _resolve(fields: dict[str, Any]) -> dict[str, Any]:
    """Ids to records; every unknown id is reported at once, by field."""
    errors: dict[str, list[str]] = {}
    resolved = dict(fields)
    for name, (model, message) in _REFERENCES.items():
        if name not in fields or fields[name] is None:
            continue
        found = model.objects.filter(pk=fields[name]).first()
        if found is None:
            errors[name] = [str(message)]
        resolved[name] = found
    if errors:
        raise ValidationError(errors)
    return resolved


def _card_out(card: QueueCard, name: str) -> dict[str, Any]:
    return {
        "queue": card.queue.pk if card.queue is not None else None,
        "name": name,
        "total": card.total,
        "unassigned": card.unassigned,
        "ages": {key: count for key, _label, count in card.ages},
        "sla": {key: count for key, _label, count in card.sla},
        "agents": [
            {
                "agent": load.agent.pk if load.agent else None,
                "name": str(load.agent or ""),
                "open": load.open,
                "breached": load.breached,
            }
            for load in card.agents
        ],
    }


def _case_out(case: Case) -> dict[str, Any]:
    return {
        "id": case.pk,
        "reference": case.reference,
        "subject": case.subject,
        "queue": case.queue_id,
        "owner": case.owner_id,
        "priority": case.priority,
        "status": case.status,
        "created_at": case.created_at,
        "next_due": getattr(case, "next_due", None),
    }


# --- board -----------------------------------------------------------------------------------


@router.get("/service/board", response=BoardOut, summary="The contact-centre board")
def board(request: HttpRequest, filters: Query[BoardFilters]) -> dict[str, Any]:
    """Open cases per queue by age bucket (``age_1h``, ``age_4h``, ``age_24h``, ``age_3d``,
    ``age_older``) and SLA state (``on_track``, ``warning``, ``breached``, ``paused``),
    unassigned, per-agent load, the oldest and most urgent cases: of the cases you may see."""
    user = authed_user(request)
    if user_scope(user, "case", Action.VIEW) == Scope.NONE:
        raise PermissionDenied
    values = filters.model_dump()
    if values["priority"] is not None and values["priority"] not in Priority.values:
        raise ValidationError({"priority": [_("Unknown priority.")]})
    queues = list(Queue.objects.select_related("team").order_by("position", "id"))
    result = board_for(user, values, queues=queues)
    return {
        "generated_at": result.now,
        "totals": _card_out(result.totals, str(_("All open cases"))),
        "queues": [
            _card_out(card, str(card.queue) if card.queue else str(_("Not in a queue")))
            for card in result.cards
        ],
        "oldest": [_case_out(c) for c in result.oldest],
        "most_urgent": [_case_out(c) for c in result.urgent],
    }


# --- queues ----------------------------------------------------------------------------------


@router.get("/service/queues", response=list[QueueOut], summary="Queues")
def queue_list(request: HttpRequest) -> list[dict[str, Any]]:
    """Every queue (those who work cases need them to hand cases over)."""
    user = authed_user(request)
    if user_scope(user, "case", Action.VIEW) == Scope.NONE and not routing.may_manage_queues(user):
        raise PermissionDenied
    return [_queue_out(q) for q in Queue.objects.order_by("position", "id")]


@router.post("/service/queues", response={201: QueueOut}, summary="Create a queue")
def queue_create(request: HttpRequest, payload: QueueIn) -> Status[dict[str, Any]]:
    user = authed_user(request)
    routing.require_queue_manager(user)
    queue = routing.queue_create(actor=user, fields=_resolve(payload.model_dump()))
    return Status(201, _queue_out(queue))


@router.patch("/service/queues/{int:queue_id}", response=QueueOut, summary="Change a queue")
def queue_update(request: HttpRequest, queue_id: int, payload: QueuePatch) -> dict[str, Any]:
    user = authed_user(request)
    routing.require_queue_manager(user)
    queue = get_object_or_404(Queue, pk=queue_id)
    fields = payload.model_dump(exclude_unset=True)
    version = fields.pop("version")
    updated = routing.queue_update(
        actor=user, queue=queue, fields=_resolve(fields), version=version
    )
    return _queue_out(updated)


@router.delete("/service/queues/{int:queue_id}", response={204: None}, summary="Delete a queue")
def queue_delete(request: HttpRequest, queue_id: int) -> Status[None]:
    user = authed_user(request)
    routing.require_queue_manager(user)
    routing.queue_delete(actor=user, queue=get_object_or_404(Queue, pk=queue_id))
    return Status(204, None)


# --- routing rules ---------------------------------------------------------------------------


@router.get("/service/routing-rules", response=list[RuleOut], summary="Routing rules, in order")
def rule_list(request: HttpRequest) -> list[dict[str, Any]]:
    routing.require_queue_manager(authed_user(request))
    return [_rule_out(r) for r in RoutingRule.objects.order_by("position", "id")]


@router.post("/service/routing-rules", response={201: RuleOut}, summary="Add a routing rule")
def rule_create(request: HttpRequest, payload: RuleIn) -> Status[dict[str, Any]]:
    user = authed_user(request)
    routing.require_queue_manager(user)
    rule = routing.routing_rule_create(actor=user, fields=_resolve(payload.model_dump()))
    return Status(201, _rule_out(rule))


@router.patch(
    "/service/routing-rules/{int:rule_id}", response=RuleOut, summary="Change a routing rule"
)
def rule_update(request: HttpRequest, rule_id: int, payload: RulePatch) -> dict[str, Any]:
    user = authed_user(request)
    routing.require_queue_manager(user)
    rule = get_object_or_404(RoutingRule, pk=rule_id)
    fields = payload.model_dump(exclude_unset=True)
    version = fields.pop("version")
    updated = routing.routing_rule_update(
        actor=user, rule=rule, fields=_resolve(fields), version=version
    )
    return _rule_out(updated)


@router.delete(
    "/service/routing-rules/{int:rule_id}", response={204: None}, summary="Delete a routing rule"
)
def rule_delete(request: HttpRequest, rule_id: int) -> Status[None]:
    user = authed_user(request)
    routing.require_queue_manager(user)
    routing.routing_rule_delete(actor=user, rule=get_object_or_404(RoutingRule, pk=rule_id))
    return Status(204, None)


@router.post(
    "/service/routing-rules/order", response=list[RuleOut], summary="Put the rules in order"
)
def rule_order(request: HttpRequest, payload: RuleOrderIn) -> list[dict[str, Any]]:
    user = authed_user(request)
    routing.routing_rule_reorder(actor=user, ordered_ids=payload.ids)
    return [_rule_out(r) for r in RoutingRule.objects.order_by("position", "id")]


@router.post(
    "/service/routing-rules/preview",
    response=RoutingPreviewOut,
    summary="Which rule would route a case",
)
def rule_preview(request: HttpRequest, payload: PreviewIn) -> dict[str, Any]:
    """Changes nothing: the round robin does not advance."""
    routing.require_queue_manager(authed_user(request))
    values = _resolve(payload.model_dump())
    if values["channel"] and values["channel"] not in Case.Channel.values:
        raise ValidationError({"channel": [_("Unknown channel.")]})
    facts = routing.CaseFacts(
        category_id=values["category"].pk if values["category"] else None,
        product_id=values["product"].pk if values["product"] else None,
        region_id=values["region"].pk if values["region"] else None,
        tier_id=values["tier"].pk if values["tier"] else None,
        channel=values["channel"],
    )
    decision = routing.choose_queue(facts, explain=True)
    agent = routing.preview_agent(decision.queue) if decision.queue is not None else None
    return {
        "queue": decision.queue.pk if decision.queue else None,
        "rule": decision.rule.pk if decision.rule else None,
        "agent": agent.pk if agent else None,
        "checked": [
            {"rule": rule.pk, "name": rule.name, "matches": not failed, "failed": failed}
            for rule, failed in decision.checked
        ],
    }
