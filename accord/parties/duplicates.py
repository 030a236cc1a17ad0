"""Likely duplicates shown before saving (D6).

Candidates come from indexed columns (tax ids, normalised phones and e-mails, the
transliterated ``name_key`` prefix); names are scored by the matching engine
(:mod:`accord.dedup.matching`: legal forms dropped, several transliteration schemes, phonetic
folding, rapidfuzz), the same one the import and the whole-base scan use. Records the user may
not see are reported without their details, so two managers still learn they would collide.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from accord.core.permissions import allows
from accord.dedup import matching
from accord.parties import normalize
from accord.parties.models import Company, Contact, ContactPoint

NAME_SIMILARITY = matching.NAME_SIMILARITY


@dataclass
class Duplicate:
    obj: Company | Contact
    reasons: list[str] = field(default_factory=list)
    visible: bool = True
    score: float = 0.0

    @property
    def owner_name(self) -> str:
        return str(self.obj.owner)


def _points(phones: Sequence[str], emails: Sequence[str]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for raw in phones:
        try:
            found.append((ContactPoint.Kind.PHONE, normalize.normalize_phone(raw)))
        except ValidationError:
            pass
    for raw in emails:
        try:
            found.append((ContactPoint.Kind.EMAIL, normalize.normalize_email(raw)))
        except ValidationError:
            pass
    return found


def _add(found: dict[int, Duplicate], obj: Any, reason: str, score: float = 100.0) -> None:
    entry = found.setdefault(obj.pk, Duplicate(obj=obj))
    if reason not in entry.reasons:
        entry.reasons.append(reason)
    entry.score = max(entry.score, score)


def _name_candidates(
    model: type[Company] | type[Contact], key: str, exclude_pk: int | None
) -> list[Any]:
    if len(key) < 3:
        return []
    queryset = model.objects.filter(
        Q(name_key=key) | Q(name_key__startswith=key[:5])
    ).select_related("owner")
    if exclude_pk:
        queryset = queryset.exclude(pk=exclude_pk)
    return list(queryset[:200])


def find_company_duplicates(
    *,
    user: Any,
    name: str = "",
    inn: str = "",
    siren: str = "",
    vat_number: str = "",
    phones: Sequence[str] = (),
    emails: Sequence[str] = (),
    exclude_pk: int | None = None,
    limit: int = 10,
) -> list[Duplicate]:
    found: dict[int, Duplicate] = {}
    base = Company.objects.select_related("owner")
    if exclude_pk:
        base = base.exclude(pk=exclude_pk)
    for field_name, raw, cleaner, label in (
        ("inn", inn, normalize.clean_inn, _("same INN")),
        ("siren", siren, normalize.clean_siren, _("same SIREN")),
        ("vat_number", vat_number, normalize.clean_vat, _("same VAT number")),
    ):
        try:
            value = cleaner(raw) if raw else ""
        except ValidationError:
            value = ""
        if value:
            for company in base.filter(**{field_name: value})[:limit]:
                _add(found, company, label)
    for kind, value in _points(phones, emails):
        for company in base.filter(contact_points__kind=kind, contact_points__normalized=value)[
            :limit
        ]:
            _add(found, company, _("same phone") if kind == "phone" else _("same e-mail"))
    key = normalize.name_key(name)
    forms = matching.company_name_forms(name)
    for company in _name_candidates(Company, key, exclude_pk):
        score = matching.name_similarity(forms, matching.company_name_forms(company.name))
        if score >= NAME_SIMILARITY:
            _add(found, company, _("similar name"), score)
    return _finish(found, user, limit)


def find_contact_duplicates(
    *,
    user: Any,
    first_name: str = "",
    last_name: str = "",
    phones: Sequence[str] = (),
    emails: Sequence[str] = (),
    exclude_pk: int | None = None,
    limit: int = 10,
) -> list[Duplicate]:
    found: dict[int, Duplicate] = {}
    base = Contact.objects.select_related("owner", "primary_company")
    if exclude_pk:
        base = base.exclude(pk=exclude_pk)
    for kind, value in _points(phones, emails):
        for contact in base.filter(contact_points__kind=kind, contact_points__normalized=value)[
            :limit
        ]:
            _add(found, contact, _("same phone") if kind == "phone" else _("same e-mail"))
    key = normalize.name_key(f"{last_name} {first_name}")
    forms = matching.person_name_forms(last_name, first_name)
    for contact in _name_candidates(Contact, key, exclude_pk):
        score = matching.name_similarity(
            forms, matching.person_name_forms(contact.last_name, contact.first_name)
        )
        if score >= NAME_SIMILARITY:
            _add(found, contact, _("similar name"), score)
    return _finish(found, user, limit)


def _finish(found: dict[int, Duplicate], user: Any, limit: int) -> list[Duplicate]:
    result = sorted(found.values(), key=lambda d: (-len(d.reasons), -d.score))[:limit]
    for duplicate in result:
        duplicate.visible = allows(user, "view", duplicate.obj)
    return result
