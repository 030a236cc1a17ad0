"""Typing help for views behind ``login_required``: ``request.user`` is a real User."""

from __future__ import annotations

from django.http import HttpRequest

from accord.core.models import User


class AuthedHttpRequest(HttpRequest):
    user: User  # type: ignore[assignment]
