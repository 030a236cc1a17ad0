"""Reads of the knowledge base, always scoped (rule 2): agents' lists and search through the
``kb_article`` record rules, the public page through "published and public" only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from accord.core.permissions import Action, Scope, restrict, team_ids, user_scope
from accord.kb import search
from accord.kb.models import Article, ArticleVersion, CaseSolution, KbCategory

PAGE_SIZE = 20
# What a result row never shows (the snippet reads body_text).
LIST_DEFERRED = ("body_html", "stems_title", "stems_body")


def articles_visible_to(user: Any, action: str = Action.VIEW) -> QuerySet[Article]:
    return restrict(Article.objects.all(), user, action)


def get_article_for(user: Any, pk: Any, action: str = Action.VIEW) -> Article:
    """The same 404 for an article that does not exist and one the user may not see; 403
    (PermissionDenied from the service) is for one they may see but not change."""
    try:
        return (
            articles_visible_to(user, action)
            .select_related("category", "owner", "team")
            .get(pk=int(pk))
        )
    except (Article.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def public_articles() -> QuerySet[Article]:
    return Article.objects.filter(
        status=Article.Status.PUBLISHED, visibility=Article.Visibility.PUBLIC
    )


def get_public_article(pk: Any) -> Article:
    try:
        return public_articles().select_related("category").get(pk=int(pk))
    except (Article.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def versions_of(article: Article) -> QuerySet[ArticleVersion]:
    return ArticleVersion.objects.filter(article=article).select_related("author")


def get_version(article: Article, number: Any) -> ArticleVersion:
    try:
        return versions_of(article).get(number=int(number))
    except (ArticleVersion.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def categories(*, active_only: bool = True) -> QuerySet[KbCategory]:
    qs = KbCategory.objects.all()
    return qs.filter(is_active=True) if active_only else qs


def solutions_of_case(case: Any, user: Any) -> list[CaseSolution]:
    """The articles linked to a case (already fetched through the case selector) that the
    reader may see."""
    visible = articles_visible_to(user).values("pk")
    return list(
        CaseSolution.objects.filter(case=case, article__in=visible)
        .select_related("article", "linked_by")
        .order_by("-linked_at", "-id")
    )


# --- search -------------------------------------------------------------------------------


@dataclass
class SearchPage:
    """One page of ranked matches, with the highlighted snippet of each."""

    results: list[tuple[Article, Any]]  # (article, snippet)
    total: int
    page: int
    page_size: int
    capped: bool
    relaxed: bool = False  # no article had every word: these have some of them

    @property
    def has_next(self) -> bool:
        return self.page * self.page_size < self.total

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def scope_filters(user: Any, action: str = Action.VIEW, **filters: Any) -> search.Filters | None:
    """The record rule of ``user`` as search filters; None when they may see no article."""
    scope = user_scope(user, "kb_article", action)
    if scope == Scope.NONE:
        return None
    owners: tuple[int, ...] | None = None
    teams: tuple[int, ...] = ()
    if scope < Scope.ALL:
        owners = (user.pk,)
        if scope == Scope.TEAM:
            teams = tuple(team_ids(user))
    return search.Filters(owner_ids=owners, team_ids=teams, **filters)


def _page(
    query: search.ParsedQuery,
    filters: search.Filters,
    page: int,
    page_size: int,
    base: QuerySet[Article],
    *,
    count: bool = True,
) -> SearchPage:
    page = max(1, page)
    ranked = search.search_ids(query, filters, limit=page_size, offset=(page - 1) * page_size)
    total = search.search_count(query, filters) if count else len(ranked)
    rows = base.filter(pk__in=[pk for pk, _rank in ranked]).select_related("category")
    by_id = {a.pk: a for a in rows.defer(*LIST_DEFERRED)}
    stems = query.stems
    results = [
        (by_id[pk], search.snippet(by_id[pk].body_text, stems, by_id[pk].language))
        for pk, _rank in ranked
        if pk in by_id
    ]
    return SearchPage(
        results, total, page, page_size, total >= search.MAX_RESULTS, not query.match_all
    )


def _all_words_or_some(
    query: search.ParsedQuery,
    filters: search.Filters,
    page: int,
    page_size: int,
    base: QuerySet[Article],
) -> SearchPage:
    """Articles with every word; when none has them all, those with most of them (marked
    ``relaxed``, so the page can say so) rather than an empty page."""
    result = _page(query, filters, page, page_size, base)
    if result.total or len(query.groups) < 2:
        return result
    return _page(search.ParsedQuery(query.groups, match_all=False), filters, page, page_size, base)


def search_articles(
    user: Any,
    text: str,
    *,
    statuses: tuple[str, ...] = (),
    visibility: str = "",
    language: str = "",
    category_id: int | None = None,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> SearchPage:
    """Articles the user may see matching every word of ``text`` (in any of its stems)."""
    filters = scope_filters(
        user,
        statuses=statuses,
        visibility=visibility,
        language=language,
        category_id=category_id,
    )
    query = search.parse_query(text)
    if filters is None or not query:
        return SearchPage([], 0, 1, page_size, False)
    return _all_words_or_some(query, filters, page, page_size, articles_visible_to(user))


def search_public(text: str, *, page: int = 1, page_size: int = PAGE_SIZE) -> SearchPage:
    filters = search.Filters(
        statuses=(Article.Status.PUBLISHED,), visibility=Article.Visibility.PUBLIC
    )
    query = search.parse_query(text)
    if not query:
        return SearchPage([], 0, 1, page_size, False)
    return _all_words_or_some(query, filters, page, page_size, public_articles())


def suggestions_for_case(user: Any, case: Any, *, limit: int = 5) -> list[tuple[Article, Any]]:
    """Published articles the user may see that look like answers to the case: any of the
    case's telling words, best ranked first."""
    filters = scope_filters(user, statuses=(Article.Status.PUBLISHED,))
    query = search.suggestion_query(case.subject, case.description or "")
    if filters is None or not query:
        return []
    return _page(query, filters, 1, limit, articles_visible_to(user), count=False).results
