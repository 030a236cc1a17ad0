"""Assignment rules (M2): round robin, by region / source / country, administration."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accord.core.models import AuditEntry, Picklist, PicklistOption
from accord.core.testing import TeamFactory, user_with_role
from accord.sales import assignment, services_leads
from accord.sales.models import AssignmentRule, Lead

pytestmark = pytest.mark.django_db


def _option(picklist: str, code: str) -> PicklistOption:
    option, _created = PicklistOption.objects.get_or_create(
        picklist=picklist, code=code, defaults={"label": code.title()}
    )
    return option


def _rule(admin, **fields):
    return assignment.assignment_rule_create(actor=admin, fields={"name": "Rule", **fields})


def test_round_robin_goes_through_three_users_in_order_and_skips_inactive():
    admin = user_with_role("administrator")
    team = TeamFactory(name="Inbound")
    first, second, third = (user_with_role("sales_manager", team=team) for _ in range(3))
    user_with_role("read_only", team=team)  # may not own leads: never chosen
    _rule(admin, method="round_robin", team=team)
    marketing = user_with_role("marketing")

    owners = [
        services_leads.lead_create(actor=marketing, fields={"full_name": f"L{i}"}).owner
        for i in range(4)
    ]
    assert owners == [first, second, third, first]

    second.is_active = False
    second.save()
    owners = [
        services_leads.lead_create(actor=marketing, fields={"full_name": f"M{i}"}).owner
        for i in range(3)
    ]
    assert owners == [third, first, third]
    lead = Lead.objects.filter(full_name="M0").get()
    assert lead.team == team
    entry = AuditEntry.objects.get(object_type="lead", object_id=lead.pk)
    assert entry.message == "Assigned by the rule “Rule”."


def test_rules_by_region_source_and_country_first_match_wins():
    admin = user_with_role("administrator")
    urals = _option(Picklist.REGION, "urals")
    website = _option(Picklist.SOURCE, "website")
    regional, web, french, fallback = (user_with_role("sales_manager") for _ in range(4))
    _rule(admin, name="Urals", method="user", user=regional, region=urals)
    _rule(admin, name="Web", method="user", user=web, source=website)
    _rule(admin, name="France", method="user", user=french, country="fr")
    _rule(admin, name="Rest", method="user", user=fallback)

    def owner_of(**fields):
        lead = Lead(**{"full_name": "x", **fields})
        return assignment.assign_owner(lead)

    assert owner_of(region=urals, source=website) == regional
    assert owner_of(source=website) == web
    assert owner_of(country="FR") == french
    assert owner_of(country="DE") == fallback


def test_inactive_rules_and_explicit_owner_are_respected():
    admin = user_with_role("administrator")
    target = user_with_role("sales_manager")
    rule = _rule(admin, method="user", user=target)
    head = user_with_role("head_of_sales")

    chosen = services_leads.lead_create(actor=head, fields={"full_name": "Mine", "owner": head})
    assert chosen.owner == head
    manual = services_leads.lead_create(
        actor=head, fields={"full_name": "Kept"}, assign_automatically=False
    )
    assert manual.owner == head
    assignment.assignment_rule_update(actor=admin, rule=rule, fields={"is_active": False})
    assert services_leads.lead_create(actor=head, fields={"full_name": "No rule"}).owner == head


def test_no_rule_leaves_the_lead_with_its_creator():
    manager = user_with_role("sales_manager")

    assert assignment.assign_owner(Lead(full_name="x")) is None
    assert services_leads.lead_create(actor=manager, fields={"full_name": "x"}).owner == manager


def test_only_administrators_manage_rules_and_changes_are_audited():
    admin = user_with_role("administrator")
    head = user_with_role("head_of_sales")
    target = user_with_role("sales_manager")

    with pytest.raises(PermissionDenied):
        _rule(head, method="user", user=target)
    assert AssignmentRule.objects.count() == 0

    rule = _rule(admin, method="user", user=target)
    other = _rule(admin, name="Second", method="user", user=target)
    assignment.assignment_rule_move(actor=admin, rule=other, offset=-1)

    assert list(AssignmentRule.objects.values_list("name", flat=True)) == ["Second", "Rule"]
    kinds = list(
        AuditEntry.objects.filter(object_type="sales.assignmentrule", object_id=rule.pk)
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert kinds == ["create", "change"]


def test_rule_without_a_target_names_the_field():
    admin = user_with_role("administrator")
    empty_team = TeamFactory(name="Nobody")

    with pytest.raises(ValidationError) as info:
        _rule(admin, method="user")
    assert list(info.value.message_dict) == ["user"]
    with pytest.raises(ValidationError) as info:
        _rule(admin, method="round_robin", team=empty_team)
    assert list(info.value.message_dict) == ["team"]
    with pytest.raises(ValidationError) as info:
        _rule(admin, method="user", user=admin, country="FRA")
    assert list(info.value.message_dict) == ["country"]
    assert AssignmentRule.objects.count() == 0


@pytest.mark.transactional
@pytest.mark.django_db(transaction=True)
def test_round_robin_gives_simultaneous_leads_to_different_people():
    """Two leads entered at the same moment: the rule's row lock makes the second wait for the
    first, so they go to two people (PostgreSQL; SQLite serialises writers anyway)."""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("row locks are a PostgreSQL matter; SQLite has one writer at a time")
    admin = user_with_role("administrator")
    team = TeamFactory(name="Night shift")
    members = {user_with_role("sales_manager", team=team).pk for _ in range(2)}
    _rule(admin, method="round_robin", team=team)
    marketing = user_with_role("marketing")
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def enter(name: str) -> None:
        try:
            barrier.wait()
            services_leads.lead_create(actor=marketing, fields={"full_name": name})
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=enter, args=(f"Lead {i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert set(Lead.objects.values_list("owner_id", flat=True)) == members
