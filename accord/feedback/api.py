"""Client feedback over the REST API (V4, I3): surveys the caller may see, one survey, the
complaint mark, and the results figures with the same filters as the results page."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from accord.core.api import PageParams, authed_user, paginate
from accord.core.permissions import Action, Scope, user_scope
from accord.feedback import services
from accord.feedback.models import Survey, SurveyOptOut
from accord.feedback.results import feedback_results
from accord.feedback.selectors import get_survey_for, opt_outs_visible_to, surveys_visible_to
from accord.servicereports.filters import parse_filter, validation_error

router = Router(tags=["feedback"])


class SurveyOut(Schema):
    id: int
    case: int | None
    order: int | None
    company: int | None
    contact: int | None
    agent: int | None
    category: int | None
    email: str
    language: str
    created_at: datetime.datetime
    sent_at: datetime.datetime | None
    expires_at: datetime.datetime
    answered_at: datetime.datetime | None
    score: int | None
    comment: str
    declined: bool
    is_complaint: bool
    follow_up: int | None
    follow_up_done: bool | None
    version: int


def render_survey(survey: Survey) -> dict[str, Any]:
    return {
        "id": survey.pk,
        "case": survey.case_id,
        "order": survey.order_id,
        "company": survey.company_id,
        "contact": survey.contact_id,
        "agent": survey.agent_id,
        "category": survey.category_id,
        "email": survey.email,
        "language": survey.language,
        "created_at": survey.created_at,
        "sent_at": survey.sent_at,
        "expires_at": survey.expires_at,
        "answered_at": survey.answered_at,
        "score": survey.score,
        "comment": survey.comment,
        "declined": survey.declined,
        "is_complaint": survey.is_complaint,
        "follow_up": survey.follow_up_id,
        "follow_up_done": survey.follow_up.is_done
        if survey.follow_up_id and survey.follow_up
        else None,
        "version": survey.version,
    }


class SurveyFilters(Schema):
    case: int | None = None
    order: int | None = None
    answered: bool | None = None
    score_max: int | None = None


@router.get("/feedback/surveys", response=dict[str, Any], summary="Surveys I may see")
def survey_list(
    request: HttpRequest, filters: Query[SurveyFilters], page: Query[PageParams]
) -> dict[str, Any]:
    user = authed_user(request)
    queryset = surveys_visible_to(user).select_related("follow_up")
    if filters.case is not None:
        queryset = queryset.filter(case_id=filters.case)
    if filters.order is not None:
        queryset = queryset.filter(order_id=filters.order)
    if filters.answered is not None:
        queryset = queryset.filter(answered_at__isnull=not filters.answered)
    if filters.score_max is not None:
        queryset = queryset.filter(score__lte=filters.score_max)
    return paginate(
        queryset,
        order=("-created_at", "-id"),
        after=page.after,
        limit=page.limit,
        render=render_survey,
    )


@router.get("/feedback/surveys/{survey_id}", response=SurveyOut, summary="One survey")
def survey_detail(request: HttpRequest, survey_id: int) -> dict[str, Any]:
    return render_survey(get_survey_for(authed_user(request), survey_id))


class ComplaintIn(Schema):
    is_complaint: bool
    version: int | None = None


@router.post(
    "/feedback/surveys/{survey_id}/complaint",
    response=SurveyOut,
    summary="Mark an answered survey's comment as a complaint (or not)",
)
def survey_complaint(request: HttpRequest, survey_id: int, payload: ComplaintIn) -> dict[str, Any]:
    user = authed_user(request)
    survey = get_survey_for(user, survey_id)
    updated = services.survey_mark_complaint(
        actor=user,
        survey=survey,
        is_complaint=payload.is_complaint,
        expected_version=payload.version,
    )
    return render_survey(get_survey_for(user, updated.pk))


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def _rows(rows: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    keep = (key, "name", "month", "sent", "answered", "response_rate", "average", "low", "declined")
    return [{k: _plain(row[k]) for k in keep if k in row} for row in rows]


@router.get(
    "/feedback/results",
    response=dict[str, Any],
    summary="Feedback results: the figures of the results page",
    openapi_extra={
        "parameters": [
            {"in": "query", "name": n, "schema": {"type": "string", "format": "date"}}
            for n in ("from", "to")
        ]
        + [
            {"in": "query", "name": n, "schema": {"type": "integer"}}
            for n in ("queue", "category", "agent")
        ]
    },
)
def results(request: HttpRequest) -> dict[str, Any]:
    """Averages and rates are strings (exact decimals) or null when undefined."""
    user = authed_user(request)
    if (
        user_scope(user, "case", Action.VIEW) == Scope.NONE
        and user_scope(user, "order", Action.VIEW) == Scope.NONE
    ):
        raise PermissionDenied(_("You do not have permission to see feedback results."))
    form, report_filter = parse_filter(request.GET, user)
    if report_filter is None:
        raise validation_error(form)
    data = feedback_results(user, report_filter)
    return {
        "filter": report_filter.query_params(),
        "sent": data.sent,
        "answered": data.answered,
        "response_rate": _plain(data.response_rate),
        "average": _plain(data.average),
        "distribution": [
            {"score": score, "answers": count, "share": _plain(share)}
            for score, count, share in data.distribution
        ],
        "per_agent": _rows(data.per_agent, "agent_id"),
        "per_category": _rows(data.per_category, "category_id"),
        "per_month": _rows(data.per_month, "month"),
        "low_scores_open": data.low_open,
        "low_scores": [render_survey(s) for s in data.low_scores],
        "complaints": {
            "cases": data.complaint_cases,
            "surveys": data.complaint_surveys,
            "total": data.complaints,
        },
        "refusals": {"declined": data.declined, "opt_outs": data.opt_outs, "total": data.refusals},
    }


class OptOutOut(Schema):
    id: int
    email: str
    contact: int | None
    company: int | None
    source: str
    created_at: datetime.datetime


def render_opt_out(opt_out: SurveyOptOut) -> dict[str, Any]:
    return {
        "id": opt_out.pk,
        "email": opt_out.email,
        "contact": opt_out.contact_id,
        "company": opt_out.company_id,
        "source": opt_out.source,
        "created_at": opt_out.created_at,
    }


class OptOutFilters(Schema):
    company: int | None = None


@router.get("/feedback/opt-outs", response=dict[str, Any], summary="Clients who want no surveys")
def opt_out_list(
    request: HttpRequest, filters: Query[OptOutFilters], page: Query[PageParams]
) -> dict[str, Any]:
    queryset = opt_outs_visible_to(authed_user(request))
    if filters.company is not None:
        queryset = queryset.filter(company_id=filters.company)
    return paginate(
        queryset,
        order=("-created_at", "-id"),
        after=page.after,
        limit=page.limit,
        render=render_opt_out,
    )


class OptOutIn(Schema):
    contact: int


@router.post(
    "/feedback/opt-outs",
    response={201: OptOutOut},
    summary="Record that a contact wants no surveys",
)
def opt_out_create(request: HttpRequest, payload: OptOutIn) -> Status[dict[str, Any]]:
    from accord.parties.selectors import get_contact_for

    user = authed_user(request)
    contact = get_contact_for(user, payload.contact)
    return Status(201, render_opt_out(services.survey_opt_out_record(actor=user, contact=contact)))


@router.delete(
    "/feedback/opt-outs/{opt_out_id}", response={204: None}, summary="Send surveys again"
)
def opt_out_delete(request: HttpRequest, opt_out_id: int) -> Status[None]:
    from django.shortcuts import get_object_or_404

    user = authed_user(request)
    opt_out = get_object_or_404(opt_outs_visible_to(user), pk=opt_out_id)
    services.survey_opt_out_remove(actor=user, opt_out=opt_out)
    return Status(204, None)
