"""The contact-centre board (V3) and the administration of queues and routing rules.

The board counts open cases per queue by age and SLA state with two grouped queries over
open cases only (index case_board_idx), lists per-agent load and the oldest and most urgent
cases, and refreshes itself every 15 seconds through an htmx fragment. Everything it counts
comes through the case record rule, so a user sees the numbers of the cases they may see.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case as SqlCase
from django.db.models import Count, F, Q, QuerySet, When
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accord.core.errors import ConflictError
from accord.core.http import AuthedHttpRequest
from accord.core.models import User
from accord.core.permissions import Action, Scope, team_ids, user_scope
from accord.service import routing
from accord.service.forms_queues import (
    BoardFilterForm,
    QueueForm,
    RoutingPreviewForm,
    RoutingRuleForm,
    apply_service_errors,
)
from accord.service.models import Case, Category, Queue, RoutingRule
from accord.service.selectors import cases_visible_to

OPEN_STATUSES = routing.OPEN_STATUSES
BOARD_LIST_SIZE = 10
TOP_AGENTS = 8

# (key, label, older than, at most this old)
AGE_BUCKETS: tuple[tuple[str, Any, timedelta | None, timedelta | None], ...] = (
    ("age_1h", gettext_lazy("< 1 h"), None, timedelta(hours=1)),
    ("age_4h", gettext_lazy("1–4 h"), timedelta(hours=1), timedelta(hours=4)),
    ("age_24h", gettext_lazy("4–24 h"), timedelta(hours=4), timedelta(hours=24)),
    ("age_3d", gettext_lazy("1–3 days"), timedelta(hours=24), timedelta(days=3)),
    ("age_older", gettext_lazy("> 3 days"), timedelta(days=3), None),
)
# Each open case is in exactly one SLA state; a breach outranks a pause, a pause a warning.
BREACHED = Q(first_response_breached=True) | Q(resolution_breached=True)
PAUSED = ~BREACHED & Q(status=Case.Status.WAITING)
WARNING = ~BREACHED & ~Q(status=Case.Status.WAITING) & Q(sla_warned_at__isnull=False)
SLA_STATES: tuple[tuple[str, Any], ...] = (
    ("on_track", gettext_lazy("On track")),
    ("warning", gettext_lazy("Warning")),
    ("breached", gettext_lazy("Breached")),
    ("paused", gettext_lazy("Paused (waiting for client)")),
)


# --- the board's numbers ----------------------------------------------------------------------


@dataclass
class AgentLoad:
    agent: User | None
    open: int
    breached: int


@dataclass
class QueueCard:
    """One queue on the board (``queue`` None: open cases not routed to any queue)."""

    queue: Queue | None
    total: int = 0
    unassigned: int = 0
    ages: list[tuple[str, Any, int]] = field(default_factory=list)
    sla: list[tuple[str, Any, int]] = field(default_factory=list)
    agents: list[AgentLoad] = field(default_factory=list)
    more_agents: int = 0
    list_url: str = ""  # the case list showing these open cases

    @property
    def unassigned_url(self) -> str:
        return f"{self.list_url}&assigned=unassigned" if self.list_url else ""

    @property
    def key(self) -> str:
        return str(self.queue.pk) if self.queue is not None else "none"


@dataclass
class Board:
    cards: list[QueueCard]
    totals: QueueCard
    oldest: Sequence[Case]
    urgent: Sequence[Case]
    queues: list[Queue]
    now: datetime


def board_cases(user: User, filters: dict[str, Any]) -> QuerySet[Case]:
    """Open cases the user may see, narrowed by the board's filters."""
    cases = cases_visible_to(user).filter(status__in=OPEN_STATUSES)
    if filters.get("queue"):
        cases = cases.filter(queue_id=filters["queue"])
    if filters.get("priority"):
        cases = cases.filter(priority=filters["priority"])
    if filters.get("category"):
        cases = cases.filter(category_id=filters["category"])
    return cases


def _grouped_counts(cases: QuerySet[Case], now: datetime) -> list[dict[str, Any]]:
    """One scan of the open cases, grouped by queue and agent: every number of the board
    (per queue, per agent, in total) is a sum of these rows."""
    aggregates: dict[str, Any] = {
        "total": Count("id"),
        "breached": Count("id", filter=BREACHED),
        "paused": Count("id", filter=PAUSED),
        "warning": Count("id", filter=WARNING),
    }
    for key, _label, older_than, newest in AGE_BUCKETS:
        condition = Q()
        if older_than is not None:
            condition &= Q(created_at__lte=now - older_than)
        if newest is not None:
            condition &= Q(created_at__gt=now - newest)
        aggregates[key] = Count("id", filter=condition)
    return [
        dict(row) for row in cases.order_by().values("queue_id", "owner_id").annotate(**aggregates)
    ]


