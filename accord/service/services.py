"""Writes of cases (V1): opening from any channel, messages, the status machine, hand-over,
edits and merging duplicates. One write path (ARCHITECTURE.md rule 1): the UI, the API, the
mail-in parser, the portal and the web form all call these functions.

``actor=None`` means the system (mail-in, web form, jobs): no permission check, and the audit
entry's source is whatever the caller's audit context says ("system" by default).

Each write runs in one transaction, records a ``CaseEvent`` for the case's own history and an
audit entry, and sends the signals of ``accord.service.signals`` inside the transaction so
routing, SLA clocks and surveys commit or roll back with it. Mail to the client goes out only
after commit.
"""

from __future__ import annotations

import datetime
import logging
import mimetypes
from collections.abc import Sequence
from email.utils import getaddresses, make_msgid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accord.core import audit
from accord.core.errors import ConflictError
from accord.core.models import AuditEntry, Notification, User
from accord.core.permissions import Action, Scope, allows, require, user_scope
from accord.parties.models import Company, Contact, ContactPoint
from accord.service import signals
from accord.service.models import (
    Case,
    CaseAttachment,
    CaseEvent,
    CaseMessage,
    Category,
    Queue,
)
from accord.sla.models import Priority

logger = logging.getLogger(__name__)

Status = Case.Status

# The status machine: where a case may go from each status. Moving a resolved or closed case
# back to "in progress" is a reopen (counted in ``reopened_count``).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.NEW: (Status.IN_PROGRESS, Status.WAITING, Status.RESOLVED, Status.CLOSED),
    Status.IN_PROGRESS: (Status.WAITING, Status.RESOLVED, Status.CLOSED),
    Status.WAITING: (Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED),
    Status.RESOLVED: (Status.IN_PROGRESS, Status.CLOSED),
    Status.CLOSED: (Status.IN_PROGRESS,),
}
REOPENABLE = (Status.RESOLVED, Status.CLOSED)
# Channels whose description is the client's own words: it becomes the first inbound message.
WRITTEN_CHANNELS = (Case.Channel.EMAIL, Case.Channel.PORTAL, Case.Channel.WEB_FORM)
EDITABLE_FIELDS = (
    "subject",
    "description",
    "category",
    "priority",
    "channel",
    "company",
    "contact",
    "requester_email",
    "requester_name",
    "product",
    "order",
    "project",
    "serial_number",
)
REFERENCE_TAG = "[CS-%(pk)s]"


def reopen_days() -> int:
    return int(getattr(settings, "ACCORD_CASE_REOPEN_DAYS", 30))


def max_attachment_bytes() -> int:
    return int(getattr(settings, "ACCORD_CASE_MAX_ATTACHMENT_MB", 20)) * 1024 * 1024


def legal_moves(case: Case) -> list[str]:
    """The statuses this case may move to now (the page shows a button for each)."""
    moves = list(TRANSITIONS.get(case.status, ()))
    if case.status == Status.CLOSED and not _within_reopen_window(case):
        moves.remove(Status.IN_PROGRESS)
    if case.merged_into_id is not None:
        return []
    return moves


def _within_reopen_window(case: Case, now: datetime.datetime | None = None) -> bool:
    if case.status != Status.CLOSED or case.closed_at is None:
        return True
    return (now or timezone.now()) - case.closed_at <= datetime.timedelta(days=reopen_days())


def _status_label(value: str) -> str:
    try:
        return str(Status(value).label)
    except ValueError:
        return value


def _sanitize(html: str) -> str:
    if not html:
        return ""
    from accord.service.sanitize import sanitize_html

    return sanitize_html(html)


def _check_attachments(
    attachments: Sequence[tuple[str, bytes, str]], field: str = "attachments"
) -> None:
    limit = max_attachment_bytes()
    for name, data, _content_type in attachments:
        if len(data) > limit:
            raise ValidationError(
                {
                    field: [
                        _(
                            "The file “%(name)s” is %(size)s MB; a case accepts files up to "
                            "%(limit)s MB."
                        )
                        % {
                            "name": name,
                            "size": f"{len(data) / 1024 / 1024:.1f}",
                            "limit": limit // 1024 // 1024,
                        }
                    ]
                }
            )
        if not (name or "").strip():
            raise ValidationError({field: [_("An attached file has no name.")]})


def _store_attachments(
    message: CaseMessage, attachments: Sequence[tuple[str, bytes, str]]
) -> list[CaseAttachment]:
    stored = []
    for name, data, content_type in attachments:
        clean_name = name.replace("/", "_").replace("\\", "_").strip()[:255]
        attachment = CaseAttachment(
            message=message,
            name=clean_name,
            content_type=(content_type or mimetypes.guess_type(clean_name)[0] or "")[:120],
            size=len(data),
        )
        attachment.file.save(clean_name, ContentFile(data), save=False)
        attachment.save()
        stored.append(attachment)
    return stored


