from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accord.parties.selectors import (
    companies_visible_to,
    contacts_visible_to,
    get_company_for,
    get_contact_for,
)


@login_required
def company_list(request: HttpRequest) -> HttpResponse:
    return render(
        request, "parties/company_list.html", {"companies": companies_visible_to(request.user)[:50]}
    )


@login_required
def company_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(
        request, "parties/company_detail.html", {"company": get_company_for(request.user, pk)}
    )


@login_required
def contact_list(request: HttpRequest) -> HttpResponse:
    return render(
        request, "parties/contact_list.html", {"contacts": contacts_visible_to(request.user)[:50]}
    )


@login_required
def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(
        request, "parties/contact_detail.html", {"contact": get_contact_for(request.user, pk)}
    )
