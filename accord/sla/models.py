"""Service levels: working calendars with holidays, and policies with first-response and
resolution targets per priority and client tier, counted in business hours."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accord.core.models import TIME_ZONE_CHOICES, Picklist, PicklistOption, TranslatedName


class Priority(models.TextChoices):
    """A case's priority; SLA targets are set per priority."""

    LOW = "low", pgettext_lazy("priority", "Low")
    NORMAL = "normal", pgettext_lazy("priority", "Normal")
    HIGH = "high", pgettext_lazy("priority", "High")
    URGENT = "urgent", pgettext_lazy("priority", "Urgent")


class WorkCalendar(models.Model):
    """Working time that SLA clocks run in: hours per weekday, a time zone, and holidays."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, choices=TIME_ZONE_CHOICES, default="Europe/Moscow"
    )
    country = models.CharField(
        _("country"),
        max_length=2,
        blank=True,
        help_text=_("Two-letter ISO code whose public holidays can be loaded, e.g. RU or FR."),
    )
    is_default = models.BooleanField(_("default"), default=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("working calendar")
        verbose_name_plural = _("working calendars")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_calendar"
            )
        ]

    def __str__(self) -> str:
        return self.name


class WorkingHours(models.Model):
    """One working interval on one weekday (0 = Monday); several per day make a lunch break."""

    calendar = models.ForeignKey(
        WorkCalendar, on_delete=models.CASCADE, related_name="hours", verbose_name=_("calendar")
    )
    weekday = models.PositiveSmallIntegerField(
        _("weekday"), validators=[MinValueValidator(0), MaxValueValidator(6)]
    )
    start = models.TimeField(_("from"))
    end = models.TimeField(_("until"))

    class Meta:
        ordering = ["calendar", "weekday", "start"]
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")), name="hours_end_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.weekday} {self.start:%H:%M}–{self.end:%H:%M}"


class Holiday(models.Model):
    """A day off in a calendar, or (Russian transfers) a weekend day that is worked."""

    calendar = models.ForeignKey(
        WorkCalendar, on_delete=models.CASCADE, related_name="holidays", verbose_name=_("calendar")
    )
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=120, blank=True)
    is_working_day = models.BooleanField(
        _("working day"),
        default=False,
        help_text=_("Tick for a weekend day that is worked (a transferred working day)."),
    )

    class Meta:
        ordering = ["calendar", "date"]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="holiday_once_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class SlaPolicy(TranslatedName):
    """Targets for a kind of client: the first active policy matching a case's client tier
    applies (a service contract may name its own)."""

    position = models.PositiveSmallIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    calendar = models.ForeignKey(
        WorkCalendar, on_delete=models.PROTECT, related_name="policies", verbose_name=_("calendar")
    )
    tier = models.ForeignKey(
        PicklistOption,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"picklist": Picklist.CLIENT_TIER, "is_active": True},
        verbose_name=_("client tier"),
        help_text=_("Empty: applies to clients of any tier."),
    )
    warn_at_percent = models.PositiveSmallIntegerField(
        _("warn at (% of target used)"),
        default=80,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
    )
    escalate_to = models.ForeignKey(
        "core.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("escalate to"),
        help_text=_("Who is told when a target is missed, besides the queue's supervisor."),
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")


class SlaTarget(models.Model):
    """First-response and resolution targets of one policy for one priority, in working
    minutes of the policy's calendar."""

    policy = models.ForeignKey(
        SlaPolicy, on_delete=models.CASCADE, related_name="targets", verbose_name=_("policy")
    )
    priority = models.CharField(_("priority"), max_length=8, choices=Priority.choices)
    first_response_minutes = models.PositiveIntegerField(
        _("first response within (working minutes)"), validators=[MinValueValidator(1)]
    )
    resolution_minutes = models.PositiveIntegerField(
        _("resolution within (working minutes)"), validators=[MinValueValidator(1)]
    )

    class Meta:
        ordering = ["policy", "priority"]
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")
        constraints = [
            models.UniqueConstraint(fields=["policy", "priority"], name="sla_target_per_priority")
        ]

    def __str__(self) -> str:
        return self.get_priority_display()


class SlaClock(models.Model):
    """The bookkeeping behind one case's SLA timers (the due times themselves are on the case).

    ``next_check_at`` is the next moment the periodic check has something to do for this case
    (a warning or a breach); it is empty when nothing is pending, so the check reads only the
    rows that are due through a partial index instead of scanning every open case. The flags
    make each warning, breach and escalation happen once."""

    case = models.OneToOneField(
        "service.Case",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="sla_clock",
        verbose_name=_("case"),
    )
    first_response_warn_at = models.DateTimeField(null=True, blank=True)
    resolution_warn_at = models.DateTimeField(null=True, blank=True)
    first_response_warned = models.BooleanField(default=False)
    resolution_warned = models.BooleanField(default=False)
    first_response_breach_noted = models.BooleanField(default=False)
    resolution_breach_noted = models.BooleanField(default=False)
    # The resolution clock runs from here (opening, or the last reopening) ...
    resolution_started_at = models.DateTimeField(null=True, blank=True)
    # ... plus the working minutes spent waiting for the client since then.
    paused_minutes = models.PositiveIntegerField(default=0)
    next_check_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        indexes = [
            models.Index(
                fields=["next_check_at"],
                name="slaclock_next_check_idx",
                condition=Q(next_check_at__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"CS-{self.case_id}"
