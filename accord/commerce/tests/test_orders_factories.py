"""Builders shared by the order, shipment, invoice and payment tests (no tests here)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import timezone

from accord.commerce import pricing
from accord.commerce.models import Order, Quote, QuoteLine
from accord.commerce.pricing import LineDraft
from accord.commerce.services_orders import order_create
from accord.core.models import User
from accord.parties.models import Company


def draft(
    description: str = "Survey",
    quantity: str = "1",
    price: str = "100.00",
    discount: str = "0",
    tax: str = "20",
) -> LineDraft:
    return LineDraft(
        description=description,
        quantity=Decimal(quantity),
        unit_price=Decimal(price),
        discount_percent=Decimal(discount),
        tax_rate=Decimal(tax),
    )


def make_order(
    *, actor: User, company: Company, lines: list[LineDraft] | None = None, **kwargs: Any
) -> Order:
    return order_create(
        actor=actor,
        company=company,
        lines=lines or [draft("Pump", "3", "100.00"), draft("Valve", "2", "50.00")],
        **kwargs,
    )


def make_deal(*, owner: User, company: Company) -> Any:
    from accord.sales.models import Deal, Pipeline

    pipeline = Pipeline.objects.filter(is_default=True).first() or Pipeline.objects.first()
    assert pipeline is not None
    stage = pipeline.stages.order_by("position").first()
    return Deal.objects.create(
        name="Deal",
        company=company,
        pipeline=pipeline,
        stage=stage,
        currency="EUR",
        owner=owner,
        stage_entered_at=timezone.now(),
    )


def make_quote(
    *, owner: User, company: Company, lines: list[LineDraft], discount: str = "0"
) -> Quote:
    """A quote built straight through the ORM and the pricing rules (not the quote service)."""
    deal = make_deal(owner=owner, company=company)
    quote = Quote(
        number="Q-TEST-1",
        company=company,
        deal=deal,
        currency="EUR",
        owner=owner,
        discount_percent=Decimal(discount),
        status=Quote.Status.ACCEPTED,
    )
    stored = [
        QuoteLine(
            position=i + 1,
            description=d.description,
            quantity=d.quantity,
            unit_price=d.unit_price,
            discount_percent=d.discount_percent,
            tax_rate=d.tax_rate,
        )
        for i, d in enumerate(lines)
    ]
    pricing.apply_to_document(quote, stored, quote.discount_percent)
    quote.save()
    for line in stored:
        line.quote = quote
    QuoteLine.objects.bulk_create(stored)
    return quote
