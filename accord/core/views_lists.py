"""Placeholder until its owner fills it in (this session)."""

from django.http import Http404, HttpRequest, HttpResponse


def saved_view_save(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def saved_view_delete(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404
