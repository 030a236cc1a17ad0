import json

import pytest

from accord.commerce.models import Order, Quote
from accord.commerce.tests.test_quotes_helpers import free_line, make_deal, make_quote
from accord.core.models import AuditEntry
from accord.core.testing import TeamFactory, assert_num_queries, user_with_role
from accord.core.tests.test_api_auth import token_client
from accord.parties.tests.factories import make_company, make_contact

pytestmark = pytest.mark.django_db


def _json(client, method, url, body=None):
    return getattr(client, method)(url, json.dumps(body or {}), content_type="application/json")


def test_quote_lifecycle_through_the_api(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    manager = user_with_role("sales_manager")
    company = make_company(owner=manager, name="Alpha", country="RU")
    contact = make_contact(owner=manager, company=company, emails=["anna@alpha.example"])
    deal = make_deal(owner=manager, company=company, contacts=[contact])
    client = token_client(manager)

    created = _json(
        client,
        "post",
        "/api/quotes",
        {
            "deal": deal.pk,
            "discount_percent": "10",
            "lines": [
                {
                    "description": "Calculation",
                    "quantity": "33.335",
                    "unit_price": "3.00",
                    "discount_percent": "7.5",
                    "tax_rate": "20",
                }
            ],
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    quote_id = body["id"]
    assert body["total"] == "99.91" and body["language"] == "ru" and body["contact"] == contact.pk
    assert body["lines"][0]["net_amount"] == "83.26" and body["version"] == 1

    added = _json(
        client,
        "post",
        f"/api/quotes/{quote_id}/lines",
        {
            "description": "Copy",
            "quantity": "1",
            "unit_price": "10",
            "tax_rate": "10",
            "version": 1,
        },
    )
    assert added.status_code == 201 and added.json()["total"] == "109.81"
    line_id = added.json()["lines"][1]["id"]

    patched = _json(
        client,
        "patch",
        f"/api/quotes/{quote_id}/lines/{line_id}",
        {"version": 2, "quantity": "2"},
    )
    assert patched.status_code == 200 and patched.json()["lines"][1]["quantity"] == "2.000"
    stale = _json(client, "patch", f"/api/quotes/{quote_id}", {"version": 1, "terms": "X"})
    assert stale.status_code == 409
    bad = _json(
        client, "patch", f"/api/quotes/{quote_id}", {"version": 3, "discount_percent": "101"}
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["field"] == "discount_percent"
    removed = client.delete(f"/api/quotes/{quote_id}/lines/{line_id}?version=3")
    assert removed.status_code == 200 and len(removed.json()["lines"]) == 1

    sent = _json(client, "post", f"/api/quotes/{quote_id}/send", {"version": 4})
    assert sent.status_code == 200, sent.content
    assert sent.json()["status"] == "sent" and sent.json()["sent_to"] == "anna@alpha.example"
    frozen = _json(client, "patch", f"/api/quotes/{quote_id}", {"version": 5, "terms": "X"})
    assert frozen.status_code == 422 and frozen.json()["detail"][0]["field"] == "status"

    accepted = _json(client, "post", f"/api/quotes/{quote_id}/accept", {})
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert accepted.json()["order"] == Order.objects.get(quote_id=quote_id).pk

    revised = _json(client, "post", f"/api/quotes/{quote_id}/revise", {})
    assert revised.status_code == 201
    assert (revised.json()["revision"], revised.json()["previous"]) == (2, quote_id)

    pdf = client.get(f"/api/quotes/{quote_id}/pdf")
    assert pdf.status_code == 200 and pdf.content[:5] == b"%PDF-"
    assert set(
        AuditEntry.objects.filter(object_type="quote", object_id=quote_id).values_list(
            "source", flat=True
        )
    ) == {"api"}


def test_negative_quantity_and_bad_deal_are_422_naming_the_field():
    manager = user_with_role("sales_manager")
    quote = make_quote(owner=manager)
    client = token_client(manager)

    negative = _json(
        client,
        "post",
        f"/api/quotes/{quote.pk}/lines",
        {"description": "X", "quantity": "-1", "unit_price": "5"},
    )
    missing = _json(client, "post", "/api/quotes", {"deal": 999999})

    assert negative.status_code == 422 and negative.json()["detail"][0]["field"] == "quantity"
    assert missing.status_code == 422 and missing.json()["detail"][0]["field"] == "deal"
    assert Quote.objects.get(pk=quote.pk).lines.count() == 1


def test_reject_and_scope_through_the_api():
    manager = user_with_role("sales_manager", team=TeamFactory())
    stranger = user_with_role("sales_manager", team=TeamFactory())
    viewer = user_with_role("read_only")
    quote = make_quote(owner=manager)

    assert token_client(stranger).get(f"/api/quotes/{quote.pk}").status_code == 404
    assert token_client(stranger).get("/api/quotes").json()["items"] == []
    assert token_client(viewer).get(f"/api/quotes/{quote.pk}").status_code == 200
    denied = _json(token_client(viewer), "post", f"/api/quotes/{quote.pk}/send", {})
    assert denied.status_code == 403
    draft_reject = _json(token_client(manager), "post", f"/api/quotes/{quote.pk}/reject", {})
    assert draft_reject.status_code == 422
    assert Quote.objects.get(pk=quote.pk).status == "draft"


@pytest.mark.parametrize("count", [2, 10])
def test_quote_list_endpoint_query_count(count):
    boss = user_with_role("head_of_sales")
    deal = make_deal(owner=boss)
    for _index in range(count):
        make_quote(owner=boss, deal=deal, lines=[free_line()])
    client = token_client(boss)
    client.get("/api/quotes")

    with assert_num_queries(3):
        response = client.get("/api/quotes?limit=5")

    assert len(response.json()["items"]) == min(count, 5)
    assert (response.json()["next"] is not None) == (count > 5)
