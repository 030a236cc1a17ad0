"""Writes to companies and contacts. Every path (UI, API, import, commands, jobs) comes here."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accord.core import audit, customfields
from accord.core.models import AuditEntry, User
from accord.core.permissions import Action, require
from accord.core.records import record_create, record_delete, record_update
from accord.parties import normalize
from accord.parties.models import Company, Contact, ContactPoint, Employment, Tag

COMPANY_FIELDS = (
    "name",
    "legal_name",
    "inn",
    "kpp",
    "ogrn",
    "siren",
    "siret",
    "vat_number",
    "industry",
    "region",
    "company_type",
    "source",
    "size",
    "country",
    "website",
    "description",
    "owner",
    "team",
)
CONTACT_FIELDS = (
    "last_name",
    "first_name",
    "middle_name",
    "position",
    "primary_company",
    "birthday",
    "preferred_channel",
    "do_not_call",
    "do_not_email",
    "notes",
    "owner",
    "team",
)
_TAX_CLEANERS: dict[str, Callable[[str], str]] = {
    "inn": normalize.clean_inn,
    "kpp": normalize.clean_kpp,
    "ogrn": normalize.clean_ogrn,
    "siren": normalize.clean_siren,
    "siret": normalize.clean_siret,
    "vat_number": normalize.clean_vat,
}


@dataclass(frozen=True)
class ContactPointInput:
    value: str
    label: str = ""


def _as_points(
    values: Iterable[str | ContactPointInput | dict[str, str]] | None,
) -> list[ContactPointInput]:
    points = []
    for item in values or ():
        if isinstance(item, ContactPointInput):
            points.append(item)
        elif isinstance(item, dict):
            points.append(
                ContactPointInput(value=item.get("value", ""), label=item.get("label", ""))
            )
        elif str(item).strip():
            points.append(ContactPointInput(value=str(item)))
    return points


def clean_contact_points(
    *,
    phones: Iterable[Any] | None,
    emails: Iterable[Any] | None,
    messengers: Iterable[Any] | None = None,
) -> list[tuple[str, ContactPointInput, str]]:
    """Normalise phones and e-mails; errors are keyed by the field the user typed into."""
    errors: dict[str, list[str]] = {}
    cleaned: list[tuple[str, ContactPointInput, str]] = []
    seen: set[tuple[str, str]] = set()
    for kind, items, normalizer in (
        (ContactPoint.Kind.PHONE, phones, normalize.normalize_phone),
        (ContactPoint.Kind.EMAIL, emails, normalize.normalize_email),
        (ContactPoint.Kind.MESSENGER, messengers, lambda v: v.strip().lower()),
    ):
        field = {"phone": "phones", "email": "emails", "messenger": "messengers"}[kind]
        for point in _as_points(items):
            try:
                value = normalizer(point.value)
            except ValidationError as exc:
                errors.setdefault(field, []).extend(exc.messages)
                continue
            if (kind, value) in seen:
                continue
            seen.add((kind, value))
            cleaned.append((kind, point, value))
    if errors:
        raise ValidationError(errors)
    return cleaned


ADDRESS_KEYS = ("kind", "street", "city", "postcode", "region_name", "country")


def clean_addresses(addresses: Iterable[dict[str, Any]] | None) -> list[dict[str, str]]:
    """Validate postal addresses; errors are keyed "addresses" with the row number."""
    from accord.parties.models import Address

    cleaned: list[dict[str, str]] = []
    errors: list[str] = []
    kinds = set(Address.Kind.values)
    for index, raw in enumerate(addresses or (), start=1):
        row = {key: str(raw.get(key) or "").strip() for key in ADDRESS_KEYS}
        unknown = set(raw) - set(ADDRESS_KEYS)
        if unknown:
            errors.append(
                _("Address %(number)s: unknown field %(name)s.")
                % {"number": index, "name": ", ".join(sorted(unknown))}
            )
            continue
        if not any(row[key] for key in ("street", "city", "postcode")):
            continue  # an empty row in a form is no address
        row["kind"] = row["kind"] or Address.Kind.OFFICE
        row["country"] = row["country"].upper()
        if row["kind"] not in kinds:
            errors.append(
                _("Address %(number)s: unknown kind “%(kind)s”.")
                % {"number": index, "kind": row["kind"]}
            )
        if not row["street"]:
            errors.append(_("Address %(number)s: enter the street and number.") % {"number": index})
        if row["country"] and len(row["country"]) != 2:
            errors.append(
                _("Address %(number)s: the country is a two-letter code such as RU, FR or DE.")
                % {"number": index}
            )
        limits = {"street": 255, "city": 120, "postcode": 20, "region_name": 120}
        for key, limit in limits.items():
            if len(row[key]) > limit:
                errors.append(
                    _("Address %(number)s: %(field)s is longer than %(limit)s characters.")
                    % {"number": index, "field": key, "limit": limit}
                )
        cleaned.append(row)
    if errors:
        raise ValidationError({"addresses": errors})
    return cleaned


def _addresses_snapshot(company: Company) -> list[str]:
    return [str(a) for a in company.addresses.order_by("id")]


def _address_lines(rows: list[dict[str, str]]) -> list[str]:
    from accord.parties.models import Address

    return [str(Address(**row)) for row in rows]


def _replace_addresses(company: Company, rows: list[dict[str, str]]) -> None:
    from accord.parties.models import Address

    company.addresses.all().delete()
    Address.objects.bulk_create([Address(company=company, **row) for row in rows])


def _clean_tax_ids(fields: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    result = dict(fields)
    for name, cleaner in _TAX_CLEANERS.items():
        if name in result and result[name] is not None:
            try:
                result[name] = cleaner(str(result[name]))
            except ValidationError as exc:
                errors[name] = exc.messages
    if result.get("siret") and not result.get("siren"):
        result["siren"] = result["siret"][:9]
    if result.get("country"):
        result["country"] = str(result["country"]).strip().upper()
    if errors:
        raise ValidationError(errors)
    return result


def _replace_points(
    owner: Company | Contact, cleaned: list[tuple[str, ContactPointInput, str]]
) -> None:
    owner_field = "company" if isinstance(owner, Company) else "contact"
    ContactPoint.objects.filter(**{owner_field: owner}).delete()
    first_of_kind: set[str] = set()
    rows = []
    for kind, point, value in cleaned:
        rows.append(
            ContactPoint(
                kind=kind,
                label=point.label[:40],
                value=point.value.strip()[:254],
                normalized=value,
                is_primary=kind not in first_of_kind,
                **{owner_field: owner},
            )
        )
        first_of_kind.add(kind)
    ContactPoint.objects.bulk_create(rows)


def _points_snapshot(owner: Company | Contact) -> dict[str, list[str]]:
    snap: dict[str, list[str]] = {"phones": [], "emails": [], "messengers": []}
    for kind, value in owner.contact_points.order_by("id").values_list("kind", "normalized"):
        snap[{"phone": "phones", "email": "emails", "messenger": "messengers"}[kind]].append(value)
    return snap


def _set_tags(owner: Company | Contact, names: list[str]) -> None:
    existing = {t.name: t for t in Tag.objects.filter(name__in=names)}
    missing = [Tag(name=n) for n in names if n not in existing]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {t.name: t for t in Tag.objects.filter(name__in=names)}
    owner.tags.set(list(existing.values()))


def refresh_company_search(company: Company) -> None:
    points = list(company.contact_points.values_list("normalized", flat=True))
    digits = [p.lstrip("+") for p in points if p.startswith("+")]
    text = normalize.search_text(
        company.name,
        company.legal_name,
        company.inn,
        company.ogrn,
        company.siren,
        company.siret,
        company.vat_number,
        *points,
        *digits,
    )
    key = normalize.name_key(company.legal_name or company.name)
    Company.objects.filter(pk=company.pk).update(
        search_text=text, name_key=normalize.name_key(company.name) or key
    )
    company.search_text = text


def refresh_contact_search(contact: Contact) -> None:
    points = list(contact.contact_points.values_list("normalized", flat=True))
    digits = [p.lstrip("+") for p in points if p.startswith("+")]
    full_name = contact.compose_full_name()
    text = normalize.search_text(
        full_name, f"{contact.first_name} {contact.last_name}", contact.position, *points, *digits
    )
    Contact.objects.filter(pk=contact.pk).update(
        search_text=text,
        full_name=full_name,
        name_key=normalize.name_key(f"{contact.last_name} {contact.first_name}"),
    )
    contact.search_text = text
    contact.full_name = full_name


def _check_owner_change(actor: User, obj: Company | Contact, fields: dict[str, Any]) -> None:
    owner = fields.get("owner")
    if owner is not None and getattr(owner, "pk", owner) != getattr(obj, "owner_id", None):
        require(actor, Action.REASSIGN, obj)


def _points_as_lists(points: list[tuple[str, ContactPointInput, str]]) -> dict[str, list[str]]:
    snap: dict[str, list[str]] = {"phones": [], "emails": [], "messengers": []}
    for kind, _point, value in points:
        snap[{"phone": "phones", "email": "emails", "messenger": "messengers"}[kind]].append(value)
    return snap


def _tag_names(names: Iterable[str]) -> list[str]:
    return sorted({n.strip()[:60] for n in names if n and n.strip()})


def _collect(errors: dict[str, list[str]], func: Callable[[], Any]) -> Any:
    try:
        return func()
    except ValidationError as exc:
        errors.update(exc.message_dict)
        return None


def _reject_unknown(fields: dict[str, Any], allowed: Sequence[str]) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise ValidationError({name: [_("Unknown field.")] for name in sorted(unknown)})


@transaction.atomic
def company_create(
    *,
    actor: User,
    fields: dict[str, Any],
    phones: Sequence[Any] = (),
    emails: Sequence[Any] = (),
    tags: Sequence[str] = (),
    custom: dict[str, Any] | None = None,
    addresses: Sequence[dict[str, Any]] = (),
) -> Company:
    """Create a company; the actor owns it unless another owner is given (needs reassign)."""
    _reject_unknown(fields, COMPANY_FIELDS)
    errors: dict[str, list[str]] = {}
    fields = _collect(errors, lambda: _clean_tax_ids(fields)) or fields
    points = _collect(errors, lambda: clean_contact_points(phones=phones, emails=emails)) or []
    address_rows = _collect(errors, lambda: clean_addresses(addresses)) or []
    custom_values = _collect(errors, lambda: customfields.clean_values("company", custom)) or {}
    if errors:
        raise ValidationError(errors)
    company = Company(**{"owner": actor, **fields}, custom=custom_values)
    if company.owner_id != actor.pk:
        require(actor, Action.REASSIGN, company)
    tag_names = _tag_names(tags)
    record_create(
        obj=company,
        actor=actor,
        extra_values={
            **_points_as_lists(points),
            "tags": tag_names,
            "addresses": _address_lines(address_rows),
        },
    )
    _replace_points(company, points)
    _replace_addresses(company, address_rows)
    _set_tags(company, tag_names)
    refresh_company_search(company)
    return company


@transaction.atomic
def company_update(
    *,
    actor: User,
    company: Company,
    fields: dict[str, Any],
    expected_version: int | None = None,
    phones: Sequence[Any] | None = None,
    emails: Sequence[Any] | None = None,
    tags: Sequence[str] | None = None,
    custom: dict[str, Any] | None = None,
    addresses: Sequence[dict[str, Any]] | None = None,
) -> Company:
    """Change a company. ``None`` for phones/emails/tags/custom/addresses means "leave as is"; a stale
    ``expected_version`` raises ConflictError instead of overwriting someone else's edit."""
    _reject_unknown(fields, COMPANY_FIELDS)
    require(actor, Action.CHANGE, company)
    _check_owner_change(actor, company, fields)
    errors: dict[str, list[str]] = {}
    fields = _collect(errors, lambda: _clean_tax_ids(fields)) or fields
    current = _points_snapshot(company)
    points = None
    if phones is not None or emails is not None:
        points = _collect(
            errors,
            lambda: clean_contact_points(
                phones=phones if phones is not None else current["phones"],
                emails=emails if emails is not None else current["emails"],
            ),
        )
    if custom is not None:
        fields["custom"] = (
            _collect(errors, lambda: customfields.clean_values("company", custom)) or {}
        )
    address_rows = None
    if addresses is not None:
        address_rows = _collect(errors, lambda: clean_addresses(addresses))
    if errors:
        raise ValidationError(errors)
    before: dict[str, Any] = {
        **current,
        "tags": sorted(company.tags.values_list("name", flat=True)),
        "addresses": _addresses_snapshot(company),
    }
    after: dict[str, Any] = dict(before)
    if points is not None:
        after.update(_points_as_lists(points))
    if tags is not None:
        after["tags"] = _tag_names(tags)
    if address_rows is not None:
        after["addresses"] = _address_lines(address_rows)
    company, _changes = record_update(
        obj=company,
        data=fields,
        actor=actor,
        expected_version=expected_version,
        extra_changes=audit.diff(before, after),
    )
    if points is not None:
        _replace_points(company, points)
    if tags is not None:
        _set_tags(company, after["tags"])
    if address_rows is not None and after["addresses"] != before["addresses"]:
        _replace_addresses(company, address_rows)
    refresh_company_search(company)
    return company


