"""Background jobs of service levels: warnings, breaches and escalations."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from accord.core.audit import audit_context
from accord.core.models import AuditEntry
from accord.sla.clocks import check_sla


@db_periodic_task(crontab(minute="*"))
def check_service_levels() -> int:
    """Every minute: warn before targets are missed, flag and escalate the missed ones. Thin
    and safe to retry: each warning and breach is claimed once under a row lock."""
    with audit_context(source=AuditEntry.Source.JOB):
        result = check_sla()
    return len(result.cases)
