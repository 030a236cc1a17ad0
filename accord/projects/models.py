"""Client projects of project organisations (P1): a design contract split into stages from
an administrator-defined template, each with a deadline, a responsible engineer, a share of
the budget and a payment milestone."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accord.catalog.models import PERCENT, currency_choices
from accord.core.models import OwnedModel, TrackedModel, TranslatedName
from accord.parties.models import Company, Contact

ZERO = Decimal("0")


class ProjectTemplate(TranslatedName):
    """A standard way to run a kind of project ("Design contract": survey, design
    documentation, working documentation, author's supervision)."""

    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("project template")
        verbose_name_plural = _("project templates")


class TemplateStage(TranslatedName):
    """A stage of a template, with its usual length and share of the budget."""

    template = models.ForeignKey(ProjectTemplate, on_delete=models.CASCADE, related_name="stages")
    position = models.PositiveSmallIntegerField(_("sort order"), default=0)
    duration_days = models.PositiveSmallIntegerField(_("usual length, days"), default=30)
    budget_share = models.DecimalField(
        _("share of the budget, %"),
        max_digits=5,
        decimal_places=2,
        default=ZERO,
        validators=PERCENT,
    )
    has_payment_milestone = models.BooleanField(_("payment due on completion"), default=True)

    class Meta:
        ordering = ["template", "position", "id"]
        verbose_name = _("template stage")
        verbose_name_plural = _("template stages")


class Project(OwnedModel):
    """A client project (a design contract) with its stages; linked to the deal it came from
    and shown on the client card."""

    class Status(models.TextChoices):
        PLANNED = "planned", pgettext_lazy("project status", "Planned")
        ACTIVE = "active", pgettext_lazy("project status", "In progress")
        ON_HOLD = "on_hold", pgettext_lazy("project status", "On hold")
        COMPLETED = "completed", pgettext_lazy("project status", "Completed")
        CANCELLED = "cancelled", pgettext_lazy("project status", "Cancelled")

    name = models.CharField(_("name"), max_length=255)
    code = models.CharField(_("project code"), max_length=40, blank=True)
    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, related_name="projects", verbose_name=_("client")
    )
    contact = models.ForeignKey(
        Contact,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("client's contact"),
    )
    deal = models.ForeignKey(
        "sales.Deal",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="projects",
        verbose_name=_("deal"),
    )
    template = models.ForeignKey(
        ProjectTemplate,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("template"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PLANNED
    )
    contract_number = models.CharField(_("contract number"), max_length=60, blank=True)
    contract_date = models.DateField(_("contract date"), null=True, blank=True)
    budget = models.DecimalField(_("budget"), max_digits=14, decimal_places=2, default=ZERO)
    currency = models.CharField(_("currency"), max_length=3, choices=currency_choices)
    start_date = models.DateField(_("start"), null=True, blank=True)
    end_date = models.DateField(_("planned end"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["company", "-created_at"], name="project_company_idx"),
            models.Index(fields=["status", "end_date"], name="project_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(budget__gte=0), name="project_budget_not_negative"),
        ]
        verbose_name = _("project")
        verbose_name_plural = _("projects")

    def __str__(self) -> str:
        return f"{self.code} · {self.name}" if self.code else self.name

    def audit_related(self) -> Company:
        return self.company

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("projects:project_detail", args=[self.pk])


class ProjectStage(TrackedModel):
    """One stage of a project: deadline, responsible engineer, budget share, milestone."""

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", _("Not started")
        IN_PROGRESS = "in_progress", pgettext_lazy("stage status", "In progress")
        DONE = "done", pgettext_lazy("stage status", "Done")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="stages")
    position = models.PositiveSmallIntegerField(_("sort order"), default=0)
    name = models.CharField(_("name"), max_length=255)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.NOT_STARTED
    )
    start_date = models.DateField(_("start"), null=True, blank=True)
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("responsible engineer"),
    )
    budget_share = models.DecimalField(
        _("share of the budget, %"),
        max_digits=5,
        decimal_places=2,
        default=ZERO,
        validators=PERCENT,
    )
    has_payment_milestone = models.BooleanField(_("payment due on completion"), default=True)
    milestone_amount = models.DecimalField(
        _("payment milestone"), max_digits=14, decimal_places=2, default=ZERO
    )
    milestone_paid_on = models.DateField(_("milestone paid on"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["project", "position", "id"]
        indexes = [
            models.Index(fields=["status", "deadline"], name="projectstage_deadline_idx"),
            models.Index(fields=["responsible", "status"], name="projectstage_resp_idx"),
        ]
        verbose_name = _("project stage")
        verbose_name_plural = _("project stages")

    def __str__(self) -> str:
        return self.name

    def audit_related(self) -> Project:
        return self.project

    @property
    def is_overdue(self) -> bool:
        from django.utils import timezone

        return (
            self.status != self.Status.DONE
            and self.deadline is not None
            and self.deadline < timezone.localdate()
        )
