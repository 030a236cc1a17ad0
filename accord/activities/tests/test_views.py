import datetime
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from accord.activities.models import Activity
from accord.activities.selectors import my_day
from accord.activities.tests.factories import make_activity
from accord.core.models import Notification
from accord.core.testing import assert_num_queries, user_with_role
from accord.parties.tests.factories import make_company, make_contact

pytestmark = pytest.mark.django_db


def test_log_a_call_in_two_taps_from_the_card(client):
    manager = user_with_role("sales_manager")
    company = make_company(owner=manager)
    contact = make_contact(owner=manager, company=company, last_name="Petrov", first_name="Ivan")
    client.force_login(manager)
    url = reverse("activities:activity_create")

    form = client.get(url, {"kind": "call", "company": company.pk, "contact": contact.pk})
    assert form.status_code == 200
    assert 'name="outcome" value="no_answer"' in form.content.decode()
    response = client.post(
        url,
        {"kind": "call", "company": company.pk, "contact": contact.pk, "outcome": "no_answer"},
        follow=True,
    )

    call = Activity.objects.get()
    assert response.redirect_chain[0][0] == company.get_absolute_url()
    assert (call.kind, call.subject, call.outcome, call.direction) == (
        "call",
        "Call: Petrov Ivan",
        "no_answer",
        "out",
    )
    assert list(call.contacts.all()) == [contact]
    assert "Saved: Call: Petrov Ivan" in response.content.decode()


def test_duration_in_minutes_is_stored_in_seconds_and_next_is_honoured(client):
    manager = user_with_role("sales_manager")
    company = make_company(owner=manager)
    client.force_login(manager)

    response = client.post(
        reverse("activities:activity_create"),
        {
            "kind": "call",
            "company": company.pk,
            "duration_minutes": "7",
            "direction": "in",
            "next": "/companies/",
        },
    )

    assert response.status_code == 302 and response["Location"] == "/companies/"
    call = Activity.objects.get()
    assert (call.duration_seconds, call.direction) == (420, "in")


def test_invalid_task_shows_errors_next_to_fields_and_saves_nothing(client):
    manager = user_with_role("sales_manager")
    client.force_login(manager)

    response = client.post(reverse("activities:activity_create"), {"kind": "task"})

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_at_errors"' in html and "Enter when the task is due." in html
    assert 'id="id_subject_errors"' in html
    assert Activity.objects.count() == 0


def test_activity_on_an_invisible_company_is_404(client):
    manager = user_with_role("sales_manager")
    company = make_company(owner=user_with_role("sales_manager"))
    client.force_login(manager)

    response = client.post(
        reverse("activities:activity_create"), {"kind": "note", "company": company.pk, "body": "x"}
    )

    assert response.status_code == 404
    assert Activity.objects.count() == 0


def test_edit_with_a_stale_version_shows_a_conflict(client):
    manager = user_with_role("sales_manager")
    task = make_activity(owner=manager, subject="Prepare the offer")
    client.force_login(manager)
    url = reverse("activities:activity_edit", args=[task.pk])
    due = timezone.localtime(task.at).strftime("%Y-%m-%dT%H:%M")

    ok = client.post(url, {"subject": "Prepare the offer v2", "at": due, "version": 1})
    stale = client.post(url, {"subject": "Overwrite", "at": due, "version": 1})

    assert ok.status_code == 302
    assert stale.status_code == 200
    assert "changed by someone else" in stale.content.decode()
    task.refresh_from_db()
    assert (task.subject, task.version) == ("Prepare the offer v2", 2)


