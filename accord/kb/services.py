"""Writes of the knowledge base (V6): one write path for the pages, the API and the demo.

Every save that changes an article's title, summary or text makes a new ArticleVersion; every
save recomputes the stemmed columns the search index reads (the index itself follows them in
the database, migration 0002). Linking an article to a case as its solution and the readers'
votes keep counters on the article with ``F()`` so lists never count rows.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from accord.core import audit
from accord.core.errors import ConflictError
from accord.core.models import AuditEntry, Team, User
from accord.core.permissions import Action, Scope, allows, require, user_scope
from accord.kb import search
from accord.kb.models import Article, ArticleFeedback, ArticleVersion, CaseSolution, KbCategory

ARTICLE_FIELDS = (
    "title",
    "summary",
    "body_html",
    "category",
    "visibility",
    "status",
    "language",
    "keywords",
    "owner",
    "team",
)
# What the audit log shows of an article (the stems and the plain text are derived).
# The text itself is in the versions; the audit entry names the version numbers.
AUDIT_FIELDS = (
    "title",
    "summary",
    "category_id",
    "visibility",
    "status",
    "language",
    "keywords",
    "owner_id",
    "team_id",
)
VERSIONED_FIELDS = ("title", "summary", "body_html")
CATEGORY_FIELDS = ("name", "name_ru", "name_fr", "name_de", "position", "is_active")


def sanitize(html: str) -> str:
    """The body as it may be shown, through the service desk's one sanitiser (the allow-list
    incoming mail goes through): no script, no event handler, no javascript: link."""
    from accord.service.sanitize import sanitize_html

    return str(sanitize_html(html or ""))


def plain_text(html: str) -> str:
    """Readable text of a sanitised body: block ends become line breaks, tags go."""
    import html as html_module
    import re

    text = re.sub(r"(?i)<br\s*/?>|</(p|h[1-6]|li|tr|blockquote|pre|div)>", "\n", html or "")
    text = html_module.unescape(strip_tags(text))
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def may_administer(user: Any) -> bool:
    """Administrators and the head of service (all rights on every article) run categories."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_administrator) or user_scope(user, "kb_article", Action.DELETE) == Scope.ALL


def _require_administration(user: Any) -> None:
    if not may_administer(user):
        raise PermissionDenied(_("Only administrators and the head of service may do this."))


def _reject_unknown(fields: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed here.")] for name in unknown})


def _resolve(fields: dict[str, Any]) -> dict[str, Any]:
    """Ids to objects for the foreign keys, with field-named errors."""
    data = dict(fields)
    if (
        "category" in data
        and data["category"] not in (None, "")
        and not isinstance(data["category"], KbCategory)
    ):
        category = KbCategory.objects.filter(pk=_int(data["category"], "category")).first()
        if category is None:
            raise ValidationError({"category": [_("Choose an existing category.")]})
        data["category"] = category
    elif "category" in data and data["category"] == "":
        data["category"] = None
    if "owner" in data and not isinstance(data["owner"], User):
        owner = User.objects.filter(pk=_int(data["owner"], "owner"), is_active=True).first()
        if owner is None:
            raise ValidationError({"owner": [_("Choose an active user.")]})
        data["owner"] = owner
    if "team" in data and data["team"] not in (None, "") and not isinstance(data["team"], Team):
        team = Team.objects.filter(pk=_int(data["team"], "team")).first()
        if team is None:
            raise ValidationError({"team": [_("Choose an existing team.")]})
        data["team"] = team
    elif "team" in data and data["team"] == "":
        data["team"] = None
    return data


def _int(value: Any, field_name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError({field_name: [_("Enter a whole number.")]}) from exc


def _check_category(category: KbCategory | None, old: KbCategory | None = None) -> None:
    if category is not None and not category.is_active and category != old:
        raise ValidationError({"category": [_("This category is no longer in use.")]})


def _refresh_derived(article: Article) -> None:
    """Sanitise the body, and recompute the plain text and the stems search indexes."""
    article.title = " ".join((article.title or "").split())
    article.body_html = sanitize(article.body_html)
    article.body_text = plain_text(article.body_html)
    article.keywords = ", ".join(
        k.strip() for k in (article.keywords or "").split(",") if k.strip()
    )
    if not article.slug:
        article.slug = article.make_slug()
    article.stems_title = search.stem_text(f"{article.title} {article.keywords}", article.language)
    article.stems_body = search.stem_text(
        f"{article.summary}\n{article.body_text}", article.language
    )
    if article.status == Article.Status.PUBLISHED and article.published_at is None:
        article.published_at = timezone.now()


def _validate(article: Article) -> None:
    """Every problem at once, each under its field."""
    errors: dict[str, list[str]] = {}
    if not article.title:
        errors["title"] = [_("Give the article a title.")]
    if not article.body_text:
        errors["body_html"] = [_("Write the article's text.")]
    try:
        article.full_clean(exclude=["stems_title", "stems_body", "body_text", "slug"])
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, list(messages))
    if errors:
        raise ValidationError(errors)


def _audit_snapshot(article: Article) -> dict[str, Any]:
    """The audited fields, the category by its name (the history cannot name it from an id)."""
    values = audit.snapshot(article, AUDIT_FIELDS)
    category = article.category
    values["category_id"] = category.name if category is not None else None
    return values


def _new_version(article: Article, actor: Any, note: str = "") -> ArticleVersion:
    number = article.current_version + 1
    Article.objects.filter(pk=article.pk).update(current_version=number)
    article.current_version = number
    return ArticleVersion.objects.create(
        article=article,
        number=number,
        title=article.title,
        summary=article.summary,
        body_html=article.body_html,
        author=actor if getattr(actor, "pk", None) else None,
        note=note[:200],
    )


# --- articles -----------------------------------------------------------------------------


@transaction.atomic
def article_create(*, actor: Any, **fields: Any) -> Article:
    """A new article (version 1), owned by the actor unless an owner is given."""
    _reject_unknown(fields, ARTICLE_FIELDS)
    data = _resolve(fields)
    data.setdefault("owner", actor)
    article = Article(**data)
    require(actor, Action.ADD, article)
    _check_category(article.category)
    _refresh_derived(article)
    _validate(article)
    article.save()
    _new_version(article, actor)
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.CREATE,
        obj=article,
        changes={k: [None, v] for k, v in _audit_snapshot(article).items() if v not in (None, "")},
    )
    return article


