"""Factories of the contracts tests: clients, products, units and contracts made through the
services (so numbering, audit and validation are real)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from accord.catalog.models import Product
from accord.contracts import services
from accord.contracts.models import Asset, ServiceContract
from accord.core.models import User
from accord.core.testing import UserFactory

_counter = {"n": 0}


def root() -> User:
    return User.objects.filter(is_superuser=True).first() or UserFactory(
        is_superuser=True, username="factory-root"
    )


def make_product(name: str = "Boiler") -> Product:
    _counter["n"] += 1
    return Product.objects.create(sku=f"SKU-{_counter['n']}", name=name)


def make_asset(company: Any, serial: str, product: Product | None = None, **fields: Any) -> Asset:
    return services.asset_create(
        actor=root(),
        company=company,
        fields={"serial_number": serial, "product": product, **fields},
    )


def make_contract(
    company: Any,
    *,
    starts_on: datetime.date,
    ends_on: datetime.date,
    active: bool = True,
    products: tuple[Any, ...] = (),
    assets: tuple[Any, ...] = (),
    entitlements: dict[str, Any] | None = None,
    owner: User | None = None,
    **fields: Any,
) -> ServiceContract:
    actor = root()
    contract = services.contract_create(
        actor=actor,
        company=company,
        fields={
            "name": fields.pop("name", "Maintenance"),
            "starts_on": starts_on,
            "ends_on": ends_on,
            "owner": owner or actor,
            **fields,
        },
        covered_products=products,
        covered_assets=assets,
        entitlements=entitlements,
    )
    if active:
        ServiceContract.objects.filter(pk=contract.pk).update(status=ServiceContract.Status.ACTIVE)
        contract.refresh_from_db()
    return contract


ZERO = Decimal("0")
