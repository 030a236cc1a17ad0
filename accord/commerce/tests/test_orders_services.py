"""Order services: totals, the status machine, line rules, order from a quote, audit."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accord.commerce.models import Order, OrderLine
from accord.commerce.services_orders import (
    order_cancel,
    order_create,
    order_from_quote,
    order_line_add,
    order_line_remove,
    order_line_update,
    order_set_status,
    order_update,
)
from accord.commerce.tests.test_orders_factories import draft, make_order, make_quote
from accord.core.errors import ConflictError
from accord.core.models import AuditEntry
from accord.core.testing import user_with_role
from accord.parties.tests.factories import make_company, make_contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager():
    return user_with_role("sales_manager")


@pytest.fixture
def company(manager):
    return make_company(owner=manager, name="Vega LLC")


def test_order_totals_come_from_the_lines_in_decimal(manager, company):
    order = make_order(
        actor=manager,
        company=company,
        lines=[draft("Pump", "3", "33.33", discount="10"), draft("Valve", "2.5", "19.99")],
    )
    # 3 × 33.33 = 99.99 − 10 % = 89.99 (half-up); 2.5 × 19.99 = 49.975 → 49.98
    assert order.subtotal == Decimal("149.97")
    assert order.discount_total == Decimal("10.00")
    assert order.tax_total == Decimal("28.00")  # 18.00 + 10.00
    assert order.total == Decimal("167.97")
    assert order.status == Order.Status.NEW
    assert order.channel == Order.Channel.PHONE
    assert order.number.startswith("O-")
    assert order.owner == manager
    lines = list(order.lines.all())
    assert [line.total_amount for line in lines] == [Decimal("107.99"), Decimal("59.98")]
    entry = AuditEntry.objects.get(object_type="order", object_id=order.pk)
    assert entry.related_id == company.pk
    assert entry.changes["lines"][1] == ["Pump × 3", "Valve × 2.5"]


def test_order_create_refuses_bad_lines_and_saves_nothing(manager, company):
    with pytest.raises(ValidationError) as caught:
        order_create(
            actor=manager,
            company=company,
            lines=[draft("Pump", "0"), draft("Valve", "-1"), draft("Gear", "1", discount="120")],
        )
    assert set(caught.value.message_dict) == {
        "lines-0-quantity",
        "lines-1-quantity",
        "lines-2-discount_percent",
    }
    assert Order.objects.count() == 0
    assert OrderLine.objects.count() == 0
    with pytest.raises(ValidationError) as caught:
        order_create(actor=manager, company=company, lines=[])
    assert "lines" in caught.value.message_dict


def test_order_create_refuses_a_contact_or_company_the_actor_cannot_see(manager, company):
    stranger = user_with_role("sales_manager")
    hidden = make_company(owner=stranger, name="Hidden")
    with pytest.raises(ValidationError) as caught:
        order_create(actor=manager, company=hidden, lines=[draft()])
    assert "company" in caught.value.message_dict
    hidden_contact = make_contact(owner=stranger)
    with pytest.raises(ValidationError) as caught:
        order_create(actor=manager, company=company, contact=hidden_contact, lines=[draft()])
    assert "contact" in caught.value.message_dict
    assert Order.objects.count() == 0


def test_confirm_as_you_save(manager, company):
    order = make_order(actor=manager, company=company, confirm=True)
    assert order.status == Order.Status.CONFIRMED
    assert order.version == 2


def test_status_machine_refuses_illegal_moves_and_changes_nothing(manager, company):
    order = make_order(actor=manager, company=company)
    for status in ("shipped", "completed", "partial", "new", "bogus"):
        with pytest.raises(ValidationError) as caught:
            order_set_status(actor=manager, order=order, status=status)
        assert list(caught.value.message_dict) == ["status"]
    order.refresh_from_db()
    assert order.status == Order.Status.NEW and order.version == 1
    order = order_set_status(actor=manager, order=order, status="confirmed")
    assert order.status == Order.Status.CONFIRMED
    with pytest.raises(ValidationError):
        order_set_status(actor=manager, order=order, status="completed")
    entry = AuditEntry.objects.filter(object_type="order", object_id=order.pk).first()
    assert entry is not None and entry.changes == {"status": ["new", "confirmed"]}
    assert entry.related_id == company.pk


def test_lines_are_frozen_after_confirmation(manager, company):
    order = make_order(actor=manager, company=company)
    line = order.lines.first()
    order = order_set_status(actor=manager, order=order, status="confirmed")
    for call in (
        lambda: order_line_add(actor=manager, order=order, line=draft()),
        lambda: order_line_update(
            actor=manager, order=order, line=line, fields={"quantity": Decimal("9")}
        ),
        lambda: order_line_remove(actor=manager, order=order, line=line),
    ):
        with pytest.raises(ValidationError) as caught:
            call()
        assert "frozen" in caught.value.message_dict["status"][0]
    assert order.lines.count() == 2
    assert order.lines.get(pk=line.pk).quantity == Decimal("3")


def test_line_add_update_remove_recompute_totals(manager, company):
    order = make_order(actor=manager, company=company)
    assert order.total == Decimal("480.00")  # (300 + 100) × 1.2
    added = order_line_add(actor=manager, order=order, line=draft("Gear", "1", "10.00", tax="0"))
    order.refresh_from_db()
    assert order.total == Decimal("490.00") and added.position == 3
    order_line_update(actor=manager, order=order, line=added, fields={"quantity": Decimal("2")})
    order.refresh_from_db()
    assert order.total == Decimal("500.00")
    with pytest.raises(ValidationError) as caught:
        order_line_update(
            actor=manager, order=order, line=added, fields={"quantity": Decimal("-1")}
        )
    assert "quantity" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        order_line_update(
            actor=manager, order=order, line=added, fields={"discount_percent": Decimal("101")}
        )
    assert "discount_percent" in caught.value.message_dict
    order_line_remove(actor=manager, order=order, line=added)
    order.refresh_from_db()
    assert order.total == Decimal("480.00")
    assert order.version == 4


def test_stale_version_is_refused(manager, company):
    order = make_order(actor=manager, company=company)
    with pytest.raises(ConflictError):
        order_update(actor=manager, order=order, fields={"notes": "x"}, expected_version=7)
    updated = order_update(
        actor=manager, order=order, fields={"notes": "Call before delivery"}, expected_version=1
    )
    assert updated.notes == "Call before delivery" and updated.version == 2


def test_cancel_needs_a_reason_and_only_from_new_or_confirmed(manager, company):
    order = make_order(actor=manager, company=company)
    with pytest.raises(ValidationError) as caught:
        order_cancel(actor=manager, order=order, reason="  ")
    assert "reason" in caught.value.message_dict
    order = order_cancel(actor=manager, order=order, reason="Client changed his mind")
    assert order.status == Order.Status.CANCELLED
    entry = AuditEntry.objects.filter(object_type="order", object_id=order.pk).first()
    assert entry is not None and entry.message == "Client changed his mind"
    with pytest.raises(ValidationError) as caught:
        order_set_status(actor=manager, order=order, status="confirmed")
    assert "status" in caught.value.message_dict


def test_read_only_cannot_change_an_order(manager, company):
    order = make_order(actor=manager, company=company)
    reader = user_with_role("read_only")
    with pytest.raises(PermissionDenied):
        order_set_status(actor=reader, order=order, status="confirmed")
    with pytest.raises(PermissionDenied):
        order_create(actor=reader, company=company, lines=[draft()])
    order.refresh_from_db()
    assert order.status == Order.Status.NEW


def test_order_from_quote_copies_lines_and_totals_exactly(manager, company):
    quote = make_quote(
        owner=manager,
        company=company,
        lines=[draft("Design", "1", "1000.00", discount="5"), draft("Survey", "3", "33.33")],
        discount="7.5",
    )
    order = order_from_quote(actor=manager, quote=quote)
    assert order.status == Order.Status.NEW
    assert order.channel == Order.Channel.QUOTE
    assert order.quote == quote and order.deal_id == quote.deal_id
    assert (order.subtotal, order.discount_total, order.tax_total, order.total) == (
        quote.subtotal,
        quote.discount_total,
        quote.tax_total,
        quote.total,
    )
    fields = ("description", "quantity", "unit_price", "discount_percent", "tax_rate")
    amounts = ("net_amount", "tax_amount", "total_amount")
    assert [tuple(getattr(x, f) for f in fields + amounts) for x in order.lines.all()] == [
        tuple(getattr(x, f) for f in fields + amounts) for x in quote.lines.all()
    ]
    # editing a line of the new order keeps the quote's document discount
    line = order.lines.first()
    order_line_update(actor=manager, order=order, line=line, fields={"quantity": Decimal("1")})
    order.refresh_from_db()
    assert order.total == quote.total
    with pytest.raises(ValidationError) as caught:
        order_from_quote(actor=manager, quote=quote)
    assert "quote" in caught.value.message_dict
