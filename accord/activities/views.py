"""Pages and htmx partials for activities, the client-card timeline and the document archive."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accord.activities import selectors, services
from accord.activities.forms import ActivityForm, DocumentUploadForm
from accord.activities.models import Activity, Document
from accord.core.errors import ConflictError
from accord.core.http import AuthedHttpRequest
from accord.core.permissions import Action, allows
from accord.parties.models import Company, Contact
from accord.parties.selectors import get_company_for, get_contact_for


def _safe_next(request: AuthedHttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def _is_htmx(request: AuthedHttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _back_to(activity: Activity | None, company: Company | None, contact: Contact | None) -> str:
    if company is not None:
        return company.get_absolute_url()
    if contact is not None:
        return reverse("parties:contact_detail", args=[contact.pk])
    if activity is not None:
        return activity.get_absolute_url()
    return reverse("home")


def _visible_deal(request: AuthedHttpRequest, raw: str | None) -> Any:
    """The deal named in the query, through the deals selector (404 when not visible)."""
    if not raw:
        return None
    from accord.sales.selectors_deals import get_deal_for

    return get_deal_for(request.user, raw)


@login_required
@require_http_methods(["GET", "POST"])
def activity_create(request: AuthedHttpRequest) -> HttpResponse:
    params = request.POST if request.method == "POST" else request.GET
    kind = params.get("kind") or Activity.Kind.CALL
    if kind not in Activity.Kind.values:
        raise Http404
    company = get_company_for(request.user, params["company"]) if params.get("company") else None
    contact = get_contact_for(request.user, params["contact"]) if params.get("contact") else None
    # ?deal=<pk> (the deal page's quick actions): the activity is logged on a deal the user
    # may see, and carries its company so it shows on the client card too.
    deal = _visible_deal(request, params.get("deal") or request.GET.get("deal"))
    if deal is not None and company is None and allows(request.user, Action.VIEW, deal.company):
        company = deal.company
    form = ActivityForm(request.POST or None, kind=kind)
    if request.method == "POST" and form.is_valid():
        fields: dict[str, Any] = form.service_fields()
        if company is not None:
            fields["company"] = company
        if deal is not None:
            fields["deal"] = deal
        try:
            activity = services.activity_create(
                actor=request.user,
                kind=kind,
                fields=fields,
                contacts=[contact] if contact is not None else [],
                participants=list(form.cleaned_data.get("participants") or []),
                remind_me=bool(form.cleaned_data.get("remind_me")),
            )
        except ValidationError as exc:
            form.apply_errors(exc.message_dict)
        else:
            messages.success(
                request,
                _("Saved: %(subject)s") % {"subject": activity.subject},
            )
            if deal is not None and not _safe_next(request):
                return redirect(deal.get_absolute_url())
            return redirect(_safe_next(request) or _back_to(activity, company, contact))
    return render(
        request,
        "activities/activity_form.html",
        {
            "form": form,
            "kind": kind,
            "kind_label": Activity.Kind(kind).label,
            "kinds": Activity.Kind.choices,
            "company": company,
            "contact": contact,
            "deal": deal,
            "next": _safe_next(request),
            "outcomes": [c for c in Activity.Outcome.choices if c[0]],
        },
    )


@login_required
def activity_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    activity = selectors.get_activity_for(request.user, pk)
    documents = selectors.documents_visible_to(request.user).filter(activity=activity)
    return render(
        request,
        "activities/activity_detail.html",
        {
            "activity": activity,
            "company": _visible_company(request, activity),
            "contacts": [
                c for c in activity.contacts.all() if allows(request.user, Action.VIEW, c)
            ],
            "documents": list(documents.select_related("owner")[:100]),
            "can_upload": allows(request.user, Action.ADD, Document),
            "upload_form": DocumentUploadForm(),
            "max_bytes": services.settings.ACCORD_UPLOAD_MAX_BYTES,
            "allowed_types": services.allowed_extensions_text(),
            "can_change": allows(request.user, Action.CHANGE, activity),
            "can_delete": allows(request.user, Action.DELETE, activity),
        },
    )


def _visible_company(request: AuthedHttpRequest, activity: Activity) -> Company | None:
    """The activity's company, or None if the user may not see it: a call shared with the
    team must not reveal the name of a client the user has no access to."""
    company = activity.company
    return company if company is not None and allows(request.user, Action.VIEW, company) else None


def _initial_for(activity: Activity) -> dict[str, Any]:
    return {
        "subject": activity.subject,
        "body": activity.body,
        "at": activity.at,
        "ends_at": activity.ends_at,
        "direction": activity.direction,
        "duration_minutes": (activity.duration_seconds // 60)
        if activity.duration_seconds is not None
        else None,
        "outcome": activity.outcome,
        "location": activity.location,
        "participants": list(activity.participants.all()),
        "email_from": activity.email_from,
        "email_to": activity.email_to,
        "remind_at": activity.remind_at,
        "remind_me": activity.remind_at is not None,
        "version": activity.version,
    }


@login_required
@require_http_methods(["GET", "POST"])
def activity_edit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    activity = selectors.get_activity_for(request.user, pk, Action.CHANGE)
    form = ActivityForm(
        request.POST or None, kind=activity.kind, is_edit=True, initial=_initial_for(activity)
    )
    if request.method == "POST" and form.is_valid():
        fields = form.service_fields()
        if activity.kind == Activity.Kind.MEETING:
            if form.cleaned_data.get("remind_me") and fields.get("at"):
                fields["remind_at"] = activity.remind_at or (
                    fields["at"] - services.MEETING_REMINDER_LEAD
                )
            else:
                fields["remind_at"] = None
        try:
            updated = services.activity_update(
                actor=request.user,
                activity=activity,
                fields=fields,
                expected_version=form.cleaned_data.get("version"),
                participants=list(form.cleaned_data.get("participants") or [])
                if "participants" in form.fields
                else None,
            )
        except ValidationError as exc:
            form.apply_errors(exc.message_dict)
        except ConflictError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Changes saved."))
            return redirect(_safe_next(request) or updated.get_absolute_url())
    return render(
        request,
        "activities/activity_form.html",
        {
            "form": form,
            "activity": activity,
            "kind": activity.kind,
            "kind_label": activity.get_kind_display(),
            "company": _visible_company(request, activity),
            "next": _safe_next(request),
        },
    )


@login_required
@require_POST
def activity_complete(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    activity = selectors.get_activity_for(request.user, pk, Action.CHANGE)
    try:
        if request.POST.get("reopen"):
            activity = services.activity_reopen(actor=request.user, activity=activity)
        else:
            activity = services.activity_complete(actor=request.user, activity=activity)
    except ValidationError as exc:
        if _is_htmx(request):
            return HttpResponse(" ".join(exc.messages), status=400)
        messages.error(request, " ".join(exc.messages))
        return redirect(activity.get_absolute_url())
    if _is_htmx(request):
        activity = selectors.get_activity_for(request.user, pk)
        return render(request, "activities/_activity_item.html", {"activity": activity})
    messages.success(request, _("Marked as done: %(subject)s") % {"subject": activity.subject})
    return redirect(_safe_next(request) or activity.get_absolute_url())


@login_required
@require_http_methods(["GET", "POST"])
def activity_delete(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    activity = selectors.get_activity_for(request.user, pk, Action.DELETE)
    if request.method == "POST":
        company = activity.company
        services.activity_delete(actor=request.user, activity=activity)
        messages.success(request, _("Deleted: %(subject)s") % {"subject": activity.subject})
        return redirect(_safe_next(request) or _back_to(None, company, None))
    return render(request, "activities/activity_confirm_delete.html", {"activity": activity})


# --- timeline ---------------------------------------------------------------------------


def _cursor(request: AuthedHttpRequest) -> Any:
    raw = request.GET.get("before", "")
    if not raw:
        return None
    value = selectors.TimelineCursor.parse(raw)
    if value is None:
        raise Http404
    return value


def _render_timeline(
    request: AuthedHttpRequest, page: selectors.TimelinePage, url: str, before: Any
) -> HttpResponse:
    template = "activities/_timeline_items.html" if before else "activities/_timeline.html"
    return render(request, template, {"page": page, "timeline_url": url})


@login_required
def company_timeline(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    company = get_company_for(request.user, pk)
    before = _cursor(request)
    page = selectors.timeline_for_company(request.user, company, before=before)
    url = reverse("activities:company_timeline", args=[company.pk])
    return _render_timeline(request, page, url, before)


@login_required
def contact_timeline(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    contact = get_contact_for(request.user, pk)
    before = _cursor(request)
    page = selectors.timeline_for_contact(request.user, contact, before=before)
    url = reverse("activities:contact_timeline", args=[contact.pk])
    return _render_timeline(request, page, url, before)


# --- documents --------------------------------------------------------------------------


def _documents_context(
    request: AuthedHttpRequest,
    *,
    company: Company | None = None,
    contact: Contact | None = None,
    form: DocumentUploadForm | None = None,
) -> dict[str, Any]:
    if company is not None:
        documents = selectors.documents_for_company(request.user, company)
    elif contact is not None:
        documents = selectors.documents_for_contact(request.user, contact)
    else:
        documents = Document.objects.none()
    return {
        "documents": list(documents),
        "company": company,
        "contact": contact,
        "form": form or DocumentUploadForm(),
        "can_upload": allows(request.user, Action.ADD, Document),
        "max_bytes": services.settings.ACCORD_UPLOAD_MAX_BYTES,
        "allowed_types": services.allowed_extensions_text(),
    }


@login_required
def company_documents(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    company = get_company_for(request.user, pk)
    return render(
        request, "activities/_documents.html", _documents_context(request, company=company)
    )


@login_required
def contact_documents(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    contact = get_contact_for(request.user, pk)
    return render(
        request, "activities/_documents.html", _documents_context(request, contact=contact)
    )


@login_required
@require_POST
def document_upload(request: AuthedHttpRequest) -> HttpResponse:
    company = (
        get_company_for(request.user, request.POST["company"])
        if request.POST.get("company")
        else None
    )
    contact = (
        get_contact_for(request.user, request.POST["contact"])
        if request.POST.get("contact")
        else None
    )
    activity = (
        selectors.get_activity_for(request.user, request.POST["activity"])
        if request.POST.get("activity")
        else None
    )
    form = DocumentUploadForm(request.POST, request.FILES)
    status = 200
    if form.is_valid():
        try:
            services.document_upload(
                actor=request.user,
                uploaded_file=form.cleaned_data["file"],
                company=company,
                contact=contact,
                activity=activity,
                description=form.cleaned_data["description"],
            )
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error("file" if name not in form.fields else name, error)
            status = 400
        else:
            if not _is_htmx(request):
                messages.success(request, _("File uploaded."))
                return redirect(_safe_next(request) or _back_to(activity, company, contact))
            form = DocumentUploadForm()
    else:
        status = 400
    if not _is_htmx(request):
        if form.errors:
            for field_errors in form.errors.values():
                for message in field_errors:
                    messages.error(request, str(message))
        return redirect(_safe_next(request) or _back_to(activity, company, contact))
    context = _documents_context(request, company=company, contact=contact, form=form)
    return render(request, "activities/_documents.html", context, status=status)


@login_required
def document_download(request: AuthedHttpRequest, pk: int) -> FileResponse:
    document = selectors.get_document_for(request.user, pk)
    try:
        handle = document.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=document.original_name,
        content_type=document.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def document_delete(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    document = selectors.get_document_for(request.user, pk, Action.DELETE)
    company, contact = document.company, document.contact
    services.document_delete(actor=request.user, document=document)
    if _is_htmx(request):
        return render(
            request,
            "activities/_documents.html",
            _documents_context(request, company=company, contact=contact),
        )
    messages.success(request, _("File deleted."))
    return redirect(_safe_next(request) or _back_to(document.activity, company, contact))
