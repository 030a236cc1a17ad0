"""``accord anonymize``: an anonymised copy of the database for tests and demos (O2)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accord.ops.anonymize import AnonymizeError, anonymize_database


class Command(BaseCommand):
    help = (
        "Write an anonymised copy of the current database (SQLite or PostgreSQL) to a NEW "
        "SQLite file: names, phones, e-mails, addresses, tax ids, free text, audit history "
        "and files replaced consistently (the same person stays one person); structure, "
        "counts, dates and amounts kept. The source is only read. Sessions and API tokens "
        "are not copied and every password is unusable: create an administrator in the "
        "copy with `accord createadmin`. See docs/admin-guide/anonymized-copies.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", required=True, help="path of the new SQLite file")
        parser.add_argument(
            "--seed",
            type=int,
            default=None,
            help="make the fakes reproducible between runs (default: a random secret per run)",
        )
        parser.add_argument(
            "--force", action="store_true", help="overwrite the output file if it exists"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        verbose = options["verbosity"] >= 1
        try:
            result = anonymize_database(
                output=Path(options["output"]),
                seed=options["seed"],
                force=options["force"],
                progress=(lambda line: self.stdout.write(line)) if verbose else None,
            )
        except AnonymizeError as exc:
            raise CommandError(str(exc)) from exc
        if verbose:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Anonymised copy: {result.path} ({result.rows:,} rows in "
                    f"{result.seconds:.1f} s)."
                )
            )
            if result.files_dir.exists():
                self.stdout.write(f"Placeholder files: {result.files_dir}")
            self.stdout.write(
                f"Open it with: DATABASE_URL=sqlite:///{result.path} accord serve "
                "(after `accord createadmin NAME` with the same DATABASE_URL)"
            )
