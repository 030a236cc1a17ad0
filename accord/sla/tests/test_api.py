"""The SLA over the REST API: a case's state, compliance, policies, calendars, holidays."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accord.core.testing import user_with_role
from accord.core.tests.test_api_auth import token_client
from accord.service.models import Case
from accord.sla.models import Holiday, SlaPolicy, WorkCalendar
from accord.sla.tests.factories import make_case, make_policy, only_policy

pytestmark = pytest.mark.django_db


def _json(client: Client, method: str, url: str, body: Any = None) -> Any:
    return getattr(client, method)(url, json.dumps(body or {}), content_type="application/json")


def test_case_sla_state() -> None:
    policy = only_policy(make_policy(name="Std", targets={"normal": (60, 480)}))
    agent = user_with_role("service_agent")
    case = make_case(created_at=timezone.now() - datetime.timedelta(days=30), owner=agent)
    Case.objects.filter(pk=case.pk).update(first_responded_at=timezone.now())
    response = token_client(agent).get(f"/api/cases/{case.pk}/sla")
    assert response.status_code == 200
    body = response.json()
    assert (body["case"], body["policy"], body["policy_name"]) == (case.pk, policy.pk, "Std")
    first, resolution = body["targets"]
    assert (first["target"], first["state"], first["working_minutes_left"]) == (
        "first_response",
        "missed",
        None,
    )
    assert resolution["state"] == "overdue"
    assert resolution["working_minutes_left"] < 0


def test_case_sla_is_404_for_a_case_out_of_reach() -> None:
    case = make_case(created_at=timezone.now(), owner=user_with_role("service_agent"))
    engineer = user_with_role("field_engineer")
    assert token_client(engineer).get(f"/api/cases/{case.pk}/sla").status_code == 404


def test_policy_create_list_update_through_the_api() -> None:
    manager = user_with_role("service_manager")
    client = token_client(manager)
    calendar = WorkCalendar.objects.get(is_default=True)
    response = _json(
        client,
        "post",
        "/api/sla/policies",
        {
            "name": "Key",
            "calendar": calendar.pk,
            "warn_at_percent": 70,
            "targets": [
                {"priority": "urgent", "first_response_minutes": 15, "resolution_minutes": 120}
            ],
        },
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["targets"] == [
        {"priority": "urgent", "first_response_minutes": 15, "resolution_minutes": 120}
    ]
    names = [p["name"] for p in client.get("/api/sla/policies").json()]
    assert "Key" in names
    patched = _json(
        client,
        "patch",
        f"/api/sla/policies/{created['id']}",
        {"version": 1, "warn_at_percent": 90},
    )
    assert patched.status_code == 200
    assert (patched.json()["warn_at_percent"], patched.json()["version"]) == (90, 2)
    stale = _json(client, "patch", f"/api/sla/policies/{created['id']}", {"version": 1})
    assert stale.status_code == 409


def test_policy_bad_input_names_the_field_and_saves_nothing() -> None:
    client = token_client(user_with_role("administrator"))
    calendar = WorkCalendar.objects.get(is_default=True)
    before = SlaPolicy.objects.count()
    bad_target = _json(
        client,
        "post",
        "/api/sla/policies",
        {
            "name": "Bad",
            "calendar": calendar.pk,
            "targets": [
                {"priority": "urgent", "first_response_minutes": 60, "resolution_minutes": 30}
            ],
        },
    )
    assert bad_target.status_code == 422
    assert "urgent_resolution" in bad_target.content.decode()
    no_calendar = _json(client, "post", "/api/sla/policies", {"name": "Bad", "calendar": 99999})
    assert no_calendar.status_code == 422
    assert "calendar" in no_calendar.content.decode()
    bad_percent = _json(
        client,
        "post",
        "/api/sla/policies",
        {"name": "Bad", "calendar": calendar.pk, "warn_at_percent": 0},
    )
    assert bad_percent.status_code == 422
    assert "warn_at_percent" in bad_percent.content.decode()
    assert SlaPolicy.objects.count() == before


def test_agents_may_not_manage_policies() -> None:
    client = token_client(user_with_role("service_agent"))
    assert client.get("/api/sla/policies").status_code == 403
    calendar = WorkCalendar.objects.get(is_default=True)
    before = SlaPolicy.objects.count()
    response = _json(client, "post", "/api/sla/policies", {"name": "X", "calendar": calendar.pk})
    assert response.status_code == 403
    assert SlaPolicy.objects.count() == before


def test_calendars_and_loading_holidays() -> None:
    client = token_client(user_with_role("service_manager"))
    calendars = client.get("/api/sla/calendars").json()
    default = next(c for c in calendars if c["is_default"])
    assert len(default["hours"]) == 5
    url = f"/api/sla/calendars/{default['id']}/holidays"
    added = _json(client, "post", url + "/load", {"year": 2027})
    assert added.status_code == 200
    assert {"date": "2027-02-20", "name": "Transferred working day", "is_working_day": True} in (
        added.json()
    )
    assert _json(client, "post", url + "/load", {"year": 2027}).json() == []
    listed = client.get(url + "?year=2027").json()
    assert len(listed) == Holiday.objects.filter(calendar_id=default["id"]).count()
    assert _json(client, "post", url + "/load", {"year": 2027, "country": "US"}).status_code == 422


def test_compliance_over_the_api() -> None:
    only_policy(make_policy(targets={"normal": (60, 480)}))
    manager = user_with_role("service_manager")
    opened = timezone.now() - datetime.timedelta(days=2)
    case = make_case(created_at=opened)
    Case.objects.filter(pk=case.pk).update(
        first_responded_at=opened, status="resolved", resolved_at=opened
    )
    client = token_client(manager)
    rows = client.get("/api/sla/compliance?group=priority").json()
    assert rows[-1]["label"] == "Total"
    assert (rows[-1]["cases"], rows[-1]["first_response_percent"]) == (1, "100.0")
    assert client.get("/api/sla/compliance?group=colour").status_code == 422
    assert client.get("/api/sla/compliance?start=2026-12-01&end=2026-11-01").status_code == 422
