"""Incoming mail to cases (V3): parse an RFC 5322 message and file it as a case or a reply.

Two halves. ``parse_mail`` (``accord.service.mailparse``) turns raw bytes into a ``ParsedMail`` and never raises on what a
mail client or a broken gateway may produce: bad charsets, missing boundaries, truncated
base64 and huge parts are read as far as they can be and listed in ``ParsedMail.problems``.
``receive_mail`` then decides, in one transaction, what the message is — a duplicate, an
auto-reply or bounce, a reply on an existing case, or a new case — and writes it through the
case services (``open_case`` / ``add_message``), so routing, SLA clocks, audit and signals
behave exactly as for any other channel. The problems become an internal note on the case.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from html import unescape
from typing import Any
from urllib.parse import unquote

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext as _

from accord.service.mailparse import (
    MEGABYTE,
    ParsedAttachment,
    ParsedMail,
    decode_text,
    format_size,
    html_to_text,
    max_attachment_bytes,
    parse_mail,
    structure_refusal,
)
from accord.service.models import Case, CaseMessage, Queue
from accord.service.sanitize import sanitize_html

__all__ = [
    "MailInResult",
    "MailRefused",
    "Outcome",
    "ParsedAttachment",
    "ParsedMail",
    "decode_text",
    "format_size",
    "html_to_text",
    "max_attachment_bytes",
    "max_message_bytes",
    "parse_mail",
    "receive_mail",
]

SUBJECT_MAX = 255
# ``[CS-123]`` anywhere in the subject, whatever Re:/Fwd:/AW:/Отв:/TR: prefixes precede it.
CASE_TAG = re.compile(r"\[\s*CS-(\d{1,12})\s*\]", re.IGNORECASE)
REFERENCES_CHECKED = 30


def max_message_bytes() -> int:
    return int(float(getattr(settings, "ACCORD_MAIL_MAX_MESSAGE_MB", 50)) * MEGABYTE)


class MailRefused(Exception):
    """The message cannot be taken at all (too large, empty); nothing was written."""


# --------------------------------------------------------------------------------------------
# Filing the message
# --------------------------------------------------------------------------------------------


class Outcome(enum.StrEnum):
    OPENED = "opened"
    ADDED = "added"
    FOLLOW_UP = "follow_up"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"


@dataclass
class MailInResult:
    outcome: Outcome
    case: Case | None = None
    message: CaseMessage | None = None
    reason: str = ""
    previous_case: Case | None = None
    problems: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """One line for the command's output and the logs."""
        if self.outcome == Outcome.OPENED:
            return _("Opened %(case)s") % {"case": self._reference()}
        if self.outcome == Outcome.ADDED:
            return _("Added to %(case)s") % {"case": self._reference()}
        if self.outcome == Outcome.FOLLOW_UP:
            return _("Opened %(case)s (a reply to closed %(previous)s)") % {
                "case": self._reference(),
                "previous": self.previous_case.reference if self.previous_case else "",
            }
        if self.outcome == Outcome.DUPLICATE:
            return _("Duplicate of a message already on %(case)s; nothing added") % {
                "case": self._reference()
            }
        return _("Ignored: %(reason)s") % {"reason": self.reason}

    def _reference(self) -> str:
        return self.case.reference if self.case is not None else ""


def _id_variants(ids: list[str]) -> list[str]:
    variants: list[str] = []
    for value in ids:
        bare = value.strip().strip("<>")
        if bare:
            variants.extend([f"<{bare}>", bare])
    return variants


def messages_with_ids(ids: list[str]) -> QuerySet[CaseMessage]:
    """Case messages by Message-ID through the partial index ``casemsg_msgid_idx``: the
    index's own condition (``message_id <> ''``) must be in the query, or SQLite cannot use
    it and scans every message."""
    return CaseMessage.objects.filter(message_id__in=ids).exclude(message_id="")


def _case_for_headers(mail: ParsedMail) -> Case | None:
    ids = [mail.in_reply_to] if mail.in_reply_to else []
    ids += list(reversed(mail.references))[:REFERENCES_CHECKED]
    variants = _id_variants(ids)
    if not variants:
        return None
    case_id = messages_with_ids(variants).order_by("-id").values_list("case_id", flat=True).first()
    return Case.objects.filter(pk=case_id).first() if case_id else None


def _case_for_subject(subject: str) -> Case | None:
    for match in CASE_TAG.finditer(subject):
        case = Case.objects.filter(pk=int(match.group(1))).first()
        if case is not None:
            return case
    return None


def _follow_merges(case: Case) -> Case:
    seen = {case.pk}
    while case.merged_into_id and case.merged_into_id not in seen:
        seen.add(case.merged_into_id)
        case = Case.objects.get(pk=case.merged_into_id)
    return case


