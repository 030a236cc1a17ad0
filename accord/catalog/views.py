"""Placeholder: replaced by the helper who owns this file."""

from django.http import Http404, HttpRequest, HttpResponse


def product_list(request: HttpRequest) -> HttpResponse:
    raise Http404


def tax_rates(request: HttpRequest) -> HttpResponse:
    raise Http404


def price_lists(request: HttpRequest) -> HttpResponse:
    raise Http404
