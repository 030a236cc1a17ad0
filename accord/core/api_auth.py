"""API authentication: a personal token (stored hashed) or the browser session (with CSRF).

A request that carries an ``Authorization`` header is judged by the token alone: a wrong,
revoked or expired token is a 401 even if the browser also sends a session cookie. A session
request must pass Django's CSRF check for unsafe methods, so a page on another site cannot
make a signed-in user's browser write through the API.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone, translation
from ninja.security import APIKeyCookie, HttpBearer

from accord.core.models import ApiToken

# Writing last_used_at on every call would turn each read into a write; once a minute is enough.
LAST_USED_PRECISION = datetime.timedelta(seconds=60)


def _activate_preferences(user: Any) -> None:
    """What UserPreferencesMiddleware does for sessions, for token requests too."""
    import zoneinfo

    if getattr(user, "language", ""):
        translation.activate(user.language)
    try:
        timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, AttributeError):
        timezone.deactivate()


def user_for_token(secret: str) -> Any:
    """The active user behind a live token, or None (unknown, revoked, expired, inactive)."""
    if not secret:
        return None
    row = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=ApiToken.hash_secret(secret), is_active=True, user__is_active=True)
        .first()
    )
    now = timezone.now()
    if row is None or (row.expires_at is not None and row.expires_at <= now):
        return None
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user


class TokenAuth(HttpBearer):
    """``Authorization: Bearer acc_…``: a personal token from the profile page."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = user_for_token(token)
        if user is None:
            return None
        request.user = user
        _activate_preferences(user)
        return user


class SessionAuth(APIKeyCookie):
    """The signed-in browser session; unsafe methods need the CSRF token."""

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def _get_key(self, request: HttpRequest) -> str | None:
        if "authorization" in request.headers:
            return None  # a token request never falls back to the session
        key = request.COOKIES.get(self.param_name)
        if not key:
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        if not key:
            return None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_active:
            return user
        return None


def session_or_token() -> list[Any]:
    """Tries the bearer token first, then the session cookie (CSRF-checked for writes)."""
    return [TokenAuth(), SessionAuth()]
