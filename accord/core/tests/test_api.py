import datetime

import pytest
from django.utils import timezone

from accord.core.models import AuditEntry, CustomFieldDefinition
from accord.core.testing import TeamFactory, assert_num_queries, user_with_role
from accord.core.tests.test_api_auth import token_client
from accord.parties.tests.factories import make_company

pytestmark = pytest.mark.django_db


def test_me_lists_roles_teams_preferences_and_permissions():
    team = TeamFactory(name="North")
    manager = user_with_role(
        "sales_manager", team=team, username="anna", language="fr", time_zone="Europe/Paris"
    )

    body = token_client(manager).get("/api/me").json()

    assert body["username"] == "anna" and body["is_administrator"] is False
    assert [r["code"] for r in body["roles"]] == ["sales_manager"]
    assert body["teams"] == [{"id": team.pk, "name": "North"}]
    assert (body["language"], body["time_zone"]) == ("fr", "Europe/Paris")
    assert body["permissions"]["company"]["view"] == "team"
    assert body["permissions"]["company"]["change"] == "own"
    assert body["permissions"]["company"]["reassign"] == "none"


def test_picklists_with_localized_labels():
    body = token_client(user_with_role("read_only")).get("/api/picklists").json()

    industry = next(p for p in body if p["picklist"] == "industry")
    design = next(o for o in industry["options"] if o["code"] == "design")
    assert design["labels"]["ru"] == "Проектирование"
    assert design["labels"]["en"] == "Design and engineering"
    assert len(industry["options"]) <= 7


def test_custom_fields_by_model():
    CustomFieldDefinition.objects.create(
        model="company", name="tender", label="Tender", field_type="text"
    )
    CustomFieldDefinition.objects.create(
        model="contact", name="vip", label="VIP", field_type="boolean"
    )
    client = token_client(user_with_role("read_only"))

    body = client.get("/api/custom-fields?model=company").json()

    assert [(f["name"], f["field_type"]) for f in body] == [("tender", "text")]


@pytest.mark.parametrize("extra", [3, 30])
def test_users_lists_active_users_only_with_a_fixed_query_count(extra):
    viewer = user_with_role("read_only")
    for _ in range(extra):
        user_with_role("sales_manager")
    user_with_role("sales_manager", username="gone", is_active=False)
    client = token_client(viewer)
    client.get("/api/me")

    with assert_num_queries(2):  # token, users
        body = client.get("/api/users?limit=200").json()

    usernames = [u["username"] for u in body["items"]]
    assert "gone" not in usernames and len(usernames) == extra + 1


@pytest.mark.parametrize("changes", [3, 30])
def test_record_history_has_a_fixed_query_count(changes):
    from accord.parties import services

    manager = user_with_role("sales_manager", team=TeamFactory())
    company = make_company(owner=manager, name="Alpha")
    for i in range(changes):
        company = services.company_update(
            actor=manager, company=company, fields={"description": str(i)}
        )
    client = token_client(manager)
    client.get("/api/me")

    # token, grants, team ids, visibility check, entries
    with assert_num_queries(5):
        body = client.get(f"/api/audit?object_type=company&object_id={company.pk}&limit=200")

    assert len(body.json()["items"]) == changes + 1


def test_non_administrators_cannot_read_the_global_log():
    client = token_client(user_with_role("head_of_sales"))

    response = client.get("/api/audit")

    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "object_id"


def test_administrator_filters_the_global_log():
    admin = user_with_role("administrator")
    manager = user_with_role("sales_manager")
    make_company(owner=manager, name="Alpha")
    from accord.parties import services

    mine = services.company_create(actor=manager, fields={"name": "Beta"})
    AuditEntry.objects.create(
        action="change",
        object_type="company",
        object_id=mine.pk,
        object_repr="old",
        actor=manager,
        timestamp=timezone.now() - datetime.timedelta(days=10),
    )
    client = token_client(admin)
    today = timezone.now().date().isoformat()

    by_actor = client.get(f"/api/audit?actor={manager.pk}&object_type=company").json()["items"]
    recent = client.get(f"/api/audit?actor={manager.pk}&date_from={today}").json()["items"]
    changes = client.get("/api/audit?action=change&object_type=company").json()["items"]

    assert [(e["object_id"], e["action"]) for e in by_actor] == [
        (mine.pk, "change"),
        (mine.pk, "create"),
    ]
    assert [e["action"] for e in recent] == ["create"]
    assert [e["object_repr"] for e in changes] == ["old"]
