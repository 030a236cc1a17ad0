"""Writes to quotes (S4). Every path (pages, API, jobs) comes here.

A quote is a draft while it is being written; once sent it is frozen, because the client holds
a copy: any further change is a new *revision* (same number, revision + 1). Totals are computed
by ``accord.commerce.pricing`` and stored on the quote and its lines at every change.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accord.commerce import numbering, pricing
from accord.commerce.models import Quote, QuoteLine
from accord.commerce.pricing import HUNDRED, ZERO, LineDraft
from accord.commerce.seller import get_seller_profile
from accord.core import audit
from accord.core.errors import ConflictError
from accord.core.models import AuditEntry, Team, User
from accord.core.permissions import Action, allows, require
from accord.core.records import record_create
from accord.parties.models import Contact

HEADER_FIELDS = (
    "contact",
    "currency",
    "price_list",
    "discount_percent",
    "valid_until",
    "language",
    "terms",
    "notes",
    "owner",
    "team",
)
LINE_FIELDS = ("description", "quantity", "unit", "unit_price", "discount_percent", "tax_rate")
COUNTRY_LANGUAGES = {
    "RU": "ru",
    "BY": "ru",
    "KZ": "ru",
    "FR": "fr",
    "BE": "fr",
    "LU": "fr",
    "MC": "fr",
    "DE": "de",
    "AT": "de",
    "CH": "de",
}


# --- reading helpers the pages and the API share ------------------------------------------


def locked_message(quote: Quote) -> str:
    """Why a quote can no longer be changed, in words naming its status and date."""
    if not quote.is_latest:
        return _(
            "This is an old revision of quote %(number)s; only the latest revision can be changed."
        ) % {"number": quote.number}
    when = {
        Quote.Status.SENT: quote.sent_at,
        Quote.Status.ACCEPTED: quote.decided_at,
        Quote.Status.REJECTED: quote.decided_at,
        Quote.Status.EXPIRED: quote.decided_at or quote.valid_until,
    }.get(Quote.Status(quote.status))
    if isinstance(when, datetime.datetime):
        when = timezone.localtime(when).date()
    day = date_format(when) if when is not None else "—"
    messages = {
        Quote.Status.SENT: _(
            "This quote was sent on %(date)s and can no longer be changed; make a new revision."
        ),
        Quote.Status.ACCEPTED: _(
            "This quote was accepted on %(date)s and can no longer be changed; make a new revision."
        ),
        Quote.Status.REJECTED: _(
            "This quote was rejected on %(date)s and can no longer be changed; make a new revision."
        ),
        Quote.Status.EXPIRED: _(
            "This quote expired on %(date)s and can no longer be changed; make a new revision."
        ),
    }
    return messages[Quote.Status(quote.status)] % {"date": day}


def default_language(*, company: Any, actor: User) -> str:
    """The language the client reads: from the client's country when we print in it, else
    the manager's own language."""
    known = {code for code, _label in settings.LANGUAGES}
    by_country = COUNTRY_LANGUAGES.get((company.country or "").upper())
    if by_country in known:
        return by_country  # type: ignore[return-value]
    return actor.language if actor.language in known else settings.LANGUAGE_CODE


def _default_price_list(currency: str) -> Any:
    from accord.catalog.selectors import default_price_list

    return default_price_list(currency)


def default_tax_rate() -> Decimal:
    """The VAT rate a free-text line starts with: the seller's country default."""
    from accord.catalog.selectors import default_tax_rate as catalog_default

    return catalog_default(None)


def _decimal(value: Any, name: str) -> Decimal:
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value).strip().replace(",", ".").replace(" ", ""))
    except (InvalidOperation, ValueError):
        raise ValidationError({name: [_("Enter a number.")]}) from None


def _validate_quote_discount(value: Any) -> Decimal:
    discount = _decimal(value if value not in (None, "") else ZERO, "discount_percent")
    if discount < 0 or discount > HUNDRED:
        raise ValidationError({"discount_percent": [_("A discount must be between 0 and 100 %.")]})
    return discount


