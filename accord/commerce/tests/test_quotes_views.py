import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accord.commerce import services_quotes
from accord.commerce.models import Quote
from accord.commerce.tests.test_quotes_helpers import free_line, make_deal, make_quote
from accord.core.testing import TeamFactory, assert_num_queries, user_with_role
from accord.parties.tests.factories import make_company, make_contact

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_create_from_the_deal_page_then_edit_lines_inline(client):
    manager = user_with_role("sales_manager")
    company = make_company(owner=manager, name="Alpha")
    contact = make_contact(owner=manager, company=company)
    deal = make_deal(owner=manager, company=company, contacts=[contact])
    client.force_login(manager)

    form = client.get(reverse("commerce:quote_create"), {"deal": deal.pk})
    created = client.post(
        reverse("commerce:quote_create"),
        {"deal": deal.pk, "contact": contact.pk, "language": "ru", "valid_until": ""},
    )

    assert form.status_code == 200 and "Alpha" in form.content.decode()
    quote = Quote.objects.get()
    assert created.status_code == 302 and created["Location"] == quote.get_absolute_url()
    assert (quote.contact, quote.language, quote.status) == (contact, "ru", "draft")

    added = client.post(
        reverse("commerce:quote_line_add", args=[quote.pk]),
        {
            "kind": "text",
            "version": quote.version,
            "description": "Survey",
            "quantity": "2",
            "unit": "pcs",
            "unit_price": "1 000,50",
            "discount_percent": "",
            "tax_rate": "20",
        },
        **HTMX,
    )
    assert added.status_code == 200
    html = added.content.decode()
    assert 'id="quote-lines"' in html and "Survey" in html and "<html" not in html
    quote.refresh_from_db()
    assert quote.total == Decimal("2401.20") and quote.version == 2
    assert 'id="header-version" hx-swap-oob="true"' in html

    line = quote.lines.get()
    edited = client.post(
        reverse("commerce:quote_line_edit", args=[quote.pk, line.pk]),
        {
            "version": quote.version,
            "description": "Survey, 2 sites",
            "quantity": "3",
            "unit": "pcs",
            "unit_price": "1000.50",
            "discount_percent": "150",
            "tax_rate": "20",
        },
        **HTMX,
    )
    assert "A discount must be between 0 and 100 %." in edited.content.decode()
    line.refresh_from_db()
    assert line.quantity == Decimal("2") and line.description == "Survey"

    removed = client.post(
        reverse("commerce:quote_line_delete", args=[quote.pk, line.pk]),
        {"version": quote.version},
    )
    assert removed.status_code == 302 and not quote.lines.exists()


def test_negative_quantity_shown_next_to_the_field(client):
    manager = user_with_role("sales_manager")
    quote = make_quote(owner=manager)
    client.force_login(manager)

    response = client.post(
        reverse("commerce:quote_line_add", args=[quote.pk]),
        {"kind": "text", "description": "X", "quantity": "-1", "unit": "pcs", "unit_price": "5"},
        **HTMX,
    )

    html = response.content.decode()
    assert "The quantity must be greater than zero." in html
    assert 'id="id_new_quantity_errors"' in html
    assert quote.lines.count() == 1


def test_accepted_quote_page_shows_why_it_cannot_change_and_refuses_edits(client):
    manager = user_with_role("sales_manager")
    quote = make_quote(owner=manager)
    services_quotes.quote_mark_sent(actor=manager, quote=quote, sent_to="a@example.com")
    client.force_login(manager)

    accepted = client.post(reverse("commerce:quote_accept", args=[quote.pk]))
    quote.refresh_from_db()
    page = client.get(quote.get_absolute_url()).content.decode()
    line = quote.lines.get()
    refused = client.post(
        reverse("commerce:quote_line_edit", args=[quote.pk, line.pk]),
        {"description": "Changed", "quantity": "5", "unit": "pcs", "unit_price": "1"},
        **HTMX,
    )

    assert accepted.status_code == 302 and quote.status == "accepted"
    assert "This quote was accepted on" in page and "Add line" not in page
    assert "This quote was accepted on" in refused.content.decode()
    line.refresh_from_db()
    assert line.description == "Survey"


def test_reject_and_revise_from_the_page(client):
    manager = user_with_role("sales_manager")
    quote = make_quote(owner=manager)
    services_quotes.quote_mark_sent(actor=manager, quote=quote, sent_to="a@example.com")
    client.force_login(manager)

    client.post(reverse("commerce:quote_reject", args=[quote.pk]), {"reason": "Budget cut"})
    revised = client.post(reverse("commerce:quote_revise", args=[quote.pk]))

    quote.refresh_from_db()
    revision = Quote.objects.get(previous=quote)
    assert (quote.status, quote.rejection_reason) == ("rejected", "Budget cut")
    assert revised["Location"] == revision.get_absolute_url()
    page = client.get(revision.get_absolute_url()).content.decode()
    assert "Revision 2" in page and "Revision 1" in page


def test_another_managers_quote_is_invisible_and_read_only_cannot_send(client):
    manager = user_with_role("sales_manager", team=TeamFactory())
    stranger = user_with_role("sales_manager", team=TeamFactory())
    viewer = user_with_role("read_only")
    quote = make_quote(owner=manager)

    client.force_login(stranger)
    assert client.get(quote.get_absolute_url()).status_code == 404
    assert client.get(reverse("commerce:quote_list")).context["rows"] == []
    client.force_login(viewer)
    assert client.get(quote.get_absolute_url()).status_code == 200
    assert client.get(reverse("commerce:quote_send", args=[quote.pk])).status_code == 404
    response = client.post(
        reverse("commerce:quote_send", args=[quote.pk]),
        {"to": "a@example.com", "subject": "S", "message": "M"},
    )
    assert response.status_code == 404
    assert Quote.objects.get(pk=quote.pk).status == "draft"


