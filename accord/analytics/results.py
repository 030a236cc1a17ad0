"""What a report returns: columns, rows of raw values and a chart description. Formatting
(language, currency) happens later, so the page, the CSV export and the API share the figures."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


class Kind:
    """How a column's values are shown: money needs the row's ``currency`` column."""

    TEXT = "text"
    INT = "int"
    MONEY = "money"
    PERCENT = "percent"  # a Decimal 0–100 with one decimal, or None when undefined
    DAYS = "days"
    MONTH = "month"  # a date, the first of the month
    CURRENCY = "currency"
    DATE = "date"


@dataclass(frozen=True)
class Column:
    key: str
    label: Any
    kind: str = Kind.TEXT


@dataclass
class Series:
    """One line or set of bars: a name and one value per x label (None = no data)."""

    name: Any
    values: list[Decimal | int | None]


@dataclass
class Chart:
    kind: str  # "bar", "stacked", "hbar", "line"
    labels: list[Any]
    series: list[Series]
    value_kind: str = Kind.INT
    x_title: Any = ""
    y_title: Any = ""


@dataclass
class Report:
    slug: str
    title: Any
    columns: list[Column]
    rows: list[dict[str, Any]]
    chart: Chart | None = None
    note: Any = ""
    # Headline figures for the dashboard card: (label, value, kind, currency or "").
    summary: list[tuple[Any, Any, str, str]] = field(default_factory=list)


def percent(part: Decimal | int | None, whole: Decimal | int | None) -> Decimal | None:
    """``part / whole`` in percent with one decimal; None when ``whole`` is zero (undefined,
    shown as a dash, never as 0 %)."""
    if not whole:
        return None
    return (Decimal(part or 0) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


def money(value: Any) -> Decimal:
    """A database sum as a two-place Decimal (0 for an empty sum)."""
    if value is None:
        return Decimal("0.00")
    if isinstance(value, float):
        value = str(value)  # SQLite may sum in binary floating point
    return Decimal(value).quantize(Decimal("0.01"))
