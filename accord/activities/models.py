"""Calls, meetings, tasks, notes and logged e-mails (S1, M3, C1), and the document archive (D4)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accord.core.models import OwnedModel, TrackedModel
from accord.parties.models import Company, Contact


class Activity(OwnedModel):
    """One thing that happened or will happen with a client. All kinds share a table so the
    client card's timeline and "My day" are one indexed query each."""

    class Kind(models.TextChoices):
        CALL = "call", _("Call")
        MEETING = "meeting", _("Meeting")
        TASK = "task", _("Task")
        NOTE = "note", _("Note")
        EMAIL = "email", pgettext_lazy("activity kind", "E-mail")

    class Direction(models.TextChoices):
        NONE = "", _("—")
        INBOUND = "in", _("Inbound")
        OUTBOUND = "out", _("Outbound")

    class Outcome(models.TextChoices):
        NONE = "", _("—")
        REACHED = "reached", _("Talked")
        NO_ANSWER = "no_answer", _("No answer")
        BUSY = "busy", _("Busy")
        VOICEMAIL = "voicemail", _("Left a voicemail")
        CALLBACK = "callback", _("Asked to call back")
        WRONG_NUMBER = "wrong_number", _("Wrong number")

    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("details"), blank=True)
    company = models.ForeignKey(
        Company,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("company"),
    )
    contacts = models.ManyToManyField(
        Contact, blank=True, related_name="activities", verbose_name=_("contacts")
    )
    deal = models.ForeignKey(
        "sales.Deal",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("deal"),
    )
    # When it happened (call, note, e-mail), starts (meeting) or is due (task).
    at = models.DateTimeField(_("date and time"), db_index=True)
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    is_done = models.BooleanField(_("done"), default=False)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    direction = models.CharField(
        _("direction"), max_length=3, choices=Direction.choices, blank=True, default=""
    )
    duration_seconds = models.PositiveIntegerField(_("duration (seconds)"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=Outcome.choices, blank=True, default=""
    )
    location = models.CharField(_("place"), max_length=255, blank=True)
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="meetings",
        verbose_name=_("participants"),
    )
    email_from = models.CharField(pgettext_lazy("e-mail", "from"), max_length=254, blank=True)
    email_to = models.CharField(pgettext_lazy("e-mail", "to"), max_length=1000, blank=True)
    remind_at = models.DateTimeField(_("remind at"), null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["company", "-at", "-id"], name="activity_company_at_idx"),
            models.Index(fields=["owner", "is_done", "at"], name="activity_owner_open_idx"),
            models.Index(fields=["kind", "-at", "-id"], name="activity_kind_at_idx"),
            models.Index(fields=["deal", "-at", "-id"], name="activity_deal_at_idx"),
            # Covering indexes for the activity-per-manager report (M3): calls and meetings
            # of a period, and tasks done in a period, counted per owner from the index.
            models.Index(
                fields=["kind", "at", "owner", "outcome", "is_done"], name="activity_report_idx"
            ),
            models.Index(
                fields=["kind", "done_at", "owner"],
                name="activity_done_idx",
                condition=Q(is_done=True),
            ),
            models.Index(
                fields=["remind_at"],
                name="activity_reminder_idx",
                condition=Q(reminded_at__isnull=True, remind_at__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gte=models.F("at")),
                name="activity_ends_after_start",
            ),
        ]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject}"

    def audit_related(self) -> Company | None:
        return self.company

    @property
    def shown_contacts(self) -> Any:
        """The contacts to display: narrowed by a selector when some may be invisible."""
        narrowed = self.__dict__.get("shown_contacts")
        return self.contacts.all() if narrowed is None else narrowed

    @shown_contacts.setter
    def shown_contacts(self, value: Any) -> None:
        self.__dict__["shown_contacts"] = value

    @property
    def is_open(self) -> bool:
        return self.kind in {self.Kind.TASK, self.Kind.MEETING} and not self.is_done

    @property
    def is_overdue(self) -> bool:
        from django.utils import timezone

        return self.kind == self.Kind.TASK and not self.is_done and self.at < timezone.now()

    @property
    def duration_minutes(self) -> int | None:
        if self.duration_seconds is None:
            return None
        return (self.duration_seconds + 59) // 60

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("activities:activity_detail", args=[self.pk])


def document_upload_to(instance: Document, filename: str) -> str:
    # The stored name is random: the original name is kept in a column, never trusted as a path.
    import uuid

    from django.utils import timezone

    suffix = filename.rsplit(".", 1)[-1].lower()[:10] if "." in filename else "bin"
    return f"documents/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{suffix}"


class Document(TrackedModel):
    """A file in the client's archive (D4): stays with the client when a manager leaves."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    file = models.FileField(_("file"), upload_to=document_upload_to, max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=120)
    size = models.PositiveBigIntegerField(_("size"))
    description = models.CharField(_("description"), max_length=255, blank=True)
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, null=True, blank=True, related_name="documents"
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, null=True, blank=True, related_name="documents"
    )
    activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, null=True, blank=True, related_name="documents"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["company", "-created_at"], name="document_company_idx"),
            models.Index(fields=["contact", "-created_at"], name="document_contact_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(company__isnull=False)
                | Q(contact__isnull=False)
                | Q(activity__isnull=False),
                name="document_attached_somewhere",
            )
        ]
        verbose_name = _("document")
        verbose_name_plural = _("documents")

    def __str__(self) -> str:
        return self.original_name

    def audit_related(self) -> Company | None:
        return self.company
