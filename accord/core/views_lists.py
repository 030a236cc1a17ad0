"""Saving and deleting a user's named list views (D2)."""

from __future__ import annotations

from urllib.parse import parse_qs

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accord.core import services
from accord.core.http import AuthedHttpRequest
from accord.core.lists import LISTS
from accord.core.models import SavedView


@login_required
@require_POST
def saved_view_save(request: AuthedHttpRequest, list_key: str) -> HttpResponse:
    definition = LISTS.get(list_key)
    if definition is None:
        raise Http404
    query = request.POST.get("query", "")
    columns = ",".join(parse_qs(query).get("cols", [])).split(",")
    try:
        view = services.saved_view_save(
            actor=request.user,
            list_key=list_key,
            name=request.POST.get("name", ""),
            query=query,
            columns=[c for c in columns if c],
        )
    except ValidationError as exc:
        for field_errors in exc.message_dict.values():
            for message in field_errors:
                messages.error(request, _("The view was not saved: %(error)s") % {"error": message})
        url = reverse(definition.url_name)
        return redirect(f"{url}?{query}" if query else url)
    messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
    url = reverse(definition.url_name)
    return redirect(f"{url}?{view.query}" if view.query else url)


@login_required
@require_POST
def saved_view_delete(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    view = SavedView.objects.filter(user=request.user, pk=pk).first()
    if view is None:
        raise Http404
    definition = LISTS.get(view.list_key)
    services.saved_view_delete(actor=request.user, view=view)
    messages.success(request, _("View “%(name)s” deleted.") % {"name": view.name})
    return redirect(reverse(definition.url_name) if definition else "home")