def _event(
    case: Case,
    kind: str,
    actor: User | None,
    *,
    from_value: str = "",
    to_value: str = "",
    reason: str = "",
) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case,
        kind=kind,
        actor=actor,
        from_value=from_value[:255],
        to_value=to_value[:255],
        reason=reason,
    )


def _require(actor: User | None, action: str, obj: Any) -> None:
    if actor is not None:
        require(actor, action, obj)


def _bump(case: Case, **values: Any) -> Case:
    """Write ``values`` and a new version on a locked case; return it fresh."""
    Case.objects.filter(pk=case.pk).update(
        version=F("version") + 1, updated_at=timezone.now(), **values
    )
    return Case.objects.get(pk=case.pk)


def _lock(case: Case) -> Case:
    return Case.objects.select_for_update().get(pk=case.pk)


# --- validation of the case's facts -------------------------------------------------------


def _visible_company(actor: User | None, company: Any) -> Company | None:
    if company in (None, ""):
        return None
    pk = getattr(company, "pk", company)
    queryset = Company.objects.all()
    if actor is not None:
        from accord.parties.selectors import companies_visible_to

        queryset = companies_visible_to(actor)
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise ValidationError({"company": [_("Choose a client you may see.")]})
    return found


def _check_contact(actor: User | None, contact: Any, company: Company | None) -> Contact | None:
    if contact in (None, ""):
        return None
    pk = getattr(contact, "pk", contact)
    queryset = Contact.objects.all()
    if actor is not None:
        from accord.parties.selectors import contacts_visible_to

        queryset = contacts_visible_to(actor)
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise ValidationError({"contact": [_("Choose a contact you may see.")]})
    if company is not None and not found.companies.filter(pk=company.pk).exists():
        raise ValidationError({"contact": [_("This person is not a contact of the client.")]})
    return found


def _check_category(category: Any) -> Category | None:
    if category in (None, ""):
        return None
    pk = getattr(category, "pk", category)
    found = Category.objects.filter(pk=pk, is_active=True).first()
    if found is None:
        raise ValidationError({"category": [_("Choose an active category.")]})
    return found


def _check_related(actor: User | None, field: str, value: Any, company: Company | None) -> Any:
    """Product, order or project: visible to the actor; an order or project of the client."""
    if value in (None, ""):
        return None
    pk = getattr(value, "pk", value)
    if field == "product":
        from accord.catalog.models import Product
        from accord.catalog.selectors import products_visible_to

        queryset: Any = Product.objects.all() if actor is None else products_visible_to(actor)
        message = _("Choose a product from the catalogue.")
    elif field == "order":
        from accord.commerce.models import Order
        from accord.commerce.selectors_orders import orders_visible_to

        queryset = Order.objects.all() if actor is None else orders_visible_to(actor)
        message = _("Choose an order you may see.")
    else:
        from accord.projects.models import Project
        from accord.projects.selectors import projects_visible_to

        queryset = Project.objects.all() if actor is None else projects_visible_to(actor)
        message = _("Choose a project you may see.")
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise ValidationError({field: [message]})
    if field != "product" and company is not None and found.company_id != company.pk:
        raise ValidationError({field: [_("This belongs to another client.")]})
    return found


def _check_choice(field: str, value: str, choices: Any) -> str:
    if value not in choices.values:
        raise ValidationError({field: [_("Unknown value “%(value)s”.") % {"value": value}]})
    return value


def _resolve_facts(actor: User | None, facts: dict[str, Any]) -> dict[str, Any]:
    """Validate the related records of a case together, so every bad field is reported."""
    errors: dict[str, list[str]] = {}
    resolved = dict(facts)

    def attempt(name: str, func: Any, *args: Any) -> Any:
        try:
            return func(*args)
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                errors.setdefault(key, []).extend(messages)
            return None

    if "company" in facts:
        resolved["company"] = attempt("company", _visible_company, actor, facts["company"])
    company = resolved.get("company")
    if "contact" in facts:
        resolved["contact"] = attempt("contact", _check_contact, actor, facts["contact"], company)
        if company is None and resolved["contact"] is not None and "company" not in errors:
            resolved["company"] = resolved["contact"].primary_company
            company = resolved["company"]
    if "category" in facts:
        resolved["category"] = attempt("category", _check_category, facts["category"])
    for name in ("product", "order", "project"):
        if name in facts:
            resolved[name] = attempt(name, _check_related, actor, name, facts[name], company)
    if "priority" in facts:
        attempt("priority", _check_choice, "priority", facts["priority"], Priority)
    if "channel" in facts:
        attempt("channel", _check_choice, "channel", facts["channel"], Case.Channel)
    for name in ("subject", "requester_name", "serial_number", "requester_email"):
        if name in facts:
            resolved[name] = (facts[name] or "").strip()
    if "subject" in facts and not resolved["subject"]:
        errors.setdefault("subject", []).append(_("Enter a subject."))
    if errors:
        raise ValidationError(errors)
    return resolved


