"""Placeholder: replaced by the helper who owns this file."""

from django.http import Http404, HttpRequest, HttpResponse


def order_list(request: HttpRequest) -> HttpResponse:
    raise Http404


def invoice_list(request: HttpRequest) -> HttpResponse:
    raise Http404
