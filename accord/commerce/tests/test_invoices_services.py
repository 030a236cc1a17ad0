"""Invoices and payments: from an order, free invoices, balance due, overpayment, cancel."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accord.commerce.models import Invoice, Payment, SellerProfile
from accord.commerce.services_invoices import (
    invoice_cancel,
    invoice_create,
    invoice_issue,
    payment_create,
    payment_delete,
)
from accord.commerce.tests.test_orders_factories import draft, make_order
from accord.core.models import AuditEntry, Picklist, PicklistOption
from accord.core.testing import user_with_role
from accord.parties.tests.factories import make_company

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager():
    return user_with_role("sales_manager")


@pytest.fixture
def company(manager):
    return make_company(owner=manager, name="Vega LLC")


@pytest.fixture
def order(manager, company):
    return make_order(actor=manager, company=company, confirm=True)


def test_invoice_from_an_order_takes_everything_not_yet_invoiced(manager, order):
    pump = order.lines.first()
    first = invoice_create(actor=manager, order=order, order_quantities={pump: "1"})
    assert first.total == Decimal("120.00")
    assert first.status == Invoice.Status.DRAFT
    assert first.number.startswith("INV-")
    assert first.due_on == first.issued_on + datetime.timedelta(days=14)
    rest = invoice_create(actor=manager, order=order)
    assert [(x.description, x.quantity) for x in rest.lines.all()] == [
        ("Pump", Decimal("2.000")),
        ("Valve", Decimal("2.000")),
    ]
    assert rest.total == Decimal("360.00")
    assert first.total + rest.total == order.total
    with pytest.raises(ValidationError) as caught:
        invoice_create(actor=manager, order=order)
    assert "order" in caught.value.message_dict
    assert Invoice.objects.count() == 2


def test_invoice_over_the_remaining_quantity_is_refused(manager, order):
    pump = order.lines.first()
    with pytest.raises(ValidationError) as caught:
        invoice_create(actor=manager, order=order, order_quantities={pump: "4"})
    assert f"line-{pump.pk}" in caught.value.message_dict
    assert not Invoice.objects.exists()


def test_free_invoice_uses_seller_payment_terms(manager, company):
    SellerProfile.objects.create(name="Us", payment_terms_days=30)
    invoice = invoice_create(
        actor=manager,
        company=company,
        lines=[draft("Consulting", "2", "500.00", tax="0")],
        issued_on=datetime.date(2026, 3, 1),
        issue=True,
    )
    assert invoice.due_on == datetime.date(2026, 3, 31)
    assert invoice.total == Decimal("1000.00")
    assert invoice.status == Invoice.Status.ISSUED
    with pytest.raises(ValidationError) as caught:
        invoice_create(
            actor=manager,
            company=company,
            lines=[draft("X", "-1")],
            due_on=datetime.date(2020, 1, 1),
        )
    assert {"lines-0-quantity", "due_on"} <= set(caught.value.message_dict)


def test_payments_to_paid_and_back(manager, company):
    invoice = invoice_create(
        actor=manager, company=company, lines=[draft("Design", "1", "1000.00")], issue=True
    )
    assert invoice.balance_due == Decimal("1200.00")
    method = PicklistOption.objects.filter(picklist=Picklist.PAYMENT_METHOD).first()
    payment_create(actor=manager, invoice=invoice, amount=Decimal("200.00"), method=method)
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid, invoice.balance_due) == (
        Invoice.Status.PARTIALLY_PAID,
        Decimal("200.00"),
        Decimal("1000.00"),
    )
    last = payment_create(actor=manager, invoice=invoice, amount=Decimal("1000.00"))
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID and invoice.balance_due == Decimal("0.00")
    payment_delete(actor=manager, payment=last)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PARTIALLY_PAID
    assert invoice.amount_paid == Decimal("200.00")
    assert AuditEntry.objects.filter(
        object_type="commerce.payment", action="delete", related_id=company.pk
    ).exists()


def test_overpayment_needs_confirmation(manager, company):
    invoice = invoice_create(
        actor=manager, company=company, lines=[draft("Design", "1", "100.00")], issue=True
    )
    with pytest.raises(ValidationError) as caught:
        payment_create(actor=manager, invoice=invoice, amount=Decimal("150.00"))
    assert list(caught.value.message_dict) == ["amount"]
    assert "120.00" in caught.value.message_dict["amount"][0]
    invoice.refresh_from_db()
    assert invoice.amount_paid == Decimal("0") and invoice.version == 2
    assert not Payment.objects.exists()
    payment_create(
        actor=manager, invoice=invoice, amount=Decimal("150.00"), confirm_overpayment=True
    )
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    assert invoice.balance_due == Decimal("-30.00")


def test_bad_amounts_and_draft_invoices_are_refused(manager, company):
    invoice = invoice_create(actor=manager, company=company, lines=[draft()])
    with pytest.raises(ValidationError) as caught:
        payment_create(actor=manager, invoice=invoice, amount=Decimal("0"))
    assert {"amount", "status"} == set(caught.value.message_dict)
    invoice = invoice_issue(actor=manager, invoice=invoice)
    with pytest.raises(ValidationError) as caught:
        payment_create(actor=manager, invoice=invoice, amount=Decimal("-5"))
    assert list(caught.value.message_dict) == ["amount"]
    assert not Payment.objects.exists()


def test_cancel_only_without_payments(manager, company):
    invoice = invoice_create(
        actor=manager, company=company, lines=[draft("Design", "1", "100.00")], issue=True
    )
    payment = payment_create(actor=manager, invoice=invoice, amount=Decimal("10.00"))
    with pytest.raises(ValidationError) as caught:
        invoice_cancel(actor=manager, invoice=invoice)
    assert "status" in caught.value.message_dict
    payment_delete(actor=manager, payment=payment)
    invoice = invoice_cancel(actor=manager, invoice=invoice, reason="Wrong client")
    assert invoice.status == Invoice.Status.CANCELLED
    with pytest.raises(ValidationError):
        payment_create(actor=manager, invoice=invoice, amount=Decimal("1.00"))


def test_cancelled_invoice_frees_the_order_lines(manager, order):
    invoice = invoice_create(actor=manager, order=order)
    invoice_cancel(actor=manager, invoice=invoice)
    again = invoice_create(actor=manager, order=order)
    assert again.total == order.total


def test_read_only_cannot_add_payments(manager, company):
    invoice = invoice_create(actor=manager, company=company, lines=[draft()], issue=True)
    reader = user_with_role("read_only")
    with pytest.raises(PermissionDenied):
        payment_create(actor=reader, invoice=invoice, amount=Decimal("1.00"))
    assert not Payment.objects.exists()


def test_invoice_for_a_project_stage_milestone(manager, company):
    from accord.projects.models import Project, ProjectStage

    project = Project.objects.create(
        name="Office building", company=company, currency="RUB", owner=manager
    )
    stage = ProjectStage.objects.create(project=project, name="Survey", position=1)
    invoice = invoice_create(
        actor=manager,
        company=company,
        lines=[draft("Survey stage", "1", "1000.00")],
        project_stage=stage,
    )
    assert invoice.project_stage == stage
    other = make_company(owner=manager, name="Other")
    with pytest.raises(ValidationError) as caught:
        invoice_create(actor=manager, company=other, lines=[draft()], project_stage=stage.pk)
    assert "project_stage" in caught.value.message_dict
    stranger = user_with_role("sales_manager")
    with pytest.raises(ValidationError):
        invoice_create(
            actor=stranger,
            company=make_company(owner=stranger, name="Theirs"),
            lines=[draft()],
            project_stage=stage,
        )
