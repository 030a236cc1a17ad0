"""Import handler for activities (calls, meetings, tasks, notes, e-mails).

Rows are written one by one through ``activity_create`` (activities come by the thousand, not
the hundred thousand). A row matches an existing activity the user may see when kind, date and
time, subject and company are the same, so importing a call log twice adds nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accord.activities import services as activities
from accord.activities.models import Activity
from accord.core import audit
from accord.core.permissions import Action, allows, restrict
from accord.dataio.handlers import register_handler
from accord.dataio.handlers.base import (
    Choices,
    Handler,
    RowResult,
    TargetField,
    Users,
    check_length,
    mark_repeats,
    parse_bool,
    parse_datetime,
    parse_decimal,
)
from accord.dataio.handlers.parties import ContactHandler, _undo, fast_email
from accord.dataio.models import ImportBatch, ImportRecord
from accord.parties import normalize
from accord.parties.models import Company, Contact

SIMPLE = ("subject", "body", "at", "is_done", "direction", "duration_seconds", "outcome", "owner")


class ActivityHandler(Handler):
    object_type = "activity"
    label = gettext_lazy("activities")

    def fields(self, user: Any) -> list[TargetField]:
        return [
            TargetField(
                "kind",
                _("Type"),
                required=True,
                synonyms=(
                    "type",
                    "kind",
                    "activity type",
                    "тип",
                    "вид",
                    "тип активности",
                    "type d'activité",
                    "typ",
                    "art",
                    "aktivitätstyp",
                ),
                help=_("call, meeting, task, note or e-mail (in any language)"),
            ),
            TargetField(
                "subject",
                _("Subject"),
                synonyms=(
                    "subject",
                    "title",
                    "тема",
                    "заголовок",
                    "sujet",
                    "objet",
                    "titre",
                    "betreff",
                    "titel",
                ),
            ),
            TargetField(
                "body",
                _("Details"),
                synonyms=(
                    "details",
                    "description",
                    "notes",
                    "comment",
                    "описание",
                    "комментарий",
                    "подробности",
                    "détails",
                    "commentaire",
                    "beschreibung",
                    "notiz",
                    "kommentar",
                ),
            ),
            TargetField(
                "at",
                _("Date and time"),
                required=True,
                synonyms=(
                    "date",
                    "date and time",
                    "when",
                    "дата",
                    "дата и время",
                    "когда",
                    "date et heure",
                    "quand",
                    "datum",
                    "zeitpunkt",
                    "datum und uhrzeit",
                ),
                help=_("dd.mm.yyyy hh:mm, dd/mm/yyyy hh:mm or yyyy-mm-dd hh:mm"),
            ),
            TargetField(
                "company",
                _("Company"),
                synonyms=(
                    "company",
                    "account",
                    "компания",
                    "организация",
                    "клиент",
                    "société",
                    "entreprise",
                    "firma",
                    "unternehmen",
                ),
                help=_("Name or INN of an existing company."),
            ),
            TargetField(
                "contact",
                _("Contact"),
                synonyms=(
                    "contact",
                    "contact e-mail",
                    "контакт",
                    "контактное лицо",
                    "interlocuteur",
                    "kontakt",
                    "ansprechpartner",
                ),
                help=_("E-mail of an existing contact."),
            ),
            TargetField(
                "is_done",
                _("Done"),
                synonyms=(
                    "done",
                    "completed",
                    "выполнено",
                    "сделано",
                    "fait",
                    "terminé",
                    "erledigt",
                ),
            ),
            TargetField(
                "direction",
                _("Direction"),
                synonyms=("direction", "направление", "sens", "richtung"),
            ),
            TargetField(
                "duration_seconds",
                _("Duration (minutes)"),
                synonyms=(
                    "duration",
                    "minutes",
                    "длительность",
                    "продолжительность",
                    "durée",
                    "dauer",
                ),
            ),
            TargetField(
                "outcome",
                _("Outcome"),
                synonyms=("outcome", "result", "результат", "итог", "résultat", "ergebnis"),
            ),
            TargetField(
                "owner",
                _("Owner"),
                synonyms=(
                    "owner",
                    "manager",
                    "responsible",
                    "ответственный",
                    "менеджер",
                    "responsable",
                    "verantwortlich",
                ),
                help=_("Username, e-mail or full name of a user."),
            ),
        ]

    def clean(self, rows: list[RowResult], user: Any) -> None:
        users = Users()
        kinds = Choices.from_text_choices(Activity.Kind)
        directions = Choices.from_text_choices(Activity.Direction)
        outcomes = Choices.from_text_choices(Activity.Outcome)
        for row in rows:
            values = row.values
            for key, choices in (("kind", kinds), ("direction", directions), ("outcome", outcomes)):
                text = row.raw.get(key, "").strip()
                if text:
                    try:
                        values[key] = choices.resolve(text)
                    except ValidationError as error:
                        for message in error.messages:
                            row.add_error(key, message)
                elif key == "kind":
                    row.add_error("kind", _("This field is required."))
            for key, limit in (("subject", 255), ("body", 100_000)):
                text = row.raw.get(key, "").strip()
                if text:
                    values[key] = check_length(row, key, text, limit)
            parsers: Iterable[tuple[str, Any]] = (
                ("at", parse_datetime),
                ("is_done", parse_bool),
                ("duration_seconds", parse_decimal),
                ("owner", users.resolve),
            )
            for key, parse in parsers:
                text = row.raw.get(key, "").strip()
                if not text:
                    continue
                try:
                    values[key] = parse(text)
                except ValidationError as error:
                    for message in error.messages:
                        row.add_error(key, message)
            if "duration_seconds" in values:
                values["duration_seconds"] = int(values["duration_seconds"] * 60)
            if "at" not in values and "at" not in row.errors:
                row.add_error("at", _("This field is required."))
        self._links(rows, user)
        self._match(rows, user)

    def _links(self, rows: list[RowResult], user: Any) -> None:
        wanted = [r for r in rows if r.raw.get("company", "").strip()]
        if wanted:
            ContactHandler()._companies(wanted, user)  # same lookup as for contacts
        emails: dict[int, str] = {}
        for row in rows:
            text = row.raw.get("contact", "").strip()
            if text:
                try:
                    emails[row.number] = fast_email(text)
                except ValidationError as error:
                    for message in error.messages:
                        row.add_error("contact", message)
        if emails:
            visible = restrict(Contact.objects.all(), user, Action.VIEW)
            found = dict(
                visible.filter(
                    contact_points__kind="email",
                    contact_points__normalized__in=set(emails.values()),
                ).values_list("contact_points__normalized", "pk")
            )
            for row in rows:
                email = emails.get(row.number)
                if email is None:
                    continue
                if email in found:
                    row.values["contact"] = found[email]
                else:
                    row.add_error(
                        "contact", _("No contact with the e-mail “%(email)s”.") % {"email": email}
                    )

    def _match(self, rows: list[RowResult], user: Any) -> None:
        ok = [r for r in rows if r.ok]

        def key(row: RowResult) -> tuple[Any, ...]:
            company = row.values.get("company")
            return (
                row.values["kind"],
                row.values["at"],
                normalize.latin(row.values.get("subject", "")),
                company.pk if company is not None else None,
            )

        moments = {r.values["at"] for r in ok}
        if moments:
            visible = restrict(Activity.objects.all(), user, Action.VIEW)
            existing: dict[tuple[Any, ...], int] = {}
            for pk, kind, at, subject, company_id in visible.filter(at__in=moments).values_list(
                "pk", "kind", "at", "subject", "company_id"
            ):
                existing.setdefault((kind, at, normalize.latin(subject), company_id), pk)
            for row in ok:
                pk = existing.get(key(row))
                if pk:
                    row.match_id, row.match_reason = pk, _("same type, time, subject and company")
        mark_repeats(rows, lambda r: [key(r)])

    def _fields(self, row: RowResult) -> dict[str, Any]:
        fields = {k: row.values[k] for k in SIMPLE if k in row.values}
        if row.values.get("company") is not None:
            fields["company"] = row.values["company"]
        return fields

    def create(self, rows: list[RowResult], *, actor: Any, batch: ImportBatch) -> list[int]:
        ids, records = [], []
        for row in rows:
            contacts = [row.values["contact"]] if row.values.get("contact") else []
            fields = self._fields(row)
            is_done = fields.pop("is_done", None)
            try:
                with transaction.atomic():
                    activity = activities.activity_create(
                        actor=actor, kind=row.values["kind"], fields=fields, contacts=contacts
                    )
                    if is_done and not activity.is_done:
                        Activity.objects.filter(pk=activity.pk).update(
                            is_done=True, done_at=activity.at
                        )
            except ValidationError as error:
                for field, messages in error.message_dict.items():
                    for message in messages:
                        row.add_error(field, message)
                continue
            except PermissionDenied as error:
                row.add_error("owner", str(error))
                continue
            ids.append(activity.pk)
            row.match_id = activity.pk
            records.append(
                ImportRecord(
                    batch=batch,
                    object_type="activity",
                    object_id=activity.pk,
                    action=ImportRecord.Action.CREATED,
                    row_number=row.number,
                )
            )
        ImportRecord.objects.bulk_create(records)
        return ids

    def update(self, rows: list[RowResult], *, actor: Any, batch: ImportBatch) -> None:
        found = {a.pk: a for a in Activity.objects.filter(pk__in=[r.match_id for r in rows])}
        records = []
        for row in rows:
            activity = found.get(row.match_id or 0)
            if activity is None or not allows(actor, Action.CHANGE, activity):
                row.add_error("", _("You may not change the matched record."))
                continue
            fields = self._fields(row)
            fields.pop("is_done", None)
            before: dict[str, Any] = {
                "fields": {
                    k: getattr(activity, k + "_id" if k in ("owner", "company") else k)
                    for k in fields
                }
            }
            try:
                with transaction.atomic():
                    activity = activities.activity_update(
                        actor=actor, activity=activity, fields=fields
                    )
            except (ValidationError, PermissionDenied) as error:
                row.add_error("", " ".join(getattr(error, "messages", [str(error)])))
                continue
            before["version"] = activity.version
            records.append(
                ImportRecord(
                    batch=batch,
                    object_type="activity",
                    object_id=activity.pk,
                    action=ImportRecord.Action.UPDATED,
                    row_number=row.number,
                    before=audit._plain(before),
                )
            )
        ImportRecord.objects.bulk_create(records)

    def undo(self, records: list[ImportRecord], *, actor: Any) -> list[int]:
        return _undo(Activity, records, actor=actor, restore=self._restore)

    def _restore(self, activity: Any, before: dict[str, Any], actor: Any) -> None:
        import datetime

        fields = dict(before.get("fields", {}))
        for key in ("at",):
            if isinstance(fields.get(key), str):
                fields[key] = datetime.datetime.fromisoformat(fields[key])
        if "company" in fields:
            fields["company"] = Company.objects.filter(pk=fields["company"]).first()
        if "owner" in fields:
            from accord.core.models import User

            fields["owner"] = User.objects.get(pk=fields["owner"])
        activities.activity_update(actor=actor, activity=activity, fields=fields)


register_handler(ActivityHandler())
