"""Administration of queues and routing rules: who may, validation, the default queue,
stale edits, audit, the rule order and the "test a case" preview."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from accord.core.errors import ConflictError
from accord.core.models import AuditEntry, Picklist, PicklistOption, Team
from accord.core.testing import user_with_role
from accord.service import routing
from accord.service.models import Case, Category, Queue, RoutingRule

pytestmark = pytest.mark.django_db


@pytest.fixture
def head() -> Any:
    return user_with_role("service_manager")


@pytest.fixture
def team() -> Team:
    return Team.objects.create(name="Engineers")


def _queue_fields(team: Team, **kw: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "name": "Second line",
        "name_ru": "Вторая линия",
        "name_fr": "Deuxième niveau",
        "name_de": "Second Level",
        "team": team,
        "method": Queue.Method.LEAST_LOADED,
        "email": "Second@Example.com",
        "supervisor": None,
        "is_default": False,
        "is_active": True,
        "position": None,
    }
    fields.update(kw)
    return fields


# --- who may ---------------------------------------------------------------------------------


ADMIN_PAGES = [
    ("service:queue_list", []),
    ("service:queue_create", []),
    ("service:routing_rules", []),
    ("service:routing_rule_create", []),
    ("service:routing_preview", []),
]


@pytest.mark.parametrize("role", ["administrator", "service_manager"])
@pytest.mark.parametrize(("name", "args"), ADMIN_PAGES)
def test_administrators_and_the_head_of_service_open_the_settings(client: Client, role, name, args):
    client.force_login(user_with_role(role))
    assert client.get(reverse(name, args=args)).status_code == 200


@pytest.mark.parametrize("role", ["service_agent", "head_of_sales", "field_engineer"])
@pytest.mark.parametrize(("name", "args"), ADMIN_PAGES)
def test_others_are_refused_the_settings(client: Client, role, name, args):
    client.force_login(user_with_role(role))
    assert client.get(reverse(name, args=args)).status_code == 403


def test_refused_posts_change_nothing(client: Client, team):
    queue = Queue.objects.get(is_default=True)
    rule = RoutingRule.objects.create(name="Faults", queue=queue)
    client.force_login(user_with_role("service_agent"))
    before = AuditEntry.objects.count()
    posts = [
        (reverse("service:queue_create"), {"name": "X", "team": team.pk, "method": "manual"}),
        (reverse("service:queue_edit", args=[queue.pk]), {"name": "Renamed"}),
        (reverse("service:queue_delete", args=[queue.pk]), {}),
        (reverse("service:routing_rule_toggle", args=[rule.pk]), {}),
        (reverse("service:routing_rule_delete", args=[rule.pk]), {}),
        (reverse("service:routing_rule_move", args=[rule.pk]), {"direction": "down"}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403
    assert Queue.objects.count() == 1
    assert Queue.objects.get().name == "First line"
    assert RoutingRule.objects.get().is_active is True
    assert AuditEntry.objects.count() == before


def test_services_refuse_an_agent(team):
    agent = user_with_role("service_agent")
    with pytest.raises(PermissionDenied):
        routing.queue_create(actor=agent, fields=_queue_fields(team))
    with pytest.raises(PermissionDenied):
        routing.routing_rule_create(actor=agent, fields={"name": "x", "queue": Queue.objects.get()})
    assert Queue.objects.count() == 1
    assert RoutingRule.objects.count() == 0


# --- queues ----------------------------------------------------------------------------------


def test_create_a_queue_cleans_and_audits(head, team):
    queue = routing.queue_create(actor=head, fields=_queue_fields(team))
    assert (queue.email, queue.position, queue.name_fr) == (
        "second@example.com",
        1,
        "Deuxième niveau",
    )
    entry = AuditEntry.objects.get(object_type="service.queue", object_id=queue.pk)
    assert entry.action == AuditEntry.Kind.CREATE
    assert entry.changes["name"] == [None, "Second line"]


def test_queue_bad_input_names_each_field_and_saves_nothing(head, team):
    routing.queue_create(actor=head, fields=_queue_fields(team, email="desk@example.com"))
    gone = user_with_role("service_agent", is_active=False)
    with pytest.raises(ValidationError) as caught:
        routing.queue_create(
            actor=head,
            fields=_queue_fields(
                None,  # type: ignore[arg-type]
                name="  second LINE ",
                method="random",
                email="DESK@example.com",
                supervisor=gone,
            ),
        )
    assert caught.value.message_dict == {
        "name": ["Another queue already has this name."],
        "team": ["Choose the team that works this queue."],
        "method": ["Choose how cases are handed out."],
        "email": ["Another queue already receives mail at this address."],
        "supervisor": ["This user is deactivated."],
    }
    with pytest.raises(ValidationError) as empty:
        routing.queue_create(actor=head, fields=_queue_fields(team, name=" "))
    assert empty.value.message_dict == {"name": ["Give the queue a name."]}
    with pytest.raises(ValidationError) as unknown:
        routing.queue_create(actor=head, fields={**_queue_fields(team), "last_assigned": None})
    assert unknown.value.message_dict == {"last_assigned": ["Unknown field."]}
    assert Queue.objects.count() == 2


def test_making_a_queue_the_default_takes_the_flag_from_the_old_one(head, team):
    old = Queue.objects.get(is_default=True)
    new = routing.queue_create(actor=head, fields=_queue_fields(team, is_default=True))
    assert list(Queue.objects.filter(is_default=True)) == [new]
    assert AuditEntry.objects.get(object_type="service.queue", object_id=old.pk).changes == {
        "is_default": [True, False]
    }


def test_the_default_queue_cannot_lose_its_flag_be_deactivated_or_deleted(head):
    default = Queue.objects.get(is_default=True)
    with pytest.raises(ValidationError) as unflag:
        routing.queue_update(actor=head, queue=default, fields={"is_default": False})
    assert list(unflag.value.message_dict) == ["is_default"]
    with pytest.raises(ValidationError) as deactivate:
        routing.queue_update(actor=head, queue=default, fields={"is_active": False})
    assert deactivate.value.message_dict == {
        "is_active": ["The default queue cannot be deactivated."]
    }
    with pytest.raises(ValidationError) as delete:
        routing.queue_delete(actor=head, queue=default)
    assert list(delete.value.message_dict) == ["queue"]
    assert Queue.objects.get(pk=default.pk).is_default is True


def test_a_queue_with_active_rules_cannot_be_deactivated(head, team):
    queue = routing.queue_create(actor=head, fields=_queue_fields(team))
    routing.routing_rule_create(actor=head, fields={"name": "Faults", "queue": queue})
    with pytest.raises(ValidationError) as caught:
        routing.queue_update(actor=head, queue=queue, fields={"is_active": False})
    assert caught.value.message_dict == {
        "is_active": [
            "Active routing rules send cases to this queue: change or deactivate them first."
        ]
    }


def test_a_stale_queue_edit_is_refused(head, team):
    queue = routing.queue_create(actor=head, fields=_queue_fields(team))
    seen = routing.record_version(queue)
    routing.queue_update(actor=head, queue=queue, fields={"name": "Engineers"}, version=seen)
    with pytest.raises(ConflictError):
        routing.queue_update(actor=head, queue=queue, fields={"name": "Other"}, version=seen)
    assert Queue.objects.get(pk=queue.pk).name == "Engineers"


def test_changing_the_team_restarts_the_round(head, team):
    queue = routing.queue_create(actor=head, fields=_queue_fields(team))
    agent = user_with_role("service_agent", team=team)
    Queue.objects.filter(pk=queue.pk).update(last_assigned=agent)
    other = Team.objects.create(name="Other")
    updated = routing.queue_update(actor=head, queue=queue, fields={"team": other})
    assert (updated.team_id, Queue.objects.get(pk=queue.pk).last_assigned_id) == (other.pk, None)


def test_a_queue_with_cases_is_not_deleted_one_without_is(head, team):
    used = routing.queue_create(actor=head, fields=_queue_fields(team))
    Case.objects.create(subject="x", queue=used)
    with pytest.raises(ValidationError) as caught:
        routing.queue_delete(actor=head, queue=used)
    assert caught.value.message_dict == {
        "queue": ["This queue has cases: deactivate it instead of deleting it."]
    }
    spare = routing.queue_create(actor=head, fields=_queue_fields(team, name="Spare", email=""))
    routing.queue_delete(actor=head, queue=spare)
    assert not Queue.objects.filter(pk=spare.pk).exists()
    assert AuditEntry.objects.filter(
        object_type="service.queue", object_id=spare.pk, action=AuditEntry.Kind.DELETE
    ).exists()


def test_queue_pages_create_and_edit_with_errors_on_the_fields(client: Client, head, team):
    client.force_login(head)
    response = client.post(
        reverse("service:queue_create"),
        {"name": "", "team": team.pk, "method": "least_loaded", "is_active": "on"},
    )
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    response = client.post(
        reverse("service:queue_create"),
        {"name": "Billing", "name_ru": "Бухгалтерия", "team": team.pk, "method": "manual"},
    )
    assert response.status_code == 302
    queue = Queue.objects.get(name="Billing")
    assert (queue.method, queue.is_active, queue.name_ru) == ("manual", False, "Бухгалтерия")
    page = client.get(reverse("service:queue_edit", args=[queue.pk]))
    version = page.context["form"].initial["version"]
    Queue.objects.filter(pk=queue.pk).update(email="billing@example.com")  # someone else
    stale = client.post(
        reverse("service:queue_edit", args=[queue.pk]),
        {"name": "Invoices", "team": team.pk, "method": "manual", "version": version},
    )
    assert "Someone else changed this" in stale.content.decode()
    assert Queue.objects.get(pk=queue.pk).name == "Billing"


# --- rules -----------------------------------------------------------------------------------


def test_rule_bad_input_names_each_field(head, team):
    inactive = routing.queue_create(
        actor=head, fields=_queue_fields(team, is_active=False, email="")
    )
    region = PicklistOption.objects.create(picklist=Picklist.CLIENT_TIER, code="z", label="Z")
    with pytest.raises(ValidationError) as caught:
        routing.routing_rule_create(
            actor=head,
            fields={"name": " ", "queue": inactive, "region": region, "channel": "fax"},
        )
    assert caught.value.message_dict == {
        "name": ["Give the rule a name."],
        "queue": ["This queue is inactive: an active rule cannot send cases to it."],
        "region": ["Not a region."],
        "channel": ["Unknown channel."],
    }
    with pytest.raises(ValidationError) as no_queue:
        routing.routing_rule_create(actor=head, fields={"name": "x", "queue": None})
    assert no_queue.value.message_dict == {"queue": ["Choose the queue the matching cases go to."]}
    assert RoutingRule.objects.count() == 0


def test_rules_are_added_at_the_end_moved_toggled_and_deleted_with_audit(
    client: Client, head, team
):
    queue = Queue.objects.get(is_default=True)
    fault = Category.objects.get(code="fault")
    a = routing.routing_rule_create(actor=head, fields={"name": "A", "queue": queue})
    b = routing.routing_rule_create(
        actor=head, fields={"name": "B", "queue": queue, "category": fault}
    )
    assert (a.position, b.position) == (0, 1)
    client.force_login(head)
    client.post(reverse("service:routing_rule_move", args=[b.pk]), {"direction": "up"})
    assert list(RoutingRule.objects.order_by("position").values_list("name", flat=True)) == [
        "B",
        "A",
    ]
    client.post(reverse("service:routing_rule_toggle", args=[a.pk]))
    assert RoutingRule.objects.get(pk=a.pk).is_active is False
    page = client.get(reverse("service:routing_rules")).content.decode()
    assert "category Fault or breakdown" in page
    client.post(reverse("service:routing_rule_delete", args=[a.pk]))
    assert list(RoutingRule.objects.values_list("name", flat=True)) == ["B"]
    actions = list(
        AuditEntry.objects.filter(object_type="service.routingrule", object_id=a.pk)
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["create", "change", "change", "delete"]


def test_a_stale_rule_edit_is_refused(head):
    queue = Queue.objects.get(is_default=True)
    rule = routing.routing_rule_create(actor=head, fields={"name": "A", "queue": queue})
    seen = routing.record_version(rule)
    routing.routing_rule_update(actor=head, rule=rule, fields={"name": "B"}, version=seen)
    with pytest.raises(ConflictError):
        routing.routing_rule_update(actor=head, rule=rule, fields={"name": "C"}, version=seen)
    assert RoutingRule.objects.get(pk=rule.pk).name == "B"


def test_preview_shows_the_deciding_rule_the_queue_and_the_next_agent(client: Client, head, team):
    queue = routing.queue_create(
        actor=head, fields=_queue_fields(team, method=Queue.Method.ROUND_ROBIN)
    )
    agent = user_with_role("service_agent", team=team, first_name="Olga", last_name="Ivanova")
    fault = Category.objects.get(code="fault")
    phone_rule = routing.routing_rule_create(
        actor=head, fields={"name": "Phone", "queue": queue, "channel": "phone"}
    )
    fault_rule = routing.routing_rule_create(
        actor=head, fields={"name": "Faults", "queue": queue, "category": fault}
    )
    client.force_login(head)
    response = client.get(
        reverse("service:routing_preview"), {"category": fault.pk, "channel": "email"}
    )
    html = response.content.decode()
    assert "Rule “Faults” sends the case to the queue Second line." in html
    assert "Next agent (Round robin): Olga Ivanova." in html
    checked = response.context["checked"]
    assert [(row["rule"].pk, row["failed"], row["chosen"]) for row in checked] == [
        (phone_rule.pk, ["channel"], False),
        (fault_rule.pk, [], True),
    ]
    # the preview does not advance the round
    assert Queue.objects.get(pk=queue.pk).last_assigned_id is None
    assert agent.pk
    default = client.get(reverse("service:routing_preview"), {"channel": "web_form"})
    assert "No rule matches: the case goes to the default queue, First line." in (
        default.content.decode()
    )
