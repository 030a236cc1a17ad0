from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from accord.activities import services
from accord.activities.models import Activity
from accord.core.models import User


def root() -> User:
    from accord.core.testing import UserFactory

    return User.objects.filter(is_superuser=True).first() or UserFactory(
        is_superuser=True, username="factory-root"
    )


def make_activity(*, owner: User, kind: str = "task", **fields: Any) -> Activity:
    """Creates through the service as an administrator, so audit and defaults are real."""
    contacts = fields.pop("contacts", ())
    participants = fields.pop("participants", ())
    fields.setdefault("subject", f"{kind} subject")
    if kind in ("task", "meeting"):
        fields.setdefault("at", timezone.now() + datetime.timedelta(hours=1))
    if kind == "note":
        fields.setdefault("body", "A note")
    if kind == "email":
        fields.setdefault("email_from", "a@example.com")
        fields.setdefault("email_to", "b@example.com")
    return services.activity_create(
        actor=root(),
        kind=kind,
        fields={"owner": owner, **fields},
        contacts=contacts,
        participants=participants,
    )
