import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accord.activities.models import Activity
from accord.core.testing import TeamFactory, assert_num_queries, user_with_role
from accord.parties.tests.factories import make_company

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(datetime.datetime(2026, 3, 10, 12, 0))


def _activity(owner, subject, *, days=0, **fields):
    # Test data only: rows are inserted directly, the list under test only reads them.
    fields.setdefault("kind", Activity.Kind.CALL)
    return Activity.objects.create(
        owner=owner, subject=subject, at=NOW + datetime.timedelta(days=days), **fields
    )


def _subjects(response):
    return [row.obj.subject for row in response.context["rows"]]


def test_activity_list_is_scoped_newest_first_and_filtered(client):
    team = TeamFactory()
    manager = user_with_role("sales_manager", team=team)
    other = user_with_role("sales_manager")
    acme = make_company(owner=manager, name="Acme")
    _activity(manager, "Old call", days=-5, company=acme)
    _activity(manager, "Task open", days=1, kind=Activity.Kind.TASK)
    _activity(manager, "Task done", days=2, kind=Activity.Kind.TASK, is_done=True)
    _activity(other, "Hidden", days=0)
    client.force_login(manager)
    url = reverse("activities:activity_list")

    assert _subjects(client.get(url)) == ["Task done", "Task open", "Old call"]
    assert _subjects(client.get(url, {"kind": "task", "status": "open"})) == ["Task open"]
    assert _subjects(client.get(url, {"status": "done"})) == ["Task done"]
    assert _subjects(client.get(url, {"company": "acm"})) == ["Old call"]
    assert _subjects(client.get(url, {"company": str(acme.pk)})) == ["Old call"]
    assert _subjects(client.get(url, {"at_from": "2026-03-11", "at_to": "2026-03-11"})) == [
        "Task open"
    ]
    assert _subjects(client.get(url, {"sort": "subject"})) == ["Old call", "Task done", "Task open"]
    html = client.get(url).content.decode()
    assert "Hidden" not in html
    assert '<option value="-at" selected>' in html  # "Apply" keeps the newest-first order


@pytest.mark.parametrize("rows", [3, 30])
def test_activity_list_query_count_does_not_grow_with_rows(client, rows):
    boss = user_with_role("head_of_sales")
    company = make_company(owner=boss, name="Acme")
    for index in range(rows):
        _activity(boss, f"Call {index}", days=index, company=company)
    client.force_login(boss)
    url = reverse("activities:activity_list")
    client.get(url)

    with assert_num_queries(9):
        response = client.get(url)

    assert len(response.context["rows"]) == rows


def test_activity_export_streams_visible_rows_and_needs_export_action(client):
    manager = user_with_role("sales_manager")
    agent = user_with_role("service_agent")
    _activity(manager, "=cmd|calc", kind=Activity.Kind.NOTE)
    client.force_login(manager)

    response = client.get(reverse("activities:activity_export"))

    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeffDate,Type,Subject")
    assert "'=cmd|calc" in body
    client.force_login(agent)
    assert client.get(reverse("activities:activity_export")).status_code == 403


def test_shared_activity_does_not_reveal_a_company_the_user_may_not_see(client):
    team = TeamFactory()
    manager = user_with_role("sales_manager", team=team)
    other = user_with_role("sales_manager")
    secret = make_company(owner=other, name="Secret Holding")
    _activity(other, "Shared call", company=secret, team=team)
    client.force_login(manager)

    response = client.get(reverse("activities:activity_list"))

    assert _subjects(response) == ["Shared call"]
    assert "Secret Holding" not in response.content.decode()
