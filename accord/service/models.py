"""The service desk (V1, V3): cases from every channel, their messages and history, the
queues that work them and the rules that route them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accord.core.models import Picklist, PicklistOption, Team, TrackedModel, TranslatedName
from accord.sla.models import Priority


class Category(TranslatedName):
    """What a case is about (at most 7 by default: U1)."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    position = models.PositiveSmallIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = pgettext_lazy("case category", "category")
        verbose_name_plural = pgettext_lazy("case category", "categories")


class Queue(TranslatedName):
    """A team that works cases (first line, engineers, billing), with how it hands them out."""

    class Method(models.TextChoices):
        ROUND_ROBIN = "round_robin", _("Round robin")
        LEAST_LOADED = "least_loaded", _("Least loaded")
        MANUAL = "manual", _("Agents take cases themselves")

    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, related_name="service_queues", verbose_name=_("team")
    )
    method = models.CharField(
        _("assignment"), max_length=12, choices=Method.choices, default=Method.ROUND_ROBIN
    )
    email = models.EmailField(
        _("e-mail address"),
        blank=True,
        help_text=_("Mail sent to this address opens cases in this queue."),
    )
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("supervisor"),
    )
    is_default = models.BooleanField(
        _("default queue"), default=False, help_text=_("Gets cases no routing rule matches.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("sort order"), default=0)
    # Round robin: the member who got the last case.
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
        verbose_name = _("queue")
        verbose_name_plural = _("queues")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_queue"
            )
        ]


class RoutingRule(models.Model):
    """Which queue a new case goes to: the first active rule whose set conditions all match."""

    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveSmallIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    category = models.ForeignKey(
        Category,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=pgettext_lazy("case category", "category"),
    )
    product = models.ForeignKey(
        "catalog.Product",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("product"),
    )
    region = models.ForeignKey(
        PicklistOption,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"picklist": Picklist.REGION},
        verbose_name=_("region"),
    )
    tier = models.ForeignKey(
        PicklistOption,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"picklist": Picklist.CLIENT_TIER},
        verbose_name=_("client tier"),
    )
    channel = models.CharField(_("channel"), max_length=10, blank=True)
    queue = models.ForeignKey(
        Queue, on_delete=models.CASCADE, related_name="rules", verbose_name=_("queue")
    )

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")

    def __str__(self) -> str:
        return self.name


