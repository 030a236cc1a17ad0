"""Request-scoped context: request id and audit source; the user's language and time zone."""

from __future__ import annotations

import uuid
import zoneinfo
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from accord.core.audit import audit_context
from accord.core.models import AuditEntry


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request.headers.get("X-Request-ID", "")[:36] or str(uuid.uuid4())
        source = AuditEntry.Source.API if request.path.startswith("/api/") else AuditEntry.Source.UI
        with audit_context(source=source, request_id=request_id):
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


class UserPreferencesMiddleware:
    """Activate the signed-in user's own language (unless they just switched) and time zone."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
            if user.language and not request.path.startswith("/i18n/"):
                translation.activate(user.language)
                request.LANGUAGE_CODE = user.language
        response = self.get_response(request)
        timezone.deactivate()
        return response