@transaction.atomic
def article_update(
    *, actor: Any, article: Article, version: int, note: str = "", **fields: Any
) -> Article:
    """Change an article; a changed title, summary or text makes a new version. A stale
    ``version`` is refused (ConflictError), nothing is written."""
    _reject_unknown(fields, ARTICLE_FIELDS)
    require(actor, Action.CHANGE, article)
    locked = Article.objects.select_for_update().get(pk=article.pk)
    if locked.version != version:
        raise ConflictError(locked.version)
    data = _resolve(fields)
    if (
        "owner" in data
        and data["owner"] != locked.owner
        and not allows(actor, Action.REASSIGN, locked)
    ):
        raise ValidationError({"owner": [_("You may not hand this article over to someone else.")]})
    before = _audit_snapshot(locked)
    old_category = locked.category
    old_body = locked.body_html
    for name, value in data.items():
        setattr(locked, name, value)
    _check_category(locked.category, old_category)
    _refresh_derived(locked)
    _validate(locked)
    # The new values must stay within what the actor may change (an agent's own articles).
    require(actor, Action.CHANGE, locked)
    after = _audit_snapshot(locked)
    changes = audit.diff(before, after)
    body_changed = locked.body_html != old_body
    if body_changed:
        changes["body_html"] = [
            _("version %(number)s") % {"number": locked.current_version},
            _("version %(number)s") % {"number": locked.current_version + 1},
        ]
    if not changes:
        return locked
    versioned = body_changed or any(name in changes for name in VERSIONED_FIELDS)
    locked.version = F("version") + 1  # type: ignore[assignment]
    locked.updated_at = timezone.now()
    locked.save()
    locked.refresh_from_db()
    if versioned:
        _new_version(locked, actor, note)
    audit.record(actor=actor, action=AuditEntry.Kind.CHANGE, obj=locked, changes=changes)
    return locked


def article_restore_version(*, actor: Any, article: Article, number: int, version: int) -> Article:
    """Bring back an earlier version's title, summary and text (as a new version)."""
    old = ArticleVersion.objects.filter(article=article, number=number).first()
    if old is None:
        raise ValidationError({"number": [_("This version does not exist.")]})
    if old.number == article.current_version:
        raise ValidationError({"number": [_("This is already the current version.")]})
    return article_update(
        actor=actor,
        article=article,
        version=version,
        note=_("Restored from version %(number)s") % {"number": number},
        title=old.title,
        summary=old.summary,
        body_html=old.body_html,
    )


@transaction.atomic
def article_delete(*, actor: Any, article: Article, version: int) -> None:
    """Delete an article with its versions, votes and solution links (head of service)."""
    require(actor, Action.DELETE, article)
    if article.version != version:
        raise ConflictError(article.version)
    entry = audit.build(
        actor=actor,
        action=AuditEntry.Kind.DELETE,
        obj=article,
        changes={k: [v, None] for k, v in _audit_snapshot(article).items() if v not in (None, "")},
    )
    article.delete()
    entry.save()


# --- feedback -----------------------------------------------------------------------------


