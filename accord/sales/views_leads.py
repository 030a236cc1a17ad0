"""Lead pages (K6, K2): list, entry with the duplicate check, detail, qualification,
conversion; and the administrators' assignment rules (M2).

Thin views: parse the form, fetch through a scoped selector, call one service, render or
redirect.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accord.core import lists
from accord.core.errors import ConflictError
from accord.core.history import history_page
from accord.core.http import AuthedHttpRequest
from accord.core.permissions import Action, allows, require, require_administrator
from accord.parties.models import Company, Contact
from accord.parties.selectors import companies_visible_to, contacts_visible_to
from accord.sales import assignment, services_leads
from accord.sales.forms_leads import (
    AssignmentRuleForm,
    LeadConvertForm,
    LeadForm,
    LeadStatusForm,
    apply_service_errors,
)
from accord.sales.lists_leads import LEADS
from accord.sales.models import AssignmentRule, Deal, Lead
from accord.sales.selectors_leads import (
    find_lead_duplicates,
    get_lead_for,
    split_person_name,
)

HISTORY_PAGE_SIZE = 20


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
                "Someone else changed this lead while you were editing it. "
                "Reload the page to see their version, then make your change again."
            ),
        )
    return None


def _after_save(request: AuthedHttpRequest, lead: Lead) -> HttpResponse:
    """Open the lead, or the list when the assignment rules gave it to someone whose leads
    the creator may not see."""
    if allows(request.user, Action.VIEW, lead):
        return redirect(lead)
    messages.info(request, _("The lead was assigned to %(owner)s.") % {"owner": lead.owner})
    return redirect("sales:lead_list")


# --- list -----------------------------------------------------------------------------------


@login_required
def lead_list(request: AuthedHttpRequest) -> HttpResponse:
    return lists.render_list(request, LEADS)


@login_required
def lead_export(request: AuthedHttpRequest) -> HttpResponseBase:
    return lists.export_list(request, LEADS, "leads")


# --- entry ----------------------------------------------------------------------------------


@login_required
def lead_create(request: AuthedHttpRequest) -> HttpResponse:
    """Manual entry; likely duplicates are shown before saving and need a confirmation."""
    require(request.user, Action.ADD, Lead)
    form = LeadForm(request.POST or None, user=request.user)
    duplicates = None
    if request.method == "POST" and form.is_valid():
        duplicates = find_lead_duplicates(user=request.user, **form.duplicate_query(request.POST))
        if not duplicates or request.POST.get("confirm_duplicates") == "1":
            lead = _save(
                form,
                lambda: services_leads.lead_create(
                    actor=request.user,
                    fields=form.service_fields(),
                    channel=Lead.Channel.MANUAL,
                    assign_automatically=form.assign_automatically,
                ),
            )
            if lead is not None:
                messages.success(request, _("Lead “%(name)s” created.") % {"name": lead})
                return _after_save(request, lead)
    return render(
        request,
        "sales/lead_form.html",
        {"form": form, "duplicates": duplicates, "is_new": True},
    )


@login_required
@require_POST
def lead_duplicates(request: AuthedHttpRequest) -> HttpResponse:
    """Likely duplicates of what is being typed, before saving (D6)."""
    duplicates = find_lead_duplicates(user=request.user, **LeadForm.duplicate_query(request.POST))
    return render(request, "sales/_lead_duplicates.html", {"duplicates": duplicates})


@login_required
def lead_edit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    lead = get_lead_for(request.user, pk, Action.CHANGE)
    if lead.status == Lead.Status.CONVERTED:
        messages.error(request, _("This lead has already been converted and cannot be edited."))
        return redirect(lead)
    form = LeadForm(request.POST or None, user=request.user, instance=lead)
    if request.method == "POST" and form.is_valid():
        saved = _save(
            form,
            lambda: services_leads.lead_update(
                actor=request.user,
                lead=lead,
                fields=form.service_fields(),
                expected_version=form.expected_version,
            ),
        )
        if saved is not None:
            messages.success(request, _("Changes saved."))
            return redirect(saved)
    return render(request, "sales/lead_form.html", {"form": form, "lead": lead, "is_new": False})


@login_required
@require_http_methods(["GET", "POST"])
def lead_delete(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    lead = get_lead_for(request.user, pk, Action.DELETE)
    if request.method == "POST":
        name = str(lead)
        services_leads.lead_delete(actor=request.user, lead=lead)
        messages.success(request, _("Lead “%(name)s” deleted.") % {"name": name})
        return redirect("sales:lead_list")
    return render(
        request,
        "parties/confirm_delete.html",
        {"object": lead, "cancel_url": lead.get_absolute_url()},
    )


# --- detail, status, history ------------------------------------------------------------------


def _detail_context(request: AuthedHttpRequest, lead: Lead, **extra: Any) -> dict[str, Any]:
    may_change = allows(request.user, Action.CHANGE, lead)
    is_open = lead.status != Lead.Status.CONVERTED
    return {
        "lead": lead,
        "may_change": may_change and is_open,
        "may_delete": allows(request.user, Action.DELETE, lead),
        "may_convert": may_change and is_open,
        "status_form": extra.pop(
            "status_form",
            LeadStatusForm(initial={"status": lead.status, "version": lead.version}),
        ),
        "next_statuses": [
            (value, Lead.Status(value).label)
            for value in services_leads.TRANSITIONS[lead.status]
            if value != Lead.Status.UNQUALIFIED
        ],
        "may_unqualify": Lead.Status.UNQUALIFIED in services_leads.TRANSITIONS[lead.status],
        "history": history_page(request.user, lead, limit=HISTORY_PAGE_SIZE),
        "more_url": reverse("sales:lead_history", args=[lead.pk]),
        "object": lead,
        "object_type": "lead",
        "converted_company_visible": bool(
            lead.converted_company_id and allows(request.user, Action.VIEW, lead.converted_company)
        ),
        "converted_contact_visible": bool(
            lead.converted_contact_id and allows(request.user, Action.VIEW, lead.converted_contact)
        ),
        "converted_deal_visible": bool(
            lead.converted_deal_id and allows(request.user, Action.VIEW, lead.converted_deal)
        ),
        **extra,
    }


@login_required
def lead_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    lead = get_lead_for(request.user, pk)
    return render(request, "sales/lead_detail.html", _detail_context(request, lead))


@login_required
@require_POST
def lead_status(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """Qualification: new → contacted → qualified / not qualified (with a reason)."""
    lead = get_lead_for(request.user, pk, Action.CHANGE)
    form = LeadStatusForm(request.POST)
    if form.is_valid():
        saved = _save(
            form,
            lambda: services_leads.lead_set_status(
                actor=request.user,
                lead=lead,
                status=form.cleaned_data["status"],
                unqualified_reason=form.cleaned_data["unqualified_reason"],
                expected_version=form.cleaned_data.get("version"),
            ),
        )
        if saved is not None:
            messages.success(
                request,
                _("Status changed to “%(status)s”.") % {"status": saved.get_status_display()},
            )
            return redirect(saved)
    return render(
        request,
        "sales/lead_detail.html",
        _detail_context(request, lead, status_form=form),
        status=422,
    )


@login_required
def lead_history(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    lead = get_lead_for(request.user, pk)
    before = request.GET.get("before", "")
    page = history_page(
        request.user,
        lead,
        limit=HISTORY_PAGE_SIZE,
        before_id=int(before) if before.isdigit() else None,
    )
    return render(
        request,
        "core/_history.html",
        {
            "object": lead,
            "object_type": "lead",
            "page": page,
            "more_url": reverse("sales:lead_history", args=[pk]),
            "fragment": bool(before),
        },
    )


# --- conversion ---------------------------------------------------------------------------------


def _visible_matches(request: AuthedHttpRequest, lead: Lead) -> tuple[list[Company], list[Contact]]:
    """The companies and contacts the lead may become, among those the user may see."""
    duplicates = find_lead_duplicates(
        user=request.user,
        full_name=lead.full_name,
        company_name=lead.company_name,
        email=lead.email,
        phone=lead.phone,
        inn=lead.inn,
        exclude_pk=lead.pk,
    )
    companies = [d.obj for d in duplicates.companies if d.visible and isinstance(d.obj, Company)]
    contacts = [d.obj for d in duplicates.contacts if d.visible and isinstance(d.obj, Contact)]
    return companies, contacts


def _pick(queryset: Any, choice: str) -> Any:
    if not choice.isdigit():
        return None
    return queryset.filter(pk=int(choice)).first()


@login_required
def lead_convert(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """One screen: reuse or create the company and the contact, optionally open a deal."""
    lead = get_lead_for(request.user, pk, Action.CHANGE)
    if lead.status == Lead.Status.CONVERTED:
        messages.error(request, _("This lead has already been converted."))
        return redirect(lead)
    companies, contacts = _visible_matches(request, lead)
    last, first = split_person_name(lead.full_name)
    initial = {
        "company_choice": str(companies[0].pk) if companies else "new",
        "company_name": lead.company_name or lead.full_name,
        "contact_choice": str(contacts[0].pk)
        if contacts
        else ("new" if lead.full_name else "none"),
        "contact_last_name": last,
        "contact_first_name": first,
        "create_deal": allows(request.user, Action.ADD, Deal),
        "deal_name": str(lead),
        "amount": lead.estimated_amount,
        "currency": lead.currency,
        "version": lead.version,
    }
    form = LeadConvertForm(
        request.POST or None, lead=lead, companies=companies, contacts=contacts, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        conversion = _save(
            form,
            lambda: services_leads.lead_convert(
                actor=request.user,
                lead=lead,
                company=_pick(companies_visible_to(request.user), data["company_choice"]),
                company_name=data["company_name"],
                contact=_pick(contacts_visible_to(request.user), data["contact_choice"]),
                create_contact=data["contact_choice"] != "none",
                contact_last_name=data["contact_last_name"],
                contact_first_name=data["contact_first_name"],
                create_deal=data["create_deal"],
                deal_name=data["deal_name"],
                amount=data["amount"],
                currency=data["currency"] or None,
                pipeline=data["pipeline"],
                expected_version=data.get("version"),
            ),
        )
        if conversion is not None:
            messages.success(request, _("Lead converted."))
            if conversion.deal is not None and allows(request.user, Action.VIEW, conversion.deal):
                return redirect(conversion.deal)
            return redirect(conversion.company)
    return render(request, "sales/lead_convert.html", {"lead": lead, "form": form})


# --- assignment rules (administrators) ----------------------------------------------------------


@login_required
def assignment_rules(request: AuthedHttpRequest) -> HttpResponse:
    require_administrator(request.user)
    rules = list(
        AssignmentRule.objects.select_related("source", "region", "user", "team").order_by(
            "position", "id"
        )
    )
    return render(request, "sales/assignment_rule_list.html", {"rules": rules})


@login_required
def assignment_rule_create(request: AuthedHttpRequest) -> HttpResponse:
    require_administrator(request.user)
    form = AssignmentRuleForm(request.POST or None, initial={"is_active": True, "method": "user"})
    if request.method == "POST" and form.is_valid():
        rule = _save(
            form,
            lambda: assignment.assignment_rule_create(
                actor=request.user, fields=form.service_fields()
            ),
        )
        if rule is not None:
            messages.success(request, _("Rule “%(name)s” created.") % {"name": rule})
            return redirect("sales:assignment_rules")
    return render(
        request, "sales/assignment_rule_form.html", {"form": form, "title": _("New rule")}
    )


@login_required
def assignment_rule_edit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    require_administrator(request.user)
    rule = get_object_or_404(AssignmentRule, pk=pk)
    form = AssignmentRuleForm(request.POST or None, initial=AssignmentRuleForm.initial_from(rule))
    if request.method == "POST" and form.is_valid():
        saved = _save(
            form,
            lambda: assignment.assignment_rule_update(
                actor=request.user, rule=rule, fields=form.service_fields()
            ),
        )
        if saved is not None:
            messages.success(request, _("Rule “%(name)s” saved.") % {"name": saved})
            return redirect("sales:assignment_rules")
    return render(
        request,
        "sales/assignment_rule_form.html",
        {"form": form, "title": _("Edit rule “%(name)s”") % {"name": rule}, "rule": rule},
    )


@login_required
@require_POST
def assignment_rule_move(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    require_administrator(request.user)
    rule = get_object_or_404(AssignmentRule, pk=pk)
    offset = -1 if request.POST.get("direction") == "up" else 1
    assignment.assignment_rule_move(actor=request.user, rule=rule, offset=offset)
    return redirect("sales:assignment_rules")


@login_required
@require_POST
def assignment_rule_toggle(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    require_administrator(request.user)
    rule = get_object_or_404(AssignmentRule, pk=pk)
    try:
        assignment.assignment_rule_update(
            actor=request.user, rule=rule, fields={"is_active": not rule.is_active}
        )
    except ValidationError as exc:
        for errors in exc.message_dict.values():
            for message in errors:
                messages.error(request, message)
    return redirect("sales:assignment_rules")


@login_required
@require_POST
def assignment_rule_delete(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    require_administrator(request.user)
    rule = get_object_or_404(AssignmentRule, pk=pk)
    name = str(rule)
    assignment.assignment_rule_delete(actor=request.user, rule=rule)
    messages.success(request, _("Rule “%(name)s” deleted.") % {"name": name})
    return redirect("sales:assignment_rules")
