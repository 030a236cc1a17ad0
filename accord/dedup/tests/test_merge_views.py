"""The merge screen, the merge record with its undo button, the list, the entry points."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accord.activities.tests.factories import make_activity
from accord.core.testing import user_with_role
from accord.dedup.models import DuplicateCluster, Merge
from accord.parties.models import Company, Contact
from accord.parties.tests.factories import make_company, make_contact
from accord.projects.tests.factories import make_deal

pytestmark = pytest.mark.django_db


def _url(object_type: str, *records) -> str:
    ids = ",".join(str(r.pk) for r in records)
    return f"{reverse('dedup:merge')}?type={object_type}&ids={ids}"


def _post(client, object_type, records, **data):
    body = {
        "type": object_type,
        "ids": ",".join(str(r.pk) for r in records),
        **{f"version_{r.pk}": r.version for r in records},
        **data,
    }
    return client.post(reverse("dedup:merge"), body)


def test_screen_shows_differences_counts_and_defaults_to_the_busiest_record(client):
    head = user_with_role("head_of_sales")
    a = make_company(owner=head, name="Acme", website="https://acme.fr")
    b = make_company(owner=head, name="ACME SARL", phones=["+33123456789"])
    for _i in range(2):
        make_activity(owner=head, kind="note", company=b)
    make_deal(owner=head, company=b)
    make_contact(owner=head, company=b)
    client.force_login(head)

    response = client.get(_url("company", a, b))

    assert response.status_code == 200
    html = response.content.decode()
    assert f'name="survivor" value="{b.pk}" checked' in html
    assert f'name="f_name" value="{b.pk}" checked' in html
    assert f'name="f_website" value="{a.pk}" checked' in html
    assert 'name="f_inn"' not in html  # equal (empty) values are collapsed
    assert "activities: 2 · contacts: 1 · deals: 1" in html
    assert "+33 1 23 45 67 89" in html


def test_confirm_then_merge_redirects_to_the_survivor_with_an_undo_link(client):
    head = user_with_role("head_of_sales")
    a = make_company(owner=head, name="Acme")
    b = make_company(owner=head, name="ACME SARL")
    make_activity(owner=head, kind="note", company=b)
    cluster = DuplicateCluster.objects.create(
        object_type="company", score=95, members=[{"id": a.pk}, {"id": b.pk}]
    )
    client.force_login(head)

    confirm = _post(client, "company", [a, b], survivor=a.pk, f_name=b.pk, step="confirm")
    assert confirm.status_code == 200
    assert "Confirm the merge" in confirm.content.decode()
    assert Company.objects.count() == 2

    done = _post(client, "company", [a, b], survivor=a.pk, f_name=b.pk, step="merge")

    assert done.status_code == 302 and done["Location"] == a.get_absolute_url()
    merge = Merge.objects.get()
    assert Company.objects.get().name == "ACME SARL"
    cluster.refresh_from_db()
    assert cluster.status == "merged"
    page = client.get(done["Location"]).content.decode()
    assert reverse("dedup:merge_detail", args=[merge.pk]) in page
    assert "See the merge or undo it" in page

    history = client.get(reverse("parties:company_history", args=[a.pk]))
    assert history.status_code == 200
    assert f"into this record (merge #{merge.pk})" in history.content.decode()
    detail = client.get(reverse("dedup:merge_detail", args=[merge.pk])).content.decode()
    assert "Undo this merge" in detail and "activities: 1" in detail
    undone = client.post(reverse("dedup:merge_undo", args=[merge.pk]))
    assert undone.status_code == 302
    assert Company.objects.count() == 2
    again = client.post(reverse("dedup:merge_undo", args=[merge.pk]), follow=True)
    assert "This merge has already been undone." in again.content.decode()


def test_errors_are_shown_per_field_and_nothing_changes(client):
    head = user_with_role("head_of_sales")
    a = make_company(owner=head, name="Acme")
    b = make_company(owner=head, name="Acme 2")
    client.force_login(head)

    response = _post(client, "company", [a, b], survivor=a.pk, f_name=99999, step="merge")

    assert response.status_code == 422
    html = response.content.decode()
    assert "Pick one of the records being merged." in html
    assert Company.objects.count() == 2 and not Merge.objects.exists()


def test_stale_version_is_refused(client):
    head = user_with_role("head_of_sales")
    a = make_company(owner=head, name="Acme")
    b = make_company(owner=head, name="Acme 2")
    client.force_login(head)
    a.version = 5

    response = _post(client, "company", [a, b], survivor=a.pk, step="merge")

    assert response.status_code == 409
    assert Company.objects.count() == 2


def test_invisible_records_are_404_and_denied_merge_is_403():
    from django.test import Client

    manager = user_with_role("sales_manager")
    stranger = user_with_role("sales_manager")
    viewer = user_with_role("service_agent")
    mine = make_company(owner=manager)
    theirs = make_company(owner=stranger)
    client = Client()
    client.force_login(manager)

    assert client.get(_url("company", mine, theirs)).status_code == 404
    assert _post(client, "company", [mine, theirs], step="merge").status_code == 404
    client.force_login(viewer)  # sees every company, may delete none
    denied = _post(client, "company", [mine, theirs], survivor=mine.pk, step="merge")
    assert denied.status_code == 403
    assert Company.objects.count() == 2


def test_merge_detail_and_list_are_private(client):
    head = user_with_role("head_of_sales")
    a = make_company(owner=head)
    b = make_company(owner=head)
    _post_client = client
    _post_client.force_login(head)
    _post(client, "company", [a, b], survivor=a.pk, step="merge")
    merge = Merge.objects.get()

    listing = client.get(reverse("dedup:merge_list")).content.decode()
    assert reverse("dedup:merge_detail", args=[merge.pk]) in listing

    manager = user_with_role("sales_manager")
    client.force_login(manager)
    assert client.get(reverse("dedup:merge_detail", args=[merge.pk])).status_code == 404
    assert client.post(reverse("dedup:merge_undo", args=[merge.pk])).status_code == 404
    assert f"#{merge.pk}" not in client.get(reverse("dedup:merge_list")).content.decode()


def test_contacts_merge_through_the_screen(client):
    head = user_with_role("head_of_sales")
    one = make_contact(owner=head, last_name="Ivanov", emails=["i@x.ru"])
    two = make_contact(owner=head, last_name="Ivanoff", emails=["ivan@y.ru"])
    client.force_login(head)

    make_activity(owner=head, kind="call", contacts=[two])
    screen = client.get(_url("contact", one, two))
    assert screen.status_code == 200
    assert "activities: 1" in screen.content.decode()
    done = _post(client, "contact", [one, two], survivor=one.pk, f_last_name=two.pk, step="merge")

    assert done.status_code == 302
    assert Contact.objects.get().last_name == "Ivanoff"
    detail = client.get(reverse("dedup:merge_detail", args=[Merge.objects.get().pk]))
    assert "activities: 1" in detail.content.decode()


def test_entry_points_on_company_and_contact_pages_and_the_picker(client):
    head = user_with_role("head_of_sales")
    a = make_company(owner=head, name="Acme")
    b = make_company(owner=head, name="Acme bis")
    person = make_contact(owner=head)
    client.force_login(head)

    card = client.get(a.get_absolute_url()).content.decode()
    assert f"{reverse('dedup:merge')}?company={a.pk}" in card
    contact_page = client.get(person.get_absolute_url()).content.decode()
    assert f"{reverse('dedup:merge')}?contact={person.pk}" in contact_page

    picker = client.get(f"{reverse('dedup:merge')}?company={a.pk}&q=acme").content.decode()
    assert f'value="{b.pk}"' in picker and "Acme bis" in picker

    manager = user_with_role("sales_manager")
    client.force_login(manager)
    assert client.get(f"{reverse('dedup:merge')}?company={a.pk}").status_code == 404


def test_merge_screen_query_count_does_not_grow_with_related_rows(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    head = user_with_role("head_of_sales")
    client.force_login(head)

    def run(n: int) -> int:
        a = make_company(owner=head, name="Acme")
        b = make_company(owner=head, name="Acme 2", phones=["+33123456789"])
        for _i in range(n):
            make_activity(owner=head, kind="note", company=b)
            make_deal(owner=head, company=b)
        with CaptureQueriesContext(connection) as context:
            assert client.get(_url("company", a, b)).status_code == 200
        return len(context.captured_queries)

    run(1)
    assert run(1) == run(10)


@pytest.fixture
def _seeded(transactional_db):
    """Transactional tests flush the tables between tests, data-migration rows included."""
    from django.apps import apps

    from accord.core.seed import seed_picklists, seed_roles
    from accord.sales.seed import seed_pipeline

    seed_roles(apps)
    seed_picklists(apps)
    seed_pipeline(apps)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_merge_on_a_phone_from_the_card_to_undo(chromium, live_server, _seeded):
    head = user_with_role("head_of_sales", username="olga")
    head.set_password("pass-Word-123")
    head.save()
    a = make_company(owner=head, name="Acme", website="https://acme.fr")
    b = make_company(owner=head, name="Acme SARL", phones=["+33123456789"])
    make_activity(owner=head, kind="note", company=b)
    context = chromium.new_context(viewport={"width": 375, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", "olga")
        page.fill("#id_password", "pass-Word-123")
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")

        page.goto(f"{live_server.url}{a.get_absolute_url()}")
        page.click("text=Merge with…")
        page.fill("#merge-q", "acme")
        page.click("button:has-text('Search')")
        page.check(f"input.merge-other[value='{b.pk}']")
        page.click("button:has-text('Continue')")
        page.check(f"input[name=survivor][value='{a.pk}']")
        page.check(f"input[name=f_name][value='{b.pk}']")
        page.click("button:has-text('Review the merge')")
        page.click("button:has-text('Merge')")
        page.wait_for_url(f"{live_server.url}{a.get_absolute_url()}")
        assert page.locator("h1").inner_text() == "Acme SARL"
        page.click("text=See the merge or undo it")
        page.click("button:has-text('Undo this merge')")
        page.wait_for_url(f"{live_server.url}{a.get_absolute_url()}")
        assert page.locator("h1").inner_text() == "Acme"
    finally:
        context.close()
    assert Company.objects.count() == 2


def test_screen_warns_about_records_the_user_may_not_delete(client):
    manager = user_with_role("sales_manager")
    mine = make_company(owner=manager, name="Mine")
    theirs = make_company(owner=manager, name="Theirs")
    other = user_with_role("sales_manager")
    Company.objects.filter(pk=theirs.pk).update(owner=other)
    agent = user_with_role("service_agent")
    client.force_login(agent)  # sees both, may delete neither

    html = client.get(_url("company", mine, theirs)).content.decode()

    assert "You may not delete some of these records" in html
    assert 'value="confirm" disabled' in html
