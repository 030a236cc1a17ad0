"""Placeholder until its owner fills it in (this session)."""

from django.http import Http404, HttpRequest, HttpResponse


def admin_home(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404
