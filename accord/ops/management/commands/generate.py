"""``accord generate``: fill a database fast for scale tests and benchmarks."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from accord.core.audit import audit_context
from accord.ops.generator import generate


class Command(BaseCommand):
    help = (
        "Fill the database with synthetic companies, contacts and activities, then deals (with "
        "their stage history), orders with lines, invoices and payments over those companies, "
        "for scale tests (1M contacts in minutes). Rows are written with bulk inserts that compute what the "
        "services would (search text, name keys, normalised phones and e-mails, employments); "
        "each generated record gets its own 'create' audit entry holding its main fields. "
        "Owners are spread over --users generated sales managers (gen_manager_N, in a few "
        "teams) plus a head of sales (gen_head); they have no password. Run it on a database "
        "nobody else writes to at the same time."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--companies", type=int, default=1000)
        parser.add_argument("--contacts", type=int, default=3000)
        parser.add_argument("--activities", type=int, default=10000)
        parser.add_argument(
            "--deals", type=int, default=1000, help="over the companies generated in this run"
        )
        parser.add_argument(
            "--order-lines", type=int, default=3000, help="order lines (orders follow from them)"
        )
        parser.add_argument("--users", type=int, default=20, help="sales managers owning rows")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--batch-size", type=int, default=5000)

    def handle(self, *args: Any, **options: Any) -> None:
        for name in (
            "companies",
            "contacts",
            "activities",
            "deals",
            "order_lines",
            "users",
            "batch_size",
        ):
            if options[name] < (1 if name in ("users", "batch_size") else 0):
                self.stderr.write(f"--{name.replace('_', '-')} must be positive.")
                raise SystemExit(2)
        verbose = options["verbosity"] >= 1
        with audit_context(source="command"):
            result = generate(
                companies=options["companies"],
                contacts=options["contacts"],
                activities=options["activities"],
                deals=options["deals"],
                order_lines=options["order_lines"],
                users=options["users"],
                seed=options["seed"],
                batch_size=options["batch_size"],
                progress=(lambda line: self.stdout.write(line)) if verbose else None,
            )
        if verbose:
            for label, count in result.counts.items():
                self.stdout.write(f"  {label:<20} {count:>12,}")
            self.stdout.write(
                self.style.SUCCESS(
                    f"Generated {result.rows:,} rows in {result.seconds:.1f} s "
                    f"({result.rows_per_second:,.0f} rows/s)."
                )
            )
