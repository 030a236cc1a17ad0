"""Feedback results (V4, K7): average score, distribution, response rate, per agent, per
category and per month, low scores with their follow-up, complaints and refusals. Every
figure is an SQL aggregate over the surveys the viewer may see, made in the period."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import translation

from accord.core.permissions import Action
from accord.feedback.models import Survey
from accord.feedback.selectors import opt_outs_visible_to, surveys_visible_to
from accord.feedback.services import follow_up_at
from accord.servicereports.filters import ServiceFilter
from accord.servicereports.scoping import created_in, scoped_cases

LOW_LIST_LIMIT = 50
LOW_LIST_FIELDS = (
    "case_id",
    "order_id",
    "agent_id",
    "company_id",
    "follow_up_id",
    "answered_at",
    "score",
    "comment",
    "is_complaint",
)


def scoped_surveys(user: Any, report_filter: ServiceFilter, action: str = Action.VIEW) -> Any:
    surveys = surveys_visible_to(user, action).order_by().filter(created_in(report_filter))
    if report_filter.queue is not None:
        surveys = surveys.filter(queue_id=report_filter.queue.pk)
    if report_filter.category is not None:
        surveys = surveys.filter(category_id=report_filter.category.pk)
    if report_filter.agent is not None:
        surveys = surveys.filter(agent_id=report_filter.agent.pk)
    return surveys


def average(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


def rate(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


def _aggregates(threshold: int) -> dict[str, Any]:
    return {
        "sent": Count("pk", filter=Q(sent_at__isnull=False)),
        "answered": Count("pk", filter=Q(score__isnull=False)),
        "average": Avg("score"),
        "low": Count("pk", filter=Q(score__lte=threshold)),
        "declined": Count("pk", filter=Q(declined=True)),
    }


def _finish(row: dict[str, Any]) -> dict[str, Any]:
    row["average"] = average(row["average"])
    row["response_rate"] = rate(row["answered"], row["sent"])
    return row


@dataclass
class FeedbackResults:
    threshold: int
    sent: int = 0
    answered: int = 0
    declined: int = 0
    average: Decimal | None = None
    response_rate: Decimal | None = None
    distribution: list[tuple[int, int, Decimal | None]] = field(default_factory=list)
    per_agent: list[dict[str, Any]] = field(default_factory=list)
    per_category: list[dict[str, Any]] = field(default_factory=list)
    per_month: list[dict[str, Any]] = field(default_factory=list)
    low_scores: list[Survey] = field(default_factory=list)
    low_open: int = 0
    complaint_cases: int = 0
    complaint_surveys: int = 0
    opt_outs: int = 0

    @property
    def complaints(self) -> int:
        return self.complaint_cases + self.complaint_surveys

    @property
    def refusals(self) -> int:
        return self.declined + self.opt_outs


def _agent_name(row: Any) -> str:
    name = " ".join(p for p in (row.get("agent__first_name"), row.get("agent__last_name")) if p)
    return name or row.get("agent__username") or ""


def _category_name(row: Any) -> str:
    language = (translation.get_language() or "en")[:2]
    localised = row.get(f"category__name_{language}") if language != "en" else ""
    return localised or row.get("category__name") or ""


def feedback_results(user: Any, report_filter: ServiceFilter) -> FeedbackResults:
    """All the figures of the results page, in a fixed number of queries."""
    threshold = follow_up_at()
    surveys: QuerySet[Survey] = scoped_surveys(user, report_filter)
    totals = surveys.aggregate(**_aggregates(threshold))
    result = FeedbackResults(
        threshold=threshold,
        sent=totals["sent"],
        answered=totals["answered"],
        declined=totals["declined"],
        average=average(totals["average"]),
        response_rate=rate(totals["answered"], totals["sent"]),
    )
    counts = dict(
        surveys.filter(score__isnull=False)
        .values_list("score")
        .annotate(n=Count("pk"))
        .values_list("score", "n")
    )
    result.distribution = [
        (score, counts.get(score, 0), rate(counts.get(score, 0), result.answered))
        for score in range(5, 0, -1)
    ]
    agent_rows = (
        surveys.values("agent_id", "agent__first_name", "agent__last_name", "agent__username")
        .annotate(**_aggregates(threshold))
        .order_by("agent__last_name", "agent__first_name", "agent_id")
    )
    result.per_agent = [_finish({**row, "name": _agent_name(row)}) for row in agent_rows]
    category_rows = (
        surveys.values(
            "category_id",
            "category__name",
            "category__name_ru",
            "category__name_fr",
            "category__name_de",
            "category__position",
        )
        .annotate(**_aggregates(threshold))
        .order_by("category__position", "category_id")
    )
    result.per_category = [_finish({**row, "name": _category_name(row)}) for row in category_rows]
    month_rows = (
        surveys.annotate(month=TruncMonth("created_at", tzinfo=report_filter.tz))
        .values("month")
        .annotate(**_aggregates(threshold))
        .order_by("month")
    )
    result.per_month = [
        _finish(
            {**row, "month": row["month"].date() if hasattr(row["month"], "date") else row["month"]}
        )
        for row in month_rows
    ]
    low = surveys.filter(score__lte=threshold)
    result.low_open = low.filter(Q(follow_up__isnull=True) | Q(follow_up__is_done=False)).count()
    result.low_scores = list(
        low.select_related("case", "order", "agent", "follow_up", "company").order_by(
            "-answered_at", "-id"
        )[:LOW_LIST_LIMIT]
    )
    result.complaint_surveys = surveys.filter(is_complaint=True).count()
    result.complaint_cases = (
        scoped_cases(user, report_filter)
        .filter(created_in(report_filter), category__code="complaint")
        .count()
    )
    result.opt_outs = opt_outs_visible_to(user).filter(created_in(report_filter)).count()
    return result
