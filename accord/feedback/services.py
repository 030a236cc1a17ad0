"""Writes for client feedback (V4): making a survey when a case is resolved or an order
completed, sending it after commit, taking the client's answer through the signed link,
opening a follow-up task on a low score, and the agent's complaint mark.

The client answering has no account: those services take no actor and are audited as the
system; the signed token is their only authority, and it only reaches its own survey."""

from __future__ import annotations

import datetime
import logging
import smtplib
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from accord.core import audit
from accord.core.errors import ConflictError
from accord.core.models import AuditEntry, Notification, User
from accord.core.permissions import Action, allows
from accord.feedback.models import Survey, SurveyOptOut

logger = logging.getLogger(__name__)

SIGNING_SALT = "accord.feedback.survey"  # a salt, not a secret: keeps tokens apart
COMMENT_MAX = 4000
# Country -> the language a survey is written in when we know nothing better.
COUNTRY_LANGUAGE = {
    "RU": "ru",
    "BY": "ru",
    "KZ": "ru",
    "KG": "ru",
    "FR": "fr",
    "BE": "fr",
    "LU": "fr",
    "MC": "fr",
    "CH": "fr",
    "DE": "de",
    "AT": "de",
    "LI": "de",
}


class SurveyLinkInvalid(Exception):
    """The token was tampered with, truncated or is for a survey that no longer exists."""


class SurveyExpired(Exception):
    def __init__(self, survey: Survey) -> None:
        super().__init__(survey.pk)
        self.survey = survey


class SurveyAlreadyAnswered(Exception):
    def __init__(self, survey: Survey) -> None:
        super().__init__(survey.pk)
        self.survey = survey


# --- settings ------------------------------------------------------------------------------


def survey_days() -> int:
    return int(getattr(settings, "ACCORD_SURVEY_DAYS", 30))


def follow_up_at() -> int:
    """Scores at or below this open a follow-up task (ACCORD_SURVEY_FOLLOW_UP_AT, default 2)."""
    return int(getattr(settings, "ACCORD_SURVEY_FOLLOW_UP_AT", 2))


def site_url() -> str:
    return str(getattr(settings, "ACCORD_SITE_URL", "http://localhost:8000")).rstrip("/")


# --- tokens --------------------------------------------------------------------------------


def survey_token(survey: Survey) -> str:
    """The signed part of the link: carries the survey id, signed with the secret key and a
    salt of its own, so a token made for another purpose is never accepted here."""
    return signing.dumps({"s": survey.pk}, salt=SIGNING_SALT, compress=False)


def survey_link(survey: Survey, score: int | None = None) -> str:
    url = site_url() + reverse("feedback:survey", args=[survey_token(survey)])
    return f"{url}?score={score}" if score else url


def survey_from_token(token: str) -> Survey:
    """The survey a link points to; SurveyLinkInvalid for anything not signed by us."""
    try:
        payload = signing.loads(token, salt=SIGNING_SALT)
    except signing.BadSignature:
        raise SurveyLinkInvalid from None
    survey_id = payload.get("s") if isinstance(payload, dict) else None
    if not isinstance(survey_id, int):
        raise SurveyLinkInvalid
    survey = Survey.objects.select_related("case", "order", "company").filter(pk=survey_id).first()
    if survey is None:
        raise SurveyLinkInvalid
    return survey


# --- who gets a survey -----------------------------------------------------------------------


def contact_email(contact: Any) -> str:
    if contact is None:
        return ""
    value = (
        contact.contact_points.filter(kind="email")
        .order_by("-is_primary", "id")
        .values_list("value", flat=True)
        .first()
    )
    return value or ""


def survey_language(company: Any, preferred: str = "") -> str:
    """The document's language when there is one, else the client's country's, else the
    installation's default."""
    languages = {code for code, _name in settings.LANGUAGES}
    if preferred in languages:
        return preferred
    country = (getattr(company, "country", "") or "").upper()
    language = COUNTRY_LANGUAGE.get(country, "")
    if language in languages:
        return language
    return settings.LANGUAGE_CODE if settings.LANGUAGE_CODE in languages else "en"