def _per_queue(rows: list[dict[str, Any]]) -> dict[int | None, dict[str, int]]:
    counts: dict[int | None, dict[str, int]] = {}
    for row in rows:
        entry = counts.setdefault(row["queue_id"], {"unassigned": 0})
        for key, value in row.items():
            if key not in ("queue_id", "owner_id"):
                entry[key] = entry.get(key, 0) + value
        if row["owner_id"] is None:
            entry["unassigned"] += row["total"]
    return counts


def _shown_queues(user: User, all_queues: list[Queue], with_cases: set[int | None]) -> list[Queue]:
    """Every active queue for those who see all cases, their teams' queues for team scope,
    and any queue holding cases they may see."""
    scope = user_scope(user, "case", Action.VIEW)
    teams = set(team_ids(user)) if scope == Scope.TEAM else set()
    return [
        q
        for q in all_queues
        if q.pk in with_cases or (q.is_active and (scope == Scope.ALL or q.team_id in teams))
    ]


def _card(queue: Queue | None, row: dict[str, int] | None) -> QueueCard:
    row = row or {}
    total = row.get("total", 0)
    states = {name: row.get(name, 0) for name in ("warning", "breached", "paused")}
    states["on_track"] = total - sum(states.values())
    return QueueCard(
        queue=queue,
        total=total,
        unassigned=row.get("unassigned", 0),
        ages=[(key, label, row.get(key, 0)) for key, label, _o, _n in AGE_BUCKETS],
        sla=[(key, label, states[key]) for key, label in SLA_STATES],
    )


def urgency() -> SqlCase:
    """The next deadline of a case: its first response while none was sent, else resolution."""
    return SqlCase(
        When(
            Q(first_responded_at__isnull=True) & Q(first_response_due_at__isnull=False),
            then=F("first_response_due_at"),
        ),
        default=F("resolution_due_at"),
    )


def _listed_cases(cases: QuerySet[Case]) -> tuple[list[Case], list[Case]]:
    """The oldest and the most urgent open cases: their ids first (from the index, without
    reading every open row's joins), then the few rows the page shows, in one query."""
    oldest_ids = list(
        cases.order_by("created_at", "id").values_list("id", flat=True)[:BOARD_LIST_SIZE]
    )
    urgent_due = list(
        cases.filter(Q(first_response_due_at__isnull=False) | Q(resolution_due_at__isnull=False))
        .annotate(next_due=urgency())
        .order_by(F("next_due").asc(nulls_last=True), "created_at", "id")
        .values_list("id", "next_due")[:BOARD_LIST_SIZE]
    )
    wanted = {*oldest_ids, *(pk for pk, _due in urgent_due)}
    found = (
        Case.objects.filter(pk__in=wanted)
        .select_related("queue", "owner", "category")
        .defer("description", "custom")
        .in_bulk()
        if wanted
        else {}
    )
    oldest = [found[pk] for pk in oldest_ids if pk in found]
    urgent = []
    for pk, due in urgent_due:
        if pk in found:
            case = copy.copy(found[pk])
            case.next_due = due  # type: ignore[attr-defined]
            urgent.append(case)
    return oldest, urgent


def _team_agents(team_ids: set[int]) -> list[tuple[int, int]]:
    """(team, user) of the active members of these teams who may work cases (one query)."""
    if not team_ids:
        return []
    agents = (
        User.objects.filter(is_active=True)
        .filter(
            Q(is_superuser=True)
            | Q(
                roles__grants__object_type="case",
                roles__grants__action="change",
                roles__grants__scope__gt=0,
            )
        )
        .values("pk")
    )
    through = User.teams.through
    return list(
        through.objects.filter(team_id__in=team_ids, user_id__in=agents)
        .order_by("user_id")
        .values_list("team_id", "user_id")
    )


def _add_agent(card: QueueCard, load: AgentLoad) -> None:
    if len(card.agents) < TOP_AGENTS:
        card.agents.append(load)
    else:
        card.more_agents += 1


def _link_cards(cards: list[QueueCard], filters: dict[str, Any]) -> None:
    """Each card's numbers open the case list with the same cases (open, this queue, the
    board's filters)."""
    try:
        base = reverse("service:case_list")
    except NoReverseMatch:  # the case pages are not installed
        return
    params = {"status": "open"}
    params.update({k: str(v) for k, v in filters.items() if k != "queue" and v})
    for card in cards:
        if card.queue is not None:
            card.list_url = f"{base}?{urlencode({**params, 'queue': card.queue.pk})}"


