"""Writes to invoices and payments (D3): entered by hand today, imported from accounting later
through the same functions.

Statuses: draft → issued → partially paid → paid, and cancelled (only while nothing is paid).
``amount_paid`` and the status are recomputed from the payments in the same transaction as each
payment is added or removed, so the balance due never disagrees with the payments listed.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accord.commerce import numbering, pricing
from accord.commerce.models import (
    Invoice,
    InvoiceLine,
    Order,
    OrderLine,
    Payment,
    SellerProfile,
)
from accord.commerce.pricing import LineDraft
from accord.commerce.services_orders import _parse_quantity, document_discount
from accord.core import audit
from accord.core.errors import ConflictError
from accord.core.models import AuditEntry, Picklist, PicklistOption, User
from accord.core.permissions import Action, require
from accord.core.records import record_create
from accord.parties.models import Company, Contact

ZERO = Decimal("0")
DEFAULT_PAYMENT_TERMS_DAYS = 14
PAYABLE = frozenset({Invoice.Status.ISSUED, Invoice.Status.PARTIALLY_PAID, Invoice.Status.PAID})


def payment_terms_days() -> int:
    """Our payment terms from the company details, or two weeks before they are filled in."""
    profile = SellerProfile.objects.first()
    return profile.payment_terms_days if profile is not None else DEFAULT_PAYMENT_TERMS_DAYS


def invoiced_quantities(order: Order) -> dict[int, Decimal]:
    """How much of each order line is already on an invoice that is not cancelled."""
    rows = (
        InvoiceLine.objects.filter(order_line__order=order)
        .exclude(invoice__status=Invoice.Status.CANCELLED)
        .values("order_line_id")
        .annotate(total=Sum("quantity"))
    )
    return {row["order_line_id"]: row["total"] or ZERO for row in rows}


def uninvoiced(order: Order) -> list[tuple[OrderLine, Decimal]]:
    """Order lines with the quantity still to invoice (for the form and the default invoice)."""
    done = invoiced_quantities(order)
    result = []
    for line in order.lines.all():
        remaining = line.quantity - done.get(line.pk, ZERO)
        if remaining > 0:
            result.append((line, remaining))
    return result


def _line_from_order_line(line: OrderLine, quantity: Decimal, position: int) -> InvoiceLine:
    return InvoiceLine(
        position=position,
        order_line=line,
        product_id=line.product_id,
        description=line.description,
        configuration=line.configuration,
        quantity=quantity,
        unit=line.unit,
        unit_price=line.unit_price,
        discount_percent=line.discount_percent,
        tax_rate=line.tax_rate,
    )


def _order_lines(
    order: Order, quantities: Mapping[Any, Any] | None, errors: dict[str, Any]
) -> list[InvoiceLine]:
    """Invoice lines for an order: all that remains, or the chosen quantities (≤ remaining)."""
    remaining = {line.pk: (line, left) for line, left in uninvoiced(order)}
    if quantities is None:
        if not remaining:
            errors["order"] = [_("Everything on this order is already invoiced.")]
        return [
            _line_from_order_line(line, left, i + 1)
            for i, (line, left) in enumerate(remaining.values())
        ]
    built: list[InvoiceLine] = []
    valid_ids = set(order.lines.values_list("pk", flat=True))
    for key, raw in quantities.items():
        try:
            line_id = int(getattr(key, "pk", key))
        except (TypeError, ValueError):
            line_id = -1
        field = f"line-{line_id}"
        quantity = _parse_quantity(raw)
        if line_id not in valid_ids:
            errors[field] = [_("This line is not on the order.")]
        elif quantity is None:
            errors[field] = [_("Enter a number.")]
        elif quantity < 0:
            errors[field] = [_("The quantity must be greater than zero.")]
        elif quantity == 0:
            continue
        elif line_id not in remaining or quantity > remaining[line_id][1]:
            left = remaining[line_id][1] if line_id in remaining else ZERO
            line = remaining[line_id][0] if line_id in remaining else order.lines.get(pk=line_id)
            errors[field] = [
                _("Only %(remaining)s of “%(line)s” remain to invoice.")
                % {"remaining": f"{left.normalize():f}", "line": line.description}
            ]
        else:
            built.append(_line_from_order_line(remaining[line_id][0], quantity, len(built) + 1))
    if not built and not errors:
        errors["lines"] = [_("Enter the quantity to invoice for at least one line.")]
    return built


def _resolve_company(actor: User, company: Any) -> Company:
    from accord.parties.selectors import get_company_for

    if company in (None, ""):
        raise ValidationError({"company": [_("Choose the client.")]})
    try:
        return get_company_for(actor, getattr(company, "pk", company))
    except Http404:
        raise ValidationError({"company": [_("Company not found.")]}) from None


def _resolve_project_stage(actor: User, company: Company, stage: Any) -> Any:
    from accord.projects.models import ProjectStage

    if stage in (None, ""):
        return None
    from accord.core.permissions import restrict
    from accord.projects.models import Project

    try:
        found = ProjectStage.objects.select_related("project").get(
            pk=int(getattr(stage, "pk", stage))
        )
    except (ProjectStage.DoesNotExist, ValueError, TypeError):
        raise ValidationError({"project_stage": [_("Project stage not found.")]}) from None
    if not restrict(Project.objects.filter(pk=found.project_id), actor).exists():
        raise ValidationError({"project_stage": [_("Project stage not found.")]})
    if found.project.company_id != company.pk:
        raise ValidationError({"project_stage": [_("This project belongs to another client.")]})
    return found


@transaction.atomic
def invoice_create(
    *,
    actor: User,
    company: Company | None = None,
    order: Order | None = None,
    order_quantities: Mapping[Any, Any] | None = None,
    lines: Sequence[LineDraft] = (),
    contact: Contact | None = None,
    currency: str | None = None,
    issued_on: datetime.date | None = None,
    due_on: datetime.date | None = None,
    notes: str = "",
    external_reference: str = "",
    project_stage: Any = None,
    owner: User | None = None,
    issue: bool = False,
) -> Invoice:
    """Bill a client: from an order (everything not yet invoiced, or the chosen quantities per
    order line) or free lines for a company. The due date follows our payment terms unless
    given; ``project_stage`` links the invoice to a project's payment milestone. ``issue``
    issues it at once (otherwise it starts as a draft)."""
    from django.conf import settings

    errors: dict[str, Any] = {}
    if order is not None:
        require(actor, Action.VIEW, order)
        if order.status == Order.Status.CANCELLED:
            raise ValidationError({"order": [_("A cancelled order cannot be invoiced.")]})
        resolved = order.company
        if company is not None and getattr(company, "pk", company) != resolved.pk:
            errors["company"] = [_("The order belongs to another client.")]
        contact = contact if contact is not None else order.contact
        currency = order.currency
    else:
        try:
            resolved = _resolve_company(actor, company)
        except ValidationError as exc:
            raise exc from None
    if contact is not None:
        from accord.parties.selectors import contacts_visible_to

        if not contacts_visible_to(actor).filter(pk=getattr(contact, "pk", contact)).exists():
            errors["contact"] = [_("Contact not found.")]
    try:
        stage = _resolve_project_stage(actor, resolved, project_stage)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        stage = None
    issued_on = issued_on or timezone.localdate()
    due_on = due_on or issued_on + datetime.timedelta(days=payment_terms_days())
    if due_on < issued_on:
        errors["due_on"] = [_("The due date cannot be before the issue date.")]
    invoice = Invoice(
        company=resolved,
        contact_id=getattr(contact, "pk", contact),
        order=order,
        project_stage=stage,
        currency=currency or settings.ACCORD_CURRENCIES[0],
        issued_on=issued_on,
        due_on=due_on,
        notes=notes,
        external_reference=external_reference,
        owner=owner or actor,
        team=resolved.team,
    )
    built: list[InvoiceLine] = []
    if order is not None and (order_quantities is not None or not lines):
        built = _order_lines(order, order_quantities, errors)
    for index, draft in enumerate(lines):
        prefix = f"lines-{index}-"
        try:
            pricing.validate_line(draft, prefix)
        except ValidationError as exc:
            errors.update(exc.message_dict)
            continue
        built.append(
            InvoiceLine(
                position=len(built) + 1,
                product_id=draft.product_id,
                description=draft.description.strip(),
                configuration=list(draft.configuration or []),
                quantity=draft.quantity,
                unit=draft.unit,
                unit_price=draft.unit_price,
                discount_percent=draft.discount_percent or ZERO,
                tax_rate=draft.tax_rate or ZERO,
            )
        )
    if not built and not errors:
        errors["lines"] = [_("Add at least one line.")]
    if errors:
        raise ValidationError(errors)
    for line in built:
        try:
            line.full_clean(exclude=["invoice", "order_line"])
        except ValidationError as exc:
            raise ValidationError(
                {f"lines-{line.position - 1}-{k}": v for k, v in exc.message_dict.items()}
            ) from None
    pricing.apply_to_document(invoice, built, document_discount(order) if order else ZERO)
    if invoice.owner_id != actor.pk:
        require(actor, Action.REASSIGN, invoice)
    invoice.number = numbering.next_number("invoice")
    record_create(
        obj=invoice,
        actor=actor,
        extra_values={
            "lines": [f"{x.description} × {x.quantity.normalize():f}" for x in built],
        },
    )
    for line in built:
        line.invoice = invoice
    InvoiceLine.objects.bulk_create(built)
    if issue:
        invoice = invoice_issue(actor=actor, invoice=invoice)
    return invoice


def _lock(invoice: Invoice, expected_version: int | None) -> Invoice:
    locked = Invoice.objects.select_for_update().select_related("company").get(pk=invoice.pk)
    if expected_version is not None and expected_version != locked.version:
        raise ConflictError(locked.version)
    return locked


def _write(*, actor: User, invoice: Invoice, values: dict[str, Any], message: str = "") -> Invoice:
    """Store status / amount changes with a version bump and one audit entry."""
    changes = {
        name: [audit._plain(getattr(invoice, name)), audit._plain(value)]
        for name, value in values.items()
        if getattr(invoice, name) != value
    }
    if not changes:
        return invoice
    Invoice.objects.filter(pk=invoice.pk).update(
        **values, version=F("version") + 1, updated_at=timezone.now()
    )
    invoice.refresh_from_db()
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.CHANGE,
        obj=invoice,
        changes=changes,
        related=invoice.company,
        message=message,
    )
    return invoice


def _status_label(status: str) -> str:
    return str(Invoice.Status(status).label)


@transaction.atomic
def invoice_issue(*, actor: User, invoice: Invoice, expected_version: int | None = None) -> Invoice:
    """Issue a draft: from now on it is owed and payments can be entered against it."""
    require(actor, Action.CHANGE, invoice)
    locked = _lock(invoice, expected_version)
    if locked.status != Invoice.Status.DRAFT:
        raise ValidationError(
            {
                "status": [
                    _("Only a draft can be issued; this invoice is “%(status)s”.")
                    % {"status": _status_label(locked.status)}
                ]
            }
        )
    return _write(actor=actor, invoice=locked, values={"status": Invoice.Status.ISSUED})


@transaction.atomic
def invoice_cancel(
    *, actor: User, invoice: Invoice, reason: str = "", expected_version: int | None = None
) -> Invoice:
    """Cancel an invoice that nothing was paid against (remove the payments first); its order
    lines become invoiceable again."""
    require(actor, Action.CHANGE, invoice)
    locked = _lock(invoice, expected_version)
    if locked.status == Invoice.Status.CANCELLED:
        raise ValidationError({"status": [_("This invoice is already cancelled.")]})
    if locked.payments.exists():
        raise ValidationError(
            {"status": [_("An invoice with payments cannot be cancelled; remove them first.")]}
        )
    return _write(
        actor=actor,
        invoice=locked,
        values={"status": Invoice.Status.CANCELLED},
        message=(reason or "").strip()[:300],
    )


def _status_for(total: Decimal, paid: Decimal) -> str:
    if paid <= 0:
        return Invoice.Status.ISSUED
    if paid >= total:
        return Invoice.Status.PAID
    return Invoice.Status.PARTIALLY_PAID


def _recompute_paid(*, actor: User, invoice: Invoice, message: str) -> Invoice:
    paid = invoice.payments.aggregate(total=Sum("amount"))["total"] or ZERO
    return _write(
        actor=actor,
        invoice=invoice,
        values={"amount_paid": paid, "status": _status_for(invoice.total, paid)},
        message=message,
    )


def _resolve_method(method: Any) -> PicklistOption | None:
    if method in (None, ""):
        return None
    try:
        return PicklistOption.objects.get(
            pk=int(getattr(method, "pk", method)), picklist=Picklist.PAYMENT_METHOD
        )
    except (PicklistOption.DoesNotExist, ValueError, TypeError):
        raise ValidationError({"method": [_("Choose a payment method from the list.")]}) from None


@transaction.atomic
def payment_create(
    *,
    actor: User,
    invoice: Invoice,
    amount: Decimal,
    paid_on: datetime.date | None = None,
    method: Any = None,
    reference: str = "",
    notes: str = "",
    confirm_overpayment: bool = False,
    expected_version: int | None = None,
) -> Payment:
    """Enter money received. More than the balance due is usually a typing error, so it is
    refused naming ``amount`` unless ``confirm_overpayment`` says the client really paid more.
    The invoice's amount paid and status change in the same transaction."""
    require(actor, Action.CHANGE, invoice)
    locked = _lock(invoice, expected_version)
    errors: dict[str, list[str]] = {}
    if locked.status not in PAYABLE:
        errors["status"] = [
            _("Payments can be entered only on an issued invoice; this one is “%(status)s”.")
            % {"status": _status_label(locked.status)}
        ]
    if amount is None or not isinstance(amount, Decimal) or amount <= 0:
        errors["amount"] = [_("The amount must be greater than zero.")]
    elif amount > locked.balance_due and not confirm_overpayment:
        errors["amount"] = [
            _(
                "This is more than the balance due (%(balance)s %(currency)s). Check the amount, "
                "or confirm that the client paid more."
            )
            % {"balance": locked.balance_due, "currency": locked.currency}
        ]
    try:
        option = _resolve_method(method)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        option = None
    if errors:
        raise ValidationError(errors)
    payment = Payment(
        invoice=locked,
        amount=amount,
        paid_on=paid_on or timezone.localdate(),
        method=option,
        reference=reference,
        notes=notes,
        created_by=actor,
    )
    record_create(obj=payment, actor=actor, check_permission=False)
    _recompute_paid(actor=actor, invoice=locked, message=str(payment))
    return payment


@transaction.atomic
def payment_delete(*, actor: User, payment: Payment) -> Invoice:
    """Remove a payment entered by mistake; the amount paid and the status are recomputed."""
    invoice = payment.invoice
    require(actor, Action.CHANGE, invoice)
    locked = _lock(invoice, None)
    entry = audit.build(
        actor=actor,
        action=AuditEntry.Kind.DELETE,
        obj=payment,
        changes={
            k: [v, None] for k, v in audit.snapshot(payment).items() if v not in (None, "", [], {})
        },
        related=locked.company,
    )
    payment.delete()
    entry.save()
    return _recompute_paid(actor=actor, invoice=locked, message="")