def is_opted_out(*, email: str, contact: Any = None) -> bool:
    if contact is not None and getattr(contact, "do_not_email", False):
        return True
    query = SurveyOptOut.objects.filter(email=email.strip().lower())
    if contact is not None:
        query = query | SurveyOptOut.objects.filter(contact=contact)
    return query.exists()


def _address(contact: Any, fallback: str) -> str:
    email = (contact_email(contact) or fallback or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        return ""
    return email


def _create(values: dict[str, Any], actor: Any) -> Survey | None:
    now = timezone.now()
    survey = Survey(expires_at=now + datetime.timedelta(days=survey_days()), **values)
    try:
        with transaction.atomic():
            survey.save()
    except IntegrityError:
        return None  # one survey per case / order: a second resolution asks nothing
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.CREATE,
        obj=survey,
        changes={
            "email": [None, survey.email],
            "language": [None, survey.language],
            "expires_at": [None, survey.expires_at.isoformat()],
        },
        related=survey.company,
    )
    survey_id = survey.pk
    transaction.on_commit(lambda: survey_deliver(survey_id=survey_id))
    return survey


def survey_create_for_case(*, case: Any, actor: Any) -> Survey | None:
    """Ask the client of a just-resolved case for a rating. Nothing when the case already
    had a survey, has no valid address, or the client opted out. The mail goes after commit."""
    if Survey.objects.filter(case=case).exists():
        return None
    email = _address(case.contact, case.requester_email)
    if not email or is_opted_out(email=email, contact=case.contact):
        return None
    return _create(
        {
            "case": case,
            "company": case.company,
            "contact": case.contact,
            "agent_id": case.owner_id,
            "queue_id": case.queue_id,
            "category_id": case.category_id,
            "email": email,
            "language": survey_language(case.company),
        },
        actor,
    )


def survey_create_for_order(*, order: Any, actor: Any) -> Survey | None:
    """Ask the client of a just-completed order for a rating (same rules as for cases)."""
    if Survey.objects.filter(order=order).exists():
        return None
    email = _address(order.contact, "")
    if not email or is_opted_out(email=email, contact=order.contact):
        return None
    quote = getattr(order, "quote", None) if order.quote_id else None
    return _create(
        {
            "order": order,
            "company": order.company,
            "contact": order.contact,
            "agent_id": order.owner_id,
            "email": email,
            "language": survey_language(order.company, getattr(quote, "language", "")),
        },
        actor,
    )


# --- sending -------------------------------------------------------------------------------


def survey_message(survey: Survey) -> EmailMultiAlternatives:
    """The survey e-mail in the survey's language: five one-tap score links and the page."""
    with override(survey.language):
        if survey.case_id:
            about = survey.case.reference if survey.case else ""
            subject = _("How did we do? Your request %(reference)s") % {"reference": about}
        else:
            about = survey.order.number if survey.order else ""
            subject = _("How did we do? Your order %(number)s") % {"number": about}
        context = {
            "survey": survey,
            "about": about,
            "subject_line": survey.case.subject if survey.case else "",
            "link": survey_link(survey),
            "scores": [(score, survey_link(survey, score)) for score in range(1, 6)],
            "expires_at": survey.expires_at,
            "contact": survey.contact,
        }
        text = render_to_string("feedback/mail/survey.txt", context)
        html = render_to_string("feedback/mail/survey.html", context)
    message = EmailMultiAlternatives(
        subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[survey.email]
    )
    message.attach_alternative(html, "text/html")
    message.extra_headers["Auto-Submitted"] = "auto-generated"
    return message


def survey_deliver(*, survey_id: int) -> bool:
    """Send one survey if it is still unsent; safe to retry (the periodic job retries
    failures). A refused or unreachable server leaves it unsent with the error kept."""
    survey = (
        Survey.objects.select_related("case", "order", "contact")
        .filter(pk=survey_id, sent_at__isnull=True, answered_at__isnull=True)
        .first()
    )
    if survey is None or survey.expires_at <= timezone.now():
        return False
    try:
        survey_message(survey).send()
    except (smtplib.SMTPException, OSError) as exc:
        logger.warning("survey %s not sent: %s", survey_id, exc)
        Survey.objects.filter(pk=survey_id).update(send_error=str(exc)[:300])
        return False
    Survey.objects.filter(pk=survey_id, sent_at__isnull=True).update(
        sent_at=timezone.now(), send_error=""
    )
    return True


