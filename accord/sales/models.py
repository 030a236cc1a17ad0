"""Leads, pipelines and deals (K2, K6, K7, M1, M4): from the first enquiry to won or lost."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accord.catalog.models import currency_choices
from accord.core.models import OwnedModel, Picklist, Team, TranslatedName
from accord.parties.models import Company, Contact, picklist_fk


class Lead(OwnedModel):
    """An enquiry not yet qualified: a person and/or an organisation that may become a client.
    Converting it creates (or reuses) the company and contact, and opens a deal."""

    class Status(models.TextChoices):
        NEW = "new", pgettext_lazy("lead status", "New")
        CONTACTED = "contacted", _("Contacted")
        QUALIFIED = "qualified", _("Qualified")
        UNQUALIFIED = "unqualified", _("Not qualified")
        CONVERTED = "converted", _("Converted")

    class Channel(models.TextChoices):
        MANUAL = "manual", _("Entered by hand")
        API = "api", _("API")
        IMPORT = "import", _("Import")
        WEB_FORM = "web_form", _("Web form")

    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.NEW
    )
    full_name = models.CharField(_("name"), max_length=255, blank=True)
    company_name = models.CharField(_("organisation"), max_length=255, blank=True)
    position = models.CharField(_("position"), max_length=255, blank=True)
    email = models.EmailField(_("e-mail"), max_length=254, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True, help_text=_("Stored as E.164."))
    inn = models.CharField(_("INN"), max_length=12, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    city = models.CharField(_("city"), max_length=120, blank=True)
    region = picklist_fk(Picklist.REGION, _("region"))
    source = picklist_fk(Picklist.SOURCE, _("source"))
    campaign = models.CharField(_("campaign"), max_length=120, blank=True)
    channel = models.CharField(
        _("received via"), max_length=10, choices=Channel.choices, default=Channel.MANUAL
    )
    description = models.TextField(_("description"), blank=True)
    estimated_amount = models.DecimalField(
        _("estimated amount"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    currency = models.CharField(
        _("currency"), max_length=3, choices=currency_choices, blank=True, default=""
    )
    unqualified_reason = models.CharField(_("reason not qualified"), max_length=255, blank=True)
    custom = models.JSONField(_("custom fields"), default=dict, blank=True)
    # Normalised keys for the duplicate check (same rules as companies and contacts).
    name_key = models.CharField(max_length=255, blank=True, default="", editable=False)
    converted_at = models.DateTimeField(_("converted"), null=True, blank=True, editable=False)
    converted_company = models.ForeignKey(
        Company, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    converted_contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    converted_deal = models.ForeignKey(
        "sales.Deal",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-created_at", "id"], name="lead_status_idx"),
            # The lead list's default order (newest first) for whoever sees all leads.
            models.Index(fields=["-created_at", "-id"], name="lead_created_idx"),
            models.Index(fields=["owner", "status", "-created_at"], name="lead_owner_idx"),
            models.Index(fields=["email"], name="lead_email_idx", condition=~Q(email="")),
            models.Index(fields=["phone"], name="lead_phone_idx", condition=~Q(phone="")),
            models.Index(fields=["name_key"], name="lead_name_key_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(full_name="") | ~Q(company_name=""), name="lead_has_a_name"
            )
        ]
        verbose_name = _("lead")
        verbose_name_plural = _("leads")

    def __str__(self) -> str:
        if self.full_name and self.company_name:
            return f"{self.full_name} ({self.company_name})"
        return self.full_name or self.company_name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("sales:lead_detail", args=[self.pk])


class AssignmentRule(models.Model):
    """Who gets a new lead (M2): the first active rule whose conditions all match assigns it,
    to one user or round robin among a team's members."""

    class Method(models.TextChoices):
        USER = "user", _("To one user")
        ROUND_ROBIN = "round_robin", _("Round robin within a team")

    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveSmallIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    source = picklist_fk(Picklist.SOURCE, _("when the source is"))
    region = picklist_fk(Picklist.REGION, _("when the region is"))
    country = models.CharField(_("when the country is"), max_length=2, blank=True)
    method = models.CharField(_("assign"), max_length=12, choices=Method.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    team = models.ForeignKey(
        Team,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("team"),
    )
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(method="user") & Q(user__isnull=False))
                | (Q(method="round_robin") & Q(team__isnull=False)),
                name="assignmentrule_has_target",
            )
        ]
        verbose_name = _("assignment rule")
        verbose_name_plural = _("assignment rules")

    def __str__(self) -> str:
        return self.name


