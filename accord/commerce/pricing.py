"""Line and document totals in ``Decimal`` (S4): one implementation for quotes, orders and
invoices, so a quote, the order it becomes and the invoice for it never disagree by a kopeck.

Rules (those of Russian and French invoicing practice):
- line net = round(quantity × unit price × (1 − line discount), 2), half-up;
- the document discount applies to each line's net (so VAT per rate stays exact):
  line net after document discount = round(line net × (1 − document discount), 2);
- VAT is computed per line on its final net, rounded half-up to 2 places;
- totals are sums of the rounded line figures.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

ZERO = Decimal("0")
CENT = Decimal("0.01")
HUNDRED = Decimal("100")
QUANTITY_STEP = Decimal("0.001")


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class LineDraft:
    """A line before it is stored: what a form, the API or the configurator produces."""

    description: str
    quantity: Decimal
    unit_price: Decimal
    unit: str = "pcs"
    discount_percent: Decimal = ZERO
    tax_rate: Decimal = ZERO
    product_id: int | None = None
    configuration: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class LineAmounts:
    gross: Decimal  # quantity × unit price, before any discount
    net: Decimal  # after line and document discounts
    tax: Decimal
    total: Decimal


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal  # sum of gross
    discount_total: Decimal  # subtotal − sum of net
    tax_total: Decimal
    total: Decimal
    lines: tuple[LineAmounts, ...]
    tax_by_rate: tuple[tuple[Decimal, Decimal, Decimal], ...]  # (rate, net, tax)


def validate_line(line: Any, prefix: str = "") -> None:
    """Refuse what no document may contain, naming the field."""
    errors: dict[str, str] = {}
    if line.quantity is None or line.quantity <= 0:
        errors[f"{prefix}quantity"] = _("The quantity must be greater than zero.")
    if line.unit_price is None or line.unit_price < 0:
        errors[f"{prefix}unit_price"] = _("The price cannot be negative.")
    discount = line.discount_percent or ZERO
    if discount < 0 or discount > HUNDRED:
        errors[f"{prefix}discount_percent"] = _("A discount must be between 0 and 100 %.")
    tax = line.tax_rate or ZERO
    if tax < 0 or tax > HUNDRED:
        errors[f"{prefix}tax_rate"] = _("A VAT rate must be between 0 and 100 %.")
    if not (line.description or "").strip():
        errors[f"{prefix}description"] = _("Describe the line.")
    if errors:
        raise ValidationError(errors)


def line_amounts(line: Any, document_discount: Decimal = ZERO) -> LineAmounts:
    gross = money(line.quantity * line.unit_price)
    net = money(gross * (HUNDRED - (line.discount_percent or ZERO)) / HUNDRED)
    if document_discount:
        net = money(net * (HUNDRED - document_discount) / HUNDRED)
    tax = money(net * (line.tax_rate or ZERO) / HUNDRED)
    return LineAmounts(gross=gross, net=net, tax=tax, total=net + tax)


def compute(lines: Sequence[Any] | Iterable[Any], document_discount: Decimal = ZERO) -> Totals:
    """Totals of a document. ``lines`` are LineDraft or stored lines (same attribute names)."""
    if document_discount < 0 or document_discount > HUNDRED:
        raise ValidationError({"discount_percent": _("A discount must be between 0 and 100 %.")})
    amounts = tuple(line_amounts(line, document_discount) for line in lines)
    by_rate: dict[Decimal, list[Decimal]] = {}
    for line, amount in zip(lines, amounts, strict=True):
        rate = (line.tax_rate or ZERO).normalize()
        bucket = by_rate.setdefault(rate, [ZERO, ZERO])
        bucket[0] += amount.net
        bucket[1] += amount.tax
    subtotal = sum((a.gross for a in amounts), ZERO)
    net_total = sum((a.net for a in amounts), ZERO)
    tax_total = sum((a.tax for a in amounts), ZERO)
    return Totals(
        subtotal=subtotal,
        discount_total=subtotal - net_total,
        tax_total=tax_total,
        total=net_total + tax_total,
        lines=amounts,
        tax_by_rate=tuple((rate, net, tax) for rate, (net, tax) in sorted(by_rate.items())),
    )


def apply_to_document(
    document: Any, lines: Sequence[Any], document_discount: Decimal = ZERO
) -> Totals:
    """Store computed amounts on stored lines (not saved) and on the document (not saved)."""
    totals = compute(lines, document_discount)
    for line, amount in zip(lines, totals.lines, strict=True):
        line.net_amount = amount.net
        line.tax_amount = amount.tax
        line.total_amount = amount.total
    document.subtotal = totals.subtotal
    document.discount_total = totals.discount_total
    document.tax_total = totals.tax_total
    document.total = totals.total
    return totals
