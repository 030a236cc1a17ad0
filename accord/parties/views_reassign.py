"""Bulk reassignment of a departing manager's clients (M2): choose who leaves and who takes
over, see what would move, optionally pick companies, then hand them over in one go."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accord.core.http import AuthedHttpRequest
from accord.core.models import User
from accord.core.permissions import Action, allows
from accord.parties import services
from accord.parties.models import Company, Contact
from accord.parties.selectors import companies_visible_to

LISTED_COMPANIES = 500


class ReassignForm(forms.Form):
    from_user = forms.ModelChoiceField(
        label=gettext_lazy("Departing user"),
        queryset=User.objects.order_by("first_name", "last_name", "username"),
    )
    to_user = forms.ModelChoiceField(
        label=gettext_lazy("Successor"),
        queryset=User.objects.filter(is_active=True).order_by(
            "first_name", "last_name", "username"
        ),
        required=False,
    )
    scope = forms.ChoiceField(
        label=gettext_lazy("Which companies"),
        choices=[
            ("all", gettext_lazy("All of this user's companies")),
            ("selected", gettext_lazy("Only the ticked companies")),
        ],
        initial="all",
        widget=forms.RadioSelect,
        required=False,
    )
    company = forms.TypedMultipleChoiceField(coerce=int, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("from_user") and data.get("from_user") == data.get("to_user"):
            self.add_error("to_user", _("Choose a different user to hand the clients to."))
        return data


@dataclass
class Preview:
    companies: int
    contacts: int
    open_activities: int
    listed: list[Company]


def _preview(user: User, from_user: User) -> Preview:
    """What would move: the same companies, contacts and open activities the service takes."""
    from accord.activities.models import Activity

    companies: QuerySet[Company] = companies_visible_to(user, Action.REASSIGN).filter(
        owner=from_user
    )
    contacts = (
        Contact.objects.filter(owner=from_user, employments__company__in=companies)
        .values("pk")
        .distinct()
        .count()
    )
    open_activities = Activity.objects.filter(
        owner=from_user,
        company__in=companies,
        is_done=False,
        kind__in=[Activity.Kind.TASK, Activity.Kind.MEETING],
    ).count()
    return Preview(
        companies=companies.count(),
        contacts=contacts,
        open_activities=open_activities,
        listed=list(companies.order_by("name", "pk").only("pk", "name")[:LISTED_COMPANIES]),
    )


@login_required
def clients_reassign(request: AuthedHttpRequest) -> HttpResponse:
    if not allows(request.user, Action.REASSIGN, Company):
        raise PermissionDenied(_("You do not have permission to reassign clients."))
    data = request.POST if request.method == "POST" else request.GET
    form = ReassignForm(data if "from_user" in data else None)
    preview = None
    if form.is_bound:
        # The ticked ids are checked by the service against what the user may reassign.
        form.fields["company"].choices = [  # type: ignore[attr-defined]
            (v, v) for v in data.getlist("company") if v.isdigit()
        ]
        if form.is_valid():
            preview = _preview(request.user, form.cleaned_data["from_user"])
    if request.method == "POST" and form.is_valid():
        cleaned = form.cleaned_data
        selected = cleaned["scope"] == "selected"
        if cleaned["to_user"] is None:
            form.add_error("to_user", _("Choose who takes over the clients."))
        elif selected and not cleaned["company"]:
            form.add_error("company", _("Tick at least one company, or choose all."))
        else:
            try:
                result = services.clients_reassign(
                    actor=request.user,
                    from_user=cleaned["from_user"],
                    to_user=cleaned["to_user"],
                    company_ids=cleaned["company"] if selected else None,
                )
            except ValidationError as exc:
                for name, errors in exc.message_dict.items():
                    target = name if name in form.fields else None
                    for message in errors:
                        form.add_error(target, message)
            else:
                moved = [
                    ngettext("%(count)s company", "%(count)s companies", result.companies)
                    % {"count": result.companies},
                    ngettext("%(count)s contact", "%(count)s contacts", result.contacts)
                    % {"count": result.contacts},
                    *[f"{count} {label}" for label, count in result.related.items()],
                ]
                messages.success(
                    request,
                    _("Handed over from %(from)s to %(to)s: %(moved)s.")
                    % {
                        "from": cleaned["from_user"],
                        "to": cleaned["to_user"],
                        "moved": ", ".join(moved),
                    },
                )
                return redirect(
                    f"{request.path}?from_user={cleaned['from_user'].pk}"
                    f"&to_user={cleaned['to_user'].pk}"
                )
    ticked = {int(v) for v in data.getlist("company") if v.isdigit()}
    return render(
        request,
        "parties/reassign.html",
        {
            "form": form,
            "preview": preview,
            "ticked": ticked,
            "scope": data.get("scope", "all"),
            "listed_limit": LISTED_COMPANIES,
        },
    )