def board_for(user: User, filters: dict[str, Any], *, queues: list[Queue]) -> Board:
    """The board's numbers in a fixed number of queries, whatever the number of cases."""
    now = timezone.now()
    cases = board_cases(user, filters)
    rows = _grouped_counts(cases, now)
    counts = _per_queue(rows)
    loads = [row for row in rows if row["owner_id"] is not None]
    shown = _shown_queues(user, queues, set(counts))
    if filters.get("queue"):
        shown = [q for q in shown if q.pk == filters["queue"]]
    members = _team_agents({q.team_id for q in shown})
    users = {
        u.pk: u
        for u in User.objects.filter(
            pk__in={row["owner_id"] for row in loads} | {pk for _team, pk in members}
        )
        .order_by()
        .only("id", "username", "first_name", "last_name")
    }
    cards = {q.pk: _card(q, counts.get(q.pk)) for q in shown}
    if None in counts and not filters.get("queue"):
        cards[None] = _card(None, counts[None])  # type: ignore[index]
    loaded: set[tuple[int | None, int]] = set()
    for row in sorted(loads, key=lambda r: (-r["total"], r["owner_id"])):
        card = cards.get(row["queue_id"])
        if card is not None:
            loaded.add((row["queue_id"], row["owner_id"]))
            _add_agent(card, AgentLoad(users.get(row["owner_id"]), row["total"], row["breached"]))
    # team members with nothing open in the queue: who can take the next case
    for queue in shown:
        for team_id, pk in members:
            if team_id == queue.team_id and (queue.pk, pk) not in loaded:
                _add_agent(cards[queue.pk], AgentLoad(users.get(pk), 0, 0))
    total_row: dict[str, int] = {}
    for entry in counts.values():
        for key, value in entry.items():
            total_row[key] = total_row.get(key, 0) + value
    oldest, urgent = _listed_cases(cases)
    _link_cards([*cards.values()], filters)
    return Board(
        cards=list(cards.values()),
        totals=_card(None, total_row),
        oldest=oldest,
        urgent=urgent,
        queues=shown,
        now=now,
    )


def _board_context(request: AuthedHttpRequest) -> dict[str, Any]:
    if user_scope(request.user, "case", Action.VIEW) == Scope.NONE:
        raise PermissionDenied
    queues = list(Queue.objects.select_related("team").order_by("position", "id"))
    categories = list(Category.objects.filter(is_active=True))
    form = BoardFilterForm(request.GET, queues=queues, categories=categories)
    filters = form.filters()
    board = board_for(request.user, filters, queues=queues)
    query = request.GET.urlencode()
    return {"board": board, "form": form, "filters": filters, "query": query}


@login_required
@require_GET
def board(request: AuthedHttpRequest) -> HttpResponse:
    """The contact-centre board: the page around the live fragment."""
    context = _board_context(request)
    context["may_manage"] = routing.may_manage_queues(request.user)
    return render(request, "service/board.html", context)


@login_required
@require_GET
def board_live(request: AuthedHttpRequest) -> HttpResponse:
    """The board's numbers alone, fetched by htmx every 15 seconds."""
    return render(request, "service/board_live.html", _board_context(request))


# --- administration: queues -------------------------------------------------------------------


def _save(form: Any, save: Any) -> Any:
    """Call the service; put its complaints on the form. Returns the record or None."""
    try:
        return save()
    except ValidationError as exc:
        apply_service_errors(form, exc)
    except ConflictError:
        form.add_error(
            None,
            _(
                "Someone else changed this while you were editing it. Reload the page to see "
                "their version, then make your change again."
            ),
        )
    return None


def _flash_errors(request: AuthedHttpRequest, exc: ValidationError) -> None:
    for errors in exc.message_dict.values():
        for message in errors:
            messages.error(request, message)


@login_required
def queue_list(request: AuthedHttpRequest) -> HttpResponse:
    routing.require_queue_manager(request.user)
    queues = list(
        Queue.objects.select_related("team", "supervisor")
        .annotate(rule_count=Count("rules", distinct=True))
        .order_by("position", "id")
    )
    return render(request, "service/queue_list.html", {"queues": queues})


@login_required
def queue_create(request: AuthedHttpRequest) -> HttpResponse:
    routing.require_queue_manager(request.user)
    form = QueueForm(
        request.POST or None, initial={"is_active": True, "method": Queue.Method.ROUND_ROBIN}
    )
    if request.method == "POST" and form.is_valid():
        queue = _save(
            form, lambda: routing.queue_create(actor=request.user, fields=form.service_fields())
        )
        if queue is not None:
            messages.success(request, _("Queue “%(name)s” created.") % {"name": queue})
            return redirect("service:queue_list")
    return render(request, "service/queue_form.html", {"form": form, "title": _("New queue")})


