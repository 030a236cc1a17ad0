"""The activity list and its CSV export (D2), declared on accord.core.lists."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.db.models import Exists, OuterRef, QuerySet, Value
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from accord.activities.models import Activity
from accord.activities.selectors import activities_visible_to
from accord.core import lists
from accord.core.http import AuthedHttpRequest


def _when(value: Any) -> str:
    return date_format(localtime(value), "SHORT_DATETIME_FORMAT") if value else ""


def _status_filter() -> lists.Filter:
    def make(user: Any) -> forms.Field:
        return forms.ChoiceField(
            label=_("Status"),
            required=False,
            choices=[("", "—"), ("open", _("Open")), ("done", _("Done"))],
        )

    return lists.Filter("status", make, lambda qs, v, u: qs.filter(is_done=v == "done"))


def _company_filter() -> lists.Filter:
    """Company by name: the same fast search as the company list, within what the user sees."""

    def make(user: Any) -> forms.Field:
        return forms.CharField(label=_("Company"), required=False, max_length=200)

    def apply(queryset: QuerySet[Any], value: str, user: Any) -> QuerySet[Any]:
        from accord.parties.search import text_match
        from accord.parties.selectors import companies_visible_to

        if value.isdigit():
            return queryset.filter(company_id=int(value))
        return queryset.filter(company__in=text_match(companies_visible_to(user), value))

    return lists.Filter("company", make, apply)


def activities_with_company_visibility(user: Any, action: str) -> QuerySet[Activity]:
    """Visible activities, marked whether the user may see the company they are about."""
    from accord.core.permissions import Action, Scope, user_scope
    from accord.parties.selectors import companies_visible_to

    queryset = activities_visible_to(user, action)
    if user_scope(user, "company", Action.VIEW) == Scope.ALL:
        return queryset.annotate(company_is_visible=Value(True))
    companies = companies_visible_to(user).filter(pk=OuterRef("company_id"))
    return queryset.annotate(company_is_visible=Exists(companies))


def _company(activity: Activity) -> Any:
    if activity.company is None or not getattr(activity, "company_is_visible", False):
        return None
    return activity.company


def _kind_label(kind: str) -> str:
    """``get_kind_display()`` from the stored code (fast exports)."""
    return str(dict(Activity.Kind.choices).get(kind, kind))


def _visible_company_name(name: str | None, is_visible: bool) -> str:
    return name if name is not None and is_visible else ""


def _prepare(queryset: QuerySet[Any]) -> QuerySet[Any]:
    return queryset.select_related("company").prefetch_related("owner")


ACTIVITIES = lists.register(
    lists.ListDefinition(
        key="activities",
        title=_("Activities"),
        object_type="activity",
        queryset=activities_with_company_visibility,
        columns=[
            lists.Column(
                "at",
                _("Date"),
                lambda a: _when(a.at),
                sort="at",
                export=lambda a: a.at,
                export_paths=("at",),
            ),
            lists.Column(
                "kind",
                _("Type"),
                lambda a: a.get_kind_display(),
                export_paths=("kind",),
                export_from=_kind_label,
            ),
            lists.Column(
                "subject",
                _("Subject"),
                lambda a: a.subject,
                sort="subject",
                link=lambda a: a.get_absolute_url(),
                export_paths=("subject",),
            ),
            lists.Column(
                "company",
                _("Company"),
                lambda a: _company(a).name if _company(a) else "",
                link=lambda a: _company(a).get_absolute_url() if _company(a) else "",
                export_paths=("company__name", "company_is_visible"),
                export_from=_visible_company_name,
            ),
            lists.Column(
                "owner",
                _("Owner"),
                lambda a: str(a.owner),
                export_paths=("@owner",),
                export_from=lambda name: name or "None",
            ),
            lists.Column(
                "done",
                _("Done"),
                lambda a: _("yes") if a.is_done else _("no"),
                export=lambda a: a.is_done,
                export_paths=("is_done",),
            ),
            lists.Column(
                "updated",
                _("Updated"),
                lambda a: _when(a.updated_at),
                sort="updated",
                export=lambda a: a.updated_at,
                is_default=False,
                export_paths=("updated_at",),
            ),
        ],
        sorts={
            "at": (_("Date"), "at"),
            "subject": (_("Subject"), "subject"),
            "updated": (_("Updated"), "updated_at"),
            "created": (_("Created"), "created_at"),
        },
        default_sort="-at",
        filters=[
            lists.choice_filter("kind", _("Type"), Activity.Kind.choices, "kind"),
            _status_filter(),
            lists.owner_filter(),
            _company_filter(),
            *lists.date_range_filters("at", "at", _("Date")),
        ],
        url_name="activities:activity_list",
        export_url_name="activities:activity_export",
        create_url_name="activities:activity_create",
        create_label=_("New activity"),
        prepare=_prepare,
        export_related={"owner": ("owner_id", lists.export_user_names)},
        has_text_search=False,
    )
)


@login_required
def activity_list(request: AuthedHttpRequest) -> HttpResponse:
    return lists.render_list(request, ACTIVITIES)


@login_required
def activity_export(request: AuthedHttpRequest) -> HttpResponseBase:
    return lists.export_list(request, ACTIVITIES, "activities")
