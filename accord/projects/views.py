"""Placeholder: replaced by the helper who owns this file."""

from django.http import Http404, HttpRequest, HttpResponse


def project_list(request: HttpRequest) -> HttpResponse:
    raise Http404


def template_admin(request: HttpRequest) -> HttpResponse:
    raise Http404