def _lock(quote: Quote, expected_version: int | None, *, editable: bool = True) -> Quote:
    """The quote re-read under a row lock: a stale version, or a frozen quote when
    ``editable``, is refused before anything is written."""
    locked = Quote.objects.select_for_update().select_related("company").get(pk=quote.pk)
    if expected_version is not None and expected_version != locked.version:
        raise ConflictError(locked.version)
    if editable and not locked.is_editable:
        raise ValidationError({"status": [locked_message(locked)]})
    return locked


def _bump(quote: Quote) -> None:
    Quote.objects.filter(pk=quote.pk).update(version=F("version") + 1, updated_at=timezone.now())
    quote.refresh_from_db(fields=["version", "updated_at"])


def _recompute(quote: Quote) -> pricing.Totals:
    """Recompute and store every line amount and the quote's totals."""
    lines = list(quote.lines.order_by("position", "id"))
    totals = pricing.apply_to_document(quote, lines, quote.discount_percent)
    QuoteLine.objects.bulk_update(lines, ["net_amount", "tax_amount", "total_amount"])
    Quote.objects.filter(pk=quote.pk).update(
        subtotal=quote.subtotal,
        discount_total=quote.discount_total,
        tax_total=quote.tax_total,
        total=quote.total,
    )
    return totals


def _totals_snapshot(quote: Quote) -> dict[str, str]:
    return {
        "subtotal": str(quote.subtotal),
        "discount_total": str(quote.discount_total),
        "tax_total": str(quote.tax_total),
        "total": str(quote.total),
    }


def _line_snapshot(line: QuoteLine) -> dict[str, Any]:
    return audit.snapshot(
        line,
        [
            "position",
            "product_id",
            "description",
            "quantity",
            "unit",
            "unit_price",
            "discount_percent",
            "tax_rate",
        ],
    )


def _record(
    *, actor: User | None, quote: Quote, changes: dict[str, Any], message: str = ""
) -> None:
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.CHANGE,
        obj=quote,
        changes=changes,
        related=quote.company,
        message=message,
    )


def _draft_from(line: Any) -> LineDraft:
    """A LineDraft from a draft, a stored line or a dict of fields."""
    if isinstance(line, LineDraft):
        return line
    if isinstance(line, dict):
        values = dict(line)
        errors: dict[str, list[str]] = {}
        for name in ("quantity", "unit_price", "discount_percent", "tax_rate"):
            if values.get(name) not in (None, ""):
                try:
                    values[name] = _decimal(values[name], name)
                except ValidationError as exc:
                    errors.update(exc.message_dict)
        if errors:
            raise ValidationError(errors)
        if values.get("tax_rate") in (None, ""):
            values["tax_rate"] = default_tax_rate()
        return LineDraft(
            description=str(values.get("description") or ""),
            quantity=values.get("quantity"),  # type: ignore[arg-type]
            unit_price=values.get("unit_price"),  # type: ignore[arg-type]
            unit=str(values.get("unit") or "pcs"),
            discount_percent=values.get("discount_percent") or ZERO,
            tax_rate=values["tax_rate"],
            product_id=values.get("product_id"),
            configuration=list(values.get("configuration") or []),
        )
    return LineDraft(
        description=line.description,
        quantity=line.quantity,
        unit_price=line.unit_price,
        unit=line.unit,
        discount_percent=line.discount_percent,
        tax_rate=line.tax_rate,
        product_id=line.product_id,
        configuration=list(line.configuration or []),
    )


def _line_from_draft(quote: Quote, draft: LineDraft, position: int) -> QuoteLine:
    """Validate a draft (naming the field) and turn it into an unsaved stored line."""
    pricing.validate_line(draft)
    line = QuoteLine(
        quote=quote,
        position=position,
        product_id=draft.product_id,
        description=draft.description.strip()[:500],
        configuration=draft.configuration,
        quantity=draft.quantity,
        unit=draft.unit,
        unit_price=draft.unit_price,
        discount_percent=draft.discount_percent or ZERO,
        tax_rate=draft.tax_rate or ZERO,
    )
    line.full_clean(exclude=["quote"])
    return line


# --- quotes ---------------------------------------------------------------------------------


