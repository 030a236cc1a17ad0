"""Placeholder until its owner fills it in (this session)."""

from django.http import Http404, HttpRequest, HttpResponse


def token_list(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def token_revoke(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404