@transaction.atomic
def company_delete(*, actor: User, company: Company, expected_version: int | None = None) -> None:
    """Delete a company. Its contacts stay (they may work elsewhere) but lose the link."""
    record_delete(obj=company, actor=actor, expected_version=expected_version)


def _clean_companies(actor: User, companies: Sequence[Any] | None) -> list[Company]:
    """Resolve the companies a contact is linked to; invisible ones are refused like missing."""
    from accord.parties.selectors import companies_visible_to

    if not companies:
        return []
    ids = [getattr(c, "pk", c) for c in companies]
    found = {c.pk: c for c in companies_visible_to(actor).filter(pk__in=ids)}
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise ValidationError(
            {"companies": [_("Company not found: %(ids)s.") % {"ids": ", ".join(missing)}]}
        )
    return [found[i] for i in ids]


def _set_employments(contact: Contact, companies: list[Company]) -> None:
    keep = {c.pk for c in companies}
    contact.employments.exclude(company_id__in=keep).delete()
    existing = set(contact.employments.values_list("company_id", flat=True))
    Employment.objects.bulk_create(
        [
            Employment(contact=contact, company=c, position=contact.position, is_primary=(i == 0))
            for i, c in enumerate(companies)
            if c.pk not in existing
        ]
    )
    if companies:
        contact.employments.exclude(company_id=companies[0].pk).update(is_primary=False)
        contact.employments.filter(company_id=companies[0].pk).update(is_primary=True)


