"""Template helpers of the field-service pages: the section tabs and durations."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

from accord.core.permissions import Action, Scope, user_scope

register = template.Library()


@register.inclusion_tag("fieldservice/_nav.html", takes_context=True)
def field_nav(context: Any, current: str) -> dict[str, Any]:
    user = context["request"].user
    view_scope = user_scope(user, "work_order", Action.VIEW)
    return {
        "current": current,
        "can_dispatch": view_scope >= Scope.TEAM,
        "can_keep": getattr(user, "is_administrator", False)
        or user_scope(user, "work_order", Action.DELETE) == Scope.ALL,
    }


@register.filter
def hours(seconds: Any) -> str:
    """3 h 05 min from a number of seconds."""
    total = int(seconds or 0) // 60
    h, m = divmod(total, 60)
    if h:
        return _("%(h)s h %(m)02d min") % {"h": h, "m": m}
    return _("%(m)s min") % {"m": m}
