"""Amounts with their currency in the reader's language (babel, as the PDFs do)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

register = template.Library()


def format_money(amount: Decimal | None, currency: str) -> str:
    """One way to show money in the order and invoice pages, lists, panels and exports."""
    from babel.numbers import format_currency
    from django.utils import translation

    if amount is None:
        return ""
    language = (translation.get_language() or "en")[:2]
    return format_currency(amount, currency, locale=language).replace("\xa0", " ")


@register.filter
def money(amount: Decimal | None, currency: Any) -> str:
    """``{{ invoice.total|money:invoice.currency }}``"""
    return format_money(amount, str(currency or ""))


@register.filter
def qty(value: Decimal | None) -> str:
    """A quantity without trailing zeros (3.000 → 3, 2.500 → 2.5)."""
    if value is None:
        return ""
    normalized = value.normalize()
    return f"{normalized:f}"