@transaction.atomic
def contact_create(
    *,
    actor: User,
    fields: dict[str, Any],
    companies: Sequence[Any] = (),
    phones: Sequence[Any] = (),
    emails: Sequence[Any] = (),
    messengers: Sequence[Any] = (),
    tags: Sequence[str] = (),
    custom: dict[str, Any] | None = None,
) -> Contact:
    """Create a person. The first company is the primary one; a contact created from a client
    card inherits that company's owner and team unless told otherwise."""
    _reject_unknown(fields, CONTACT_FIELDS)
    errors: dict[str, list[str]] = {}
    linked = _collect(errors, lambda: _clean_companies(actor, companies)) or []
    points = (
        _collect(
            errors,
            lambda: clean_contact_points(phones=phones, emails=emails, messengers=messengers),
        )
        or []
    )
    custom_values = _collect(errors, lambda: customfields.clean_values("contact", custom)) or {}
    if errors:
        raise ValidationError(errors)
    defaults: dict[str, Any] = {"owner": actor}
    if linked:
        defaults.update(primary_company=linked[0], team=linked[0].team)
    contact = Contact(**{**defaults, **fields}, custom=custom_values)
    if contact.owner_id != actor.pk:
        require(actor, Action.REASSIGN, contact)
    contact.full_name = contact.compose_full_name()
    tag_names = _tag_names(tags)
    record_create(
        obj=contact,
        actor=actor,
        extra_values={
            **_points_as_lists(points),
            "tags": tag_names,
            "companies": [c.pk for c in linked],
        },
    )
    _set_employments(contact, linked)
    _replace_points(contact, points)
    _set_tags(contact, tag_names)
    refresh_contact_search(contact)
    return contact


