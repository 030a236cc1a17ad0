from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def activity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "activities/activity_detail.html", {})


def activity_create(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def activity_edit(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def activity_complete(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def activity_delete(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def company_timeline(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def contact_timeline(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def company_documents(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def contact_documents(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def document_upload(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def document_download(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def document_delete(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404
