"""Writes to activities and documents (S1, M3, C1, D4). Every path (UI, API, jobs) comes here."""

from __future__ import annotations

import datetime
import os
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import Http404
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import override

from accord.activities.models import Activity, Document
from accord.core import audit
from accord.core.models import AuditEntry, Notification, User
from accord.core.permissions import Action, require
from accord.core.records import record_create, record_delete, record_update
from accord.parties.models import Company, Contact

ACTIVITY_FIELDS = (
    "subject",
    "body",
    "company",
    "at",
    "ends_at",
    "direction",
    "duration_seconds",
    "outcome",
    "location",
    "email_from",
    "email_to",
    "remind_at",
    "owner",
    "team",
    "deal",  # set by the activity form from a deal the user may see (accord.sales)
)
# Which fields each kind uses; the others are cleared so a note never carries a call outcome.
KIND_FIELDS: dict[str, frozenset[str]] = {
    Activity.Kind.CALL: frozenset({"direction", "duration_seconds", "outcome"}),
    Activity.Kind.MEETING: frozenset({"ends_at", "location", "remind_at"}),
    Activity.Kind.TASK: frozenset({"remind_at"}),
    Activity.Kind.NOTE: frozenset(),
    Activity.Kind.EMAIL: frozenset({"email_from", "email_to", "direction"}),
}
KIND_ONLY_FIELDS = frozenset().union(*KIND_FIELDS.values())
MEETING_REMINDER_LEAD = datetime.timedelta(minutes=15)


