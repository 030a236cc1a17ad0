"""Company and contact pages: the client card, create/edit/delete, history, duplicate checks.

Thin views (ARCHITECTURE.md rule 1 and 2): parse the form, fetch through a scoped selector,
call one service, render or redirect.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, prefetch_related_objects
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accord.core import cards, customfields
from accord.core.errors import ConflictError
from accord.core.history import history_page
from accord.core.http import AuthedHttpRequest
from accord.core.models import CustomFieldDefinition
from accord.core.permissions import Action, allows, require
from accord.parties import services
from accord.parties.duplicates import find_company_duplicates, find_contact_duplicates
from accord.parties.forms import CompanyForm, ContactForm, PartyForm
from accord.parties.models import Company, Contact, ContactPoint, Employment
from accord.parties.selectors import companies_visible_to, get_company_for, get_contact_for

CARD_CONTACTS_SHOWN = 50
HISTORY_PAGE_SIZE = 20


def _custom_facts(model: str, values: dict[str, Any]) -> list[tuple[str, str]]:
    """Custom field values with their labels, in the administrator's order."""
    facts = []
    for definition in customfields.definitions(model):
        value = values.get(definition.name)
        if value in (None, "", []):
            continue
        if definition.field_type == CustomFieldDefinition.FieldType.BOOLEAN:
            text = _("Yes") if value else _("No")
        elif isinstance(value, list):
            text = ", ".join(str(v) for v in value)
        else:
            text = str(value)
        facts.append((definition.label, text))
    return facts


def _points(obj: Company | Contact, kind: str) -> list[ContactPoint]:
    return [p for p in obj.contact_points.all() if p.kind == kind]


def _wants_confirmation(request: AuthedHttpRequest) -> bool:
    return request.POST.get("confirm_duplicates") == "1"


def _save(form: PartyForm, save: Any) -> Any:
    """Call the service; put its complaints on the form. Returns the record or None."""
    try:
        return save()
    except ValidationError as exc:
        form.apply_service_errors(exc)
    except ConflictError:
        form.add_error(
            None,
            _(
                "Someone else changed this record while you were editing it. "
                "Reload the page to see their version, then make your change again."
            ),
        )
        form.has_conflict = True  # type: ignore[attr-defined]
    return None


# -- companies ------------------------------------------------------------------------------


@login_required
def company_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """The client card (S2): key facts, contacts, documents and the timeline in one page."""
    company = get_company_for(request.user, pk)
    prefetch_related_objects([company], "contact_points", "tags", "addresses")
    employments = list(
        Employment.objects.filter(company=company)
        .select_related("contact", "role")
        .prefetch_related(
            Prefetch(
                "contact__contact_points",
                queryset=ContactPoint.objects.order_by("kind", "-is_primary", "id"),
            )
        )
        .order_by("-is_primary", "contact__full_name", "contact_id")[: CARD_CONTACTS_SHOWN + 1]
    )
    return render(
        request,
        "parties/company_detail.html",
        {
            "company": company,
            "phones": _points(company, ContactPoint.Kind.PHONE),
            "emails": _points(company, ContactPoint.Kind.EMAIL),
            "custom_facts": _custom_facts("company", company.custom),
            "employments": employments[:CARD_CONTACTS_SHOWN],
            "more_contacts": len(employments) > CARD_CONTACTS_SHOWN,
            "may_change": allows(request.user, Action.CHANGE, company),
            "may_delete": allows(request.user, Action.DELETE, company),
            "may_add_contact": allows(request.user, Action.ADD, Contact),
            "card_panels": cards.panels_for(request.user, company.pk),
            "card_actions": cards.actions_for(request.user, company.pk),
        },
    )


@login_required
def company_create(request: AuthedHttpRequest) -> HttpResponse:
    require(request.user, Action.ADD, Company)
    form = CompanyForm(request.POST or None, user=request.user)
    duplicates: list[Any] = []
    if request.method == "POST" and form.is_valid():
        duplicates = find_company_duplicates(
            user=request.user, **CompanyForm.duplicate_query(request.POST)
        )
        if not duplicates or _wants_confirmation(request):
            company = _save(
                form,
                lambda: services.company_create(
                    actor=request.user, fields=form.service_fields(), **form.service_lists()
                ),
            )
            if company is not None:
                messages.success(request, _("Company “%(name)s” created.") % {"name": company})
                return redirect(company)
    return render(
        request,
        "parties/company_form.html",
        {"form": form, "duplicates": duplicates, "is_new": True},
    )


@login_required
def company_edit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    company = get_company_for(request.user, pk, Action.CHANGE)
    form = CompanyForm(request.POST or None, user=request.user, instance=company)
    if request.method == "POST" and form.is_valid():
        saved = _save(
            form,
            lambda: services.company_update(
                actor=request.user,
                company=company,
                fields=form.service_fields(),
                expected_version=form.expected_version,
                **form.service_lists(),
            ),
        )
        if saved is not None:
            messages.success(request, _("Changes saved."))
            return redirect(saved)
    return render(
        request,
        "parties/company_form.html",
        {"form": form, "company": company, "is_new": False},
    )


