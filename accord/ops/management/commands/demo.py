"""``accord demo``: load the demo organisation once and print how to sign in."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils import translation

from accord.ops import demo


class Command(BaseCommand):
    help = (
        "Create a demo organisation (teams, one user per built-in role, about 200 companies, "
        "600 contacts and 2,000 activities in Russian, French and English; all synthetic). "
        "Idempotent: when the demo users exist, nothing is created. Prints the URL and logins."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--companies", type=int, default=200)
        parser.add_argument("--contacts", type=int, default=600)
        parser.add_argument("--activities", type=int, default=2000)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--url", default="http://127.0.0.1:8000/", help="address printed at the end"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # A terminal has no user: write and print in the installation's default language,
        # whatever language an earlier request left active in this thread.
        with translation.override(settings.LANGUAGE_CODE):
            self._handle(**options)

    def _handle(self, **options: Any) -> None:
        started = time.monotonic()
        for name in ("companies", "contacts", "activities"):
            if options[name] < 0:
                self.stderr.write(f"--{name} must not be negative.")
                raise SystemExit(2)
        result = demo.load(
            companies=options["companies"],
            contacts=options["contacts"],
            activities=options["activities"],
            seed=options["seed"],
            progress=lambda line: self.stdout.write(f"  {line}"),
        )
        if result.created:
            summary = ", ".join(f"{count:,} {label}" for label, count in result.counts.items())
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo data created in {time.monotonic() - started:.1f} s: {summary}."
                )
            )
        else:
            self.stdout.write("Demo data already loaded; nothing created.")
        self.stdout.write("")
        self.stdout.write(f"Open {options['url']} and sign in as one of:")
        self.stdout.write(f"  {'username':<12} {'role':<16} password")
        for username, role, password in result.logins:
            self.stdout.write(f"  {username:<12} {role:<16} {password}")
