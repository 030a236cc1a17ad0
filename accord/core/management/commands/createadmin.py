"""``accord createadmin``: create (or reset) an administrator account."""

from __future__ import annotations

import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from accord.core.audit import audit_context
from accord.core.models import AuditEntry, Role


class Command(BaseCommand):
    help = "Create an administrator (or give an existing user the administrator role)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument("--password", help="Read from the terminal when omitted.")

    def handle(self, *args: Any, **options: Any) -> None:
        password = options["password"]
        if not password:
            try:
                password = getpass.getpass("Password: ")
            except EOFError as exc:
                raise CommandError("No password given (use --password).") from exc
        if len(password) < 8:
            raise CommandError("The password must have at least 8 characters.")
        with audit_context(source=AuditEntry.Source.COMMAND):
            from accord.core import services

            user = services.administrator_ensure(
                username=options["username"], email=options["email"], password=password
            )
        role = Role.objects.get(code="administrator")
        assert role in user.roles.all()
        self.stdout.write(self.style.SUCCESS(f"Administrator “{user.username}” is ready."))
