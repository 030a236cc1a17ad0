"""Queues, routing rules and the board over the REST API: the same services, scopes and
errors as the pages (403 for those who may not configure, 422 naming the field, 409 stale)."""

from __future__ import annotations

from typing import Any

import pytest

from accord.core.models import AuditEntry, Team
from accord.core.testing import user_with_role
from accord.service.models import Case, Category, Queue, RoutingRule

pytestmark = pytest.mark.django_db


BASE = "/api"


def _fields(response: Any) -> dict[str, list[str]]:
    return {item["field"]: item["messages"] for item in response.json()["detail"]}


def test_the_head_of_service_manages_queues(client):
    head = user_with_role("service_manager")
    team = Team.objects.create(name="Engineers")
    client.force_login(head)
    created = client.post(
        f"{BASE}/service/queues",
        {"name": "Second line", "name_de": "Second Level", "team": team.pk, "method": "manual"},
        content_type="application/json",
    )
    assert created.status_code == 201
    body = created.json()
    assert (body["name_de"], body["team"], body["method"], body["position"]) == (
        "Second Level",
        team.pk,
        "manual",
        1,
    )
    changed = client.patch(
        f"{BASE}/service/queues/{body['id']}",
        {"version": body["version"], "email": "second@example.com"},
        content_type="application/json",
    )
    assert changed.status_code == 200
    assert changed.json()["email"] == "second@example.com"
    stale = client.patch(
        f"{BASE}/service/queues/{body['id']}",
        {"version": body["version"], "name": "Stale"},
        content_type="application/json",
    )
    assert stale.status_code == 409
    assert Queue.objects.get(pk=body["id"]).name == "Second line"
    listed = client.get(f"{BASE}/service/queues").json()
    assert [q["name"] for q in listed] == ["First line", "Second line"]
    assert client.delete(f"{BASE}/service/queues/{body['id']}").status_code == 204
    assert not Queue.objects.filter(pk=body["id"]).exists()


def test_bad_queue_input_names_the_fields(client):
    client.force_login(user_with_role("administrator"))
    response = client.post(
        f"{BASE}/service/queues",
        {"name": "First line", "team": 999999, "supervisor": 888888},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert _fields(response) == {
        "team": ["No team with this id."],
        "supervisor": ["No user with this id."],
    }
    team = Team.objects.create(name="T")
    response = client.post(
        f"{BASE}/service/queues",
        {"name": "First line", "team": team.pk, "method": "random"},
        content_type="application/json",
    )
    assert _fields(response) == {
        "name": ["Another queue already has this name."],
        "method": ["Choose how cases are handed out."],
    }
    assert Queue.objects.count() == 1


def test_agents_read_queues_but_may_not_change_them_or_the_rules(client):
    client.force_login(user_with_role("service_agent"))
    assert client.get(f"{BASE}/service/queues").status_code == 200
    team = Team.objects.create(name="T")
    refused = [
        client.post(
            f"{BASE}/service/queues",
            {"name": "X", "team": team.pk},
            content_type="application/json",
        ),
        client.get(f"{BASE}/service/routing-rules"),
        client.post(
            f"{BASE}/service/routing-rules",
            {"name": "X", "queue": Queue.objects.get().pk},
            content_type="application/json",
        ),
        client.post(f"{BASE}/service/routing-rules/order", {"ids": []}, "application/json"),
        client.post(f"{BASE}/service/routing-rules/preview", {}, "application/json"),
    ]
    assert [r.status_code for r in refused] == [403] * 5
    assert (Queue.objects.count(), RoutingRule.objects.count()) == (1, 0)
    assert not AuditEntry.objects.filter(object_type__startswith="service.").exists()
    client.force_login(user_with_role("sales_manager"))
    assert client.get(f"{BASE}/service/queues").status_code == 403
    assert client.get(f"{BASE}/service/board").status_code == 403


def test_rules_order_and_preview(client):
    head = user_with_role("service_manager")
    client.force_login(head)
    queue = Queue.objects.get()
    fault = Category.objects.get(code="fault")
    ids = []
    for name, extra in (("Phone", {"channel": "phone"}), ("Faults", {"category": fault.pk})):
        response = client.post(
            f"{BASE}/service/routing-rules",
            {"name": name, "queue": queue.pk, **extra},
            content_type="application/json",
        )
        assert response.status_code == 201
        ids.append(response.json()["id"])
    bad = client.post(
        f"{BASE}/service/routing-rules",
        {"name": "x", "queue": queue.pk, "channel": "fax", "category": 424242},
        content_type="application/json",
    )
    assert _fields(bad) == {"category": ["No category with this id."]}
    ordered = client.post(
        f"{BASE}/service/routing-rules/order", {"ids": ids[::-1]}, "application/json"
    )
    assert [r["name"] for r in ordered.json()] == ["Faults", "Phone"]
    preview = client.post(
        f"{BASE}/service/routing-rules/preview",
        {"category": fault.pk, "channel": "phone"},
        "application/json",
    ).json()
    assert (preview["rule"], preview["queue"], preview["agent"]) == (ids[1], queue.pk, None)
    assert [(c["name"], c["matches"]) for c in preview["checked"]] == [
        ("Faults", True),
        ("Phone", True),
    ]
    rule = client.get(f"{BASE}/service/routing-rules").json()[0]
    patched = client.patch(
        f"{BASE}/service/routing-rules/{rule['id']}",
        {"version": rule["version"], "is_active": False},
        content_type="application/json",
    )
    assert patched.json()["is_active"] is False
    assert client.delete(f"{BASE}/service/routing-rules/{rule['id']}").status_code == 204


def test_board_numbers_are_those_of_the_cases_one_may_see(client):
    team = Team.objects.create(name="Engineers")
    queue = Queue.objects.create(name="Engineers", team=team)
    engineer = user_with_role("field_engineer", team=team)
    Case.objects.create(subject="a", queue=queue, team=team, owner=engineer)
    Case.objects.create(subject="b", queue=queue, team=team)
    Case.objects.create(subject="c", queue=Queue.objects.get(is_default=True))
    client.force_login(engineer)
    board = client.get(f"{BASE}/service/board").json()
    assert board["totals"]["total"] == 2
    assert [(c["queue"], c["total"], c["unassigned"]) for c in board["queues"]] == [
        (queue.pk, 2, 1)
    ]
    assert board["queues"][0]["agents"][0]["agent"] == engineer.pk
    assert board["queues"][0]["ages"]["age_1h"] == 2
    assert board["queues"][0]["sla"] == {"on_track": 2, "warning": 0, "breached": 0, "paused": 0}
    assert len(board["oldest"]) == 2
    bad = client.get(f"{BASE}/service/board", {"priority": "whenever"})
    assert bad.status_code == 422
    assert _fields(bad) == {"priority": ["Unknown priority."]}