def surveys_send_pending(limit: int = 200) -> int:
    """Retry surveys whose mail did not go (server down at resolution time)."""
    ids = list(
        Survey.objects.filter(
            sent_at__isnull=True, answered_at__isnull=True, expires_at__gt=timezone.now()
        )
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(1 for survey_id in ids if survey_deliver(survey_id=survey_id))


# --- answering -----------------------------------------------------------------------------


def _parse_score(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        score = int(value)
    except (TypeError, ValueError):
        score = 0
    if not 1 <= score <= 5:
        raise ValidationError({"score": [_("Choose a score from 1 to 5.")]})
    return score


@transaction.atomic
def survey_answer(
    *, survey: Survey, score: Any, comment: str = "", opt_out: bool = False
) -> Survey:
    """The client's answer through the signed link. A score is required unless the client
    only asks not to be asked again (a refusal). Once answered, a survey never changes."""
    locked = Survey.objects.select_for_update().get(pk=survey.pk)
    if locked.answered_at is not None:
        raise SurveyAlreadyAnswered(locked)
    if locked.expires_at <= timezone.now():
        raise SurveyExpired(locked)
    comment = (comment or "").strip()
    errors: dict[str, list[str]] = {}
    try:
        parsed = _parse_score(score)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        parsed = None
    if parsed is None and not opt_out and "score" not in errors:
        errors["score"] = [_("Choose a score from 1 to 5.")]
    if len(comment) > COMMENT_MAX:
        errors["comment"] = [
            _("The comment is too long: at most %(max)d characters.") % {"max": COMMENT_MAX}
        ]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    locked.score = parsed
    locked.comment = comment
    locked.declined = bool(opt_out)
    locked.answered_at = now
    locked.version = F("version") + 1
    locked.save(update_fields=["score", "comment", "declined", "answered_at", "version"])
    locked.refresh_from_db()
    audit.record(
        actor=None,
        action=AuditEntry.Kind.CHANGE,
        obj=locked,
        changes={
            "score": [None, parsed],
            **({"comment": [None, comment]} if comment else {}),
            **({"declined": [False, True]} if opt_out else {}),
        },
        related=locked.company,
        message=_("Answered by the client"),
    )
    if opt_out:
        _opt_out(email=locked.email, contact=locked.contact, company=locked.company)
    if parsed is not None and parsed <= follow_up_at():
        _open_follow_up(locked)
    return locked


def _opt_out(*, email: str, contact: Any, company: Any, source: str = "survey") -> SurveyOptOut:
    opt_out, created = SurveyOptOut.objects.get_or_create(
        email=email.strip().lower(),
        defaults={"contact": contact, "company": company, "source": source},
    )
    if created:
        audit.record(
            actor=None,
            action=AuditEntry.Kind.CREATE,
            obj=opt_out,
            changes={"email": [None, opt_out.email], "source": [None, source]},
            related=company,
        )
    return opt_out


def follow_up_owner(survey: Survey) -> User | None:
    """Who calls the client back: the case's agent, else the queue's supervisor (for an
    order, its owner). Inactive users are skipped."""
    candidates: list[Any] = []
    if survey.case_id and survey.case is not None:
        candidates.append(survey.case.owner)
        queue = survey.case.queue
        candidates.append(queue.supervisor if queue is not None else None)
    elif survey.order_id and survey.order is not None:
        candidates.append(survey.order.owner)
    for user in candidates:
        if user is not None and user.is_active:
            return user
    return None


def _open_follow_up(survey: Survey) -> None:
    from accord.activities.models import Activity
    from accord.activities.services import activity_create

    owner = follow_up_owner(survey)
    if owner is None:
        return
    about = survey.case.reference if survey.case else str(survey.order)
    url = survey.subject_url
    with override(owner.language or settings.LANGUAGE_CODE):
        subject = _("Call the client back: rated %(score)d of 5 on %(about)s") % {
            "score": survey.score,
            "about": about,
        }
        body = survey.comment or _("No comment given.")
    fields: dict[str, Any] = {
        "subject": subject[:255],
        "body": body,
        "at": timezone.now() + datetime.timedelta(days=1),
        "owner": owner,
        "company": survey.company,
    }
    contacts = [survey.contact] if survey.contact else []
    try:
        task = activity_create(
            actor=owner, kind=Activity.Kind.TASK, fields=fields, contacts=contacts
        )
    except (ValidationError, PermissionDenied):
        # The owner may not see the client's records: a bare task still reaches them.
        fields["company"] = None
        try:
            task = activity_create(actor=owner, kind=Activity.Kind.TASK, fields=fields)
        except (ValidationError, PermissionDenied):
            logger.warning("no follow-up task for survey %s", survey.pk)
            task = None
    if task is not None:
        Survey.objects.filter(pk=survey.pk).update(follow_up=task)
        survey.follow_up = task
    Notification.objects.get_or_create(
        user=owner,
        dedupe_key=f"survey-low:{survey.pk}",
        defaults={"text": subject[:300], "url": url},
    )


# --- the agent's side ------------------------------------------------------------------------


def may_change(user: Any, survey: Survey) -> bool:
    subject = survey.case if survey.case_id else survey.order
    return subject is not None and allows(user, Action.CHANGE, subject)


@transaction.atomic
def survey_mark_complaint(
    *, actor: User, survey: Survey, is_complaint: bool, expected_version: int | None = None
) -> Survey:
    """Count an answered survey's comment as a complaint (K7 "complaints and refusals"), or
    take the mark back. Needs the change permission on the case (or order)."""
    if not may_change(actor, survey):
        raise PermissionDenied(_("You do not have permission to do this."))
    locked = Survey.objects.select_for_update().get(pk=survey.pk)
    if expected_version is not None and expected_version != locked.version:
        raise ConflictError(locked.version)
    if locked.answered_at is None or locked.score is None:
        raise ValidationError(
            {"is_complaint": [_("Only an answered survey can be marked as a complaint.")]}
        )
    if locked.is_complaint == is_complaint:
        return locked
    Survey.objects.filter(pk=locked.pk).update(is_complaint=is_complaint, version=F("version") + 1)
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.CHANGE,
        obj=locked,
        changes={"is_complaint": [locked.is_complaint, is_complaint]},
        related=locked.company,
    )
    locked.refresh_from_db()
    return locked


@transaction.atomic
def survey_opt_out_record(*, actor: User, contact: Any) -> SurveyOptOut:
    """An agent records that a client asked (by phone, say) not to receive surveys."""
    if not allows(actor, Action.CHANGE, contact):
        raise PermissionDenied(_("You do not have permission to do this."))
    email = contact_email(contact)
    if not email:
        raise ValidationError({"email": [_("This contact has no e-mail address.")]})
    existing = SurveyOptOut.objects.filter(email=email.lower()).first()
    if existing is not None:
        return existing
    opt_out = SurveyOptOut.objects.create(
        email=email.lower(),
        contact=contact,
        company=contact.primary_company,
        source=SurveyOptOut.Source.AGENT,
    )
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.CREATE,
        obj=opt_out,
        changes={"email": [None, opt_out.email], "source": [None, opt_out.source]},
        related=contact.primary_company,
    )
    return opt_out


def _opt_out_guard(actor: User, opt_out: SurveyOptOut) -> None:
    target = opt_out.contact or opt_out.company
    if target is None:
        if not getattr(actor, "is_administrator", False):
            raise PermissionDenied(_("You do not have permission to do this."))
    elif not allows(actor, Action.CHANGE, target):
        raise PermissionDenied(_("You do not have permission to do this."))


@transaction.atomic
def survey_opt_out_remove(*, actor: User, opt_out: SurveyOptOut) -> None:
    """The client wants surveys again (they said so): remove their opt-out."""
    _opt_out_guard(actor, opt_out)
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.DELETE,
        obj=opt_out,
        changes={"email": [opt_out.email, None]},
        related=opt_out.company,
    )
    opt_out.delete()
