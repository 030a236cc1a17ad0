"""Pages of client feedback: the public survey page (no login; the signed link is the key),
the results page with its CSV export, the case page's rating panel and the complaint mark."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accord.core.errors import ConflictError
from accord.core.export import csv_response, safe_cell
from accord.core.http import AuthedHttpRequest
from accord.core.permissions import Action, Scope, user_scope
from accord.feedback import services
from accord.feedback.results import feedback_results, scoped_surveys
from accord.feedback.selectors import case_survey, get_survey_for
from accord.servicereports.filters import parse_filter

SCORE_LABELS = {
    1: pgettext_lazy("survey score", "Very poor"),
    2: pgettext_lazy("survey score", "Poor"),
    3: pgettext_lazy("survey score", "Fair"),
    4: pgettext_lazy("survey score", "Good"),
    5: pgettext_lazy("survey score", "Excellent"),
}


def _survey_response(
    request: HttpRequest, state: str, survey: Any = None, status: int = 200, **extra: Any
) -> HttpResponse:
    context = {
        "state": state,
        "survey": survey,
        "scores": list(SCORE_LABELS.items()),
        **extra,
    }
    response = render(request, "feedback/survey_page.html", context, status=status)
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    # The link is the key: never leak it to other sites ("no-referrer" would make Chromium
    # send "Origin: null" with the form, which Django's CSRF check rightly refuses).
    response["Referrer-Policy"] = "same-origin"
    return response


@ensure_csrf_cookie
@require_http_methods(["GET", "POST"])
def survey_page(request: HttpRequest, token: str) -> HttpResponse:
    """The client's survey, reached from the e-mail without logging in. Tampered link: 400;
    expired: 410; already answered: a thank-you that changes nothing."""
    try:
        survey = services.survey_from_token(token)
    except services.SurveyLinkInvalid:
        return _survey_response(request, "invalid", status=400)
    # The survey's language, unless the client picked another with the page's switcher.
    chosen_language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    languages = {code for code, _name in settings.LANGUAGES}
    with translation.override(chosen_language if chosen_language in languages else survey.language):
        if survey.answered_at is not None:
            return _survey_response(request, "answered", survey)
        if survey.expires_at <= timezone.now():
            return _survey_response(request, "expired", survey, status=410)
        if request.method == "GET":
            chosen = request.GET.get("score", "")
            return _survey_response(
                request,
                "form",
                survey,
                chosen=int(chosen) if chosen in {"1", "2", "3", "4", "5"} else None,
                comment="",
            )
        declining = request.POST.get("action") == "decline"
        score = None if declining else request.POST.get("score")
        comment = "" if declining else request.POST.get("comment", "")
        opt_out = declining or request.POST.get("opt_out") == "1"
        try:
            answered = services.survey_answer(
                survey=survey, score=score, comment=comment, opt_out=opt_out
            )
        except services.SurveyAlreadyAnswered as exc:
            return _survey_response(request, "answered", exc.survey)
        except services.SurveyExpired as exc:
            return _survey_response(request, "expired", exc.survey, status=410)
        except ValidationError as exc:
            raw = request.POST.get("score", "")
            return _survey_response(
                request,
                "form",
                survey,
                status=400,
                errors=exc.message_dict,
                chosen=int(raw) if raw in {"1", "2", "3", "4", "5"} else None,
                comment=comment,
                opt_out=opt_out,
            )
        return _survey_response(
            request,
            "thanks",
            answered,
            low_score=answered.score is not None and answered.score <= services.follow_up_at(),
        )


def _may_see_results(user: Any, action: str = Action.VIEW) -> bool:
    return (
        user_scope(user, "case", action) > Scope.NONE
        or user_scope(user, "order", action) > Scope.NONE
    )


@login_required
@require_GET
def results(request: AuthedHttpRequest) -> HttpResponse | StreamingHttpResponse:
    """Results page: figures, breakdowns, low scores with follow-up status; ``?format=csv``
    exports every survey of the period (within the viewer's export scope)."""
    if not _may_see_results(request.user):
        raise PermissionDenied(_("You do not have permission to see feedback results."))
    form, report_filter = parse_filter(request.GET, request.user)
    may_export = _may_see_results(request.user, Action.EXPORT)
    if request.GET.get("format") == "csv" and report_filter is not None:
        if not may_export:
            raise PermissionDenied(_("You do not have permission to export feedback results."))
        return export_csv(request, report_filter)
    context: dict[str, Any] = {"form": form, "may_export": may_export}
    if report_filter is not None:
        from accord.analytics import charts
        from accord.analytics.results import Chart, Kind, Series

        data = feedback_results(request.user, report_filter)
        context.update(result=data, query=urlencode(report_filter.query_params()))
        if data.answered:
            chart = Chart(
                kind="bar",
                labels=[str(score) for score, _n, _p in reversed(data.distribution)],
                series=[Series(_("Answers"), [n for _s, n, _p in reversed(data.distribution)])],
                value_kind=Kind.INT,
            )
            context["chart"] = charts.render(chart, size="small")
    return render(request, "feedback/results.html", context, status=200 if report_filter else 400)


def export_csv(request: AuthedHttpRequest, report_filter: Any) -> StreamingHttpResponse:
    surveys = (
        scoped_surveys(request.user, report_filter, Action.EXPORT)
        .select_related("case", "order", "agent", "company", "category", "follow_up")
        .order_by("created_at", "id")
    )
    header = [
        _("Survey"),
        _("Case or order"),
        _("Client"),
        _("Agent"),
        _("Category"),
        _("E-mail address"),
        _("Language"),
        _("Sent"),
        _("Answered"),
        _("Score"),
        _("Comment"),
        _("Declined"),
        _("Complaint"),
        _("Follow-up done"),
    ]

    def rows() -> Any:
        yield [safe_cell(label) for label in header]
        for survey in surveys.iterator(chunk_size=2000):
            yield [
                safe_cell(survey.pk),
                safe_cell(survey.case.reference if survey.case else str(survey.order or "")),
                safe_cell(str(survey.company or "")),
                safe_cell(str(survey.agent or "")),
                safe_cell(str(survey.category or "")),
                safe_cell(survey.email),
                safe_cell(survey.language),
                safe_cell(survey.sent_at),
                safe_cell(survey.answered_at),
                safe_cell(survey.score),
                safe_cell(survey.comment),
                safe_cell(survey.declined),
                safe_cell(survey.is_complaint),
                safe_cell(survey.follow_up.is_done if survey.follow_up else ""),
            ]

    filename = f"feedback-{report_filter.start.isoformat()}-{report_filter.end.isoformat()}.csv"
    return csv_response(rows(), filename)


@login_required
@require_GET
def case_panel(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """The case page's panel: the client's rating of this case (htmx fragment)."""
    from accord.servicereports.scoping import cases_visible

    case = cases_visible(request.user).filter(pk=pk).only("pk", "owner_id", "team_id").first()
    if case is None:
        raise Http404
    survey = case_survey(request.user, case.pk)
    if survey is not None:
        survey.case = case  # the permission check needs only its owner and team
    may_mark = survey is not None and services.may_change(request.user, survey)
    return render(
        request,
        "feedback/_case_panel.html",
        {"survey": survey, "may_mark": may_mark, "threshold": services.follow_up_at()},
    )


@login_required
@require_POST
def survey_complaint(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """Mark (or unmark) an answered survey's comment as a complaint."""
    survey = get_survey_for(request.user, pk)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = None
    try:
        services.survey_mark_complaint(
            actor=request.user,
            survey=survey,
            is_complaint=request.POST.get("is_complaint") == "1",
            expected_version=version,
        )
    except ValidationError as exc:
        for errors in exc.message_dict.values():
            for error in errors:
                messages.error(request, error)
    except ConflictError as exc:
        messages.error(request, str(exc))
    next_url = request.POST.get("next", "")
    if next_url.startswith("/") and not next_url.startswith("//"):
        return redirect(next_url)
    return redirect(survey.subject_url or "feedback:results")


@login_required
@require_GET
def company_panel(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """The client card's panel: the client's ratings and who asked for no surveys."""
    from accord.feedback.results import average
    from accord.feedback.selectors import company_feedback
    from accord.parties.selectors import contacts_visible_to, get_company_for

    company = get_company_for(request.user, pk)
    data = company_feedback(request.user, company.pk)
    contacts = list(
        contacts_visible_to(request.user, Action.CHANGE)
        .filter(employments__company=company, contact_points__kind="email")
        .distinct()
        .only("pk", "full_name", "first_name", "last_name")
        .order_by("full_name", "id")[:50]
    )
    return render(
        request,
        "feedback/_company_panel.html",
        {
            "company": company,
            "average": average(data["totals"]["average"]),
            "answered": data["totals"]["answered"],
            "latest": data["latest"],
            "opt_outs": data["opt_outs"],
            "contacts": contacts,
            "threshold": services.follow_up_at(),
        },
    )


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    next_url = request.POST.get("next", "")
    if next_url.startswith("/") and not next_url.startswith("//"):
        return redirect(next_url)
    return redirect(fallback)


@login_required
@require_POST
def opt_out_add(request: AuthedHttpRequest) -> HttpResponse:
    """Record that a contact asked (by phone, in a meeting) not to receive surveys."""
    from accord.parties.selectors import get_contact_for

    contact = get_contact_for(request.user, request.POST.get("contact") or 0)
    try:
        services.survey_opt_out_record(actor=request.user, contact=contact)
        messages.success(request, _("%(name)s will receive no more surveys.") % {"name": contact})
    except ValidationError as exc:
        for errors in exc.message_dict.values():
            for error in errors:
                messages.error(request, error)
    return _back(request, contact.get_absolute_url())


@login_required
@require_POST
def opt_out_remove(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    from django.shortcuts import get_object_or_404

    from accord.feedback.selectors import opt_outs_visible_to

    opt_out = get_object_or_404(opt_outs_visible_to(request.user), pk=pk)
    services.survey_opt_out_remove(actor=request.user, opt_out=opt_out)
    messages.success(
        request, _("Surveys will be sent to %(email)s again.") % {"email": opt_out.email}
    )
    return _back(request, opt_out.company.get_absolute_url() if opt_out.company else "/")
