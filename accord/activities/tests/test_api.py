import datetime
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from accord.activities.models import Activity, Document
from accord.core.models import AuditEntry
from accord.core.testing import TeamFactory, assert_num_queries, user_with_role
from accord.core.tests.test_api_auth import token_client
from accord.parties.tests.factories import make_company, make_contact

pytestmark = pytest.mark.django_db


def _json(client: Client, method: str, url: str, body=None):
    return getattr(client, method)(url, json.dumps(body or {}), content_type="application/json")


def test_activity_crud_and_complete_through_the_api_with_audit():
    manager = user_with_role("sales_manager")
    company = make_company(owner=manager, name="Alpha")
    contact = make_contact(owner=manager, company=company)
    client = token_client(manager)
    due = (timezone.now() + datetime.timedelta(days=1)).replace(microsecond=0)

    created = _json(
        client,
        "post",
        "/api/activities",
        {
            "kind": "task",
            "subject": "Send the offer",
            "at": due.isoformat(),
            "contacts": [contact.pk],
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    activity_id = body["id"]
    assert body["company"] == company.pk and body["contacts"] == [contact.pk]
    assert body["owner"] == manager.pk and body["is_done"] is False and body["version"] == 1

    patched = _json(
        client, "patch", f"/api/activities/{activity_id}", {"version": 1, "body": "PDF, 2 pages"}
    )
    assert patched.status_code == 200, patched.content
    assert patched.json()["body"] == "PDF, 2 pages" and patched.json()["version"] == 2

    done = _json(client, "post", f"/api/activities/{activity_id}/complete", {"version": 2})
    assert done.status_code == 200 and done.json()["is_done"] is True

    assert client.get(f"/api/activities/{activity_id}").json()["version"] == 3
    assert client.delete(f"/api/activities/{activity_id}?version=3").status_code == 204
    assert not Activity.objects.filter(pk=activity_id).exists()
    assert list(
        AuditEntry.objects.filter(object_type="activity", object_id=activity_id)
        .order_by("id")
        .values_list("action", "source")
    ) == [("create", "api"), ("change", "api"), ("change", "api"), ("delete", "api")]


def test_call_logged_with_defaults_and_invalid_kind_is_422():
    manager = user_with_role("sales_manager")
    company = make_company(owner=manager, name="Alpha")
    client = token_client(manager)

    call = _json(
        client,
        "post",
        "/api/activities",
        {"kind": "call", "company": company.pk, "direction": "out", "outcome": "reached"},
    )
    bad = _json(client, "post", "/api/activities", {"kind": "party"})

    assert call.status_code == 201, call.content
    assert call.json()["outcome"] == "reached" and call.json()["subject"]
    assert bad.status_code == 422
    assert [d["field"] for d in bad.json()["detail"]] == ["kind"]
    assert Activity.objects.count() == 1


def test_stale_activity_version_is_409_and_nothing_changes():
    manager = user_with_role("sales_manager")
    client = token_client(manager)
    activity_id = _json(client, "post", "/api/activities", {"kind": "note", "body": "A"}).json()[
        "id"
    ]
    _json(client, "patch", f"/api/activities/{activity_id}", {"version": 1, "body": "B"})

    stale = _json(client, "patch", f"/api/activities/{activity_id}", {"version": 1, "body": "C"})

    assert stale.status_code == 409 and stale.json()["current_version"] == 2
    assert Activity.objects.get(pk=activity_id).body == "B"


def test_others_private_activities_are_hidden_and_untouchable():
    manager = user_with_role("sales_manager")
    stranger = user_with_role("sales_manager")
    private_company = make_company(owner=stranger, name="Private")
    hidden = _json(
        token_client(stranger),
        "post",
        "/api/activities",
        {"kind": "note", "body": "secret", "company": private_company.pk},
    ).json()["id"]
    own = _json(token_client(manager), "post", "/api/activities", {"kind": "note", "body": "mine"})
    client = token_client(manager)

    listed = [a["id"] for a in client.get("/api/activities").json()["items"]]

    assert listed == [own.json()["id"]]
    assert client.get(f"/api/activities/{hidden}").status_code == 404
    assert (
        _json(client, "patch", f"/api/activities/{hidden}", {"version": 1, "body": "x"}).status_code
        == 404
    )
    assert client.delete(f"/api/activities/{hidden}?version=1").status_code == 404
    assert _json(client, "post", f"/api/activities/{hidden}/complete").status_code == 404
    assert Activity.objects.get(pk=hidden).body == "secret"
    assert client.get(f"/api/audit?object_type=activity&object_id={hidden}").status_code == 404


def test_activity_filters():
    manager = user_with_role("sales_manager")
    company = make_company(owner=manager, name="Alpha")
    client = token_client(manager)
    now = timezone.now()
    call = _json(client, "post", "/api/activities", {"kind": "call", "company": company.pk}).json()[
        "id"
    ]
    task = _json(
        client,
        "post",
        "/api/activities",
        {"kind": "task", "subject": "T", "at": (now + datetime.timedelta(days=2)).isoformat()},
    ).json()["id"]

    def ids(query):
        response = client.get(f"/api/activities?{query}")
        assert response.status_code == 200, response.content
        return [a["id"] for a in response.json()["items"]]

    assert ids("kind=call") == [call]
    assert ids(f"company={company.pk}") == [call]
    assert ids("is_done=false&kind=task") == [task]
    after = (now + datetime.timedelta(days=1)).isoformat().replace("+", "%2B")
    assert ids(f"at_after={after}") == [task]
    assert ids(f"at_before={after}") == [call]


def test_activity_keyset_pagination_with_equal_times():
    manager = user_with_role("sales_manager")
    client = token_client(manager)
    moment = timezone.now().replace(microsecond=0).isoformat()
    expected = {
        _json(
            client, "post", "/api/activities", {"kind": "note", "body": str(i), "at": moment}
        ).json()["id"]
        for i in range(7)
    }

    seen, cursor = [], None
    while True:
        body = client.get("/api/activities?limit=2" + (f"&after={cursor}" if cursor else "")).json()
        seen += [a["id"] for a in body["items"]]
        cursor = body["next"]
        if cursor is None:
            break

    assert len(seen) == 7 and set(seen) == expected


@pytest.mark.parametrize("rows", [3, 30])
def test_activity_list_query_count_does_not_grow_with_rows(rows):
    from accord.activities import services

    manager = user_with_role("sales_manager", team=TeamFactory())
    company = make_company(owner=manager, name="Alpha")
    contact = make_contact(owner=manager, company=company)
    for i in range(rows):
        services.activity_create(
            actor=manager,
            kind="note",
            fields={"body": str(i), "company": company},
            contacts=[contact],
        )
    client = token_client(manager)
    client.get("/api/me")

    # token, grants, team ids, activities, contacts, participants
    with assert_num_queries(6):
        response = client.get("/api/activities?limit=50")

    assert len(response.json()["items"]) == rows


def _upload(client, company_id, name="offer.pdf", content=b"%PDF-1.4 test"):
    return client.post(
        "/api/documents",
        {"file": SimpleUploadedFile(name, content), "company": company_id, "description": "Offer"},
    )


def test_document_upload_list_download_delete():
    manager = user_with_role("sales_manager")
    company = make_company(owner=manager, name="Alpha")
    client = token_client(manager)

    uploaded = _upload(client, company.pk)
    assert uploaded.status_code == 201, uploaded.content
    document_id = uploaded.json()["id"]
    assert uploaded.json()["original_name"] == "offer.pdf"

    listed = client.get(f"/api/documents?company={company.pk}").json()["items"]
    assert [d["id"] for d in listed] == [document_id]
    assert client.get(f"/api/documents/{document_id}").json()["size"] == 13
    download = client.get(f"/api/documents/{document_id}/download")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 test"
    assert 'filename="offer.pdf"' in download["Content-Disposition"]

    assert client.delete(f"/api/documents/{document_id}").status_code == 204
    assert not Document.objects.exists()
    assert list(
        AuditEntry.objects.filter(object_type="document")
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["create", "delete"]


@pytest.mark.parametrize("rows", [3, 30])
def test_document_list_query_count_does_not_grow_with_rows(rows):
    from accord.activities import services

    manager = user_with_role("sales_manager", team=TeamFactory())
    company = make_company(owner=manager, name="Alpha")
    for i in range(rows):
        services.document_upload(
            actor=manager,
            uploaded_file=SimpleUploadedFile(f"f{i}.pdf", b"%PDF-1.4"),
            company=company,
        )
    client = token_client(manager)
    client.get("/api/me")

    # token, grants, team ids, documents
    with assert_num_queries(4):
        response = client.get("/api/documents?limit=50")

    assert len(response.json()["items"]) == rows


def test_refused_file_type_is_422_and_nothing_saved():
    manager = user_with_role("sales_manager")
    company = make_company(owner=manager, name="Alpha")

    response = _upload(token_client(manager), company.pk, name="run.exe", content=b"MZ\x90\x00")

    assert response.status_code == 422
    assert [d["field"] for d in response.json()["detail"]] == ["file"]
    assert not Document.objects.exists()


def test_documents_of_invisible_records_cannot_be_seen_or_downloaded():
    manager = user_with_role("sales_manager")
    stranger = user_with_role("sales_manager")
    private = make_company(owner=stranger, name="Private")
    document_id = _upload(token_client(stranger), private.pk).json()["id"]
    client = token_client(manager)

    assert client.get("/api/documents").json()["items"] == []
    assert client.get(f"/api/documents/{document_id}").status_code == 404
    assert client.get(f"/api/documents/{document_id}/download").status_code == 404
    assert client.delete(f"/api/documents/{document_id}").status_code == 404
    assert _upload(client, private.pk).status_code == 422
    assert Document.objects.count() == 1
