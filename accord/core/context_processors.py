from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def accord(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    unread = 0
    if user is not None and user.is_authenticated:
        unread = user.notifications.filter(read_at__isnull=True).count()
    return {
        "ACCORD_LANGUAGES": settings.LANGUAGES,
        "unread_notifications": unread,
    }
