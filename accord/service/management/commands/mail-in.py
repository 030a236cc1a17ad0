"""``accord mail-in < message.eml``: file one incoming e-mail as a case or a reply (V3).

Meant for a mail server's pipe delivery (Postfix ``pipe``, procmail, fetchmail ``--mda``) and
for feeding saved messages by hand. Exit codes follow sysexits so a mail server does the right
thing: 0 filed (or deliberately ignored), 65 refused (the message itself is unacceptable; the
server bounces it), 66 the file cannot be read, 75 a temporary failure (the server retries).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, BinaryIO

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from django.utils.translation import gettext as _

from accord.core.audit import audit_context
from accord.core.models import AuditEntry
from accord.service.mailin import MailRefused, format_size, max_message_bytes, receive_mail

EX_DATAERR = 65
EX_NOINPUT = 66
EX_TEMPFAIL = 75


def _read_limited(stream: BinaryIO, limit: int) -> bytes:
    """At most ``limit + 1`` bytes: enough to know a message is too large without
    holding all of a runaway stream in memory."""
    return stream.read(limit + 1)


class Command(BaseCommand):
    help = (
        "File one e-mail (RFC 5322, read from standard input or a file) as a new case or as "
        "a reply on its case. Prints what happened: 'Opened CS-12', 'Added to CS-7', "
        "'Ignored: auto-reply', 'Duplicate of …'. Exit code 0 when filed or ignored, 65 when "
        "the message is refused (too large, empty), 66 when the file cannot be read, 75 on a "
        "temporary failure. See docs/user-guide/mail-to-cases.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file", nargs="?", default="-", help="the .eml file (default: standard input)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        limit = max_message_bytes()
        path = options["file"]
        try:
            if path == "-":
                raw = _read_limited(sys.stdin.buffer, limit)
            else:
                with Path(path).open("rb") as handle:
                    raw = _read_limited(handle, limit)
        except OSError as exc:
            raise CommandError(
                _("Cannot read %(path)s: %(error)s") % {"path": path, "error": exc.strerror},
                returncode=EX_NOINPUT,
            ) from exc
        if len(raw) > limit:
            raise CommandError(
                _("Refused: the message is larger than the %(limit)s limit; it was not taken.")
                % {"limit": format_size(limit)},
                returncode=EX_DATAERR,
            )
        try:
            with audit_context(source=AuditEntry.Source.COMMAND):
                result = receive_mail(raw)
        except MailRefused as exc:
            raise CommandError(
                _("Refused: %(reason)s") % {"reason": exc}, returncode=EX_DATAERR
            ) from exc
        except ValidationError as exc:
            messages = "; ".join(exc.messages)
            raise CommandError(
                _("Refused: %(reason)s") % {"reason": messages}, returncode=EX_DATAERR
            ) from exc
        except DatabaseError as exc:
            raise CommandError(
                _("Temporary failure, nothing was filed; try again: %(error)s") % {"error": exc},
                returncode=EX_TEMPFAIL,
            ) from exc
        self.stdout.write(result.describe())
        if options["verbosity"] >= 1:
            for problem in result.problems:
                self.stdout.write("  " + problem)
