"""Import of products through their handler: units, VAT rates and prices resolved the way people
write them, an error per bad column, matching by article code, update, undo and refusals."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accord.catalog.models import Price, PriceList, Product, TaxRate
from accord.catalog.services import price_set, product_create
from accord.commerce.pricing import LineDraft
from accord.commerce.services_orders import order_create
from accord.core.models import User
from accord.core.testing import user_with_role
from accord.dataio import services
from accord.dataio.handlers import get_handler
from accord.dataio.handlers.base import RowResult
from accord.dataio.jobs import run_job
from accord.dataio.mapping import suggest
from accord.dataio.models import ImportBatch, ImportRecord
from accord.parties.tests.factories import make_company

pytestmark = pytest.mark.django_db


def rows_of(*raws: dict[str, str]) -> list[RowResult]:
    return [RowResult(number=index + 2, raw=dict(raw)) for index, raw in enumerate(raws)]


def batch_for(user: User, mode: str = "create") -> ImportBatch:
    return ImportBatch.objects.create(
        object_type="product",
        created_by=user,
        source_file="imports/products.csv",
        file_name="products.csv",
        file_sha256="0" * 64,
        mode=mode,
    )


def run(user: User, *raws: dict[str, str]) -> tuple[list[RowResult], list[int]]:
    handler = get_handler("product")
    rows = rows_of(*raws)
    handler.clean(rows, user)
    fresh = [r for r in rows if r.ok and r.match_id is None and r.match_row is None]
    return rows, handler.create(fresh, actor=user, batch=batch_for(user))


def price(product: Product, name: str) -> Decimal | None:
    found = Price.objects.filter(product=product, price_list__name=name, option=None).first()
    return found.amount if found else None


def test_product_file_creates_products_with_prices():
    head = user_with_role("head_of_sales")

    rows, ids = run(
        head,
        {
            "sku": "CAB-1",
            "name": "  Cable   VVG 3x2.5 ",
            "unit": "m",
            "kind": "Product",
            "tax_rate": "10 %",
            "price": "1 250,50",
            "currency": "EUR",
        },
        {
            "sku": "SRV-1",
            "name": "Design hour",
            "unit": "h",
            "kind": "service",
            "tax_rate": "TVA 5,5 %",
            "price": "3000",
            "price_list": "base rub",
            "is_active": "нет",
        },
    )

    assert [r.errors for r in rows] == [{}, {}]
    cable, design = (Product.objects.get(pk=pk) for pk in ids)
    assert (cable.sku, cable.name, cable.unit, cable.kind) == (
        "CAB-1",
        "Cable VVG 3x2.5",
        "m",
        "product",
    )
    assert cable.tax_rate == TaxRate.objects.get(country="RU", name="НДС 10 %")
    assert cable.is_active is True
    assert price(cable, "Base EUR") == Decimal("1250.50")
    assert price(cable, "Base RUB") is None
    assert (design.unit, design.kind, design.is_active) == ("h", "service", False)
    assert design.tax_rate == TaxRate.objects.get(name="TVA 5,5 %")
    assert price(design, "Base RUB") == Decimal("3000.00")
    assert sorted(ImportRecord.objects.values_list("object_id", flat=True)) == sorted(ids)


def test_product_bad_values_are_named_per_column():
    head = user_with_role("head_of_sales")

    rows, ids = run(
        head,
        {"sku": "A", "name": "A", "unit": "barrel", "tax_rate": "33", "price": "-1"},
        {"sku": "B", "name": "B", "price": "10", "price_list": "Wholesale"},
        {"sku": "C", "name": "C", "price": "10", "price_list": "Base RUB", "currency": "EUR"},
        {"sku": "D", "name": "D", "currency": "XYZ", "is_active": "maybe"},
        {"sku": "E"},
        {"name": "No code"},
    )

    assert ids == []
    assert Product.objects.count() == 0
    assert sorted(rows[0].errors) == ["price", "tax_rate", "unit"]
    assert rows[0].errors["tax_rate"] == ["VAT rate “33” not found."]
    assert rows[0].errors["price"] == ["The value cannot be negative."]
    assert rows[0].errors["unit"][0].startswith("“barrel” is not one of the allowed values")
    assert rows[1].errors == {"price_list": ["Price list “Wholesale” not found."]}
    assert rows[2].errors == {"currency": ["The price list “Base RUB” is in RUB."]}
    assert sorted(rows[3].errors) == ["currency", "is_active"]
    assert rows[4].errors == {"name": ["Enter the product's name."]}
    assert rows[5].errors == {"sku": ["Enter the article code."]}


def test_product_rows_match_by_code_update_and_undo():
    head = user_with_role("head_of_sales")
    product = product_create(actor=head, sku="CAB-1", name="Cable", unit="m")
    rub = PriceList.objects.get(name="Base RUB")
    price_set(actor=head, product=product, price_list=rub, amount="100")
    handler = get_handler("product")
    rows = rows_of(
        {"sku": "CAB-1", "name": "Cable VVG", "price": "120,5", "currency": "EUR"},
        {"sku": "CAB-1", "name": "Cable again"},
        {"sku": "NEW-1", "name": "New"},
        {"sku": "NEW-1", "name": "New twice"},
    )

    handler.clean(rows, head)
    assert [(r.match_id, r.match_row) for r in rows] == [
        (product.pk, None),
        (product.pk, None),
        (None, None),
        (None, 4),
    ]
    batch = batch_for(head, "update")
    handler.update(rows[:1], actor=head, batch=batch)

    product.refresh_from_db()
    assert product.name == "Cable VVG"
    assert (price(product, "Base EUR"), price(product, "Base RUB")) == (
        Decimal("120.50"),
        Decimal("100.00"),
    )
    record = ImportRecord.objects.get(batch=batch)
    eur = PriceList.objects.get(name="Base EUR")
    assert record.before == {
        "name": "Cable",
        "prices": {str(eur.pk): None},
        "version": product.version,
        "previous_version": 2,
    }

    handler.undo([record], actor=head)

    product.refresh_from_db()
    assert product.name == "Cable"
    assert (price(product, "Base EUR"), price(product, "Base RUB")) == (None, Decimal("100.00"))


def test_product_import_without_add_permission_is_refused_and_writes_nothing():
    manager = user_with_role("sales_manager")
    handler = get_handler("product")
    rows = rows_of({"sku": "A", "name": "A"})
    handler.clean(rows, manager)

    with pytest.raises(PermissionDenied):
        handler.create(rows, actor=manager, batch=batch_for(manager))

    assert Product.objects.count() == 0


def test_product_undo_removes_unused_products_and_deactivates_used_ones():
    head = user_with_role("head_of_sales")
    _rows, ids = run(head, {"sku": "A", "name": "A", "price": "5"}, {"sku": "B", "name": "B"})
    used = Product.objects.get(sku="B")
    order_create(
        actor=head,
        company=make_company(owner=head, name="Client"),
        lines=[
            LineDraft(
                description="B", quantity=Decimal("1"), unit_price=Decimal("1"), product_id=used.pk
            )
        ],
    )

    get_handler("product").undo(list(ImportRecord.objects.all()), actor=head)

    assert list(Product.objects.filter(pk__in=ids).values_list("sku", "is_active")) == [
        ("B", False)
    ]


# --- through the import engine ---------------------------------------------------------------

PRODUCTS = (
    "Артикул;Наименование;Ед. изм.;НДС;Цена;Валюта\n"
    "CAB-1;Кабель ВВГ 3x2,5;m;20 %;1 250,50;RUB\n"
    "SRV-1;Проектирование, час;h;;3000;EUR\n"
)
PRODUCT_COLUMNS = {
    "Артикул": "sku",
    "Наименование": "name",
    "Ед. изм.": "unit",
    "НДС": "tax_rate",
    "Цена": "price",
    "Валюта": "currency",
}


def engine_import(user: User, text: str, mode: str) -> ImportBatch:
    batch = services.import_prepare(
        actor=user,
        object_type="product",
        uploaded_file=SimpleUploadedFile("products.csv", text.encode("utf-8")),
    )
    batch = services.import_configure(
        actor=user, batch=batch, columns=PRODUCT_COLUMNS, mode=mode, all_or_nothing=False
    )
    job = services.import_start(actor=user, batch=batch)
    run_job(job.pk)
    batch.refresh_from_db()
    return batch


def test_product_file_through_the_engine_create_skip_update_and_undo():
    head = user_with_role("head_of_sales")

    first = engine_import(head, PRODUCTS, "create")
    again = engine_import(head, PRODUCTS, "skip")
    update = engine_import(head, PRODUCTS.replace("1 250,50", "1 300"), "update")

    assert (first.rows_created, first.rows_rejected) == (2, 0)
    assert (again.rows_created, again.rows_skipped) == (0, 2)
    assert (update.rows_updated, update.rows_rejected) == (2, 0)
    cable = Product.objects.get(sku="CAB-1")
    assert (cable.name, cable.unit, cable.tax_rate) == (
        "Кабель ВВГ 3x2,5",
        "m",
        TaxRate.objects.get(country="RU", is_default=True),
    )
    assert price(cable, "Base RUB") == Decimal("1300.00")
    assert price(Product.objects.get(sku="SRV-1"), "Base EUR") == Decimal("3000.00")

    services.import_undo(actor=head, batch=update)

    assert price(cable, "Base RUB") == Decimal("1250.50")


def test_product_import_needs_the_import_permission():
    manager = user_with_role("sales_manager")

    with pytest.raises(PermissionDenied):
        services.import_prepare(
            actor=manager,
            object_type="product",
            uploaded_file=SimpleUploadedFile("products.csv", PRODUCTS.encode("utf-8")),
        )

    assert (ImportBatch.objects.count(), Product.objects.count()) == (0, 0)


def test_cleaning_a_chunk_costs_the_same_queries_for_2_or_40_rows():
    head = user_with_role("head_of_sales")
    for index in range(20):
        product_create(actor=head, sku=f"OLD-{index}", name=f"Old {index}")

    def queries(count: int) -> int:
        rows = rows_of(
            *[
                {
                    "sku": f"OLD-{i}" if i % 2 else f"NEW-{i}",
                    "name": f"P {i}",
                    "unit": "kg",
                    "tax_rate": "10",
                    "price": "5",
                    "price_list": "Base RUB",
                    "is_active": "yes",
                }
                for i in range(count)
            ]
        )
        with CaptureQueriesContext(connection) as context:
            get_handler("product").clean(rows, head)
        assert all(r.ok for r in rows)
        return len(context.captured_queries)

    queries(1)  # the user's permissions are read once and cached
    assert queries(2) == queries(40)


def test_russian_and_french_headers_are_recognised():
    head = user_with_role("head_of_sales")
    handler = get_handler("product")

    assert suggest(handler, list(PRODUCT_COLUMNS), head) == PRODUCT_COLUMNS
    assert suggest(handler, ["Référence", "Désignation", "Unité", "TVA", "Prix"], head) == {
        "Référence": "sku",
        "Désignation": "name",
        "Unité": "unit",
        "TVA": "tax_rate",
        "Prix": "price",
    }
