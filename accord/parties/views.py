from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from accord.parties.selectors import (
    get_company_for,
    get_contact_for,
)


@login_required
def company_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(
        request, "parties/company_detail.html", {"company": get_company_for(request.user, pk)}
    )


@login_required
def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(
        request, "parties/contact_detail.html", {"contact": get_contact_for(request.user, pk)}
    )


def company_create(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def company_duplicates(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def company_edit(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def company_delete(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def company_history(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def contact_create(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def contact_duplicates(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def contact_edit(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def contact_delete(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def contact_history(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404
