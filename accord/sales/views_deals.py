"""Placeholder: replaced by the helper who owns this file."""

from django.http import Http404, HttpRequest, HttpResponse


def deal_board(request: HttpRequest) -> HttpResponse:
    raise Http404


def pipeline_admin(request: HttpRequest) -> HttpResponse:
    raise Http404
