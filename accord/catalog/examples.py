"""A small, realistic catalogue for the demo and the tests: three services of a design firm
and one configurable product, built through the services like any user's catalogue."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from accord.catalog import services
from accord.catalog.models import OptionRule, PriceList, Product, Unit
from accord.core.models import User

# (sku, name, unit, price RUB, price EUR)
EXAMPLE_SERVICES: list[tuple[str, str, str, str, str]] = [
    ("SRV-DESIGN-H", "Design work (engineer hour)", Unit.HOUR, "3500.00", "65.00"),
    ("SRV-SURVEY", "Engineering survey of the site", Unit.SERVICE, "85000.00", "1500.00"),
    ("SRV-SUPERVISION", "Author's supervision visit", Unit.DAY, "18000.00", "420.00"),
]
STATION_SKU = "KNS-PS-100"

# group name, is_required, allows_multiple, [(code, name, is_default, RUB, EUR)]
STATION_GROUPS: list[tuple[str, bool, bool, list[tuple[str, str, bool, str, str]]]] = [
    (
        "Supply voltage",
        True,
        False,
        [
            ("v220", "220 V", True, "0.00", "0.00"),
            ("v380", "380 V", False, "12000.00", "210.00"),
        ],
    ),
    (
        "Motor",
        True,
        False,
        [
            ("motor-1ph", "Single-phase motor", True, "0.00", "0.00"),
            ("motor-3ph", "Three-phase motor", False, "38000.00", "650.00"),
        ],
    ),
    (
        "Extras",
        False,
        True,
        [
            ("remote", "Remote monitoring", False, "45000.00", "780.00"),
            ("gsm", "GSM modem", False, "9500.00", "160.00"),
            ("heating", "Heated enclosure", False, "27000.00", "460.00"),
            ("no-frame", "Without mounting frame", False, "-15000.00", "-250.00"),
        ],
    ),
]
# (option, rule, target)
STATION_RULES: list[tuple[str, str, str]] = [
    ("v380", OptionRule.Kind.EXCLUDES, "motor-1ph"),
    ("remote", OptionRule.Kind.REQUIRES, "gsm"),
]


def _example_lists() -> tuple[PriceList | None, PriceList | None]:
    rub = PriceList.objects.filter(currency="RUB", is_active=True).order_by("-is_default").first()
    eur = PriceList.objects.filter(currency="EUR", is_active=True).order_by("-is_default").first()
    return rub, eur


@transaction.atomic
def create_example_catalog(actor: User) -> list[Product]:
    """Create (or return, when they exist) the example products, with prices in the RUB and
    EUR price lists. ``actor`` needs the "add" and "change" grants on products."""
    rub, eur = _example_lists()
    existing = {p.sku: p for p in Product.objects.filter(sku__in=[s[0] for s in EXAMPLE_SERVICES])}
    products: list[Product] = []
    for sku, name, unit, price_rub, price_eur in EXAMPLE_SERVICES:
        product = existing.get(sku)
        if product is None:
            product = services.product_create(
                actor=actor, sku=sku, name=name, kind=Product.Kind.SERVICE, unit=unit
            )
            for price_list, amount in ((rub, price_rub), (eur, price_eur)):
                if price_list is not None:
                    services.price_set(
                        actor=actor, product=product, price_list=price_list, amount=amount
                    )
        products.append(product)
    products.append(_example_station(actor, rub, eur))
    return products


def _example_station(actor: User, rub: PriceList | None, eur: PriceList | None) -> Product:
    station = Product.objects.filter(sku=STATION_SKU).first()
    if station is not None:
        return station
    station = services.product_create(
        actor=actor,
        sku=STATION_SKU,
        name="Sewage pumping station KNS-100",
        description="Packaged sewage pumping station, 100 m³/h, fibreglass body.",
        kind=Product.Kind.PRODUCT,
        unit=Unit.PIECE,
        is_configurable=True,
    )
    for price_list, amount in ((rub, Decimal("1450000.00")), (eur, Decimal("24500.00"))):
        if price_list is not None:
            services.price_set(actor=actor, product=station, price_list=price_list, amount=amount)
    options = {}
    for position, (group_name, is_required, allows_multiple, answers) in enumerate(
        STATION_GROUPS, start=1
    ):
        group = services.option_group_create(
            actor=actor,
            product=station,
            name=group_name,
            is_required=is_required,
            allows_multiple=allows_multiple,
            position=position,
        )
        for code, name, is_default, price_rub, price_eur in answers:
            prices = {}
            if rub is not None:
                prices[rub] = price_rub
            if eur is not None:
                prices[eur] = price_eur
            options[code] = services.option_create(
                actor=actor,
                group=group,
                code=code,
                name=name,
                is_default=is_default,
                prices=prices,
            )
    for source, kind, target in STATION_RULES:
        services.rule_create(actor=actor, option=options[source], kind=kind, target=options[target])
    station.refresh_from_db()
    return station