def _sender_is_on_case(case: Case, address: str) -> bool:
    """Case numbers are sequential, so a number in the subject proves nothing by itself: the
    sender must be the case's contact or requester, someone of its client, or an address
    already on its correspondence. (A reply quoting one of the case's Message-IDs needs no
    such check: those are random and only the recipients know them.)"""
    from accord.parties.models import ContactPoint
    from accord.parties.normalize import normalize_email

    if not address:
        return False
    lowered = address.lower()
    if case.requester_email.lower() == lowered:
        return True
    try:
        normalized = normalize_email(address)
    except ValidationError:
        return False
    points = ContactPoint.objects.filter(kind=ContactPoint.Kind.EMAIL, normalized=normalized)
    owners = Q(contact_id=case.contact_id) if case.contact_id else Q(pk__in=[])
    if case.company_id:
        owners |= Q(company_id=case.company_id) | Q(contact__companies=case.company_id)
    if points.filter(owners).exists():
        return True
    correspondence = case.messages.exclude(kind=CaseMessage.Kind.NOTE)
    return correspondence.filter(
        Q(from_address__iexact=address)
        | Q(to_addresses__icontains=address)
        | Q(cc_addresses__icontains=address)
    ).exists()


def _find_sender(address: str) -> tuple[Any, Any]:
    """The contact (and its company) or the company whose e-mail is ``address``."""
    from accord.parties.models import ContactPoint
    from accord.parties.normalize import normalize_email

    try:
        normalized = normalize_email(address)
    except ValidationError:
        return None, None
    point = (
        ContactPoint.objects.filter(kind=ContactPoint.Kind.EMAIL, normalized=normalized)
        .select_related("contact__primary_company", "company")
        # A person's address before the same address on a company (info@ shared by both).
        .order_by(F("contact_id").asc(nulls_last=True), "id")
        .first()
    )
    if point is None:
        return None, None
    if point.contact is not None:
        contact = point.contact
        company = contact.primary_company
        if company is None:
            companies = list(contact.companies.all()[:2])
            company = companies[0] if len(companies) == 1 else None
        return contact, company
    return None, point.company


def _queue_for(mail: ParsedMail) -> Queue | None:
    addresses = {address.lower() for address in mail.recipients}
    if not addresses:
        return None
    for queue in Queue.objects.filter(is_active=True).exclude(email="").order_by("position", "id"):
        if queue.email.lower() in addresses:
            return queue
    return None


def _attachments(mail: ParsedMail) -> list[tuple[str, bytes, str]]:
    return [(item.name, item.data, item.content_type) for item in mail.attachments]


_CID_SOURCE = re.compile(r'src="cid:([^"]+)"')


def _link_inline_images(message: CaseMessage, mail: ParsedMail) -> None:
    """Point ``<img src="cid:...">`` at the stored attachment, so the case page shows the
    images the client pasted into the mail (the attachment view checks who may see it)."""
    if "cid:" not in message.body_html:
        return
    from django.urls import reverse

    stored = list(message.attachments.order_by("id").values_list("pk", flat=True))
    urls = {
        item.content_id: reverse("service:case_attachment", args=[pk])
        for item, pk in zip(mail.attachments, stored, strict=False)
        if item.content_id
    }

    def replace(match: re.Match[str]) -> str:
        url = urls.get(unquote(unescape(match.group(1))))
        return f'src="{url}"' if url else match.group(0)

    html = sanitize_html(_CID_SOURCE.sub(replace, message.body_html))
    if html != message.body_html:
        CaseMessage.objects.filter(pk=message.pk).update(body_html=html)
        message.body_html = html


def _problem_note(case: Case, problems: list[str]) -> None:
    from accord.service import services

    if not problems:
        return
    lines = [_("This e-mail arrived damaged or incomplete:"), *[f"- {line}" for line in problems]]
    services.add_message(
        actor=None, case=case, kind=CaseMessage.Kind.NOTE, body_text="\n".join(lines), send=False
    )


def receive_mail(raw: bytes) -> MailInResult:
    """File one incoming e-mail; the whole effect is one transaction.

    Refuses (``MailRefused``) an empty message or one over ``ACCORD_MAIL_MAX_MESSAGE_MB``.
    """
    if not raw or not raw.strip():
        raise MailRefused(_("The message is empty."))
    if len(raw) > max_message_bytes():
        raise MailRefused(
            _("The message is %(size)s, over the %(limit)s limit; it was not taken.")
            % {"size": format_size(len(raw)), "limit": format_size(max_message_bytes())}
        )
    refusal = structure_refusal(raw)
    if refusal:
        raise MailRefused(refusal)
    mail = parse_mail(raw)
    reason = mail.auto_reason
    if reason:
        return MailInResult(outcome=Outcome.IGNORED, reason=reason, problems=mail.problems)
    with transaction.atomic():
        if mail.message_id:
            existing = (
                messages_with_ids(_id_variants([mail.message_id]))
                .select_related("case")
                .order_by("id")
                .first()
            )
            if existing is not None:
                return MailInResult(outcome=Outcome.DUPLICATE, case=existing.case, message=existing)
        case = _case_for_headers(mail)
        if case is not None:
            return _add_to_case(_follow_merges(case), mail)
        case = _case_for_subject(mail.subject)
        if case is not None and _sender_is_on_case(case, mail.from_address):
            return _add_to_case(_follow_merges(case), mail)
        return _open_case(mail, claimed=case)


