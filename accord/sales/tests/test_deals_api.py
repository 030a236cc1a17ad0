import json
from decimal import Decimal

import pytest
from django.test import Client

from accord.core.models import AuditEntry, Picklist, PicklistOption
from accord.core.testing import assert_num_queries, user_with_role
from accord.core.tests.test_api_auth import token_client
from accord.parties.tests.factories import make_company, make_contact
from accord.sales.models import Deal, Pipeline, Stage, StageChange
from accord.sales.services_deals import deal_create

pytestmark = pytest.mark.django_db


def _json(client: Client, method: str, url: str, body=None):
    return getattr(client, method)(url, json.dumps(body or {}), content_type="application/json")


def _stages() -> dict[str, Stage]:
    return {s.name: s for s in Pipeline.objects.get(is_default=True).stages.all()}


def _counts():
    return Deal.objects.count(), StageChange.objects.count(), AuditEntry.objects.count()


def test_deal_crud_and_move_through_the_api():
    manager = user_with_role("sales_manager")
    company = make_company(owner=manager, name="Alpha")
    contact = make_contact(owner=manager, company=company)
    client = token_client(manager)
    stages = _stages()

    created = _json(
        client,
        "post",
        "/api/deals",
        {
            "name": "Substation",
            "company": company.pk,
            "amount": "2500.00",
            "contacts": [contact.pk],
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    deal_id = body["id"]
    assert body["stage"] == stages["Enquiry"].pk and body["stage_kind"] == "open"
    assert Decimal(body["amount"]) == Decimal("2500.00") and body["contacts"] == [contact.pk]
    assert body["owner"] == manager.pk and body["version"] == 1

    patched = _json(client, "patch", f"/api/deals/{deal_id}", {"version": 1, "amount": "3000"})
    assert patched.status_code == 200 and patched.json()["version"] == 2

    stale = _json(client, "patch", f"/api/deals/{deal_id}", {"version": 1, "name": "X"})
    assert stale.status_code == 409

    before = _counts()
    refused = _json(client, "post", f"/api/deals/{deal_id}/move", {"stage": stages["Lost"].pk})
    assert refused.status_code == 422
    assert "lost_reason" in json.dumps(refused.json())
    same = _json(client, "post", f"/api/deals/{deal_id}/move", {"stage": stages["Enquiry"].pk})
    assert same.status_code == 422 and "stage" in json.dumps(same.json())
    assert _counts() == before

    reason = PicklistOption.objects.get(picklist=Picklist.WON_REASON, code="price")
    won = _json(
        client,
        "post",
        f"/api/deals/{deal_id}/move",
        {"stage": stages["Won"].pk, "won_reason": reason.pk, "comment": "Signed", "version": 2},
    )
    assert won.status_code == 200, won.content
    assert won.json()["is_won"] is True and won.json()["won_reason"] == reason.pk
    assert won.json()["version"] == 3

    assert client.get(f"/api/deals/{deal_id}").json()["close_comment"] == "Signed"
    assert client.delete(f"/api/deals/{deal_id}?version=1").status_code == 409
    assert client.delete(f"/api/deals/{deal_id}?version=3").status_code == 204
    assert not Deal.objects.filter(pk=deal_id).exists()


def test_create_with_invisible_company_is_422_naming_it():
    manager = user_with_role("sales_manager")
    other = make_company(owner=user_with_role("sales_manager"))
    client = token_client(manager)
    response = _json(client, "post", "/api/deals", {"name": "X", "company": other.pk})
    assert response.status_code == 422
    assert "company" in json.dumps(response.json())
    assert Deal.objects.count() == 0


def test_read_only_cannot_move_and_hidden_deal_is_404():
    owner = user_with_role("sales_manager")
    deal = deal_create(actor=owner, company=make_company(owner=owner), name="D")
    reader = token_client(user_with_role("read_only"))
    stranger = token_client(user_with_role("sales_manager"))
    before = _counts()

    assert reader.get(f"/api/deals/{deal.pk}").status_code == 200
    moved = _json(reader, "post", f"/api/deals/{deal.pk}/move", {"stage": _stages()["Contract"].pk})
    assert moved.status_code == 403
    assert stranger.get(f"/api/deals/{deal.pk}").status_code == 404
    assert _counts() == before


def test_deal_list_query_count_and_pipelines():
    manager = user_with_role("sales_manager")
    company = make_company(owner=manager)
    contact = make_contact(owner=manager, company=company)
    for index in range(12):
        deal_create(actor=manager, company=company, name=f"D{index}", contacts=[contact])
    client = token_client(manager)
    client.get("/api/me")

    # token, grants, team ids, deals (with stage), contacts
    with assert_num_queries(5):
        response = client.get("/api/deals?limit=10&status=open")

    body = response.json()
    assert len(body["items"]) == 10 and body["next"]
    rest = client.get(f"/api/deals?limit=10&status=open&after={body['next']}").json()
    assert len(rest["items"]) == 2 and rest["next"] is None

    pipelines = client.get("/api/pipelines").json()
    assert pipelines[0]["is_default"] is True
    assert [s["kind"] for s in pipelines[0]["stages"]][-2:] == ["won", "lost"]
