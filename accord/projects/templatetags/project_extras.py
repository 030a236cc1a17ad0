"""Display helpers for project pages: amounts with their currency in the reader's language."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from babel.numbers import format_currency
from django import template
from django.utils.translation import get_language, to_locale

register = template.Library()


def money_text(value: Any, currency: str) -> str:
    """1000000.01, "RUB" -> "1 000 000,01 ₽" for a Russian reader, "RUB 1,000,000.01" in English."""
    if value in (None, ""):
        return ""
    locale = to_locale(get_language() or "en")
    try:
        return format_currency(Decimal(str(value)), currency or "RUB", locale=locale)
    except (ValueError, ArithmeticError):
        return f"{value} {currency}"


@register.filter
def money(value: Any, currency: str) -> str:
    return money_text(value, currency)


@register.filter
def percent(value: Any) -> str:
    """A share such as 15.00 shown as "15 %" (12.50 as "12.5 %")."""
    if value in (None, ""):
        return ""
    number = Decimal(str(value)).normalize()
    return f"{format(number, 'f')} %"