def _check_agent(owner: Any, queue: Queue | None) -> User | None:
    if owner in (None, ""):
        return None
    user = owner if isinstance(owner, User) else User.objects.filter(pk=owner).first()
    if user is None or not user.is_active:
        raise ValidationError({"owner": [_("Choose an active user.")]})
    if user_scope(user, "case", Action.VIEW) == Scope.NONE:
        raise ValidationError({"owner": [_("This user does not work on cases.")]})
    if queue is not None and not user.teams.filter(pk=queue.team_id).exists():
        raise ValidationError(
            {
                "owner": [
                    _("%(user)s is not in the team of the queue “%(queue)s”.")
                    % {"user": user, "queue": queue}
                ]
            }
        )
    return user


def _check_queue(queue: Any) -> Queue | None:
    if queue in (None, ""):
        return None
    pk = getattr(queue, "pk", queue)
    found = Queue.objects.filter(pk=pk, is_active=True).select_related("team").first()
    if found is None:
        raise ValidationError({"queue": [_("Choose an active queue.")]})
    return found


# --- opening ------------------------------------------------------------------------------


@transaction.atomic
def open_case(
    *,
    actor: User | None,
    subject: str,
    description: str = "",
    company: Company | None = None,
    contact: Contact | None = None,
    channel: str = Case.Channel.MANUAL,
    category: Category | None = None,
    priority: str = Priority.NORMAL,
    product: Any = None,
    order: Any = None,
    project: Any = None,
    serial_number: str = "",
    requester_email: str = "",
    requester_name: str = "",
    queue: Queue | None = None,
    owner: User | None = None,
    message_id: str = "",
    attachments: Sequence[tuple[str, bytes, str]] = (),
    body_html: str = "",
) -> Case:
    """Register a client's request from any channel and start working it.

    Routing (queue, agent) and SLA clocks are set by the receivers of ``case_opened``; a
    queue or agent given here is kept. For written channels (e-mail, portal, web form) the
    description and attachments become the first message from the client."""
    _require(actor, Action.ADD, Case)
    facts = _resolve_facts(
        actor,
        {
            "subject": subject,
            "company": company,
            "contact": contact,
            "category": category,
            "priority": priority,
            "channel": channel,
            "product": product,
            "order": order,
            "project": project,
            "serial_number": serial_number,
            "requester_email": requester_email,
            "requester_name": requester_name,
        },
    )
    queue_obj = _check_queue(queue)
    owner_obj = _check_agent(owner, queue_obj)
    _check_attachments(attachments)
    now = timezone.now()
    case = Case(
        description=description or "",
        queue=queue_obj,
        team=queue_obj.team if queue_obj else None,
        owner=owner_obj,
        created_by=actor,
        created_at=now,
        updated_at=now,
        **facts,
    )
    case.full_clean()
    written = channel in WRITTEN_CHANNELS
    if written:
        case.last_message_at = now
    case.save()
    _event(case, CaseEvent.Kind.CREATED, actor, to_value=str(Case.Channel(channel).label))
    if owner_obj is not None:
        _event(case, CaseEvent.Kind.ASSIGNED, actor, to_value=str(owner_obj))
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.CREATE,
        obj=case,
        changes={
            k: [None, v]
            for k, v in audit.snapshot(case).items()
            if v not in (None, "", [], {}, False, 0)
        },
        related=case.company,
    )
    if written and (description or body_html or attachments):
        address = requester_email or (_contact_email(case.contact) if case.contact else "")
        message = CaseMessage.objects.create(
            case=case,
            kind=CaseMessage.Kind.INBOUND,
            from_address=address,
            subject=case.subject,
            body_text=description or "",
            body_html=_sanitize(body_html),
            message_id=message_id,
        )
        _store_attachments(message, attachments)
    elif attachments:
        message = CaseMessage.objects.create(
            case=case,
            kind=CaseMessage.Kind.NOTE,
            author=actor,
            body_text=_("Files attached when the case was opened."),
        )
        _store_attachments(message, attachments)
    if owner_obj is not None and actor is not None and owner_obj.pk != actor.pk:
        _notify_owner(case, owner_obj, actor)
    signals.case_opening.send(sender=Case, case=case, actor=actor)
    signals.case_opened.send(sender=Case, case=case, actor=actor)
    case.refresh_from_db()
    return case


# --- messages -----------------------------------------------------------------------------


