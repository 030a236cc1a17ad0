"""Merges over the REST API: create, read, undo; errors with fields; scoped; bounded queries."""

from __future__ import annotations

import json

import pytest

from accord.activities.tests.factories import make_activity
from accord.core.testing import user_with_role
from accord.core.tests.test_api_auth import token_client
from accord.dedup.models import Merge
from accord.parties.models import Company
from accord.parties.tests.factories import make_company
from accord.projects.tests.factories import make_deal

pytestmark = pytest.mark.django_db


def _post(client, url, body=None):
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def test_merge_read_and_undo_over_the_api():
    head = user_with_role("head_of_sales")
    a = make_company(owner=head, name="Acme")
    b = make_company(owner=head, name="ACME SARL", phones=["+33123456789"])
    make_activity(owner=head, kind="note", company=b)
    make_deal(owner=head, company=b)
    client = token_client(head)

    created = _post(
        client,
        "/api/merges",
        {
            "type": "company",
            "survivor": a.pk,
            "others": [b.pk],
            "values": {"name": b.pk, "website": {"value": "https://acme.fr"}},
            "version": a.version,
        },
    )

    assert created.status_code == 201, created.content
    body = created.json()
    assert body["survivor_id"] == a.pk and body["merged_ids"] == [b.pk]
    assert body["moved"] == {"activity": 1, "deal": 1, "contactpoint": 1}
    assert body["may_undo"] is True and body["undo_refusal"] is None
    a.refresh_from_db()
    assert (a.name, a.website) == ("ACME SARL", "https://acme.fr")

    fetched = client.get(f"/api/merges/{body['id']}")
    assert fetched.status_code == 200 and fetched.json()["id"] == body["id"]

    undone = _post(client, f"/api/merges/{body['id']}/undo")
    assert undone.status_code == 200
    assert undone.json()["undone_by"] == str(head)
    assert Company.objects.count() == 2

    again = _post(client, f"/api/merges/{body['id']}/undo")
    assert again.status_code == 422
    assert again.json() == {
        "detail": [{"field": "__all__", "messages": ["This merge has already been undone."]}]
    }


def test_api_errors_name_the_field_and_change_nothing():
    head = user_with_role("head_of_sales")
    a = make_company(owner=head, name="Acme")
    b = make_company(owner=head, name="Acme 2")
    client = token_client(head)

    bad = _post(
        client,
        "/api/merges",
        {"type": "company", "survivor": a.pk, "others": [b.pk], "values": {"inn": {"value": "1"}}},
    )
    assert bad.status_code == 422
    assert [d["field"] for d in bad.json()["detail"]] == ["inn"]

    stale = _post(
        client,
        "/api/merges",
        {"type": "company", "survivor": a.pk, "others": [b.pk], "version": 9},
    )
    assert stale.status_code == 409 and stale.json()["current_version"] == 1

    twice = _post(client, "/api/merges", {"type": "company", "survivor": a.pk, "others": [a.pk]})
    assert twice.status_code == 422
    alone = _post(client, "/api/merges", {"type": "company", "survivor": a.pk, "others": []})
    assert alone.json()["detail"] == [
        {"field": "others", "messages": ["Choose at least two records to merge."]}
    ]
    many = _post(
        client, "/api/merges", {"type": "company", "survivor": a.pk, "others": list(range(1, 11))}
    )
    assert many.status_code == 422
    assert Company.objects.count() == 2 and not Merge.objects.exists()


def test_api_is_scoped():
    manager = user_with_role("sales_manager")
    colleague = user_with_role("sales_manager")
    viewer = user_with_role("service_agent")
    mine = make_company(owner=manager)
    theirs = make_company(owner=colleague)
    body = {"type": "company", "survivor": mine.pk, "others": [theirs.pk]}

    assert _post(token_client(manager), "/api/merges", body).status_code == 404
    assert _post(token_client(viewer), "/api/merges", body).status_code == 403
    assert Company.objects.count() == 2

    head = user_with_role("head_of_sales")
    merge_id = _post(token_client(head), "/api/merges", body).json()["id"]
    manager_client = token_client(colleague)
    assert manager_client.get(f"/api/merges/{merge_id}").status_code == 404
    assert _post(manager_client, f"/api/merges/{merge_id}/undo").status_code == 404
    owner_of_survivor = token_client(manager)
    seen = owner_of_survivor.get(f"/api/merges/{merge_id}")
    assert seen.status_code == 200 and seen.json()["may_undo"] is False
    assert _post(owner_of_survivor, f"/api/merges/{merge_id}/undo").status_code == 403


def test_query_count_of_a_merge_does_not_depend_on_related_rows():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    head = user_with_role("head_of_sales")
    client = token_client(head)

    def run(n: int) -> int:
        a = make_company(owner=head)
        b = make_company(owner=head)
        for _i in range(n):
            make_activity(owner=head, kind="note", company=b)
        body = {"type": "company", "survivor": a.pk, "others": [b.pk]}
        with CaptureQueriesContext(connection) as context:
            assert _post(client, "/api/merges", body).status_code == 201
        return len(context.captured_queries)

    run(1)  # the token's first use is recorded once
    assert run(1) == run(12)


def test_merges_are_in_the_openapi_schema():
    from accord.api import api

    schema = api.get_openapi_schema()

    assert {"/api/merges", "/api/merges/{merge_id}", "/api/merges/{merge_id}/undo"} <= set(
        schema["paths"]
    )
    assert set(schema["components"]["schemas"]["MergeIn"]["required"]) == {
        "type",
        "survivor",
        "others",
    }
