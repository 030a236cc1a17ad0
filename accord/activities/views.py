from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def activity_list(request: HttpRequest) -> HttpResponse:
    return render(request, "activities/activity_list.html", {})


@login_required
def activity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "activities/activity_detail.html", {})