@transaction.atomic
def contact_update(
    *,
    actor: User,
    contact: Contact,
    fields: dict[str, Any],
    expected_version: int | None = None,
    companies: Sequence[Any] | None = None,
    phones: Sequence[Any] | None = None,
    emails: Sequence[Any] | None = None,
    messengers: Sequence[Any] | None = None,
    tags: Sequence[str] | None = None,
    custom: dict[str, Any] | None = None,
) -> Contact:
    """Change a person; ``None`` for a list means "leave as is"."""
    _reject_unknown(fields, CONTACT_FIELDS)
    require(actor, Action.CHANGE, contact)
    _check_owner_change(actor, contact, fields)
    errors: dict[str, list[str]] = {}
    current = _points_snapshot(contact)
    points = None
    if phones is not None or emails is not None or messengers is not None:
        points = _collect(
            errors,
            lambda: clean_contact_points(
                phones=phones if phones is not None else current["phones"],
                emails=emails if emails is not None else current["emails"],
                messengers=messengers if messengers is not None else current["messengers"],
            ),
        )
    linked = None
    if companies is not None:
        linked = _collect(errors, lambda: _clean_companies(actor, companies))
        if linked is not None:
            fields["primary_company"] = linked[0] if linked else None
    if custom is not None:
        fields["custom"] = (
            _collect(errors, lambda: customfields.clean_values("contact", custom)) or {}
        )
    if errors:
        raise ValidationError(errors)
    before: dict[str, Any] = {
        **current,
        "tags": sorted(contact.tags.values_list("name", flat=True)),
        "companies": sorted(contact.employments.values_list("company_id", flat=True)),
    }
    after: dict[str, Any] = dict(before)
    if points is not None:
        after.update(_points_as_lists(points))
    if tags is not None:
        after["tags"] = _tag_names(tags)
    if linked is not None:
        after["companies"] = sorted(c.pk for c in linked)
    contact, _changes = record_update(
        obj=contact,
        data=fields,
        actor=actor,
        expected_version=expected_version,
        extra_changes=audit.diff(before, after),
    )
    if points is not None:
        _replace_points(contact, points)
    if tags is not None:
        _set_tags(contact, after["tags"])
    if linked is not None:
        _set_employments(contact, linked)
    refresh_contact_search(contact)
    return contact


