"""Background jobs the user can watch (import, export, duplicate scan), import batches that can
be undone as a whole, and saved column mappings (D2, D5)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Job(models.Model):
    """A user-visible background job: a row with status, progress, a log and a result file.

    The job layer (Huey) only carries the job's id; the runner fetches the row, does the work
    through services, reports progress here and stops when ``cancel_requested`` is set.
    """

    class Kind(models.TextChoices):
        IMPORT = "import", _("import")
        EXPORT = "export", _("export")
        DUPLICATE_SCAN = "duplicate_scan", _("duplicate scan")

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")
        CANCELLED = "cancelled", _("cancelled")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    title = models.CharField(_("title"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="jobs",
        verbose_name=_("started by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    total = models.PositiveIntegerField(_("total"), default=0)
    done = models.PositiveIntegerField(_("done"), default=0)
    cancel_requested = models.BooleanField(_("cancel requested"), default=False)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    message = models.TextField(_("message"), blank=True)
    log = models.JSONField(_("log"), default=list, blank=True)
    result_file = models.FileField(_("result file"), upload_to="jobs/%Y/%m/", blank=True)
    result_name = models.CharField(_("result file name"), max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_by", "-created_at"], name="job_user_idx")]
        verbose_name = _("job")
        verbose_name_plural = _("jobs")

    def __str__(self) -> str:
        return self.title or f"{self.get_kind_display()} #{self.pk}"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.total:
            return 0
        return min(100, int(self.done * 100 / self.total))

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED, self.Status.CANCELLED)


class ImportMapping(models.Model):
    """A saved column mapping (file header -> field), reusable by the wizard and ``accord import``."""

    name = models.CharField(_("name"), max_length=100)
    object_type = models.CharField(_("record type"), max_length=40)
    columns = models.JSONField(_("columns"), default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["object_type", "name"]
        constraints = [
            models.UniqueConstraint(fields=["object_type", "name"], name="import_mapping_name_uniq")
        ]
        verbose_name = _("import mapping")
        verbose_name_plural = _("import mappings")

    def __str__(self) -> str:
        return self.name


class ImportBatch(models.Model):
    """One import of one file: its options, outcome and the records it touched, so that it shows
    as one batch in the history and can be undone as a whole."""

    class Mode(models.TextChoices):
        CREATE = "create", _("create new records")
        UPDATE = "update", _("update matched records")
        SKIP = "skip", _("skip matched records")

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")
        CANCELLED = "cancelled", _("cancelled")
        UNDONE = "undone", _("undone")

    object_type = models.CharField(_("record type"), max_length=40)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("imported by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    job = models.OneToOneField(
        Job, on_delete=models.SET_NULL, null=True, blank=True, related_name="import_batch"
    )
    source_file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    file_name = models.CharField(_("file name"), max_length=255)
    file_sha256 = models.CharField(max_length=64, db_index=True)
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    delimiter = models.CharField(_("delimiter"), max_length=2, blank=True)
    sheet = models.CharField(_("sheet"), max_length=100, blank=True)
    columns = models.JSONField(_("column mapping"), default=dict, blank=True)
    mode = models.CharField(_("matched records"), max_length=10, choices=Mode.choices)
    all_or_nothing = models.BooleanField(_("all or nothing"), default=True)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_created = models.PositiveIntegerField(_("created"), default=0)
    rows_updated = models.PositiveIntegerField(_("updated"), default=0)
    rows_skipped = models.PositiveIntegerField(_("skipped"), default=0)
    rows_rejected = models.PositiveIntegerField(_("rejected"), default=0)
    rejected_file = models.FileField(_("rejected rows"), upload_to="imports/%Y/%m/", blank=True)
    # Touched after every chunk; a running batch whose heartbeat stopped belongs to a process
    # that died, and import_recover() undoes it.
    heartbeat_at = models.DateTimeField(null=True, blank=True, editable=False)
    undone_at = models.DateTimeField(_("undone"), null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("undone by"),
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return self.file_name


class ImportRecord(models.Model):
    """A record an import created or changed; ``before`` holds the changed fields' old values so
    that undo can put them back."""

    class Action(models.TextChoices):
        CREATED = "created", _("created")
        UPDATED = "updated", _("updated")

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="records")
    object_type = models.CharField(max_length=40)
    object_id = models.BigIntegerField()
    action = models.CharField(max_length=10, choices=Action.choices)
    row_number = models.PositiveIntegerField()
    before = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["object_type", "object_id"], name="import_record_obj_idx")]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}#{self.object_id}"
