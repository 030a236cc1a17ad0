import datetime

import pytest
from django.utils import timezone

from accord.activities.models import Activity
from accord.activities.services import reminders_send_due
from accord.activities.tasks import send_due_reminders
from accord.activities.tests.factories import make_activity
from accord.core.models import Notification
from accord.core.testing import user_with_role

pytestmark = pytest.mark.django_db


def test_due_reminders_notify_owner_and_participants_once():
    now = timezone.now()
    owner = user_with_role("sales_manager", time_zone="UTC")
    guest = user_with_role("sales_manager")
    start = now + datetime.timedelta(minutes=10)
    meeting = make_activity(
        owner=owner,
        kind="meeting",
        subject="Design review",
        at=start,
        remind_at=now - datetime.timedelta(minutes=1),
        participants=[guest],
    )
    task = make_activity(owner=owner, subject="Call back", remind_at=now)
    later = make_activity(owner=owner, remind_at=now + datetime.timedelta(hours=1))

    created = reminders_send_due(now)

    assert created == 3
    rows = Notification.objects.order_by("user_id", "dedupe_key")
    assert sorted((n.user_id, n.dedupe_key) for n in rows) == sorted(
        [
            (owner.pk, f"reminder:{meeting.pk}"),
            (guest.pk, f"reminder:{meeting.pk}"),
            (owner.pk, f"reminder:{task.pk}"),
        ]
    )
    owner_note = Notification.objects.get(user=owner, dedupe_key=f"reminder:{meeting.pk}")
    assert owner_note.text.startswith("Reminder: Design review at ")
    assert owner_note.url == f"/activities/{meeting.pk}/"
    assert Activity.objects.get(pk=meeting.pk).reminded_at == now
    assert Activity.objects.get(pk=later.pk).reminded_at is None

    assert reminders_send_due(now + datetime.timedelta(seconds=30)) == 0
    assert Notification.objects.count() == 3


def test_a_retry_after_a_lost_claim_does_not_duplicate():
    now = timezone.now()
    owner = user_with_role("sales_manager")
    task = make_activity(owner=owner, remind_at=now)
    reminders_send_due(now)
    # A crashed worker's half-done run is re-armed by hand: the dedupe key still protects.
    Activity.objects.filter(pk=task.pk).update(reminded_at=None)

    assert reminders_send_due(now) == 0
    assert Notification.objects.filter(user=owner).count() == 1


def test_periodic_job_calls_the_service():
    owner = user_with_role("sales_manager")
    make_activity(owner=owner, remind_at=timezone.now() - datetime.timedelta(minutes=1))

    send_due_reminders.call_local()

    assert Notification.objects.filter(user=owner).count() == 1