def _contact_email(contact: Contact | None) -> str:
    if contact is None:
        return ""
    point = (
        ContactPoint.objects.filter(contact=contact, kind=ContactPoint.Kind.EMAIL)
        .order_by("-is_primary", "id")
        .first()
    )
    return point.value if point else ""


def reply_address(case: Case) -> str:
    """Where a reply goes: the contact's e-mail, else the requester's."""
    return _contact_email(case.contact) or case.requester_email


def _split_addresses(value: str, field: str) -> list[str]:
    addresses = [address for _name, address in getaddresses([value or ""]) if address]
    for address in addresses:
        try:
            validate_email(address)
        except ValidationError as exc:
            raise ValidationError(
                {field: [_("“%(address)s” is not an e-mail address.") % {"address": address}]}
            ) from exc
    return addresses


def reply_subject(case: Case, subject: str = "") -> str:
    """``[CS-<pk>] <subject>``: the tag lets the client's answer find its case again."""
    tag = REFERENCE_TAG % {"pk": case.pk}
    text = (subject or case.subject).strip()
    return text if tag in text else f"{tag} {text}"


@transaction.atomic
def add_message(
    *,
    actor: User | None,
    case: Case,
    kind: str,
    body_text: str,
    body_html: str = "",
    from_address: str = "",
    to_addresses: str = "",
    cc_addresses: str = "",
    subject: str = "",
    message_id: str = "",
    in_reply_to: str = "",
    attachments: Sequence[tuple[str, bytes, str]] = (),
    send: bool = True,
) -> CaseMessage:
    """Add a reply to the client, an internal note or a message from the client.

    A reply is e-mailed to the contact (or requester) after commit, and the first reply
    stops the first-response clock. A message from the client moves a waiting case back to
    work and reopens a resolved one; on a case closed longer than ACCORD_CASE_REOPEN_DAYS
    ago it opens a new case that follows the old one up (the returned message is on it)."""
    _check_choice("kind", kind, CaseMessage.Kind)
    _require(actor, Action.CHANGE, case)
    case = _lock(case)
    if case.merged_into_id is not None:
        raise ValidationError(
            {
                "case": [
                    _("This case was merged into %(reference)s; write there.")
                    % {"reference": f"CS-{case.merged_into_id}"}
                ]
            }
        )
    clean_html = _sanitize(body_html)
    if not (body_text or "").strip() and not clean_html and not attachments:
        raise ValidationError({"body_text": [_("Write a message.")]})
    _check_attachments(attachments)
    if (
        kind == CaseMessage.Kind.INBOUND
        and case.status == Status.CLOSED
        and not _within_reopen_window(case)
    ):
        return _follow_up(
            actor=actor,
            closed=case,
            body_text=body_text,
            body_html=clean_html,
            from_address=from_address,
            subject=subject,
            message_id=message_id,
            in_reply_to=in_reply_to,
            attachments=attachments,
        )
    now = timezone.now()
    recipients: list[str] = []
    copies: list[str] = []
    if kind == CaseMessage.Kind.REPLY:
        recipients = _split_addresses(to_addresses, "to_addresses")
        copies = _split_addresses(cc_addresses, "cc_addresses")
        if not recipients:
            address = reply_address(case)
            if not address:
                raise ValidationError(
                    {
                        "to_addresses": [
                            _(
                                "This case has no e-mail address to reply to: add one to the "
                                "contact or the case, or write an internal note."
                            )
                        ]
                    }
                )
            recipients = [address]
        queue_email = (
            Queue.objects.filter(pk=case.queue_id).values_list("email", flat=True).first()
            if case.queue_id
            else ""
        )
        from_address = from_address or queue_email or settings.DEFAULT_FROM_EMAIL
        subject = reply_subject(case, subject)
        if not message_id:
            message_id = make_msgid(domain=_mail_domain(from_address))
        if not in_reply_to:
            in_reply_to = (
                CaseMessage.objects.filter(case=case, kind=CaseMessage.Kind.INBOUND)
                .exclude(message_id="")
                .order_by("-created_at", "-id")
                .values_list("message_id", flat=True)
                .first()
                or ""
            )
    message = CaseMessage.objects.create(
        case=case,
        kind=kind,
        author=actor if kind != CaseMessage.Kind.INBOUND or actor is not None else None,
        from_address=from_address[:320],
        to_addresses=", ".join(recipients) if recipients else to_addresses,
        cc_addresses=", ".join(copies) if copies else cc_addresses,
        subject=(subject or "")[:255],
        body_text=body_text or "",
        body_html=clean_html,
        message_id=message_id,
        in_reply_to=in_reply_to,
    )
    _store_attachments(message, attachments)
    values: dict[str, Any] = {}
    if kind != CaseMessage.Kind.NOTE:
        values["last_message_at"] = now
    if kind == CaseMessage.Kind.REPLY and case.first_responded_at is None:
        values["first_responded_at"] = now
    if values:
        case = _bump(case, **values)
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.CHANGE,
        obj=case,
        changes={"message": [None, f"{kind}: {(body_text or '')[:200]}"]},
        related=case.company,
        message=str(CaseMessage.Kind(kind).label),
    )
    message.case = case
    signals.case_message_added.send(sender=CaseMessage, message=message, actor=actor)
    if kind == CaseMessage.Kind.INBOUND:
        if case.status == Status.WAITING or case.status in REOPENABLE:
            _move(actor=actor, case=case, status=Status.IN_PROGRESS, reason="", check=False)
    elif kind == CaseMessage.Kind.REPLY and case.status == Status.NEW:
        _move(actor=actor, case=case, status=Status.IN_PROGRESS, reason="", check=False)
    if kind == CaseMessage.Kind.REPLY and send:
        pk = message.pk
        transaction.on_commit(lambda: send_reply(pk))
    return message


