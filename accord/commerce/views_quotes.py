"""Placeholder: replaced by the helper who owns this file."""

from django.http import Http404, HttpRequest, HttpResponse


def quote_list(request: HttpRequest) -> HttpResponse:
    raise Http404


def seller_profile(request: HttpRequest) -> HttpResponse:
    raise Http404