@transaction.atomic
def quote_create(
    *,
    actor: User,
    deal: Any,
    contact: Contact | None = None,
    currency: str | None = None,
    price_list: Any = None,
    valid_until: datetime.date | None = None,
    language: str | None = None,
    discount_percent: Decimal | str | None = None,
    terms: str = "",
    notes: str = "",
    lines: Sequence[Any] = (),
    owner: User | None = None,
    team: Team | None = None,
) -> Quote:
    """A new draft quote for a deal: client and currency from the deal, prices from the deal
    currency's default price list, valid for the days our company details say, written in the
    client's language. Lines may be given at once (LineDraft or dicts)."""
    if not allows(actor, Action.VIEW, deal):
        raise PermissionDenied(_("You do not have permission to do this."))
    errors: dict[str, list[str]] = {}
    company = deal.company
    if contact is None:
        contact = deal.contacts.order_by("pk").first()
    elif not (
        contact.primary_company_id == company.pk
        or contact.employments.filter(company=company).exists()
        or deal.contacts.filter(pk=contact.pk).exists()
    ):
        errors["contact"] = [_("This contact does not work for the client.")]
    currency = currency or deal.currency
    if price_list is None:
        price_list = _default_price_list(currency)
    elif price_list.currency != currency:
        errors["price_list"] = [
            _("The price list is in %(currency)s; the quote is in another currency.")
            % {"currency": price_list.currency}
        ]
    try:
        discount = _validate_quote_discount(discount_percent)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        discount = ZERO
    if errors:
        raise ValidationError(errors)
    profile = get_seller_profile()
    quote = Quote(
        deal=deal,
        company=company,
        contact=contact,
        currency=currency,
        price_list=price_list,
        discount_percent=discount,
        valid_until=valid_until
        or timezone.localdate() + datetime.timedelta(days=profile.quote_validity_days),
        language=language or default_language(company=company, actor=actor),
        terms=terms,
        notes=notes,
        owner=owner or actor,
        team=team if team is not None else deal.team,
        number="pending",
    )
    require(actor, Action.ADD, quote)
    if quote.owner_id != actor.pk:
        require(actor, Action.REASSIGN, quote)
    quote.full_clean(exclude=["number"])
    quote.number = numbering.next_number("quote")
    stored = [
        _line_from_draft(quote, _draft_from(line), position)
        for position, line in enumerate(lines, start=1)
    ]
    record_create(obj=quote, actor=actor, check_permission=False)
    for line in stored:
        line.quote = quote
    QuoteLine.objects.bulk_create(stored)
    if stored:
        _recompute(quote)
    return quote


@transaction.atomic
def quote_update(
    *,
    actor: User,
    quote: Quote,
    fields: dict[str, Any],
    expected_version: int | None = None,
) -> Quote:
    """Change a draft's header (contact, discount, validity, language, terms…); totals are
    recomputed when the quote discount changes. A sent or decided quote is refused."""
    unknown = set(fields) - set(HEADER_FIELDS)
    if unknown:
        raise ValidationError({name: [_("Unknown field.")] for name in sorted(unknown)})
    require(actor, Action.CHANGE, quote)
    locked = _lock(quote, expected_version)
    values = dict(fields)
    if "discount_percent" in values:
        values["discount_percent"] = _validate_quote_discount(values["discount_percent"])
    if "owner" in values and values["owner"] is None:
        del values["owner"]
    if values.get("owner") is not None and values["owner"].pk != locked.owner_id:
        require(actor, Action.REASSIGN, locked)
    if values.get("price_list") is not None:
        currency = values.get("currency") or locked.currency
        if values["price_list"].currency != currency:
            raise ValidationError(
                {
                    "price_list": [
                        _("The price list is in %(currency)s; the quote is in another currency.")
                        % {"currency": values["price_list"].currency}
                    ]
                }
            )
    before = {**audit.snapshot(locked), **_totals_snapshot(locked)}
    for name, value in values.items():
        setattr(locked, name, value)
    locked.full_clean(exclude=["number"])
    locked.save(update_fields=[*values.keys()])
    _recompute(locked)
    after = {**audit.snapshot(locked), **_totals_snapshot(locked)}
    changes = audit.diff(before, after)
    if not changes:
        return locked
    _bump(locked)
    _record(actor=actor, quote=locked, changes=changes)
    return locked


