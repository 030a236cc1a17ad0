"""``accord generate`` sales data: consistent deals, stage histories, documents and numbers."""

from __future__ import annotations

import io
import itertools
from collections import defaultdict
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Sum

from accord.commerce import pricing
from accord.commerce.models import Invoice, NumberSequence, Order, OrderLine, Payment
from accord.core.models import AuditEntry
from accord.sales.models import Deal, Pipeline, StageChange


def _generate(**numbers: int) -> str:
    out = io.StringIO()
    call_command("generate", *[f"--{k}={v}" for k, v in numbers.items()], "--seed=11", stdout=out)
    return out.getvalue()


@pytest.fixture
def generated(db):
    return _generate(companies=40, contacts=60, activities=0, deals=120, **{"order-lines": 400})


def test_counts_and_audit(generated):
    assert Deal.objects.count() == 120
    assert OrderLine.objects.count() == 400
    created = AuditEntry.objects.filter(action="create", source="command", message="generated")
    assert created.filter(object_type="deal", related_type="company").count() == 120
    assert created.filter(object_type="order").count() == Order.objects.count()
    assert created.filter(object_type="invoice").count() == Invoice.objects.count()
    assert "deals" in generated
    assert "rows/s" in generated


def test_every_deal_is_in_a_stage_of_its_pipeline_with_consistent_flags(generated):
    default = Pipeline.objects.get(is_default=True)
    assert Deal.objects.filter(pipeline=default).count() > 60
    kinds = set()
    for deal in Deal.objects.select_related("stage"):
        assert deal.stage.pipeline_id == deal.pipeline_id
        kinds.add(deal.stage.kind)
        assert deal.is_closed == (deal.stage.kind != "open")
        assert deal.is_won == (deal.stage.kind == "won")
        assert (deal.closed_at is not None) == deal.is_closed
        assert (deal.won_reason_id is not None) == deal.is_won
        assert (deal.lost_reason_id is not None) == (deal.stage.kind == "lost")
        assert deal.amount > 0
        assert deal.currency in ("RUB", "EUR")
    assert kinds == {"open", "won", "lost"}
    closed_share = Deal.objects.filter(is_closed=True).count() / 120
    assert 0.25 < closed_share < 0.55


def test_stage_change_chains_start_at_creation_and_end_at_the_current_stage(generated):
    chains: dict[int, list[StageChange]] = defaultdict(list)
    for change in StageChange.objects.order_by("deal_id", "at", "id"):
        chains[change.deal_id].append(change)
    for deal in Deal.objects.all():
        chain = chains[deal.pk]
        assert chain, deal.pk
        assert chain[0].from_stage_id is None
        assert chain[0].at == deal.created_at
        assert chain[0].seconds_in_previous is None
        for before, after in itertools.pairwise(chain):
            assert after.from_stage_id == before.to_stage_id
            assert after.at >= before.at
            assert after.seconds_in_previous == int((after.at - before.at).total_seconds())
        assert chain[-1].to_stage_id == deal.stage_id
        assert chain[-1].at == deal.stage_entered_at
        if deal.is_closed:
            assert deal.closed_at == chain[-1].at


def test_order_totals_are_the_sum_of_their_lines_priced_by_the_pricing_rules(generated):
    orders = list(Order.objects.prefetch_related("lines"))
    assert orders
    for order in orders:
        lines = list(order.lines.all())
        assert lines
        totals = pricing.compute(lines)
        assert (order.subtotal, order.discount_total, order.tax_total, order.total) == (
            totals.subtotal,
            totals.discount_total,
            totals.tax_total,
            totals.total,
        )
        for line, amounts in zip(lines, totals.lines, strict=True):
            assert (line.net_amount, line.tax_amount, line.total_amount) == (
                amounts.net,
                amounts.tax,
                amounts.total,
            )
    won_orders = Order.objects.exclude(deal=None).select_related("deal")
    assert won_orders.exists()
    for order in won_orders:
        assert order.deal.is_won
        assert order.subtotal == order.deal.amount
        assert order.company_id == order.deal.company_id


def test_invoices_copy_their_order_and_payments_add_up(generated):
    invoices = list(Invoice.objects.select_related("order").prefetch_related("lines"))
    assert invoices
    for invoice in invoices:
        assert invoice.total == invoice.order.total
        assert invoice.lines.count() == invoice.order.lines.count()
        paid = invoice.payments.aggregate(s=Sum("amount"))["s"] or Decimal("0")
        assert invoice.amount_paid == paid
        if invoice.status == "paid":
            assert paid == invoice.total
        elif invoice.status == "partial":
            assert 0 < paid < invoice.total
        else:
            assert paid == 0
    assert Payment.objects.exists()


def test_document_numbers_are_unique_and_the_sequences_continue_after_them(generated):
    numbers = list(Order.objects.values_list("number", flat=True))
    assert len(numbers) == len(set(numbers))
    for kind, model in (("order", Order), ("invoice", Invoice)):
        for sequence in NumberSequence.objects.filter(kind=kind):
            prefix = f"{'O' if kind == 'order' else 'INV'}-{sequence.year}-"
            used = model.objects.filter(number__startswith=prefix).count()
            assert sequence.last == used


def test_a_second_run_adds_without_clashing(generated):
    _generate(companies=5, contacts=5, activities=0, deals=10, **{"order-lines": 30})

    assert Deal.objects.count() == 130
    assert OrderLine.objects.count() == 430
    assert Pipeline.objects.count() == 2  # the generated second pipeline is reused
