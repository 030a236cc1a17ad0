"""Writes of the duplicate scan: start a scan, mark a cluster "not duplicates" (D6)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accord.core import audit
from accord.core.models import AuditEntry
from accord.core.permissions import require_administrator
from accord.dataio.jobs import job_start
from accord.dataio.models import Job
from accord.dedup.models import DuplicateCluster
from accord.dedup.scan import OBJECT_TYPES

TYPE_LABELS = {"company": "companies", "contact": "contacts"}


def scan_start(*, actor: Any, object_type: str) -> Job:
    """Queue a full scan of one record type (administrators only: it reads the whole base)."""
    require_administrator(actor)
    if object_type not in OBJECT_TYPES:
        raise ValidationError({"object_type": [_("Choose companies or contacts.")]})
    running = Job.objects.filter(
        kind=Job.Kind.DUPLICATE_SCAN,
        status__in=(Job.Status.QUEUED, Job.Status.RUNNING),
        params__object_type=object_type,
    ).exists()
    if running:
        raise ValidationError({"object_type": [_("A scan of these records is already running.")]})
    title = (
        _("Duplicate scan: companies")
        if object_type == "company"
        else _("Duplicate scan: contacts")
    )
    with transaction.atomic():
        return job_start(
            kind=Job.Kind.DUPLICATE_SCAN,
            actor=actor,
            params={"object_type": object_type},
            title=title,
        )


def cluster_dismiss(*, cluster: DuplicateCluster, actor: Any) -> DuplicateCluster:
    """Mark an open cluster "not duplicates": later scans never put these records together
    again. The caller fetched the cluster through the scoped selector (the actor sees every
    member); dismissing also needs the change permission on every member."""
    from accord.dedup.selectors import cluster_members_allowed

    if not cluster_members_allowed(actor, cluster, "change"):
        raise PermissionDenied(_("You do not have permission to do this."))
    with transaction.atomic():
        locked = DuplicateCluster.objects.select_for_update().get(pk=cluster.pk)
        if locked.status != DuplicateCluster.Status.OPEN:
            raise ValidationError(
                {"status": [_("This group is no longer open: it was merged or dismissed.")]}
            )
        locked.status = DuplicateCluster.Status.DISMISSED
        locked.resolved_by = actor
        locked.resolved_at = timezone.now()
        locked.save(update_fields=["status", "resolved_by", "resolved_at"])
        audit.record(
            actor=actor,
            action=AuditEntry.Kind.CHANGE,
            obj=locked,
            changes={
                "status": [DuplicateCluster.Status.OPEN, DuplicateCluster.Status.DISMISSED],
                "members": [None, [m["id"] for m in locked.members]],
            },
            message="not duplicates",
        )
    return locked
