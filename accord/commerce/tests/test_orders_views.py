"""Order and invoice pages: phone order from the card, lists, detail, shipments, payments."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from accord.commerce.models import Invoice, Order, Payment, Shipment
from accord.commerce.services_invoices import invoice_create
from accord.commerce.tests.test_orders_factories import draft, make_order
from accord.core.cards import actions_for, panels_for
from accord.core.testing import TeamFactory, assert_num_queries, user_with_role
from accord.parties.tests.factories import make_company, make_contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager():
    return user_with_role("sales_manager")


@pytest.fixture
def company(manager):
    return make_company(owner=manager, name="Vega LLC")


def test_card_offers_take_an_order_and_shows_panels(client, manager, company):
    actions = {action.key: url for action, url in actions_for(manager, company.pk)}
    assert actions["take_order"] == f"/orders/new/?company={company.pk}"
    panels = {panel.key for panel, _url in panels_for(manager, company.pk)}
    assert {"orders", "invoices"} <= panels
    order = make_order(actor=manager, company=company)
    invoice = invoice_create(actor=manager, order=order, issue=True)
    client.force_login(manager)
    html = client.get(reverse("commerce:company_orders", args=[company.pk])).content.decode()
    assert order.number in html and "New" in html and "480.00" in html
    html = client.get(reverse("commerce:company_invoices", args=[company.pk])).content.decode()
    assert invoice.number in html and "Outstanding" in html and "480.00" in html


def test_panels_are_404_for_a_company_the_user_cannot_see(client, manager):
    other = make_company(owner=user_with_role("sales_manager"), name="Hidden")
    client.force_login(manager)
    assert client.get(reverse("commerce:company_orders", args=[other.pk])).status_code == 404
    assert client.get(reverse("commerce:company_invoices", args=[other.pk])).status_code == 404


def test_phone_order_in_a_few_taps(client, manager, company):
    contact = make_contact(owner=manager, company=company)
    client.force_login(manager)
    page = client.get(reverse("commerce:order_create"), {"company": company.pk})
    html = page.content.decode()
    assert page.status_code == 200
    assert 'value="phone" selected' in html
    assert f'value="{contact.pk}" selected' in html  # the only contact is prefilled
    row = client.get(reverse("commerce:order_line_row"), {"index": 1}).content.decode()
    assert 'name="line1-description"' in row and "index=2" in row
    response = client.post(
        reverse("commerce:order_create"),
        {
            "company": company.pk,
            "contact": contact.pk,
            "channel": "phone",
            "lines": ["line0", "line1", "line2"],
            "line0-description": "Pump",
            "line0-quantity": "2",
            "line0-unit_price": "100",
            "line0-tax_rate": "20",
            "line1-description": "Valve",
            "line1-quantity": "1,5",
            "line1-unit_price": "10",
            "line1-tax_rate": "0",
            "line2-description": "",
            "confirm": "on",
        },
    )
    order = Order.objects.get()
    assert response.status_code == 302 and response["Location"] == order.get_absolute_url()
    assert order.status == Order.Status.CONFIRMED
    assert order.contact == contact and order.channel == "phone"
    assert order.total == Decimal("255.00")


def test_bad_line_input_stays_on_the_form_naming_the_input(client, manager, company):
    client.force_login(manager)
    response = client.post(
        reverse("commerce:order_create"),
        {
            "company": company.pk,
            "channel": "phone",
            "lines": ["line0", "line1"],
            "line0-description": "Pump",
            "line0-quantity": "-2",
            "line0-unit_price": "100",
            "line1-description": "Valve",
            "line1-quantity": "1",
            "line1-unit_price": "10",
            "line1-discount_percent": "150",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="line0-quantity-errors"' in html
    assert 'id="line1-discount_percent-errors"' in html
    assert "between 0 and 100" in html
    assert 'value="Valve"' in html  # what was typed is kept
    assert not Order.objects.exists()


def test_order_list_shows_own_and_team_orders_only(client):
    team = TeamFactory()
    me = user_with_role("sales_manager", team=team)
    colleague = user_with_role("sales_manager", team=team)
    stranger = user_with_role("sales_manager")
    mine = make_order(actor=me, company=make_company(owner=me, name="Mine"))
    shared = make_company(owner=colleague, name="Colleague's", team=team)
    theirs = make_order(actor=colleague, company=shared)
    hidden = make_order(actor=stranger, company=make_company(owner=stranger, name="Other"))
    client.force_login(me)
    html = client.get(reverse("commerce:order_list")).content.decode()
    assert mine.number in html and theirs.number in html and hidden.number not in html
    assert client.get(reverse("commerce:order_detail", args=[hidden.pk])).status_code == 404
    html = client.get(reverse("commerce:order_list"), {"status": "new", "client": "Mine"}).content
    assert mine.number in html.decode() and theirs.number not in html.decode()


@pytest.mark.parametrize("rows", [2, 12])
def test_order_list_query_count_does_not_grow_with_rows(client, rows):
    boss = user_with_role("head_of_sales")
    company = make_company(owner=boss, name="Acme")
    for _ in range(rows):
        make_order(actor=boss, company=company)
    client.force_login(boss)
    url = reverse("commerce:order_list")
    client.get(url)
    with assert_num_queries(8):
        response = client.get(url)
    assert len(response.context["rows"]) == rows


@pytest.mark.parametrize("rows", [2, 12])
def test_invoice_list_query_count_does_not_grow_with_rows(client, rows):
    boss = user_with_role("head_of_sales")
    company = make_company(owner=boss, name="Acme")
    for _ in range(rows):
        invoice_create(actor=boss, company=company, lines=[draft()], issue=True)
    client.force_login(boss)
    url = reverse("commerce:invoice_list")
    client.get(url)
    with assert_num_queries(8):
        response = client.get(url)
    assert len(response.context["rows"]) == rows


def test_invoice_list_overdue_filter_and_csv_export(client, manager, company):
    import datetime

    late = invoice_create(
        actor=manager,
        company=company,
        lines=[draft("=HYPERLINK(1)")],
        issued_on=datetime.date(2020, 1, 1),
        issue=True,
    )
    fresh = invoice_create(actor=manager, company=company, lines=[draft()], issue=True)
    client.force_login(manager)
    html = client.get(reverse("commerce:invoice_list"), {"overdue": "on"}).content.decode()
    assert late.number in html and fresh.number not in html and "overdue" in html
    response = client.get(reverse("commerce:invoice_export"))
    body = b"".join(response.streaming_content).decode("utf-8")
    assert late.number in body and fresh.number in body and "Balance due" in body


def test_order_detail_shipment_and_status_flow(client, manager, company):
    order = make_order(actor=manager, company=company)
    client.force_login(manager)
    html = client.get(order.get_absolute_url()).content.decode()
    assert "Confirm" in html and "Pump" in html
    client.post(
        reverse("commerce:order_status", args=[order.pk]),
        {"status": "confirmed", "version": order.version},
    )
    order.refresh_from_db()
    assert order.status == "confirmed"
    pump, valve = order.lines.all()
    page = client.get(reverse("commerce:shipment_create", args=[order.pk]))
    assert f'name="line-{pump.pk}"' in page.content.decode()
    response = client.post(
        reverse("commerce:shipment_create", args=[order.pk]),
        {f"line-{pump.pk}": "5", f"line-{valve.pk}": "0", "shipped_on": "2026-05-01"},
    )
    assert response.status_code == 200
    assert "remain to ship" in response.content.decode()
    assert not Shipment.objects.exists()
    client.post(
        reverse("commerce:shipment_create", args=[order.pk]),
        {f"line-{pump.pk}": "3", f"line-{valve.pk}": "2", "shipped_on": "2026-05-01"},
    )
    order.refresh_from_db()
    assert order.status == "shipped"
    response = client.post(
        reverse("commerce:order_status", args=[order.pk]), {"status": "cancelled", "reason": "x"}
    )
    order.refresh_from_db()
    assert order.status == "shipped"


def test_payment_form_asks_to_confirm_an_overpayment(client, manager, company):
    invoice = invoice_create(actor=manager, company=company, lines=[draft()], issue=True)
    client.force_login(manager)
    url = reverse("commerce:payment_create", args=[invoice.pk])
    html = client.get(invoice.get_absolute_url()).content.decode()
    assert "confirm_overpayment" not in html and "120.00" in html
    response = client.post(url, {"amount": "200", "paid_on": "2026-05-01"})
    assert response.status_code == 422
    html = response.content.decode()
    assert "more than the balance due" in html and 'name="confirm_overpayment"' in html
    assert not Payment.objects.exists()
    response = client.post(
        url, {"amount": "200", "paid_on": "2026-05-01", "confirm_overpayment": "on"}
    )
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID and invoice.amount_paid == Decimal("200.00")


def test_read_only_sees_invoices_but_cannot_add_payments(client, manager, company):
    invoice = invoice_create(actor=manager, company=company, lines=[draft()], issue=True)
    reader = user_with_role("read_only")
    client.force_login(reader)
    html = client.get(invoice.get_absolute_url()).content.decode()
    assert invoice.number in html and "Enter a payment" not in html
    response = client.post(
        reverse("commerce:payment_create", args=[invoice.pk]),
        {"amount": "1", "paid_on": "2026-05-01"},
    )
    assert response.status_code == 404
    assert not Payment.objects.exists()


def test_invoice_from_order_page(client, manager, company):
    order = make_order(actor=manager, company=company, confirm=True)
    client.force_login(manager)
    page = client.get(reverse("commerce:invoice_create"), {"order": order.pk})
    assert page.status_code == 200
    pump, valve = order.lines.all()
    response = client.post(
        reverse("commerce:invoice_create"),
        {
            "order": order.pk,
            f"line-{pump.pk}": "3",
            f"line-{valve.pk}": "0",
            "issued_on": "2026-05-01",
            "issue": "on",
        },
    )
    invoice = Invoice.objects.get()
    assert response["Location"] == invoice.get_absolute_url()
    assert invoice.total == Decimal("360.00") and invoice.status == "issued"


def test_free_invoice_page(client, manager, company):
    client.force_login(manager)
    response = client.post(
        reverse("commerce:invoice_create"),
        {
            "company": company.pk,
            "currency": "EUR",
            "issued_on": "2026-05-01",
            "lines": ["line0"],
            "line0-description": "Consulting",
            "line0-quantity": "2",
            "line0-unit_price": "50",
            "line0-tax_rate": "0",
        },
    )
    invoice = Invoice.objects.get()
    assert response["Location"] == invoice.get_absolute_url()
    assert invoice.total == Decimal("100.00") and invoice.status == "draft"
    assert invoice.currency == "EUR"


def test_deal_orders_fragment(client, manager, company):
    from accord.commerce.tests.test_orders_factories import make_deal

    deal = make_deal(owner=manager, company=company)
    order = make_order(actor=manager, company=company, deal=deal)
    client.force_login(manager)
    html = client.get(reverse("commerce:deal_orders", args=[deal.pk])).content.decode()
    assert order.number in html and f"deal={deal.pk}" in html


def test_phone_order_with_a_configured_catalogue_product(client, manager, company):
    from accord.catalog.examples import STATION_SKU, create_example_catalog
    from accord.catalog.models import Product

    create_example_catalog(user_with_role("administrator"))
    station = Product.objects.get(sku=STATION_SKU)
    client.force_login(manager)
    html = client.get(reverse("commerce:order_create"), {"company": company.pk}).content.decode()
    assert "prefix=line0_cat" in html
    base = {"company": company.pk, "channel": "phone", "lines": ["line0", "line1"]}
    response = client.post(
        reverse("commerce:order_create"),
        {
            **base,
            "line0_cat-product": station.pk,
            "line0_cat-options": ["v380", "motor-1ph"],
            "line0_cat-quantity": "0",
            "line1-description": "Delivery",
            "line1-quantity": "1",
            "line1-unit_price": "5000",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "line0_cat-product=" in html  # the picker comes back with the product chosen
    assert not Order.objects.exists()
    response = client.post(
        reverse("commerce:order_create"),
        {
            **base,
            "line0_cat-product": station.pk,
            "line0_cat-options": ["v380", "motor-3ph"],
            "line0_cat-quantity": "2",
            "line1-description": "Delivery",
            "line1-quantity": "1",
            "line1-unit_price": "5000",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    order = Order.objects.get()
    first, second = order.lines.all()
    assert first.product_id == station.pk and first.quantity == Decimal("2")
    assert {option["code"] for option in first.configuration} >= {"v380", "motor-3ph"}
    assert second.description == "Delivery" and second.product_id is None


def test_order_and_invoice_pages_show_their_history(client, manager, company):
    from accord.commerce.services_orders import order_cancel

    order = make_order(actor=manager, company=company)
    order_cancel(actor=manager, order=order, reason="Client changed his mind")
    invoice = invoice_create(actor=manager, company=company, lines=[draft()], issue=True)
    client.force_login(manager)
    html = client.get(order.get_absolute_url()).content.decode()
    assert "Client changed his mind" in html and "History" in html
    html = client.get(invoice.get_absolute_url()).content.decode()
    assert "History" in html and "Draft → Issued" in html
    assert client.get(reverse("commerce:order_history", args=[order.pk])).status_code == 200
