"""The knowledge base of proven solutions (V6): articles an agent searches while working a case,
their versions, the cases they solved and the readers' "did this help?" votes.

Search: ``stems_title`` / ``stems_body`` hold the article's words reduced by the Snowball
stemmer of its language (``accord.kb.search``). SQLite indexes them in the FTS5 table
``kb_article_fts``, PostgreSQL in the generated ``search_vector`` tsvector column with a GIN
index (migration 0002): neither is a model field, so the ORM never reads or writes them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accord.core.models import OwnedModel, TranslatedName


class KbCategory(TranslatedName):
    """A shelf of the knowledge base ("Boilers", "Ventilation"), named in every interface
    language and administered by administrators and the head of service."""

    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("knowledge-base category")
        verbose_name_plural = _("knowledge-base categories")


class Article(OwnedModel):
    """A solution written once and found again: internal (agents only) or public (anyone,
    without signing in, once published)."""

    class Visibility(models.TextChoices):
        INTERNAL = "internal", pgettext_lazy("article visibility", "Internal")
        PUBLIC = "public", pgettext_lazy("article visibility", "Public")

    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("article status", "Draft")
        PUBLISHED = "published", pgettext_lazy("article status", "Published")
        ARCHIVED = "archived", pgettext_lazy("article status", "Archived")

    class Language(models.TextChoices):
        RU = "ru", _("Russian")
        FR = "fr", _("French")
        EN = "en", _("English")
        DE = "de", _("German")

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, blank=True, allow_unicode=False)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    category = models.ForeignKey(
        KbCategory,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="articles",
        verbose_name=_("category"),
    )
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.INTERNAL
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.EN
    )
    keywords = models.CharField(
        _("keywords"),
        max_length=300,
        blank=True,
        help_text=_("Words people search for that the text may not use, separated by commas."),
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True, editable=False)
    current_version = models.PositiveIntegerField(_("version number"), default=0, editable=False)
    helpful_count = models.PositiveIntegerField(_("helpful votes"), default=0, editable=False)
    unhelpful_count = models.PositiveIntegerField(_("not helpful votes"), default=0, editable=False)
    solved_count = models.PositiveIntegerField(_("cases solved"), default=0, editable=False)
    # The long columns last: filters on the small ones above never read past them.
    body_html = models.TextField(_("text"), blank=True)
    # The body without tags: snippets and the stemmer read it.
    body_text = models.TextField(_("plain text"), blank=True, editable=False)
    stems_title = models.TextField(editable=False, blank=True)
    stems_body = models.TextField(editable=False, blank=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        indexes = [
            models.Index(
                fields=["status", "visibility", "-updated_at"], name="kb_article_list_idx"
            ),
            models.Index(fields=["category", "-updated_at"], name="kb_article_category_idx"),
            models.Index(fields=["owner", "-updated_at"], name="kb_article_owner_idx"),
            models.Index(fields=["-updated_at", "-id"], name="kb_article_recent_idx"),
            models.Index(fields=["-published_at", "-id"], name="kb_article_published_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("kb:article_detail", args=[self.pk])

    def get_public_url(self) -> str:
        return reverse("kb:public_detail", args=[self.pk, self.slug or "article"])

    def make_slug(self) -> str:
        """A readable ASCII address part in any script: «Котёл не запускается» ->
        "kotiol-ne-zapuskaetsia"."""
        from unidecode import unidecode

        return slugify(unidecode(self.title))[:80].strip("-") or "article"

    @property
    def vote_count(self) -> int:
        return self.helpful_count + self.unhelpful_count

    @property
    def helpful_percent(self) -> int | None:
        """The share of "yes" votes, rounded; None before anyone voted."""
        total = self.vote_count
        return round(100 * self.helpful_count / total) if total else None

    @property
    def is_public_readable(self) -> bool:
        return self.status == self.Status.PUBLISHED and self.visibility == self.Visibility.PUBLIC


class ArticleVersion(models.Model):
    """Every save of an article's title or text, so an edit can be compared and undone."""

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="versions", verbose_name=_("article")
    )
    number = models.PositiveIntegerField(_("version number"))
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    body_html = models.TextField(_("text"), blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("author"),
    )
    created_at = models.DateTimeField(_("saved"), default=timezone.now)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["-number"]
        verbose_name = _("article version")
        verbose_name_plural = _("article versions")
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="kb_version_number_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.article_id} v{self.number}"


class ArticleFeedback(models.Model):
    """One "did this help?" vote: one per signed-in user, or per browser session for readers
    of the public page."""

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="feedback", verbose_name=_("article")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    session_key = models.CharField(_("session"), max_length=64, blank=True)
    is_helpful = models.BooleanField(_("helpful"))
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("article feedback")
        verbose_name_plural = _("article feedback")
        constraints = [
            models.UniqueConstraint(
                fields=["article", "user"],
                condition=Q(user__isnull=False),
                name="kb_feedback_user_uniq",
            ),
            models.UniqueConstraint(
                fields=["article", "session_key"],
                condition=Q(user__isnull=True),
                name="kb_feedback_session_uniq",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.article_id}: {'+' if self.is_helpful else '-'}"


class CaseSolution(models.Model):
    """An article linked to a case as the solution that worked, with the version read then."""

    case = models.ForeignKey(
        "service.Case", on_delete=models.CASCADE, related_name="+", verbose_name=_("case")
    )
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="solutions", verbose_name=_("article")
    )
    version_number = models.PositiveIntegerField(_("version number"))
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("linked by"),
    )
    linked_at = models.DateTimeField(_("linked"), default=timezone.now)

    class Meta:
        ordering = ["-linked_at", "-id"]
        verbose_name = _("case solution")
        verbose_name_plural = _("case solutions")
        constraints = [models.UniqueConstraint(fields=["case", "article"], name="kb_solution_uniq")]

    def __str__(self) -> str:
        return f"{self.case_id} ← {self.article_id}"