def _mail_domain(address: str) -> str:
    """The domain of our Message-IDs: the sending address's, so they look like our mail."""
    address = getaddresses([address])[0][1] if address else ""
    domain = address.rsplit("@", 1)[-1].strip("> ") if "@" in address else ""
    return domain or "accord.localhost"


def send_reply(message_pk: int) -> bool:
    """E-mail a stored reply to the client (after commit). A refusal from the mail server
    leaves the reply on the case and tells its author, who can send it again."""
    message = (
        CaseMessage.objects.select_related("case", "author").prefetch_related("attachments")
    ).get(pk=message_pk)
    headers = {"Message-ID": message.message_id}
    if message.in_reply_to:
        headers["In-Reply-To"] = message.in_reply_to
        headers["References"] = message.in_reply_to
    email = EmailMessage(
        subject=message.subject,
        body=message.body_text,
        from_email=message.from_address or settings.DEFAULT_FROM_EMAIL,
        to=[a for a in message.to_addresses.split(", ") if a],
        cc=[a for a in message.cc_addresses.split(", ") if a],
        headers=headers,
    )
    for attachment in message.attachments.all():
        with attachment.file.open("rb") as handle:
            email.attach(attachment.name, handle.read(), attachment.content_type or None)
    try:
        email.send(fail_silently=False)
    except Exception as exc:  # any SMTP or network failure: keep the reply, tell the author
        logger.warning("Reply %s on case %s not sent: %s", message.pk, message.case_id, exc)
        if message.author is not None:
            with translation.override(message.author.language or None):
                Notification.objects.create(
                    user=message.author,
                    text=(
                        _("Your reply on %(reference)s could not be sent: %(error)s")
                        % {"reference": message.case.reference, "error": exc}
                    )[:300],
                    url=message.case.get_absolute_url(),
                )
        return False
    return True


def _follow_up(
    *,
    actor: User | None,
    closed: Case,
    body_text: str,
    body_html: str,
    from_address: str,
    subject: str,
    message_id: str,
    in_reply_to: str,
    attachments: Sequence[tuple[str, bytes, str]],
) -> CaseMessage:
    """A new case for a client who writes long after the case was closed."""
    new_case = open_case(
        actor=None,
        subject=(subject or closed.subject)[:255],
        description=body_text,
        company=closed.company,
        contact=closed.contact,
        channel=Case.Channel.EMAIL,
        category=closed.category if closed.category and closed.category.is_active else None,
        priority=closed.priority,
        product=closed.product,
        serial_number=closed.serial_number,
        requester_email=from_address or closed.requester_email,
        requester_name=closed.requester_name,
        message_id=message_id,
        attachments=attachments,
        body_html=body_html,
    )
    Case.objects.filter(pk=new_case.pk).update(follow_up_of=closed)
    CaseEvent.objects.filter(case=new_case, kind=CaseEvent.Kind.CREATED).update(
        from_value=closed.reference,
        reason=_("Follow-up of %(reference)s, closed more than %(days)s days ago.")
        % {"reference": closed.reference, "days": reopen_days()},
    )
    message = CaseMessage.objects.filter(case=new_case).order_by("id").first()
    if message is None:  # an empty message with no text (only possible with no body)
        message = CaseMessage.objects.create(
            case=new_case, kind=CaseMessage.Kind.INBOUND, from_address=from_address
        )
    if in_reply_to and not message.in_reply_to:
        CaseMessage.objects.filter(pk=message.pk).update(in_reply_to=in_reply_to)
        message.in_reply_to = in_reply_to
    message.case = Case.objects.get(pk=new_case.pk)
    signals.case_message_added.send(sender=CaseMessage, message=message, actor=actor)
    return message


# --- status -------------------------------------------------------------------------------


