"""Reads of leads, always scoped to what the user may see (rule 2), and the duplicate check
of a lead about to be entered against leads, companies and contacts (D6)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from rapidfuzz import fuzz

from accord.core.permissions import Action, allows, restrict
from accord.parties import normalize
from accord.parties.duplicates import (
    NAME_SIMILARITY,
    Duplicate,
    find_company_duplicates,
    find_contact_duplicates,
)
from accord.sales.models import Lead


def leads_visible_to(user: Any, action: str = Action.VIEW) -> QuerySet[Lead]:
    return restrict(Lead.objects.all(), user, action)


def get_lead_for(user: Any, pk: Any, action: str = Action.VIEW) -> Lead:
    """The same 404 for a lead that does not exist and one the user may not touch."""
    try:
        return (
            leads_visible_to(user, action)
            .select_related(
                "owner",
                "team",
                "region",
                "source",
                "converted_company",
                "converted_contact",
                "converted_deal",
            )
            .get(pk=int(pk))
        )
    except (Lead.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def lead_name_key(*, full_name: str, company_name: str) -> str:
    """The key leads are compared by: the organisation when there is one, else the person."""
    return normalize.name_key(company_name or full_name)


def split_person_name(full_name: str) -> tuple[str, str]:
    """(last name, first name) from what was typed in one box.

    Cyrillic names are usually written "Фамилия Имя [Отчество]", Latin ones "First Last";
    the conversion screen shows the guess so the user can correct it."""
    words = full_name.split()
    if not words:
        return "", ""
    if len(words) == 1:
        return words[0], ""
    is_cyrillic = any("а" <= ch.lower() <= "я" or ch.lower() == "ё" for ch in full_name)
    if is_cyrillic:
        return words[0], words[1]
    return words[-1], " ".join(words[:-1])


@dataclass
class LeadDuplicate:
    """Another lead that looks like the one being entered (same shape as parties' Duplicate)."""

    obj: Lead
    reasons: list[str] = field(default_factory=list)
    visible: bool = True
    score: float = 0.0

    @property
    def owner_name(self) -> str:
        return str(self.obj.owner)


@dataclass
class LeadDuplicates:
    leads: list[LeadDuplicate]
    companies: list[Duplicate]
    contacts: list[Duplicate]

    def __bool__(self) -> bool:
        return bool(self.leads or self.companies or self.contacts)


def _clean_or_empty(cleaner: Any, raw: str) -> str:
    try:
        return str(cleaner(raw)) if raw and raw.strip() else ""
    except ValidationError:
        return ""


def find_lead_duplicates_among_leads(
    *,
    user: Any,
    full_name: str = "",
    company_name: str = "",
    email: str = "",
    phone: str = "",
    inn: str = "",
    exclude_pk: int | None = None,
    limit: int = 10,
) -> list[LeadDuplicate]:
    """Leads with the same e-mail, phone or INN, or a similar name in any script."""
    found: dict[int, LeadDuplicate] = {}

    def add(lead: Lead, reason: str, score: float = 100.0) -> None:
        entry = found.setdefault(lead.pk, LeadDuplicate(obj=lead))
        if reason not in entry.reasons:
            entry.reasons.append(reason)
        entry.score = max(entry.score, score)

    base = Lead.objects.select_related("owner")
    if exclude_pk:
        base = base.exclude(pk=exclude_pk)
    exact = (
        ("email", _clean_or_empty(normalize.normalize_email, email), _("same e-mail")),
        ("phone", _clean_or_empty(normalize.normalize_phone, phone), _("same phone")),
        ("inn", _clean_or_empty(normalize.clean_inn, inn), _("same INN")),
    )
    for field_name, value, reason in exact:
        if value:
            for lead in base.filter(**{field_name: value})[:limit]:
                add(lead, reason)
    key = lead_name_key(full_name=full_name, company_name=company_name)
    if len(key) >= 3:
        candidates = base.filter(Q(name_key=key) | Q(name_key__startswith=key[:5]))[:200]
        for lead in candidates:
            score = fuzz.ratio(key, lead.name_key)
            if score >= NAME_SIMILARITY:
                add(lead, _("similar name"), score)
    result = sorted(found.values(), key=lambda d: (-len(d.reasons), -d.score))[:limit]
    for duplicate in result:
        duplicate.visible = allows(user, Action.VIEW, duplicate.obj)
    return result


def find_contact_matches(
    *, user: Any, full_name: str = "", email: str = "", phone: str = "", limit: int = 10
) -> list[Duplicate]:
    """Contacts matching a lead's person: e-mail, phone, or the name in either word order."""
    last, first = split_person_name(full_name)
    phones = [phone] if phone else []
    emails = [email] if email else []
    found = find_contact_duplicates(
        user=user, first_name=first, last_name=last, phones=phones, emails=emails, limit=limit
    )
    if first:
        seen = {d.obj.pk for d in found}
        swapped = find_contact_duplicates(user=user, first_name=last, last_name=first, limit=limit)
        found += [d for d in swapped if d.obj.pk not in seen]
    return found[:limit]


def find_lead_duplicates(
    *,
    user: Any,
    full_name: str = "",
    company_name: str = "",
    email: str = "",
    phone: str = "",
    inn: str = "",
    exclude_pk: int | None = None,
) -> LeadDuplicates:
    """Everything a new lead may collide with, shown before saving (D6). Records the user may
    not see are flagged ``visible=False`` and shown without details, like parties does."""
    phones = [phone] if phone else []
    emails = [email] if email else []
    companies: list[Duplicate] = []
    if company_name or inn or phones or emails:
        companies = find_company_duplicates(
            user=user, name=company_name, inn=inn, phones=phones, emails=emails
        )
    contacts: list[Duplicate] = []
    if full_name or phones or emails:
        contacts = find_contact_matches(user=user, full_name=full_name, email=email, phone=phone)
    return LeadDuplicates(
        leads=find_lead_duplicates_among_leads(
            user=user,
            full_name=full_name,
            company_name=company_name,
            email=email,
            phone=phone,
            inn=inn,
            exclude_pk=exclude_pk,
        ),
        companies=companies,
        contacts=contacts,
    )
