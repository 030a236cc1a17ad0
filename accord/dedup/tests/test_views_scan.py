"""Cluster pages: scoped lists, the side-by-side detail, "Not duplicates" and "Scan now"."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accord.core.models import AuditEntry
from accord.core.testing import assert_num_queries, user_with_role
from accord.dataio.jobs import run_job
from accord.dataio.models import Job
from accord.dedup.models import DuplicateCluster
from accord.parties.tests.factories import make_company, make_contact

pytestmark = pytest.mark.django_db


def _cluster(records, object_type="contact", score=90.0, reasons=("phone", "name_translit")):
    return DuplicateCluster.objects.create(
        object_type=object_type,
        score=score,
        size=len(records),
        members=[{"id": r.pk, "score": score, "reasons": list(reasons)} for r in records],
    )


@pytest.fixture
def world():
    alice = user_with_role("sales_manager")
    bob = user_with_role("sales_manager")
    mine = [
        make_contact(owner=alice, last_name="Petrov", first_name="Oleg"),
        make_contact(owner=alice, last_name="Петров", first_name="Олег"),
    ]
    mixed = [
        make_contact(owner=alice, last_name="Martin", first_name="Anne"),
        make_contact(owner=bob, last_name="MARTIN", first_name="Anne"),
    ]
    return {
        "alice": alice,
        "bob": bob,
        "mine": _cluster(mine, score=90),
        "mixed": _cluster(mixed, score=95, reasons=("email",)),
        "records": mine + mixed,
    }


def test_administrator_sees_every_cluster_with_names_and_reasons(client, world):
    admin = user_with_role("administrator")
    client.force_login(admin)

    response = client.get(reverse("dedup:cluster_list"))

    assert response.status_code == 200
    rows = response.context["rows"]
    assert [row["cluster"] for row in rows] == [world["mixed"], world["mine"]]
    assert [m["name"] for m in rows[1]["members"]] == ["Petrov Oleg", "Петров Олег"]
    assert rows[1]["reasons"] == ["same phone", "same name in another spelling"]
    assert response.context["can_scan"] is True
    assert reverse("dedup:scan_start") in response.content.decode()


def test_manager_sees_only_clusters_of_records_they_may_all_see(client, world):
    client.force_login(world["alice"])

    response = client.get(reverse("dedup:cluster_list"))

    assert [row["cluster"] for row in response.context["rows"]] == [world["mine"]]
    assert response.context["can_scan"] is False
    assert "Petrov" in response.content.decode()
    assert "MARTIN" not in response.content.decode()


def test_cluster_list_query_budget(client, world):
    client.force_login(world["alice"])
    client.get(reverse("dedup:cluster_list"))  # warm the session

    # session, user, administrator?, grants, clusters, teams, visible member ids, names,
    # unread notifications
    with assert_num_queries(9):
        client.get(reverse("dedup:cluster_list"))


def test_cluster_list_query_budget_does_not_grow_with_clusters(client, world):
    admin = user_with_role("administrator")
    client.force_login(admin)
    client.get(reverse("dedup:cluster_list"))
    # session, user, administrator?, clusters, grants (menu), names, unread notifications
    with assert_num_queries(7) as first:
        client.get(reverse("dedup:cluster_list"))
    for _ in range(10):
        _cluster(world["records"][:2])

    with assert_num_queries(len(first.captured_queries)):
        client.get(reverse("dedup:cluster_list"))


def test_status_filter_and_type_tabs(client, world):
    admin = user_with_role("administrator")
    world["mine"].status = DuplicateCluster.Status.DISMISSED
    world["mine"].save()
    company = make_company(owner=world["alice"], name="Alpha")
    companies = _cluster([company, make_company(owner=world["alice"], name="ALPHA")], "company")
    client.force_login(admin)

    dismissed = client.get(reverse("dedup:cluster_list") + "?status=dismissed")
    of_companies = client.get(reverse("dedup:cluster_list") + "?type=company")

    assert [row["cluster"] for row in dismissed.context["rows"]] == [world["mine"]]
    assert [row["cluster"] for row in of_companies.context["rows"]] == [companies]


def test_detail_shows_members_side_by_side_with_merge_link(client, world):
    client.force_login(world["alice"])
    cluster = world["mine"]

    # session, user, cluster, administrator?, grants, teams, visible members, members with
    # owner and company, their phones and e-mails, members I may change, notifications
    with assert_num_queries(11):
        response = client.get(reverse("dedup:cluster_detail", args=[cluster.pk]))

    assert response.status_code == 200
    members = response.context["members"]
    assert [m["obj"] for m in members] == world["records"][:2]
    assert members[0]["reasons"] == ["same phone", "same name in another spelling"]
    assert response.context["rows"][0] == ("Name", ["Petrov Oleg", "Петров Олег"])
    ids = f"{world['records'][0].pk}%2C{world['records'][1].pk}"
    assert response.context["merge_url"] == f"{reverse('dedup:merge')}?type=contact&ids={ids}"
    assert response.context["can_dismiss"] is True


def test_detail_of_a_cluster_with_a_record_i_may_not_see_is_404(client, world):
    client.force_login(world["alice"])

    response = client.get(reverse("dedup:cluster_detail", args=[world["mixed"].pk]))
    missing = client.get(reverse("dedup:cluster_detail", args=[999_999]))

    assert response.status_code == 404
    assert missing.status_code == 404


def test_dismiss_marks_not_duplicates_with_audit(client, world):
    client.force_login(world["alice"])
    cluster = world["mine"]

    response = client.post(reverse("dedup:cluster_dismiss", args=[cluster.pk]))

    assert response.status_code == 302
    cluster.refresh_from_db()
    assert cluster.status == DuplicateCluster.Status.DISMISSED
    assert cluster.resolved_by == world["alice"]
    entry = AuditEntry.objects.get(object_type="dedup.duplicatecluster", object_id=cluster.pk)
    assert entry.changes["status"] == ["open", "dismissed"]


def test_dismiss_of_a_hidden_cluster_is_404_and_changes_nothing(client, world):
    client.force_login(world["alice"])
    cluster = world["mixed"]

    response = client.post(reverse("dedup:cluster_dismiss", args=[cluster.pk]))

    assert response.status_code == 404
    cluster.refresh_from_db()
    assert cluster.status == DuplicateCluster.Status.OPEN
    assert not AuditEntry.objects.filter(object_type="dedup.duplicatecluster").exists()


def test_dismiss_needs_change_on_every_member(client, world):
    viewer = user_with_role("head_of_sales")
    from accord.core.models import RoleGrant

    RoleGrant.objects.filter(role__users=viewer, object_type="contact", action="change").delete()
    client.force_login(viewer)
    cluster = world["mine"]

    page = client.get(reverse("dedup:cluster_detail", args=[cluster.pk]))
    response = client.post(reverse("dedup:cluster_dismiss", args=[cluster.pk]))

    assert page.context["can_dismiss"] is False
    assert response.status_code == 403
    cluster.refresh_from_db()
    assert cluster.status == DuplicateCluster.Status.OPEN


def test_dismiss_twice_says_so(client, world):
    client.force_login(world["alice"])
    cluster = world["mine"]
    client.post(reverse("dedup:cluster_dismiss", args=[cluster.pk]))

    response = client.post(reverse("dedup:cluster_dismiss", args=[cluster.pk]), follow=True)

    assert "This group is no longer open" in response.content.decode()


def test_scan_now_is_for_administrators(client, world, django_capture_on_commit_callbacks):
    admin = user_with_role("administrator")
    a = make_contact(
        owner=world["bob"], last_name="Roux", first_name="Léa", phones=["+33123456789"]
    )
    b = make_contact(
        owner=world["bob"], last_name="ROUX", first_name="Lea", phones=["+33 1 23 45 67 89"]
    )
    client.force_login(world["alice"])
    denied = client.post(reverse("dedup:scan_start"), {"type": "contact"})
    client.force_login(admin)

    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(reverse("dedup:scan_start"), {"type": "contact"})
    job = Job.objects.get()
    run_job(job.pk)  # what the worker does with the queued task
    job.refresh_from_db()

    assert denied.status_code == 403
    assert len(queued) == 1
    assert job.kind == Job.Kind.DUPLICATE_SCAN and job.created_by == admin
    assert job.status == Job.Status.DONE
    assert response.status_code == 302
    assert response["Location"] == reverse("dataio:job_detail", args=[job.pk])
    # the scan replaced the open clusters: the fixture's name-only pairs are too weak
    assert [
        [m["id"] for m in c.members] for c in DuplicateCluster.objects.filter(status="open")
    ] == [[a.pk, b.pk]]


def test_scan_of_an_unknown_type_is_refused(client):
    admin = user_with_role("administrator")
    client.force_login(admin)

    response = client.post(reverse("dedup:scan_start"), {"type": "deal"}, follow=True)

    assert "Choose companies or contacts." in response.content.decode()
    assert not Job.objects.exists()


def test_menu_links_duplicates_for_administrators_only(client, world):
    client.force_login(world["alice"])
    manager_page = client.get(reverse("home")).content.decode()
    client.force_login(user_with_role("administrator"))
    admin_page = client.get(reverse("home")).content.decode()

    assert reverse("dedup:cluster_list") not in manager_page
    assert reverse("dedup:cluster_list") in admin_page


def test_pages_need_sign_in(client, world):
    response = client.get(reverse("dedup:cluster_list"))

    assert response.status_code == 302


def test_a_second_scan_of_the_same_records_waits_for_the_first(client):
    admin = user_with_role("administrator")
    Job.objects.create(
        kind=Job.Kind.DUPLICATE_SCAN,
        created_by=admin,
        params={"object_type": "contact"},
        status=Job.Status.RUNNING,
    )
    client.force_login(admin)

    response = client.post(reverse("dedup:scan_start"), {"type": "contact"}, follow=True)
    other_type = client.post(reverse("dedup:scan_start"), {"type": "company"})

    assert "A scan of these records is already running." in response.content.decode()
    assert other_type.status_code == 302
    assert Job.objects.filter(params__object_type="contact").count() == 1
    assert Job.objects.filter(params__object_type="company").count() == 1
