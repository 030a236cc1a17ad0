"""Leads over the REST API: create (channel api, rules apply), read, 409/422, duplicates,
conversion, list query budget."""

import json

import pytest

from accord.core.models import AuditEntry
from accord.core.testing import TeamFactory, assert_num_queries, user_with_role
from accord.core.tests.test_api_auth import token_client
from accord.parties.tests.factories import make_company
from accord.sales import assignment, services_leads
from accord.sales.models import Deal, Lead

pytestmark = pytest.mark.django_db


def _json(client, method, url, body=None):
    return getattr(client, method)(url, json.dumps(body or {}), content_type="application/json")


def test_create_via_api_records_the_channel_and_applies_the_rules():
    admin = user_with_role("administrator")
    team = TeamFactory(name="Inbound")
    agent = user_with_role("sales_manager", team=team)
    assignment.assignment_rule_create(
        actor=admin, fields={"name": "Web", "method": "round_robin", "team": team}
    )
    marketing = user_with_role("marketing")
    client = token_client(marketing)

    response = _json(
        client,
        "post",
        "/api/leads",
        {"full_name": "Anna Smith", "email": "Anna@Example.FR", "phone": "+33 1 23 45 67 89"},
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["channel"] == "api" and body["owner"] == agent.pk and body["team"] == team.pk
    assert body["email"] == "anna@example.fr" and body["phone"] == "+33123456789"
    entry = AuditEntry.objects.get(object_type="lead", object_id=body["id"])
    assert entry.source == "api" and "Web" in entry.message


def test_bad_input_is_422_naming_the_field():
    manager = user_with_role("sales_manager")
    client = token_client(manager)

    response = _json(client, "post", "/api/leads", {"full_name": "X", "inn": "123", "source": "zz"})

    assert response.status_code == 422
    fields = {d["field"] for d in response.json()["detail"]}
    assert fields == {"source"}
    response = _json(client, "post", "/api/leads", {"full_name": "X", "inn": "123"})
    assert response.status_code == 422
    assert [d["field"] for d in response.json()["detail"]] == ["inn"]
    assert Lead.objects.count() == 0


def test_patch_with_stale_version_is_409_and_delete_needs_the_version():
    manager = user_with_role("sales_manager")
    lead = services_leads.lead_create(actor=manager, fields={"full_name": "Anna"})
    client = token_client(manager)

    ok = _json(client, "patch", f"/api/leads/{lead.pk}", {"version": 1, "city": "Lyon"})
    assert ok.status_code == 200 and ok.json()["city"] == "Lyon" and ok.json()["version"] == 2
    stale = _json(client, "patch", f"/api/leads/{lead.pk}", {"version": 1, "city": "Paris"})
    assert stale.status_code == 409 and stale.json()["current_version"] == 2
    assert Lead.objects.get(pk=lead.pk).city == "Lyon"
    assert client.delete(f"/api/leads/{lead.pk}?version=1").status_code == 409
    assert client.delete(f"/api/leads/{lead.pk}?version=2").status_code == 204
    assert not Lead.objects.filter(pk=lead.pk).exists()


def test_invisible_lead_is_404():
    manager = user_with_role("sales_manager")
    stranger = user_with_role("sales_manager")
    lead = services_leads.lead_create(actor=stranger, fields={"full_name": "Hidden"})

    assert token_client(manager).get(f"/api/leads/{lead.pk}").status_code == 404


def test_duplicates_endpoint_reports_kinds_and_hides_details():
    manager = user_with_role("sales_manager")
    stranger = user_with_role("sales_manager")
    make_company(owner=manager, name="Alpha", inn="7707083893")
    services_leads.lead_create(actor=stranger, fields={"full_name": "X", "inn": "7707083893"})

    response = token_client(manager).get("/api/leads/duplicates", {"inn": "7707083893"})

    assert response.status_code == 200
    rows = [(r["kind"], r["visible"], r["name"], r["reasons"]) for r in response.json()]
    assert rows == [("lead", False, None, ["same INN"]), ("company", True, "Alpha", ["same INN"])]


def test_convert_via_api_and_reconvert_is_422():
    manager = user_with_role("sales_manager")
    lead = services_leads.lead_create(
        actor=manager, fields={"full_name": "Ivan Petrov", "company_name": "Beta"}
    )
    client = token_client(manager)

    response = _json(
        client,
        "post",
        f"/api/leads/{lead.pk}/convert",
        {"deal_name": "Beta deal", "amount": "10.50"},
    )

    assert response.status_code == 200, response.content
    body = response.json()
    deal = Deal.objects.get()
    assert body["deal"] == deal.pk and body["lead"]["status"] == "converted"
    assert body["company_created"] is True and body["contact_created"] is True
    assert str(deal.amount) == "10.50"
    again = _json(client, "post", f"/api/leads/{lead.pk}/convert", {})
    assert again.status_code == 422
    assert again.json()["detail"][0]["field"] == "status"
    assert Deal.objects.count() == 1


def test_status_endpoint_requires_a_reason():
    manager = user_with_role("sales_manager")
    lead = services_leads.lead_create(actor=manager, fields={"full_name": "Anna"})
    client = token_client(manager)

    refused = _json(client, "post", f"/api/leads/{lead.pk}/status", {"status": "unqualified"})
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["field"] == "unqualified_reason"


def test_list_endpoint_pages_with_a_fixed_query_budget():
    manager = user_with_role("sales_manager")
    for i in range(3):
        services_leads.lead_create(actor=manager, fields={"full_name": f"Lead {i}"})
    client = token_client(manager)

    with assert_num_queries(5):
        first = client.get("/api/leads", {"limit": 2})
    assert [r["full_name"] for r in first.json()["items"]] == ["Lead 2", "Lead 1"]
    second = client.get("/api/leads", {"limit": 2, "after": first.json()["next"]})
    assert [r["full_name"] for r in second.json()["items"]] == ["Lead 0"]
    assert second.json()["next"] is None


def test_read_only_may_read_but_not_create_through_the_api():
    reader = user_with_role("read_only")
    manager = user_with_role("sales_manager")
    lead = services_leads.lead_create(actor=manager, fields={"full_name": "Anna"})
    client = token_client(reader)

    assert client.get(f"/api/leads/{lead.pk}").status_code == 200
    assert _json(client, "post", "/api/leads", {"full_name": "Nope"}).status_code == 403
    refused = _json(client, "patch", f"/api/leads/{lead.pk}", {"version": 1, "city": "X"})
    assert refused.status_code == 403
    assert Lead.objects.count() == 1 and Lead.objects.get().city == ""
