"""Cases over the REST API: the same services and scopes as the pages; 422 with field errors."""

from __future__ import annotations

import base64

import pytest

from accord.core.testing import assert_num_queries, user_with_role
from accord.parties.tests.factories import make_company
from accord.service import services
from accord.service.models import Case, CaseMessage
from accord.service.tests.test_cases_helpers import make_case, make_desk

pytestmark = pytest.mark.django_db


def _fields(response):
    return {item["field"]: item["messages"] for item in response.json()["detail"]}


def test_open_read_and_list_with_filters(client):
    desk = make_desk()
    client.force_login(desk.agent)

    response = client.post(
        "/api/cases",
        {
            "subject": "Boiler alarm E42",
            "company": desk.company.pk,
            "contact": desk.contact.pk,
            "priority": "urgent",
            "queue": desk.queue.pk,
            "owner": desk.agent.pk,
            "attachments": [
                {
                    "name": "alarm.txt",
                    "content_base64": base64.b64encode(b"E42").decode(),
                    "content_type": "text/plain",
                }
            ],
        },
        content_type="application/json",
    )

    assert response.status_code == 201
    data = response.json()
    case = Case.objects.get(pk=data["id"])
    assert (data["reference"], data["channel"], data["priority"], data["owner"]) == (
        case.reference,
        "api",
        "urgent",
        desk.agent.pk,
    )
    assert data["legal_moves"] == ["in_progress", "waiting", "resolved", "closed"]
    assert client.get(f"/api/cases/{case.pk}").json()["subject"] == "Boiler alarm E42"
    make_case(desk, subject="Other", owner=None)
    listed = client.get("/api/cases", {"assigned": "mine", "status": "open"}).json()
    assert [item["id"] for item in listed["items"]] == [case.pk]
    assert [i["subject"] for i in client.get("/api/cases", {"q": "boiler"}).json()["items"]] == [
        "Boiler alarm E42"
    ]


def test_bad_input_answers_422_with_each_field(client):
    desk = make_desk()
    client.force_login(desk.agent)

    response = client.post(
        "/api/cases",
        {"subject": " ", "priority": "whenever", "category": 99999},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert set(_fields(response)) == {"category"}
    response = client.post(
        "/api/cases", {"subject": " ", "priority": "whenever"}, content_type="application/json"
    )
    assert response.status_code == 422
    assert set(_fields(response)) == {"subject", "priority"}
    response = client.get("/api/cases", {"status": "done"})
    assert response.status_code == 422 and set(_fields(response)) == {"status"}
    response = client.post(
        "/api/cases",
        {"subject": "x", "attachments": [{"name": "a", "content_base64": "%%%"}]},
        content_type="application/json",
    )
    assert response.status_code == 422 and set(_fields(response)) == {"attachments"}
    assert not Case.objects.exists()


def test_patch_with_version_and_conflict(client):
    desk = make_desk()
    case = make_case(desk)
    client.force_login(desk.agent)

    response = client.patch(
        f"/api/cases/{case.pk}",
        {"version": 1, "priority": "high"},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["version"] == 2
    response = client.patch(
        f"/api/cases/{case.pk}", {"version": 1, "subject": "Stale"}, content_type="application/json"
    )
    assert response.status_code == 409 and response.json()["current_version"] == 2


def test_status_move_and_illegal_move(client):
    desk = make_desk()
    case = make_case(desk)
    client.force_login(desk.agent)

    response = client.post(
        f"/api/cases/{case.pk}/status",
        {"status": "resolved", "reason": "Replaced fuse"},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["status"] == "resolved"
    response = client.post(
        f"/api/cases/{case.pk}/status", {"status": "waiting"}, content_type="application/json"
    )
    assert response.status_code == 422
    assert _fields(response) == {
        "status": ["A case cannot go from “Resolved” to “Waiting for client”."]
    }


def test_messages_note_and_reply_and_list(client, mailoutbox, django_capture_on_commit_callbacks):
    desk = make_desk()
    case = make_case(desk)
    client.force_login(desk.agent)

    note = client.post(
        f"/api/cases/{case.pk}/messages",
        {"kind": "note", "body_text": "Internal"},
        content_type="application/json",
    )
    with django_capture_on_commit_callbacks(execute=True):
        reply = client.post(
            f"/api/cases/{case.pk}/messages",
            {
                "kind": "reply",
                "body_text": "On our way",
                "body_html": "<p>On <script>x</script>our way</p>",
            },
            content_type="application/json",
        )

    assert note.status_code == 201 and reply.status_code == 201
    assert reply.json()["to_addresses"] == "anna@uralproekt.example"
    assert "script" not in reply.json()["body_html"]
    assert len(mailoutbox) == 1
    listed = client.get(f"/api/cases/{case.pk}/messages").json()
    assert [m["kind"] for m in listed] == ["note", "reply"]
    assert [
        m["kind"] for m in client.get(f"/api/cases/{case.pk}/messages", {"kind": "reply"}).json()
    ] == ["reply"]
    events = client.get(f"/api/cases/{case.pk}/events").json()
    assert [e["kind"] for e in events][-1] == "status"  # the reply started the work


def test_assign_and_merge(client):
    desk = make_desk()
    case = make_case(desk)
    duplicate = make_case(desk)
    client.force_login(desk.agent)

    response = client.post(
        f"/api/cases/{case.pk}/assign",
        {"owner": desk.colleague.pk},
        content_type="application/json",
    )
    assert response.status_code == 422 and set(_fields(response)) == {"reason"}
    response = client.post(
        f"/api/cases/{case.pk}/assign",
        {"owner": desk.colleague.pk, "reason": "Knows this pump"},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["owner"] == desk.colleague.pk

    response = client.post(
        f"/api/cases/{duplicate.pk}/merge",
        {"duplicates": [case.pk, 999999]},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert _fields(response) == {"duplicates": ["No such case: CS-999999."]}
    response = client.post(
        f"/api/cases/{duplicate.pk}/merge",
        {"duplicates": [case.pk]},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert Case.objects.get(pk=case.pk).merged_into_id == duplicate.pk


def test_scopes_404_for_hidden_403_for_unchangeable_and_nothing_changes(client):
    desk = make_desk()
    case = make_case(desk)
    client.force_login(user_with_role("sales_manager"))
    assert client.get(f"/api/cases/{case.pk}").status_code == 404
    assert client.get("/api/cases").json()["items"] == []
    client.force_login(user_with_role("service_agent"))
    response = client.post(
        f"/api/cases/{case.pk}/messages",
        {"kind": "note", "body_text": "x"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert not CaseMessage.objects.filter(case=case).exists()


def test_list_costs_the_same_queries_for_2_and_for_12_cases(client):
    desk = make_desk()
    other = make_company(owner=desk.manager, name="Second client")
    for index in range(2):
        make_case(desk, subject=f"Case {index}")
    client.force_login(desk.agent)
    client.get("/api/cases")
    with assert_num_queries(4) as first:
        client.get("/api/cases")
    for index in range(10):
        make_case(desk, subject=f"More {index}", company=other, contact=None)
    with assert_num_queries(len(first.captured_queries)):
        assert len(client.get("/api/cases").json()["items"]) == 12


def test_categories_are_listed(client):
    client.force_login(user_with_role("service_agent"))

    codes = [c["code"] for c in client.get("/api/case-categories").json()]

    assert codes[:2] == ["question", "fault"] and len(codes) == 7
    assert services.legal_moves  # the API's legal_moves come from the services
