"""``accord sla-check``: run the SLA check once (what the job layer does every minute)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from accord.core.audit import audit_context
from accord.core.models import AuditEntry
from accord.sla.clocks import check_sla


class Command(BaseCommand):
    help = "Warn before SLA targets are missed, flag and escalate the missed ones (once)."

    def handle(self, *args: Any, **options: Any) -> None:
        with audit_context(source=AuditEntry.Source.COMMAND):
            result = check_sla()
        self.stdout.write(
            f"{result.warnings} warnings, {result.breaches} breaches, "
            f"{result.escalations} escalations"
        )