def _move(*, actor: User | None, case: Case, status: str, reason: str, check: bool) -> Case:
    """The state machine itself, on a locked case."""
    old = case.status
    if status not in Status.values:
        raise ValidationError({"status": [_("Unknown status “%(value)s”.") % {"value": status}]})
    if case.merged_into_id is not None:
        raise ValidationError(
            {
                "status": [
                    _("This case was merged into %(reference)s and stays closed.")
                    % {"reference": f"CS-{case.merged_into_id}"}
                ]
            }
        )
    if status == old:
        raise ValidationError(
            {"status": [_("The case is already “%(status)s”.") % {"status": _status_label(old)}]}
        )
    if status not in TRANSITIONS.get(old, ()):
        raise ValidationError(
            {
                "status": [
                    _("A case cannot go from “%(old)s” to “%(new)s”.")
                    % {"old": _status_label(old), "new": _status_label(status)}
                ]
            }
        )
    reason = (reason or "").strip()
    now = timezone.now()
    if old == Status.CLOSED and not _within_reopen_window(case, now):
        raise ValidationError(
            {
                "status": [
                    _(
                        "This case was closed more than %(days)s days ago and cannot be "
                        "reopened: open a new case instead."
                    )
                    % {"days": reopen_days()}
                ]
            }
        )
    if check and status == Status.RESOLVED and not reason:
        raise ValidationError({"reason": [_("Describe how the case was resolved.")]})
    if check and status == Status.CLOSED and old in Case.OPEN_STATUSES and not reason:
        raise ValidationError({"reason": [_("Say why the case is closed without being resolved.")]})
    values: dict[str, Any] = {"status": status}
    if status == Status.RESOLVED:
        values["resolved_at"] = now
    elif status == Status.CLOSED:
        values["closed_at"] = now
        if old != Status.RESOLVED:
            values["resolved_at"] = case.resolved_at or now
    elif old in REOPENABLE:
        values["reopened_count"] = F("reopened_count") + 1
        values["resolved_at"] = None
        values["closed_at"] = None
    updated = _bump(case, **values)
    _event(updated, CaseEvent.Kind.STATUS, actor, from_value=old, to_value=status, reason=reason)
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.CHANGE,
        obj=updated,
        changes={"status": [old, status]},
        related=updated.company,
        message=reason[:300],
    )
    signals.case_status_changed.send(sender=Case, case=updated, old=old, new=status, actor=actor)
    return updated


@transaction.atomic
def change_status(*, actor: User | None, case: Case, status: str, reason: str = "") -> Case:
    """Move a case along new → in progress → waiting for client → resolved → closed, or
    reopen it. Resolving needs a resolution note; closing an unresolved case needs a reason;
    a closed case is reopened only within ACCORD_CASE_REOPEN_DAYS."""
    _require(actor, Action.CHANGE, case)
    return _move(actor=actor, case=_lock(case), status=status, reason=reason, check=True)


# --- hand-over ----------------------------------------------------------------------------


def _notify_owner(case: Case, owner: User, actor: User | None, reason: str = "") -> None:
    with translation.override(owner.language or None):
        if reason:
            text = _("%(actor)s handed %(reference)s “%(subject)s” over to you: %(reason)s") % {
                "actor": actor or _("The system"),
                "reference": case.reference,
                "subject": case.subject,
                "reason": reason,
            }
        else:
            text = _("%(actor)s assigned %(reference)s “%(subject)s” to you.") % {
                "actor": actor or _("The system"),
                "reference": case.reference,
                "subject": case.subject,
            }
    Notification.objects.create(user=owner, text=text[:300], url=case.get_absolute_url())


