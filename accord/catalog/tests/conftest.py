"""Fixtures of the catalogue tests: the example catalogue, built through the services."""

from __future__ import annotations

import pytest

from accord.catalog.examples import STATION_SKU, create_example_catalog
from accord.catalog.models import PriceList, Product
from accord.core.models import User
from accord.core.testing import user_with_role


@pytest.fixture
def head(db: None) -> User:
    return user_with_role("head_of_sales")


@pytest.fixture
def admin(db: None) -> User:
    return user_with_role("administrator")


@pytest.fixture
def manager(db: None) -> User:
    return user_with_role("sales_manager")


@pytest.fixture
def example_catalog(head: User) -> list[Product]:
    return create_example_catalog(head)


@pytest.fixture
def station(example_catalog: list[Product]) -> Product:
    return Product.objects.get(sku=STATION_SKU)


@pytest.fixture
def rub(db: None) -> PriceList:
    return PriceList.objects.get(name="Base RUB")


@pytest.fixture
def eur(db: None) -> PriceList:
    return PriceList.objects.get(name="Base EUR")
