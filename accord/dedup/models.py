"""Clusters of likely duplicates found by a scan of the whole base, and merges that can be undone
(D6)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DuplicateCluster(models.Model):
    """Records a scan believes are one: members with their scores and the reasons they matched.

    ``members`` is a list of ``{"id": int, "score": float, "reasons": [code, ...]}``; reasons
    are codes (``tax_id``, ``email``, ``phone``, ``name``) translated when shown.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        MERGED = "merged", _("merged")
        DISMISSED = "dismissed", _("not duplicates")

    object_type = models.CharField(_("record type"), max_length=40)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    score = models.FloatField(_("score"))
    members = models.JSONField(_("members"), default=list)
    size = models.PositiveIntegerField(_("records"), default=2)
    job = models.ForeignKey(
        "dataio.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("found"), default=timezone.now)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)

    class Meta:
        ordering = ["-score", "-id"]
        indexes = [models.Index(fields=["object_type", "status", "-score"], name="cluster_idx")]
        verbose_name = _("duplicate cluster")
        verbose_name_plural = _("duplicate clusters")

    def __str__(self) -> str:
        return f"{self.object_type} x{self.size} ({self.score:.0f})"


class Merge(models.Model):
    """One merge: the survivor, the records merged into it, and everything needed to undo it
    (the merged records' data, the survivor's old values, the relations that were moved)."""

    object_type = models.CharField(_("record type"), max_length=40)
    survivor_id = models.BigIntegerField(_("survivor"))
    merged_ids = models.JSONField(_("merged records"), default=list)
    snapshot = models.JSONField(default=dict)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("merged by"),
    )
    created_at = models.DateTimeField(_("merged"), default=timezone.now)
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
        indexes = [models.Index(fields=["object_type", "survivor_id"], name="merge_survivor_idx")]
        verbose_name = _("merge")
        verbose_name_plural = _("merges")

    def __str__(self) -> str:
        return f"{self.object_type}#{self.survivor_id} <- {self.merged_ids}"
