"""Shipments: partial shipments move the order to shipped; over-shipping is refused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accord.commerce.models import Order, Shipment
from accord.commerce.services_orders import order_set_status, shipment_create, shipment_delete
from accord.commerce.tests.test_orders_factories import make_order
from accord.core.models import AuditEntry
from accord.core.testing import user_with_role
from accord.parties.tests.factories import make_company

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager():
    return user_with_role("sales_manager")


@pytest.fixture
def order(manager):
    company = make_company(owner=manager, name="Vega LLC")
    return make_order(actor=manager, company=company, confirm=True)


def test_partial_shipments_then_shipped_then_completed(manager, order):
    pump, valve = order.lines.all()
    first = shipment_create(actor=manager, order=order, quantities={pump: "2", valve.pk: 0})
    order.refresh_from_db()
    assert order.status == Order.Status.PARTIALLY_SHIPPED
    assert first.number.startswith("SH-")
    pump.refresh_from_db()
    assert pump.quantity_shipped == Decimal("2")
    shipment_create(actor=manager, order=order, quantities={pump: Decimal("1"), valve: "2"})
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED
    assert [(line.quantity, line.quantity_shipped) for line in order.lines.all()] == [
        (Decimal("3"), Decimal("3")),
        (Decimal("2"), Decimal("2")),
    ]
    order = order_set_status(actor=manager, order=order, status="completed")
    assert order.status == Order.Status.COMPLETED and order.fulfilled_at is not None
    audited = AuditEntry.objects.filter(
        related_id=order.company_id, object_type="commerce.shipment"
    )
    assert audited.count() == 2


def test_over_shipping_is_refused_naming_the_line_and_nothing_changes(manager, order):
    pump, valve = order.lines.all()
    version = order.version
    with pytest.raises(ValidationError) as caught:
        shipment_create(actor=manager, order=order, quantities={pump: "4", valve: "1"})
    assert list(caught.value.message_dict) == [f"line-{pump.pk}"]
    assert "Pump" in caught.value.message_dict[f"line-{pump.pk}"][0]
    with pytest.raises(ValidationError) as caught:
        shipment_create(actor=manager, order=order, quantities={pump: "-1"})
    assert f"line-{pump.pk}" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        shipment_create(actor=manager, order=order, quantities={pump: "0"})
    assert "lines" in caught.value.message_dict
    assert Shipment.objects.count() == 0
    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED and order.version == version
    assert [line.quantity_shipped for line in order.lines.all()] == [Decimal("0"), Decimal("0")]


def test_a_new_order_cannot_be_shipped(manager):
    company = make_company(owner=manager, name="Orion")
    order = make_order(actor=manager, company=company)
    with pytest.raises(ValidationError) as caught:
        shipment_create(actor=manager, order=order, quantities={order.lines.first(): "1"})
    assert "status" in caught.value.message_dict


def test_only_the_latest_shipment_can_be_deleted(manager, order):
    pump, valve = order.lines.all()
    first = shipment_create(actor=manager, order=order, quantities={pump: "1"})
    second = shipment_create(actor=manager, order=order, quantities={pump: "2", valve: "2"})
    with pytest.raises(ValidationError) as caught:
        shipment_delete(actor=manager, shipment=first)
    assert "shipment" in caught.value.message_dict
    order = shipment_delete(actor=manager, shipment=second)
    assert order.status == Order.Status.PARTIALLY_SHIPPED
    pump.refresh_from_db()
    assert pump.quantity_shipped == Decimal("1")
    order = shipment_delete(actor=manager, shipment=first)
    assert order.status == Order.Status.CONFIRMED
    assert not Shipment.objects.exists()


def test_completed_orders_keep_their_shipments(manager, order):
    pump, valve = order.lines.all()
    shipment = shipment_create(actor=manager, order=order, quantities={pump: "3", valve: "2"})
    order_set_status(actor=manager, order=order, status="completed")
    with pytest.raises(ValidationError) as caught:
        shipment_delete(actor=manager, shipment=shipment)
    assert "status" in caught.value.message_dict
