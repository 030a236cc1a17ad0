"""Quote pages (S4): list, creation from a deal, the editor with htmx line editing, sending,
decisions, revisions and the PDF; and our company details for administrators.

Views are thin: parse a form, fetch through a selector, call one service, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accord.commerce import mail, pdf, selectors_quotes, services_quotes
from accord.commerce.forms_quotes import (
    FreeLineForm,
    QuoteCreateForm,
    QuoteDiscountForm,
    QuoteHeaderForm,
    QuoteRejectForm,
    QuoteSendForm,
    SellerProfileForm,
    apply_errors,
)
from accord.commerce.lists_quotes import QUOTES
from accord.commerce.models import Quote, QuoteLine
from accord.commerce.seller import get_seller_profile, seller_profile_update
from accord.core import lists
from accord.core.errors import ConflictError
from accord.core.http import AuthedHttpRequest
from accord.core.permissions import Action, allows, require_administrator
from accord.parties.selectors import contacts_visible_to

CATALOGUE_PREFIX = "cat"


def _is_htmx(request: AuthedHttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _version(request: AuthedHttpRequest) -> int | None:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() else None


def money(value: Any, currency: str) -> str:
    """An amount with its currency in the reader's language (as everywhere on quote pages)."""
    return pdf.format_money(value, currency, (get_language() or "en")[:2])


def plain(value: Any) -> str:
    """A Decimal without trailing zeros or exponent (10, 7.5, 33.335), for inputs and cells."""
    text = format(value.normalize(), "f")
    return text


def _client_contacts(user: Any, quote_or_deal: Any) -> Any:
    company_id = quote_or_deal.company_id
    return (
        contacts_visible_to(user)
        .filter(employments__company_id=company_id)
        .distinct()
        .order_by("last_name", "first_name", "id")
    )


def _deal_url(deal_id: int) -> str:
    try:
        return reverse("sales:deal_detail", args=[deal_id])
    except NoReverseMatch:
        return ""


# --- list -----------------------------------------------------------------------------------


@login_required
def quote_list(request: AuthedHttpRequest) -> HttpResponse:
    return lists.render_list(request, QUOTES)


@login_required
def quote_export(request: AuthedHttpRequest) -> HttpResponseBase:
    return lists.export_list(request, QUOTES, "quotes")


