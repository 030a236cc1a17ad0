"""Knowledge-base articles over the REST API (V6): list or search, read, create, change,
versions, feedback, and the solutions linked to a case. Thin: parse -> selector -> service."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from accord.core.api import PageParams, authed_user, paginate
from accord.kb import selectors, services
from accord.kb.models import Article, ArticleVersion, KbCategory

router = Router(tags=["kb"])


class ArticleOut(Schema):
    id: int
    title: str
    slug: str
    summary: str
    body_html: str
    category: int | None
    visibility: str
    status: str
    language: str
    keywords: str
    owner: int
    team: int | None
    current_version: int
    helpful_count: int
    unhelpful_count: int
    helpful_percent: int | None
    solved_count: int
    published_at: datetime.datetime | None
    version: int
    created_at: datetime.datetime
    updated_at: datetime.datetime
    public_url: str | None
    snippet: str | None = None


class ArticlePage(Schema):
    items: list[ArticleOut]
    next: str | None
    total: int | None = None


class ArticleFilters(Schema):
    q: str | None = None
    status: str | None = None
    visibility: str | None = None
    language: str | None = None
    category: int | None = None
    page: int = 1


class ArticleIn(Schema):
    title: str
    body_html: str
    summary: str = ""
    category: int | None = None
    visibility: str = Article.Visibility.INTERNAL
    status: str = Article.Status.DRAFT
    language: str = Article.Language.EN
    keywords: str = ""
    team: int | None = None


class ArticlePatch(Schema):
    version: int
    title: str | None = None
    body_html: str | None = None
    summary: str | None = None
    category: int | None = None
    visibility: str | None = None
    status: str | None = None
    language: str | None = None
    keywords: str | None = None
    owner: int | None = None
    team: int | None = None
    note: str = ""


class VersionOut(Schema):
    number: int
    title: str
    summary: str
    body_html: str
    author: int | None
    created_at: datetime.datetime
    note: str


class FeedbackIn(Schema):
    is_helpful: bool
    comment: str = ""


class KbCategoryOut(Schema):
    id: int
    name: str
    name_ru: str
    name_fr: str
    name_de: str
    position: int
    is_active: bool


def render_article(article: Article, snippet: Any = None) -> dict[str, Any]:
    data = {
        name: getattr(article, name)
        for name in (
            "id",
            "title",
            "slug",
            "summary",
            "body_html",
            "visibility",
            "status",
            "language",
            "keywords",
            "current_version",
            "helpful_count",
            "unhelpful_count",
            "helpful_percent",
            "solved_count",
            "published_at",
            "version",
            "created_at",
            "updated_at",
        )
    }
    data.update(
        category=article.category_id,
        owner=article.owner_id,
        team=article.team_id,
        public_url=article.get_public_url() if article.is_public_readable else None,
        snippet=str(snippet) if snippet is not None else None,
    )
    return data


@router.get("/kb/articles", response=ArticlePage, summary="Articles the caller may see; search")
def article_list(
    request: HttpRequest, filters: Query[ArticleFilters], page: Query[PageParams]
) -> dict[str, Any]:
    """Without ``q``: newest changed first, cursor-paged. With ``q``: stemmed full-text search
    in the four languages, best first, paged with ``page`` (``limit`` per page, at most 100)."""
    user = authed_user(request)
    status = filters.status or ""
    statuses = (status,) if status else ()
    for name, value, choices in (
        ("status", status, Article.Status.values),
        ("visibility", filters.visibility or "", Article.Visibility.values),
        ("language", filters.language or "", Article.Language.values),
    ):
        if value and value not in choices:
            raise ValidationError(
                {name: [_("Choose one of: %(values)s.") % {"values": ", ".join(choices)}]}
            )
    if filters.q and filters.q.strip():
        limit = min(max(page.limit, 1), 100)
        result = selectors.search_articles(
            user,
            filters.q,
            statuses=statuses,
            visibility=filters.visibility or "",
            language=filters.language or "",
            category_id=filters.category,
            page=max(filters.page, 1),
            page_size=limit,
        )
        return {
            "items": [render_article(a, s) for a, s in result.results],
            "next": str(result.page + 1) if result.has_next else None,
            "total": result.total,
        }
    queryset: QuerySet[Article] = selectors.articles_visible_to(user)
    if statuses:
        queryset = queryset.filter(status__in=statuses)
    if filters.visibility:
        queryset = queryset.filter(visibility=filters.visibility)
    if filters.language:
        queryset = queryset.filter(language=filters.language)
    if filters.category is not None:
        queryset = queryset.filter(category_id=filters.category)
    return paginate(
        queryset,
        order=("-updated_at", "-id"),
        after=page.after,
        limit=page.limit,
        render=render_article,
    )


@router.post("/kb/articles", response={201: ArticleOut}, summary="Write an article")
def article_create(request: HttpRequest, payload: ArticleIn) -> Status[dict[str, Any]]:
    article = services.article_create(actor=authed_user(request), **payload.model_dump())
    return Status(201, render_article(article))


@router.get("/kb/articles/{int:article_id}", response=ArticleOut, summary="One article")
def article_detail(request: HttpRequest, article_id: int) -> dict[str, Any]:
    return render_article(selectors.get_article_for(authed_user(request), article_id))


@router.patch("/kb/articles/{int:article_id}", response=ArticleOut, summary="Change an article")
def article_update(request: HttpRequest, article_id: int, payload: ArticlePatch) -> dict[str, Any]:
    user = authed_user(request)
    article = selectors.get_article_for(user, article_id)
    fields = payload.model_dump(exclude_unset=True)
    version = fields.pop("version")
    note = fields.pop("note", "")
    updated = services.article_update(
        actor=user, article=article, version=version, note=note, **fields
    )
    return render_article(updated)


@router.get(
    "/kb/articles/{int:article_id}/versions",
    response=list[VersionOut],
    summary="An article's versions, newest first",
)
def article_versions(request: HttpRequest, article_id: int) -> list[dict[str, Any]]:
    article = selectors.get_article_for(authed_user(request), article_id)
    return [
        {
            "number": v.number,
            "title": v.title,
            "summary": v.summary,
            "body_html": v.body_html,
            "author": v.author_id,
            "created_at": v.created_at,
            "note": v.note,
        }
        for v in ArticleVersion.objects.filter(article=article).order_by("-number")[:200]
    ]


@router.post(
    "/kb/articles/{int:article_id}/versions/{int:number}/restore",
    response=ArticleOut,
    summary="Make an earlier version the current text",
)
def article_restore(
    request: HttpRequest, article_id: int, number: int, version: int
) -> dict[str, Any]:
    user = authed_user(request)
    article = selectors.get_article_for(user, article_id)
    restored = services.article_restore_version(
        actor=user, article=article, number=number, version=version
    )
    return render_article(restored)


@router.post(
    "/kb/articles/{int:article_id}/feedback",
    response={201: ArticleOut},
    summary="Did this help? (once per user)",
)
def article_feedback(
    request: HttpRequest, article_id: int, payload: FeedbackIn
) -> Status[dict[str, Any]]:
    user = authed_user(request)
    article = selectors.get_article_for(user, article_id)
    services.feedback_submit(
        actor=user, article=article, is_helpful=payload.is_helpful, comment=payload.comment
    )
    return Status(201, render_article(article))


@router.get("/kb/categories", response=list[KbCategoryOut], summary="Knowledge-base categories")
def category_list(request: HttpRequest) -> QuerySet[KbCategory]:
    return selectors.categories(active_only=False)


@router.get(
    "/kb/cases/{int:case_id}/suggestions",
    response=list[ArticleOut],
    summary="Published articles that look like answers to a case",
)
def case_suggestions(request: HttpRequest, case_id: int) -> list[dict[str, Any]]:
    from accord.service.selectors import get_case_for

    user = authed_user(request)
    case = get_case_for(user, case_id)
    return [render_article(a, s) for a, s in selectors.suggestions_for_case(user, case)]


@router.post(
    "/kb/cases/{int:case_id}/solutions/{int:article_id}",
    response={201: ArticleOut},
    summary="Link an article to a case as its solution",
)
def case_link(request: HttpRequest, case_id: int, article_id: int) -> Status[dict[str, Any]]:
    from accord.service.selectors import get_case_for

    user = authed_user(request)
    case = get_case_for(user, case_id)
    article = selectors.get_article_for(user, article_id)
    services.solution_link(actor=user, case=case, article=article)
    article.refresh_from_db()
    return Status(201, render_article(article))


@router.delete(
    "/kb/cases/{int:case_id}/solutions/{int:article_id}",
    response={204: None},
    summary="Unlink an article from a case",
)
def case_unlink(request: HttpRequest, case_id: int, article_id: int) -> Status[None]:
    from accord.service.selectors import get_case_for

    user = authed_user(request)
    case = get_case_for(user, case_id)
    article = selectors.get_article_for(user, article_id)
    services.solution_unlink(actor=user, case=case, article=article)
    return Status(204, None)
