"""Amounts with their currency in the reader's language, for the catalogue pages."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

register = template.Library()


def format_money(amount: Decimal | None, currency: str) -> str:
    """One way to show a price in the catalogue: babel, in the active language."""
    from babel.numbers import format_currency
    from django.utils import translation

    if amount is None:
        return ""
    language = (translation.get_language() or "en")[:2]
    return format_currency(amount, currency, locale=language).replace("\xa0", " ")


def format_adjustment(amount: Decimal | None, currency: str) -> str:
    """An option's price adjustment with its sign (+1 200,00 ₽, −500,00 ₽; zero: empty)."""
    if not amount:
        return ""
    text = format_money(abs(amount), currency)
    return f"+{text}" if amount > 0 else f"−{text}"


@register.filter
def price(amount: Decimal | None, currency: Any) -> str:
    """``{{ amount|price:price_list.currency }}``"""
    return format_money(amount, str(currency or ""))


@register.filter
def adjustment(amount: Decimal | None, currency: Any) -> str:
    """``{{ option.price|adjustment:price_list.currency }}``"""
    return format_adjustment(amount, str(currency or ""))


@register.filter
def percent(value: Decimal | None) -> str:
    """20.00 → 20, 5.50 → 5.5"""
    if value is None:
        return ""
    return f"{value.normalize():f}"
