"""Reads of surveys: a survey is visible to whoever may see its case (or its order), so
results, exports, the API and the case panel never show a rating on a case the viewer
cannot open."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from accord.core.permissions import Action, Scope, user_scope
from accord.feedback.models import Survey, SurveyOptOut


def _subject_q(user: Any, action: str) -> Q:
    from accord.commerce.selectors_orders import orders_visible_to
    from accord.servicereports.scoping import cases_visible

    q = Q(pk__in=[])
    case_scope = user_scope(user, "case", action)
    if case_scope == Scope.ALL:
        q |= Q(case__isnull=False)
    elif case_scope > Scope.NONE:
        q |= Q(case__in=cases_visible(user, action).values("pk"))
    order_scope = user_scope(user, "order", action)
    if order_scope == Scope.ALL:
        q |= Q(order__isnull=False)
    elif order_scope > Scope.NONE:
        q |= Q(order__in=orders_visible_to(user, action).values("pk"))
    return q


def surveys_visible_to(user: Any, action: str = Action.VIEW) -> QuerySet[Survey]:
    return Survey.objects.filter(_subject_q(user, action))


def get_survey_for(user: Any, pk: Any, action: str = Action.VIEW) -> Survey:
    survey = (
        surveys_visible_to(user, action)
        .select_related("case", "order", "agent", "company", "follow_up")
        .filter(pk=pk)
        .first()
    )
    if survey is None:
        raise Http404
    return survey


def opt_outs_visible_to(user: Any) -> QuerySet[SurveyOptOut]:
    """Opt-outs of clients the viewer may see (those without a client: to anyone who sees
    all cases)."""
    from accord.parties.selectors import companies_visible_to

    if user_scope(user, "company", Action.VIEW) == Scope.ALL:
        if user_scope(user, "case", Action.VIEW) == Scope.ALL:
            return SurveyOptOut.objects.all()
        return SurveyOptOut.objects.filter(company__isnull=False)
    return SurveyOptOut.objects.filter(company__in=companies_visible_to(user).values("pk"))


def case_survey(user: Any, case_pk: int) -> Survey | None:
    """The survey on one case for its page's panel (the case itself is checked by the view)."""
    return Survey.objects.select_related("follow_up", "agent").filter(case_id=case_pk).first()


COMPANY_PANEL_LIMIT = 5


def company_feedback(user: Any, company_pk: int) -> dict[str, Any]:
    """The client card's panel: average and count of the client's ratings the viewer may see,
    the latest ones, and the client's contacts who opted out."""
    from django.db.models import Avg, Count

    surveys = surveys_visible_to(user).filter(company_id=company_pk, score__isnull=False)
    totals = surveys.order_by().aggregate(average=Avg("score"), answered=Count("pk"))
    latest = list(
        surveys.select_related("case", "order")
        .only(
            "pk",
            "score",
            "comment",
            "answered_at",
            "is_complaint",
            "case_id",
            "order_id",
            "case__id",
            "case__subject",
            "order__id",
            "order__number",
        )
        .order_by("-answered_at", "-id")[:COMPANY_PANEL_LIMIT]
    )
    opt_outs = list(
        SurveyOptOut.objects.filter(company_id=company_pk)
        .select_related("contact")
        .order_by("-created_at", "-id")[:20]
    )
    return {"totals": totals, "latest": latest, "opt_outs": opt_outs}
