"""Writes to platform records (users, teams, roles, custom fields, picklists)."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accord.core import audit
from accord.core.models import ApiToken, AuditEntry, User

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


@transaction.atomic
def api_token_create(
    *, actor: User, name: str, expires_at: datetime.datetime | None = None
) -> tuple[ApiToken, str]:
    """Issue a personal API token (I3) for scripts and integrations acting as the user.

    Returns the row and the secret; the secret is shown once and only its hash is stored,
    so a copy of the database does not hand out access. The audit entry never holds it."""
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("Give the token a name, e.g. the script that will use it.")]
    elif len(name) > 80:
        errors["name"] = [_("At most 80 characters.")]
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = [_("The expiry date must be in the future.")]
    if errors:
        raise ValidationError(errors)
    secret = ApiToken.new_secret()
    token = ApiToken.objects.create(
        user=actor,
        name=name,
        prefix=secret[:12],
        token_hash=ApiToken.hash_secret(secret),
        expires_at=expires_at,
    )
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.CREATE,
        obj=token,
        changes={
            "name": [None, name],
            "prefix": [None, token.prefix],
            "expires_at": [None, expires_at.isoformat() if expires_at else None],
        },
    )
    return token, secret


@transaction.atomic
def api_token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    """Switch a token off for good; the row stays so the audit trail still names it.
    Users revoke their own tokens, administrators anyone's."""
    if token.user_id != actor.pk and not actor.is_administrator:
        raise PermissionDenied(_("You may only revoke your own tokens."))
    if not token.is_active:
        return token
    ApiToken.objects.filter(pk=token.pk).update(is_active=False)
    token.is_active = False
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.CHANGE,
        obj=token,
        changes={"is_active": [True, False]},
        message="revoked",
    )
    return token
