"""API authentication: a personal token (stored hashed) or the browser session (with CSRF)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import APIKeyCookie, HttpBearer

from accord.core.models import ApiToken


class _Bearer(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        token_hash = ApiToken.hash_secret(token)
        row = (
            ApiToken.objects.select_related("user")
            .filter(token_hash=token_hash, is_active=True, user__is_active=True)
            .first()
        )
        if row is None or (row.expires_at and row.expires_at < timezone.now()):
            return None
        if row.last_used_at is None or (timezone.now() - row.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=timezone.now())
        request.user = row.user
        return row.user


class _Session(APIKeyCookie):
    param_name = "sessionid"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return user
        return None


def session_or_token() -> list[Any]:
    """Tries the bearer token first, then the session cookie (CSRF-checked for writes)."""
    return [_Bearer(), _Session(csrf=True)]