class Case(TrackedModel):
    """A client's request (V1), from any channel, worked by an agent in a queue.

    ``owner`` is the agent working it (empty until assigned) and ``team`` the queue's team:
    the usual record rules apply to them."""

    class Status(models.TextChoices):
        NEW = "new", pgettext_lazy("case status", "New")
        IN_PROGRESS = "in_progress", pgettext_lazy("case status", "In progress")
        WAITING = "waiting", pgettext_lazy("case status", "Waiting for client")
        RESOLVED = "resolved", pgettext_lazy("case status", "Resolved")
        CLOSED = "closed", pgettext_lazy("case status", "Closed")

    class Channel(models.TextChoices):
        PHONE = "phone", _("Phone")
        EMAIL = "email", pgettext_lazy("case channel", "E-mail")
        PORTAL = "portal", _("Client portal")
        WEB_FORM = "web_form", _("Web form")
        MANUAL = "manual", _("Entered by hand")
        API = "api", _("API")

    OPEN_STATUSES = (Status.NEW, Status.IN_PROGRESS, Status.WAITING)

    subject = models.CharField(_("subject"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.NEW
    )
    priority = models.CharField(
        _("priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL
    )
    channel = models.CharField(
        _("received via"), max_length=10, choices=Channel.choices, default=Channel.MANUAL
    )
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=pgettext_lazy("case category", "category"),
    )
    company = models.ForeignKey(
        "parties.Company",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("client"),
    )
    contact = models.ForeignKey(
        "parties.Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("contact"),
    )
    requester_email = models.EmailField(
        _("requester's e-mail"),
        blank=True,
        help_text=_("Where replies go when the sender is not a known contact."),
    )
    requester_name = models.CharField(_("requester's name"), max_length=255, blank=True)
    product = models.ForeignKey(
        "catalog.Product",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("product"),
    )
    order = models.ForeignKey(
        "commerce.Order",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("order"),
    )
    project = models.ForeignKey(
        "projects.Project",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("project"),
    )
    serial_number = models.CharField(_("serial number"), max_length=80, blank=True)
    asset = models.ForeignKey(
        "contracts.Asset",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("installed unit"),
    )
    contract = models.ForeignKey(
        "contracts.ServiceContract",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("service contract"),
    )
    queue = models.ForeignKey(
        Queue,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("queue"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agent"),
    )
    team = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("team"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    # SLA clocks (kept by accord.sla): targets, when they were met, pauses while waiting.
    sla_policy = models.ForeignKey(
        "sla.SlaPolicy",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("SLA policy"),
    )
    first_response_due_at = models.DateTimeField(_("first response due"), null=True, blank=True)
    first_responded_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolution due"), null=True, blank=True)
    sla_paused_at = models.DateTimeField(null=True, blank=True, editable=False)
    sla_warned_at = models.DateTimeField(null=True, blank=True, editable=False)
    first_response_breached = models.BooleanField(default=False, editable=False)
    resolution_breached = models.BooleanField(default=False, editable=False)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True, editable=False)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, editable=False)
    reopened_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    last_message_at = models.DateTimeField(_("last message"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="merged_cases",
        verbose_name=_("merged into"),
        editable=False,
    )
    # A closed case that the client writes about after the reopen window (settings
    # ACCORD_CASE_REOPEN_DAYS) is not reopened: a new case follows it up and links back here.
    follow_up_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="follow_ups",
        verbose_name=_("follow-up of"),
        editable=False,
    )
    custom = models.JSONField(_("custom fields"), default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        indexes = [
            models.Index(fields=["status", "queue", "created_at"], name="case_board_idx"),
            models.Index(fields=["owner", "status", "-created_at"], name="case_owner_idx"),
            models.Index(fields=["team", "status", "-created_at"], name="case_team_idx"),
            models.Index(fields=["company", "-created_at"], name="case_company_idx"),
            models.Index(fields=["contact", "-created_at"], name="case_contact_idx"),
            models.Index(fields=["-created_at", "-id"], name="case_created_idx"),
            models.Index(
                fields=["resolution_due_at"],
                name="case_open_due_idx",
                condition=Q(status__in=["new", "in_progress", "waiting"]),
            ),
            models.Index(
                fields=["serial_number"], name="case_serial_idx", condition=~Q(serial_number="")
            ),
            # The contact-centre board reads only open cases, every column it counts by: a
            # covering partial index keeps it off the table (1M cases, 20k open).
            models.Index(
                fields=[
                    "status",
                    "queue",
                    "owner",
                    "created_at",
                    "sla_warned_at",
                    "first_response_breached",
                    "resolution_breached",
                    "first_responded_at",
                    "first_response_due_at",
                    "resolution_due_at",
                ],
                name="case_board_open_idx",
                condition=Q(status__in=["new", "in_progress", "waiting"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    @property
    def reference(self) -> str:
        """The number clients quote and mail subjects carry: ``CS-1234``."""
        return f"CS-{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("service:case_detail", args=[self.pk])


class CaseMessage(models.Model):
    """One message on a case: from the client, a reply to the client, or an internal note
    that the client never sees."""

    class Kind(models.TextChoices):
        INBOUND = "inbound", _("From the client")
        REPLY = "reply", _("Reply to the client")
        NOTE = "note", _("Internal note")

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="messages", verbose_name=_("case")
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    from_address = models.CharField(_("from"), max_length=320, blank=True)
    to_addresses = models.TextField(_("to"), blank=True)
    cc_addresses = models.TextField(_("copy"), blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body_text = models.TextField(_("text"), blank=True)
    # Sanitised before it is stored (accord.service.mailin / nh3); never raw client HTML.
    body_html = models.TextField(_("HTML"), blank=True)
    message_id = models.CharField(max_length=998, blank=True, editable=False)
    in_reply_to = models.CharField(max_length=998, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("case message")
        verbose_name_plural = _("case messages")
        indexes = [
            models.Index(fields=["case", "created_at", "id"], name="casemsg_case_idx"),
        ]
        constraints = [
            # One stored copy of a mail, even when the mail server delivers it twice at once:
            # the second insert fails and the server retries, then finds it filed.
            models.UniqueConstraint(
                fields=["message_id"], name="casemsg_msgid_idx", condition=~Q(message_id="")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"


class CaseAttachment(models.Model):
    message = models.ForeignKey(
        CaseMessage, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("message")
    )
    file = models.FileField(_("file"), upload_to="cases/%Y/%m/")
    name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=120, blank=True)
    size = models.PositiveBigIntegerField(_("size"), default=0)

    class Meta:
        ordering = ["id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.name


class CaseEvent(models.Model):
    """A case's own history, shown on its page: status moves, hand-overs, SLA warnings."""

    class Kind(models.TextChoices):
        CREATED = "created", pgettext_lazy("case event", "Opened")
        STATUS = "status", _("Status changed")
        ASSIGNED = "assigned", _("Assigned")
        HANDOVER = "handover", _("Handed over")
        PRIORITY = "priority", _("Priority changed")
        MERGED = "merged", pgettext_lazy("case event", "Merged")
        SLA_WARNING = "sla_warning", _("SLA warning")
        SLA_BREACH = "sla_breach", _("SLA breached")
        ESCALATED = "escalated", _("Escalated")

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="events", verbose_name=_("case")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    from_value = models.CharField(_("from"), max_length=255, blank=True)
    to_value = models.CharField(_("to"), max_length=255, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        indexes = [models.Index(fields=["case", "created_at"], name="caseevent_case_idx")]

    def __str__(self) -> str:
        return self.get_kind_display()
