"""Demo service contracts for ``accord demo``: about twenty installed units with serial
numbers at a dozen clients (some under warranty, some out of it), and contracts in every
state a head of service meets: active ones with visits and hours partly used (one over its
hours), one ending within its notice period (for the renewal reminder), one that ended and
expired, a whole-client contract, and a draft renewal waiting to be activated.

Everything goes through the services, as the UI would. Serial numbers to try on the new-case
form: ``KNS-2401-0001`` (covered by a contract), ``BLR-2203-0004`` (warranty expired, no
contract), ``NO-SUCH-1`` (unknown)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from accord.catalog.models import Product
from accord.contracts import services
from accord.contracts.models import Asset, ServiceContract
from accord.core.audit import audit_context
from accord.core.models import User
from accord.parties.models import Company

DAY = datetime.timedelta(days=1)
UNITS = (
    # serial, description, location, installed (days ago), warranty months
    ("KNS-2401-0001", "Pumping station PS-100", "Pump house 1", 420, 24),
    ("KNS-2401-0002", "Pumping station PS-100", "Pump house 2", 420, 24),
    ("KNS-2402-0007", "Pumping station PS-100", "North site", 200, 24),
    ("BLR-2203-0004", "Gas boiler 120 kW", "Boiler room, level -1", 900, 24),
    ("BLR-2203-0005", "Gas boiler 120 kW", "Boiler room, level -1", 900, 24),
    ("BLR-2310-0012", "Gas boiler 240 kW", "Central heating plant", 410, 36),
    ("AHU-2105-0031", "Air handling unit AHU-6", "Roof", 1500, 24),
    ("AHU-2311-0040", "Air handling unit AHU-6", "Roof, block B", 380, 24),
    ("CHL-2207-0003", "Chiller 300 kW", "Technical floor", 860, 36),
    ("CHL-2406-0009", "Chiller 300 kW", "Technical floor", 150, 36),
    ("UPS-2301-0101", "UPS 40 kVA", "Server room", 700, 24),
    ("UPS-2301-0102", "UPS 40 kVA", "Server room", 700, 24),
    ("UPS-2409-0150", "UPS 60 kVA", "Data hall", 90, 24),
    ("GEN-2012-0006", "Diesel generator 500 kVA", "Yard", 1800, 12),
    ("GEN-2405-0021", "Diesel generator 500 kVA", "Yard", 180, 24),
    ("FIR-2208-0077", "Fire pump set", "Sprinkler room", 840, 24),
    ("FIR-2402-0081", "Fire pump set", "Sprinkler room", 300, 24),
    ("ELV-1911-0002", "Passenger lift 1000 kg", "Entrance A", 2500, 24),
    ("ELV-2304-0019", "Passenger lift 1000 kg", "Entrance B", 600, 24),
    ("HPM-2410-0005", "Heat pump 60 kW", "Plant room", 60, 60),
)


def is_loaded() -> bool:
    return Asset.objects.filter(serial_number=UNITS[0][0]).exists()


def _actor() -> User | None:
    for code in ("service_manager", "administrator"):
        user = User.objects.filter(roles__code=code, is_active=True).order_by("id").first()
        if user is not None:
            return user
    return User.objects.filter(is_superuser=True, is_active=True).order_by("id").first()


def seed_demo(*, say: Callable[[str], None] | None = None) -> dict[str, int]:
    """Create the demo units and contracts once (a second call creates nothing)."""
    say = say or (lambda _line: None)
    actor = _actor()
    companies = list(Company.objects.order_by("id")[:12])
    if is_loaded() or actor is None or not companies:
        return {}
    say("Service contracts and installed units")
    with audit_context(source="command"), transaction.atomic():
        return _seed(actor, companies)


def _seed(actor: User, companies: list[Company]) -> dict[str, int]:
    today = timezone.localdate()
    products = list(Product.objects.filter(is_active=True, kind=Product.Kind.PRODUCT)[:3])
    units: list[Asset] = []
    for index, (serial, description, location, days_ago, months) in enumerate(UNITS):
        installed = today - days_ago * DAY
        units.append(
            services.asset_create(
                actor=actor,
                company=companies[index % len(companies)],
                fields={
                    "serial_number": serial,
                    "description": description,
                    "location": location,
                    "installed_on": installed,
                    "product": products[index % len(products)] if products else None,
                },
                warranty_months=months,
            )
        )
    by_company: dict[int, list[Asset]] = {}
    for unit in units:
        by_company.setdefault(unit.company_id, []).append(unit)

    def contract(
        company: Company,
        name: str,
        start: datetime.date,
        end: datetime.date,
        *,
        covered: list[Asset] | None = None,
        entitlements: dict[str, Any] | None = None,
        amount: str = "",
        notice: int = 30,
        activate: bool = True,
    ) -> ServiceContract:
        made = services.contract_create(
            actor=actor,
            company=company,
            fields={
                "name": name,
                "starts_on": start,
                "ends_on": end,
                "amount": Decimal(amount) if amount else None,
                "currency": "RUB" if amount else "",
                "renewal_notice_days": notice,
            },
            covered_assets=covered or (),
            entitlements=entitlements,
        )
        if activate and end >= today:
            made = services.contract_activate(actor=actor, contract=made)
        return made

    first, second, third = (
        companies[0],
        companies[1 % len(companies)],
        companies[2 % len(companies)],
    )
    gold = contract(
        first,
        "Gold maintenance: pumping stations",
        today - 120 * DAY,
        today + 245 * DAY,
        covered=by_company.get(first.pk, []),
        entitlements={"visits": 12, "hours": 40, "cases": 24},
        amount="480000",
    )
    for days_ago, hours in ((100, "6"), (70, "4.5"), (35, "8"), (10, "3")):
        services.record_consumption(
            actor=actor,
            contract=gold,
            unit="visits",
            quantity=1,
            occurred_on=today - days_ago * DAY,
            source="WO",
            note="Scheduled maintenance visit",
        )
        services.record_consumption(
            actor=actor,
            contract=gold,
            unit="hours",
            quantity=hours,
            occurred_on=today - days_ago * DAY,
            source="WO",
        )
    busy = contract(
        second,
        "Silver: boilers, 8 h included",
        today - 200 * DAY,
        today + 165 * DAY,
        covered=by_company.get(second.pk, []),
        entitlements={"visits": 4, "hours": 8},
        amount="120000",
    )
    services.record_consumption(
        actor=actor,
        contract=busy,
        unit="hours",
        quantity="10",
        occurred_on=today - 20 * DAY,
        source="WO",
        note="Emergency repair after a pressure drop",
    )
    contract(
        third,
        "Whole-site service (all equipment)",
        today - 340 * DAY,
        today + 25 * DAY,
        entitlements={"visits": 6},
        amount="250000",
        notice=45,
    )
    ended = contract(
        companies[3 % len(companies)],
        "Chiller maintenance 2025",
        today - 400 * DAY,
        today - 35 * DAY,
        covered=by_company.get(companies[3 % len(companies)].pk, []),
        entitlements={"visits": 4},
        activate=False,
    )
    ServiceContract.objects.filter(pk=ended.pk).update(status=ServiceContract.Status.EXPIRED)
    renewed_source = contract(
        companies[4 % len(companies)],
        "UPS service",
        today - 330 * DAY,
        today + 35 * DAY,
        covered=by_company.get(companies[4 % len(companies)].pk, []),
        entitlements={"visits": 2, "hours": 16},
        amount="90000",
        notice=60,
    )
    services.contract_renew(actor=actor, contract=renewed_source)
    contract(
        companies[5 % len(companies)],
        "Generators: draft offer",
        today + 15 * DAY,
        today + 380 * DAY,
        entitlements={"visits": 2},
        activate=False,
    )
    return {
        "installed units": len(units),
        "service contracts": ServiceContract.objects.count(),
    }
