"""Routing of new cases: rules by condition, the default queue, round robin, least loaded,
manual queues, candidates, the record it leaves, and concurrency."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connections

from accord.core.models import AuditEntry, Notification, Picklist, PicklistOption, Team, User
from accord.core.testing import assert_num_queries, user_with_role
from accord.parties.models import Company
from accord.parties.tests.factories import make_company
from accord.service import routing, services
from accord.service.models import Case, CaseEvent, Category, Queue, RoutingRule

pytestmark = pytest.mark.django_db


def _queue(name: str, team: Team, method: str = Queue.Method.ROUND_ROBIN, **kw: Any) -> Queue:
    return Queue.objects.create(name=name, team=team, method=method, **kw)


def _rule(queue: Queue, position: int, **conditions: Any) -> RoutingRule:
    return RoutingRule.objects.create(
        name=f"to {queue.name} #{position}", queue=queue, position=position, **conditions
    )


def _case(**kw: Any) -> Case:
    kw.setdefault("subject", "Pump leaks")
    return Case.objects.create(**kw)


def _option(picklist: str, code: str) -> PicklistOption:
    option, _created = PicklistOption.objects.get_or_create(
        picklist=picklist, code=code, defaults={"label": code.title()}
    )
    return option


@pytest.fixture
def default_queue() -> Queue:
    return Queue.objects.get(is_default=True)


@pytest.fixture
def second_line() -> Queue:
    return _queue("Second line", Team.objects.create(name="Engineers"), Queue.Method.MANUAL)


# --- rules -----------------------------------------------------------------------------------


def test_no_rule_sends_the_case_to_the_default_queue_and_its_team(default_queue):
    case = _case()
    routing.route_case(case=case, actor=None)
    case.refresh_from_db()
    assert (case.queue_id, case.team_id) == (default_queue.pk, default_queue.team_id)


@pytest.mark.parametrize(
    "condition",
    ["category", "product", "region", "tier", "channel"],
)
def test_each_condition_matches_only_its_value(condition, second_line, default_queue):
    from accord.catalog.models import Product

    admin = user_with_role("administrator")
    region_a, region_b = _option(Picklist.REGION, "ural"), _option(Picklist.REGION, "north")
    tier_a, tier_b = _option(Picklist.CLIENT_TIER, "key"), _option(Picklist.CLIENT_TIER, "std")
    fault, question = Category.objects.get(code="fault"), Category.objects.get(code="question")
    products = [
        Product.objects.create(sku=f"P-{i}", name=f"Pump {i}", tax_rate=_tax_rate()) for i in (1, 2)
    ]
    rule_values = {
        "category": fault,
        "product": products[0],
        "region": region_a,
        "tier": tier_a,
        "channel": Case.Channel.EMAIL,
    }
    other_values = {
        "category": question,
        "product": products[1],
        "region": region_b,
        "tier": tier_b,
        "channel": Case.Channel.PHONE,
    }
    _rule(second_line, 0, **{condition: rule_values[condition]})

    def routed(values: dict[str, Any]) -> int | None:
        company = make_company(owner=admin)
        Company.objects.filter(pk=company.pk).update(
            region=values["region"], service_tier=values["tier"]
        )
        case_fields = {k: v for k, v in values.items() if k in ("category", "product", "channel")}
        case = _case(company=company, **case_fields)
        routing.route_case(case=case, actor=None)
        case.refresh_from_db()
        return case.queue_id

    assert routed(rule_values) == second_line.pk
    assert routed(other_values) == default_queue.pk


def _tax_rate() -> Any:
    from accord.catalog.models import TaxRate

    return TaxRate.objects.first() or TaxRate.objects.create(name="VAT 20", rate="20.00")


def test_all_set_conditions_must_match_and_the_first_rule_by_position_wins(second_line):
    fault = Category.objects.get(code="fault")
    third = _queue("Third line", second_line.team, Queue.Method.MANUAL)
    _rule(third, 5, category=fault)  # later in the order
    _rule(second_line, 1, category=fault, channel=Case.Channel.EMAIL)
    both = _case(category=fault, channel=Case.Channel.EMAIL)
    phone = _case(category=fault, channel=Case.Channel.PHONE)
    routing.route_case(case=both, actor=None)
    routing.route_case(case=phone, actor=None)
    assert Case.objects.get(pk=both.pk).queue_id == second_line.pk
    assert Case.objects.get(pk=phone.pk).queue_id == third.pk


def test_inactive_rules_and_rules_to_inactive_queues_are_skipped(second_line, default_queue):
    _rule(second_line, 0, is_active=False)
    closed = _queue("Closed desk", second_line.team, is_active=False)
    _rule(closed, 1)
    case = _case()
    routing.route_case(case=case, actor=None)
    assert Case.objects.get(pk=case.pk).queue_id == default_queue.pk


def test_a_case_that_has_a_queue_keeps_it_and_gets_its_team(second_line):
    _rule(_queue("Elsewhere", second_line.team), 0)
    case = _case(queue=second_line)
    routing.route_case(case=case, actor=None)
    case.refresh_from_db()
    assert (case.queue_id, case.team_id, case.owner_id) == (
        second_line.pk,
        second_line.team_id,
        None,
    )


def test_without_rules_and_default_queue_the_case_is_left_alone(default_queue):
    Queue.objects.filter(pk=default_queue.pk).update(is_default=False)
    case = _case()
    routing.route_case(case=case, actor=None)
    case.refresh_from_db()
    assert (case.queue_id, case.team_id) == (None, None)
    assert not CaseEvent.objects.filter(case=case).exists()
    assert not AuditEntry.objects.filter(object_type="case", object_id=case.pk).exists()


# --- agents ----------------------------------------------------------------------------------


def _agents(team: Team, n: int) -> list[User]:
    return [user_with_role("service_agent", team=team) for _ in range(n)]


def test_round_robin_goes_round_the_team_in_id_order_and_wraps():
    team = Team.objects.create(name="First line A")
    queue = _queue("Desk", team, is_default=False)
    a, b, c = _agents(team, 3)
    owners = []
    for _ in range(4):
        case = _case(queue=queue)
        routing.route_case(case=case, actor=None)
        owners.append(Case.objects.get(pk=case.pk).owner_id)
    assert owners == [a.pk, b.pk, c.pk, a.pk]
    queue.refresh_from_db()
    assert queue.last_assigned_id == a.pk


def test_round_robin_continues_after_the_last_assigned_even_when_they_left():
    team = Team.objects.create(name="First line B")
    queue = _queue("Desk", team)
    _a, b, c = _agents(team, 3)
    User.objects.filter(pk=b.pk).update(is_active=False)
    Queue.objects.filter(pk=queue.pk).update(last_assigned=b)
    case = _case(queue=Queue.objects.get(pk=queue.pk))
    routing.route_case(case=case, actor=None)
    assert Case.objects.get(pk=case.pk).owner_id == c.pk


def test_only_active_members_who_may_change_cases_are_candidates():
    team = Team.objects.create(name="Mixed")
    queue = _queue("Desk", team)
    user_with_role("sales_manager", team=team)  # no right on cases
    user_with_role("read_only", team=team)
    gone = user_with_role("service_agent", team=team)
    User.objects.filter(pk=gone.pk).update(is_active=False)
    user_with_role("service_agent")  # not in the team
    engineer = user_with_role("field_engineer", team=team)  # may change own cases
    assert list(routing.case_agents(team.pk)) == [engineer]
    case = _case(queue=queue)
    routing.route_case(case=case, actor=None)
    assert Case.objects.get(pk=case.pk).owner_id == engineer.pk


def test_least_loaded_picks_the_fewest_open_cases_ties_by_id():
    team = Team.objects.create(name="Engineers LL")
    queue = _queue("Desk", team, Queue.Method.LEAST_LOADED)
    a, b, c = _agents(team, 3)
    for owner, status in [
        (a, Case.Status.NEW),
        (a, Case.Status.WAITING),
        (b, Case.Status.IN_PROGRESS),
        (b, Case.Status.CLOSED),  # closed cases do not count
        (b, Case.Status.RESOLVED),
        (c, Case.Status.NEW),
    ]:
        _case(owner=owner, status=status)
    case = _case(queue=queue)
    routing.route_case(case=case, actor=None)
    # b and c have one open case each: the lower id wins
    assert Case.objects.get(pk=case.pk).owner_id == min(b.pk, c.pk)
    second = _case(queue=queue)
    routing.route_case(case=second, actor=None)
    assert Case.objects.get(pk=second.pk).owner_id == max(b.pk, c.pk)


def test_manual_queue_and_no_candidates_leave_the_case_unassigned(second_line):
    empty = _queue("Nobody", Team.objects.create(name="Empty team"))
    for queue in (second_line, empty):
        _agents(second_line.team, 1)
        case = _case(queue=queue)
        routing.route_case(case=case, actor=None)
        case.refresh_from_db()
        assert (case.queue_id, case.owner_id) == (queue.pk, None)
    assert Queue.objects.get(pk=empty.pk).last_assigned_id is None


def test_a_case_with_an_agent_keeps_them():
    team = Team.objects.create(name="Keep")
    queue = _queue("Desk", team)
    _a, b = _agents(team, 2)
    case = _case(queue=queue, owner=b)
    routing.route_case(case=case, actor=None)
    assert Case.objects.get(pk=case.pk).owner_id == b.pk
    assert Queue.objects.get(pk=queue.pk).last_assigned_id is None


# --- what routing leaves behind ----------------------------------------------------------------


def test_routing_records_an_event_an_audit_entry_and_notifies_the_agent(second_line):
    team = Team.objects.create(name="Notify")
    queue = _queue("Key accounts", team)
    _rule(queue, 0, channel=Case.Channel.EMAIL)
    (agent,) = _agents(team, 1)
    User.objects.filter(pk=agent.pk).update(language="ru")
    case = _case(channel=Case.Channel.EMAIL)
    routing.route_case(case=case, actor=None)
    event = CaseEvent.objects.get(case=case)
    assert (event.kind, event.actor_id, event.to_value) == (
        CaseEvent.Kind.ASSIGNED,
        None,
        f"Key accounts · {agent}",
    )
    assert "to Key accounts #0" in event.reason
    entry = AuditEntry.objects.get(object_type="case", object_id=case.pk)
    assert entry.changes == {
        "queue": [None, queue.pk],
        "team": [None, team.pk],
        "owner": [None, agent.pk],
    }
    note = Notification.objects.get(user=agent)
    assert note.text.startswith(f"Заявка CS-{case.pk}") or f"CS-{case.pk}" in note.text
    assert note.dedupe_key == f"case-assigned:{case.pk}:{agent.pk}"


def test_routing_a_case_is_a_fixed_handful_of_queries():
    team = Team.objects.create(name="Budget")
    queue = _queue("Desk", team)
    for position in range(5):
        _rule(queue, position, channel=Case.Channel.PORTAL, is_active=position % 2 == 0)
    _agents(team, 6)
    company = make_company(owner=user_with_role("administrator"))
    case = _case(company=company, channel=Case.Channel.PORTAL)
    # rules, lock, agents, advance, update case, event, audit, notification (+ savepoint and
    # release), however many rules and agents
    with assert_num_queries(10):
        routing.route_case(case=case, actor=None)
    assert Case.objects.get(pk=case.pk).owner_id is not None


# --- through open_case -------------------------------------------------------------------------


def test_open_case_routes_through_the_case_opened_signal(second_line):
    team = Team.objects.create(name="Hotline")
    queue = _queue("Hotline", team)
    a, b = _agents(team, 2)
    _rule(queue, 0, channel=Case.Channel.PHONE)
    clerk = user_with_role("service_agent")
    first = services.open_case(actor=clerk, subject="No heat", channel=Case.Channel.PHONE)
    second = services.open_case(actor=clerk, subject="Noise", channel=Case.Channel.PHONE)
    other = services.open_case(actor=clerk, subject="Invoice", channel=Case.Channel.MANUAL)
    assert (first.queue_id, first.team_id, first.owner_id) == (queue.pk, team.pk, a.pk)
    assert second.owner_id == b.pk
    assert other.queue_id == Queue.objects.get(is_default=True).pk


def test_open_case_with_a_queue_given_by_mail_in_keeps_it(second_line):
    _rule(_queue("Elsewhere", second_line.team), 0)
    clerk = user_with_role("service_agent")
    case = services.open_case(actor=clerk, subject="By mail", queue=second_line)
    assert (case.queue_id, case.team_id) == (second_line.pk, second_line.team_id)


@pytest.mark.transactional
@pytest.mark.django_db(transaction=True)
def test_round_robin_gives_two_simultaneous_cases_to_two_agents():
    """Two cases opened at the same moment: the queue row lock (PostgreSQL) or the single
    writer (SQLite, IMMEDIATE transactions) makes the second wait, so they go to two agents."""
    team = Team.objects.create(name="Night shift")
    queue = _queue("Night", team)
    agents = {a.pk for a in _agents(team, 2)}
    clerk = user_with_role("service_agent")
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def open_one(subject: str) -> None:
        try:
            barrier.wait()
            services.open_case(actor=clerk, subject=subject, queue=queue)
        except BaseException as exc:  # reported in the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=open_one, args=(f"Case {i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert set(Case.objects.filter(queue=queue).values_list("owner_id", flat=True)) == agents
