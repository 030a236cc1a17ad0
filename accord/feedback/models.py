"""Client feedback (V4): a short survey after a case is resolved or an order is fulfilled,
answered through a signed link without logging in, and the clients who asked not to be asked."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Survey(models.Model):
    """One request for a rating. At most one per case and one per order, so a case resolved,
    reopened and resolved again does not ask the client twice.

    ``agent``, ``queue`` and ``category`` are copied from the case when the survey is made so
    that results per agent and category stay right after a case is handed over or
    recategorised, and so that results aggregate from this table alone."""

    case = models.ForeignKey(
        "service.Case",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="surveys",
        verbose_name=_("case"),
    )
    order = models.ForeignKey(
        "commerce.Order",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="surveys",
        verbose_name=_("order"),
    )
    company = models.ForeignKey(
        "parties.Company",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("client"),
    )
    contact = models.ForeignKey(
        "parties.Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="surveys",
        verbose_name=_("contact"),
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agent"),
    )
    queue = models.ForeignKey(
        "service.Queue",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("queue"),
    )
    category = models.ForeignKey(
        "service.Category",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("category"),
    )
    email = models.EmailField(_("e-mail address"))
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    send_error = models.CharField(_("sending error"), max_length=300, blank=True)
    expires_at = models.DateTimeField(_("expires"))
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    declined = models.BooleanField(
        _("declined"), default=False, help_text=_("The client does not want surveys.")
    )
    is_complaint = models.BooleanField(_("complaint"), default=False)
    follow_up = models.ForeignKey(
        "activities.Activity",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("follow-up task"),
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(case__isnull=False), name="survey_one_per_case"
            ),
            models.UniqueConstraint(
                fields=["order"], condition=Q(order__isnull=False), name="survey_one_per_order"
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=1, score__lte=5),
                name="survey_score_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(case__isnull=False) | Q(order__isnull=False),
                name="survey_has_a_subject",
            ),
        ]
        indexes = [
            models.Index(fields=["created_at", "id"], name="survey_created_idx"),
            models.Index(fields=["agent", "created_at"], name="survey_agent_idx"),
            models.Index(fields=["company", "-answered_at"], name="survey_company_idx"),
            models.Index(
                fields=["created_at"], name="survey_unsent_idx", condition=Q(sent_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        subject = self.case.reference if self.case_id and self.case else str(self.order or "")
        return str(_("Survey on %(subject)s") % {"subject": subject})

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None

    @property
    def subject_url(self) -> str:
        from django.urls import NoReverseMatch, reverse

        name, pk = (
            ("service:case_detail", self.case_id)
            if self.case_id
            else ("commerce:order_detail", self.order_id)
        )
        try:
            return reverse(name, args=[pk])
        except NoReverseMatch:  # the case pages are not installed
            return ""

    def audit_related(self) -> models.Model | None:
        return self.company


class SurveyOptOut(models.Model):
    """A client who asked not to receive surveys ("don't ask me again" on the survey page, or
    recorded by an agent). Keyed by the normalised address, so it holds whether the next case
    comes from the known contact or from the same address as an unknown requester."""

    class Source(models.TextChoices):
        SURVEY = "survey", _("On the survey page")
        AGENT = "agent", _("Recorded by an agent")

    email = models.EmailField(_("e-mail address"), unique=True)
    contact = models.ForeignKey(
        "parties.Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("contact"),
    )
    company = models.ForeignKey(
        "parties.Company",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("client"),
    )
    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("survey opt-out")
        verbose_name_plural = _("survey opt-outs")
        indexes = [
            models.Index(fields=["contact"], name="survey_optout_contact_idx"),
            models.Index(fields=["company"], name="survey_optout_company_idx"),
        ]

    def __str__(self) -> str:
        return self.email