class Pipeline(TranslatedName):
    """A sales process with its own stages (a design firm's contracts, equipment sales…)."""

    is_default = models.BooleanField(_("default"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="pipeline_one_default"
            )
        ]
        verbose_name = _("pipeline")
        verbose_name_plural = _("pipelines")


class Stage(TranslatedName):
    """A step of a pipeline with its win probability; won and lost stages close the deal."""

    class Kind(models.TextChoices):
        OPEN = "open", pgettext_lazy("deal stage kind", "Open")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    pipeline = models.ForeignKey(
        Pipeline, on_delete=models.CASCADE, related_name="stages", verbose_name=_("pipeline")
    )
    kind = models.CharField(_("kind"), max_length=4, choices=Kind.choices, default=Kind.OPEN)
    probability = models.PositiveSmallIntegerField(
        _("probability, %"), validators=[MaxValueValidator(100)], default=10
    )
    position = models.PositiveSmallIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["pipeline", "position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(probability__lte=100), name="stage_probability"),
        ]
        verbose_name = _("stage")
        verbose_name_plural = _("stages")

    @property
    def is_closed(self) -> bool:
        return self.kind != self.Kind.OPEN


class Deal(OwnedModel):
    """A sale in progress with one client (K2): amount, stage, expected close, owner. Its
    activities and stage moves show on its own timeline and on the client card."""

    name = models.CharField(_("name"), max_length=255)
    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, related_name="deals", verbose_name=_("client")
    )
    contacts = models.ManyToManyField(
        Contact, blank=True, related_name="deals", verbose_name=_("contacts")
    )
    pipeline = models.ForeignKey(
        Pipeline, on_delete=models.PROTECT, related_name="deals", verbose_name=_("pipeline")
    )
    stage = models.ForeignKey(
        Stage, on_delete=models.PROTECT, related_name="deals", verbose_name=_("stage")
    )
    amount = models.DecimalField(
        _("amount"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    currency = models.CharField(_("currency"), max_length=3, choices=currency_choices)
    expected_close = models.DateField(_("expected close date"), null=True, blank=True)
    source = picklist_fk(Picklist.SOURCE, _("source"))
    campaign = models.CharField(_("campaign"), max_length=120, blank=True)
    lead = models.ForeignKey(
        Lead,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deals",
        verbose_name=_("lead"),
    )
    description = models.TextField(_("description"), blank=True)
    # Denormalised from the stage so lists, board and forecast filter without a join.
    is_closed = models.BooleanField(_("closed"), default=False, editable=False)
    is_won = models.BooleanField(_("won"), default=False, editable=False)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, editable=False)
    won_reason = picklist_fk(Picklist.WON_REASON, _("reason for winning"))
    lost_reason = picklist_fk(Picklist.LOST_REASON, _("reason for losing"))
    close_comment = models.TextField(_("comment on the outcome"), blank=True)
    stage_entered_at = models.DateTimeField(_("in this stage since"), editable=False)
    custom = models.JSONField(_("custom fields"), default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["pipeline", "stage", "-amount", "id"], name="deal_board_idx"),
            models.Index(fields=["company", "-created_at"], name="deal_company_idx"),
            models.Index(fields=["owner", "is_closed", "expected_close"], name="deal_owner_idx"),
            # Covering indexes: the forecast and the won/lost reports aggregate from the index
            # alone, without visiting 300k table rows.
            models.Index(
                fields=["is_closed", "expected_close", "currency", "amount", "stage"],
                name="deal_forecast_idx",
            ),
            models.Index(
                fields=["closed_at", "is_won", "currency", "amount"], name="deal_closed_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="deal_amount_not_negative"),
        ]
        verbose_name = _("deal")
        verbose_name_plural = _("deals")

    def __str__(self) -> str:
        return self.name

    def audit_related(self) -> Company:
        return self.company

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("sales:deal_detail", args=[self.pk])

    @property
    def weighted_amount(self) -> Decimal:
        return (self.amount * self.stage.probability / 100).quantize(Decimal("0.01"))


class StageChange(models.Model):
    """One move of a deal between stages (the state machine's log): feeds the funnel, the
    sales-cycle length and the deal's timeline."""

    deal = models.ForeignKey(
        Deal, on_delete=models.CASCADE, related_name="stage_changes", verbose_name=_("deal")
    )
    from_stage = models.ForeignKey(
        Stage, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("moved at"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    seconds_in_previous = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["deal", "at", "id"]
        indexes = [
            models.Index(fields=["deal", "at"], name="stagechange_deal_idx"),
            models.Index(fields=["to_stage", "at"], name="stagechange_stage_idx"),
        ]
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")

    def __str__(self) -> str:
        return f"{self.deal_id}: {self.from_stage_id} → {self.to_stage_id}"
