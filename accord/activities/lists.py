"""Placeholder until its owner fills it in (this session)."""

from django.http import Http404, HttpRequest, HttpResponse


def activity_list(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def activity_export(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404
