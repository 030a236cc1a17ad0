"""Pages of the knowledge base (V6): search and list, an article with its votes, versions and
history, the editor, categories, the case-page panel of suggested articles, and the public
pages readable without signing in."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accord.core.errors import ConflictError
from accord.core.history import history_page
from accord.core.http import AuthedHttpRequest
from accord.core.permissions import Action, allows
from accord.kb import selectors, services
from accord.kb.diff import plain_words_diff
from accord.kb.forms import ArticleForm, CategoryForm, FeedbackForm
from accord.kb.models import Article, ArticleFeedback, KbCategory

HISTORY_PAGE_SIZE = 10


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _page_number(request: HttpRequest) -> int:
    return max(1, _int_or_none(request.GET.get("page")) or 1)


def _first_error(exc: ValidationError) -> str:
    return " ".join(m for messages_ in exc.message_dict.values() for m in messages_)


# --- list and search ----------------------------------------------------------------------


def _list_filters(request: HttpRequest) -> dict[str, Any]:
    status = request.GET.get("status", "")
    return {
        "statuses": (status,) if status in Article.Status.values else (),
        "visibility": v
        if (v := request.GET.get("visibility", "")) in Article.Visibility.values
        else "",
        "language": v if (v := request.GET.get("language", "")) in Article.Language.values else "",
        "category_id": _int_or_none(request.GET.get("category")),
    }


def _browse(user: Any, filters: dict[str, Any], page: int) -> tuple[list[Any], Any]:
    """Without a query: newest first, one page; counts from the indexed filters."""
    queryset: QuerySet[Article] = selectors.articles_visible_to(user)
    if filters["statuses"]:
        queryset = queryset.filter(status__in=filters["statuses"])
    if filters["visibility"]:
        queryset = queryset.filter(visibility=filters["visibility"])
    if filters["language"]:
        queryset = queryset.filter(language=filters["language"])
    if filters["category_id"] is not None:
        queryset = queryset.filter(category_id=filters["category_id"])
    queryset = (
        queryset.select_related("category")
        .defer("body_text", *selectors.LIST_DEFERRED)
        .order_by("-updated_at", "-id")
    )
    paginator = Paginator(queryset, selectors.PAGE_SIZE)
    page_obj = paginator.get_page(page)
    rows = [(article, None) for article in page_obj.object_list]
    return rows, page_obj


@login_required
def article_list(request: AuthedHttpRequest) -> HttpResponse:
    if not allows(request.user, Action.VIEW, Article):
        raise PermissionDenied
    query = request.GET.get("q", "").strip()[:200]
    filters = _list_filters(request)
    page = _page_number(request)
    context: dict[str, Any] = {
        "query": query,
        "filters": filters,
        "categories": selectors.categories(active_only=False),
        "statuses": Article.Status.choices,
        "visibilities": Article.Visibility.choices,
        "languages": Article.Language.choices,
        "can_add": allows(request.user, Action.ADD, Article),
        "can_administer": services.may_administer(request.user),
    }
    if query:
        result = selectors.search_articles(request.user, query, page=page, **filters)
        context.update(rows=result.results, search=result)
    else:
        rows, page_obj = _browse(request.user, filters, page)
        context.update(rows=rows, page_obj=page_obj)
    params = request.GET.copy()
    params.pop("page", None)
    context["page_query"] = params.urlencode()
    template = "kb/_article_results.html" if _is_htmx(request) else "kb/article_list.html"
    return render(request, template, context)


# --- one article --------------------------------------------------------------------------


def _voted(request: HttpRequest, article: Article) -> bool:
    if request.user.is_authenticated:
        return ArticleFeedback.objects.filter(article=article, user=request.user).exists()
    key = request.session.session_key
    return (
        bool(key)
        and ArticleFeedback.objects.filter(article=article, user=None, session_key=key).exists()
    )


@login_required
def article_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    article = selectors.get_article_for(request.user, pk)
    context = {
        "article": article,
        "can_change": allows(request.user, Action.CHANGE, article),
        "can_delete": allows(request.user, Action.DELETE, article),
        "voted": _voted(request, article),
        "feedback_form": FeedbackForm(),
        "comments": list(
            ArticleFeedback.objects.filter(article=article)
            .exclude(comment="")
            .select_related("user")[:10]
        ),
        "history": history_page(request.user, article, limit=HISTORY_PAGE_SIZE),
        "history_url": reverse("kb:article_history", args=[article.pk]),
    }
    return render(request, "kb/article_detail.html", context)


@login_required
def article_history(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    article = selectors.get_article_for(request.user, pk)
    before = request.GET.get("before", "")
    page = history_page(
        request.user,
        article,
        limit=HISTORY_PAGE_SIZE,
        before_id=int(before) if before.isdigit() else None,
    )
    return render(
        request,
        "core/_history.html",
        {
            "object": article,
            "object_type": "kb_article",
            "page": page,
            "more_url": reverse("kb:article_history", args=[article.pk]),
            "fragment": bool(before),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def article_create(request: AuthedHttpRequest) -> HttpResponse:
    if not allows(request.user, Action.ADD, Article):
        raise PermissionDenied
    language = (request.user.language or "en")[:2]
    initial = {
        "language": language if language in Article.Language.values else "en",
        "visibility": Article.Visibility.INTERNAL,
        "status": Article.Status.DRAFT,
        "category": _int_or_none(request.GET.get("category")),
    }
    form = ArticleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            article = services.article_create(actor=request.user, **form.service_fields())
        except ValidationError as exc:
            form.apply_errors(exc.message_dict)
        else:
            messages.success(request, _("Article saved: %(title)s") % {"title": article.title})
            return redirect(article.get_absolute_url())
    return render(request, "kb/article_form.html", {"form": form, "article": None})


@login_required
@require_http_methods(["GET", "POST"])
def article_edit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    article = selectors.get_article_for(request.user, pk)
    if not allows(request.user, Action.CHANGE, article):
        raise PermissionDenied
    initial = {
        "title": article.title,
        "summary": article.summary,
        "body_html": article.body_html,
        "category": article.category_id,
        "language": article.language,
        "visibility": article.visibility,
        "status": article.status,
        "keywords": article.keywords,
        "team": article.team_id,
        "owner": article.owner_id,
    }
    form = ArticleForm(
        request.POST or None,
        initial=initial,
        article=article,
        may_reassign=allows(request.user, Action.REASSIGN, article),
    )
    version = article.version
    if request.method == "POST":
        version = _int_or_none(request.POST.get("version")) or 0
        if form.is_valid():
            try:
                services.article_update(
                    actor=request.user,
                    article=article,
                    version=version,
                    note=form.cleaned_data.get("note", ""),
                    **form.service_fields(),
                )
            except ValidationError as exc:
                form.apply_errors(exc.message_dict)
            except ConflictError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Article saved."))
                return redirect(article.get_absolute_url())
    return render(
        request, "kb/article_form.html", {"form": form, "article": article, "version": version}
    )


@login_required
@require_POST
def article_delete(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    article = selectors.get_article_for(request.user, pk)
    try:
        services.article_delete(
            actor=request.user,
            article=article,
            version=_int_or_none(request.POST.get("version")) or 0,
        )
    except ConflictError as exc:
        messages.error(request, str(exc))
        return redirect(article.get_absolute_url())
    messages.success(request, _("Article deleted."))
    return redirect("kb:article_list")


# --- versions -----------------------------------------------------------------------------


@login_required
def article_versions(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    article = selectors.get_article_for(request.user, pk)
    paginator = Paginator(selectors.versions_of(article), 50)
    page_obj = paginator.get_page(_page_number(request))
    return render(
        request,
        "kb/article_versions.html",
        {
            "article": article,
            "page_obj": page_obj,
            "can_change": allows(request.user, Action.CHANGE, article),
        },
    )


@login_required
def article_version(request: AuthedHttpRequest, pk: int, number: int) -> HttpResponse:
    article = selectors.get_article_for(request.user, pk)
    version = selectors.get_version(article, number)
    return render(
        request,
        "kb/article_version.html",
        {
            "article": article,
            "version": version,
            "can_change": allows(request.user, Action.CHANGE, article),
        },
    )


@login_required
def article_diff(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """Two versions side by side as a word diff of their text (and of the title)."""
    article = selectors.get_article_for(request.user, pk)
    newer = selectors.get_version(article, request.GET.get("b") or article.current_version)
    older_number = _int_or_none(request.GET.get("a"))
    older = selectors.get_version(
        article, older_number if older_number is not None else max(1, newer.number - 1)
    )
    if older.number > newer.number:
        older, newer = newer, older
    return render(
        request,
        "kb/article_diff.html",
        {
            "article": article,
            "older": older,
            "newer": newer,
            "title_diff": plain_words_diff(older.title, newer.title),
            "summary_diff": plain_words_diff(older.summary, newer.summary),
            "body_diff": plain_words_diff(
                services.plain_text(older.body_html), services.plain_text(newer.body_html)
            ),
            "numbers": list(selectors.versions_of(article).values_list("number", flat=True)[:200]),
        },
    )


@login_required
@require_POST
def article_restore(request: AuthedHttpRequest, pk: int, number: int) -> HttpResponse:
    article = selectors.get_article_for(request.user, pk)
    try:
        services.article_restore_version(
            actor=request.user,
            article=article,
            number=number,
            version=_int_or_none(request.POST.get("version")) or 0,
        )
    except ValidationError as exc:
        messages.error(request, _first_error(exc))
    except ConflictError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("Version %(number)s restored as the current text.") % {"number": number}
        )
    return redirect(article.get_absolute_url())


# --- feedback -----------------------------------------------------------------------------


def _feedback(
    request: HttpRequest, article: Article, back_url: str, *, public: bool
) -> HttpResponse:
    form = FeedbackForm(request.POST)
    error = ""
    if not form.is_valid():
        error = _("Choose yes or no.")
    else:
        if not request.user.is_authenticated and not request.session.session_key:
            request.session.save()
        try:
            services.feedback_submit(
                actor=request.user,
                article=article,
                is_helpful=form.cleaned_data["is_helpful"],
                comment=form.cleaned_data["comment"],
                session_key=request.session.session_key or "",
            )
        except ValidationError as exc:
            error = _first_error(exc)
        article.refresh_from_db(fields=["helpful_count", "unhelpful_count"])
    context = {"article": article, "voted": not error, "error": error, "public": public}
    if _is_htmx(request):
        return render(request, "kb/_feedback.html", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Thank you for your feedback."))
    return redirect(back_url)


@login_required
@require_POST
def article_feedback(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    article = selectors.get_article_for(request.user, pk)
    return _feedback(request, article, article.get_absolute_url(), public=False)


# --- categories ---------------------------------------------------------------------------


def _require_administration(request: AuthedHttpRequest) -> None:
    if not services.may_administer(request.user):
        raise PermissionDenied


@login_required
def category_list(request: AuthedHttpRequest) -> HttpResponse:
    _require_administration(request)
    from django.db.models import Count

    rows = selectors.categories(active_only=False).annotate(article_count=Count("articles"))
    return render(request, "kb/category_list.html", {"categories": rows})


@login_required
@require_http_methods(["GET", "POST"])
def category_edit(request: AuthedHttpRequest, pk: int | None = None) -> HttpResponse:
    _require_administration(request)
    category = None
    initial: dict[str, Any] = {"is_active": True, "position": 0}
    if pk is not None:
        category = KbCategory.objects.filter(pk=pk).first()
        if category is None:
            raise Http404
        initial = {f: getattr(category, f) for f in services.CATEGORY_FIELDS}
    form = CategoryForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if category is None:
                services.category_create(actor=request.user, **form.cleaned_data)
            else:
                services.category_update(
                    actor=request.user,
                    category=category,
                    version=_int_or_none(request.POST.get("version")) or 0,
                    **form.cleaned_data,
                )
        except ValidationError as exc:
            form.apply_errors(exc.message_dict)
        except ConflictError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Category saved."))
            return redirect("kb:category_list")
    return render(request, "kb/category_form.html", {"form": form, "category": category})


# --- the case page ------------------------------------------------------------------------


def _case_for(request: AuthedHttpRequest, case_pk: int) -> Any:
    """The case through its scoped selector, with only what the panel reads."""
    from accord.service.models import Case
    from accord.service.selectors import cases_visible_to

    try:
        return (
            cases_visible_to(request.user)
            .only("id", "subject", "description", "owner_id", "team_id", "status")
            .get(pk=case_pk)
        )
    except Case.DoesNotExist as exc:
        raise Http404 from exc


def _panel(request: AuthedHttpRequest, case: Any, error: str = "") -> HttpResponse:
    """Linked solutions, then either the suggestions drawn from the case's own words or,
    when the agent typed a query in the panel, published articles matching it."""
    solutions = selectors.solutions_of_case(case, request.user)
    linked = {solution.article_id for solution in solutions}
    query = request.GET.get("q", "").strip()[:200]
    if query:
        found = selectors.search_articles(
            request.user, query, statuses=(Article.Status.PUBLISHED,), page_size=5
        ).results
    else:
        found = selectors.suggestions_for_case(request.user, case)
    return render(
        request,
        "kb/_case_panel.html",
        {
            "case": case,
            "solutions": solutions,
            "suggestions": [(a, snippet) for a, snippet in found if a.pk not in linked],
            "query": query,
            "can_link": allows(request.user, Action.CHANGE, case),
            "error": error,
        },
    )


@login_required
def case_panel(request: AuthedHttpRequest, case_pk: int) -> HttpResponse:
    """Suggested articles for a case and the articles linked to it as its solution."""
    return _panel(request, _case_for(request, case_pk))


@login_required
@require_POST
def case_link(request: AuthedHttpRequest, case_pk: int) -> HttpResponse:
    case = _case_for(request, case_pk)
    article = selectors.get_article_for(request.user, request.POST.get("article"))
    error = ""
    try:
        services.solution_link(actor=request.user, case=case, article=article)
    except ValidationError as exc:
        error = _first_error(exc)
    if _is_htmx(request):
        return _panel(request, case, error)
    if error:
        messages.error(request, error)
    return redirect(reverse("service:case_detail", args=[case.pk]))


@login_required
@require_POST
def case_unlink(request: AuthedHttpRequest, case_pk: int, article_pk: int) -> HttpResponse:
    case = _case_for(request, case_pk)
    article = selectors.get_article_for(request.user, article_pk)
    error = ""
    try:
        services.solution_unlink(actor=request.user, case=case, article=article)
    except ValidationError as exc:
        error = _first_error(exc)
    if _is_htmx(request):
        return _panel(request, case, error)
    if error:
        messages.error(request, error)
    return redirect(reverse("service:case_detail", args=[case.pk]))


# --- public pages -------------------------------------------------------------------------


def public_list(request: HttpRequest) -> HttpResponse:
    """Published public articles, searchable, for clients without an account."""
    query = request.GET.get("q", "").strip()[:200]
    page = _page_number(request)
    context: dict[str, Any] = {"query": query}
    if query:
        result = selectors.search_public(query, page=page)
        context.update(rows=result.results, search=result)
    else:
        queryset = (
            selectors.public_articles()
            .select_related("category")
            .defer("body_text", *selectors.LIST_DEFERRED)
            .order_by("-published_at", "-id")
        )
        page_obj = Paginator(queryset, selectors.PAGE_SIZE).get_page(page)
        context.update(rows=[(a, None) for a in page_obj.object_list], page_obj=page_obj)
    context["page_query"] = f"q={escape(query)}" if query else ""
    return render(request, "kb/public_list.html", context)


def public_detail(request: HttpRequest, pk: int, slug: str) -> HttpResponse:
    article = selectors.get_public_article(pk)
    if slug != article.slug:
        return redirect(article.get_public_url(), permanent=True)
    return render(
        request,
        "kb/public_detail.html",
        {"article": article, "voted": _voted(request, article), "public": True},
    )


@require_POST
def public_feedback(request: HttpRequest, pk: int) -> HttpResponse:
    article = selectors.get_public_article(pk)
    return _feedback(request, article, article.get_public_url(), public=True)