def _reject_unknown(fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(ACTIVITY_FIELDS)
    if unknown:
        raise ValidationError({name: [_("Unknown field.")] for name in sorted(unknown)})


def _resolve_company(actor: User, value: Any) -> Company | None:
    """The company must be one the actor may see; an invisible one is refused like a missing one."""
    from accord.parties.selectors import get_company_for

    if value in (None, ""):
        return None
    try:
        return get_company_for(actor, getattr(value, "pk", value))
    except Http404:
        raise ValidationError({"company": [_("Company not found.")]}) from None


def _resolve_contacts(actor: User, contacts: Sequence[Any]) -> list[Contact]:
    from accord.parties.selectors import contacts_visible_to

    ids = list(dict.fromkeys(getattr(c, "pk", c) for c in contacts if c not in (None, "")))
    if not ids:
        return []
    try:
        ids = [int(i) for i in ids]
    except (TypeError, ValueError):
        raise ValidationError({"contacts": [_("Contact not found.")]}) from None
    found = {c.pk: c for c in contacts_visible_to(actor).filter(pk__in=ids)}
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise ValidationError(
            {"contacts": [_("Contact not found: %(ids)s.") % {"ids": ", ".join(missing)}]}
        )
    return [found[i] for i in ids]


def _resolve_participants(participants: Sequence[Any]) -> list[User]:
    ids = list(dict.fromkeys(getattr(p, "pk", p) for p in participants if p not in (None, "")))
    if not ids:
        return []
    found = {u.pk: u for u in User.objects.filter(pk__in=ids, is_active=True)}
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise ValidationError(
            {"participants": [_("User not found: %(ids)s.") % {"ids": ", ".join(missing)}]}
        )
    return [found[i] for i in ids]


def _default_subject(kind: str, contacts: Sequence[Contact], body: str) -> str:
    if kind == Activity.Kind.NOTE and body.strip():
        first_line = body.strip().splitlines()[0]
        return first_line[:80] + ("…" if len(first_line) > 80 else "")
    label = str(Activity.Kind(kind).label)
    if contacts:
        return _("%(kind)s: %(name)s") % {"kind": label, "name": str(contacts[0])}
    return label


def _validate_kind(kind: str, values: dict[str, Any], *, is_new: bool) -> dict[str, list[str]]:
    """Rules per kind, keyed by the field the user typed into."""
    errors: dict[str, list[str]] = {}
    at = values.get("at")
    if kind == Activity.Kind.CALL:
        values.setdefault("direction", Activity.Direction.OUTBOUND)
        if not values.get("direction"):
            values["direction"] = Activity.Direction.OUTBOUND
        duration = values.get("duration_seconds")
        if duration is not None and duration < 0:
            errors["duration_seconds"] = [_("The duration cannot be negative.")]
    elif kind == Activity.Kind.MEETING:
        if at is None:
            errors["at"] = [_("Enter when the meeting starts.")]
        ends_at = values.get("ends_at")
        if at is not None and ends_at is not None and ends_at <= at:
            errors["ends_at"] = [_("The end must be after the start.")]
    elif kind == Activity.Kind.TASK:
        if at is None:
            errors["at"] = [_("Enter when the task is due.")]
    elif kind == Activity.Kind.NOTE:
        if not str(values.get("body") or "").strip():
            errors["body"] = [_("Write the note.")]
    elif kind == Activity.Kind.EMAIL:
        for name, message in (
            ("email_from", _("Enter the sender.")),
            ("email_to", _("Enter the recipients.")),
            ("subject", _("Enter a subject.")),
        ):
            if not str(values.get(name) or "").strip():
                errors[name] = [message]
    if (
        kind in (Activity.Kind.TASK, Activity.Kind.MEETING)
        and not str(values.get("subject") or "").strip()
    ):
        errors["subject"] = [_("Enter a subject.")]
    remind_at = values.get("remind_at")
    if remind_at is not None and is_new and remind_at < timezone.now() - datetime.timedelta(days=1):
        errors["remind_at"] = [_("The reminder time is in the past.")]
    return errors


def _clear_other_kind_fields(kind: str, values: dict[str, Any]) -> None:
    for name in KIND_ONLY_FIELDS - KIND_FIELDS[kind]:
        if name in values:
            values[name] = None if name in {"ends_at", "duration_seconds", "remind_at"} else ""


@transaction.atomic
def activity_create(
    *,
    actor: User,
    kind: str,
    fields: dict[str, Any],
    contacts: Sequence[Any] = (),
    participants: Sequence[Any] = (),
    remind_me: bool = False,
) -> Activity:
    """Log a call, note or e-mail, or plan a meeting or task, on a company and/or contacts.

    Calls must be quick to log: subject and time are optional (default "Call: <contact>", now).
    A meeting with ``remind_me`` and no reminder time is reminded 15 minutes before it starts.
    """
    if kind not in Activity.Kind.values:
        raise ValidationError({"kind": [_("Choose a type of activity.")]})
    _reject_unknown(fields)
    values = dict(fields)
    errors: dict[str, list[str]] = {}
    company: Company | None = None
    linked: list[Contact] = []
    try:
        company = _resolve_company(actor, values.get("company"))
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        linked = _resolve_contacts(actor, contacts)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        people = _resolve_participants(participants if kind == Activity.Kind.MEETING else ())
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if company is None and linked and linked[0].primary_company_id and "company" not in errors:
        from accord.parties.selectors import companies_visible_to

        company = companies_visible_to(actor).filter(pk=linked[0].primary_company_id).first()
    values["company"] = company
    if values.get("at") is None and kind in (
        Activity.Kind.CALL,
        Activity.Kind.NOTE,
        Activity.Kind.EMAIL,
    ):
        values["at"] = timezone.now()
    _clear_other_kind_fields(kind, values)
    if (
        remind_me
        and kind == Activity.Kind.MEETING
        and values.get("at")
        and not values.get("remind_at")
    ):
        values["remind_at"] = values["at"] - MEETING_REMINDER_LEAD
    errors.update(_validate_kind(kind, values, is_new=True))
    if errors:
        raise ValidationError(errors)
    if not str(values.get("subject") or "").strip():
        values["subject"] = _default_subject(kind, linked, str(values.get("body") or ""))
    values.setdefault("owner", actor)
    if values.get("owner") is None:
        values["owner"] = actor
    if "team" not in values and company is not None:
        values["team"] = company.team
    activity = Activity(kind=kind, **{k: v for k, v in values.items() if v is not None})
    if activity.owner_id != actor.pk:
        require(actor, Action.REASSIGN, activity)
    record_create(
        obj=activity,
        actor=actor,
        extra_values={
            "contacts": [c.pk for c in linked],
            "participants": [p.pk for p in people],
        },
    )
    activity.contacts.set(linked)
    if people:
        activity.participants.set(people)
    return activity


@transaction.atomic
def activity_update(
    *,
    actor: User,
    activity: Activity,
    fields: dict[str, Any],
    expected_version: int | None = None,
    contacts: Sequence[Any] | None = None,
    participants: Sequence[Any] | None = None,
) -> Activity:
    """Change an activity; ``None`` for contacts/participants means "leave as is". A stale
    ``expected_version`` raises ConflictError instead of overwriting someone else's edit."""
    _reject_unknown(fields)
    require(actor, Action.CHANGE, activity)
    values = dict(fields)
    errors: dict[str, list[str]] = {}
    if "company" in values:
        try:
            values["company"] = _resolve_company(actor, values["company"])
        except ValidationError as exc:
            errors.update(exc.message_dict)
    linked = None
    if contacts is not None:
        try:
            linked = _resolve_contacts(actor, contacts)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    people = None
    if participants is not None and activity.kind == Activity.Kind.MEETING:
        try:
            people = _resolve_participants(participants)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    owner = values.get("owner")
    if owner is not None and getattr(owner, "pk", owner) != activity.owner_id:
        require(actor, Action.REASSIGN, activity)
    _clear_other_kind_fields(activity.kind, values)
    merged = {name: getattr(activity, name) for name in ("subject", "body", "at", "ends_at")}
    merged.update({"email_from": activity.email_from, "email_to": activity.email_to})
    merged.update(values)
    errors.update(_validate_kind(activity.kind, merged, is_new=False))
    if errors:
        raise ValidationError(errors)
    if "direction" in values and activity.kind == Activity.Kind.CALL:
        values["direction"] = merged["direction"]
    if "remind_at" in values and values["remind_at"] != activity.remind_at:
        # A new reminder time means a new reminder; clearing reminded_at re-arms it.
        Activity.objects.filter(pk=activity.pk).update(reminded_at=None)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    if linked is not None:
        before["contacts"] = sorted(activity.contacts.values_list("pk", flat=True))
        after["contacts"] = sorted(c.pk for c in linked)
    if people is not None:
        before["participants"] = sorted(activity.participants.values_list("pk", flat=True))
        after["participants"] = sorted(p.pk for p in people)
    updated, _changes = record_update(
        obj=activity,
        data=values,
        actor=actor,
        expected_version=expected_version,
        extra_changes=audit.diff(before, after),
    )
    if linked is not None:
        updated.contacts.set(linked)
    if people is not None:
        updated.participants.set(people)
    return updated


def _require_plannable(activity: Activity) -> None:
    if activity.kind not in (Activity.Kind.TASK, Activity.Kind.MEETING):
        raise ValidationError({"is_done": [_("Only tasks and meetings can be marked as done.")]})


@transaction.atomic
def activity_complete(
    *, actor: User, activity: Activity, expected_version: int | None = None
) -> Activity:
    """Mark a task or meeting as done (it leaves "My day" and the overdue list)."""
    require(actor, Action.CHANGE, activity)
    _require_plannable(activity)
    if activity.is_done:
        return activity
    updated, _changes = record_update(
        obj=activity,
        data={"is_done": True, "done_at": timezone.now()},
        actor=actor,
        expected_version=expected_version,
    )
    return updated


@transaction.atomic
def activity_reopen(
    *, actor: User, activity: Activity, expected_version: int | None = None
) -> Activity:
    """Undo "done" for a task or meeting that turned out not to be finished."""
    require(actor, Action.CHANGE, activity)
    _require_plannable(activity)
    if not activity.is_done:
        return activity
    updated, _changes = record_update(
        obj=activity,
        data={"is_done": False, "done_at": None},
        actor=actor,
        expected_version=expected_version,
    )
    return updated


@transaction.atomic
def activity_delete(
    *, actor: User, activity: Activity, expected_version: int | None = None
) -> None:
    """Delete an activity (its documents go with it); the audit entry stays on the company."""
    record_delete(obj=activity, actor=actor, expected_version=expected_version)


# --- reassign hook (M2): open activities travel with the client --------------------------


def reassign_open_activities(
    actor: User, from_user: User, to_user: User, company_ids: list[int]
) -> dict[str, int]:
    """Move the departing manager's open tasks and meetings on the reassigned companies.

    Done activities and logged calls, notes and e-mails stay with their author: they are
    history, not work to do."""
    if not company_ids:
        return {"activities": 0}
    open_activities = Activity.objects.filter(
        owner=from_user,
        company_id__in=company_ids,
        kind__in=[Activity.Kind.TASK, Activity.Kind.MEETING],
        is_done=False,
    )
    rows = list(open_activities.select_for_update().only("pk", "kind", "subject", "company_id"))
    change = {"owner_id": [from_user.pk, to_user.pk]}
    entries = [
        audit.build(
            actor=actor,
            action=AuditEntry.Kind.REASSIGN,
            obj=row,
            changes=change,
            related=Company(pk=row.company_id) if row.company_id else None,
        )
        for row in rows
    ]
    from django.db.models import F

    Activity.objects.filter(pk__in=[r.pk for r in rows]).update(
        owner=to_user, version=F("version") + 1, updated_at=timezone.now()
    )
    audit.record_many(entries)
    return {"activities": len(rows)}


def register_reassign_hook() -> None:
    from accord.parties.services import REASSIGN_HOOKS

    if reassign_open_activities not in REASSIGN_HOOKS:
        REASSIGN_HOOKS.append(reassign_open_activities)


# --- reminders (C1) ---------------------------------------------------------------------


def _reminder_text(activity: Activity, user: User) -> str:
    from accord.activities.selectors import user_zone

    zone = user_zone(user)
    with override(user.language or settings.LANGUAGE_CODE):
        when = date_format(activity.at.astimezone(zone), "SHORT_DATETIME_FORMAT")
        return (
            _("Reminder: %(subject)s at %(time)s") % {"subject": activity.subject, "time": when}
        )[:300]


def reminders_send_due(now: datetime.datetime | None = None) -> int:
    """Turn due reminders into notifications; returns how many notifications were created.

    Each activity is claimed with a conditional UPDATE (``reminded_at IS NULL``) inside the
    transaction that writes its notifications, so two workers never send the same reminder and
    a crashed run is simply retried. ``dedupe_key`` guards the notification table as well."""
    from accord.core.audit import audit_context

    now = now or timezone.now()
    created = 0
    due_ids = list(
        Activity.objects.filter(
            reminded_at__isnull=True, remind_at__isnull=False, remind_at__lte=now
        )
        .order_by("remind_at")
        .values_list("pk", flat=True)[:500]
    )
    with audit_context(source=AuditEntry.Source.JOB):
        for pk in due_ids:
            with transaction.atomic():
                claimed = Activity.objects.filter(pk=pk, reminded_at__isnull=True).update(
                    reminded_at=now
                )
                if not claimed:
                    continue
                activity = (
                    Activity.objects.select_related("owner")
                    .prefetch_related("participants")
                    .get(pk=pk)
                )
                users = {activity.owner_id: activity.owner}
                if activity.kind == Activity.Kind.MEETING:
                    users.update({p.pk: p for p in activity.participants.all() if p.is_active})
                key = f"reminder:{activity.pk}"
                already = set(
                    Notification.objects.filter(user_id__in=users, dedupe_key=key).values_list(
                        "user_id", flat=True
                    )
                )
                rows = [
                    Notification(
                        user=user,
                        text=_reminder_text(activity, user),
                        url=activity.get_absolute_url(),
                        dedupe_key=key,
                        created_at=now,
                    )
                    for user_id, user in users.items()
                    if user_id not in already
                ]
                Notification.objects.bulk_create(rows)
                created += len(rows)
    return created


# --- documents (D4) ---------------------------------------------------------------------

ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
TEXT = "text"
# extension -> (content type, accepted leading bytes; TEXT means "plain text, not markup")
ALLOWED_TYPES: dict[str, tuple[str, tuple[bytes, ...] | str]] = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "gif": ("image/gif", (b"GIF87a", b"GIF89a")),
    "webp": ("image/webp", (b"RIFF",)),
    "txt": ("text/plain", TEXT),
    "csv": ("text/csv", TEXT),
    "eml": ("message/rfc822", TEXT),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ZIP_SIGNATURES,
    ),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ZIP_SIGNATURES),
    "pptx": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ZIP_SIGNATURES,
    ),
    "odt": ("application/vnd.oasis.opendocument.text", ZIP_SIGNATURES),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", ZIP_SIGNATURES),
    "zip": ("application/zip", ZIP_SIGNATURES),
    "doc": ("application/msword", (OLE_SIGNATURE,)),
    "xls": ("application/vnd.ms-excel", (OLE_SIGNATURE,)),
    "dwg": ("image/vnd.dwg", (b"AC10", b"AC1.", b"AC2.")),
    "dxf": ("image/vnd.dxf", TEXT),
}
BINARY_DXF = b"AutoCAD Binary DXF"
MARKUP_STARTS = (
    b"<!doctype",
    b"<html",
    b"<script",
    b"<svg",
    b"<?xml",
    b"<head",
    b"<body",
    b"<iframe",
)


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return not stripped.startswith(MARKUP_STARTS)


