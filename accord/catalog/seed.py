"""Default VAT rates and price lists, applied by a data migration (plain data, so the
migration can use historical models)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

# (country, name, rate, is_default)
DEFAULT_TAX_RATES: list[tuple[str, str, str, bool]] = [
    ("RU", "НДС 20 %", "20", True),
    ("RU", "НДС 10 %", "10", False),
    ("RU", "Без НДС", "0", False),
    ("FR", "TVA 20 %", "20", True),
    ("FR", "TVA 10 %", "10", False),
    ("FR", "TVA 5,5 %", "5.5", False),
    ("DE", "MwSt. 19 %", "19", True),
    ("DE", "MwSt. 7 %", "7", False),
]

# (name, currency, is_default)
DEFAULT_PRICE_LISTS: list[tuple[str, str, bool]] = [
    ("Base RUB", "RUB", True),
    ("Base EUR", "EUR", False),
]


def seed_catalog(apps: Any, schema_editor: Any = None) -> None:
    TaxRate = apps.get_model("catalog", "TaxRate")
    PriceList = apps.get_model("catalog", "PriceList")
    for country, name, rate, is_default in DEFAULT_TAX_RATES:
        TaxRate.objects.get_or_create(
            country=country,
            name=name,
            defaults={"rate": Decimal(rate), "is_default": is_default},
        )
    for name, currency, is_default in DEFAULT_PRICE_LISTS:
        PriceList.objects.get_or_create(
            name=name, defaults={"currency": currency, "is_default": is_default}
        )
