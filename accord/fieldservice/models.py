"""Field service (V5): visits engineers make at a client's site to solve a case, with what
they did there (checklist, materials, time, travel, photos, notes) and what it cost.

``owner`` is the lead engineer (the usual record rules apply to it) and ``team`` the team the
visit is dispatched in; the other engineers are rows of :class:`WorkOrderEngineer` (the lead
too), so an engineer's own view queries by membership."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accord.core.models import Team, TrackedModel


class ChecklistTemplate(models.Model):
    """The steps an engineer works through for one kind of case (one template per case
    category, or general ones to pick by hand)."""

    name = models.CharField(_("name"), max_length=120)
    category = models.ForeignKey(
        "service.Category",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=pgettext_lazy("case category", "category"),
        help_text=_("New work orders for cases of this category start with this checklist."),
    )
    items = models.TextField(_("steps"), help_text=_("One step per line."))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("checklist template")
        verbose_name_plural = _("checklist templates")

    def __str__(self) -> str:
        return self.name

    def steps(self) -> list[str]:
        return [line.strip() for line in self.items.splitlines() if line.strip()]


class EngineerRate(models.Model):
    """An engineer's own labour rate per hour, when it differs from the default
    (``ACCORD_FIELD_LABOUR_RATE``): a senior engineer costs more than a trainee."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="field_rate",
        verbose_name=_("engineer"),
    )
    hourly_rate = models.DecimalField(
        _("labour rate per hour"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )

    class Meta:
        verbose_name = _("engineer's labour rate")
        verbose_name_plural = _("engineers' labour rates")
        constraints = [
            models.CheckConstraint(condition=Q(hourly_rate__gte=0), name="rate_not_negative")
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.hourly_rate}"


class WorkOrder(TrackedModel):
    """A visit to a client's site for a case: when, who, where, what to do, and the record
    of what was done and what it cost (kept up to date by the services, so reports sum
    columns instead of walking time entries)."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", pgettext_lazy("work order status", "Scheduled")
        TRAVELLING = "travelling", pgettext_lazy("work order status", "Travelling")
        IN_PROGRESS = "in_progress", pgettext_lazy("work order status", "In progress")
        DONE = "done", pgettext_lazy("work order status", "Done")
        CANCELLED = "cancelled", pgettext_lazy("work order status", "Cancelled")

    OPEN_STATUSES = (Status.SCHEDULED, Status.TRAVELLING, Status.IN_PROGRESS)

    case = models.ForeignKey(
        "service.Case", on_delete=models.PROTECT, related_name="work_orders", verbose_name=_("case")
    )
    company = models.ForeignKey(
        "parties.Company",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="work_orders",
        verbose_name=_("client"),
    )
    contact = models.ForeignKey(
        "parties.Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="work_orders",
        verbose_name=_("contact on site"),
    )
    contract = models.ForeignKey(
        "contracts.ServiceContract",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="work_orders",
        verbose_name=_("service contract"),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.SCHEDULED
    )
    site_address = models.CharField(_("site address"), max_length=255, blank=True)
    scheduled_start = models.DateTimeField(_("visit starts"), null=True, blank=True)
    scheduled_end = models.DateTimeField(_("visit ends"), null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("lead engineer"),
    )
    team = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("team"),
    )
    instructions = models.TextField(_("instructions"), blank=True)
    result_notes = models.TextField(_("result"), blank=True)
    signed_by = models.CharField(_("signed by (client)"), max_length=255, blank=True)
    travel_km = models.DecimalField(
        _("travel distance, km"),
        max_digits=8,
        decimal_places=1,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    started_at = models.DateTimeField(_("work started"), null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True, editable=False)
    # Kept by the services: the totals the cost reports sum.
    labour_rate = models.DecimalField(
        _("labour rate per hour"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("0"),
        help_text=_("The default rate when the visit was created; engineers may have their own."),
    )
    currency = models.CharField(_("currency"), max_length=3, default="RUB")
    work_seconds = models.PositiveIntegerField(_("work time, s"), default=0, editable=False)
    travel_seconds = models.PositiveIntegerField(_("travel time, s"), default=0, editable=False)
    labour_cost = models.DecimalField(
        _("labour"), max_digits=14, decimal_places=2, default=Decimal("0"), editable=False
    )
    travel_cost = models.DecimalField(
        _("travel"), max_digits=14, decimal_places=2, default=Decimal("0"), editable=False
    )
    materials_cost = models.DecimalField(
        _("materials"), max_digits=14, decimal_places=2, default=Decimal("0"), editable=False
    )
    total_cost = models.DecimalField(
        _("total cost"), max_digits=14, decimal_places=2, default=Decimal("0"), editable=False
    )
    consumption_note = models.CharField(
        _("contract consumption"), max_length=255, blank=True, editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    class Meta:
        ordering = ["scheduled_start", "id"]
        verbose_name = _("work order")
        verbose_name_plural = _("work orders")
        indexes = [
            models.Index(fields=["owner", "scheduled_start"], name="wo_owner_start_idx"),
            models.Index(fields=["team", "scheduled_start"], name="wo_team_start_idx"),
            models.Index(fields=["status", "scheduled_start"], name="wo_status_start_idx"),
            models.Index(fields=["company", "finished_at"], name="wo_company_done_idx"),
            models.Index(fields=["contract", "finished_at"], name="wo_contract_done_idx"),
            models.Index(fields=["finished_at"], name="wo_finished_idx"),
            models.Index(fields=["case", "id"], name="wo_case_idx"),
            models.Index(
                fields=["created_at"],
                name="wo_unscheduled_idx",
                condition=Q(scheduled_start__isnull=True, status="scheduled"),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(scheduled_end__isnull=True)
                | Q(scheduled_start__isnull=True)
                | Q(scheduled_end__gt=models.F("scheduled_start")),
                name="wo_ends_after_start",
            ),
            models.CheckConstraint(condition=Q(travel_km__gte=0), name="wo_travel_not_negative"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        """The number engineers and clients quote: ``WO-57``."""
        return f"WO-{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("fieldservice:work_order_detail", args=[self.pk])

    def audit_related(self) -> models.Model:
        return self.case


class WorkOrderEngineer(models.Model):
    """An engineer on a visit (the lead engineer has a row too, ``is_lead``)."""

    work_order = models.ForeignKey(
        WorkOrder, on_delete=models.CASCADE, related_name="engineer_rows"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="work_order_rows",
        verbose_name=_("engineer"),
    )
    is_lead = models.BooleanField(_("lead engineer"), default=False)

    class Meta:
        ordering = ["-is_lead", "id"]
        verbose_name = _("engineer on a visit")
        verbose_name_plural = _("engineers on a visit")
        constraints = [
            models.UniqueConstraint(fields=["work_order", "user"], name="wo_engineer_once")
        ]
        indexes = [models.Index(fields=["user", "work_order"], name="wo_engineer_user_idx")]

    def __str__(self) -> str:
        return str(self.user)


class ChecklistItem(models.Model):
    """One step of a visit's checklist, ticked with who and when."""

    work_order = models.ForeignKey(
        WorkOrder, on_delete=models.CASCADE, related_name="checklist_items"
    )
    position = models.PositiveSmallIntegerField(_("sort order"), default=0)
    text = models.CharField(_("step"), max_length=255)
    is_done = models.BooleanField(_("done"), default=False)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("done by"),
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("checklist step")
        verbose_name_plural = _("checklist steps")

    def __str__(self) -> str:
        return self.text


class MaterialUse(models.Model):
    """A part or consumable used on a visit: from the catalogue or typed, with its cost."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="materials")
    product = models.ForeignKey(
        "catalog.Product",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("product"),
    )
    description = models.CharField(_("description"), max_length=255, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3)
    unit_cost = models.DecimalField(_("unit cost"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    total = models.DecimalField(_("amount"), max_digits=14, decimal_places=2, editable=False)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("material used")
        verbose_name_plural = _("materials used")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="material_quantity_positive"),
            models.CheckConstraint(
                condition=Q(unit_cost__gte=0), name="material_cost_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.description or str(self.product or "")


class TimeEntry(models.Model):
    """Time an engineer spent on a visit, working or travelling. An entry without an end is
    a running timer (one per engineer at a time)."""

    class Kind(models.TextChoices):
        WORK = "work", pgettext_lazy("time entry kind", "Work")
        TRAVEL = "travel", pgettext_lazy("time entry kind", "Travel")

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="time_entries")
    engineer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="field_time_entries",
        verbose_name=_("engineer"),
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.WORK)
    started_at = models.DateTimeField(_("started"))
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(_("duration, s"), default=0, editable=False)
    rate = models.DecimalField(
        _("labour rate per hour"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("0"),
        editable=False,
        help_text=_("The engineer's rate when the time was logged."),
    )
    cost = models.DecimalField(
        _("cost"), max_digits=14, decimal_places=2, default=Decimal("0"), editable=False
    )
    note = models.CharField(_("note"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        ordering = ["started_at", "id"]
        verbose_name = _("time entry")
        verbose_name_plural = _("time entries")
        constraints = [
            models.UniqueConstraint(
                fields=["engineer"],
                condition=Q(ended_at__isnull=True),
                name="time_one_running_per_engineer",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gt=models.F("started_at")),
                name="time_ends_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["engineer", "started_at"], name="time_engineer_start_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.started_at:%Y-%m-%d %H:%M}"


class WorkOrderPhoto(models.Model):
    """A photo taken on site (before/after, a serial plate, the damage)."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(_("photo"), upload_to="fieldservice/%Y/%m/")
    caption = models.CharField(_("caption"), max_length=255, blank=True)
    content_type = models.CharField(max_length=40, editable=False)
    size = models.PositiveIntegerField(default=0, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("photo")
        verbose_name_plural = _("photos")

    def __str__(self) -> str:
        return self.caption or (self.image.name or "").rsplit("/", 1)[-1]


class WorkOrderNote(models.Model):
    """A note written on site or by the dispatcher, newest first on the visit."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    text = models.TextField(_("note"))
    created_at = models.DateTimeField(_("written"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("note")
        verbose_name_plural = _("notes")

    def __str__(self) -> str:
        return self.text[:60]