@transaction.atomic
def quote_line_add(
    *,
    actor: User,
    quote: Quote,
    line: LineDraft | dict[str, Any],
    expected_version: int | None = None,
) -> QuoteLine:
    """Add a catalogue line (a LineDraft from the line picker or the configurator) or a
    free-text line at the end of a draft, and recompute the totals."""
    require(actor, Action.CHANGE, quote)
    locked = _lock(quote, expected_version)
    position = (
        locked.lines.order_by("-position").values_list("position", flat=True).first() or 0
    ) + 1
    stored = _line_from_draft(locked, _draft_from(line), position)
    before = _totals_snapshot(locked)
    stored.save()
    _recompute(locked)
    _bump(locked)
    _record(
        actor=actor,
        quote=locked,
        changes={
            f"line {position}": [None, _line_snapshot(stored)],
            **audit.diff(before, _totals_snapshot(locked)),
        },
        message=_("Line added: %(line)s") % {"line": stored.description},
    )
    stored.refresh_from_db()
    quote.version = locked.version
    return stored


@transaction.atomic
def quote_line_update(
    *,
    actor: User,
    quote: Quote,
    line: QuoteLine,
    fields: dict[str, Any] | LineDraft,
    expected_version: int | None = None,
) -> QuoteLine:
    """Change a line of a draft (quantity, price, discount, VAT, description) and recompute."""
    require(actor, Action.CHANGE, quote)
    locked = _lock(quote, expected_version)
    stored = locked.lines.select_for_update().filter(pk=line.pk).first()
    if stored is None:
        raise ValidationError({"line": [_("This line is not on the quote.")]})
    if isinstance(fields, LineDraft):
        values: dict[str, Any] = {
            "description": fields.description,
            "quantity": fields.quantity,
            "unit": fields.unit,
            "unit_price": fields.unit_price,
            "discount_percent": fields.discount_percent,
            "tax_rate": fields.tax_rate,
            "product_id": fields.product_id,
            "configuration": fields.configuration,
        }
    else:
        unknown = set(fields) - set(LINE_FIELDS)
        if unknown:
            raise ValidationError({name: [_("Unknown field.")] for name in sorted(unknown)})
        values = dict(fields)
    merged = {**{k: getattr(stored, k) for k in (*LINE_FIELDS, "product_id")}, **values}
    merged["configuration"] = values.get("configuration", stored.configuration)
    draft = _draft_from(merged)
    updated = _line_from_draft(locked, draft, stored.position)
    before_line = _line_snapshot(stored)
    before_totals = _totals_snapshot(locked)
    for name in (*LINE_FIELDS, "product_id", "configuration"):
        setattr(stored, name, getattr(updated, name))
    stored.save()
    _recompute(locked)
    changes = audit.diff(before_line, _line_snapshot(stored))
    if not changes:
        return stored
    _bump(locked)
    _record(
        actor=actor,
        quote=locked,
        changes={
            f"line {stored.position}": [before_line, _line_snapshot(stored)],
            **audit.diff(before_totals, _totals_snapshot(locked)),
        },
        message=_("Line changed: %(line)s") % {"line": stored.description},
    )
    stored.refresh_from_db()
    quote.version = locked.version
    return stored


@transaction.atomic
def quote_line_remove(
    *, actor: User, quote: Quote, line: QuoteLine, expected_version: int | None = None
) -> None:
    """Remove a line from a draft, renumber the rest and recompute."""
    require(actor, Action.CHANGE, quote)
    locked = _lock(quote, expected_version)
    stored = locked.lines.filter(pk=line.pk).first()
    if stored is None:
        raise ValidationError({"line": [_("This line is not on the quote.")]})
    before_line = _line_snapshot(stored)
    before_totals = _totals_snapshot(locked)
    stored.delete()
    remaining = list(locked.lines.order_by("position", "id"))
    for position, other in enumerate(remaining, start=1):
        other.position = position
    QuoteLine.objects.bulk_update(remaining, ["position"])
    _recompute(locked)
    _bump(locked)
    _record(
        actor=actor,
        quote=locked,
        changes={
            f"line {before_line['position']}": [before_line, None],
            **audit.diff(before_totals, _totals_snapshot(locked)),
        },
        message=_("Line removed: %(line)s") % {"line": before_line["description"]},
    )
    quote.version = locked.version