# --- creation -------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def quote_create(request: AuthedHttpRequest) -> HttpResponse:
    """GET ?deal=<pk>: the few choices of a new quote; POST: create the draft and open it."""
    from accord.sales.selectors_deals import get_deal_for

    params = request.POST if request.method == "POST" else request.GET
    if not params.get("deal"):
        raise Http404
    deal = get_deal_for(request.user, params["deal"])
    contacts = _client_contacts(request.user, deal)
    initial = {
        "contact": deal.contacts.order_by("pk").values_list("pk", flat=True).first(),
        "language": services_quotes.default_language(company=deal.company, actor=request.user),
    }
    form = QuoteCreateForm(request.POST or None, contacts=contacts, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            quote = services_quotes.quote_create(
                actor=request.user,
                deal=deal,
                contact=form.cleaned_data["contact"],
                language=form.cleaned_data["language"],
                valid_until=form.cleaned_data["valid_until"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Quote %(number)s created.") % {"number": quote.number})
            return redirect(quote.get_absolute_url())
    return render(
        request,
        "commerce/quote_create.html",
        {"form": form, "deal": deal, "deal_url": _deal_url(deal.pk)},
    )


# --- the editor -----------------------------------------------------------------------------


def _line_rows(quote: Quote, lines: list[QuoteLine]) -> list[dict[str, Any]]:
    return [
        {
            "line": line,
            "quantity": plain(line.quantity),
            "discount": plain(line.discount_percent),
            "tax_rate": plain(line.tax_rate),
            "unit_price": money(line.unit_price, quote.currency),
            "net": money(line.net_amount, quote.currency),
            "total": money(line.total_amount, quote.currency),
            "options": [
                f"{o.get('group', '')}: {o.get('name', o.get('code', ''))}"
                for o in (line.configuration or [])
                if isinstance(o, dict)
            ],
        }
        for line in lines
    ]


def _totals(quote: Quote, lines: list[QuoteLine]) -> dict[str, Any]:
    from accord.commerce import pricing

    computed = pricing.compute(lines, quote.discount_percent)
    return {
        "subtotal": money(quote.subtotal, quote.currency),
        "discount_total": money(quote.discount_total, quote.currency),
        "net": money(quote.total - quote.tax_total, quote.currency),
        "by_rate": [
            {
                "rate": plain(rate),
                "net": money(net, quote.currency),
                "tax": money(tax, quote.currency),
            }
            for rate, net, tax in computed.tax_by_rate
        ],
        "total": money(quote.total, quote.currency),
    }


def _lines_context(
    request: AuthedHttpRequest,
    quote: Quote,
    *,
    editing: int | None = None,
    line_form: FreeLineForm | None = None,
    edit_form: FreeLineForm | None = None,
    discount_form: QuoteDiscountForm | None = None,
    catalogue_errors: list[str] | None = None,
    error: str = "",
) -> dict[str, Any]:
    lines = selectors_quotes.quote_lines(quote)
    can_change = quote.is_editable and allows(request.user, Action.CHANGE, quote)
    picker_url = ""
    if can_change and quote.price_list_id:
        try:
            picker_url = (
                reverse("catalog:line_picker")
                + f"?price_list={quote.price_list_id}&prefix={CATALOGUE_PREFIX}"
            )
        except NoReverseMatch:
            picker_url = ""
    editing_form = edit_form
    if editing is not None and editing_form is None:
        line = next((x for x in lines if x.pk == editing), None)
        if line is not None:
            editing_form = FreeLineForm(
                initial={
                    "description": line.description,
                    "quantity": plain(line.quantity),
                    "unit": line.unit,
                    "unit_price": line.unit_price,
                    "discount_percent": plain(line.discount_percent),
                    "tax_rate": plain(line.tax_rate),
                    "version": quote.version,
                },
                auto_id="id_edit_%s",
            )
    return {
        "quote": quote,
        "rows": _line_rows(quote, lines),
        "totals": _totals(quote, lines),
        "can_change": can_change,
        "editing": editing,
        "edit_form": editing_form,
        "line_form": line_form
        or FreeLineForm(
            initial={
                "quantity": "1",
                "unit": "pcs",
                "tax_rate": plain(services_quotes.default_tax_rate()),
                "version": quote.version,
            },
            auto_id="id_new_%s",
        ),
        "discount_form": discount_form
        or QuoteDiscountForm(
            initial={
                "discount_percent": plain(quote.discount_percent),
                "version": quote.version,
            },
            auto_id="id_discount_%s",
        ),
        "picker_url": picker_url,
        "catalogue_prefix": CATALOGUE_PREFIX,
        "catalogue_errors": catalogue_errors or [],
        "locked_message": "" if quote.is_editable else services_quotes.locked_message(quote),
        "error": error,
    }


def _lines_response(request: AuthedHttpRequest, quote: Quote, **kwargs: Any) -> HttpResponse:
    """After a line change: the lines fragment for htmx, the editor page otherwise."""
    quote = selectors_quotes.get_quote_for(request.user, quote.pk)
    if _is_htmx(request):
        return render(
            request, "commerce/_quote_lines.html", _lines_context(request, quote, **kwargs)
        )
    if kwargs.get("error"):
        messages.error(request, kwargs["error"])
    if any(kwargs.get(k) is not None and kwargs[k].errors for k in ("line_form", "edit_form")):
        return render(
            request, "commerce/quote_detail.html", _detail_context(request, quote, **kwargs)
        )
    return redirect(quote.get_absolute_url())


def _detail_context(request: AuthedHttpRequest, quote: Quote, **kwargs: Any) -> dict[str, Any]:
    can_change = allows(request.user, Action.CHANGE, quote)
    context = _lines_context(request, quote, **kwargs)
    context.update(
        {
            "header_form": kwargs.get("header_form")
            or QuoteHeaderForm(
                initial={
                    "contact": quote.contact_id,
                    "valid_until": quote.valid_until,
                    "language": quote.language,
                    "terms": quote.terms,
                    "notes": quote.notes,
                    "version": quote.version,
                },
                contacts=_client_contacts(request.user, quote),
            ),
            "reject_form": QuoteRejectForm(initial={"version": quote.version}),
            "revisions": selectors_quotes.revisions_of(request.user, quote),
            "can_send": can_change and quote.is_latest and quote.status == Quote.Status.DRAFT,
            "can_decide": can_change and quote.is_latest and quote.status == Quote.Status.SENT,
            "can_revise": can_change and quote.is_latest,
            "deal_url": _deal_url(quote.deal_id),
            "order": getattr(quote, "order", None)
            if quote.status == Quote.Status.ACCEPTED
            else None,
        }
    )
    return context


@login_required
def quote_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    quote = selectors_quotes.get_quote_for(request.user, pk)
    editing = request.GET.get("edit")
    context = _detail_context(
        request, quote, editing=int(editing) if editing and editing.isdigit() else None
    )
    if _is_htmx(request) and request.GET.get("part") == "lines":
        return render(request, "commerce/_quote_lines.html", context)
    return render(request, "commerce/quote_detail.html", context)


@login_required
@require_POST
def quote_update(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """The draft's details (contact, validity, language, terms, notes)."""
    quote = selectors_quotes.get_quote_for(request.user, pk, Action.CHANGE)
    form = QuoteHeaderForm(request.POST, contacts=_client_contacts(request.user, quote))
    if form.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            services_quotes.quote_update(
                actor=request.user, quote=quote, fields=fields, expected_version=_version(request)
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        except ConflictError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Changes saved."))
            return redirect(quote.get_absolute_url())
    return render(
        request, "commerce/quote_detail.html", _detail_context(request, quote, header_form=form)
    )


@login_required
@require_POST
def quote_discount(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    quote = selectors_quotes.get_quote_for(request.user, pk, Action.CHANGE)
    form = QuoteDiscountForm(request.POST, auto_id="id_discount_%s")
    if form.is_valid():
        try:
            services_quotes.quote_update(
                actor=request.user,
                quote=quote,
                fields={"discount_percent": form.cleaned_data["discount_percent"]},
                expected_version=_version(request),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        except ConflictError as exc:
            form.add_error(None, str(exc))
    if form.errors:
        quote = selectors_quotes.get_quote_for(request.user, pk)
        if _is_htmx(request):
            return render(
                request,
                "commerce/_quote_lines.html",
                _lines_context(request, quote, discount_form=form),
            )
        return render(
            request,
            "commerce/quote_detail.html",
            _detail_context(request, quote, discount_form=form),
        )
    return _lines_response(request, quote)


@login_required
@require_POST
def quote_line_add(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """A free-text line (``kind=text``) or a catalogue line from the line picker."""
    quote = selectors_quotes.get_quote_for(request.user, pk, Action.CHANGE)
    if request.POST.get("kind") == "catalogue":
        return _catalogue_line_add(request, quote)
    form = FreeLineForm(request.POST, auto_id="id_new_%s")
    if form.is_valid():
        try:
            services_quotes.quote_line_add(
                actor=request.user,
                quote=quote,
                line=form.line_fields(),
                expected_version=_version(request),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        except ConflictError as exc:
            form.add_error(None, str(exc))
    if form.errors:
        return _lines_response(request, quote, line_form=form)
    return _lines_response(request, quote)


def _catalogue_line_add(request: AuthedHttpRequest, quote: Quote) -> HttpResponse:
    from accord.catalog.forms import line_from_post

    if quote.price_list is None:
        return _lines_response(request, quote, error=_("The quote has no price list."))
    try:
        draft = line_from_post(
            request.POST, CATALOGUE_PREFIX, price_list=quote.price_list, user=request.user
        )
        services_quotes.quote_line_add(
            actor=request.user, quote=quote, line=draft, expected_version=_version(request)
        )
    except ValidationError as exc:
        errors = [m for values in exc.message_dict.values() for m in values]
        return _lines_response(request, quote, catalogue_errors=errors, error=" ".join(errors))
    except ConflictError as exc:
        return _lines_response(request, quote, error=str(exc))
    return _lines_response(request, quote)


@login_required
@require_POST
def quote_line_edit(request: AuthedHttpRequest, pk: int, line_pk: int) -> HttpResponse:
    quote = selectors_quotes.get_quote_for(request.user, pk, Action.CHANGE)
    line = selectors_quotes.get_quote_line_for(request.user, quote, line_pk)
    form = FreeLineForm(request.POST, auto_id="id_edit_%s")
    if form.is_valid():
        try:
            services_quotes.quote_line_update(
                actor=request.user,
                quote=quote,
                line=line,
                fields=form.line_fields(),
                expected_version=_version(request),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        except ConflictError as exc:
            form.add_error(None, str(exc))
    if form.errors:
        return _lines_response(request, quote, editing=line.pk, edit_form=form)
    return _lines_response(request, quote)


@login_required
@require_POST
def quote_line_delete(request: AuthedHttpRequest, pk: int, line_pk: int) -> HttpResponse:
    quote = selectors_quotes.get_quote_for(request.user, pk, Action.CHANGE)
    line = selectors_quotes.get_quote_line_for(request.user, quote, line_pk)
    try:
        services_quotes.quote_line_remove(
            actor=request.user, quote=quote, line=line, expected_version=_version(request)
        )
    except ValidationError as exc:
        return _lines_response(request, quote, error=" ".join(exc.messages))
    except ConflictError as exc:
        return _lines_response(request, quote, error=str(exc))
    return _lines_response(request, quote)


@login_required
@require_POST
def quote_line_move(request: AuthedHttpRequest, pk: int, line_pk: int) -> HttpResponse:
    quote = selectors_quotes.get_quote_for(request.user, pk, Action.CHANGE)
    line = selectors_quotes.get_quote_line_for(request.user, quote, line_pk)
    offset = -1 if request.POST.get("direction") == "up" else 1
    try:
        services_quotes.quote_line_move(
            actor=request.user,
            quote=quote,
            line=line,
            offset=offset,
            expected_version=_version(request),
        )
    except ValidationError as exc:
        return _lines_response(request, quote, error=" ".join(exc.messages))
    except ConflictError as exc:
        return _lines_response(request, quote, error=str(exc))
    return _lines_response(request, quote)


# --- sending, decisions, revisions ----------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def quote_send(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    quote = selectors_quotes.get_quote_for(request.user, pk, Action.CHANGE)
    if request.method == "POST":
        form = QuoteSendForm(request.POST)
        if form.is_valid():
            try:
                mail.quote_send(
                    actor=request.user,
                    quote=quote,
                    to=form.cleaned_data["to"],
                    cc=form.cleaned_data["cc"],
                    subject=form.cleaned_data["subject"],
                    message=form.cleaned_data["message"],
                    expected_version=_version(request),
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            except (ConflictError, mail.QuoteSendError) as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request,
                    _("Quote %(number)s sent to %(to)s.")
                    % {"number": quote, "to": form.cleaned_data["to"]},
                )
                return redirect(quote.get_absolute_url())
    else:
        draft = mail.send_draft(quote, request.user)
        form = QuoteSendForm(
            initial={
                "to": draft.to,
                "subject": draft.subject,
                "message": draft.message,
                "version": quote.version,
            }
        )
    return render(
        request,
        "commerce/quote_send.html",
        {
            "quote": quote,
            "form": form,
            "locked_message": "" if quote.is_editable else services_quotes.locked_message(quote),
            "attachment": pdf.quote_filename(quote),
        },
    )


def _decision(request: AuthedHttpRequest, pk: int, action: str) -> HttpResponse:
    quote = selectors_quotes.get_quote_for(request.user, pk, Action.CHANGE)
    try:
        if action == "accept":
            updated = services_quotes.quote_accept(
                actor=request.user, quote=quote, expected_version=_version(request)
            )
            messages.success(
                request,
                _("Quote %(number)s accepted; the order was created.") % {"number": updated},
            )
        elif action == "reject":
            updated = services_quotes.quote_reject(
                actor=request.user,
                quote=quote,
                reason=request.POST.get("reason", ""),
                expected_version=_version(request),
            )
            messages.success(request, _("Quote %(number)s marked rejected.") % {"number": updated})
        else:
            updated = services_quotes.quote_revise(
                actor=request.user, quote=quote, expected_version=_version(request)
            )
            messages.success(
                request,
                _("Revision %(revision)s of quote %(number)s created.")
                % {"revision": updated.revision, "number": updated.number},
            )
            return redirect(updated.get_absolute_url())
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    except ConflictError as exc:
        messages.error(request, str(exc))
    return redirect(quote.get_absolute_url())


@login_required
@require_POST
def quote_accept(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    return _decision(request, pk, "accept")


@login_required
@require_POST
def quote_reject(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    return _decision(request, pk, "reject")


@login_required
@require_POST
def quote_revise(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    return _decision(request, pk, "revise")


@login_required
@require_GET
def quote_pdf(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """The PDF, for whoever may see the quote."""
    quote = selectors_quotes.get_quote_for(request.user, pk)
    response = HttpResponse(pdf.quote_pdf(quote), content_type="application/pdf")
    disposition = "inline" if request.GET.get("inline") == "1" else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{pdf.quote_filename(quote)}"'
    return response


@login_required
@require_GET
def deal_quotes(request: AuthedHttpRequest, deal_pk: int) -> HttpResponse:
    """The deal page's fragment: its quotes with status, total and links."""
    from accord.sales.selectors_deals import get_deal_for

    deal = get_deal_for(request.user, deal_pk)
    quotes = list(selectors_quotes.deal_quotes(request.user, deal)[:50])
    return render(
        request,
        "commerce/_deal_quotes.html",
        {
            "deal": deal,
            "rows": [{"quote": q, "total": money(q.total, q.currency)} for q in quotes],
            "can_add": allows(request.user, Action.ADD, Quote),
        },
    )


# --- our company details --------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def seller_profile(request: AuthedHttpRequest) -> HttpResponse:
    """Administrators edit the letterhead printed on quotes and invoices."""
    require_administrator(request.user)
    profile = get_seller_profile()
    form = SellerProfileForm(request.POST or None, request.FILES or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        try:
            seller_profile_update(
                actor=request.user,
                fields=form.service_fields(),
                logo=form.cleaned_data.get("logo_upload"),
                remove_logo=bool(form.cleaned_data.get("remove_logo")),
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict") and "logo" in exc.error_dict:
                for message in exc.message_dict.pop("logo"):
                    form.add_error("logo_upload", message)
                remaining = {k: v for k, v in exc.message_dict.items() if k != "logo"}
                if remaining:
                    apply_errors(form, ValidationError(remaining))
            else:
                apply_errors(form, exc)
        else:
            messages.success(request, _("Our company details were saved."))
            return redirect("commerce:seller_profile")
    return render(
        request,
        "commerce/seller_profile.html",
        {"form": form, "profile": get_seller_profile(), "today": timezone.localdate()},
    )
