"""Sending a quote to the client by e-mail (S4), through Django's configured e-mail backend.

Marking the quote sent, logging the e-mail on the deal and sending happen in one transaction,
with the sending last: when the mail server refuses, the transaction rolls back and the quote
stays a draft, exactly as it was, with a clear message for the manager.
"""

from __future__ import annotations

import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import override

from accord.commerce import pdf
from accord.commerce.models import Quote
from accord.commerce.seller import get_seller_profile
from accord.commerce.services_quotes import quote_mark_sent
from accord.core.models import User
from accord.core.permissions import Action, require


class QuoteSendError(Exception):
    """The mail server did not take the message; nothing was changed."""


@dataclass
class SendDraft:
    """What the send form starts with: the contact's address, and a subject and message in
    the quote's language."""

    to: str
    subject: str
    message: str


def contact_email(quote: Quote) -> str:
    """The contact's primary e-mail address, or an empty string."""
    if quote.contact is None:
        return ""
    point = (
        quote.contact.contact_points.filter(kind="email")
        .order_by("-is_primary", "id")
        .values_list("value", flat=True)
        .first()
    )
    return point or ""


def send_draft(quote: Quote, sender: User) -> SendDraft:
    """Prefill the send form from the translated templates, in the quote's language."""
    seller = get_seller_profile()
    context = {
        "quote": quote,
        "seller": seller,
        "contact": quote.contact,
        "sender": sender,
        "total": pdf.format_money(quote.total, quote.currency, quote.language),
    }
    with override(quote.language):
        subject = render_to_string("commerce/email/quote_subject.txt", context)
        message = render_to_string("commerce/email/quote_message.txt", context)
    return SendDraft(
        to=contact_email(quote), subject=" ".join(subject.split()), message=message.strip()
    )


def split_addresses(value: str | Sequence[str], field: str, *, required: bool) -> list[str]:
    """Addresses typed with commas, semicolons or spaces, each checked; errors name the field."""
    if isinstance(value, str):
        raw = value.replace(";", ",").replace("\n", ",").split(",")
    else:
        raw = list(value)
    addresses = list(dict.fromkeys(a.strip() for a in raw if a and a.strip()))
    if required and not addresses:
        raise ValidationError({field: [_("Enter at least one e-mail address.")]})
    bad = []
    for address in addresses:
        try:
            validate_email(address)
        except ValidationError:
            bad.append(address)
    if bad:
        raise ValidationError(
            {field: [_("Not an e-mail address: %(addresses)s.") % {"addresses": ", ".join(bad)}]}
        )
    return addresses


def quote_send(
    *,
    actor: User,
    quote: Quote,
    to: str | Sequence[str],
    cc: str | Sequence[str] = "",
    subject: str,
    message: str,
    expected_version: int | None = None,
) -> Quote:
    """Send the quote's PDF to the client, mark it sent and log the e-mail on the deal.

    Raises ValidationError naming the field for bad input, QuoteSendError when the mail
    server refuses (the quote is then left exactly as it was)."""
    try:
        return _send(
            actor=actor,
            quote=quote,
            to=to,
            cc=cc,
            subject=subject,
            message=message,
            expected_version=expected_version,
        )
    except (smtplib.SMTPException, OSError) as exc:
        raise QuoteSendError(
            _(
                "The mail server did not accept the message (%(error)s). The quote was not "
                "sent and is unchanged; check the addresses or try again later."
            )
            % {"error": _smtp_reason(exc)}
        ) from exc


def _smtp_reason(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{address}: {code} {reason.decode(errors='replace') if isinstance(reason, bytes) else reason}"
            for address, (code, reason) in exc.recipients.items()
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        error = exc.smtp_error
        text = error.decode(errors="replace") if isinstance(error, bytes) else str(error)
        return f"{exc.smtp_code} {text}"
    return str(exc) or exc.__class__.__name__


@transaction.atomic
def _send(
    *,
    actor: User,
    quote: Quote,
    to: str | Sequence[str],
    cc: str | Sequence[str],
    subject: str,
    message: str,
    expected_version: int | None,
) -> Quote:
    require(actor, Action.CHANGE, quote)
    errors: dict[str, list[str]] = {}
    recipients: list[str] = []
    copies: list[str] = []
    try:
        recipients = split_addresses(to, "to", required=True)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        copies = split_addresses(cc, "cc", required=False)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if not subject.strip():
        errors["subject"] = [_("Enter a subject.")]
    if errors:
        raise ValidationError(errors)
    sent_to = ", ".join([*recipients, *copies])
    sent = quote_mark_sent(
        actor=actor, quote=quote, sent_to=sent_to, expected_version=expected_version
    )
    _log_on_deal(actor=actor, quote=sent, subject=subject, message=message, to=sent_to)
    attachment = pdf.quote_pdf(sent)
    email = EmailMessage(
        subject=subject.strip(),
        body=message,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=recipients,
        cc=copies,
        reply_to=[actor.email] if actor.email else None,
    )
    email.attach(pdf.quote_filename(sent), attachment, "application/pdf")
    email.send(fail_silently=False)  # last: a refusal rolls everything above back
    return sent


def _log_on_deal(*, actor: User, quote: Quote, subject: str, message: str, to: str) -> Any:
    """An e-mail activity on the deal (and so on the client card's timeline)."""
    from accord.activities import services as activities
    from accord.activities.models import Activity

    fields: dict[str, Any] = {
        "subject": subject.strip()[:255],
        "body": message,
        "company": quote.company,
        "email_from": actor.email or settings.DEFAULT_FROM_EMAIL,
        "email_to": to[:1000],
        "direction": Activity.Direction.OUTBOUND,
        "deal": quote.deal,
    }
    return activities.activity_create(
        actor=actor,
        kind=Activity.Kind.EMAIL,
        fields=fields,
        contacts=[quote.contact] if quote.contact is not None else [],
    )
