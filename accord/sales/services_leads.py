"""Writes to leads (K6, K2): entry from every channel, qualification, conversion (one step).

Every path (web forms, the API, later imports and web forms) comes here, so a phone typed as
"8 (351) 123-45-67" or an e-mail in capitals is stored the same way as on companies and
contacts, and the duplicate check compares like with like.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accord.core import audit
from accord.core.models import AuditEntry, User
from accord.core.permissions import Action, allows, require
from accord.core.records import record_delete, record_update
from accord.parties import normalize
from accord.parties import services as party_services
from accord.parties.models import Company, Contact
from accord.parties.selectors import companies_visible_to, contacts_visible_to
from accord.sales import assignment
from accord.sales.models import Deal, Lead, Pipeline
from accord.sales.selectors_leads import lead_name_key, split_person_name

LEAD_FIELDS = (
    "full_name",
    "company_name",
    "position",
    "email",
    "phone",
    "inn",
    "country",
    "city",
    "region",
    "source",
    "campaign",
    "description",
    "estimated_amount",
    "currency",
    "owner",
    "team",
)
OPEN_STATUSES = (
    Lead.Status.NEW,
    Lead.Status.CONTACTED,
    Lead.Status.QUALIFIED,
    Lead.Status.UNQUALIFIED,
)
# Qualification moves a user may make; "converted" is reached only through lead_convert.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    Lead.Status.NEW: (Lead.Status.CONTACTED, Lead.Status.QUALIFIED, Lead.Status.UNQUALIFIED),
    Lead.Status.CONTACTED: (Lead.Status.NEW, Lead.Status.QUALIFIED, Lead.Status.UNQUALIFIED),
    Lead.Status.QUALIFIED: (Lead.Status.CONTACTED, Lead.Status.UNQUALIFIED),
    Lead.Status.UNQUALIFIED: (Lead.Status.NEW, Lead.Status.CONTACTED, Lead.Status.QUALIFIED),
    Lead.Status.CONVERTED: (),
}


def _reject_unknown(fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(LEAD_FIELDS)
    if unknown:
        raise ValidationError({name: [_("Unknown field.")] for name in sorted(unknown)})


def _converted_refusal() -> ValidationError:
    return ValidationError(
        {
            "status": [
                _(
                    "This lead has already been converted; change the company, contact or deal "
                    "it became instead."
                )
            ]
        }
    )


def clean_lead_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """Normalise what was typed with the parties' rules; errors name the field typed into."""
    result = dict(fields)
    errors: dict[str, list[str]] = {}
    for name in ("full_name", "company_name", "position", "city", "campaign"):
        if name in result and result[name] is not None:
            result[name] = " ".join(str(result[name]).split())
    cleaners = (
        ("email", normalize.normalize_email),
        ("phone", normalize.normalize_phone),
        ("inn", normalize.clean_inn),
    )
    for name, cleaner in cleaners:
        if name not in result:
            continue
        raw = str(result[name] or "").strip()
        if not raw:
            result[name] = ""
            continue
        try:
            result[name] = cleaner(raw)
        except ValidationError as exc:
            errors[name] = exc.messages
    if "country" in result:
        result["country"] = str(result["country"] or "").strip().upper()
        if result["country"] and len(result["country"]) != 2:
            errors["country"] = [_("The country is a two-letter code such as RU, FR or DE.")]
    amount = result.get("estimated_amount")
    if amount is not None and Decimal(str(amount)) < 0:
        errors["estimated_amount"] = [_("The amount cannot be negative.")]
    if errors:
        raise ValidationError(errors)
    return result


def _check_name(lead: Lead) -> None:
    if not (lead.full_name or lead.company_name):
        raise ValidationError(
            {"full_name": [_("Enter the person's name or the organisation's name.")]}
        )


@transaction.atomic
def lead_create(
    *,
    actor: User,
    fields: dict[str, Any],
    channel: str = Lead.Channel.MANUAL,
    assign_automatically: bool = True,
) -> Lead:
    """Record a new lead from any channel.

    When the caller does not choose the owner (``owner`` absent from ``fields``) and
    ``assign_automatically`` is on, the assignment rules pick one; the rule is named in the
    lead's audit entry. Otherwise the actor owns it (another owner needs the reassign right).
    """
    _reject_unknown(fields)
    if channel not in Lead.Channel.values:
        raise ValidationError({"channel": [_("Unknown channel.")]})
    require(actor, Action.ADD, Lead)
    cleaned = clean_lead_fields(fields)
    explicit_owner = cleaned.get("owner")
    lead = Lead(**{**cleaned, "owner": explicit_owner or actor}, channel=channel)
    lead.name_key = lead_name_key(full_name=lead.full_name, company_name=lead.company_name)
    _check_name(lead)
    if explicit_owner is not None and explicit_owner.pk != actor.pk:
        require(actor, Action.REASSIGN, lead)
    message = ""
    if explicit_owner is None and assign_automatically:
        chosen = assignment.choose_assignment(lead)
        if chosen is not None:
            lead.owner = chosen.owner
            if lead.team_id is None and chosen.rule.team_id is not None:
                lead.team_id = chosen.rule.team_id
            message = _("Assigned by the rule “%(rule)s”.") % {"rule": chosen.rule.name}
    lead.full_clean()
    lead.save()
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.CREATE,
        obj=lead,
        changes={
            k: [None, v]
            for k, v in audit.snapshot(lead).items()
            if v not in (None, "", [], {}, False) and k != "name_key"
        },
        message=message,
    )
    return lead


