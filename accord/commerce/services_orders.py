"""Writes to orders and shipments (S3, T4, D3). The UI, the API and the quote service all come
here, so the status machine, the line rules and the audit trail hold on every path.

Status machine (ARCHITECTURE.md rule 6)::

    new ──► confirmed ──► partially shipped ──► shipped ──► completed
     │          │   └─────────────────────────────┘
     └──────────┴──► cancelled (with a reason)

Confirming freezes the lines (what the client agreed to is what ships and is invoiced).
Shipments move an order to *partially shipped* / *shipped* by themselves; the manual moves are
confirm, complete and cancel.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accord.commerce import numbering, pricing
from accord.commerce.models import Order, OrderLine, Quote, Shipment, ShipmentLine
from accord.commerce.pricing import LineDraft
from accord.core import audit
from accord.core.errors import ConflictError
from accord.core.models import AuditEntry, User
from accord.core.permissions import Action, require, restrict
from accord.core.records import record_create
from accord.parties.models import Company, Contact

ZERO = Decimal("0")
LINE_COPY_FIELDS = (
    "position",
    "product_id",
    "description",
    "configuration",
    "quantity",
    "unit",
    "unit_price",
    "discount_percent",
    "tax_rate",
)
HEADER_FIELDS = (
    "contact",
    "channel",
    "ordered_on",
    "delivery_date",
    "delivery_address",
    "customer_reference",
    "notes",
    "owner",
    "team",
)
# Moves a person asks for; shipments make the others.
MANUAL_MOVES: dict[str, frozenset[str]] = {
    Order.Status.NEW: frozenset({Order.Status.CONFIRMED, Order.Status.CANCELLED}),
    Order.Status.CONFIRMED: frozenset({Order.Status.CANCELLED}),
    Order.Status.SHIPPED: frozenset({Order.Status.COMPLETED}),
}
SHIPPABLE = frozenset({Order.Status.CONFIRMED, Order.Status.PARTIALLY_SHIPPED})


def document_discount(order: Order) -> Decimal:
    """An order from a quote keeps the quote's document discount, so its lines and totals stay
    exactly those of the accepted quote (one pricing rule for both)."""
    if order.quote_id is None:
        return ZERO
    return order.quote.discount_percent if order.quote else ZERO


def _status_label(status: str) -> str:
    return str(Order.Status(status).label)


def _lock(order: Order, expected_version: int | None) -> Order:
    """Re-read the order under a row lock; a stale version is refused before anything changes."""
    # of=("self",): the quote is a nullable (outer) join, which PostgreSQL cannot lock.
    locked = (
        Order.objects.select_for_update(of=("self",))
        .select_related("quote", "company")
        .get(pk=order.pk)
    )
    if expected_version is not None and expected_version != locked.version:
        raise ConflictError(locked.version)
    return locked


def _bump(order: Order) -> None:
    Order.objects.filter(pk=order.pk).update(version=F("version") + 1, updated_at=timezone.now())
    order.refresh_from_db()


def _resolve_contact(actor: User, company: Company, contact: Any) -> Contact | None:
    from accord.parties.selectors import contacts_visible_to

    if contact in (None, ""):
        return None
    try:
        return contacts_visible_to(actor).get(pk=int(getattr(contact, "pk", contact)))
    except (Contact.DoesNotExist, ValueError, TypeError):
        raise ValidationError({"contact": [_("Contact not found.")]}) from None


def _resolve_company(actor: User, company: Any) -> Company:
    from accord.parties.selectors import get_company_for

    if company in (None, ""):
        raise ValidationError({"company": [_("Choose the client.")]})
    try:
        return get_company_for(actor, getattr(company, "pk", company))
    except Http404:
        raise ValidationError({"company": [_("Company not found.")]}) from None


def _resolve_deal(actor: User, company: Company, deal: Any) -> Any:
    from accord.sales.models import Deal

    if deal in (None, ""):
        return None
    try:
        found = restrict(Deal.objects.all(), actor).get(pk=int(getattr(deal, "pk", deal)))
    except (Deal.DoesNotExist, ValueError, TypeError):
        raise ValidationError({"deal": [_("Deal not found.")]}) from None
    if found.company_id != company.pk:
        raise ValidationError({"deal": [_("This deal belongs to another client.")]})
    return found


def build_line(draft: LineDraft, *, order: Order, position: int, prefix: str = "") -> OrderLine:
    """An unsaved order line from a draft, validated field by field (errors carry ``prefix``)."""
    pricing.validate_line(draft, prefix)
    line = OrderLine(
        order=order,
        position=position,
        product_id=draft.product_id,
        description=draft.description.strip(),
        configuration=list(draft.configuration or []),
        quantity=draft.quantity,
        unit=draft.unit,
        unit_price=draft.unit_price,
        discount_percent=draft.discount_percent or ZERO,
        tax_rate=draft.tax_rate or ZERO,
    )
    try:
        line.full_clean(exclude=["order"])
    except ValidationError as exc:
        raise ValidationError({f"{prefix}{k}": v for k, v in exc.message_dict.items()}) from None
    return line


def _line_label(line: Any) -> str:
    return f"{line.description} × {line.quantity.normalize():f}"


def _recompute(order: Order) -> list[OrderLine]:
    """Store line amounts and document totals from the pricing rules (no float, one rule)."""
    lines = list(order.lines.all())
    pricing.apply_to_document(order, lines, document_discount(order))
    OrderLine.objects.bulk_update(lines, ["net_amount", "tax_amount", "total_amount"])
    Order.objects.filter(pk=order.pk).update(
        subtotal=order.subtotal,
        discount_total=order.discount_total,
        tax_total=order.tax_total,
        total=order.total,
    )
    return lines


def _totals_changes(before: dict[str, Any], order: Order) -> dict[str, list[Any]]:
    after = audit.snapshot(order, ["subtotal", "discount_total", "tax_total", "total"])
    return audit.diff(before, after)


@transaction.atomic
def order_create(
    *,
    actor: User,
    company: Company,
    lines: Sequence[LineDraft],
    contact: Contact | None = None,
    deal: Any = None,
    channel: str = Order.Channel.PHONE,
    currency: str | None = None,
    ordered_on: datetime.date | None = None,
    notes: str = "",
    delivery_date: datetime.date | None = None,
    delivery_address: str = "",
    customer_reference: str = "",
    owner: User | None = None,
    team: Any = None,
    confirm: bool = False,
) -> Order:
    """Take an order (by phone from the client card, from the API, by hand): at least one line,
    totals from the pricing rules, a number from the sequence. ``confirm`` confirms it in the
    same step ("confirm as you save"), which freezes the lines."""
    errors: dict[str, Any] = {}
    resolved_company: Company | None = None
    try:
        resolved_company = _resolve_company(actor, company)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if resolved_company is not None:
        for resolver, name, value in (
            (_resolve_contact, "contact", contact),
            (_resolve_deal, "deal", deal),
        ):
            try:
                if name == "contact":
                    contact = resolver(actor, resolved_company, value)
                else:
                    deal = resolver(actor, resolved_company, value)
            except ValidationError as exc:
                errors.update(exc.message_dict)
    if channel not in Order.Channel.values:
        errors["channel"] = [_("Choose how the order came in.")]
    currency = currency or (deal.currency if deal is not None else settings.ACCORD_CURRENCIES[0])
    if not lines:
        errors["lines"] = [_("Add at least one line.")]
    if errors:
        raise ValidationError(errors)
    assert resolved_company is not None
    order = Order(
        company=resolved_company,
        contact=contact,
        deal=deal,
        channel=channel,
        currency=currency,
        ordered_on=ordered_on or timezone.localdate(),
        notes=notes,
        delivery_date=delivery_date,
        delivery_address=delivery_address,
        customer_reference=customer_reference,
        owner=owner or actor,
        team=team if team is not None else resolved_company.team,
    )
    built: list[OrderLine] = []
    for index, draft in enumerate(lines):
        try:
            built.append(
                build_line(draft, order=order, position=index + 1, prefix=f"lines-{index}-")
            )
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    pricing.apply_to_document(order, built)
    if order.owner_id != actor.pk:
        require(actor, Action.REASSIGN, order)
    order.number = numbering.next_number("order")
    record_create(obj=order, actor=actor, extra_values={"lines": [_line_label(x) for x in built]})
    for line in built:
        line.order = order
    OrderLine.objects.bulk_create(built)
    if confirm:
        order = order_set_status(actor=actor, order=order, status=Order.Status.CONFIRMED)
    return order


@transaction.atomic
def order_from_quote(*, actor: User, quote: Quote) -> Order:
    """The order an accepted quote becomes: the same lines, amounts and totals to the kopeck,
    status *new*, channel *accepted quote*, linked to the quote and its deal. Called by the quote
    service inside its own transaction, so a refusal here undoes the acceptance too."""
    if Order.objects.filter(quote=quote).exists():
        raise ValidationError({"quote": [_("This quote has already become an order.")]})
    order = Order(
        company_id=quote.company_id,
        contact_id=quote.contact_id,
        deal_id=quote.deal_id,
        quote=quote,
        channel=Order.Channel.QUOTE,
        currency=quote.currency,
        ordered_on=timezone.localdate(),
        notes=quote.notes,
        owner_id=quote.owner_id,
        team_id=quote.team_id,
    )
    lines = [
        OrderLine(**{name: getattr(source, name) for name in LINE_COPY_FIELDS})
        for source in quote.lines.all().order_by("position", "id")
    ]
    pricing.apply_to_document(order, lines, quote.discount_percent)
    order.number = numbering.next_number("order")
    record_create(
        obj=order,
        actor=actor,
        extra_values={"lines": [_line_label(x) for x in lines], "quote": str(quote)},
    )
    for line in lines:
        line.order = order
    OrderLine.objects.bulk_create(lines)
    return order


@transaction.atomic
def order_update(
    *,
    actor: User,
    order: Order,
    fields: Mapping[str, Any],
    expected_version: int | None = None,
) -> Order:
    """Change the header (contact, channel, dates, delivery, reference, notes, owner, team).
    Lines, status and totals have their own services; a cancelled or completed order is closed."""
    from accord.core.records import record_update

    unknown = set(fields) - set(HEADER_FIELDS)
    if unknown:
        raise ValidationError({name: [_("Unknown field.")] for name in sorted(unknown)})
    require(actor, Action.CHANGE, order)
    locked = _lock(order, expected_version)
    if locked.status in (Order.Status.CANCELLED, Order.Status.COMPLETED):
        raise ValidationError(
            {
                "status": [
                    _("A %(status)s order cannot be changed.")
                    % {"status": _status_label(locked.status).lower()}
                ]
            }
        )
    data = dict(fields)
    if "contact" in data:
        data["contact"] = _resolve_contact(actor, locked.company, data["contact"])
    if "channel" in data and data["channel"] not in Order.Channel.values:
        raise ValidationError({"channel": [_("Choose how the order came in.")]})
    if "owner" in data and data["owner"] is None:
        raise ValidationError({"owner": [_("Choose an owner.")]})
    if "owner" in data and getattr(data["owner"], "pk", None) != locked.owner_id:
        require(actor, Action.REASSIGN, locked)
    updated, _changes = record_update(
        obj=locked, data=data, actor=actor, expected_version=expected_version
    )
    return updated


def _require_lines_open(order: Order) -> None:
    if order.status != Order.Status.NEW:
        raise ValidationError(
            {
                "status": [
                    _(
                        "The lines of a %(status)s order are frozen; only a new order's lines "
                        "can be changed."
                    )
                    % {"status": _status_label(order.status).lower()}
                ]
            }
        )


def _record_lines_change(
    *, actor: User, order: Order, before: dict[str, Any], line_change: list[Any]
) -> Order:
    _recompute(order)
    _bump(order)
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.CHANGE,
        obj=order,
        changes={"lines": line_change, **_totals_changes(before, order)},
        related=order.company,
    )
    return order


@transaction.atomic
def order_line_add(
    *, actor: User, order: Order, line: LineDraft, expected_version: int | None = None
) -> OrderLine:
    """Add a line to a new order; totals are recomputed and the change is audited."""
    require(actor, Action.CHANGE, order)
    locked = _lock(order, expected_version)
    _require_lines_open(locked)
    before = audit.snapshot(locked, ["subtotal", "discount_total", "tax_total", "total"])
    position = (locked.lines.aggregate(top=Max("position"))["top"] or 0) + 1
    built = build_line(line, order=locked, position=position)
    built.save()
    _record_lines_change(
        actor=actor, order=locked, before=before, line_change=[None, _line_label(built)]
    )
    built.refresh_from_db()
    return built


def _get_line(order: Order, line: Any) -> OrderLine:
    try:
        return OrderLine.objects.select_for_update().get(
            pk=int(getattr(line, "pk", line)), order_id=order.pk
        )
    except (OrderLine.DoesNotExist, ValueError, TypeError):
        raise ValidationError({"line": [_("This line is not on the order.")]}) from None


@transaction.atomic
def order_line_update(
    *,
    actor: User,
    order: Order,
    line: OrderLine | int,
    fields: Mapping[str, Any],
    expected_version: int | None = None,
) -> OrderLine:
    """Change a line of a new order (quantity, price, discount, VAT, description)."""
    allowed = {"description", "quantity", "unit", "unit_price", "discount_percent", "tax_rate"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError({name: [_("Unknown field.")] for name in sorted(unknown)})
    require(actor, Action.CHANGE, order)
    locked = _lock(order, expected_version)
    _require_lines_open(locked)
    stored = _get_line(locked, line)
    before_label = _line_label(stored)
    before = audit.snapshot(locked, ["subtotal", "discount_total", "tax_total", "total"])
    draft = LineDraft(
        description=fields.get("description", stored.description),
        quantity=fields.get("quantity", stored.quantity),
        unit_price=fields.get("unit_price", stored.unit_price),
        unit=fields.get("unit", stored.unit),
        discount_percent=fields.get("discount_percent", stored.discount_percent),
        tax_rate=fields.get("tax_rate", stored.tax_rate),
        product_id=stored.product_id,
        configuration=stored.configuration,
    )
    built = build_line(draft, order=locked, position=stored.position)
    built.pk = stored.pk
    built.save()
    _record_lines_change(
        actor=actor, order=locked, before=before, line_change=[before_label, _line_label(built)]
    )
    built.refresh_from_db()
    return built


@transaction.atomic
def order_line_remove(
    *, actor: User, order: Order, line: OrderLine | int, expected_version: int | None = None
) -> Order:
    """Remove a line from a new order; the last line cannot go (cancel the order instead)."""
    require(actor, Action.CHANGE, order)
    locked = _lock(order, expected_version)
    _require_lines_open(locked)
    stored = _get_line(locked, line)
    if locked.lines.count() <= 1:
        raise ValidationError(
            {"line": [_("An order keeps at least one line; cancel the order instead.")]}
        )
    before = audit.snapshot(locked, ["subtotal", "discount_total", "tax_total", "total"])
    label = _line_label(stored)
    stored.delete()
    return _record_lines_change(actor=actor, order=locked, before=before, line_change=[label, None])


def _set_status(*, actor: User, order: Order, status: str, message: str = "") -> Order:
    """Write a status change (already validated) with its audit entry."""
    old = order.status
    values: dict[str, Any] = {"status": status}
    changes: dict[str, list[Any]] = {"status": [old, status]}
    if status == Order.Status.COMPLETED:
        values["fulfilled_at"] = timezone.now()
        changes["fulfilled_at"] = [None, values["fulfilled_at"].isoformat()]
    Order.objects.filter(pk=order.pk).update(
        **values, version=F("version") + 1, updated_at=timezone.now()
    )
    order.refresh_from_db()
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.CHANGE,
        obj=order,
        changes=changes,
        related=order.company,
        message=message,
    )
    if status == Order.Status.COMPLETED:
        from accord.feedback.services import survey_create_for_order  # V4: ask for a rating

        survey_create_for_order(order=order, actor=actor)
    return order


def allowed_moves(order: Order) -> list[str]:
    """The statuses a person may move this order to now (for the buttons and the API)."""
    return [s for s in Order.Status.values if s in MANUAL_MOVES.get(order.status, frozenset())]


@transaction.atomic
def order_set_status(
    *,
    actor: User,
    order: Order,
    status: str,
    reason: str = "",
    expected_version: int | None = None,
) -> Order:
    """Confirm, complete or cancel an order. Illegal moves are refused naming ``status`` and
    change nothing; shipping statuses come from shipments only; a cancel needs a reason."""
    require(actor, Action.CHANGE, order)
    locked = _lock(order, expected_version)
    if status not in Order.Status.values:
        raise ValidationError({"status": [_("Unknown status.")]})
    if status not in MANUAL_MOVES.get(locked.status, frozenset()):
        if status in (Order.Status.PARTIALLY_SHIPPED, Order.Status.SHIPPED):
            message = _("An order becomes shipped by recording its shipments.")
        else:
            message = _("An order cannot go from “%(old)s” to “%(new)s”.") % {
                "old": _status_label(locked.status),
                "new": _status_label(status),
            }
        raise ValidationError({"status": [message]})
    if status == Order.Status.CANCELLED:
        reason = (reason or "").strip()
        if not reason:
            raise ValidationError({"reason": [_("Say why the order is cancelled.")]})
        if locked.invoices.exclude(status="cancelled").exists():
            raise ValidationError(
                {"status": [_("Cancel the order's invoices before cancelling the order.")]}
            )
    return _set_status(actor=actor, order=locked, status=status, message=reason[:300])


def order_cancel(
    *, actor: User, order: Order, reason: str, expected_version: int | None = None
) -> Order:
    """Cancel a new or confirmed order, saying why (the reason lands in its history)."""
    return order_set_status(
        actor=actor,
        order=order,
        status=Order.Status.CANCELLED,
        reason=reason,
        expected_version=expected_version,
    )


# --- Shipments -----------------------------------------------------------------------------


def _parse_quantity(value: Any) -> Decimal | None:
    if value in (None, ""):
        return ZERO
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value).replace(",", ".").strip())
    except InvalidOperation:
        return None


def _shipping_status(order: Order) -> str:
    lines = list(order.lines.values_list("quantity", "quantity_shipped"))
    if lines and all(shipped >= quantity for quantity, shipped in lines):
        return Order.Status.SHIPPED
    if any(shipped > 0 for _quantity, shipped in lines):
        return Order.Status.PARTIALLY_SHIPPED
    return Order.Status.CONFIRMED


@transaction.atomic
def shipment_create(
    *,
    actor: User,
    order: Order,
    quantities: Mapping[Any, Any],
    shipped_on: datetime.date | None = None,
    carrier: str = "",
    tracking_number: str = "",
    notes: str = "",
    expected_version: int | None = None,
) -> Shipment:
    """Record a (partial) shipment: ``quantities`` maps order lines (or their ids) to the
    quantity leaving now. Each must be positive and at most what remains to ship, else the
    line is named and nothing changes. The order moves to partially shipped / shipped."""
    require(actor, Action.CHANGE, order)
    locked = _lock(order, expected_version)
    if locked.status not in SHIPPABLE:
        raise ValidationError(
            {
                "status": [
                    _("Only a confirmed order can be shipped; this one is “%(status)s”.")
                    % {"status": _status_label(locked.status)}
                ]
            }
        )
    lines = {
        line.pk: line for line in OrderLine.objects.select_for_update().filter(order_id=locked.pk)
    }
    errors: dict[str, list[str]] = {}
    chosen: list[tuple[OrderLine, Decimal]] = []
    for key, raw in quantities.items():
        try:
            line_id = int(getattr(key, "pk", key))
        except (TypeError, ValueError):
            line_id = -1
        line = lines.get(line_id)
        field = f"line-{line_id}"
        if line is None:
            errors[field] = [_("This line is not on the order.")]
            continue
        quantity = _parse_quantity(raw)
        if quantity is None:
            errors[field] = [_("Enter a number.")]
            continue
        if quantity == 0:
            continue
        remaining = line.quantity - line.quantity_shipped
        if quantity < 0:
            errors[field] = [_("The quantity must be greater than zero.")]
        elif quantity > remaining:
            errors[field] = [
                _("Only %(remaining)s of “%(line)s” remain to ship.")
                % {"remaining": f"{remaining.normalize():f}", "line": line.description}
            ]
        else:
            chosen.append((line, quantity))
    if not chosen and not errors:
        errors["lines"] = [_("Enter the quantity shipped for at least one line.")]
    if errors:
        raise ValidationError(errors)
    shipment = Shipment(
        order=locked,
        number=numbering.next_number("shipment"),
        shipped_on=shipped_on or timezone.localdate(),
        carrier=carrier,
        tracking_number=tracking_number,
        notes=notes,
        created_by=actor,
    )
    record_create(
        obj=shipment,
        actor=actor,
        check_permission=False,
        extra_values={"lines": [f"{line.description} × {q.normalize():f}" for line, q in chosen]},
    )
    ShipmentLine.objects.bulk_create(
        [ShipmentLine(shipment=shipment, order_line=line, quantity=q) for line, q in chosen]
    )
    for line, quantity in chosen:
        OrderLine.objects.filter(pk=line.pk).update(
            quantity_shipped=F("quantity_shipped") + quantity
        )
    new_status = _shipping_status(locked)
    if new_status != locked.status:
        _set_status(actor=actor, order=locked, status=new_status, message=shipment.number)
    else:
        _bump(locked)
    return shipment


@transaction.atomic
def shipment_delete(*, actor: User, shipment: Shipment) -> Order:
    """Undo the latest shipment of an order (a typing error): quantities go back and the order
    returns to partially shipped / confirmed. Earlier shipments and completed orders stay."""
    order = shipment.order
    require(actor, Action.CHANGE, order)
    locked = _lock(order, None)
    if locked.status in (Order.Status.COMPLETED, Order.Status.CANCELLED):
        raise ValidationError(
            {"status": [_("The shipments of a completed order cannot be removed.")]}
        )
    latest = locked.shipments.order_by("-id").values_list("pk", flat=True).first()
    if latest != shipment.pk:
        raise ValidationError({"shipment": [_("Only the latest shipment can be removed.")]})
    for shipped in shipment.lines.all():
        OrderLine.objects.filter(pk=shipped.order_line_id).update(
            quantity_shipped=F("quantity_shipped") - shipped.quantity
        )
    entry = audit.build(
        actor=actor,
        action=AuditEntry.Kind.DELETE,
        obj=shipment,
        changes={
            "number": [shipment.number, None],
            "lines": [
                [
                    f"{s.order_line.description} × {s.quantity.normalize():f}"
                    for s in shipment.lines.select_related("order_line")
                ],
                None,
            ],
        },
        related=locked.company,
    )
    shipment.delete()
    entry.save()
    new_status = _shipping_status(locked)
    if new_status != locked.status:
        return _set_status(actor=actor, order=locked, status=new_status)
    _bump(locked)
    return locked
