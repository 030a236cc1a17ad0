"""The lead list and its CSV export (K6, D2), declared on accord.core.lists."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from accord.core import lists
from accord.core.models import Picklist, PicklistOption
from accord.parties import normalize
from accord.sales.models import Lead
from accord.sales.selectors_leads import leads_visible_to


def _picklist(picklist: str) -> Any:
    return lambda: PicklistOption.objects.filter(picklist=picklist, is_active=True)


def _label(option: PicklistOption | None) -> str:
    return option.localized_label() if option else ""


def _when(value: Any) -> str:
    return date_format(localtime(value), "SHORT_DATE_FORMAT") if value else ""


def _search_filter() -> lists.Filter:
    """Name (any script, by its transliterated key), exact e-mail, phone in any format, INN:
    each an index look-up, so the filter stays fast on a large lead base."""

    def make(user: Any) -> forms.Field:
        return forms.CharField(label=_("Name, phone or e-mail"), required=False, max_length=200)

    def apply(queryset: QuerySet[Any], value: str, user: Any) -> QuerySet[Any]:
        text = value.strip()
        condition = Q(pk__in=[])
        key = normalize.name_key(text)
        if key:
            condition |= Q(name_key__startswith=key)
        if "@" in text:
            condition |= Q(email=text.lower())
        phone = normalize.phone_for_search(text)
        if phone:
            condition |= Q(phone=phone)
        digits = "".join(ch for ch in text if ch.isdigit())
        if len(digits) in (10, 12) and digits == text.replace(" ", ""):
            condition |= Q(inn=digits)
        return queryset.filter(condition)

    return lists.Filter("search", make, apply)


def _campaign_filter() -> lists.Filter:
    def make(user: Any) -> forms.Field:
        return forms.CharField(label=_("Campaign"), required=False, max_length=120)

    return lists.Filter("campaign", make, lambda qs, v, u: qs.filter(campaign=v.strip()))


def _prepare(queryset: QuerySet[Any]) -> QuerySet[Any]:
    return queryset.select_related("owner", "source", "region")


LEADS = lists.register(
    lists.ListDefinition(
        key="leads",
        title=_("Leads"),
        object_type="lead",
        queryset=leads_visible_to,
        columns=[
            lists.Column(
                "name",
                _("Lead"),
                lambda lead: str(lead),
                sort="name",
                link=lambda lead: lead.get_absolute_url(),
            ),
            lists.Column("status", _("Status"), lambda lead: lead.get_status_display()),
            lists.Column("source", _("Source"), lambda lead: _label(lead.source)),
            lists.Column("campaign", _("Campaign"), lambda lead: lead.campaign, is_default=False),
            lists.Column(
                "phone",
                _("Phone"),
                lambda lead: normalize.display_phone(lead.phone) if lead.phone else "",
            ),
            lists.Column("email", _("E-mail"), lambda lead: lead.email, is_default=False),
            lists.Column("region", _("Region"), lambda lead: _label(lead.region), is_default=False),
            lists.Column("owner", _("Owner"), lambda lead: str(lead.owner)),
            lists.Column(
                "channel",
                _("Received via"),
                lambda lead: lead.get_channel_display(),
                is_default=False,
            ),
            lists.Column(
                "created",
                _("Created"),
                lambda lead: _when(lead.created_at),
                sort="created",
                export=lambda lead: lead.created_at,
            ),
        ],
        sorts={
            "created": (_("Created"), "created_at"),
            "name": (_("Name"), "name_key"),
            "updated": (_("Updated"), "updated_at"),
        },
        default_sort="-created",
        filters=[
            _search_filter(),
            lists.choice_filter("status", _("Status"), Lead.Status.choices, "status"),
            lists.model_filter("source", _("Source"), _picklist(Picklist.SOURCE), "source"),
            _campaign_filter(),
            lists.owner_filter(),
            lists.team_filter(),
            lists.model_filter("region", _("Region"), _picklist(Picklist.REGION), "region"),
            *lists.date_range_filters("created", "created_at", _("Created")),
        ],
        url_name="sales:lead_list",
        export_url_name="sales:lead_export",
        create_url_name="sales:lead_create",
        create_label=_("New lead"),
        prepare=_prepare,
        has_text_search=False,
    )
)