@transaction.atomic
def assign(
    *,
    actor: User | None,
    case: Case,
    owner: User | None = None,
    queue: Queue | None = None,
    reason: str = "",
) -> Case:
    """Give a case to an agent and/or a queue. Taking an unassigned case needs no reason;
    handing over a case someone already works, or moving it to another queue, does. The new
    agent is notified; the hand-over is recorded on the case."""
    if actor is not None:
        taking = case.owner_id is None and owner is not None and owner.pk == actor.pk
        if not (allows(actor, Action.REASSIGN, case) or (taking and allows(actor, "change", case))):
            require(actor, Action.REASSIGN, case)
    case = _lock(case)
    if case.merged_into_id is not None or case.status == Status.CLOSED:
        raise ValidationError({"owner": [_("A closed case cannot be handed over.")]})
    new_queue = _check_queue(queue) if queue is not None else None
    target_queue = new_queue or (
        Queue.objects.select_related("team").get(pk=case.queue_id) if case.queue_id else None
    )
    new_owner = _check_agent(owner, target_queue) if owner is not None else None
    if owner is None and new_queue is not None and case.owner_id is not None:
        # Moving to another queue keeps the agent only if they are in its team.
        keep = User.objects.filter(pk=case.owner_id, teams=new_queue.team_id).exists()
        new_owner = case.owner if keep else None
    elif owner is None:
        new_owner = case.owner
    queue_changed = new_queue is not None and new_queue.pk != case.queue_id
    owner_changed = (new_owner.pk if new_owner else None) != case.owner_id
    if not queue_changed and not owner_changed:
        raise ValidationError({"owner": [_("The case already has this agent and queue.")]})
    reason = (reason or "").strip()
    handover = queue_changed or case.owner_id is not None
    if handover and not reason:
        raise ValidationError({"reason": [_("Say why you hand the case over.")]})
    old_owner = str(case.owner) if case.owner_id else ""
    old_queue = str(case.queue) if case.queue_id else ""
    values: dict[str, Any] = {"owner": new_owner}
    if queue_changed and new_queue is not None:
        values["queue"] = new_queue
        values["team"] = new_queue.team
    updated = _bump(case, **values)
    changes: dict[str, list[Any]] = {}
    if owner_changed:
        changes["owner"] = [case.owner_id, new_owner.pk if new_owner else None]
    if queue_changed and new_queue is not None:
        changes["queue"] = [case.queue_id, new_queue.pk]
    from_text = " · ".join(v for v in (old_queue, old_owner) if v)
    to_text = " · ".join(
        v for v in (str(updated.queue) if updated.queue_id else "", str(new_owner or "")) if v
    )
    _event(
        updated,
        CaseEvent.Kind.HANDOVER if handover else CaseEvent.Kind.ASSIGNED,
        actor,
        from_value=from_text,
        to_value=to_text,
        reason=reason,
    )
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.CHANGE,
        obj=updated,
        changes=changes,
        related=updated.company,
        message=reason[:300],
    )
    if new_owner is not None and owner_changed and (actor is None or new_owner.pk != actor.pk):
        _notify_owner(updated, new_owner, actor, reason)
    return updated


# --- edit ---------------------------------------------------------------------------------


@transaction.atomic
def update_case(*, actor: User | None, case: Case, version: int, **fields: Any) -> Case:
    """Change a case's facts (subject, client, category, priority, what it concerns).
    Status, agent and queue have their own services. A stale ``version`` is refused."""
    unknown = sorted(set(fields) - set(EDITABLE_FIELDS))
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed here.")] for name in unknown})
    _require(actor, Action.CHANGE, case)
    locked = _lock(case)
    if locked.version != version:
        raise ConflictError(locked.version)
    facts = dict(fields)
    if "contact" in facts and "company" not in facts:
        facts["company"] = locked.company
    resolved = _resolve_facts(actor, facts)
    if "company" in fields and "contact" not in fields and locked.contact_id:
        company = resolved["company"]
        if company is None or not locked.contact.companies.filter(pk=company.pk).exists():  # type: ignore[union-attr]
            resolved["contact"] = None
    before = audit.snapshot(locked)
    old_priority = locked.priority
    for name, value in resolved.items():
        setattr(locked, name, value)
    locked.full_clean()
    after = audit.snapshot(locked)
    changes = audit.diff(before, after)
    if not changes:
        return locked
    locked.version = F("version") + 1  # type: ignore[assignment]
    locked.updated_at = timezone.now()
    locked.save()
    locked.refresh_from_db()
    if locked.priority != old_priority:
        _event(
            locked,
            CaseEvent.Kind.PRIORITY,
            actor,
            from_value=old_priority,
            to_value=locked.priority,
        )
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.CHANGE,
        obj=locked,
        changes=changes,
        related=locked.company,
    )
    return locked


# --- merge --------------------------------------------------------------------------------


