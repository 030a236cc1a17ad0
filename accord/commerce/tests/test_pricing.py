"""The totals rules of accord/commerce/pricing.py, checked against figures worked out by hand."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from accord.commerce import pricing
from accord.commerce.numbering import next_number
from accord.commerce.pricing import LineDraft


def line(qty: str, price: str, discount: str = "0", tax: str = "20") -> LineDraft:
    return LineDraft(
        description="x",
        quantity=D(qty),
        unit_price=D(price),
        discount_percent=D(discount),
        tax_rate=D(tax),
    )


def test_line_rounding_is_half_up_per_line() -> None:
    # 3 × 33.335 = 100.005 → 100.01 gross; −7.5 % = 92.509… → 92.51; −10 % = 83.259 → 83.26;
    # VAT 20 % = 16.652 → 16.65; total 99.91
    totals = pricing.compute([line("3", "33.335", "7.5")], D("10"))
    assert totals.lines[0] == pricing.LineAmounts(
        gross=D("100.01"), net=D("83.26"), tax=D("16.65"), total=D("99.91")
    )
    assert (totals.subtotal, totals.discount_total, totals.tax_total, totals.total) == (
        D("100.01"),
        D("16.75"),
        D("16.65"),
        D("99.91"),
    )


def test_totals_are_sums_of_rounded_lines_and_vat_is_grouped_by_rate() -> None:
    totals = pricing.compute(
        [line("1", "0.05", tax="20"), line("1", "0.05", tax="20"), line("2", "10.00", tax="10")]
    )
    # each 0.05 line has 0.01 VAT (0.010 exactly); the 10 % line 2.00
    assert totals.tax_by_rate == ((D("10"), D("20.00"), D("2.00")), (D("20"), D("0.10"), D("0.02")))
    assert totals.total == D("20.10") + D("2.02")


def test_zero_vat_and_full_discount() -> None:
    totals = pricing.compute([line("5", "100", discount="100", tax="0")])
    assert totals.total == D("0.00")
    assert totals.discount_total == D("500.00")


@pytest.mark.parametrize(
    ("draft", "field"),
    [
        (line("0", "10"), "quantity"),
        (line("-1", "10"), "quantity"),
        (line("1", "-0.01"), "unit_price"),
        (line("1", "10", discount="100.01"), "discount_percent"),
        (line("1", "10", discount="-1"), "discount_percent"),
        (line("1", "10", tax="101"), "tax_rate"),
    ],
)
def test_validate_line_names_the_field(draft: LineDraft, field: str) -> None:
    with pytest.raises(ValidationError) as error:
        pricing.validate_line(draft, prefix="line-")
    assert list(error.value.message_dict) == [f"line-{field}"]


def test_document_discount_over_100_is_refused() -> None:
    with pytest.raises(ValidationError) as error:
        pricing.compute([line("1", "1")], D("120"))
    assert "discount_percent" in error.value.message_dict


@pytest.mark.django_db
def test_numbers_are_consecutive_per_kind_and_year() -> None:
    with transaction.atomic():
        first, second = next_number("quote"), next_number("quote")
        invoice = next_number("invoice")
    year = first.split("-")[1]
    assert first == f"Q-{year}-00001"
    assert second == f"Q-{year}-00002"
    assert invoice == f"INV-{year}-00001"


@pytest.mark.django_db
def test_a_rolled_back_save_gives_its_number_back() -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        next_number("order")
        raise RuntimeError("the save failed")
    with transaction.atomic():
        assert next_number("order").endswith("-00001")