@login_required
@require_http_methods(["GET", "POST"])
def company_delete(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    company = get_company_for(request.user, pk, Action.DELETE)
    if request.method == "POST":
        name = str(company)
        services.company_delete(actor=request.user, company=company)
        messages.success(request, _("Company “%(name)s” deleted.") % {"name": name})
        return redirect("parties:company_list")
    return render(
        request,
        "parties/confirm_delete.html",
        {"object": company, "cancel_url": company.get_absolute_url()},
    )


@login_required
def company_history(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    company = get_company_for(request.user, pk)
    return _history(request, company, "company", reverse("parties:company_history", args=[pk]))


@login_required
@require_POST
def company_duplicates(request: AuthedHttpRequest) -> HttpResponse:
    """Likely duplicates of what is being typed, before saving (D6)."""
    duplicates = find_company_duplicates(
        user=request.user, **CompanyForm.duplicate_query(request.POST)
    )
    return render(request, "parties/_duplicates.html", {"duplicates": duplicates})


@login_required
def company_options(request: AuthedHttpRequest) -> HttpResponse:
    """<option>s for the contact form's company picker: the chosen companies, then up to
    30 visible ones matching what is typed (a select of 300,000 companies would not load)."""
    from accord.core.permissions import ordered_scan
    from accord.parties.search import text_match

    chosen_ids = [int(v) for v in request.GET.getlist("companies") if v.isdigit()]
    visible = companies_visible_to(request.user)
    chosen = list(visible.filter(pk__in=chosen_ids).order_by("name", "id")) if chosen_ids else []
    query = request.GET.get("company_q", "").strip()
    found: list[Company] = []
    if query:
        with ordered_scan():
            found = list(
                text_match(companies_visible_to(request.user), query)
                .exclude(pk__in=chosen_ids)
                .order_by("name", "id")[:30]
            )
    return render(request, "parties/_company_options.html", {"chosen": chosen, "found": found})


# -- contacts -------------------------------------------------------------------------------


@login_required
def contact_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    contact = get_contact_for(request.user, pk)
    prefetch_related_objects(
        [contact],
        "contact_points",
        "tags",
        Prefetch(
            "employments",
            queryset=Employment.objects.select_related("company", "role").order_by(
                "-is_primary", "company__name"
            ),
        ),
    )
    return render(
        request,
        "parties/contact_detail.html",
        {
            "contact": contact,
            "phones": _points(contact, ContactPoint.Kind.PHONE),
            "emails": _points(contact, ContactPoint.Kind.EMAIL),
            "messengers": _points(contact, ContactPoint.Kind.MESSENGER),
            "custom_facts": _custom_facts("contact", contact.custom),
            "may_change": allows(request.user, Action.CHANGE, contact),
            "may_delete": allows(request.user, Action.DELETE, contact),
        },
    )


@login_required
def contact_create(request: AuthedHttpRequest) -> HttpResponse:
    require(request.user, Action.ADD, Contact)
    initial = {}
    if request.GET.get("company", "").isdigit():
        initial["companies"] = [int(request.GET["company"])]
    form = ContactForm(request.POST or None, user=request.user, initial=initial)
    duplicates: list[Any] = []
    if request.method == "POST" and form.is_valid():
        duplicates = find_contact_duplicates(
            user=request.user, **ContactForm.duplicate_query(request.POST)
        )
        if not duplicates or _wants_confirmation(request):
            contact = _save(
                form,
                lambda: services.contact_create(
                    actor=request.user, fields=form.service_fields(), **form.service_lists()
                ),
            )
            if contact is not None:
                messages.success(request, _("Contact “%(name)s” created.") % {"name": contact})
                return redirect(contact)
    return render(
        request,
        "parties/contact_form.html",
        {"form": form, "duplicates": duplicates, "is_new": True},
    )


@login_required
def contact_edit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    contact = get_contact_for(request.user, pk, Action.CHANGE)
    form = ContactForm(request.POST or None, user=request.user, instance=contact)
    if request.method == "POST" and form.is_valid():
        saved = _save(
            form,
            lambda: services.contact_update(
                actor=request.user,
                contact=contact,
                fields=form.service_fields(),
                expected_version=form.expected_version,
                **form.service_lists(),
            ),
        )
        if saved is not None:
            messages.success(request, _("Changes saved."))
            return redirect(saved)
    return render(
        request,
        "parties/contact_form.html",
        {"form": form, "contact": contact, "is_new": False},
    )


@login_required
@require_http_methods(["GET", "POST"])
def contact_delete(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    contact = get_contact_for(request.user, pk, Action.DELETE)
    if request.method == "POST":
        name = str(contact)
        services.contact_delete(actor=request.user, contact=contact)
        messages.success(request, _("Contact “%(name)s” deleted.") % {"name": name})
        return redirect("parties:contact_list")
    return render(
        request,
        "parties/confirm_delete.html",
        {"object": contact, "cancel_url": contact.get_absolute_url()},
    )


@login_required
def contact_history(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    contact = get_contact_for(request.user, pk)
    return _history(request, contact, "contact", reverse("parties:contact_history", args=[pk]))


@login_required
@require_POST
def contact_duplicates(request: AuthedHttpRequest) -> HttpResponse:
    duplicates = find_contact_duplicates(
        user=request.user, **ContactForm.duplicate_query(request.POST)
    )
    return render(request, "parties/_duplicates.html", {"duplicates": duplicates})


# -- history --------------------------------------------------------------------------------


def _history(
    request: AuthedHttpRequest, obj: Company | Contact, object_type: str, url: str
) -> HttpResponse:
    before = request.GET.get("before", "")
    page = history_page(
        request.user,
        obj,
        limit=HISTORY_PAGE_SIZE,
        before_id=int(before) if before.isdigit() else None,
    )
    context = {"object": obj, "object_type": object_type, "page": page, "more_url": url}
    if before:
        return render(request, "core/_history.html", {**context, "fragment": True})
    return render(request, "parties/history.html", context)
