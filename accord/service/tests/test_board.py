"""The contact-centre board: exact counts on a known set, filters, scope, the live fragment
and a fixed query budget."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accord.core.models import Team, User
from accord.core.testing import assert_num_queries, user_with_role
from accord.service.models import Case, Category, Queue
from accord.service.views_queues import board_for

pytestmark = pytest.mark.django_db

BOARD_QUERIES = 12


def _case(queue: Queue | None, age: timedelta, **kw: Any) -> Case:
    kw.setdefault("subject", "Pump leaks")
    kw.setdefault("team_id", queue.team_id if queue else None)
    return Case.objects.create(queue=queue, created_at=timezone.now() - age, **kw)


@pytest.fixture
def desk() -> dict[str, Any]:
    """Two queues with a known set of open cases (and closed ones that must not count)."""
    first_team = Team.objects.create(name="First line team")
    second_team = Team.objects.create(name="Engineers team")
    first = Queue.objects.create(name="First", team=first_team, position=1)
    second = Queue.objects.create(name="Second", team=second_team, position=2)
    olga = user_with_role("service_agent", team=first_team, first_name="Olga", last_name="A")
    pavel = user_with_role("service_agent", team=first_team, first_name="Pavel", last_name="B")
    ivan = user_with_role("field_engineer", team=second_team, first_name="Ivan", last_name="C")
    fault = Category.objects.get(code="fault")
    now = timezone.now()
    due = now + timedelta(hours=1)
    minutes, hours, days = (
        lambda n: timedelta(minutes=n),
        lambda n: timedelta(hours=n),
        lambda n: timedelta(days=n),
    )
    # first queue: 6 open cases
    _case(first, minutes(10), owner=olga)  # < 1 h, on track
    _case(first, hours(2), owner=olga, sla_warned_at=now)  # 1-4 h, warning
    _case(first, hours(5), status=Case.Status.WAITING)  # 4-24 h, paused, unassigned
    _case(  # 1-3 days, breached (a breach outranks the pause)
        first,
        days(2),
        owner=pavel,
        status=Case.Status.WAITING,
        first_response_breached=True,
        category=fault,
        priority="urgent",
    )
    _case(first, days(5), resolution_breached=True, sla_warned_at=now)  # > 3 days, breached
    _case(first, minutes(30), status=Case.Status.IN_PROGRESS, owner=pavel, category=fault)
    # never counted: closed and resolved
    _case(first, minutes(5), status=Case.Status.CLOSED, owner=olga)
    _case(first, days(10), status=Case.Status.RESOLVED, owner=olga, resolution_breached=True)
    # second queue: 2 open cases
    _case(second, hours(3), owner=ivan, priority="high")
    _case(second, days(4), resolution_due_at=due)
    # not routed
    _case(None, minutes(1), team_id=None)
    return {
        "first": first,
        "second": second,
        "olga": olga,
        "pavel": pavel,
        "ivan": ivan,
        "fault": fault,
        "first_team": first_team,
        "due": due,
    }


def _numbers(card: Any) -> dict[str, int]:
    values = {"total": card.total, "unassigned": card.unassigned}
    values.update({key: count for key, _label, count in card.ages})
    values.update({key: count for key, _label, count in card.sla})
    return values


def test_counts_per_queue_by_age_sla_state_and_unassigned_are_exact(desk):
    head = user_with_role("service_manager")
    idle = user_with_role("service_agent", team=desk["first_team"], first_name="Zoe")
    user_with_role("sales_manager", team=desk["first_team"])  # may not work cases: not listed
    board = board_for(head, {}, queues=list(Queue.objects.all()))
    cards = {card.key: card for card in board.cards}
    assert _numbers(cards[str(desk["first"].pk)]) == {
        "total": 6,
        "unassigned": 2,
        "age_1h": 2,
        "age_4h": 1,
        "age_24h": 1,
        "age_3d": 1,
        "age_older": 1,
        "on_track": 2,
        "warning": 1,
        "breached": 2,
        "paused": 1,
    }
    assert _numbers(cards[str(desk["second"].pk)]) == {
        "total": 2,
        "unassigned": 1,
        "age_1h": 0,
        "age_4h": 1,
        "age_24h": 0,
        "age_3d": 0,
        "age_older": 1,
        "on_track": 2,
        "warning": 0,
        "breached": 0,
        "paused": 0,
    }
    assert cards["none"].total == 1
    assert board.totals.total == 9
    assert board.totals.unassigned == 4
    # the default queue is active and shown empty to those who see all cases
    default = Queue.objects.get(is_default=True)
    assert cards[str(default.pk)].total == 0
    loads = [(a.agent.first_name, a.open, a.breached) for a in cards[str(desk["first"].pk)].agents]
    busiest = sorted([desk["olga"], desk["pavel"]], key=lambda u: u.pk)
    expected = {desk["olga"].pk: ("Olga", 2, 0), desk["pavel"].pk: ("Pavel", 2, 1)}
    # by load, ties by id; then the idle members who can take the next case
    assert loads == [expected[u.pk] for u in busiest] + [(idle.first_name, 0, 0)]
    assert [(a.agent.first_name, a.open) for a in cards[str(desk["second"].pk)].agents] == [
        ("Ivan", 1)
    ]


def test_oldest_and_most_urgent_lists(desk):
    head = user_with_role("service_manager")
    board = board_for(head, {}, queues=list(Queue.objects.all()))
    created = [case.created_at for case in board.oldest]
    assert created == sorted(created)
    assert len(board.oldest) == 9
    assert board.oldest[0].queue_id == desk["first"].pk  # 5 days old
    assert [case.resolution_due_at for case in board.urgent] == [desk["due"]]


def test_filters_narrow_every_number(desk):
    head = user_with_role("service_manager")
    queues = list(Queue.objects.all())
    by_category = board_for(head, {"category": desk["fault"].pk}, queues=queues)
    assert by_category.totals.total == 2
    by_priority = board_for(head, {"priority": "high"}, queues=queues)
    assert by_priority.totals.total == 1
    assert by_priority.oldest[0].queue_id == desk["second"].pk
    one_queue = board_for(head, {"queue": desk["second"].pk}, queues=queues)
    assert [card.key for card in one_queue.cards] == [str(desk["second"].pk)]
    assert one_queue.totals.total == 2


def test_an_agent_sees_the_numbers_of_the_cases_they_may_see_only(desk):
    """A field engineer sees own and own-team cases: the second queue only."""
    board = board_for(desk["ivan"], {}, queues=list(Queue.objects.all()))
    assert [card.key for card in board.cards] == [str(desk["second"].pk)]
    assert board.totals.total == 2
    assert {case.queue_id for case in board.oldest} == {desk["second"].pk}


def test_board_page_renders_the_numbers_and_polls_the_fragment(client: Client, desk):
    head = user_with_role("service_manager")
    client.force_login(head)
    response = client.get(reverse("service:board"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'hx-trigger="every 15s' in html
    assert reverse("service:board_live") in html
    first = re.search(rf'data-queue="{desk["first"].pk}".*?</section>', html, re.S)
    assert first is not None
    assert re.search(r'data-count="total"[^>]*>6<', first.group(0))
    assert 'data-count="breached"><b>2</b>' in first.group(0)
    live = client.get(reverse("service:board_live"), {"queue": desk["second"].pk})
    fragment = live.content.decode()
    assert "<html" not in fragment
    assert f'data-queue="{desk["second"].pk}"' in fragment
    assert f'data-queue="{desk["first"].pk}"' not in fragment


def test_bad_filter_values_are_ignored(client: Client, desk):
    head = user_with_role("service_manager")
    client.force_login(head)
    response = client.get(
        reverse("service:board_live"), {"queue": "abc", "priority": "x", "category": "999999"}
    )
    assert response.status_code == 200
    assert 'data-count="total">9<' in response.content.decode()


def test_board_is_refused_to_users_without_cases(client: Client):
    client.force_login(user_with_role("sales_manager"))
    assert client.get(reverse("service:board")).status_code == 403
    assert client.get(reverse("service:board_live")).status_code == 403
    client.logout()
    assert client.get(reverse("service:board")).status_code == 302


def test_board_runs_a_fixed_number_of_queries_whatever_the_cases(client: Client, desk):
    head = user_with_role("service_manager")
    client.force_login(head)
    # session, user, grants, unread notifications; queues, categories, grouped counts, team
    # members, agents' names, oldest ids, most urgent ids, the listed cases
    with assert_num_queries(BOARD_QUERIES):
        client.get(reverse("service:board_live"))
    more_team = Team.objects.create(name="Third team")
    third = Queue.objects.create(name="Third", team=more_team)
    for n in range(15):
        agent = user_with_role("service_agent", team=more_team)
        _case(third, timedelta(hours=n), owner=agent)
    with assert_num_queries(BOARD_QUERIES):
        response = client.get(reverse("service:board_live"))
    assert 'data-count="total">24<' in response.content.decode()


def test_board_page_runs_the_fragment_queries_and_the_menu_s_one(client: Client, desk):
    head: User = user_with_role("service_manager")
    client.force_login(head)
    client.get(reverse("service:board"))
    # + whether one administers (also asked by the menu) and holds the head of service role
    with assert_num_queries(BOARD_QUERIES + 2):
        response = client.get(reverse("service:board"))
    assert reverse("service:queue_list") in response.content.decode()
    client.force_login(desk["olga"])
    assert (
        reverse("service:queue_list") not in client.get(reverse("service:board")).content.decode()
    )


def test_card_numbers_open_the_case_list_with_the_same_cases(client: Client, desk):
    head = user_with_role("service_manager")
    client.force_login(head)
    html = client.get(
        reverse("service:board_live"), {"priority": "urgent", "category": desk["fault"].pk}
    ).content.decode()
    base = reverse("service:case_list")
    queue = desk["first"].pk
    expected = f"{base}?status=open&amp;priority=urgent&amp;category={desk['fault'].pk}"
    assert f'href="{expected}&amp;queue={queue}"' in html
    assert f'href="{expected}&amp;queue={queue}&amp;assigned=unassigned"' not in html  # 0
    listed = client.get(f"{base}?status=open&queue={queue}&assigned=unassigned").content.decode()
    unassigned = Case.objects.filter(
        queue=desk["first"], owner__isnull=True, status__in=Case.OPEN_STATUSES
    )
    assert unassigned.count() == 2
    shown = {int(pk) for pk in re.findall(r'href="/cases/(\d+)/"', listed)}
    assert shown == set(unassigned.values_list("pk", flat=True))
