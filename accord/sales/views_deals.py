"""Deal pages: the board, the deal page, create/edit, moves, the client-card panel and the
pipeline administration. Views are thin: parse, select, call one service, render."""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accord.activities.models import Activity
from accord.core.errors import ConflictError
from accord.core.http import AuthedHttpRequest
from accord.core.models import AuditEntry, Team, User
from accord.core.permissions import Action, Scope, allows, require_administrator, user_scope
from accord.parties.selectors import get_company_for
from accord.sales import services_deals as services
from accord.sales.forms_deals import (
    DealForm,
    MoveForm,
    PipelineEditForm,
    PipelineForm,
    StageEditForm,
    StageForm,
)
from accord.sales.lists_deals import deal_export, deal_list, money
from accord.sales.models import Deal, Pipeline, Stage
from accord.sales.selectors_deals import (
    active_pipelines,
    active_stages,
    deal_counts_for_company,
    deals_visible_to,
    default_pipeline,
    get_deal_for,
    recently_closed_since,
    stage_changes_for,
)

__all__ = ["deal_export", "deal_list"]

BOARD_PAGE = 20
CLOSED_DAYS = 30


def _safe_next(request: AuthedHttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def _wants_json(request: AuthedHttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _optional_url(name: str, *args: Any, query: Any = None) -> str:
    """A link to another part's page, or "" while that part has not committed its view."""
    try:
        url = reverse(name, args=args)
    except NoReverseMatch:
        return ""
    return f"{url}?{urlencode(query)}" if query else url


# --- the board ------------------------------------------------------------------------------


@dataclass
class Column:
    stage: Stage
    count: int = 0
    sums: list[str] = field(default_factory=list)
    deals: list[Deal] = field(default_factory=list)
    more_url: str = ""

    @property
    def is_closed(self) -> bool:
        return self.stage.kind != Stage.Kind.OPEN


def _board_filters(request: AuthedHttpRequest, queryset: QuerySet[Deal]) -> QuerySet[Deal]:
    """Owner / team / "my deals" narrowing shared by the board and its "show more" links."""
    params = request.GET
    if params.get("mine") == "1":
        queryset = queryset.filter(owner_id=request.user.pk)
    elif params.get("owner", "").isdigit():
        queryset = queryset.filter(owner_id=int(params["owner"]))
    if params.get("team", "").isdigit():
        queryset = queryset.filter(team_id=int(params["team"]))
    return queryset


def _board_pipeline(request: AuthedHttpRequest) -> Pipeline:
    raw = request.GET.get("pipeline", "")
    if raw.isdigit():
        return get_object_or_404(Pipeline, pk=int(raw), is_active=True)
    pipeline = default_pipeline()
    if pipeline is None:
        raise Http404
    return pipeline


def _card_queryset(queryset: QuerySet[Deal]) -> QuerySet[Deal]:
    return queryset.select_related("company", "owner").only(
        "pk",
        "name",
        "amount",
        "currency",
        "expected_close",
        "stage_id",
        "pipeline_id",
        "version",
        "is_closed",
        "team",
        "company__id",
        "company__name",
        "company__owner",
        "company__team",
        "owner__id",
        "owner__first_name",
        "owner__last_name",
        "owner__username",
    )


def _decorate(deals: list[Deal], today: datetime.date, user: User) -> list[Deal]:
    """Display values and whether this reader may move each card (checked in memory)."""
    for deal in deals:
        deal.may_change = allows(user, Action.CHANGE, deal)  # type: ignore[attr-defined]
        deal.amount_display = money(deal.amount, deal.currency)  # type: ignore[attr-defined]
        deal.is_overdue = bool(  # type: ignore[attr-defined]
            deal.expected_close and deal.expected_close < today and not deal.is_closed
        )
    return deals


def _column_deals(
    base: QuerySet[Deal], stage: Stage, after: tuple[Decimal, int] | None = None
) -> list[Deal]:
    """The next cards of a column, largest first, keyset on (amount desc, id): the
    (pipeline, stage, -amount, id) index answers it without sorting the stage's deals."""
    queryset = base.filter(stage=stage)
    if after is not None:
        amount, pk = after
        queryset = queryset.filter(Q(amount__lt=amount) | Q(amount=amount, id__gt=pk))
    return list(_card_queryset(queryset).order_by("-amount", "id")[: BOARD_PAGE + 1])


def _more_url(request: AuthedHttpRequest, pipeline: Pipeline, stage: Stage, last: Deal) -> str:
    params: dict[str, Any] = {
        k: v for k, v in request.GET.items() if k in ("owner", "team", "mine")
    }
    params.update({"stage": stage.pk, "after": f"{last.amount}~{last.pk}"})
    return reverse("sales:deal_board_column", args=[pipeline.pk]) + "?" + urlencode(params)


def _board_base(request: AuthedHttpRequest, pipeline: Pipeline) -> QuerySet[Deal]:
    since = recently_closed_since(days=CLOSED_DAYS)
    base = deals_visible_to(request.user).filter(pipeline=pipeline)
    base = base.filter(Q(is_closed=False) | Q(closed_at__gte=since))
    return _board_filters(request, base)


@login_required
def deal_board(request: AuthedHttpRequest) -> HttpResponse:
    """One column per active stage with its count and total (one aggregate query), the 20
    largest deals of each column, and "show more" links. Won and lost columns show deals
    closed in the last 30 days only, so the board stays light with 300,000 deals."""
    if user_scope(request.user, "deal", Action.VIEW) == Scope.NONE:
        raise PermissionDenied
    pipeline = _board_pipeline(request)
    stages = active_stages(pipeline)
    base = _board_base(request, pipeline)
    totals: dict[int, dict[str, Any]] = {}
    for row in (
        base.order_by().values("stage_id", "currency").annotate(n=Count("id"), total=Sum("amount"))
    ):
        entry = totals.setdefault(row["stage_id"], {"count": 0, "sums": []})
        entry["count"] += row["n"]
        entry["sums"].append(money(row["total"], row["currency"]))
    today = timezone.localdate()
    columns = []
    for stage in stages:
        column = Column(stage=stage, **totals.get(stage.pk, {}))
        if column.count:
            deals = _column_deals(base, stage)
            if len(deals) > BOARD_PAGE:
                deals = deals[:BOARD_PAGE]
                column.more_url = _more_url(request, pipeline, stage, deals[-1])
            column.deals = _decorate(deals, today, request.user)
        columns.append(column)
    may_change = user_scope(request.user, "deal", Action.CHANGE) > Scope.NONE
    reasons = MoveForm(pipeline=pipeline)
    context = {
        "pipeline": pipeline,
        "pipelines": active_pipelines(),
        "columns": columns,
        "stages": stages,
        "may_change": may_change,
        "may_add": user_scope(request.user, "deal", Action.ADD) > Scope.NONE,
        "move_form": reasons,
        "teams": list(Team.objects.order_by("name")),
        "filters": {k: request.GET.get(k, "") for k in ("owner", "team", "mine")},
        "closed_days": CLOSED_DAYS,
        "board_url": request.get_full_path(),
    }
    return render(request, "sales/deal_board.html", context)


@login_required
def deal_board_column(request: AuthedHttpRequest, pipeline_pk: int) -> HttpResponse:
    """The next cards of one column (htmx "show more")."""
    pipeline = get_object_or_404(Pipeline, pk=pipeline_pk)
    stage = get_object_or_404(Stage, pk=request.GET.get("stage", "0") or 0, pipeline=pipeline)
    after = None
    raw = request.GET.get("after", "")
    if "~" in raw:
        amount, _sep, pk = raw.partition("~")
        try:
            after = (Decimal(amount), int(pk))
        except (InvalidOperation, ValueError):
            after = None
    deals = _column_deals(_board_base(request, pipeline), stage, after)
    more_url = ""
    if len(deals) > BOARD_PAGE:
        deals = deals[:BOARD_PAGE]
        more_url = _more_url(request, pipeline, stage, deals[-1])
    return render(
        request,
        "sales/_board_cards.html",
        {
            "deals": _decorate(deals, timezone.localdate(), request.user),
            "more_url": more_url,
            "stages": active_stages(pipeline),
            "stage": stage,
            "may_change": user_scope(request.user, "deal", Action.CHANGE) > Scope.NONE,
            "board_url": reverse("sales:deal_board") + f"?pipeline={pipeline.pk}",
        },
    )


# --- moving ---------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def deal_move(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """Move a deal (board drop, the "Move to…" select, the deal page). JSON for the board's
    script; without JavaScript a plain POST redirects back, or shows the reason form when
    won or lost needs one."""
    deal = get_deal_for(request.user, pk)
    form = MoveForm(request.POST or request.GET or None, pipeline=deal.pipeline)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            moved = services.deal_move(
                actor=request.user,
                deal=deal,
                stage=data["stage"],
                won_reason=data.get("won_reason"),
                lost_reason=data.get("lost_reason"),
                comment=data.get("comment") or "",
                expected_version=data.get("version"),
            )
        except PermissionDenied:
            if _wants_json(request):
                return JsonResponse(
                    {"errors": {"stage": [_("You do not have permission to do this.")]}},
                    status=403,
                )
            raise
        except ConflictError as exc:
            if _wants_json(request):
                return JsonResponse({"errors": {"version": [str(exc)]}}, status=409)
            form.add_error(None, str(exc))
        except ValidationError as exc:
            if _wants_json(request):
                return JsonResponse({"errors": exc.message_dict}, status=422)
            for name, errors in exc.message_dict.items():
                for message in errors:
                    form.add_error(name if name in form.fields else None, message)
        else:
            if _wants_json(request):
                return JsonResponse(
                    {"id": moved.pk, "stage": moved.stage_id, "version": moved.version}
                )
            messages.success(
                request,
                _("%(deal)s moved to %(stage)s.") % {"deal": moved.name, "stage": moved.stage},
            )
            return redirect(_safe_next(request) or moved.get_absolute_url())
    elif request.method == "POST" and _wants_json(request):
        return JsonResponse(
            {"errors": {k: [str(m) for m in v] for k, v in form.errors.items()}}, status=422
        )
    return render(
        request,
        "sales/deal_move.html",
        {"deal": deal, "form": form, "next": _safe_next(request)},
    )


# --- deal pages -----------------------------------------------------------------------------


def _may_reassign(user: User) -> bool:
    return user_scope(user, "deal", Action.REASSIGN) > Scope.NONE


def _apply_errors(form: Any, exc: ValidationError) -> None:
    for name, errors in exc.message_dict.items():
        for message in errors:
            target = name if name in form.fields else None
            form.add_error(target, message if target else f"{name}: {message}")


@login_required
@require_http_methods(["GET", "POST"])
def deal_create(request: AuthedHttpRequest) -> HttpResponse:
    if user_scope(request.user, "deal", Action.ADD) == Scope.NONE:
        raise PermissionDenied
    raw_company = request.POST.get("company") or request.GET.get("company") or ""
    company = get_company_for(request.user, raw_company) if raw_company.isdigit() else None
    form = DealForm(
        request.POST or None,
        user=request.user,
        company=company,
        may_reassign=_may_reassign(request.user),
        initial={"pipeline": default_pipeline()},
    )
    if request.method == "POST" and form.is_valid():
        data = form.service_fields()
        try:
            deal = services.deal_create(
                actor=request.user,
                contacts=list(form.cleaned_data.get("contacts") or []),
                **data,
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Deal created: %(name)s") % {"name": deal.name})
            return redirect(deal.get_absolute_url())
    return render(
        request,
        "sales/deal_form.html",
        {"form": form, "company": company, "title": _("New deal"), "deal": None},
    )


@login_required
@require_http_methods(["GET", "POST"])
def deal_edit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    deal = get_deal_for(request.user, pk, Action.CHANGE)
    raw_company = request.POST.get("company", "")
    company = deal.company
    if raw_company.isdigit() and int(raw_company) != deal.company_id:
        company = get_company_for(request.user, raw_company)
    initial = {
        "name": deal.name,
        "company": deal.company_id,
        "amount": deal.amount,
        "currency": deal.currency,
        "pipeline": deal.pipeline,
        "expected_close": deal.expected_close,
        "contacts": list(deal.contacts.all()),
        "source": deal.source,
        "campaign": deal.campaign,
        "owner": deal.owner,
        "team": deal.team,
        "description": deal.description,
        "version": deal.version,
    }
    form = DealForm(
        request.POST or None,
        user=request.user,
        company=company,
        is_edit=True,
        may_reassign=_may_reassign(request.user),
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        data = form.service_fields()
        if data.get("pipeline") is None:
            data.pop("pipeline", None)
        try:
            deal = services.deal_update(
                actor=request.user,
                deal=deal,
                fields=data,
                contacts=list(form.cleaned_data.get("contacts") or [])
                if "contacts" in form.fields
                else None,
                expected_version=form.cleaned_data.get("version"),
            )
        except ConflictError as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Saved: %(name)s") % {"name": deal.name})
            return redirect(deal.get_absolute_url())
    return render(
        request,
        "sales/deal_form.html",
        {"form": form, "company": company, "title": deal.name, "deal": deal},
    )


@login_required
@require_http_methods(["GET", "POST"])
def deal_delete(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    deal = get_deal_for(request.user, pk, Action.DELETE)
    if request.method == "POST":
        company = deal.company
        services.deal_delete(actor=request.user, deal=deal)
        messages.success(request, _("Deal deleted: %(name)s") % {"name": deal.name})
        return redirect(company.get_absolute_url())
    return render(request, "sales/deal_confirm_delete.html", {"deal": deal})


@dataclass
class DealTimelineItem:
    at: datetime.datetime
    kind: str
    activity: Activity | None = None
    change: Any = None
    entry: AuditEntry | None = None
    rows: list[tuple[str, Any, Any]] = field(default_factory=list)


def _change_rows(entry: AuditEntry) -> list[tuple[str, Any, Any]]:
    """Field labels in the reader's language for an entry's first changes."""
    rows = []
    for name, values in list((entry.changes or {}).items())[:6]:
        try:
            model_field: Any = Deal._meta.get_field(name.removesuffix("_id"))
            label = str(model_field.verbose_name)
        except Exception:
            label = name.replace("_", " ")
        old, new = ([*values, None, None])[:2] if isinstance(values, list) else (None, values)
        rows.append((label, old, new))
    return rows


def _deal_timeline(user: User, deal: Deal, limit: int = 50) -> list[DealTimelineItem]:
    """The deal's own stream, newest first: its activities the reader may see, its stage
    moves, and its other recorded changes (moves are shown once, as moves). Three queries."""
    from accord.activities.selectors import activities_visible_to

    activities = list(
        activities_visible_to(user)
        .filter(deal=deal)
        .select_related("owner")
        .order_by("-at", "-id")[:limit]
    )
    changes = list(stage_changes_for(deal).order_by("-at", "-id")[:limit])
    entries = list(
        AuditEntry.objects.filter(object_type="deal", object_id=deal.pk)
        .exclude(changes__has_key="stage_id")
        .order_by("-timestamp", "-id")[:limit]
    )
    items = [DealTimelineItem(at=a.at, kind="activity", activity=a) for a in activities]
    items += [DealTimelineItem(at=c.at, kind="move", change=c) for c in changes]
    items += [
        DealTimelineItem(at=e.timestamp, kind="change", entry=e, rows=_change_rows(e))
        for e in entries
    ]
    items.sort(key=lambda i: i.at, reverse=True)
    return items[:limit]


@login_required
def deal_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    deal = get_deal_for(request.user, pk)
    stages = active_stages(deal.pipeline)
    may_change = allows(request.user, Action.CHANGE, deal)
    open_stages = [s for s in stages if s.kind == Stage.Kind.OPEN]
    current_index = next((i for i, s in enumerate(open_stages) if s.pk == deal.stage_id), -1)
    path = [
        {
            "stage": s,
            "is_current": s.pk == deal.stage_id,
            "is_past": not deal.is_closed and 0 <= i < current_index,
        }
        for i, s in enumerate(open_stages)
    ]
    company_query: dict[str, Any] = {"company": deal.company_id, "deal": deal.pk}
    activity_url = reverse("activities:activity_create")
    quick: list[tuple[str, str]] = []
    if user_scope(request.user, "activity", Action.ADD) > Scope.NONE:
        quick = [
            (label, f"{activity_url}?{urlencode({'kind': kind, 'deal': str(deal.pk)})}")
            for kind, label in (
                ("call", _("Log a call")),
                ("task", _("Add a task")),
                ("note", _("Add a note")),
            )
        ]
    links = [
        ("quote", _("Create a quote"), "commerce:quote_create", {"deal": deal.pk}, "quote"),
        ("order", _("Take an order"), "commerce:order_create", company_query, "order"),
        ("project", _("Start a project"), "projects:project_create", {"deal": deal.pk}, "project"),
    ]
    for _key, label, name, query, object_type in links:
        url = _optional_url(name, query=query)
        if url and user_scope(request.user, object_type, Action.ADD) > Scope.NONE:
            quick.append((label, url))
    panels = []
    for key, title, name, object_type in (
        ("quotes", _("Quotes"), "commerce:deal_quotes", "quote"),
        ("orders", _("Orders"), "commerce:deal_orders", "order"),
        ("projects", _("Projects"), "projects:deal_projects", "project"),
    ):
        url = _optional_url(name, deal.pk)
        if url and user_scope(request.user, object_type, Action.VIEW) > Scope.NONE:
            panels.append({"key": key, "title": title, "url": url})
    return render(
        request,
        "sales/deal_detail.html",
        {
            "deal": deal,
            "amount": money(deal.amount, deal.currency),
            "weighted": money(deal.weighted_amount, deal.currency),
            "path": path,
            "stages": stages,
            "closed_stages": [s for s in stages if s.kind != Stage.Kind.OPEN],
            "contacts": list(deal.contacts.all()),
            "company_visible": allows(request.user, Action.VIEW, deal.company),
            "timeline": _deal_timeline(request.user, deal),
            "may_change": may_change,
            "may_delete": allows(request.user, Action.DELETE, deal),
            "may_log": user_scope(request.user, "activity", Action.ADD) > Scope.NONE,
            "move_form": MoveForm(pipeline=deal.pipeline, initial={"version": deal.version}),
            "quick_actions": quick,
            "panels": panels,
            "is_overdue": bool(
                deal.expected_close
                and not deal.is_closed
                and deal.expected_close < timezone.localdate()
            ),
        },
    )


# --- the client card panel ------------------------------------------------------------------


@login_required
def company_deals_panel(request: AuthedHttpRequest, company_pk: int) -> HttpResponse:
    """The client card's "Deals" panel: open deals with stage and amount, won/lost counts."""
    company = get_company_for(request.user, company_pk)
    deals = list(
        deals_visible_to(request.user)
        .filter(company=company, is_closed=False)
        .select_related("stage")
        .order_by("-amount", "id")[:10]
    )
    for deal in deals:
        deal.amount_display = money(deal.amount, deal.currency)  # type: ignore[attr-defined]
    counts = deal_counts_for_company(request.user, company.pk)
    return render(
        request,
        "sales/_deal_panel.html",
        {
            "company": company,
            "deals": deals,
            "counts": counts,
            "all_url": reverse("sales:deal_list") + "?" + urlencode({"company": company.pk}),
            "may_add": user_scope(request.user, "deal", Action.ADD) > Scope.NONE,
        },
    )


# --- pipeline administration ----------------------------------------------------------------

View = Callable[..., HttpResponse]


def administrator_only(view: View) -> View:
    @functools.wraps(view)
    def wrapper(request: AuthedHttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        require_administrator(request.user)
        return view(request, *args, **kwargs)

    return login_required(wrapper)


@administrator_only
def pipeline_admin(request: AuthedHttpRequest) -> HttpResponse:
    pipelines = list(Pipeline.objects.order_by("position", "id"))
    stages: dict[int, list[Stage]] = {p.pk: [] for p in pipelines}
    for stage in Stage.objects.order_by("position", "id"):
        stages.setdefault(stage.pipeline_id, []).append(stage)
    used = set(Deal.objects.values_list("stage_id", flat=True).distinct())
    rows = []
    for pipeline in pipelines:
        active = sum(1 for s in stages[pipeline.pk] if s.is_active)
        for stage in stages[pipeline.pk]:
            stage.has_deals = stage.pk in used  # type: ignore[attr-defined]
        rows.append(
            {
                "pipeline": pipeline,
                "stages": stages[pipeline.pk],
                "active_count": active,
                "is_crowded": active > services.MAX_STAGES_WITHOUT_WARNING,
            }
        )
    return render(request, "sales/pipeline_admin.html", {"rows": rows})


def _warn_stage_count(request: AuthedHttpRequest, pipeline: Pipeline) -> None:
    warning = services.stage_count_warning(pipeline)
    if warning:
        messages.warning(request, warning)


@administrator_only
@require_http_methods(["GET", "POST"])
def pipeline_create(request: AuthedHttpRequest) -> HttpResponse:
    form = PipelineForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            pipeline = services.pipeline_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Pipeline created: %(name)s") % {"name": pipeline})
            return redirect(reverse("sales:pipeline_admin") + f"#pipeline-{pipeline.pk}")
    return render(
        request,
        "sales/pipeline_form.html",
        {"form": form, "title": _("New pipeline")},
    )


@administrator_only
@require_http_methods(["GET", "POST"])
def pipeline_edit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    pipeline = get_object_or_404(Pipeline, pk=pk)
    initial = {name: getattr(pipeline, name) for name in PipelineEditForm.base_fields}
    form = PipelineEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            pipeline = services.pipeline_update(
                actor=request.user, pipeline=pipeline, fields=form.cleaned_data
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Saved: %(name)s") % {"name": pipeline})
            return redirect(reverse("sales:pipeline_admin") + f"#pipeline-{pipeline.pk}")
    return render(request, "sales/pipeline_form.html", {"form": form, "title": str(pipeline)})


@administrator_only
@require_http_methods(["GET", "POST"])
def stage_create(request: AuthedHttpRequest, pipeline_pk: int) -> HttpResponse:
    pipeline = get_object_or_404(Pipeline, pk=pipeline_pk)
    form = StageForm(request.POST or None, initial={"kind": Stage.Kind.OPEN, "probability": 50})
    if request.method == "POST" and form.is_valid():
        try:
            stage = services.stage_create(
                actor=request.user, pipeline=pipeline, fields=form.cleaned_data
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Stage added: %(name)s") % {"name": stage})
            _warn_stage_count(request, pipeline)
            return redirect(reverse("sales:pipeline_admin") + f"#pipeline-{pipeline.pk}")
    return render(
        request,
        "sales/pipeline_form.html",
        {"form": form, "title": _("New stage in %(pipeline)s") % {"pipeline": pipeline}},
    )


@administrator_only
@require_http_methods(["GET", "POST"])
def stage_edit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    stage = get_object_or_404(Stage.objects.select_related("pipeline"), pk=pk)
    initial = {name: getattr(stage, name) for name in StageEditForm.base_fields}
    form = StageEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            stage = services.stage_update(actor=request.user, stage=stage, fields=form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Saved: %(name)s") % {"name": stage})
            _warn_stage_count(request, stage.pipeline)
            return redirect(reverse("sales:pipeline_admin") + f"#pipeline-{stage.pipeline_id}")
    return render(
        request,
        "sales/pipeline_form.html",
        {"form": form, "title": f"{stage.pipeline} — {stage}", "stage": stage},
    )


@administrator_only
@require_POST
def stage_move(request: AuthedHttpRequest, pk: int, direction: str) -> HttpResponse:
    stage = get_object_or_404(Stage, pk=pk)
    ids = list(
        Stage.objects.filter(pipeline_id=stage.pipeline_id)
        .order_by("position", "id")
        .values_list("pk", flat=True)
    )
    index = ids.index(stage.pk)
    target = index - 1 if direction == "up" else index + 1
    if 0 <= target < len(ids):
        ids[index], ids[target] = ids[target], ids[index]
        services.stages_reorder(actor=request.user, pipeline=stage.pipeline, stage_ids=ids)
    return redirect(reverse("sales:pipeline_admin") + f"#pipeline-{stage.pipeline_id}")


@administrator_only
@require_POST
def stage_delete(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    stage = get_object_or_404(Stage, pk=pk)
    pipeline_pk = stage.pipeline_id
    try:
        services.stage_delete(actor=request.user, stage=stage)
    except ValidationError as exc:
        for errors in exc.message_dict.values():
            for message in errors:
                messages.error(request, message)
    else:
        messages.success(request, _("Stage deleted: %(name)s") % {"name": stage})
    return redirect(reverse("sales:pipeline_admin") + f"#pipeline-{pipeline_pk}")