@transaction.atomic
def feedback_submit(
    *,
    actor: Any,
    article: Article,
    is_helpful: bool,
    comment: str = "",
    session_key: str = "",
) -> ArticleFeedback:
    """One "did this help?" vote per user (or, without a user, per session) and article.

    Anyone may vote on a published public article (visitors once per session); other
    articles need view permission on them. A second vote is refused with a message, not
    counted."""
    signed_in = getattr(actor, "is_authenticated", False)
    if signed_in and not article.is_public_readable:
        require(actor, Action.VIEW, article)
    elif not signed_in and not article.is_public_readable:
        raise PermissionDenied(_("You do not have permission to do this."))
    elif not signed_in and not session_key:
        raise ValidationError(
            {"session": [_("Your browser did not keep a session; enable cookies.")]}
        )
    comment = (comment or "").strip()
    if len(comment) > 2000:
        raise ValidationError({"comment": [_("Keep the comment under 2,000 characters.")]})
    already = ArticleFeedback.objects.filter(article=article)
    already = (
        already.filter(user=actor)
        if signed_in
        else already.filter(user=None, session_key=session_key)
    )
    if already.exists():
        raise ValidationError({"is_helpful": [_("You have already rated this article.")]})
    try:
        with transaction.atomic():
            vote = ArticleFeedback.objects.create(
                article=article,
                user=actor if signed_in else None,
                session_key="" if signed_in else session_key[:64],
                is_helpful=bool(is_helpful),
                comment=comment,
            )
    except IntegrityError as exc:  # a double click raced the check above
        raise ValidationError({"is_helpful": [_("You have already rated this article.")]}) from exc
    counter = "helpful_count" if vote.is_helpful else "unhelpful_count"
    Article.objects.filter(pk=article.pk).update(**{counter: F(counter) + 1})
    article.refresh_from_db(fields=["helpful_count", "unhelpful_count"])
    audit.record(
        actor=actor if signed_in else None,
        action=AuditEntry.Kind.CHANGE,
        obj=article,
        changes={"feedback": [None, "helpful" if vote.is_helpful else "not helpful"]},
        message=comment[:300],
    )
    return vote


# --- solutions ----------------------------------------------------------------------------


@transaction.atomic
def solution_link(*, actor: Any, case: Any, article: Article) -> CaseSolution:
    """Record that ``article`` solved ``case`` (the agent must be allowed to work the case and
    to read the article, which must be published)."""
    require(actor, Action.CHANGE, case)
    require(actor, Action.VIEW, article)
    if article.status != Article.Status.PUBLISHED:
        raise ValidationError({"article": [_("Only a published article can be a solution.")]})
    if CaseSolution.objects.filter(case=case, article=article).exists():
        raise ValidationError({"article": [_("This article is already linked to the case.")]})
    solution = CaseSolution.objects.create(
        case=case, article=article, version_number=article.current_version, linked_by=actor
    )
    Article.objects.filter(pk=article.pk).update(solved_count=F("solved_count") + 1)
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.CHANGE,
        obj=case,
        changes={"solution": [None, f"{article.title} (v{solution.version_number})"]},
        related=article,
    )
    return solution


@transaction.atomic
def solution_unlink(*, actor: Any, case: Any, article: Article) -> None:
    require(actor, Action.CHANGE, case)
    deleted, _rows = CaseSolution.objects.filter(case=case, article=article).delete()
    if not deleted:
        raise ValidationError({"article": [_("This article is not linked to the case.")]})
    Article.objects.filter(pk=article.pk, solved_count__gt=0).update(
        solved_count=F("solved_count") - 1
    )
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.CHANGE,
        obj=case,
        changes={"solution": [article.title, None]},
        related=article,
    )


# --- categories ---------------------------------------------------------------------------


@transaction.atomic
def category_create(*, actor: Any, **fields: Any) -> KbCategory:
    _require_administration(actor)
    _reject_unknown(fields, CATEGORY_FIELDS)
    category = KbCategory(**fields)
    category.name = " ".join((category.name or "").split())
    category.full_clean()
    if KbCategory.objects.filter(name__iexact=category.name).exists():
        raise ValidationError({"name": [_("A category with this name already exists.")]})
    category.save()
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.CREATE,
        obj=category,
        changes={k: [None, v] for k, v in audit.snapshot(category).items() if v not in (None, "")},
    )
    return category


@transaction.atomic
def category_update(*, actor: Any, category: KbCategory, version: int, **fields: Any) -> KbCategory:
    _require_administration(actor)
    _reject_unknown(fields, CATEGORY_FIELDS)
    locked = KbCategory.objects.select_for_update().get(pk=category.pk)
    if locked.version != version:
        raise ConflictError(locked.version)
    before = audit.snapshot(locked)
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.name = " ".join((locked.name or "").split())
    locked.full_clean()
    if KbCategory.objects.filter(name__iexact=locked.name).exclude(pk=locked.pk).exists():
        raise ValidationError({"name": [_("A category with this name already exists.")]})
    changes = audit.diff(before, audit.snapshot(locked))
    if not changes:
        return locked
    locked.version = F("version") + 1  # type: ignore[assignment]
    locked.save()
    locked.refresh_from_db()
    audit.record(actor=actor, action=AuditEntry.Kind.CHANGE, obj=locked, changes=changes)
    return locked