@transaction.atomic
def quote_lines_reorder(
    *,
    actor: User,
    quote: Quote,
    line_ids: Sequence[int],
    expected_version: int | None = None,
) -> None:
    """Put a draft's lines in the given order (every line id exactly once)."""
    require(actor, Action.CHANGE, quote)
    locked = _lock(quote, expected_version)
    lines = {line.pk: line for line in locked.lines.all()}
    ids = [int(i) for i in line_ids]
    if sorted(ids) != sorted(lines) or len(set(ids)) != len(ids):
        raise ValidationError({"lines": [_("Give every line of the quote exactly once.")]})
    before = sorted(lines, key=lambda pk: (lines[pk].position, pk))
    if before == ids:
        return
    for position, pk in enumerate(ids, start=1):
        lines[pk].position = position
    QuoteLine.objects.bulk_update(list(lines.values()), ["position"])
    _bump(locked)
    _record(actor=actor, quote=locked, changes={"line order": [before, ids]})
    quote.version = locked.version


def quote_line_move(
    *, actor: User, quote: Quote, line: QuoteLine, offset: int, expected_version: int | None = None
) -> None:
    """Move one line up (-1) or down (+1): the phone-friendly form of reordering."""
    ids = list(quote.lines.order_by("position", "id").values_list("pk", flat=True))
    if line.pk not in ids:
        raise ValidationError({"line": [_("This line is not on the quote.")]})
    index = ids.index(line.pk)
    target = max(0, min(len(ids) - 1, index + offset))
    ids.insert(target, ids.pop(index))
    quote_lines_reorder(actor=actor, quote=quote, line_ids=ids, expected_version=expected_version)


# --- status changes -------------------------------------------------------------------------


def _set_status(
    *,
    actor: User | None,
    locked: Quote,
    allowed_from: Sequence[str],
    values: dict[str, Any],
    message: str = "",
) -> Quote:
    """Move a locked quote to a new status, refusing illegal moves by naming the status."""
    if locked.status not in allowed_from or not locked.is_latest:
        if not locked.is_latest:
            raise ValidationError({"status": [locked_message(locked)]})
        raise ValidationError(
            {
                "status": [
                    _("A quote that is “%(status)s” cannot be “%(new)s”.")
                    % {
                        "status": locked.get_status_display(),
                        "new": Quote.Status(values["status"]).label,
                    }
                ]
            }
        )
    before = audit.snapshot(locked)
    for name, value in values.items():
        setattr(locked, name, value)
    locked.full_clean(exclude=["number"])
    locked.save(update_fields=list(values.keys()))
    _bump(locked)
    _record(
        actor=actor,
        quote=locked,
        changes=audit.diff(before, audit.snapshot(locked)),
        message=message,
    )
    return locked


@transaction.atomic
def quote_mark_sent(
    *, actor: User, quote: Quote, sent_to: str, expected_version: int | None = None
) -> Quote:
    """Record that a draft went to the client (called by the e-mail sending in
    ``accord.commerce.mail`` inside its transaction, or when the quote went by other means)."""
    require(actor, Action.CHANGE, quote)
    locked = _lock(quote, expected_version, editable=False)
    if not locked.lines.exists() and locked.status == Quote.Status.DRAFT:
        raise ValidationError({"lines": [_("Add at least one line before sending the quote.")]})
    return _set_status(
        actor=actor,
        locked=locked,
        allowed_from=[Quote.Status.DRAFT],
        values={"status": Quote.Status.SENT, "sent_at": timezone.now(), "sent_to": sent_to[:1000]},
    )


