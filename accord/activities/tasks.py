"""Background jobs of the activities app: reminders (C1)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from accord.activities.services import reminders_send_due


@db_periodic_task(crontab(minute="*"))
def send_due_reminders() -> int:
    """Every minute: turn due task and meeting reminders into notifications. Thin and safe to
    retry: the service claims each reminder with a conditional update."""
    return reminders_send_due()
