"""Background jobs of client feedback: retry survey e-mails the mail server did not take."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from accord.feedback.services import surveys_send_pending


@db_periodic_task(crontab(minute="*/15"))
def send_pending_surveys() -> int:
    """Every 15 minutes: send surveys still unsent (safe to retry: sent ones are skipped)."""
    return surveys_send_pending()
