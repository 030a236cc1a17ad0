"""Placeholder until its owner fills it in (this session)."""

from django.http import Http404, HttpRequest, HttpResponse


def company_list(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def company_export(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def contact_list(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def contact_export(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404