@transaction.atomic
def contact_delete(*, actor: User, contact: Contact, expected_version: int | None = None) -> None:
    record_delete(obj=contact, actor=actor, expected_version=expected_version)


# Other apps (activities, later deals) register what moves along with a client (M2).
# Each hook gets (actor, from_user, to_user, company_ids) and returns {label: count}.
ReassignHook = Callable[[User, User, User, list[int]], dict[str, int]]
REASSIGN_HOOKS: list[ReassignHook] = []


@dataclass
class ReassignResult:
    companies: int
    contacts: int
    related: dict[str, int]


@transaction.atomic
def clients_reassign(
    *,
    actor: User,
    from_user: User,
    to_user: User,
    company_ids: Sequence[int] | None = None,
) -> ReassignResult:
    """Hand a manager's clients to another (M2): the companies, their contacts owned by the
    same manager, and (through hooks) open activities and deals. One audit entry per record."""
    from accord.parties.selectors import companies_visible_to

    if from_user.pk == to_user.pk:
        raise ValidationError({"to_user": [_("Choose a different user to hand the clients to.")]})
    if not to_user.is_active:
        raise ValidationError({"to_user": [_("This user is deactivated.")]})
    companies = companies_visible_to(actor, Action.REASSIGN).filter(owner=from_user)
    if company_ids is not None:
        companies = companies.filter(pk__in=list(company_ids))
    ids = list(companies.select_for_update().values_list("pk", flat=True))
    if company_ids is not None and len(ids) != len(set(company_ids)):
        raise ValidationError(
            {
                "companies": [
                    _(
                        "Some of the chosen companies are not owned by this user or not yours to reassign."
                    )
                ]
            }
        )
    entries = []
    now = timezone.now()
    change = {"owner_id": [from_user.pk, to_user.pk]}
    for company in Company.objects.filter(pk__in=ids).only("pk", "name"):
        entries.append(
            audit.build(actor=actor, action=AuditEntry.Kind.REASSIGN, obj=company, changes=change)
        )
    Company.objects.filter(pk__in=ids).update(
        owner=to_user, version=F("version") + 1, updated_at=now
    )
    contacts = Contact.objects.filter(owner=from_user, employments__company_id__in=ids).distinct()
    contact_ids = list(contacts.values_list("pk", flat=True))
    for contact in Contact.objects.filter(pk__in=contact_ids).only(
        "pk", "full_name", "primary_company_id"
    ):
        entries.append(
            audit.build(
                actor=actor,
                action=AuditEntry.Kind.REASSIGN,
                obj=contact,
                changes=change,
                related=Company(pk=contact.primary_company_id)
                if contact.primary_company_id
                else None,
            )
        )
    Contact.objects.filter(pk__in=contact_ids).update(
        owner=to_user, version=F("version") + 1, updated_at=now
    )
    audit.record_many(entries)
    related: dict[str, int] = {}
    for hook in REASSIGN_HOOKS:
        related.update(hook(actor, from_user, to_user, ids))
    return ReassignResult(companies=len(ids), contacts=len(contact_ids), related=related)