@transaction.atomic
def merge_cases(
    *,
    actor: User | None,
    primary: Case,
    duplicates: Sequence[Case],
    allow_different_clients: bool = False,
) -> Case:
    """Fold duplicate cases into ``primary``: their messages (with attachments) and events
    move to it, and each duplicate is closed with ``merged_into`` set. Cases of different
    clients are merged only when the caller confirms (``allow_different_clients``)."""
    if not duplicates:
        raise ValidationError({"duplicates": [_("Choose the cases to merge into this one.")]})
    pks = [d.pk for d in duplicates]
    if primary.pk in pks:
        raise ValidationError({"duplicates": [_("A case cannot be merged into itself.")]})
    if len(set(pks)) != len(pks):
        raise ValidationError({"duplicates": [_("A case is listed twice.")]})
    _require(actor, Action.CHANGE, primary)
    for duplicate in duplicates:
        _require(actor, Action.CHANGE, duplicate)
    primary = _lock(primary)
    locked = list(Case.objects.select_for_update().filter(pk__in=pks).order_by("pk"))
    if primary.merged_into_id is not None:
        raise ValidationError(
            {"primary": [_("%(reference)s is itself merged.") % {"reference": primary.reference}]}
        )
    already = [c.reference for c in locked if c.merged_into_id is not None]
    if already:
        raise ValidationError(
            {
                "duplicates": [
                    _("Already merged: %(references)s.") % {"references": ", ".join(already)}
                ]
            }
        )
    others = [c.reference for c in locked if c.company_id != primary.company_id]
    if others and not allow_different_clients:
        raise ValidationError(
            {
                "duplicates": [
                    _(
                        "%(references)s belong to another client than %(primary)s; confirm "
                        "to merge them anyway."
                    )
                    % {"references": ", ".join(others), "primary": primary.reference}
                ]
            }
        )
    CaseMessage.objects.filter(case_id__in=pks).update(case=primary)
    CaseEvent.objects.filter(case_id__in=pks).update(case=primary)
    Case.objects.filter(merged_into_id__in=pks).update(merged_into=primary)
    now = timezone.now()
    for duplicate in locked:
        old = duplicate.status
        closed = _bump(
            duplicate,
            status=Status.CLOSED,
            closed_at=now,
            merged_into=primary,
            resolved_at=duplicate.resolved_at or now,
        )
        _event(closed, CaseEvent.Kind.MERGED, actor, to_value=primary.reference)
        _event(primary, CaseEvent.Kind.MERGED, actor, from_value=duplicate.reference)
        audit.record(
            actor=actor,
            action=AuditEntry.Kind.CHANGE,
            obj=closed,
            changes={"status": [old, Status.CLOSED], "merged_into": [None, primary.pk]},
            related=closed.company,
            message=_("Merged into %(reference)s") % {"reference": primary.reference},
        )
        if old != Status.CLOSED:
            signals.case_status_changed.send(
                sender=Case, case=closed, old=old, new=Status.CLOSED, actor=actor
            )
    last = CaseMessage.objects.filter(case=primary).exclude(kind=CaseMessage.Kind.NOTE)
    last_at = last.aggregate(last=Max("created_at"))["last"]
    updated = _bump(primary, last_message_at=last_at)
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.CHANGE,
        obj=updated,
        changes={"merged_cases": [None, pks]},
        related=updated.company,
        message=_("Merged %(references)s into this case")
        % {"references": ", ".join(c.reference for c in locked)},
    )
    return updated


# --- categories (administrators) -----------------------------------------------------------


CATEGORY_FIELDS = ("name", "name_ru", "name_fr", "name_de", "is_active")


@transaction.atomic
def category_save(
    *, actor: User, fields: dict[str, Any], category: Category | None = None
) -> Category:
    """Create or rename a case category (in four languages) or switch it on or off.
    Administrators and the head of service only."""
    from accord.service.routing import require_queue_manager

    require_queue_manager(actor)
    unknown = sorted(set(fields) - set(CATEGORY_FIELDS))
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed here.")] for name in unknown})
    fields = {k: v.strip() if isinstance(v, str) else v for k, v in fields.items()}
    if category is None:
        if not fields.get("name"):
            raise ValidationError({"name": [_("Enter a name.")]})
        from django.utils.text import slugify

        base = slugify(fields["name"])[:50] or "category"
        code = base
        suffix = 2
        while Category.objects.filter(code=code).exists():
            code = f"{base}-{suffix}"
            suffix += 1
        position = (Category.objects.aggregate(m=Max("position"))["m"] or 0) + 1
        category = Category(code=code, position=position, **fields)
        category.full_clean()
        category.save()
        audit.record(
            actor=actor,
            action=AuditEntry.Kind.CREATE,
            obj=category,
            changes={k: [None, v] for k, v in audit.snapshot(category).items() if v},
        )
        return category
    locked = Category.objects.select_for_update().get(pk=category.pk)
    before = audit.snapshot(locked)
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.full_clean()
    locked.save()
    changes = audit.diff(before, audit.snapshot(locked))
    if changes:
        audit.record(actor=actor, action=AuditEntry.Kind.CHANGE, obj=locked, changes=changes)
    return locked


@transaction.atomic
def category_move(*, actor: User, category: Category, direction: str) -> None:
    """Swap a category with its neighbour ("up" or "down") in the order forms show them."""
    from accord.service.routing import require_queue_manager

    require_queue_manager(actor)
    items = list(Category.objects.select_for_update().order_by("position", "id"))
    index = next((i for i, item in enumerate(items) if item.pk == category.pk), None)
    if index is None or direction not in ("up", "down"):
        raise ValidationError({"position": [_("Unknown category or direction.")]})
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(items):
        return
    items[index], items[other] = items[other], items[index]
    for position, item in enumerate(items):
        if item.position != position:
            Category.objects.filter(pk=item.pk).update(position=position)
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.CHANGE,
        obj=category,
        changes={"order": [None, [str(i.code) for i in items]]},
        message=_("Categories reordered"),
    )
