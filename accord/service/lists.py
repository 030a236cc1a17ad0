"""The case list and its export (V1, D2), declared on accord.core.lists.

Filters: status (with "open" = new, in progress or waiting), queue, mine / unassigned,
priority, category, channel, client, and a search by reference (CS-12) or subject words.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accord.core import lists
from accord.service import selectors
from accord.service.models import Case, Category, Queue
from accord.sla.models import Priority


def _when(value: Any) -> str:
    if value is None:
        return ""
    return date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")


def _status_filter() -> lists.Filter:
    def make(user: Any) -> forms.Field:
        return forms.ChoiceField(
            label=_("Status"),
            required=False,
            choices=[
                ("", "—"),
                ("open", pgettext_lazy("case status filter", "Open (not resolved)")),
                *Case.Status.choices,
            ],
        )

    def apply(queryset: QuerySet[Any], value: str, user: Any) -> QuerySet[Any]:
        return selectors.filter_cases(queryset, selectors.CaseFilters(status=value), user)

    return lists.Filter("status", make, apply)


def _assigned_filter() -> lists.Filter:
    def make(user: Any) -> forms.Field:
        return forms.ChoiceField(
            label=_("Agent"),
            required=False,
            choices=[
                ("", "—"),
                ("mine", _("Mine")),
                ("unassigned", _("Unassigned")),
            ],
        )

    def apply(queryset: QuerySet[Any], value: str, user: Any) -> QuerySet[Any]:
        return selectors.filter_cases(queryset, selectors.CaseFilters(assigned=value), user)

    return lists.Filter("assigned", make, apply)


def _client_filter() -> lists.Filter:
    """Client by name (among the companies the user sees) or by id (links from the card)."""

    def make(user: Any) -> forms.Field:
        return forms.CharField(label=_("Client"), required=False, max_length=200)

    def apply(queryset: QuerySet[Any], value: str, user: Any) -> QuerySet[Any]:
        from accord.parties.search import text_match
        from accord.parties.selectors import companies_visible_to

        if value.isdigit():
            return queryset.filter(company_id=int(value))
        return queryset.filter(company__in=text_match(companies_visible_to(user), value))

    return lists.Filter("company", make, apply)


def _contact_filter() -> lists.Filter:
    def make(user: Any) -> forms.Field:
        return forms.IntegerField(label=_("Contact"), required=False, widget=forms.HiddenInput)

    def apply(queryset: QuerySet[Any], value: int, user: Any) -> QuerySet[Any]:
        return queryset.filter(contact_id=value)

    return lists.Filter("contact", make, apply)


def _search_filter() -> lists.Filter:
    def make(user: Any) -> forms.Field:
        return forms.CharField(
            label=_("Reference or subject"),
            required=False,
            max_length=200,
            widget=forms.TextInput(attrs={"type": "search", "placeholder": "CS-1024"}),
        )

    def apply(queryset: QuerySet[Any], value: str, user: Any) -> QuerySet[Any]:
        return selectors.filter_cases(queryset, selectors.CaseFilters(q=value), user)

    return lists.Filter("search", make, apply)


def _prepare(queryset: QuerySet[Any]) -> QuerySet[Any]:
    return selectors.cases_for_list(queryset)


CASES = lists.register(
    lists.ListDefinition(
        key="cases",
        title=_("Cases"),
        object_type="case",
        queryset=lambda user, action: selectors.cases_visible_to(user, action),
        columns=[
            lists.Column(
                "reference",
                _("Reference"),
                lambda c: c.reference,
                sort="number",
                link=lambda c: c.get_absolute_url(),
                export_paths=("id",),
                export_from=lambda pk: f"CS-{pk}",
            ),
            lists.Column(
                "subject",
                _("Subject"),
                lambda c: c.subject,
                link=lambda c: c.get_absolute_url(),
                export_paths=("subject",),
            ),
            lists.Column(
                "status",
                _("Status"),
                lambda c: c.get_status_display(),
                export_paths=("status",),
                export_from=lambda v: str(Case.Status(v).label),
            ),
            lists.Column(
                "priority",
                _("Priority"),
                lambda c: c.get_priority_display(),
                export_paths=("priority",),
                export_from=lambda v: str(Priority(v).label),
            ),
            lists.Column(
                "company",
                _("Client"),
                lambda c: c.company.name if c.company_id else (c.requester_email or ""),
                link=lambda c: c.company.get_absolute_url() if c.company_id else "",
                export_paths=("company__name",),
            ),
            lists.Column(
                "contact",
                _("Contact"),
                lambda c: str(c.contact) if c.contact_id else c.requester_name,
                is_default=False,
                export_paths=("contact__full_name",),
            ),
            lists.Column(
                "category",
                pgettext_lazy("case category", "Category"),
                lambda c: str(c.category) if c.category_id else "",
                is_default=False,
                export_paths=("category__name",),
            ),
            lists.Column(
                "channel",
                _("Received via"),
                lambda c: c.get_channel_display(),
                is_default=False,
                export_paths=("channel",),
                export_from=lambda v: str(Case.Channel(v).label),
            ),
            lists.Column(
                "queue",
                _("Queue"),
                lambda c: str(c.queue) if c.queue_id else "",
                export_paths=("queue__name",),
            ),
            lists.Column(
                "owner",
                _("Agent"),
                lambda c: str(c.owner) if c.owner_id else "",
                export_paths=("owner__first_name", "owner__last_name"),
                export_from=lambda first, last: f"{first or ''} {last or ''}".strip(),
            ),
            lists.Column(
                "resolution_due",
                _("Resolution due"),
                lambda c: _when(c.resolution_due_at),
                export=lambda c: c.resolution_due_at,
                is_default=False,
                export_paths=("resolution_due_at",),
            ),
            lists.Column(
                "created",
                _("Opened"),
                lambda c: _when(c.created_at),
                export=lambda c: c.created_at,
                sort="created",
                export_paths=("created_at",),
            ),
            lists.Column(
                "serial_number",
                _("Serial number"),
                lambda c: c.serial_number,
                is_default=False,
                export_paths=("serial_number",),
            ),
        ],
        sorts={
            "created": (_("Opened"), "created_at"),
            "number": (_("Reference"), "id"),
            "updated": (_("Updated"), "updated_at"),
        },
        default_sort="-created",
        filters=[
            _search_filter(),
            _status_filter(),
            lists.model_filter(
                "queue", _("Queue"), lambda: Queue.objects.filter(is_active=True), "queue"
            ),
            _assigned_filter(),
            lists.choice_filter("priority", _("Priority"), Priority.choices, "priority"),
            lists.model_filter(
                "category",
                pgettext_lazy("case category", "Category"),
                lambda: Category.objects.all(),
                "category",
            ),
            lists.choice_filter("channel", _("Received via"), Case.Channel.choices, "channel"),
            _client_filter(),
            _contact_filter(),
            lists.owner_filter(),
        ],
        url_name="service:case_list",
        export_url_name="service:case_export",
        create_url_name="service:case_create",
        create_label=_("New case"),
        prepare=_prepare,
        has_text_search=False,
    )
)
