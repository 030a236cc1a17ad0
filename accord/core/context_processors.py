from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from accord.core.permissions import Action, Scope, user_scope


def _may_import(user: Any) -> bool:
    """The import menu entry: the user may import at least one type the wizard offers."""
    from accord.dataio.handlers import handlers

    return any(user_scope(user, h.object_type, Action.IMPORT) > Scope.NONE for h in handlers())


def accord(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    unread = 0
    nav: dict[str, bool] = {}
    if user is not None and user.is_authenticated:
        unread = user.notifications.filter(read_at__isnull=True).count()
        # Menu entries only for record types the user may see some of (grants are cached).
        nav = {
            key: user_scope(user, key, Action.VIEW) > Scope.NONE
            for key in (
                "lead",
                "deal",
                "quote",
                "order",
                "invoice",
                "project",
                "product",
                "case",
                "service_contract",
                "work_order",
                "kb_article",
            )
        }
        nav["import"] = _may_import(user)
    return {
        "ACCORD_LANGUAGES": settings.LANGUAGES,
        "unread_notifications": unread,
        "nav": nav,
    }
