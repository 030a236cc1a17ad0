"""Pages and htmx fragments of cases (V1): the list, the new-case form, the case page with
its timeline, replies and notes, status moves, hand-over and merge, the client-card panel,
and the administration of case categories.

Thin: parse -> selector -> one service -> render. Pages 404 for a case the user may not see
and 403 for one they may see but not change."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import FileResponse, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_http_methods, require_POST

from accord.core import lists as core_lists
from accord.core.errors import ConflictError
from accord.core.http import AuthedHttpRequest
from accord.core.permissions import Action, Scope, allows, ordered_scan, user_scope
from accord.parties.models import Company, Contact
from accord.parties.selectors import companies_visible_to, get_company_for, get_contact_for
from accord.service import selectors, services
from accord.service.forms import (
    CaseForm,
    CategoryForm,
    HandoverForm,
    MergeForm,
    MessageForm,
    StatusForm,
    uploaded,
)
from accord.service.lists import CASES
from accord.service.models import Case, CaseEvent, CaseMessage, Category
from accord.service.panels import CASE_PANELS

Status = Case.Status


# --- list ----------------------------------------------------------------------------------


@login_required
def case_list(request: AuthedHttpRequest) -> HttpResponse:
    if request.GET.get("part") == "filters":
        return core_lists.render_list(request, CASES)
    context = core_lists.list_context(CASES, request.user, request.GET)
    context["quick_filters"] = _quick_filters(request)
    from accord.service.routing import may_manage_queues

    context["can_manage"] = may_manage_queues(request.user)
    return render(request, "service/case_list.html", context)


def _quick_filters(request: AuthedHttpRequest) -> list[tuple[str, str, bool]]:
    """One-tap views an agent uses all day: my open cases, unassigned, all open."""
    base = reverse("service:case_list")
    current = request.GET.urlencode()
    views = [
        (_("My open cases"), "status=open&assigned=mine"),
        (_("Unassigned"), "status=open&assigned=unassigned"),
        (_("All open"), "status=open"),
        (pgettext("cases", "All"), ""),
    ]
    return [
        (label, f"{base}?{query}" if query else base, current == query) for label, query in views
    ]


@login_required
def case_export(request: AuthedHttpRequest) -> HttpResponseBase:
    return core_lists.export_list(request, CASES, "cases")


# --- new case and edit ----------------------------------------------------------------------


def _client_choices(user: Any, company: Company | None) -> dict[str, list[tuple[int, str]]]:
    """The contacts, orders and projects of the chosen client (the form's narrowed lists)."""
    if company is None:
        return {"contacts": [], "orders": [], "projects": []}
    from accord.commerce.selectors_orders import orders_visible_to
    from accord.parties.selectors import contacts_visible_to
    from accord.projects.selectors import projects_visible_to

    contacts = [
        (c.pk, str(c))
        for c in contacts_visible_to(user)
        .filter(companies=company)
        .order_by("full_name", "id")[:200]
    ]
    orders = [
        (o.pk, str(o)) for o in orders_visible_to(user).filter(company=company).order_by("-id")[:50]
    ]
    projects = [
        (p.pk, str(p))
        for p in projects_visible_to(user).filter(company=company).order_by("-id")[:50]
    ]
    return {"contacts": contacts, "orders": orders, "projects": projects}


def _company_from(user: Any, value: Any) -> Company | None:
    if value in (None, ""):
        return None
    return get_company_for(user, value)


@login_required
def case_company_search(request: AuthedHttpRequest) -> HttpResponse:
    """Fragment: clients matching what is typed in the new-case form (at most 20)."""
    from accord.parties.search import text_match

    query = request.GET.get("company_q", "").strip()
    found: list[Company] = []
    if query:
        with ordered_scan():
            found = list(
                text_match(companies_visible_to(request.user), query).order_by("name", "id")[:20]
            )
    return render(request, "service/_case_company_search.html", {"query": query, "found": found})


@login_required
def case_client_fields(request: AuthedHttpRequest) -> HttpResponse:
    """Fragment: the contact, order and project choices of the client just picked."""
    company = _company_from(request.user, request.GET.get("company"))
    form = CaseForm(choices=_client_choices(request.user, company))
    return render(request, "service/_case_client_fields.html", {"form": form, "company": company})


@login_required
@require_http_methods(["GET", "POST"])
def case_create(request: AuthedHttpRequest) -> HttpResponse:
    if not allows(request.user, Action.ADD, Case):
        raise PermissionDenied
    params = request.POST if request.method == "POST" else request.GET
    company = _company_from(request.user, params.get("company"))
    contact: Contact | None = None
    if company is None and params.get("contact") and request.method == "GET":
        contact = get_contact_for(request.user, params["contact"])
        company = contact.primary_company
    initial: dict[str, Any] = {"company": company.pk if company else None}
    if contact is not None:
        initial["contact"] = contact.pk
    form = CaseForm(
        request.POST or None,
        request.FILES or None,
        initial=initial,
        choices=_client_choices(request.user, company),
    )
    if request.method == "POST" and form.is_valid():
        fields = form.case_fields()
        try:
            case = services.open_case(
                actor=request.user,
                queue=form.cleaned_data.get("queue"),
                owner=request.user if form.cleaned_data.get("assign_to_me") else None,
                attachments=uploaded(request.FILES.getlist("attachments")),
                **fields,
            )
        except ValidationError as exc:
            form.apply_errors(exc.message_dict)
        else:
            messages.success(
                request, _("Case %(reference)s opened.") % {"reference": case.reference}
            )
            return redirect(case.get_absolute_url())
    return render(request, "service/case_form.html", {"form": form, "company": company})


@login_required
@require_http_methods(["GET", "POST"])
def case_edit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    case = selectors.get_case_for(request.user, pk)
    if not allows(request.user, Action.CHANGE, case):
        raise PermissionDenied
    params = request.POST if request.method == "POST" else request.GET
    company = (
        _company_from(request.user, params.get("company"))
        if params.get("company")
        else case.company
    )
    form = CaseForm(
        request.POST or None,
        initial=CaseForm.initial_for(case),
        is_edit=True,
        choices=_client_choices(request.user, company),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_case(
                actor=request.user,
                case=case,
                version=form.cleaned_data.get("version") or case.version,
                **form.case_fields(),
            )
        except ConflictError as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            form.apply_errors(exc.message_dict)
        else:
            messages.success(request, _("Case saved."))
            return redirect(case.get_absolute_url())
    return render(
        request, "service/case_form.html", {"form": form, "company": company, "case": case}
    )


# --- the case page ------------------------------------------------------------------------

MOVE_LABELS = {
    Status.WAITING: _("Wait for the client"),
    Status.RESOLVED: _("Resolve"),
    Status.CLOSED: _("Close"),
}


def _move_label(case: Case, status: str) -> str:
    if status == Status.IN_PROGRESS:
        if case.status in services.REOPENABLE:
            return _("Reopen")
        if case.status == Status.WAITING:
            return _("Back to work")
        return _("Start work")
    return str(MOVE_LABELS[status])  # type: ignore[index]


def _needs_reason(case: Case, status: str) -> bool:
    return status == Status.RESOLVED or (status == Status.CLOSED and case.is_open)


def status_label(value: str) -> str:
    try:
        return str(Status(value).label)
    except ValueError:
        return value


def describe_event(event: CaseEvent) -> str:
    """One line of the case's history, in the reader's language."""
    kind = event.kind
    if kind == CaseEvent.Kind.CREATED:
        if event.from_value:
            return _("Opened (%(channel)s) as a follow-up of %(reference)s") % {
                "channel": event.to_value,
                "reference": event.from_value,
            }
        return _("Opened (%(channel)s)") % {"channel": event.to_value}
    if kind == CaseEvent.Kind.STATUS:
        return _("Status: %(old)s → %(new)s") % {
            "old": status_label(event.from_value),
            "new": status_label(event.to_value),
        }
    if kind == CaseEvent.Kind.PRIORITY:
        from accord.sla.models import Priority

        labels = dict(Priority.choices)
        return _("Priority: %(old)s → %(new)s") % {
            "old": labels.get(event.from_value, event.from_value),
            "new": labels.get(event.to_value, event.to_value),
        }
    if kind == CaseEvent.Kind.MERGED:
        if event.to_value:
            return _("Merged into %(reference)s") % {"reference": event.to_value}
        return _("%(reference)s merged into this case") % {"reference": event.from_value}
    if kind in (CaseEvent.Kind.ASSIGNED, CaseEvent.Kind.HANDOVER):
        if event.from_value:
            return _("%(kind)s: %(old)s → %(new)s") % {
                "kind": event.get_kind_display(),
                "old": event.from_value,
                "new": event.to_value or "—",
            }
        return _("%(kind)s: %(new)s") % {
            "kind": event.get_kind_display(),
            "new": event.to_value or "—",
        }
    text = str(event.get_kind_display())
    if event.to_value:
        text = f"{text}: {event.to_value}"
    return text


def _panels(user: Any, case: Case) -> list[tuple[Any, str]]:
    """The panels other parts registered, for this reader (a panel whose page is not there
    yet is left out rather than breaking the case page)."""
    result = []
    for panel in sorted(CASE_PANELS.values(), key=lambda p: (p.position, p.key)):
        if user_scope(user, panel.object_type, Action.VIEW) == Scope.NONE:
            continue
        try:
            result.append((panel, reverse(panel.url_name, args=[case.pk])))
        except NoReverseMatch:
            continue
    return result


def _case_context(request: AuthedHttpRequest, case: Case, **forms: Any) -> dict[str, Any]:
    from accord.service.routing import case_agents

    user = request.user
    can_change = allows(user, Action.CHANGE, case)
    can_reassign = allows(user, Action.REASSIGN, case)
    items, truncated = selectors.timeline(case)
    for item in items:
        if item.kind == "event":
            item.item.text = describe_event(item.item)
    moves = (
        [
            {"status": s, "label": _move_label(case, s), "needs_reason": _needs_reason(case, s)}
            for s in services.legal_moves(case)
        ]
        if can_change
        else []
    )
    agents = case_agents(case.team_id) if case.team_id else None
    company_visible = (
        case.company_id is not None
        and companies_visible_to(user).filter(pk=case.company_id).exists()
    )
    return {
        "case": case,
        "items": items,
        "truncated": truncated,
        "moves": moves,
        "can_change": can_change,
        "can_reassign": can_reassign or (can_change and case.owner_id is None),
        "can_take": can_change and case.owner_id is None and case.is_open,
        "reply_to": services.reply_address(case),
        "message_form": forms.get("message_form") or MessageForm(initial={"kind": "reply"}),
        "status_form": forms.get("status_form") or StatusForm(),
        "handover_form": forms.get("handover_form")
        or HandoverForm(agents=agents, initial={"owner": case.owner_id}),
        "merge_form": forms.get("merge_form") or MergeForm(),
        "merge_candidates": selectors.merge_candidates(user, case) if can_change else [],
        "follow_ups": list(case.follow_ups.order_by("id").values_list("pk", flat=True)),  # type: ignore[attr-defined]
        "panels": _panels(user, case),
        "company_visible": company_visible,
    }


@login_required
def case_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    case = selectors.get_case_for(request.user, pk)
    return render(request, "service/case_detail.html", _case_context(request, case))


def _rerender(request: AuthedHttpRequest, case: Case, **forms: Any) -> HttpResponse:
    case = selectors.get_case_for(request.user, case.pk)
    return render(
        request, "service/case_detail.html", _case_context(request, case, **forms), status=422
    )


@login_required
@require_POST
def case_message(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    case = selectors.get_case_for(request.user, pk)
    if not allows(request.user, Action.CHANGE, case):
        raise PermissionDenied
    form = MessageForm(request.POST, request.FILES)
    if not form.is_valid():
        return _rerender(request, case, message_form=form)
    data = form.cleaned_data
    then = data.get("then_status") or ""
    try:
        with transaction.atomic():
            message = services.add_message(
                actor=request.user,
                case=case,
                kind=data["kind"],
                body_text=data.get("body_text", ""),
                cc_addresses=data.get("cc_addresses", ""),
                attachments=uploaded(request.FILES.getlist("attachments")),
            )
            if then:
                fresh = Case.objects.get(pk=case.pk)
                if fresh.status != then:
                    services.change_status(
                        actor=request.user,
                        case=fresh,
                        status=then,
                        reason=data.get("body_text", "") if then == Status.RESOLVED else "",
                    )
    except ValidationError as exc:
        form.apply_errors(
            {
                ("then_status" if k in ("status", "reason") else k): v
                for k, v in exc.message_dict.items()
            }
        )
        return _rerender(request, case, message_form=form)
    if message.kind == CaseMessage.Kind.REPLY:
        messages.success(
            request, _("Reply sent to %(address)s.") % {"address": message.to_addresses}
        )
    else:
        messages.success(request, _("Saved."))
    return redirect(case.get_absolute_url() + "#timeline-end")


@login_required
@require_POST
def case_status(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    case = selectors.get_case_for(request.user, pk)
    if not allows(request.user, Action.CHANGE, case):
        raise PermissionDenied
    form = StatusForm(request.POST)
    if not form.is_valid():
        return _rerender(request, case, status_form=form)
    try:
        updated = services.change_status(
            actor=request.user,
            case=case,
            status=form.cleaned_data["status"],
            reason=form.cleaned_data.get("reason", ""),
        )
    except ValidationError as exc:
        form.apply_errors(
            {("__all__" if k == "status" else k): v for k, v in exc.message_dict.items()}
        )
        return _rerender(request, case, status_form=form)
    messages.success(
        request,
        _("%(reference)s is now “%(status)s”.")
        % {"reference": updated.reference, "status": updated.get_status_display()},
    )
    return redirect(updated.get_absolute_url())


@login_required
@require_POST
def case_assign(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    from accord.service.routing import case_agents

    case = selectors.get_case_for(request.user, pk)
    if request.POST.get("take") == "1":
        owner: Any = request.user
        queue = None
        reason = ""
        form = HandoverForm(agents=case_agents(case.team_id) if case.team_id else None)
    else:
        from accord.core.models import User

        # Any active user parses; the service says who may take the case and why not.
        form = HandoverForm(request.POST, agents=User.objects.filter(is_active=True))
        if not form.is_valid():
            return _rerender(request, case, handover_form=form)
        owner = form.cleaned_data.get("owner")
        queue = form.cleaned_data.get("queue")
        reason = form.cleaned_data.get("reason", "")
        if owner is not None and owner.pk == case.owner_id and queue is not None:
            owner = None  # only the queue changes
    try:
        updated = services.assign(
            actor=request.user, case=case, owner=owner, queue=queue, reason=reason
        )
    except ValidationError as exc:
        form.apply_errors(exc.message_dict)
        return _rerender(request, case, handover_form=form)
    messages.success(
        request,
        _("%(reference)s is now with %(who)s.")
        % {"reference": updated.reference, "who": updated.owner or updated.queue or "—"},
    )
    if not selectors.cases_visible_to(request.user).filter(pk=updated.pk).exists():
        return redirect("service:case_list")
    return redirect(updated.get_absolute_url())


@login_required
@require_POST
def case_merge(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    case = selectors.get_case_for(request.user, pk)
    if not allows(request.user, Action.CHANGE, case):
        raise PermissionDenied
    form = MergeForm(request.POST)
    picked = [v for v in request.POST.getlist("duplicate_ids") if v.isdigit()]
    if picked and not request.POST.get("duplicates"):
        form = MergeForm({**request.POST.dict(), "duplicates": ", ".join(picked)})
    if not form.is_valid():
        return _rerender(request, case, merge_form=form)
    references = [
        r for r in form.cleaned_data["duplicates"].replace(";", ",").split(",") if r.strip()
    ]
    pks = []
    for reference in references:
        number = selectors.reference_pk(reference)
        if number is None:
            form.add_error(
                "duplicates",
                _("“%(value)s” is not a case reference.") % {"value": reference.strip()},
            )
            return _rerender(request, case, merge_form=form)
        pks.append(number)
    found = {c.pk: c for c in selectors.cases_visible_to(request.user).filter(pk__in=pks)}
    missing = [f"CS-{n}" for n in pks if n not in found]
    if missing:
        form.add_error(
            "duplicates", _("No such case: %(references)s.") % {"references": ", ".join(missing)}
        )
        return _rerender(request, case, merge_form=form)
    try:
        services.merge_cases(
            actor=request.user,
            primary=case,
            duplicates=[found[n] for n in pks],
            allow_different_clients=form.cleaned_data.get("confirm_other_client", False),
        )
    except ValidationError as exc:
        form.apply_errors(exc.message_dict)
        return _rerender(request, case, merge_form=form)
    messages.success(
        request,
        _("Merged into %(reference)s: %(references)s.")
        % {"reference": case.reference, "references": ", ".join(f"CS-{n}" for n in pks)},
    )
    return redirect(case.get_absolute_url())


@login_required
def case_attachment(request: AuthedHttpRequest, pk: int) -> FileResponse:
    attachment = selectors.get_attachment_for(request.user, pk)
    # Files clients sent are never shown inline: the browser downloads them.
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.name,
        content_type=attachment.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- client card and contact page -----------------------------------------------------------


@login_required
def company_cases(request: AuthedHttpRequest, company_pk: int) -> HttpResponse:
    """Card panel: the client's open cases first, then the most recent others."""
    company = get_company_for(request.user, company_pk)
    open_cases, recent = selectors.company_cases(request.user, company.pk)
    return render(
        request,
        "service/_company_cases.html",
        {
            "company": company,
            "open_cases": open_cases,
            "recent": recent,
            "can_add": allows(request.user, Action.ADD, Case),
            "all_url": reverse("service:case_list") + f"?company={company.pk}",
        },
    )


@login_required
def contact_cases(request: AuthedHttpRequest, contact_pk: int) -> HttpResponse:
    contact = get_contact_for(request.user, contact_pk)
    return render(
        request,
        "service/_contact_cases.html",
        {
            "contact": contact,
            "cases": selectors.contact_cases(request.user, contact.pk),
            "can_add": allows(request.user, Action.ADD, Case),
            "all_url": reverse("service:case_list") + f"?contact={contact.pk}",
        },
    )


# --- categories (administrators and the head of service) ------------------------------------


def _require_manager(user: Any) -> None:
    from accord.service.routing import require_queue_manager

    require_queue_manager(user)


@login_required
@require_http_methods(["GET", "POST"])
def category_admin(request: AuthedHttpRequest) -> HttpResponse:
    _require_manager(request.user)
    form = CategoryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            category = services.category_save(actor=request.user, fields=form.cleaned_data)
        except ValidationError as exc:
            form.apply_errors(exc.message_dict)
        else:
            messages.success(request, _("Category added: %(name)s") % {"name": category})
            return redirect("service:category_admin")
    categories = list(Category.objects.order_by("position", "id"))
    return render(request, "service/category_admin.html", {"form": form, "categories": categories})


@login_required
@require_http_methods(["GET", "POST"])
def category_edit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    _require_manager(request.user)
    category = Category.objects.filter(pk=pk).first()
    if category is None:
        from django.http import Http404

        raise Http404
    form = CategoryForm(
        request.POST or None,
        initial={
            "name": category.name,
            "name_ru": category.name_ru,
            "name_fr": category.name_fr,
            "name_de": category.name_de,
            "is_active": category.is_active,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.category_save(actor=request.user, fields=form.cleaned_data, category=category)
        except ValidationError as exc:
            form.apply_errors(exc.message_dict)
        else:
            messages.success(request, _("Category saved."))
            return redirect("service:category_admin")
    return render(request, "service/category_form.html", {"form": form, "category": category})


@login_required
@require_POST
def category_move(request: AuthedHttpRequest, pk: int, direction: str) -> HttpResponse:
    _require_manager(request.user)
    category = Category.objects.filter(pk=pk).first()
    if category is None:
        from django.http import Http404

        raise Http404
    try:
        services.category_move(actor=request.user, category=category, direction=direction)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("service:category_admin")
