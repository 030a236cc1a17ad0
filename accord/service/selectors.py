"""Reads of cases, always scoped to what the user may see (ARCHITECTURE.md rule 2).

Messages, attachments and events are child records: they are reached only through a case the
user may see. The list filters live here so that the page, the export and the API filter alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from accord.core.permissions import Action, restrict
from accord.service.models import Case, CaseAttachment, CaseEvent, CaseMessage, Category

# How much of a long case's history its page shows at once (the newest items).
TIMELINE_LIMIT = 200


def cases_visible_to(user: Any, action: str = Action.VIEW) -> QuerySet[Case]:
    return restrict(Case.objects.all(), user, action)


def get_case_for(user: Any, pk: Any, action: str = Action.VIEW) -> Case:
    """The same 404 for a case that does not exist and one the user may not see."""
    try:
        return (
            cases_visible_to(user, action)
            .select_related(
                "company",
                "contact",
                "category",
                "queue",
                "owner",
                "team",
                "product",
                "order",
                "project",
                "asset",
                "contract",
                "sla_policy",
                "created_by",
            )
            .get(pk=int(pk))
        )
    except (Case.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def cases_for_list(queryset: QuerySet[Case]) -> QuerySet[Case]:
    """What a list row shows, fetched with the page (no query per row)."""
    return queryset.select_related("company", "contact", "category", "queue", "owner")


@dataclass(frozen=True)
class CaseFilters:
    """The filters of the case list, the export and ``GET /api/cases``.

    ``status`` is a status or "open" (new, in progress, waiting); ``assigned`` is "mine" or
    "unassigned"; ``q`` a reference (``CS-12`` or ``12``) or words of the subject."""

    status: str = ""
    queue: int | None = None
    assigned: str = ""
    owner: int | None = None
    priority: str = ""
    category: int | None = None
    channel: str = ""
    company: int | None = None
    contact: int | None = None
    q: str = ""


def reference_pk(text: str) -> int | None:
    """``CS-12``, ``cs 12``, ``#12`` or ``12`` -> 12."""
    cleaned = text.strip().upper().removeprefix("CS").lstrip("-# ").strip()
    return int(cleaned) if cleaned.isdigit() and len(cleaned) < 12 else None


def filter_cases(queryset: QuerySet[Case], filters: CaseFilters, user: Any) -> QuerySet[Case]:
    if filters.status == "open":
        queryset = queryset.filter(status__in=Case.OPEN_STATUSES)
    elif filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.queue is not None:
        queryset = queryset.filter(queue_id=filters.queue)
    if filters.assigned == "mine":
        queryset = queryset.filter(owner_id=user.pk)
    elif filters.assigned == "unassigned":
        queryset = queryset.filter(owner__isnull=True)
    if filters.owner is not None:
        queryset = queryset.filter(owner_id=filters.owner)
    if filters.priority:
        queryset = queryset.filter(priority=filters.priority)
    if filters.category is not None:
        queryset = queryset.filter(category_id=filters.category)
    if filters.channel:
        queryset = queryset.filter(channel=filters.channel)
    if filters.company is not None:
        queryset = queryset.filter(company_id=filters.company)
    if filters.contact is not None:
        queryset = queryset.filter(contact_id=filters.contact)
    text = filters.q.strip()
    if text:
        pk = reference_pk(text)
        condition = Q(subject__icontains=text)
        if pk is not None:
            condition |= Q(pk=pk)
        queryset = queryset.filter(condition)
    return queryset


def messages_of(case: Case, *, include_notes: bool = True) -> QuerySet[CaseMessage]:
    """A case's messages (already reached through a scoped selector), with their files."""
    queryset = CaseMessage.objects.filter(case=case)
    if not include_notes:
        queryset = queryset.exclude(kind=CaseMessage.Kind.NOTE)
    return queryset.select_related("author").prefetch_related(
        Prefetch("attachments", queryset=CaseAttachment.objects.order_by("id"))
    )


def events_of(case: Case) -> QuerySet[CaseEvent]:
    return CaseEvent.objects.filter(case=case).select_related("actor")


@dataclass(frozen=True)
class TimelineItem:
    kind: str  # "message" or "event"
    item: Any
    at: Any


def timeline(case: Case, limit: int = TIMELINE_LIMIT) -> tuple[list[TimelineItem], bool]:
    """Messages and events of a case, oldest first, at most ``limit`` of each (the newest);
    the flag says whether older items were left out. Two queries plus one for the files."""
    messages = list(messages_of(case).order_by("-created_at", "-id")[: limit + 1])
    events = list(events_of(case).order_by("-created_at", "-id")[: limit + 1])
    truncated = len(messages) > limit or len(events) > limit
    items = [TimelineItem("message", m, m.created_at) for m in messages[:limit]]
    items += [TimelineItem("event", e, e.created_at) for e in events[:limit]]
    items.sort(key=lambda i: (i.at, 0 if i.kind == "event" else 1, i.item.pk))
    return items, truncated


def get_attachment_for(user: Any, pk: Any) -> CaseAttachment:
    """A file of a message of a case the user may see (404 otherwise)."""
    try:
        return CaseAttachment.objects.select_related("message").get(
            pk=int(pk), message__case__in=cases_visible_to(user).values("pk")
        )
    except (CaseAttachment.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def active_categories() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True).order_by("position", "id")


def merge_candidates(user: Any, case: Case, limit: int = 20) -> list[Case]:
    """Open cases of the same client the user may change: the likely duplicates."""
    if case.company_id is None and case.contact_id is None:
        return []
    queryset = cases_visible_to(user, Action.CHANGE).filter(
        merged_into__isnull=True, status__in=Case.OPEN_STATUSES
    )
    if case.company_id is not None:
        queryset = queryset.filter(company_id=case.company_id)
    elif case.contact_id is not None:
        queryset = queryset.filter(contact_id=case.contact_id)
    return list(queryset.exclude(pk=case.pk).order_by("-created_at", "-id")[:limit])


def company_cases(user: Any, company_pk: int, limit: int = 10) -> tuple[list[Case], list[Case]]:
    """A client's open cases (all of them up to ``limit``), then the most recent others."""
    base = cases_for_list(cases_visible_to(user).filter(company_id=company_pk))
    open_cases = list(
        base.filter(status__in=Case.OPEN_STATUSES).order_by("-created_at", "-id")[:limit]
    )
    recent = list(
        base.exclude(status__in=Case.OPEN_STATUSES).order_by("-created_at", "-id")[:limit]
    )
    return open_cases, recent


def contact_cases(user: Any, contact_pk: int, limit: int = 10) -> list[Case]:
    return list(
        cases_for_list(cases_visible_to(user).filter(contact_id=contact_pk)).order_by(
            "-created_at", "-id"
        )[:limit]
    )
