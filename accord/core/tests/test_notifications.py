import pytest
from django.urls import reverse

from accord.core.models import Notification
from accord.core.testing import user_with_role

pytestmark = pytest.mark.django_db


def test_notifications_are_listed_counted_and_marked_read_only_for_their_user(client):
    olga = user_with_role("sales_manager")
    ivan = user_with_role("sales_manager")
    Notification.objects.create(user=olga, text="Reminder: call Uralproekt", url="/")
    Notification.objects.create(user=ivan, text="Reminder: Ivan's own")
    client.force_login(olga)

    page = client.get(reverse("notifications")).content.decode()
    client.post(reverse("notifications"))

    assert "Reminder: call Uralproekt" in page and "Ivan's own" not in page
    assert '<span class="badge">1</span>' in page
    assert Notification.objects.get(user=olga).read_at is not None
    assert Notification.objects.get(user=ivan).read_at is None
