"""Pages of field service: work orders (list, detail, forms), the case-page panel, the
dispatcher's board, the engineer's phone view and the cost and utilisation reports.

Thin: parse -> selector -> one service -> render or redirect back with a message."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accord.core.errors import ConflictError
from accord.core.http import AuthedHttpRequest
from accord.core.permissions import Action, Scope, allows, user_scope
from accord.fieldservice import selectors, services, services_onsite, services_time
from accord.fieldservice.forms import (
    MaterialForm,
    PhotoForm,
    ScheduleForm,
    TimeEntryForm,
    WorkOrderCreateForm,
    WorkOrderEditForm,
)
from accord.fieldservice.models import (
    ChecklistItem,
    MaterialUse,
    TimeEntry,
    WorkOrder,
    WorkOrderPhoto,
)

PAGE_SIZE = 50

# The one-tap buttons: (target status, label) offered from each status.
STATUS_ACTIONS: dict[str, list[tuple[str, str]]] = {
    WorkOrder.Status.SCHEDULED: [("travelling", "Start travel"), ("in_progress", "Start work")],
    WorkOrder.Status.TRAVELLING: [("in_progress", "Start work")],
    WorkOrder.Status.IN_PROGRESS: [("done", "Finish")],
}


def status_actions(work_order: WorkOrder) -> list[tuple[str, str]]:
    labels = {
        "Start travel": _("Start travel"),
        "Start work": _("Start work"),
        "Finish": _("Finish"),
    }
    return [(value, labels[label]) for value, label in STATUS_ACTIONS.get(work_order.status, [])]


def maps_url(address: str) -> str:
    return "https://www.openstreetmap.org/search?query=" + quote(address)


def _back(request: AuthedHttpRequest, work_order: WorkOrder) -> HttpResponseRedirect:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(target)
    return HttpResponseRedirect(work_order.get_absolute_url())


def _flash_errors(request: AuthedHttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _act(
    request: AuthedHttpRequest, pk: int, action: Callable[[WorkOrder], str | None]
) -> HttpResponseRedirect:
    """Run one service on a visible work order; refusals come back as messages."""
    work_order = selectors.get_work_order_for(request.user, pk)
    if not selectors.may(request.user, Action.CHANGE, work_order):
        raise PermissionDenied
    try:
        message = action(work_order)
    except ValidationError as exc:
        _flash_errors(request, exc)
    except ConflictError as exc:
        messages.error(request, str(exc))
    else:
        if message:
            messages.success(request, message)
    return _back(request, work_order)


# --- case panel ----------------------------------------------------------------------------


@login_required
def case_work_orders(request: AuthedHttpRequest, case_pk: int) -> HttpResponse:
    """The "Work orders" panel of a case page (an htmx fragment)."""
    case = services.cases_visible_to(request.user).filter(pk=case_pk).first()
    if case is None:
        raise Http404
    work_orders = list(
        selectors.work_orders_visible_to(request.user)
        .filter(case=case)
        .select_related("owner")
        .order_by("-id")[:20]
    )
    probe = WorkOrder(case=case, team=services.default_team(case, request.user), owner=None)
    return render(
        request,
        "fieldservice/_case_work_orders.html",
        {
            "case": case,
            "work_orders": work_orders,
            "can_add": allows(request.user, Action.ADD, probe) and case.status != "closed",
        },
    )


@login_required
def company_work_orders(request: AuthedHttpRequest, company_pk: int) -> HttpResponse:
    """The "Field visits" panel of the client card: the latest visits and this year's cost."""
    from django.db.models import Count, Sum

    from accord.parties.selectors import get_company_for

    company = get_company_for(request.user, company_pk)
    visible = selectors.work_orders_visible_to(request.user).filter(company=company)
    year_start = timezone.localdate().replace(month=1, day=1)
    since = timezone.make_aware(datetime.datetime.combine(year_start, datetime.time.min))
    totals = visible.filter(status=WorkOrder.Status.DONE, finished_at__gte=since).aggregate(
        visits=Count("id"), cost=Sum("total_cost")
    )
    return render(
        request,
        "fieldservice/_company_work_orders.html",
        {
            "company": company,
            "work_orders": list(visible.select_related("owner", "case").order_by("-id")[:10]),
            "totals": totals,
            "currency": services.field_currency(),
            "year": year_start.year,
        },
    )