@transaction.atomic
def quote_accept(*, actor: User, quote: Quote, expected_version: int | None = None) -> Quote:
    """The client said yes: the sent quote is accepted and, in the same transaction, becomes
    an order (``order_from_quote``). Deal stages are left to the manager."""
    from accord.commerce.services_orders import order_from_quote

    require(actor, Action.CHANGE, quote)
    locked = _lock(quote, expected_version, editable=False)
    accepted = _set_status(
        actor=actor,
        locked=locked,
        allowed_from=[Quote.Status.SENT],
        values={"status": Quote.Status.ACCEPTED, "decided_at": timezone.now()},
    )
    order_from_quote(actor=actor, quote=accepted)
    return accepted


@transaction.atomic
def quote_reject(
    *, actor: User, quote: Quote, reason: str = "", expected_version: int | None = None
) -> Quote:
    """The client said no (the reason feeds the refusal analysis)."""
    require(actor, Action.CHANGE, quote)
    locked = _lock(quote, expected_version, editable=False)
    return _set_status(
        actor=actor,
        locked=locked,
        allowed_from=[Quote.Status.SENT],
        values={
            "status": Quote.Status.REJECTED,
            "decided_at": timezone.now(),
            "rejection_reason": (reason or "").strip()[:255],
        },
    )


@transaction.atomic
def quote_revise(*, actor: User, quote: Quote, expected_version: int | None = None) -> Quote:
    """A new draft revision of the latest revision: same number, revision + 1, the lines
    copied; the old revision stays as it was (what the client holds) and is no longer latest."""
    require(actor, Action.CHANGE, quote)
    locked = _lock(quote, expected_version, editable=False)
    if not locked.is_latest:
        raise ValidationError({"status": [locked_message(locked)]})
    profile = get_seller_profile()
    Quote.objects.filter(pk=locked.pk).update(
        is_latest=False, version=F("version") + 1, updated_at=timezone.now()
    )
    revision = Quote(
        number=locked.number,
        revision=locked.revision + 1,
        previous=locked,
        is_latest=True,
        deal=locked.deal,
        company=locked.company,
        contact=locked.contact,
        currency=locked.currency,
        price_list=locked.price_list,
        discount_percent=locked.discount_percent,
        valid_until=timezone.localdate() + datetime.timedelta(days=profile.quote_validity_days),
        language=locked.language,
        terms=locked.terms,
        notes=locked.notes,
        owner=locked.owner,
        team=locked.team,
    )
    record_create(obj=revision, actor=actor, check_permission=False)
    QuoteLine.objects.bulk_create(
        [
            QuoteLine(
                quote=revision,
                position=line.position,
                product_id=line.product_id,
                description=line.description,
                configuration=line.configuration,
                quantity=line.quantity,
                unit=line.unit,
                unit_price=line.unit_price,
                discount_percent=line.discount_percent,
                tax_rate=line.tax_rate,
            )
            for line in locked.lines.order_by("position", "id")
        ]
    )
    _recompute(revision)
    revision.refresh_from_db()
    _record(
        actor=actor,
        quote=locked,
        changes={"is_latest": [True, False]},
        message=_("Revised: revision %(revision)s made") % {"revision": revision.revision},
    )
    return revision


def quote_expire_due(*, today: datetime.date | None = None) -> int:
    """Sent quotes whose validity has run out become "expired" (a periodic job). Each quote
    is claimed with a conditional update, so two workers never expire one twice."""
    day = today or timezone.localdate()
    expired = 0
    candidates = list(
        Quote.objects.filter(status=Quote.Status.SENT, valid_until__lt=day).values_list(
            "pk", flat=True
        )[:1000]
    )
    for pk in candidates:
        with transaction.atomic():
            now = timezone.now()
            claimed = Quote.objects.filter(
                pk=pk, status=Quote.Status.SENT, valid_until__lt=day
            ).update(
                status=Quote.Status.EXPIRED,
                decided_at=now,
                version=F("version") + 1,
                updated_at=now,
            )
            if not claimed:
                continue
            quote = Quote.objects.select_related("company").get(pk=pk)
            _record(
                actor=None,
                quote=quote,
                changes={"status": [Quote.Status.SENT.value, Quote.Status.EXPIRED.value]},
                message=_("Expired: valid until %(date)s") % {"date": quote.valid_until},
            )
            expired += 1
    return expired
