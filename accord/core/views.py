"""Pages of the platform itself: home ("My day"), profile, notifications."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accord.core import services
from accord.core.forms import ProfileForm
from accord.core.http import AuthedHttpRequest


@login_required
def home(request: AuthedHttpRequest) -> HttpResponse:
    """A home page per role: everyone's own day first; the head of sales also sees the team's
    activity (M3), administrators their shortcuts and the latest changes."""
    from accord.activities.selectors import my_day, team_activity
    from accord.core.models import AuditEntry

    context: dict[str, Any] = {"day": my_day(request.user), "team": team_activity(request.user)}
    if request.user.is_administrator:
        context["recent_changes"] = list(AuditEntry.objects.select_related("actor")[:5])
    return render(request, "core/home.html", context)


@login_required
def profile(request: AuthedHttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        services.user_update_preferences(
            actor=request.user, user=request.user, data=form.cleaned_data
        )
        messages.success(request, _("Your preferences were saved."))
        return redirect("profile")
    return render(request, "core/profile.html", {"form": form})


@login_required
def notifications(request: AuthedHttpRequest) -> HttpResponse:
    items = list(request.user.notifications.all()[:100])
    if request.method == "POST":
        services.notifications_mark_read(actor=request.user)
        return redirect("notifications")
    return render(request, "core/notifications.html", {"items": items})


@login_required
def search(request: AuthedHttpRequest) -> HttpResponse:
    from accord.parties.search import global_search

    query = request.GET.get("q", "").strip()
    results = global_search(request.user, query) if query else None
    return render(request, "core/search.html", {"query": query, "results": results})