def test_complete_with_htmx_returns_the_updated_row(client):
    manager = user_with_role("sales_manager")
    task = make_activity(owner=manager)
    client.force_login(manager)

    response = client.post(
        reverse("activities:activity_complete", args=[task.pk]), HTTP_HX_REQUEST="true"
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith(f'<li id="activity-{task.pk}" class="kind-task is-done"')
    assert "activity_complete" not in html and "Done</button>" not in html
    assert Activity.objects.get(pk=task.pk).is_done is True


def test_someone_elses_task_cannot_be_completed_or_deleted_through_the_views(client):
    owner = user_with_role("sales_manager")
    task = make_activity(owner=owner)
    client.force_login(user_with_role("sales_manager"))

    assert client.post(reverse("activities:activity_complete", args=[task.pk])).status_code == 404
    assert client.post(reverse("activities:activity_delete", args=[task.pk])).status_code == 404
    assert client.get(reverse("activities:activity_detail", args=[task.pk])).status_code == 404
    task.refresh_from_db()
    assert task.is_done is False


def test_delete_after_confirmation_goes_back_to_the_company(client):
    manager = user_with_role("sales_manager")
    company = make_company(owner=manager)
    note = make_activity(owner=manager, kind="note", company=company)
    client.force_login(manager)
    url = reverse("activities:activity_delete", args=[note.pk])

    assert client.get(url).status_code == 200
    response = client.post(url)

    assert response["Location"] == company.get_absolute_url()
    assert Activity.objects.count() == 0


def test_detail_page_shows_the_facts(client):
    manager = user_with_role("sales_manager")
    company = make_company(owner=manager, name="Giprogaz")
    call = make_activity(
        owner=manager, kind="call", company=company, duration_seconds=600, outcome="callback"
    )
    client.force_login(manager)

    html = client.get(call.get_absolute_url()).content.decode()

    assert "Giprogaz" in html and "10 minutes" in html and "Asked to call back" in html


def test_my_day_uses_the_users_time_zone():
    # 23:30 in Vladivostok on the 10th is 13:30 UTC: "today" there is the 10th.
    now = datetime.datetime(2026, 3, 10, 13, 30, tzinfo=datetime.UTC)
    manager = user_with_role("sales_manager", time_zone="Asia/Vladivostok")
    guest = user_with_role("sales_manager")
    vladivostok = zoneinfo.ZoneInfo("Asia/Vladivostok")
    today_task = make_activity(
        owner=manager, at=datetime.datetime(2026, 3, 10, 9, 0, tzinfo=vladivostok)
    )
    make_activity(owner=manager, at=datetime.datetime(2026, 3, 11, 0, 30, tzinfo=vladivostok))
    overdue = make_activity(owner=manager, at=datetime.datetime(2026, 3, 9, 18, tzinfo=vladivostok))
    done_overdue = make_activity(
        owner=manager, at=datetime.datetime(2026, 3, 8, tzinfo=vladivostok)
    )
    Activity.objects.filter(pk=done_overdue.pk).update(is_done=True)
    meeting = make_activity(
        owner=guest,
        kind="meeting",
        at=datetime.datetime(2026, 3, 10, 15, 0, tzinfo=vladivostok),
        participants=[manager],
    )
    next_week = make_activity(
        owner=manager, kind="meeting", at=datetime.datetime(2026, 3, 16, 10, tzinfo=vladivostok)
    )
    make_activity(owner=manager, at=datetime.datetime(2026, 3, 25, tzinfo=vladivostok))
    Notification.objects.create(user=manager, text="Reminder: x", dedupe_key="reminder:1")

    day = my_day(manager, now)

    assert [a.pk for a in day["tasks"]] == [today_task.pk]
    assert [a.pk for a in day["overdue"]] == [overdue.pk]
    assert [a.pk for a in day["meetings"]] == [meeting.pk]
    assert [a.pk for a in day["upcoming"]][-1] == next_week.pk
    assert len(day["upcoming"]) == 2  # the task of the 11th and the meeting of the 16th
    assert [n.text for n in day["reminders"]] == ["Reminder: x"]


def test_home_page_shows_my_day_with_a_fixed_number_of_queries(client):
    manager = user_with_role("sales_manager")
    company = make_company(owner=manager, name="Mosinzhproekt")
    now = timezone.now()
    make_activity(owner=manager, subject="Overdue thing", at=now - datetime.timedelta(days=2))
    for hour in range(3):
        make_activity(
            owner=manager,
            kind="meeting",
            subject=f"Meeting {hour}",
            company=company,
            at=now + datetime.timedelta(days=2, hours=hour),
        )
    client.force_login(manager)
    client.get(reverse("home"))

    # session, user, overdue (+ contacts), today's meetings, today's tasks, next 7 days
    # (+ contacts), reminders, unread count, administrator menu check. Empty sections skip
    # their contacts prefetch.
    # + the user's teams, to hide clients they may not see.
    with assert_num_queries(12):
        response = client.get(reverse("home"))

    html = response.content.decode()
    assert "Overdue thing" in html and 'class="pill overdue"' in html
    assert "Meeting 2" in html and "Mosinzhproekt" in html
    assert "Log a call" in html and "New task" in html


def test_my_day_does_not_name_a_client_the_user_may_not_see(client):
    from django.utils import timezone

    from accord.activities import services as activity_services

    host = user_with_role("sales_manager")
    guest = user_with_role("sales_manager")
    secret = make_company(owner=host, name="Secret Client Ltd")
    person = make_contact(owner=host, company=secret, last_name="Hiddenname")
    activity_services.activity_create(
        actor=host,
        kind="meeting",
        fields={
            "subject": "Design review",
            "company": secret,
            "at": timezone.now() + timezone.timedelta(hours=1),
        },
        contacts=[person],
        participants=[guest],
    )
    client.force_login(guest)

    page = client.get("/").content.decode()

    assert "Design review" in page
    assert "Secret Client Ltd" not in page and "Hiddenname" not in page


def test_my_day_shows_ten_overdue_tasks_and_a_link_to_the_rest(client):
    manager = user_with_role("sales_manager")
    for index in range(12):
        make_activity(
            owner=manager,
            kind="task",
            subject=f"Late {index:02d}",
            at=timezone.now() - datetime.timedelta(days=20 - index),
        )
    client.force_login(manager)

    page = client.get(reverse("home")).content.decode()

    assert page.count("Late ") == 10 and "Late 00" in page and "Late 11" not in page
    assert f"status=open&amp;owner={manager.pk}" in page


def test_home_page_differs_by_role(client):
    head = user_with_role("head_of_sales")
    manager = user_with_role("sales_manager", first_name="Olga", last_name="Smirnova")
    admin = user_with_role("administrator")
    make_activity(
        owner=manager, kind="call", subject="Call 1", at=timezone.now() - datetime.timedelta(days=1)
    )
    make_activity(
        owner=manager, kind="call", subject="Call 2", at=timezone.now() - datetime.timedelta(days=2)
    )
    make_activity(
        owner=manager,
        kind="call",
        subject="Old call",
        at=timezone.now() - datetime.timedelta(days=30),
    )

    client.force_login(head)
    head_page = client.get(reverse("home"))
    client.force_login(manager)
    manager_page = client.get(reverse("home"))
    client.force_login(admin)
    admin_page = client.get(reverse("home")).content.decode()

    rows = head_page.context["team"]
    assert [(r.owner, r.calls) for r in rows] == [("Olga Smirnova", 2)]
    assert (
        manager_page.context["team"] is None
        and "Team activity" not in manager_page.content.decode()
    )
    assert "Latest changes" in admin_page and "Latest changes" not in head_page.content.decode()
