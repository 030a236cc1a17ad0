"""Report figures in the reader's language: numbers, money with its currency, percentages,
months and dates (babel, with the active Django language)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from babel.dates import format_date
from babel.numbers import format_compact_decimal, format_currency, format_decimal
from django.utils import translation

from accord.analytics.results import Column, Kind

DASH = "—"


def locale() -> str:
    return (translation.get_language() or "en").replace("-", "_")


def format_value(value: Any, kind: str, currency: str = "") -> str:
    """One cell as the reader expects it, e.g. ``1 234 567,50 ₽`` for a Russian reader."""
    if value is None or value == "":
        return DASH
    lang = locale()
    if kind == Kind.MONEY:
        if currency:
            return format_currency(value, currency, locale=lang)
        return format_decimal(value, format="#,##0.00", locale=lang)
    if kind == Kind.INT:
        return format_decimal(value, locale=lang)
    if kind == Kind.PERCENT:
        return format_decimal(value, format="#,##0.0", locale=lang) + "\u00a0%"
    if kind == Kind.DAYS:
        return format_decimal(value, format="#,##0.0", locale=lang)
    if kind == Kind.MONTH and isinstance(value, datetime.date):
        return format_date(value, "LLLL y", locale=lang)
    if kind == Kind.DATE and isinstance(value, datetime.date):
        return format_date(value, "medium", locale=lang)
    return str(value)


def short_month(value: datetime.date) -> str:
    return format_date(value, "LLL yy", locale=locale())


def format_number(value: Any, kind: str) -> str:
    """A chart axis or value label: money without the currency (the series names it)."""
    if value is None:
        return ""
    lang = locale()
    if kind == Kind.MONEY:
        if abs(value) >= 10_000:
            # An axis of millions reads "2 M" / "2 млн": full figures overlap on a phone.
            return format_compact_decimal(
                Decimal(str(value)), format_type="short", fraction_digits=1, locale=lang
            )
        return format_decimal(Decimal(str(value)), format="#,##0", locale=lang)
    if kind in (Kind.PERCENT, Kind.DAYS):
        return format_decimal(Decimal(str(value)), format="#,##0.#", locale=lang)
    return format_decimal(Decimal(str(value)), format="#,##0.#", locale=lang)


def format_row(columns: list[Column], row: dict[str, Any]) -> list[tuple[Column, str]]:
    currency = row.get("currency") or ""
    return [
        (column, format_value(row.get(column.key), column.kind, currency)) for column in columns
    ]


def csv_value(value: Any, kind: str) -> Any:
    """A cell for the CSV file: plain machine-readable numbers and ISO dates, so a spreadsheet
    can compute with them (the language-specific formats are for the screen)."""
    if value is None:
        return ""
    if kind == Kind.MONTH and isinstance(value, datetime.date):
        return value.strftime("%Y-%m")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def json_value(value: Any) -> Any:
    """A figure for the API: Decimal amounts as strings (exact), dates in ISO form."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if value is None or isinstance(value, int | str):
        return value
    return str(value)