@login_required
def queue_edit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    routing.require_queue_manager(request.user)
    queue = get_object_or_404(Queue, pk=pk)
    form = QueueForm(request.POST or None, initial=QueueForm.initial_from(queue))
    if request.method == "POST" and form.is_valid():
        saved = _save(
            form,
            lambda: routing.queue_update(
                actor=request.user,
                queue=queue,
                fields=form.service_fields(),
                version=form.cleaned_data.get("version"),
            ),
        )
        if saved is not None:
            messages.success(request, _("Queue “%(name)s” saved.") % {"name": saved})
            return redirect("service:queue_list")
    title = _("Edit queue “%(name)s”") % {"name": queue}
    return render(
        request, "service/queue_form.html", {"form": form, "title": title, "queue": queue}
    )


@login_required
@require_POST
def queue_delete(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    routing.require_queue_manager(request.user)
    queue = get_object_or_404(Queue, pk=pk)
    name = str(queue)
    try:
        routing.queue_delete(actor=request.user, queue=queue)
    except ValidationError as exc:
        _flash_errors(request, exc)
        return redirect("service:queue_edit", pk=pk)
    messages.success(request, _("Queue “%(name)s” deleted.") % {"name": name})
    return redirect("service:queue_list")


# --- administration: routing rules ------------------------------------------------------------


@login_required
def routing_rules(request: AuthedHttpRequest) -> HttpResponse:
    routing.require_queue_manager(request.user)
    rules = list(
        RoutingRule.objects.select_related(
            "category", "product", "region", "tier", "queue"
        ).order_by("position", "id")
    )
    default = Queue.objects.filter(is_default=True).first()
    return render(
        request,
        "service/routing_rule_list.html",
        {"rules": rules, "default_queue": default, "channel_choices": Case.Channel.choices},
    )


@login_required
def routing_rule_create(request: AuthedHttpRequest) -> HttpResponse:
    routing.require_queue_manager(request.user)
    form = RoutingRuleForm(request.POST or None, initial={"is_active": True})
    if request.method == "POST" and form.is_valid():
        rule = _save(
            form,
            lambda: routing.routing_rule_create(actor=request.user, fields=form.service_fields()),
        )
        if rule is not None:
            messages.success(request, _("Rule “%(name)s” created.") % {"name": rule})
            return redirect("service:routing_rules")
    return render(
        request, "service/routing_rule_form.html", {"form": form, "title": _("New routing rule")}
    )


@login_required
def routing_rule_edit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    routing.require_queue_manager(request.user)
    rule = get_object_or_404(RoutingRule, pk=pk)
    form = RoutingRuleForm(request.POST or None, initial=RoutingRuleForm.initial_from(rule))
    if request.method == "POST" and form.is_valid():
        saved = _save(
            form,
            lambda: routing.routing_rule_update(
                actor=request.user,
                rule=rule,
                fields=form.service_fields(),
                version=form.cleaned_data.get("version"),
            ),
        )
        if saved is not None:
            messages.success(request, _("Rule “%(name)s” saved.") % {"name": saved})
            return redirect("service:routing_rules")
    title = _("Edit routing rule “%(name)s”") % {"name": rule}
    return render(
        request, "service/routing_rule_form.html", {"form": form, "title": title, "rule": rule}
    )


@login_required
@require_POST
def routing_rule_move(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    routing.require_queue_manager(request.user)
    rule = get_object_or_404(RoutingRule, pk=pk)
    offset = -1 if request.POST.get("direction") == "up" else 1
    routing.routing_rule_move(actor=request.user, rule=rule, offset=offset)
    return redirect("service:routing_rules")


@login_required
@require_POST
def routing_rule_toggle(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    routing.require_queue_manager(request.user)
    rule = get_object_or_404(RoutingRule, pk=pk)
    try:
        routing.routing_rule_update(
            actor=request.user, rule=rule, fields={"is_active": not rule.is_active}
        )
    except ValidationError as exc:
        _flash_errors(request, exc)
    return redirect("service:routing_rules")


@login_required
@require_POST
def routing_rule_delete(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    routing.require_queue_manager(request.user)
    rule = get_object_or_404(RoutingRule, pk=pk)
    name = str(rule)
    routing.routing_rule_delete(actor=request.user, rule=rule)
    messages.success(request, _("Rule “%(name)s” deleted.") % {"name": name})
    return redirect("service:routing_rules")


@login_required
@require_GET
def routing_preview(request: AuthedHttpRequest) -> HttpResponse:
    """ "Test a case": which rule would route a case with these facts, to which queue and
    agent. Changes nothing (the round robin does not advance)."""
    routing.require_queue_manager(request.user)
    form = RoutingPreviewForm(request.GET if request.GET else None)
    context: dict[str, Any] = {"form": form}
    if form.is_bound and form.is_valid():
        decision = routing.choose_queue(form.facts(), explain=True)
        context["decision"] = decision
        context["checked"] = [
            {"rule": rule, "failed": failed, "chosen": rule == decision.rule}
            for rule, failed in decision.checked
        ]
        if decision.queue is not None:
            context["agent"] = routing.preview_agent(decision.queue)
    return render(request, "service/routing_preview.html", context)