@transaction.atomic
def lead_update(
    *,
    actor: User,
    lead: Lead,
    fields: dict[str, Any],
    expected_version: int | None = None,
) -> Lead:
    """Change a lead's facts; a converted lead is refused (its data now lives on the company,
    contact and deal). A stale ``expected_version`` raises ConflictError."""
    _reject_unknown(fields)
    require(actor, Action.CHANGE, lead)
    if lead.status == Lead.Status.CONVERTED:
        raise _converted_refusal()
    owner = fields.get("owner")
    if owner is not None and owner.pk != lead.owner_id:
        require(actor, Action.REASSIGN, lead)
    cleaned = clean_lead_fields(fields)
    merged = {
        "full_name": cleaned.get("full_name", lead.full_name),
        "company_name": cleaned.get("company_name", lead.company_name),
    }
    if not (merged["full_name"] or merged["company_name"]):
        raise ValidationError(
            {"full_name": [_("Enter the person's name or the organisation's name.")]}
        )
    cleaned["name_key"] = lead_name_key(**merged)
    updated, _changes = record_update(
        obj=lead, data=cleaned, actor=actor, expected_version=expected_version
    )
    return updated


@transaction.atomic
def lead_delete(*, actor: User, lead: Lead, expected_version: int | None = None) -> None:
    """Delete a lead; deals it became keep their data (the link is cleared)."""
    record_delete(obj=lead, actor=actor, expected_version=expected_version)


@transaction.atomic
def lead_set_status(
    *,
    actor: User,
    lead: Lead,
    status: str,
    unqualified_reason: str = "",
    expected_version: int | None = None,
) -> Lead:
    """Move a lead through qualification (new → contacted → qualified / not qualified).

    "Not qualified" needs a reason (refusal analysis, K7); leaving it clears the reason.
    "Converted" is reached only by converting, and a converted lead does not move again."""
    require(actor, Action.CHANGE, lead)
    if lead.status == Lead.Status.CONVERTED:
        raise _converted_refusal()
    if status == Lead.Status.CONVERTED:
        raise ValidationError({"status": [_("A lead becomes converted only by converting it.")]})
    if status not in Lead.Status.values:
        raise ValidationError({"status": [_("Unknown status.")]})
    if status != lead.status and status not in TRANSITIONS[lead.status]:
        raise ValidationError(
            {
                "status": [
                    _("A lead cannot go from “%(from)s” to “%(to)s”.")
                    % {"from": lead.get_status_display(), "to": Lead.Status(status).label}
                ]
            }
        )
    reason = " ".join((unqualified_reason or "").split())
    if status == Lead.Status.UNQUALIFIED and not reason:
        raise ValidationError({"unqualified_reason": [_("Say why the lead is not qualified.")]})
    data = {
        "status": status,
        "unqualified_reason": reason if status == Lead.Status.UNQUALIFIED else "",
    }
    updated, _changes = record_update(
        obj=lead, data=data, actor=actor, expected_version=expected_version
    )
    return updated


# --- conversion -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Conversion:
    lead: Lead
    company: Company
    contact: Contact | None
    deal: Deal | None
    company_created: bool
    contact_created: bool


def _company_for_conversion(
    *, actor: User, lead: Lead, company: Company | None, company_name: str
) -> tuple[Company, bool]:
    """The chosen visible company, the visible one with the lead's INN, or a new one."""
    visible = companies_visible_to(actor)
    if company is not None:
        found = visible.filter(pk=company.pk).first()
        if found is None:
            raise ValidationError({"company": [_("Company not found.")]})
        return found, False
    if lead.inn:
        visible_same_inn = visible.filter(inn=lead.inn).order_by("pk").first()
        if visible_same_inn is not None:
            return visible_same_inn, False
        same_inn = Company.objects.filter(inn=lead.inn, kpp="").select_related("owner").first()
        if same_inn is not None:
            raise ValidationError(
                {
                    "company": [
                        _(
                            "A company with INN %(inn)s already exists and belongs to %(owner)s. "
                            "Ask them or your head of sales before converting this lead."
                        )
                        % {"inn": lead.inn, "owner": same_inn.owner}
                    ]
                }
            )
    name = " ".join((company_name or lead.company_name or lead.full_name).split())
    if not name:
        raise ValidationError({"company_name": [_("Enter the company's name.")]})
    created = party_services.company_create(
        actor=actor,
        fields={
            "name": name,
            "inn": lead.inn,
            "region": lead.region,
            "source": lead.source,
            "country": lead.country,
            "team": lead.team,
        },
        phones=[lead.phone] if lead.phone and not lead.full_name else [],
        emails=[lead.email] if lead.email and not lead.full_name else [],
    )
    return created, True


