"""The project list and its CSV export (D2), declared on accord.core.lists."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from accord.core import lists
from accord.projects.models import Project, ProjectStage
from accord.projects.selectors import (
    overdue_stages_q,
    progress_of,
    projects_visible_to,
    with_stages,
)
from accord.projects.templatetags.project_extras import money_text


def _day(value: Any) -> str:
    return date_format(value, "SHORT_DATE_FORMAT") if value else ""


def _company_filter() -> lists.Filter:
    """Client by name (within the companies the user sees) or by id (links from the card)."""

    def make(user: Any) -> forms.Field:
        return forms.CharField(label=_("Client"), required=False, max_length=200)

    def apply(queryset: QuerySet[Any], value: str, user: Any) -> QuerySet[Any]:
        from accord.parties.search import text_match
        from accord.parties.selectors import companies_visible_to

        if value.isdigit():
            return queryset.filter(company_id=int(value))
        return queryset.filter(company__in=text_match(companies_visible_to(user), value))

    return lists.Filter("company", make, apply)


def _name_filter() -> lists.Filter:
    def make(user: Any) -> forms.Field:
        return forms.CharField(label=_("Name or code"), required=False, max_length=200)

    def apply(queryset: QuerySet[Any], value: str, user: Any) -> QuerySet[Any]:
        return queryset.filter(Q(name__icontains=value) | Q(code__icontains=value))

    return lists.Filter("name", make, apply)


def _responsible_filter() -> lists.Filter:
    def make(user: Any) -> forms.Field:
        return forms.ModelChoiceField(
            label=_("Responsible engineer"),
            required=False,
            queryset=get_user_model().objects.filter(is_active=True),
        )

    def apply(queryset: QuerySet[Any], value: Any, user: Any) -> QuerySet[Any]:
        stages = ProjectStage.objects.filter(project=OuterRef("pk"), responsible=value)
        return queryset.filter(Exists(stages))

    return lists.Filter("responsible", make, apply)


def _overdue_filter() -> lists.Filter:
    def make(user: Any) -> forms.Field:
        return forms.ChoiceField(
            label=_("Has overdue stages"),
            required=False,
            choices=[("", "—"), ("yes", _("Yes")), ("no", _("No"))],
        )

    def apply(queryset: QuerySet[Any], value: str, user: Any) -> QuerySet[Any]:
        overdue = Exists(ProjectStage.objects.filter(overdue_stages_q(), project=OuterRef("pk")))
        return queryset.filter(overdue if value == "yes" else ~overdue)

    return lists.Filter("overdue", make, apply)


def _end_date_filters() -> list[lists.Filter]:
    def make(label: Any) -> Any:
        def field(user: Any) -> forms.Field:
            return forms.DateField(
                label=label, required=False, widget=forms.DateInput(attrs={"type": "date"})
            )

        return field

    return [
        lists.Filter(
            "end_from",
            make(_("Planned end from")),
            lambda qs, v, u: qs.filter(end_date__gte=v),
        ),
        lists.Filter(
            "end_to",
            make(_("Planned end to")),
            lambda qs, v, u: qs.filter(end_date__lte=v),
        ),
    ]


def _prepare(queryset: QuerySet[Any]) -> QuerySet[Any]:
    return with_stages(queryset.select_related("company", "owner"))


def _progress(project: Project) -> Any:
    cached = getattr(project, "_progress", None)
    if cached is None:
        cached = progress_of(project)
        project._progress = cached  # type: ignore[attr-defined]
    return cached


PROJECTS = lists.register(
    lists.ListDefinition(
        key="projects",
        title=_("Projects"),
        object_type="project",
        queryset=lambda user, action: projects_visible_to(user, action),
        columns=[
            lists.Column("code", _("Code"), lambda p: p.code, is_default=False),
            lists.Column(
                "name",
                _("Project"),
                lambda p: str(p),
                sort="name",
                link=lambda p: p.get_absolute_url(),
            ),
            lists.Column(
                "company",
                _("Client"),
                lambda p: p.company.name,
                link=lambda p: p.company.get_absolute_url(),
            ),
            lists.Column("status", _("Status"), lambda p: p.get_status_display()),
            lists.Column(
                "progress",
                _("Progress"),
                lambda p: f"{_progress(p).percent} %",
                export=lambda p: _progress(p).percent,
            ),
            lists.Column("overdue", _("Overdue stages"), lambda p: _progress(p).overdue_count),
            lists.Column(
                "next_deadline",
                _("Next deadline"),
                lambda p: _day(_progress(p).next_deadline),
                export=lambda p: _progress(p).next_deadline,
            ),
            lists.Column(
                "budget",
                _("Budget"),
                lambda p: money_text(p.budget, p.currency),
                sort="budget",
                export=lambda p: p.budget,
                currency=lambda p: p.currency,
            ),
            lists.Column(
                "paid",
                _("Paid"),
                lambda p: money_text(_progress(p).paid_total, p.currency),
                export=lambda p: _progress(p).paid_total,
                currency=lambda p: p.currency,
                is_default=False,
            ),
            lists.Column(
                "end_date",
                _("Planned end"),
                lambda p: _day(p.end_date),
                export=lambda p: p.end_date,
            ),
            lists.Column("owner", _("Owner"), lambda p: str(p.owner)),
            lists.Column(
                "created",
                _("Created"),
                lambda p: _day(p.created_at.date()),
                export=lambda p: p.created_at,
                sort="created",
                is_default=False,
            ),
        ],
        sorts={
            "created": (_("Created"), "created_at"),
            "name": (_("Name"), "name"),
            "budget": (_("Budget"), "budget"),
            "updated": (_("Updated"), "updated_at"),
        },
        default_sort="-created",
        filters=[
            _name_filter(),
            lists.choice_filter("status", _("Status"), Project.Status.choices, "status"),
            _company_filter(),
            lists.owner_filter(),
            _responsible_filter(),
            _overdue_filter(),
            *_end_date_filters(),
        ],
        url_name="projects:project_list",
        export_url_name="projects:project_export",
        create_url_name="projects:project_create",
        create_label=_("New project"),
        prepare=_prepare,
        has_text_search=False,
    )
)
