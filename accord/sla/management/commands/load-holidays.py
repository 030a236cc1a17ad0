"""``accord load-holidays --calendar ID --year 2027``: a year's public holidays into a calendar."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accord.core.audit import audit_context
from accord.core.models import AuditEntry
from accord.sla.models import WorkCalendar
from accord.sla.services import holidays_load


class Command(BaseCommand):
    help = (
        "Load a year's public holidays (and Russian transferred working days) of the "
        "calendar's country (RU or FR) into a working calendar. Days already there are kept."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--calendar", type=int, required=True, help="calendar id")
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--country", default="", help="RU or FR; default: the calendar's")
        parser.add_argument("--language", default="", help="ru, fr or en; default: en")

    def handle(self, *args: Any, **options: Any) -> None:
        calendar = WorkCalendar.objects.filter(pk=options["calendar"]).first()
        if calendar is None:
            raise CommandError(f"No calendar with id {options['calendar']}.")
        try:
            with audit_context(source=AuditEntry.Source.COMMAND):
                added = holidays_load(
                    actor=None,
                    calendar=calendar,
                    year=options["year"],
                    country=options["country"],
                    language=options["language"] or "en",
                )
        except ValidationError as exc:
            raise CommandError(
                "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
            ) from exc
        self.stdout.write(f"{len(added)} days added to {calendar.name}.")
