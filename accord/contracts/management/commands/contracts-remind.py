"""``accord contracts-remind``: expire ended contracts and send renewal reminders now (the
same work as the daily job; safe to run again)."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accord.contracts.services import contracts_expire, contracts_remind
from accord.core.audit import audit_context
from accord.core.models import AuditEntry


class Command(BaseCommand):
    help = "Expire service contracts past their end and remind owners of contracts ending soon."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--date", help="Act as if today were this date (YYYY-MM-DD), e.g. to catch up."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        today = None
        if options.get("date"):
            try:
                today = datetime.date.fromisoformat(options["date"])
            except ValueError as exc:
                raise CommandError("--date must be YYYY-MM-DD") from exc
        with audit_context(source=AuditEntry.Source.COMMAND):
            expired = contracts_expire(today)
            reminded = contracts_remind(today)
        self.stdout.write(f"expired: {expired}, reminded: {reminded}")