# --- list, create, detail, edit ------------------------------------------------------------


@login_required
def work_order_list(request: AuthedHttpRequest) -> HttpResponse:
    queryset = selectors.work_orders_visible_to(request.user).select_related(
        "company", "owner", "case"
    )
    status = request.GET.get("status", "open")
    if status == "open":
        queryset = queryset.filter(status__in=WorkOrder.OPEN_STATUSES)
    elif status in WorkOrder.Status.values:
        queryset = queryset.filter(status=status)
    query = request.GET.get("q", "").strip()
    if query:
        number = query.upper().removeprefix("WO-").strip()
        queryset = queryset.filter(pk=int(number)) if number.isdigit() else queryset.none()
    mine = request.GET.get("mine") == "1"
    if mine:
        queryset = queryset.filter(selectors.membership_q(request.user))
    queryset = queryset.order_by("-scheduled_start", "-id")
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "fieldservice/work_order_list.html",
        {
            "page": page,
            "status": status,
            "mine": mine,
            "query": query,
            "statuses": WorkOrder.Status.choices,
            "can_dispatch": _may_dispatch(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def work_order_create(request: AuthedHttpRequest) -> HttpResponse:
    case_pk = request.POST.get("case") or request.GET.get("case")
    case = services.cases_visible_to(request.user).filter(pk=_int(case_pk)).first()
    if case is None:
        raise Http404
    probe = WorkOrder(case=case, team=services.default_team(case, request.user))
    if not allows(request.user, Action.ADD, probe):
        raise PermissionDenied
    initial = {"site_address": services.default_site_address(case)}
    form = WorkOrderCreateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        start, end = form.window()
        data = form.cleaned_data
        try:
            work_order = services.work_order_create(
                actor=request.user,
                case=case,
                scheduled_start=start,
                scheduled_end=end,
                lead_engineer=data.get("lead_engineer"),
                engineers=list(data.get("engineers") or []),
                site_address=data.get("site_address") or "",
                instructions=data.get("instructions") or "",
                checklist_template=data.get("checklist_template"),
                checklist=(data.get("checklist") or "").splitlines() or None,
            )
        except ValidationError as exc:
            form.apply_errors(exc.message_dict)
        else:
            messages.success(
                request, _("Work order %(number)s created.") % {"number": work_order.number}
            )
            for engineer, other in services.conflicts_for(work_order):
                messages.warning(request, services.conflict_text(engineer, other))
            return redirect(work_order.get_absolute_url())
    return render(request, "fieldservice/work_order_form.html", {"form": form, "case": case})


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise Http404 from exc


def _detail_context(request: AuthedHttpRequest, work_order: WorkOrder) -> dict[str, Any]:
    can_change = selectors.may(request.user, Action.CHANGE, work_order)
    engineers = list(work_order.engineer_rows.select_related("user"))
    entries = list(work_order.time_entries.select_related("engineer"))
    running = next(
        (e for e in entries if e.ended_at is None and e.engineer_id == request.user.pk), None
    )
    today = timezone.localdate()
    return {
        "work_order": work_order,
        "can_change": can_change,
        "is_open": work_order.is_open,
        "checklist_editable": can_change and work_order.is_open,
        "engineers": engineers,
        "checklist": list(work_order.checklist_items.select_related("done_by")),
        "materials": list(work_order.materials.select_related("product")),
        "entries": entries,
        "running": running,
        "photos": list(work_order.photos.all()),
        "notes": list(work_order.notes.select_related("author")[:50]),
        "conflicts": [services.conflict_text(u, o) for u, o in services.conflicts_for(work_order)],
        "actions": status_actions(work_order) if can_change else [],
        "can_cancel": can_change
        and work_order.status in services.TRANSITIONS
        and WorkOrder.Status.CANCELLED in services.TRANSITIONS[work_order.status],
        "can_reinstate": can_change and work_order.status == WorkOrder.Status.CANCELLED,
        "maps_url": maps_url(work_order.site_address) if work_order.site_address else "",
        "time_form": TimeEntryForm(initial={"day": today, "kind": TimeEntry.Kind.WORK}),
        "material_form": MaterialForm(),
        "photo_form": PhotoForm(),
        "case_visible": services.cases_visible_to(request.user)
        .filter(pk=work_order.case_id)
        .exists(),
        "can_schedule": can_change and _may_dispatch(request.user),
    }


@login_required
def work_order_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    work_order = selectors.get_work_order_for(request.user, pk)
    return render(
        request, "fieldservice/work_order_detail.html", _detail_context(request, work_order)
    )


@login_required
@require_http_methods(["GET", "POST"])
def work_order_edit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    work_order = selectors.get_work_order_for(request.user, pk)
    if not selectors.may(request.user, Action.CHANGE, work_order):
        raise PermissionDenied
    initial = {name: getattr(work_order, name) for name in services.EDITABLE_FIELDS}
    initial["version"] = work_order.version
    form = WorkOrderEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.work_order_update(
                actor=request.user,
                work_order=work_order,
                version=form.cleaned_data["version"],
                **form.service_fields(),
            )
        except ValidationError as exc:
            form.apply_errors(exc.message_dict)
        except ConflictError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Saved."))
            return _back(request, work_order)
    return render(
        request, "fieldservice/work_order_edit.html", {"form": form, "work_order": work_order}
    )


def _day_param(request: AuthedHttpRequest) -> datetime.date:
    try:
        return datetime.date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        return timezone.localdate()


def _may_dispatch(user: Any) -> bool:
    return user_scope(user, "work_order", Action.CHANGE) >= Scope.TEAM


@login_required
@require_http_methods(["GET", "POST"])
def work_order_schedule(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """The dispatcher's form: day, times, lead engineer and helpers."""
    work_order = selectors.get_work_order_for(request.user, pk)
    if not (_may_dispatch(request.user) and selectors.may(request.user, Action.CHANGE, work_order)):
        raise PermissionDenied
    team_id = _int(request.GET["team"]) if request.GET.get("team") else None
    start = timezone.localtime(work_order.scheduled_start) if work_order.scheduled_start else None
    end = timezone.localtime(work_order.scheduled_end) if work_order.scheduled_end else None
    initial = {
        "day": start.date() if start else _day_param(request),
        "start": start.time() if start else None,
        "end": end.time() if end else None,
        "lead_engineer": work_order.owner_id,
        "engineers": [row.user_id for row in work_order.engineer_rows.all() if not row.is_lead],
        "version": work_order.version,
    }
    form = ScheduleForm(request.POST or None, initial=initial, team_id=team_id)
    if request.method == "POST" and form.is_valid():
        window_start, window_end = form.window()
        try:
            work_order, conflicts = services.work_order_schedule(
                actor=request.user,
                work_order=work_order,
                version=form.cleaned_data.get("version"),
                scheduled_start=window_start,
                scheduled_end=window_end,
                lead_engineer=form.cleaned_data.get("lead_engineer"),
                engineers=list(form.cleaned_data.get("engineers") or []),
            )
        except ValidationError as exc:
            form.apply_errors(exc.message_dict)
        except ConflictError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, _("Work order %(number)s planned.") % {"number": work_order.number}
            )
            for engineer, other in conflicts:
                messages.warning(request, services.conflict_text(engineer, other))
            if work_order.scheduled_start:
                day = timezone.localtime(work_order.scheduled_start).date().isoformat()
                return redirect(reverse("fieldservice:dispatch") + f"?date={day}")
            return redirect(reverse("fieldservice:dispatch"))
    return render(
        request, "fieldservice/work_order_schedule.html", {"form": form, "work_order": work_order}
    )


# --- one-tap actions -----------------------------------------------------------------------


@login_required
@require_POST
def work_order_status(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    status = request.POST.get("status", "")

    def run(work_order: WorkOrder) -> str:
        done = services.work_order_set_status(
            actor=request.user,
            work_order=work_order,
            status=status,
            reason=request.POST.get("reason", ""),
        )
        text = _("%(number)s: %(status)s.") % {
            "number": done.number,
            "status": done.get_status_display(),
        }
        if done.status == WorkOrder.Status.DONE and done.consumption_note:
            text += " " + done.consumption_note
        return text

    return _act(request, pk, run)


@login_required
@require_POST
def timer_start(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    kind = request.POST.get("kind", TimeEntry.Kind.WORK)

    def run(work_order: WorkOrder) -> str:
        services_time.time_start(actor=request.user, work_order=work_order, kind=kind)
        return _("Timer started.")

    return _act(request, pk, run)


@login_required
@require_POST
def timer_stop(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    def run(work_order: WorkOrder) -> str:
        services_time.time_stop(actor=request.user, work_order=work_order)
        return _("Timer stopped.")

    return _act(request, pk, run)


@login_required
@require_POST
def time_add(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    form = TimeEntryForm(request.POST)

    def run(work_order: WorkOrder) -> str:
        if not form.is_valid():
            raise ValidationError({name: list(errors) for name, errors in form.errors.items()})
        start, end = form.window()
        services_time.time_add(
            actor=request.user,
            work_order=work_order,
            kind=form.cleaned_data["kind"],
            started_at=start,
            ended_at=end,
            note=form.cleaned_data.get("note") or "",
        )
        return _("Time logged.")

    return _act(request, pk, run)


@login_required
@require_POST
def time_delete(request: AuthedHttpRequest, pk: int, entry_pk: int) -> HttpResponse:
    def run(work_order: WorkOrder) -> str:
        entry = TimeEntry.objects.filter(work_order=work_order, pk=entry_pk).first()
        if entry is None:
            raise Http404
        services_time.time_entry_delete(actor=request.user, entry=entry)
        return _("Time entry removed.")

    return _act(request, pk, run)


@login_required
@require_POST
def checklist_tick(request: AuthedHttpRequest, pk: int, item_pk: int) -> HttpResponse:
    def run(work_order: WorkOrder) -> None:
        item = ChecklistItem.objects.filter(work_order=work_order, pk=item_pk).first()
        if item is None:
            raise Http404
        services_onsite.checklist_tick(
            actor=request.user, item=item, is_done=request.POST.get("is_done") == "1"
        )
        return None

    return _act(request, pk, run)


@login_required
@require_POST
def checklist_add(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    def run(work_order: WorkOrder) -> None:
        services_onsite.checklist_add(
            actor=request.user, work_order=work_order, text=request.POST.get("text", "")
        )
        return None

    return _act(request, pk, run)


@login_required
@require_POST
def material_add(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    form = MaterialForm(request.POST)

    def run(work_order: WorkOrder) -> str:
        if not form.is_valid():
            raise ValidationError({name: list(errors) for name, errors in form.errors.items()})
        data = form.cleaned_data
        product = None
        if data.get("product") or data.get("sku"):
            from accord.catalog.selectors import products_visible_to

            products = products_visible_to(request.user).filter(is_active=True)
            product = (
                products.filter(pk=data["product"]).first()
                if data.get("product")
                else products.filter(sku__iexact=data["sku"].strip()).first()
            )
            if product is None:
                raise ValidationError({"product": [_("No product with this article.")]})
        services_onsite.material_add(
            actor=request.user,
            work_order=work_order,
            product=product,
            description=data.get("description") or "",
            quantity=data["quantity"],
            unit_cost=data.get("unit_cost") or None,
        )
        return _("Material added.")

    return _act(request, pk, run)


@login_required
@require_POST
def material_remove(request: AuthedHttpRequest, pk: int, material_pk: int) -> HttpResponse:
    def run(work_order: WorkOrder) -> str:
        material = MaterialUse.objects.filter(work_order=work_order, pk=material_pk).first()
        if material is None:
            raise Http404
        services_onsite.material_remove(actor=request.user, material=material)
        return _("Material removed.")

    return _act(request, pk, run)


@login_required
@require_POST
def photo_add(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    form = PhotoForm(request.POST, request.FILES)

    def run(work_order: WorkOrder) -> str:
        if not form.is_valid():
            raise ValidationError({name: list(errors) for name, errors in form.errors.items()})
        services_onsite.photo_add(
            actor=request.user,
            work_order=work_order,
            upload=form.cleaned_data["image"],
            caption=form.cleaned_data.get("caption") or "",
        )
        return _("Photo added.")

    return _act(request, pk, run)


@login_required
def photo_file(request: AuthedHttpRequest, pk: int, photo_pk: int) -> HttpResponseBase:
    work_order = selectors.get_work_order_for(request.user, pk)
    photo = WorkOrderPhoto.objects.filter(work_order=work_order, pk=photo_pk).first()
    if photo is None:
        raise Http404
    response = FileResponse(photo.image.open("rb"), content_type=photo.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'"
    return response


@login_required
@require_POST
def note_add(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    def run(work_order: WorkOrder) -> str:
        services_onsite.note_add(
            actor=request.user, work_order=work_order, text=request.POST.get("text", "")
        )
        return _("Note added.")

    return _act(request, pk, run)


# --- checklist templates (settings) --------------------------------------------------------


def _may_keep_checklists(user: Any) -> bool:
    return bool(
        getattr(user, "is_administrator", False)
        or user_scope(user, "work_order", Action.DELETE) == Scope.ALL
    )


@login_required
def checklist_templates(request: AuthedHttpRequest) -> HttpResponse:
    if not _may_keep_checklists(request.user):
        raise PermissionDenied
    templates = selectors.checklist_templates(active_only=False)
    return render(request, "fieldservice/checklist_templates.html", {"templates": list(templates)})


@login_required
@require_http_methods(["GET", "POST"])
def checklist_template_edit(request: AuthedHttpRequest, pk: int | None = None) -> HttpResponse:
    from accord.fieldservice.forms import ChecklistTemplateForm
    from accord.fieldservice.models import ChecklistTemplate

    if not _may_keep_checklists(request.user):
        raise PermissionDenied
    template = ChecklistTemplate.objects.filter(pk=pk).first() if pk else None
    if pk and template is None:
        raise Http404
    initial = (
        {
            "name": template.name,
            "category": template.category_id,
            "items": template.items,
            "is_active": template.is_active,
        }
        if template
        else {"is_active": True}
    )
    form = ChecklistTemplateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services_onsite.checklist_template_save(
                actor=request.user, template=template, **form.cleaned_data
            )
        except ValidationError as exc:
            form.apply_errors(exc.message_dict)
        else:
            messages.success(request, _("Checklist saved."))
            return redirect("fieldservice:checklist_templates")
    return render(
        request,
        "fieldservice/checklist_template_form.html",
        {"form": form, "template": template},
    )


@login_required
@require_http_methods(["GET", "POST"])
def labour_rates(request: AuthedHttpRequest) -> HttpResponse:
    """Each field engineer's own hourly rate (empty: the default rate)."""
    from accord.fieldservice.models import EngineerRate

    if not _may_keep_checklists(request.user):
        raise PermissionDenied
    engineers = list(selectors.engineers_queryset()[:200])
    rates = dict(
        EngineerRate.objects.filter(user__in=engineers).values_list("user_id", "hourly_rate")
    )
    errors: dict[int, list[str]] = {}
    if request.method == "POST":
        for engineer in engineers:
            value = request.POST.get(f"rate-{engineer.pk}", "").strip()
            if value == (str(rates[engineer.pk]) if engineer.pk in rates else ""):
                continue
            try:
                services_onsite.engineer_rate_set(
                    actor=request.user, engineer=engineer, hourly_rate=value
                )
            except ValidationError as exc:
                errors[engineer.pk] = exc.messages
        if not errors:
            messages.success(request, _("Labour rates saved."))
            return redirect("fieldservice:labour_rates")
    rows = [
        {
            "engineer": engineer,
            "value": request.POST.get(f"rate-{engineer.pk}", "")
            if errors
            else (rates.get(engineer.pk) or ""),
            "errors": errors.get(engineer.pk, []),
        }
        for engineer in engineers
    ]
    return render(
        request,
        "fieldservice/labour_rates.html",
        {
            "rows": rows,
            "default_rate": services.labour_rate(),
            "currency": services.field_currency(),
        },
    )
