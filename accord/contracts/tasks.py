"""Background jobs of the service contracts: the daily expiry and renewal reminders (V2)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from accord.contracts.services import contracts_expire, contracts_remind
from accord.core.audit import audit_context
from accord.core.models import AuditEntry


def run_daily() -> tuple[int, int]:
    """Expire what ended, then remind what ends soon; returns (expired, reminded)."""
    with audit_context(source=AuditEntry.Source.JOB):
        return contracts_expire(), contracts_remind()


@db_periodic_task(crontab(hour="6", minute="15"))
def contracts_daily() -> tuple[int, int]:
    """Every morning. Thin and safe to retry: each contract is claimed by a conditional update,
    so a second run expires and reminds nothing twice."""
    return run_daily()
