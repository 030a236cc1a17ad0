"""Background jobs of the commerce app: quotes whose validity ran out (S4)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from accord.commerce.services_quotes import quote_expire_due


@db_periodic_task(crontab(minute="5", hour="*"))
def expire_quotes() -> int:
    """Every hour: sent quotes past their "valid until" date become expired. Thin and safe to
    retry: the service claims each quote with a conditional update."""
    return quote_expire_due()
