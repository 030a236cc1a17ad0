"""Company and contact lists and their CSV exports (D2), declared on accord.core.lists."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Exists, OuterRef, Prefetch, QuerySet, Value
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accord.core import lists
from accord.core.http import AuthedHttpRequest
from accord.core.models import Picklist, PicklistOption
from accord.core.permissions import Action, Scope, user_scope
from accord.parties.models import Address, Company, Contact, ContactPoint, Tag
from accord.parties.normalize import display_phone
from accord.parties.selectors import companies_visible_to, contacts_visible_to


def _picklist(picklist: str) -> Any:
    return lambda: PicklistOption.objects.filter(picklist=picklist, is_active=True)


def _label(option: PicklistOption | None) -> str:
    return option.localized_label() if option else ""


def _when(value: Any) -> str:
    return date_format(localtime(value), "SHORT_DATE_FORMAT") if value else ""


def _primary(obj: Any, kind: str) -> str:
    point = next((p for p in obj.primary_points if p.kind == kind), None)
    if point is None:
        return ""
    return display_phone(point.normalized) if kind == ContactPoint.Kind.PHONE else point.value


def _phone_e164(obj: Any) -> str:
    """Exports carry the phone in E.164 (+74951234567): what other systems read back; formatting
    every number for display would also cost more than the rest of the row."""
    point = next((p for p in obj.primary_points if p.kind == ContactPoint.Kind.PHONE), None)
    return point.normalized if point else ""


def _export_points(ids: list[int], owner: str = "contact_id") -> dict[int, tuple[str, str]]:
    """Fast exports: {id: (primary phone in E.164, primary e-mail)} of contacts (or of companies,
    ``owner="company_id"``): of each kind the primary point with the lowest id, the one the
    list shows (ContactPoint's order). The kind is checked here, not in SQL: filtering on it
    makes SQLite walk the (kind, normalized) index instead of the owner's."""
    phone_kind, email_kind = ContactPoint.Kind.PHONE, ContactPoint.Kind.EMAIL
    phones: dict[int, tuple[int, str]] = {}
    emails: dict[int, tuple[int, str]] = {}
    points = (
        ContactPoint.objects.filter(**{f"{owner}__in": ids}, is_primary=True)
        .order_by()
        .values_list(owner, "kind", "id", "normalized", "value")
    )
    for key, kind, pk, normalized, value in points:
        if kind == phone_kind:
            if key not in phones or pk < phones[key][0]:
                phones[key] = (pk, normalized)
        elif kind == email_kind and (key not in emails or pk < emails[key][0]):
            emails[key] = (pk, value)
    return {
        key: (phones[key][1] if key in phones else "", emails[key][1] if key in emails else "")
        for key in phones.keys() | emails.keys()
    }


def _export_labels(ids: list[int]) -> dict[int, str]:
    """Fast exports: picklist options' labels in the current language."""
    return {
        option.pk: option.localized_label() for option in PicklistOption.objects.filter(pk__in=ids)
    }


def _export_company_points(ids: list[int]) -> dict[int, tuple[str, str]]:
    return _export_points(ids, owner="company_id")


def _export_cities(ids: list[int]) -> dict[int, str]:
    """Fast exports: {company id: city of its first address that has one} (Address's order)."""
    first: dict[int, tuple[str, int, str]] = {}
    addresses = (
        Address.objects.filter(company_id__in=ids)
        .exclude(city="")
        .order_by()
        .values_list("company_id", "kind", "id", "city")
    )
    for company_id, kind, pk, city in addresses:
        if company_id not in first or (kind, pk) < first[company_id][:2]:
            first[company_id] = (kind, pk, city)
    return {company_id: city for company_id, (_kind, _pk, city) in first.items()}


def _city_country(city: str | None, country: str) -> str:
    return ", ".join(p for p in (city or "", country) if p)


def _contact_name(full_name: str, first_name: str, last_name: str) -> str:
    """``str(contact)`` from its fields (fast exports)."""
    return full_name or " ".join(p for p in (first_name, last_name) if p)


def _visible_company(name: str | None, is_visible: bool) -> str:
    return name if name is not None and is_visible else ""


def _primary_points() -> Prefetch[Any]:
    return Prefetch(
        "contact_points",
        queryset=ContactPoint.objects.filter(
            is_primary=True, kind__in=[ContactPoint.Kind.PHONE, ContactPoint.Kind.EMAIL]
        ),
        to_attr="primary_points",
    )


def _city(company: Company) -> str:
    city = next((a.city for a in company.addresses.all() if a.city), "")
    return ", ".join(p for p in (city, company.country) if p)


def _prepare_companies(queryset: QuerySet[Any]) -> QuerySet[Any]:
    # The owner is prefetched, not joined: an INNER JOIN lets SQLite start from the user table
    # and sort every company instead of walking the name index.
    return queryset.select_related("industry", "region", "company_type").prefetch_related(
        "owner",
        _primary_points(),
        Prefetch("addresses", queryset=Address.objects.only("company", "city")),
    )


def _prepare_contacts(queryset: QuerySet[Any]) -> QuerySet[Any]:
    return queryset.select_related("primary_company").prefetch_related("owner", _primary_points())


def contacts_with_company_visibility(user: Any, action: str) -> QuerySet[Contact]:
    """Visible contacts, each marked whether the user may see its company: a contact shared
    with the team must not reveal the name of a company the user may not see."""
    queryset = contacts_visible_to(user, action)
    if user_scope(user, "company", Action.VIEW) == Scope.ALL:
        return queryset.annotate(company_is_visible=Value(True))
    companies = companies_visible_to(user).filter(pk=OuterRef("primary_company_id"))
    return queryset.annotate(company_is_visible=Exists(companies))


def company_name_of(contact: Contact) -> str:
    if contact.primary_company is None or not getattr(contact, "company_is_visible", False):
        return ""
    return contact.primary_company.name


def _tag_filter() -> lists.Filter:
    return lists.model_filter("tag", _("Tag"), lambda: Tag.objects.all(), "tags")


def _country_filter() -> lists.Filter:
    from django import forms

    return lists.Filter(
        "country",
        lambda user: forms.CharField(label=_("Country"), required=False, max_length=2),
        lambda qs, v, u: qs.filter(country=v.strip().upper()),
    )


_SORTS = {
    "name": (pgettext_lazy("company", "Name"), "name"),
    "updated": (_("Updated"), "updated_at"),
    "created": (_("Created"), "created_at"),
}

COMPANIES = lists.register(
    lists.ListDefinition(
        key="companies",
        title=_("Companies"),
        object_type="company",
        queryset=lambda user, action: companies_visible_to(user, action),
        columns=[
            lists.Column(
                "name",
                pgettext_lazy("company", "Name"),
                lambda c: c.name,
                sort="name",
                link=lambda c: c.get_absolute_url(),
                export_paths=("name",),
            ),
            lists.Column(
                "type",
                _("Type"),
                lambda c: _label(c.company_type),
                export_paths=("@company_type",),
                export_from=lambda label: label or "",
            ),
            lists.Column(
                "industry",
                _("Industry"),
                lambda c: _label(c.industry),
                export_paths=("@industry",),
                export_from=lambda label: label or "",
            ),
            lists.Column(
                "region",
                _("Region"),
                lambda c: _label(c.region),
                export_paths=("@region",),
                export_from=lambda label: label or "",
            ),
            lists.Column(
                "city",
                _("City / country"),
                _city,
                export_paths=("@city", "country"),
                export_from=_city_country,
            ),
            lists.Column(
                "owner",
                _("Owner"),
                lambda c: str(c.owner),
                export_paths=("@owner",),
                export_from=lambda name: name or "None",
            ),
            lists.Column(
                "phone",
                _("Phone"),
                lambda c: _primary(c, ContactPoint.Kind.PHONE),
                export=_phone_e164,
                export_paths=("@points",),
                export_from=lambda p: p[0] if p else "",
            ),
            lists.Column(
                "email",
                _("E-mail"),
                lambda c: _primary(c, "email"),
                is_default=False,
                export_paths=("@points",),
                export_from=lambda p: p[1] if p else "",
            ),
            lists.Column("inn", _("INN"), lambda c: c.inn, is_default=False, export_paths=("inn",)),
            lists.Column(
                "updated",
                _("Updated"),
                lambda c: _when(c.updated_at),
                sort="updated",
                export=lambda c: c.updated_at,
                export_paths=("updated_at",),
            ),
            lists.Column(
                "created",
                _("Created"),
                lambda c: _when(c.created_at),
                sort="created",
                export=lambda c: c.created_at,
                is_default=False,
                export_paths=("created_at",),
            ),
        ],
        sorts={**_SORTS},
        default_sort="name",
        filters=[
            lists.model_filter(
                "company_type", _("Type"), _picklist(Picklist.COMPANY_TYPE), "company_type"
            ),
            lists.model_filter("industry", _("Industry"), _picklist(Picklist.INDUSTRY), "industry"),
            lists.model_filter("region", _("Region"), _picklist(Picklist.REGION), "region"),
            _country_filter(),
            lists.owner_filter(),
            lists.team_filter(),
            _tag_filter(),
            *lists.date_range_filters("created", "created_at", _("Created")),
            *lists.date_range_filters("updated", "updated_at", _("Updated")),
        ],
        url_name="parties:company_list",
        export_url_name="parties:company_export",
        create_url_name="parties:company_create",
        create_label=_("New company"),
        prepare=_prepare_companies,
        has_custom_fields=True,
        export_related={
            "company_type": ("company_type_id", _export_labels),
            "industry": ("industry_id", _export_labels),
            "region": ("region_id", _export_labels),
            "city": ("id", _export_cities),
            "points": ("id", _export_company_points),
            "owner": ("owner_id", lists.export_user_names),
        },
    )
)

CONTACTS = lists.register(
    lists.ListDefinition(
        key="contacts",
        title=_("Contacts"),
        object_type="contact",
        queryset=contacts_with_company_visibility,
        columns=[
            lists.Column(
                "name",
                pgettext_lazy("person", "Name"),
                str,
                sort="name",
                link=lambda c: c.get_absolute_url(),
                export_paths=("full_name", "first_name", "last_name"),
                export_from=_contact_name,
            ),
            lists.Column(
                "company",
                _("Company"),
                company_name_of,
                export_paths=("primary_company__name", "company_is_visible"),
                export_from=_visible_company,
            ),
            lists.Column(
                "position", _("Position"), lambda c: c.position, export_paths=("position",)
            ),
            lists.Column(
                "phone",
                _("Phone"),
                lambda c: _primary(c, ContactPoint.Kind.PHONE),
                export=_phone_e164,
                export_paths=("@points",),
                export_from=lambda p: p[0] if p else "",
            ),
            lists.Column(
                "email",
                _("E-mail"),
                lambda c: _primary(c, ContactPoint.Kind.EMAIL),
                export_paths=("@points",),
                export_from=lambda p: p[1] if p else "",
            ),
            lists.Column(
                "owner",
                _("Owner"),
                lambda c: str(c.owner),
                export_paths=("@owner",),
                export_from=lambda name: name or "None",
            ),
            lists.Column(
                "updated",
                _("Updated"),
                lambda c: _when(c.updated_at),
                sort="updated",
                export=lambda c: c.updated_at,
                export_paths=("updated_at",),
            ),
            lists.Column(
                "created",
                _("Created"),
                lambda c: _when(c.created_at),
                sort="created",
                export=lambda c: c.created_at,
                is_default=False,
                export_paths=("created_at",),
            ),
        ],
        sorts={**_SORTS, "name": (pgettext_lazy("person", "Name"), "full_name")},
        default_sort="name",
        filters=[
            lists.owner_filter(),
            lists.team_filter(),
            _tag_filter(),
            *lists.date_range_filters("created", "created_at", _("Created")),
            *lists.date_range_filters("updated", "updated_at", _("Updated")),
        ],
        url_name="parties:contact_list",
        export_url_name="parties:contact_export",
        create_url_name="parties:contact_create",
        create_label=_("New contact"),
        prepare=_prepare_contacts,
        has_custom_fields=True,
        export_related={
            "points": ("id", _export_points),
            "owner": ("owner_id", lists.export_user_names),
        },
    )
)


@login_required
def company_list(request: AuthedHttpRequest) -> HttpResponse:
    return lists.render_list(request, COMPANIES)


@login_required
def company_export(request: AuthedHttpRequest) -> HttpResponseBase:
    return lists.export_list(request, COMPANIES, "companies")


@login_required
def contact_list(request: AuthedHttpRequest) -> HttpResponse:
    return lists.render_list(request, CONTACTS)


@login_required
def contact_export(request: AuthedHttpRequest) -> HttpResponseBase:
    return lists.export_list(request, CONTACTS, "contacts")