def _signature_matches(extension: str, head: bytes) -> bool:
    _content_type, rule = ALLOWED_TYPES[extension]
    if extension == "dxf" and head.startswith(BINARY_DXF):
        return True
    if extension == "webp":
        return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    if extension == "dwg":
        return head[:2] == b"AC" and head[2:6].isdigit()
    if isinstance(rule, str):
        return _looks_like_text(head)
    return any(head.startswith(signature) for signature in rule)


def allowed_extensions_text() -> str:
    return ", ".join(sorted(ALLOWED_TYPES))


def _check_file(uploaded_file: UploadedFile) -> tuple[str, str]:
    """Returns (safe original name, content type) or raises a ValidationError on ``file``."""
    limit = settings.ACCORD_UPLOAD_MAX_BYTES
    name = os.path.basename(str(uploaded_file.name or "").replace("\\", "/")).strip()[:255]
    if not name:
        raise ValidationError({"file": [_("Choose a file.")]})
    if (uploaded_file.size or 0) > limit:
        raise ValidationError(
            {
                "file": [
                    _("The file is too large (%(size)s); the limit is %(limit)s.")
                    % {
                        "size": filesizeformat(uploaded_file.size or 0),
                        "limit": filesizeformat(limit),
                    }
                ]
            }
        )
    if not uploaded_file.size:
        raise ValidationError({"file": [_("The file is empty.")]})
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    refused = _("This type of file is not accepted. Allowed types: %(types)s.") % {
        "types": allowed_extensions_text()
    }
    if extension not in ALLOWED_TYPES:
        raise ValidationError({"file": [refused]})
    uploaded_file.seek(0)
    head = uploaded_file.read(2048)
    uploaded_file.seek(0)
    if not _signature_matches(extension, head):
        raise ValidationError(
            {
                "file": [
                    _(
                        "The content of the file does not match its extension .%(extension)s. "
                        "Allowed types: %(types)s."
                    )
                    % {"extension": extension, "types": allowed_extensions_text()}
                ]
            }
        )
    return name, ALLOWED_TYPES[extension][0]


