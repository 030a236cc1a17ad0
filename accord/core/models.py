"""Platform models every domain app leans on: users, teams, roles, audit, custom fields."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accord.core.permissions import Action, Scope

TIME_ZONE_CHOICES = [
    (tz, tz)
    for tz in (
        "UTC",
        "Europe/Moscow",
        "Europe/Kaliningrad",
        "Europe/Samara",
        "Asia/Yekaterinburg",
        "Asia/Omsk",
        "Asia/Novosibirsk",
        "Asia/Krasnoyarsk",
        "Asia/Irkutsk",
        "Asia/Yakutsk",
        "Asia/Vladivostok",
        "Asia/Magadan",
        "Asia/Kamchatka",
        "Europe/Paris",
        "Europe/Berlin",
        "Europe/Brussels",
        "Europe/Zurich",
        "Europe/Vienna",
        "Europe/London",
        "Europe/Minsk",
        "Asia/Almaty",
        "America/Montreal",
        "America/New_York",
    )
]


class Team(models.Model):
    """A group of users (a sales office, a service queue); the "team" record rule narrows to it."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class Role(models.Model):
    """A named bundle of grants. Built-in roles are seeded by a migration; admins add more."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    is_builtin = models.BooleanField(_("built-in"), default=False)
    is_administrator = models.BooleanField(
        _("administrator"),
        default=False,
        help_text=_("Administrators manage users, roles, fields and picklists."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("role")
        verbose_name_plural = _("roles")

    def __str__(self) -> str:
        return str(_(self.name)) if self.is_builtin else self.name


class RoleGrant(models.Model):
    """Permission as data: this role may do ``action`` on ``object_type`` within ``scope``."""

    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="grants")
    object_type = models.CharField(_("object type"), max_length=40)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    scope = models.PositiveSmallIntegerField(_("scope"), choices=Scope.choices, default=Scope.OWN)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["role", "object_type", "action"], name="rolegrant_unique_action"
            )
        ]
        verbose_name = _("role grant")
        verbose_name_plural = _("role grants")

    def __str__(self) -> str:
        return f"{self.role.code}:{self.object_type}:{self.action}={self.scope}"


class User(AbstractUser):
    """A person who signs in. Language and time zone are personal (I7, issue #2)."""

    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="en"
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, choices=TIME_ZONE_CHOICES, default="Europe/Moscow"
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    teams = models.ManyToManyField(
        Team, blank=True, related_name="members", verbose_name=_("teams")
    )
    roles = models.ManyToManyField(Role, blank=True, related_name="users", verbose_name=_("roles"))

    class Meta:
        ordering = ["first_name", "last_name", "username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def is_administrator(self) -> bool:
        if self.is_superuser:
            return True
        cached = getattr(self, "_is_administrator", None)
        if cached is None:
            cached = self.roles.filter(is_administrator=True).exists()
            self._is_administrator = cached
        return cached


class TrackedModel(models.Model):
    """Base for editable business records: timestamps and an optimistic-locking version."""

    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now, editable=False)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        abstract = True


class OwnedModel(TrackedModel):
    """A record that belongs to a user (owner) and may be shared with a team (record rules)."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("owner"),
    )
    team = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("shared with team"),
    )

    class Meta:
        abstract = True


class AuditEntry(models.Model):
    """One row per change to business data: who, when, how, old -> new. Never edited.

    Written by services in the same transaction as the change (never by signals, which miss
    bulk updates). ``related_*`` points at the record a change should also show on, so a
    contact's edit appears in its company's history.
    """

    class Kind(models.TextChoices):
        CREATE = "create", _("created")
        CHANGE = "change", _("changed")
        DELETE = "delete", _("deleted")
        MERGE = "merge", _("merged")
        REASSIGN = "reassign", _("reassigned")
        LOGIN = "login", _("signed in")

    class Source(models.TextChoices):
        UI = "ui", _("web")
        API = "api", _("API")
        COMMAND = "command", _("command")
        JOB = "job", _("background job")
        SYSTEM = "system", _("system")

    timestamp = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_name = models.CharField(_("actor name"), max_length=150, blank=True)
    request_id = models.CharField(_("request id"), max_length=36, blank=True)
    source = models.CharField(
        _("source"), max_length=10, choices=Source.choices, default=Source.SYSTEM
    )
    action = models.CharField(_("action"), max_length=10, choices=Kind.choices)
    object_type = models.CharField(_("object type"), max_length=40)
    object_id = models.BigIntegerField(_("object id"))
    object_repr = models.CharField(_("object"), max_length=200)
    related_type = models.CharField(max_length=40, blank=True)
    related_id = models.BigIntegerField(null=True, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    message = models.CharField(_("message"), max_length=300, blank=True)

    class Meta:
        ordering = ["-timestamp", "-id"]
        indexes = [
            models.Index(
                fields=["object_type", "object_id", "-timestamp"], name="audit_object_idx"
            ),
            models.Index(
                fields=["related_type", "related_id", "-timestamp"], name="audit_related_idx"
            ),
            models.Index(fields=["actor", "-timestamp"], name="audit_actor_idx"),
        ]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")

    def __str__(self) -> str:
        return f"{self.timestamp:%Y-%m-%d %H:%M} {self.action} {self.object_type}#{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise RuntimeError("Audit entries are append-only.")
        super().save(*args, **kwargs)


class Picklist(models.TextChoices):
    """The classifications administrators edit (I8). Options live in PicklistOption."""

    INDUSTRY = "industry", _("Industry")
    REGION = "region", _("Region")
    COMPANY_TYPE = "company_type", _("Company type")
    SOURCE = "source", _("Source")
    SIZE = "size", _("Company size")
    CONTACT_ROLE = "contact_role", _("Contact role")
    WON_REASON = "won_reason", _("Reason for winning a deal")
    LOST_REASON = "lost_reason", _("Reason for losing a deal")
    PAYMENT_METHOD = "payment_method", _("Payment method")
    CLIENT_TIER = "client_tier", _("Client tier")


class PicklistOption(models.Model):
    """One option of a picklist, with its label in every interface language."""

    picklist = models.CharField(
        _("picklist"), max_length=40, choices=Picklist.choices, db_index=True
    )
    code = models.SlugField(_("code"), max_length=60)
    label = models.CharField(_("label"), max_length=120)
    label_ru = models.CharField(_("label (Russian)"), max_length=120, blank=True)
    label_fr = models.CharField(_("label (French)"), max_length=120, blank=True)
    label_de = models.CharField(_("label (German)"), max_length=120, blank=True)
    position = models.PositiveSmallIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["picklist", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["picklist", "code"], name="picklist_option_unique_code")
        ]
        verbose_name = _("picklist option")
        verbose_name_plural = _("picklist options")

    def __str__(self) -> str:
        return self.localized_label()

    def localized_label(self, language: str | None = None) -> str:
        lang = (language or translation.get_language() or "en")[:2]
        return getattr(self, f"label_{lang}", "") or self.label if lang != "en" else self.label


class CustomFieldDefinition(models.Model):
    """An administrator-defined field (I8). Values live in the model's ``custom`` JSON column;
    forms, API schema, filters and import/export are generated from these rows."""

    class FieldType(models.TextChoices):
        TEXT = "text", _("Text")
        NUMBER = "number", _("Number")
        DATE = "date", _("Date")
        CHOICE = "choice", _("Choice")
        MULTI_CHOICE = "multichoice", _("Multiple choice")
        BOOLEAN = "boolean", _("Yes/no")
        USER = "user", _("Link to a user")

    model = models.CharField(_("record type"), max_length=40)
    name = models.SlugField(
        _("key"),
        max_length=50,
        help_text=_("Lower-case letters, digits and underscores; used in the API and imports."),
    )
    label = models.CharField(_("label"), max_length=120)
    field_type = models.CharField(_("type"), max_length=20, choices=FieldType.choices)
    choices = models.JSONField(
        _("choices"),
        default=list,
        blank=True,
        help_text=_("For choice fields: one option per line."),
    )
    is_required = models.BooleanField(_("required"), default=False)
    help_text = models.CharField(_("help text"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["model", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["model", "name"], name="customfield_unique_name")
        ]
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")

    def __str__(self) -> str:
        return self.label


class SavedView(models.Model):
    """A user's named list configuration: filters, sort and columns (D2)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views"
    )
    list_key = models.CharField(max_length=40)
    name = models.CharField(_("name"), max_length=80)
    query = models.CharField(_("query"), max_length=2000, blank=True)
    columns = models.JSONField(_("columns"), default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "list_key", "name"], name="savedview_unique_name"
            )
        ]
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")

    def __str__(self) -> str:
        return self.name


class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 hash is stored; the secret is shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=80)
    prefix = models.CharField(max_length=12, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_secret(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()

    @staticmethod
    def new_secret() -> str:
        return "acc_" + secrets.token_urlsafe(32)


class Notification(models.Model):
    """Something a user should see in the UI: a due reminder, an assignment."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    text = models.CharField(_("text"), max_length=300)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    dedupe_key = models.CharField(max_length=80, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "dedupe_key"],
                condition=~models.Q(dedupe_key=""),
                name="notification_unique_dedupe",
            )
        ]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return self.text


class TranslatedName(models.Model):
    """A name administrators give in every interface language (pipeline stages, project
    stages): the reader sees their own language, or the main name when it is empty."""

    name = models.CharField(_("name"), max_length=120)
    name_ru = models.CharField(_("name (Russian)"), max_length=120, blank=True)
    name_fr = models.CharField(_("name (French)"), max_length=120, blank=True)
    name_de = models.CharField(_("name (German)"), max_length=120, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.localized_name()

    def localized_name(self, language: str | None = None) -> str:
        lang = (language or translation.get_language() or "en")[:2]
        if lang == "en":
            return self.name
        return getattr(self, f"name_{lang}", "") or self.name