def _contact_for_conversion(
    *,
    actor: User,
    lead: Lead,
    company: Company,
    contact: Contact | None,
    create_contact: bool,
    last_name: str,
    first_name: str,
) -> tuple[Contact | None, bool]:
    """The chosen visible contact (linked to the company when the actor may change it), or a
    new contact at the company, or none (an organisation-only lead)."""
    if contact is not None:
        found = contacts_visible_to(actor).filter(pk=contact.pk).first()
        if found is None:
            raise ValidationError({"contact": [_("Contact not found.")]})
        linked = list(found.employments.values_list("company_id", flat=True))
        if company.pk not in linked and allows(actor, Action.CHANGE, found):
            visible_links = list(
                companies_visible_to(actor).filter(pk__in=linked).values_list("pk", flat=True)
            )
            found = party_services.contact_update(
                actor=actor, contact=found, fields={}, companies=[*visible_links, company.pk]
            )
        return found, False
    if not create_contact:
        return None, False
    if last_name.strip() or first_name.strip():
        last, first = " ".join(last_name.split()), " ".join(first_name.split())
    else:
        last, first = split_person_name(lead.full_name)
    if not (last or first):
        return None, False
    created = party_services.contact_create(
        actor=actor,
        fields={"last_name": last, "first_name": first, "position": lead.position},
        companies=[company],
        phones=[lead.phone] if lead.phone else [],
        emails=[lead.email] if lead.email else [],
    )
    return created, True


@transaction.atomic
def lead_convert(
    *,
    actor: User,
    lead: Lead,
    company: Company | None = None,
    company_name: str = "",
    contact: Contact | None = None,
    create_contact: bool = True,
    contact_last_name: str = "",
    contact_first_name: str = "",
    create_deal: bool = True,
    deal_name: str = "",
    amount: Decimal | None = None,
    currency: str | None = None,
    pipeline: Pipeline | None = None,
    expected_version: int | None = None,
) -> Conversion:
    """Turn a lead into a client in one step (K2): company, contact and (optionally) a deal.

    Existing records are reused when the user picks them among the matches (only ones they
    may see), and a company with the lead's INN is always reused rather than duplicated.
    Creating needs the add permission on what is created. One transaction: if any part is
    refused (a bad deal amount, a missing permission), nothing is written.
    """
    require(actor, Action.CHANGE, lead)
    locked = Lead.objects.select_for_update().get(pk=lead.pk)
    if locked.status == Lead.Status.CONVERTED:
        raise _converted_refusal()
    if expected_version is not None and expected_version != locked.version:
        from accord.core.errors import ConflictError

        raise ConflictError(locked.version)
    if amount is not None and amount < 0:
        raise ValidationError({"amount": [_("The amount cannot be negative.")]})
    client, company_created = _company_for_conversion(
        actor=actor, lead=locked, company=company, company_name=company_name
    )
    person, contact_created = _contact_for_conversion(
        actor=actor,
        lead=locked,
        company=client,
        contact=contact,
        create_contact=create_contact,
        last_name=contact_last_name,
        first_name=contact_first_name,
    )
    deal = None
    if create_deal:
        from accord.sales.services_deals import deal_create

        if not allows(actor, Action.ADD, Deal):
            raise PermissionDenied(_("You do not have permission to create deals."))
        deal = deal_create(
            actor=actor,
            company=client,
            name=" ".join((deal_name or str(locked)).split())[:255],
            amount=amount if amount is not None else (locked.estimated_amount or Decimal("0")),
            currency=currency or locked.currency or None,
            pipeline=pipeline,
            source=locked.source,
            campaign=locked.campaign,
            lead=locked,
            contacts=(person,) if person is not None else (),
        )
    converted, _changes = record_update(
        obj=locked,
        data={
            "status": Lead.Status.CONVERTED,
            "converted_at": timezone.now(),
            "converted_company": client,
            "converted_contact": person,
            "converted_deal": deal,
        },
        actor=actor,
    )
    return Conversion(
        lead=converted,
        company=client,
        contact=person,
        deal=deal,
        company_created=company_created,
        contact_created=contact_created,
    )