def _body_text(mail: ParsedMail) -> str:
    if mail.text:
        return mail.text
    if mail.attachments:
        return _("(no text; see the attachments)")
    return _("(no text)")


def _add_to_case(case: Case, mail: ParsedMail) -> MailInResult:
    """A reply on a known case. The case services decide what a message on a closed case
    does (reopen it, or open a follow-up case once the reopen window is over)."""
    from accord.service import services

    message = services.add_message(
        actor=None,
        case=case,
        kind=CaseMessage.Kind.INBOUND,
        body_text=_body_text(mail),
        body_html=mail.html,
        from_address=_display_address(mail),
        to_addresses=", ".join(mail.to),
        cc_addresses=", ".join(mail.cc),
        subject=mail.subject[:SUBJECT_MAX],
        message_id=mail.message_id[:998],
        in_reply_to=mail.in_reply_to[:998],
        attachments=_attachments(mail),
        send=False,
    )
    _link_inline_images(message, mail)
    if message.case_id != case.pk:
        follow_up = Case.objects.get(pk=message.case_id)
        _complete_first_message(message, mail)
        _problem_note(follow_up, mail.problems)
        return MailInResult(
            outcome=Outcome.FOLLOW_UP,
            case=follow_up,
            message=message,
            previous_case=case,
            problems=mail.problems,
        )
    _problem_note(case, mail.problems)
    return MailInResult(outcome=Outcome.ADDED, case=case, message=message, problems=mail.problems)


def _complete_first_message(message: CaseMessage, mail: ParsedMail) -> None:
    """``open_case`` stores the client's first message with the sender only; the envelope
    (recipients, copies, the subject as sent, what it answered) belongs with it too."""
    values = {
        "from_address": _display_address(mail),
        "to_addresses": ", ".join(mail.to),
        "cc_addresses": ", ".join(mail.cc),
        "subject": mail.subject[:SUBJECT_MAX],
        "in_reply_to": mail.in_reply_to[:998],
    }
    CaseMessage.objects.filter(pk=message.pk).update(**values)
    for name, value in values.items():
        setattr(message, name, value)


def _display_address(mail: ParsedMail) -> str:
    """The bare address: the case services use it as the requester's e-mail (a follow-up case
    for a long-closed one), and the sender's name is on the contact or the case already."""
    return mail.from_address[:320]


def _open_case(mail: ParsedMail, *, claimed: Case | None = None) -> MailInResult:
    """A new case; ``claimed`` is the case the subject named that the sender is not on."""
    from accord.service import services

    contact, company = _find_sender(mail.from_address) if mail.from_address else (None, None)
    requester_email = ""
    if contact is None and mail.from_address:
        try:
            requester_email = _valid_email(mail.from_address)
        except ValidationError:
            requester_email = ""
    case = services.open_case(
        actor=None,
        subject=(mail.subject or _("(no subject)"))[:SUBJECT_MAX],
        description=_body_text(mail),
        company=company,
        contact=contact,
        channel=Case.Channel.EMAIL,
        requester_email=requester_email,
        requester_name=(mail.from_name if contact is None else "")[:255],
        queue=_queue_for(mail),
        message_id=mail.message_id[:998],
        attachments=_attachments(mail),
        body_html=mail.html,
    )
    first = case.messages.filter(kind=CaseMessage.Kind.INBOUND).order_by("id").first()
    if first is not None:
        _complete_first_message(first, mail)
        _link_inline_images(first, mail)
    if claimed is not None:
        services.add_message(
            actor=None,
            case=case,
            kind=CaseMessage.Kind.NOTE,
            body_text=_(
                "The subject names %(reference)s, but the sender is not on that case, so this "
                "e-mail opened a new case. If it belongs there, merge the two cases."
            )
            % {"reference": claimed.reference},
            send=False,
        )
    _problem_note(case, mail.problems)
    return MailInResult(outcome=Outcome.OPENED, case=case, message=first, problems=mail.problems)


def _valid_email(address: str) -> str:
    from django.core.validators import validate_email

    validate_email(address)
    return address