def test_send_page_is_prefilled_and_a_failing_server_keeps_the_draft(client, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    manager = user_with_role("sales_manager")
    quote = make_quote(owner=manager, contact_email="anna@client.example")
    client.force_login(manager)

    page = client.get(reverse("commerce:quote_send", args=[quote.pk]))
    failed = client.post(
        reverse("commerce:quote_send", args=[quote.pk]),
        {"to": "anna@client.example", "subject": "Quote", "message": "Hello", "version": 1},
    )

    assert page.context["form"].initial["to"] == "anna@client.example"
    assert quote.number in page.context["form"].initial["subject"]
    assert failed.status_code == 200
    assert "The quote was not sent and is unchanged" in failed.content.decode()
    assert Quote.objects.get(pk=quote.pk).status == "draft"


def _quotes_for(owner, count):
    company = make_company(owner=owner)
    deal = make_deal(owner=owner, company=company)
    for _index in range(count):
        services_quotes.quote_create(actor=owner, deal=deal, lines=[free_line()])


def test_quote_list_filters_and_export(client):
    manager = user_with_role("head_of_sales")
    _quotes_for(manager, 2)
    first = Quote.objects.order_by("pk").first()
    services_quotes.quote_mark_sent(actor=manager, quote=first, sent_to="a@example.com")
    Quote.objects.filter(pk=first.pk).update(
        valid_until=timezone.localdate() + datetime.timedelta(days=90)
    )
    client.force_login(manager)
    url = reverse("commerce:quote_list")

    sent = client.get(url, {"status": "sent"}).context["rows"]
    far = client.get(
        url, {"valid_from": (timezone.localdate() + datetime.timedelta(days=60)).isoformat()}
    ).context["rows"]
    export = client.get(reverse("commerce:quote_export"), {"status": "sent"})
    body = b"".join(export.streaming_content).decode("utf-8-sig")

    assert [row.obj.pk for row in sent] == [first.pk]
    assert [row.obj.pk for row in far] == [first.pk]
    assert body.splitlines()[0].startswith("Number,Date,Client")
    assert len(body.splitlines()) == 2 and first.number in body


@pytest.mark.parametrize("rows", [2, 12])
def test_quote_list_query_count_does_not_grow_with_rows(client, rows):
    boss = user_with_role("head_of_sales")
    _quotes_for(boss, rows)
    client.force_login(boss)
    url = reverse("commerce:quote_list")
    client.get(url)

    with assert_num_queries(8):
        response = client.get(url)

    assert len(response.context["rows"]) == rows


def test_deal_fragment_lists_the_deals_quotes(client):
    manager = user_with_role("sales_manager")
    quote = make_quote(owner=manager)
    client.force_login(manager)

    response = client.get(reverse("commerce:deal_quotes", args=[quote.deal_id]))

    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert quote.number in html and "Draft" in html
    assert reverse("commerce:quote_pdf", args=[quote.pk]) in html
    empty = make_deal(owner=manager)
    html = client.get(reverse("commerce:deal_quotes", args=[empty.pk])).content.decode()
    assert "No quotes for this deal yet." in html and f"?deal={empty.pk}" in html
    stranger = user_with_role("sales_manager", team=TeamFactory())
    client.force_login(stranger)
    assert client.get(reverse("commerce:deal_quotes", args=[quote.deal_id])).status_code == 404


def test_catalogue_line_from_the_picker_is_priced_by_the_configurator(client):
    from accord.catalog.examples import STATION_SKU, create_example_catalog
    from accord.catalog.models import Product

    manager = user_with_role("sales_manager")
    create_example_catalog(user_with_role("head_of_sales"))
    station = Product.objects.get(sku=STATION_SKU)
    quote = make_quote(owner=manager, lines=[])
    client.force_login(manager)
    url = reverse("commerce:quote_line_add", args=[quote.pk])
    page = client.get(quote.get_absolute_url()).content.decode()

    refused = client.post(
        url,
        {
            "kind": "catalogue",
            "cat-product": station.pk,
            "cat-options": ["v380", "motor-1ph"],
            "cat-quantity": "1",
        },
        **HTMX,
    )
    assert f"price_list={quote.price_list_id}&amp;prefix=cat" in page
    refused_html = refused.content.decode()
    assert "380 V" in refused_html and "Single-phase motor" in refused_html, refused_html[:3000]
    assert not quote.lines.exists()
    added = client.post(
        url,
        {
            "kind": "catalogue",
            "cat-product": station.pk,
            "cat-options": ["v380", "motor-3ph"],
            "cat-quantity": "2",
        },
        **HTMX,
    )

    line = quote.lines.get()
    # (1 450 000 + 12 000 + 38 000) × 2
    assert line.product_id == station.pk and line.unit_price == Decimal("1500000.00")
    assert line.net_amount == Decimal("3000000.00")
    assert sorted(o["code"] for o in line.configuration) == ["motor-3ph", "v380"]
    assert "Three-phase motor" in added.content.decode()
