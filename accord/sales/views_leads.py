"""Placeholder: replaced by the helper who owns this file."""

from django.http import Http404, HttpRequest, HttpResponse


def lead_list(request: HttpRequest) -> HttpResponse:
    raise Http404


def assignment_rules(request: HttpRequest) -> HttpResponse:
    raise Http404
