"""``accord import FILE --type contacts``: the import engine from the command line."""

from __future__ import annotations

import os
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from accord.core.audit import audit_context
from accord.core.models import User
from accord.dataio import mapping, services
from accord.dataio.handlers import get_handler, handlers
from accord.dataio.models import ImportBatch, ImportMapping

TYPE_ALIASES = {"companies": "company", "contacts": "contact", "activities": "activity"}


def object_type_of(text: str) -> str:
    value = text.strip().lower()
    if value in TYPE_ALIASES:
        return TYPE_ALIASES[value]
    known = {h.object_type for h in handlers()}
    if value in known:
        return value
    if value.endswith("s") and value[:-1] in known:
        return value[:-1]
    raise CommandError(
        _("Unknown record type “%(type)s”; one of: %(types)s.")
        % {"type": text, "types": ", ".join(sorted(known))}
    )


def error_lines(rows: list[Any]) -> list[str]:
    lines = []
    for row in rows:
        for key, messages in row.errors.items():
            for message in messages:
                if key:
                    lines.append(
                        _("row %(row)s, %(field)s: %(message)s")
                        % {"row": row.number, "field": key, "message": message}
                    )
                else:
                    lines.append(
                        _("row %(row)s: %(message)s") % {"row": row.number, "message": message}
                    )
    return lines


class Command(BaseCommand):
    help = (
        "Import companies, contacts or other records from a CSV or XLSX file through the same "
        "engine as the import wizard: values cleaned like the forms, rows matched against "
        "existing records (tax id, e-mail, phone, name), one batch that can be undone. "
        "Exits with 1 when rows are rejected in all-or-nothing mode (the default)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--type", required=True, help="contacts, companies, activities, ...")
        parser.add_argument("--mapping", help="a saved column mapping's name (default: suggested)")
        parser.add_argument(
            "--dry-run", action="store_true", help="check the whole file, write nothing"
        )
        parser.add_argument("--user", help="import as this user (default: the first administrator)")
        parser.add_argument(
            "--mode",
            choices=ImportBatch.Mode.values,
            default="skip",
            help="what to do with rows matching existing records (default: skip)",
        )
        parser.add_argument(
            "--partial",
            action="store_true",
            help="write the valid rows and reject the others (default: all or nothing)",
        )
        parser.add_argument("--encoding", help="e.g. utf-8, cp1251, koi8-r, cp1252, utf-16")
        parser.add_argument("--delimiter", help="one character; \\t for tab")
        parser.add_argument("--sheet", help="the sheet of an XLSX workbook (default: the first)")

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["file"]
        if not os.path.isfile(path):
            raise CommandError(_("No file %(path)s.") % {"path": path})
        object_type = object_type_of(options["type"])
        user = self._user(options.get("user"))
        delimiter = options.get("delimiter")
        if delimiter == "\\t":
            delimiter = "\t"
        with audit_context(source="command"):
            try:
                self._run(path, object_type, user, delimiter, options)
            except ValidationError as error:
                raise CommandError(self._messages(error)) from None
            except PermissionDenied as error:
                raise CommandError(
                    str(error) or _("You do not have permission to do this.")
                ) from None

    def _user(self, username: str | None) -> User:
        if username:
            user = User.objects.filter(username=username, is_active=True).first()
            if user is None:
                raise CommandError(_("No active user “%(name)s”.") % {"name": username})
            return user
        from django.db.models import Q

        user = (
            User.objects.filter(
                Q(is_superuser=True) | Q(roles__is_administrator=True), is_active=True
            )
            .order_by("pk")
            .first()
        )
        if user is None:
            raise CommandError(_("Give --user: there is no administrator to import as."))
        return user

    @staticmethod
    def _messages(error: ValidationError) -> str:
        if hasattr(error, "message_dict"):
            return "\n".join(
                f"{key}: {' '.join(messages)}" for key, messages in error.message_dict.items()
            )
        return " ".join(error.messages)

    def _run(
        self,
        path: str,
        object_type: str,
        user: User,
        delimiter: str | None,
        options: dict[str, Any],
    ) -> None:
        handler = get_handler(object_type)
        with open(path, "rb") as stream:
            batch = services.import_prepare(
                actor=user,
                object_type=object_type,
                uploaded_file=File(stream, name=os.path.basename(path)),
                encoding=options.get("encoding"),
                delimiter=delimiter,
                sheet=options.get("sheet"),
            )
        for warning in getattr(batch, "warnings", []):
            self.stderr.write(warning)
        detected = batch.detected  # type: ignore[attr-defined]
        if options.get("mapping"):
            saved = ImportMapping.objects.filter(
                object_type=object_type, name=options["mapping"]
            ).first()
            if saved is None:
                raise CommandError(_("No saved mapping “%(name)s”.") % {"name": options["mapping"]})
            columns = mapping.apply_mapping(saved, detected.headers)
        else:
            columns = mapping.suggest(handler, detected.headers, user)
        if options["verbosity"] >= 1:
            self.stdout.write(
                _("%(kind)s, encoding %(encoding)s, delimiter %(delimiter)s")
                % {
                    "kind": detected.kind.upper(),
                    "encoding": detected.encoding or "-",
                    "delimiter": repr(detected.delimiter) if detected.delimiter else "-",
                }
            )
            for header, key in columns.items():
                self.stdout.write(f"  {header} -> {key or '-'}")
        batch = services.import_configure(
            actor=user,
            batch=batch,
            columns=columns,
            mode=options["mode"],
            all_or_nothing=not options["partial"],
        )
        if options["dry_run"]:
            self._dry_run(batch, user)
            return
        from tqdm import tqdm

        total = services._count_rows(batch, detected)
        bar = tqdm(
            total=total, unit=" rows", disable=options["verbosity"] < 1, file=self.stderr._out
        )
        done = {"rows": 0}

        def progress(result: services.RunResult) -> None:
            bar.update(result.total - done["rows"])
            done["rows"] = result.total

        try:
            services.import_run_now(actor=user, batch=batch, after_chunk=progress)
        finally:
            bar.close()
        batch.refresh_from_db()
        self.stdout.write(services.summary(batch))
        if batch.rejected_file:
            self.stdout.write(_("Rejected rows: %(path)s") % {"path": batch.rejected_file.path})
        self.stdout.write(
            _("Import #%(number)s (undo it in the import history).") % {"number": batch.pk}
        )
        if batch.status == ImportBatch.Status.FAILED:
            raise SystemExit(1)

    def _dry_run(self, batch: ImportBatch, user: User) -> None:
        counts = {"total": 0, "valid": 0, "errors": 0, "matched": 0}
        try:
            handler = get_handler(batch.object_type)
            for chunk in services._chunks(batch, services.detection(batch)):
                services._clean_chunk(handler, batch, chunk, user)
                for row in chunk.rows:
                    counts["total"] += 1
                    counts["valid" if row.ok else "errors"] += 1
                    if row.match_id is not None or row.match_row is not None:
                        counts["matched"] += 1
                for line in error_lines([r for r in chunk.rows if not r.ok]):
                    self.stdout.write(line)
        finally:
            batch.source_file.delete(save=False)
            batch.delete()
        self.stdout.write(
            _(
                "Dry run, nothing written: %(total)s rows, %(valid)s valid, %(errors)s with "
                "errors, %(matched)s matching existing records."
            )
            % counts
        )
        if counts["errors"] and batch.all_or_nothing:
            raise SystemExit(1)
