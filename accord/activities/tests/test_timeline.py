import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accord.activities.selectors import timeline_for_company, timeline_for_contact
from accord.activities.tests.factories import make_activity
from accord.core.models import AuditEntry
from accord.core.testing import TeamFactory, assert_num_queries, user_with_role
from accord.parties import services as party_services
from accord.parties.tests.factories import make_company, make_contact

pytestmark = pytest.mark.django_db


def _hours_ago(now, hours):
    return now - datetime.timedelta(hours=hours)


@pytest.fixture
def card():
    """A company with three activities and three recorded changes, interleaved in time."""
    now = timezone.now()
    team = TeamFactory(name="Yekaterinburg")
    manager = user_with_role("sales_manager", team=team)
    company = make_company(owner=manager, name="Uralgiprotrans", team=team)
    AuditEntry.objects.filter(object_type="company", object_id=company.pk).update(
        timestamp=_hours_ago(now, 6)
    )
    contact = make_contact(owner=manager, company=company, last_name="Smirnova")
    AuditEntry.objects.filter(object_type="contact", object_id=contact.pk).update(
        timestamp=_hours_ago(now, 4)
    )
    company = party_services.company_update(
        actor=manager, company=company, fields={"name": "Uralgiprotrans JSC"}
    )
    AuditEntry.objects.filter(object_type="company", action="change").update(
        timestamp=_hours_ago(now, 2)
    )
    call = make_activity(
        owner=manager,
        kind="call",
        company=company,
        at=_hours_ago(now, 1),
        outcome="reached",
        contacts=[contact],
    )
    note = make_activity(owner=manager, kind="note", company=company, at=_hours_ago(now, 3))
    task = make_activity(owner=manager, company=company, at=_hours_ago(now, 5))
    return {
        "now": now,
        "manager": manager,
        "company": company,
        "contact": contact,
        "call": call,
        "note": note,
        "task": task,
    }


def _describe(page):
    return [
        (item.kind, item.activity.pk if item.activity else item.entry.action) for item in page.items
    ]


def test_timeline_merges_activities_and_changes_newest_first_with_paging(card):
    manager, company = card["manager"], card["company"]

    first = timeline_for_company(manager, company, limit=3)
    second = timeline_for_company(manager, company, before=first.next_cursor, limit=3)

    assert _describe(first) == [
        ("call", card["call"].pk),
        ("change", "change"),
        ("note", card["note"].pk),
    ]
    assert (first.next_cursor.at, first.next_cursor.pk) == (card["note"].at, card["note"].pk)
    assert first.items[1].changes[0].label == "name"
    assert (first.items[1].changes[0].old, first.items[1].changes[0].new) == (
        "Uralgiprotrans",
        "Uralgiprotrans JSC",
    )
    assert _describe(second) == [
        ("change", "create"),  # the contact, related to the company
        ("task", card["task"].pk),
        ("change", "create"),  # the company itself
    ]
    assert second.items[0].entry.object_type == "contact"
    assert second.next_cursor is None


def test_timeline_costs_a_fixed_number_of_queries_whatever_the_page_size(card):
    manager, company = card["manager"], card["company"]
    timeline_for_company(manager, company)  # warms the per-user permission cache
    # activities, their contacts, changes, then the change descriptions: related contacts
    # (existing, visible) and the names of the user and team they mention.

    with assert_num_queries(7):
        small = timeline_for_company(manager, company)
    for hour in range(10):
        make_activity(
            owner=manager,
            kind="call",
            company=company,
            at=_hours_ago(card["now"], 7 + hour),
            contacts=[card["contact"]],
        )
    with assert_num_queries(7):
        large = timeline_for_company(manager, company)

    assert len(small.items) == 6
    assert len(large.items) == 16


def test_timeline_hides_activities_the_user_may_not_see():
    owner = user_with_role("sales_manager")
    boss = user_with_role("head_of_sales")
    company = make_company(owner=boss)
    mine = make_activity(owner=owner, kind="call", company=company, at=timezone.now())
    make_activity(owner=boss, kind="call", company=company, at=timezone.now())

    page = timeline_for_company(owner, company)

    assert [item.activity.pk for item in page.items if item.activity] == [mine.pk]


def test_contact_timeline_shows_its_activities_and_changes(card):
    page = timeline_for_contact(card["manager"], card["contact"])

    assert _describe(page) == [("call", card["call"].pk), ("change", "create")]


def test_timeline_partial_renders_kinds_and_a_show_more_button(client, card):
    client.force_login(card["manager"])
    url = reverse("activities:company_timeline", args=[card["company"].pk])

    html = client.get(url).content.decode()

    assert html.startswith('<ul class="timeline"')
    for css in ("kind-call", "kind-note", "kind-task", "kind-change"):
        assert f'class="{css}' in html
    assert "Talked" in html
    assert "Uralgiprotrans → Uralgiprotrans JSC" in html
    assert "Show more" not in html

    more = client.get(url, {"before": card["note"].at.isoformat()}).content.decode()
    assert "kind-task" in more and "kind-call" not in more and "<ul" not in more


def test_timeline_of_an_invisible_company_is_404(client, card):
    outsider = user_with_role("sales_manager")
    client.force_login(outsider)

    response = client.get(reverse("activities:company_timeline", args=[card["company"].pk]))

    assert response.status_code == 404


def test_items_sharing_a_timestamp_across_a_page_boundary_are_all_shown_once(card):
    from accord.activities.models import Activity

    manager, company = card["manager"], card["company"]
    same_time = card["call"].at + datetime.timedelta(days=1)
    for index in range(5):
        make_activity(
            owner=manager, company=company, kind="note", subject=f"Same {index}", at=same_time
        )
    seen: list[int] = []
    cursor = None
    while True:
        page = timeline_for_company(manager, company, before=cursor, limit=2)
        seen += [item.activity.pk for item in page.items if item.activity]
        cursor = page.next_cursor
        if cursor is None:
            break

    expected = list(Activity.objects.filter(company=company).values_list("pk", flat=True))
    assert sorted(seen) == sorted(expected) and len(seen) == len(set(seen))
