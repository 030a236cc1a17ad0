"""Writes to platform records (users, teams, roles, custom fields, picklists)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from accord.core import audit
from accord.core.models import AuditEntry, User

PREFERENCE_FIELDS = ("first_name", "last_name", "email", "phone", "language", "time_zone")


@transaction.atomic
def user_update_preferences(*, actor: User, user: User, data: dict[str, Any]) -> User:
    """A user edits their own name, contact details, language and time zone."""
    if actor.pk != user.pk and not actor.is_administrator:
        raise PermissionDenied(_("You may only change your own preferences."))
    before = audit.snapshot(user, PREFERENCE_FIELDS)
    for name in PREFERENCE_FIELDS:
        if name in data:
            setattr(user, name, data[name])
    user.full_clean(exclude=["password", "username"])
    user.save(update_fields=[f for f in PREFERENCE_FIELDS if f in data])
    changes = audit.diff(before, audit.snapshot(user, PREFERENCE_FIELDS))
    if changes:
        audit.record(actor=actor, action=AuditEntry.Kind.CHANGE, obj=user, changes=changes)
    return user


@transaction.atomic
def administrator_ensure(*, username: str, email: str, password: str) -> User:
    """First-run path (O3): create or promote an administrator from the command line."""
    from accord.core.models import Role

    user, created = User.objects.get_or_create(username=username, defaults={"email": email})
    user.set_password(password)
    if email:
        user.email = email
    user.is_active = True
    user.save()
    user.roles.add(Role.objects.get(code="administrator"))
    audit.record(
        actor=None,
        action=AuditEntry.Kind.CREATE if created else AuditEntry.Kind.CHANGE,
        obj=user,
        changes={"roles": [None, ["administrator"]]},
        message="createadmin",
    )
    return user