def _attachment_targets(
    actor: User, company: Any, contact: Any, activity: Any
) -> tuple[Company | None, Contact | None, Activity | None]:
    """The records a document hangs on, each fetched through its selector (view permission)."""
    from accord.activities.selectors import get_activity_for
    from accord.parties.selectors import get_company_for, get_contact_for

    errors: dict[str, list[str]] = {}
    found: list[Any] = []
    for name, value, getter, message in (
        ("company", company, get_company_for, _("Company not found.")),
        ("contact", contact, get_contact_for, _("Contact not found.")),
        ("activity", activity, get_activity_for, _("Activity not found.")),
    ):
        if value in (None, ""):
            found.append(None)
            continue
        try:
            found.append(getter(actor, getattr(value, "pk", value)))
        except Http404:
            errors[name] = [message]
            found.append(None)
    if errors:
        raise ValidationError(errors)
    if not any(found):
        raise ValidationError({"file": [_("Attach the file to a company, contact or activity.")]})
    target_company, target_contact, target_activity = found
    if target_company is None and target_activity is not None and target_activity.company_id:
        target_company = target_activity.company
    return target_company, target_contact, target_activity


@transaction.atomic
def document_upload(
    *,
    actor: User,
    uploaded_file: UploadedFile,
    company: Any = None,
    contact: Any = None,
    activity: Any = None,
    description: str = "",
) -> Document:
    """Put a file into the client's archive (D4).

    The type is checked by extension AND by the first bytes (a renamed .exe or .html is
    refused); the stored name is random, the original name is kept for downloads."""
    require(actor, Action.ADD, Document(owner=actor))
    target_company, target_contact, target_activity = _attachment_targets(
        actor, company, contact, activity
    )
    original_name, content_type = _check_file(uploaded_file)
    document = Document(
        owner=actor,
        file=uploaded_file,
        original_name=original_name,
        content_type=content_type,
        size=uploaded_file.size or 0,
        description=(description or "").strip()[:255],
        company=target_company,
        contact=target_contact,
        activity=target_activity,
    )
    try:
        record_create(obj=document, actor=actor, exclude=["file"])
    except Exception:
        # The row is rolled back: don't leave its file behind on the disk.
        if document.pk is not None and document.file.name:
            document.file.storage.delete(document.file.name)
        raise
    return document


@transaction.atomic
def document_delete(*, actor: User, document: Document) -> None:
    """Remove a file from the archive; the file leaves the disk once the deletion commits."""
    name = document.file.name
    storage = document.file.storage
    record_delete(obj=document, actor=actor)
    transaction.on_commit(lambda: storage.delete(name) if name else None)
