"""Personal API tokens (I3): list one's own, create one (secret shown once), revoke."""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from accord.core import services
from accord.core.http import AuthedHttpRequest
from accord.core.models import ApiToken

SESSION_KEY_NEW_TOKEN = "accord_new_api_token"  # noqa: S105 (the session slot, not a secret)


class TokenForm(forms.Form):
    name = forms.CharField(
        label=pgettext_lazy("token", "Name"),
        max_length=80,
        help_text=gettext_lazy("What will use it, e.g. “1C sync” or “my reports script”."),
    )
    expires_on = forms.DateField(
        label=gettext_lazy("Valid until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("Leave empty for a token that works until you revoke it."),
    )


def _end_of(day: datetime.date) -> datetime.datetime:
    """A token valid "until" a date works through that whole day in the user's time zone."""
    start_of_next = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min)
    return timezone.make_aware(start_of_next)


@login_required
def token_list(request: AuthedHttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    secret = None
    if request.method == "POST" and form.is_valid():
        day = form.cleaned_data["expires_on"]
        try:
            _token, secret = services.api_token_create(
                actor=request.user,
                name=form.cleaned_data["name"],
                expires_at=_end_of(day) if day else None,
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error("expires_on" if field == "expires_at" else field, errors)
        else:
            # Post/redirect/get, so reloading the page can't create a second token. The secret
            # waits in the server-side session and is removed the moment it is shown.
            request.session[SESSION_KEY_NEW_TOKEN] = secret
            return redirect("token_list")
    if request.method == "GET":
        secret = request.session.pop(SESSION_KEY_NEW_TOKEN, None)
    tokens = ApiToken.objects.filter(user=request.user).order_by("-is_active", "-created_at")
    return render(
        request,
        "core/tokens.html",
        {"form": form, "secret": secret, "tokens": tokens, "now": timezone.now()},
    )


@login_required
@require_POST
def token_revoke(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    services.api_token_revoke(actor=request.user, token=token)
    messages.success(request, _("The token “%(name)s” was revoked.") % {"name": token.name})
    return redirect("token_list")
