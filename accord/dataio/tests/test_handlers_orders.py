"""Import of orders through their handler: rows with one reference make one order with several
lines, bad lines are named per column and reject their whole order, existing orders are matched
by number or client's reference, only new orders' headers are updated, and undo."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accord.catalog.models import PriceList
from accord.catalog.services import price_set, product_create
from accord.commerce.models import Order, OrderLine
from accord.commerce.pricing import LineDraft
from accord.commerce.services_orders import order_create, order_set_status
from accord.core.models import User
from accord.core.testing import user_with_role
from accord.dataio import services
from accord.dataio.handlers import get_handler
from accord.dataio.handlers.base import RowResult
from accord.dataio.jobs import run_job
from accord.dataio.mapping import suggest
from accord.dataio.models import ImportBatch, ImportRecord
from accord.parties.tests.factories import make_company, make_contact

pytestmark = pytest.mark.django_db


def client_name(index: int) -> str:
    """Names that stay apart under the spelling-insensitive key ("Client 11" == "Client 1")."""
    return "Client " + "bdfgm"[index // 8] + "lnprszbd"[index % 8]


def rows_of(*raws: dict[str, str]) -> list[RowResult]:
    return [RowResult(number=index + 2, raw=dict(raw)) for index, raw in enumerate(raws)]


def batch_for(user: User, mode: str = "create", status: str = "running") -> ImportBatch:
    return ImportBatch.objects.create(
        object_type="order",
        created_by=user,
        source_file="imports/orders.csv",
        file_name="orders.csv",
        file_sha256="0" * 64,
        mode=mode,
        status=status,
    )


def run(
    user: User, *raws: dict[str, str], batch: ImportBatch | None = None
) -> tuple[list[RowResult], list[int]]:
    handler = get_handler("order")
    rows = rows_of(*raws)
    handler.clean(rows, user)
    fresh = [r for r in rows if r.ok and r.match_id is None and r.match_row is None]
    return rows, handler.create(fresh, actor=user, batch=batch or batch_for(user))


@pytest.fixture
def manager() -> User:
    return user_with_role("sales_manager")


@pytest.fixture
def cable(db: None) -> object:
    head = user_with_role("head_of_sales")
    product = product_create(actor=head, sku="CAB-1", name="Cable VVG", unit="m")
    price_set(
        actor=head, product=product, price_list=PriceList.objects.get(name="Base RUB"), amount="120"
    )
    return product


def line_values(order: Order) -> list[tuple[str, Decimal, Decimal, Decimal, Decimal, str]]:
    return [
        (
            line.description,
            line.quantity,
            line.unit_price,
            line.discount_percent,
            line.tax_rate,
            line.unit,
        )
        for line in OrderLine.objects.filter(order=order).order_by("position")
    ]


def test_rows_with_one_reference_make_one_order_with_its_lines(manager, cable):
    alpha = make_company(owner=manager, name="Alpha")
    anna = make_contact(
        owner=manager, company=alpha, last_name="Petrova", first_name="Anna", emails=["a@alpha.ru"]
    )

    rows, ids = run(
        manager,
        {
            "reference": "PO-7",
            "company": "Alpha",
            "contact": "A@alpha.ru",
            "ordered_on": "14.03.2025",
            "product": "CAB-1",
            "quantity": "12,5",
            "discount_percent": "10",
        },
        {
            "reference": "PO-7",
            "description": "Installation",
            "quantity": "1",
            "unit_price": "5 000,00",
            "tax_rate": "20",
            "unit": "service",
        },
        {
            "reference": "PO-8",
            "company": "Alpha",
            "contact": "Anna Petrova",
            "description": "Audit",
            "quantity": "2",
            "unit_price": "100",
            "currency": "EUR",
        },
    )

    assert [r.errors for r in rows] == [{}, {}, {}]
    first, second = (Order.objects.get(pk=pk) for pk in ids)
    assert (first.company, first.contact, first.currency) == (alpha, anna, "RUB")
    assert first.ordered_on == datetime.date(2025, 3, 14)
    assert (first.customer_reference, first.status, first.owner) == ("PO-7", "new", manager)
    assert line_values(first) == [
        (
            "Cable VVG",
            Decimal("12.500"),
            Decimal("120.00"),
            Decimal("10.00"),
            Decimal("20.00"),
            "m",
        ),
        (
            "Installation",
            Decimal("1.000"),
            Decimal("5000.00"),
            Decimal("0.00"),
            Decimal("20.00"),
            "service",
        ),
    ]
    assert first.total == Decimal("7620.00")
    assert (second.currency, second.contact, second.customer_reference) == ("EUR", anna, "PO-8")
    assert ImportRecord.objects.filter(action="created").count() == 2


def test_bad_line_values_are_named_and_reject_the_whole_order(manager, cable):
    make_company(owner=manager, name="Alpha")
    stranger = user_with_role("sales_manager")
    make_company(owner=stranger, name="Hidden")

    rows, ids = run(
        manager,
        {"reference": "1", "company": "Alpha", "product": "CAB-1", "quantity": "-2"},
        {
            "reference": "1",
            "description": "Fee",
            "quantity": "1",
            "unit_price": "10",
            "discount_percent": "150",
        },
        {"reference": "1", "description": "Ok line", "quantity": "1", "unit_price": "10"},
        {
            "reference": "2",
            "company": "Hidden",
            "description": "X",
            "quantity": "1",
            "unit_price": "1",
        },
        {
            "reference": "3",
            "company": "Alpha",
            "product": "NOPE",
            "quantity": "1",
            "ordered_on": "31.02.2025",
            "currency": "XYZ",
        },
        {"reference": "4", "company": "Alpha", "quantity": "1", "tax_rate": "120"},
    )

    assert ids == []
    assert Order.objects.count() == 0
    assert rows[0].errors == {"quantity": ["The quantity must be greater than zero."]}
    assert rows[1].errors == {"discount_percent": ["A discount must be between 0 and 100 %."]}
    assert rows[2].errors == {"reference": ["Another line of this order (row 2) has an error."]}
    assert rows[3].errors == {"company": ["Company “Hidden” not found."]}
    assert rows[4].errors == {
        "currency": ["Unknown currency “XYZ”; use one of RUB, EUR, USD, CNY, KZT, BYN, GBP, CHF."],
        "ordered_on": ["“31.02.2025” is not a real date (there is no such day in that month)."],
        "product": ["Product “NOPE” not found."],
    }
    assert rows[5].errors == {
        "description": ["Describe the line or give a product code."],
        "unit_price": ["Enter the unit price."],
        "tax_rate": ["A VAT rate must be between 0 and 100 %."],
    }


def test_existing_orders_match_and_only_a_new_orders_header_is_updated(manager):
    alpha = make_company(owner=manager, name="Alpha")
    line = LineDraft(description="Fee", quantity=Decimal("1"), unit_price=Decimal("10"))
    fresh = order_create(actor=manager, company=alpha, lines=[line], customer_reference="PO-1")
    confirmed = order_create(actor=manager, company=alpha, lines=[line])
    confirmed = order_set_status(actor=manager, order=confirmed, status=Order.Status.CONFIRMED)
    handler = get_handler("order")
    rows = rows_of(
        {
            "reference": "PO-1",
            "company": "Alpha",
            "description": "Fee",
            "quantity": "3",
            "unit_price": "10",
            "delivery_date": "01.06.2025",
            "notes": "Gate 4",
        },
        {
            "reference": confirmed.number,
            "company": "Alpha",
            "description": "Fee",
            "quantity": "1",
            "unit_price": "10",
            "notes": "Late",
        },
    )

    handler.clean(rows, manager)
    assert [(r.match_id, r.match_reason) for r in rows] == [
        (fresh.pk, "same client's reference"),
        (confirmed.pk, "same order number"),
    ]
    batch = batch_for(manager, "update")
    handler.update(rows, actor=manager, batch=batch)

    fresh.refresh_from_db()
    assert (fresh.delivery_date, fresh.notes) == (datetime.date(2025, 6, 1), "Gate 4")
    assert line_values(fresh) == [
        ("Fee", Decimal("1.000"), Decimal("10.00"), Decimal("0.00"), Decimal("0.00"), "pcs")
    ]
    assert rows[0].errors == {}
    assert rows[1].errors == {
        "reference": [
            f"Order {confirmed.number} is already confirmed; an import does not change it. "
            "Change it on the order's page."
        ]
    }
    record = ImportRecord.objects.get(batch=batch)
    assert record.before == {
        "delivery_date": None,
        "notes": "",
        "version": fresh.version,
        "previous_version": 1,
    }

    handler.undo([record], actor=manager)

    fresh.refresh_from_db()
    assert (fresh.delivery_date, fresh.notes) == (None, "")


def test_an_order_split_across_chunks_gets_the_later_lines(manager):
    make_company(owner=manager, name="Alpha")
    batch = batch_for(manager)
    _rows, first_ids = run(
        manager,
        {
            "reference": "PO-9",
            "company": "Alpha",
            "description": "A",
            "quantity": "1",
            "unit_price": "1",
        },
        batch=batch,
    )

    rows, more = run(
        manager,
        {
            "reference": "PO-9",
            "company": "Alpha",
            "description": "B",
            "quantity": "2",
            "unit_price": "1",
        },
        batch=batch,
    )

    assert rows[0].errors == {}
    assert (rows[0].match_id, more) == (None, [])
    order = Order.objects.get()
    assert first_ids == [order.pk]
    assert [x[0] for x in line_values(order)] == ["A", "B"]
    assert order.total == Decimal("3.60")
    assert ImportRecord.objects.count() == 1


def test_order_import_without_add_permission_is_refused_and_writes_nothing():
    reader = user_with_role("read_only")
    make_company(owner=reader, name="Alpha")
    handler = get_handler("order")
    rows = rows_of({"company": "Alpha", "description": "A", "quantity": "1", "unit_price": "1"})
    handler.clean(rows, reader)

    with pytest.raises(PermissionDenied):
        handler.create(rows, actor=reader, batch=batch_for(reader))

    assert Order.objects.count() == 0


def test_undo_deletes_new_imported_orders_and_leaves_confirmed_ones(manager):
    make_company(owner=manager, name="Alpha")
    _rows, ids = run(
        manager,
        {
            "reference": "1",
            "company": "Alpha",
            "description": "A",
            "quantity": "1",
            "unit_price": "1",
        },
        {
            "reference": "2",
            "company": "Alpha",
            "description": "B",
            "quantity": "1",
            "unit_price": "1",
        },
    )
    kept = Order.objects.get(pk=ids[1])
    record = ImportRecord.objects.get(object_id=kept.pk)
    order_set_status(actor=manager, order=kept, status=Order.Status.CONFIRMED)
    record.before = {"version": Order.objects.get(pk=kept.pk).version}
    record.save()

    skipped = get_handler("order").undo(list(ImportRecord.objects.all()), actor=manager)

    assert skipped == [kept.pk]
    assert list(Order.objects.values_list("pk", "status")) == [(kept.pk, "confirmed")]


# --- through the import engine ---------------------------------------------------------------

ORDERS = (
    "Номер заказа;Клиент;Дата;Артикул;Наименование;Количество;Цена;Скидка %\n"
    "PO-1;Alpha;14.03.2025;CAB-1;;10;;5\n"
    "PO-1;;;;Монтаж;1;5 000,00;\n"
    "PO-2;Alpha;15.03.2025;;Аудит;2;100;\n"
)
ORDER_COLUMNS = {
    "Номер заказа": "reference",
    "Клиент": "company",
    "Дата": "ordered_on",
    "Артикул": "product",
    "Наименование": "description",
    "Количество": "quantity",
    "Цена": "unit_price",
    "Скидка %": "discount_percent",
}


def engine_import(user: User, text: str, mode: str) -> ImportBatch:
    batch = services.import_prepare(
        actor=user,
        object_type="order",
        uploaded_file=SimpleUploadedFile("orders.csv", text.encode("utf-8")),
    )
    batch = services.import_configure(
        actor=user, batch=batch, columns=ORDER_COLUMNS, mode=mode, all_or_nothing=True
    )
    job = services.import_start(actor=user, batch=batch)
    run_job(job.pk)
    batch.refresh_from_db()
    return batch


def test_order_file_through_the_engine_is_not_imported_twice_and_undo_removes_it(cable):
    head = user_with_role("head_of_sales")
    make_company(owner=head, name="Alpha")

    first = engine_import(head, ORDERS, "create")
    again = engine_import(head, ORDERS, "skip")

    assert (first.status, first.rows_created, first.rows_rejected) == ("done", 3, 0)
    assert (again.rows_created, again.rows_skipped) == (0, 3)
    orders = {o.customer_reference: o for o in Order.objects.all()}
    assert sorted(orders) == ["PO-1", "PO-2"]
    assert line_values(orders["PO-1"]) == [
        ("Cable VVG", Decimal("10.000"), Decimal("120.00"), Decimal("5.00"), Decimal("20.00"), "m"),
        ("Монтаж", Decimal("1.000"), Decimal("5000.00"), Decimal("0.00"), Decimal("20.00"), "pcs"),
    ]
    assert orders["PO-1"].ordered_on == datetime.date(2025, 3, 14)

    services.import_undo(actor=head, batch=first)

    assert Order.objects.count() == 0


def test_cleaning_a_chunk_costs_the_same_queries_for_2_or_40_rows(manager, cable):
    for index in range(40):
        make_company(owner=manager, name=client_name(index))

    def queries(count: int) -> int:
        rows = rows_of(
            *[
                {
                    "reference": f"R{i // 2}",
                    "company": client_name(i // 2),
                    "product": "CAB-1",
                    "quantity": "1",
                    "ordered_on": "01.03.2025",
                }
                for i in range(count)
            ]
        )
        with CaptureQueriesContext(connection) as context:
            get_handler("order").clean(rows, manager)
        assert all(r.ok for r in rows), [r.errors for r in rows]
        return len(context.captured_queries)

    queries(1)  # the user's permissions are read once and cached
    assert queries(2) == queries(40)


def test_russian_and_german_headers_are_recognised(manager):
    handler = get_handler("order")

    assert suggest(handler, list(ORDER_COLUMNS), manager) == ORDER_COLUMNS
    assert suggest(
        handler,
        ["Bestellnummer", "Kunde", "Artikelnummer", "Menge", "Einzelpreis", "Rabatt"],
        manager,
    ) == {
        "Bestellnummer": "reference",
        "Kunde": "company",
        "Artikelnummer": "product",
        "Menge": "quantity",
        "Einzelpreis": "unit_price",
        "Rabatt": "discount_percent",
    }


def test_orders_from_the_command_line(cable, tmp_path):
    head = user_with_role("head_of_sales")
    make_company(owner=head, name="Alpha")
    path = tmp_path / "orders.csv"
    path.write_text(ORDERS, encoding="utf-8")

    call_command(
        "import",
        str(path),
        "--type",
        "orders",
        "--user",
        head.username,
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )

    assert sorted(Order.objects.values_list("customer_reference", flat=True)) == ["PO-1", "PO-2"]
    assert OrderLine.objects.count() == 3
