"""Search of companies and contacts by name (any script), phone in any format, e-mail or tax id.

``text_match`` is the one place that knows how each database searches fast at a million rows;
the global search box and the ``q`` filter of the lists both call it (D2).

- SQLite: FTS5 trigram tables ``parties_company_fts`` / ``parties_contact_fts`` (migration 0002).
- PostgreSQL: ``LIKE '%…%'`` on ``search_text``, served by a pg_trgm GIN index.
- Both: a prefix range on the indexed ``name_key`` (transliterated, spelling-folded name), so
  "chelyab" finds "Челябэнергопроект" although unidecode spells it "cheliab…"; and exact
  look-ups of phones / e-mails on the (kind, normalized) index of contact points.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from accord.core.permissions import Action, ordered_scan
from accord.parties.models import Company, Contact, ContactPoint
from accord.parties.normalize import latin, name_key, phone_for_search
from accord.parties.selectors import companies_visible_to

FTS_LIMIT = 500
_PHONE_LIKE = re.compile(r"[\d\s()+\-./]+")
# model -> (FTS table, contact-point owner column)
_TARGETS: dict[type[Any], tuple[str, str]] = {
    Company: ("parties_company_fts", "company_id"),
    Contact: ("parties_contact_fts", "contact_id"),
}


def _terms(query: str) -> list[str]:
    """The strings to look for in ``search_text``: as typed (lower-cased) and transliterated."""
    text = " ".join(query.lower().split())
    if _PHONE_LIKE.fullmatch(text):
        digits = re.sub(r"\D", "", text)
        return [digits] if digits else []
    return list(dict.fromkeys(t for t in (text, latin(text)) if t))


def _fts_string(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _substring_q(model: type[Any], terms: list[str]) -> Q:
    table, _owner = _TARGETS[model]
    long_terms = [t for t in terms if len(t) >= 3]
    q = Q()
    if long_terms:
        if connection.vendor == "sqlite":
            fts_query = " OR ".join(_fts_string(t) for t in long_terms)
            # The table name comes from _TARGETS, never from input; the query is a parameter.
            sql = f"SELECT rowid FROM {table} WHERE {table} MATCH %s LIMIT {FTS_LIMIT}"  # noqa: S608
            q |= Q(pk__in=RawSQL(sql, [fts_query]))  # noqa: S611
        else:
            for term in long_terms:
                q |= Q(search_text__contains=term)
    return q


_KEY_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def _prefix_q(key: str) -> Q:
    """``name_key`` starts with ``key``, as an index range.

    name_key holds only [0-9a-z], whose order is the same under the C collation and the
    usual locale collations, so the upper bound is the next key in that alphabet (no
    sentinel character that a locale collation might ignore).
    """
    if set(key) - set(_KEY_ALPHABET):
        return Q(name_key__startswith=key)
    stem = key.rstrip(_KEY_ALPHABET[-1])
    if not stem:
        return Q(name_key__gte=key)
    upper = stem[:-1] + _KEY_ALPHABET[_KEY_ALPHABET.index(stem[-1]) + 1]
    return Q(name_key__gte=key, name_key__lt=upper)


def text_match(queryset: QuerySet[Any], query: str) -> QuerySet[Any]:
    """Narrow a company or contact queryset to rows matching what a person typed."""
    model = queryset.model
    _table, owner_column = _TARGETS[model]
    terms = _terms(query)
    if not terms:
        return queryset.none()
    q = _substring_q(model, terms)
    # Trigram indexes need three characters; shorter queries match the start of the name
    # through the indexed name_key range (any script, spelling-folded) instead.
    key = name_key(query)
    if key:
        q |= _prefix_q(key)
    phone = phone_for_search(query)
    if phone:
        owners = ContactPoint.objects.filter(kind=ContactPoint.Kind.PHONE, normalized=phone)
        q |= Q(pk__in=owners.values(owner_column))
    text = query.strip().lower()
    if "@" in text:
        owners = ContactPoint.objects.filter(kind=ContactPoint.Kind.EMAIL, normalized=text)
        q |= Q(pk__in=owners.values(owner_column))
    if model is Company and connection.vendor != "sqlite":
        # Exact tax ids use the partial indexes on PostgreSQL. SQLite cannot prove that
        # "inn = ?" implies the partial index condition (it would scan the table); there the
        # trigram table already holds every tax id of search_text.
        tax_id = re.sub(r"[\s\-.]", "", query).upper()
        if re.fullmatch(r"\d{9,15}", tax_id):
            q |= Q(inn=tax_id) | Q(siren=tax_id) | Q(siret=tax_id) | Q(ogrn=tax_id)
        elif re.fullmatch(r"[A-Z]{2}\d[0-9A-Z]{1,12}", tax_id):
            q |= Q(vat_number=tax_id)
    if not q:
        return queryset.none()
    return queryset.filter(q)


@dataclass
class SearchHit:
    label: str
    url: str
    kind: str
    secondary: str = ""


@dataclass
class SearchResults:
    query: str
    companies: list[SearchHit] = field(default_factory=list)
    contacts: list[SearchHit] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.companies or self.contacts)

    def __iter__(self) -> Any:
        yield from self.companies
        yield from self.contacts

    def __len__(self) -> int:
        return len(self.companies) + len(self.contacts)


def _company_secondary(company: Company) -> str:
    cities = [a.city for a in company.addresses.all() if a.city]
    parts = [cities[0] if cities else "", company.country]
    if company.inn:
        parts.append(f"INN {company.inn}")
    elif company.siren:
        parts.append(f"SIREN {company.siren}")
    return " · ".join(p for p in parts if p)


def global_search(user: Any, query: str, limit: int = 25) -> SearchResults:
    """Companies then contacts the user may see, each with a line of context."""
    # The typed text narrows to a few hundred rows; the scope must filter those, not drive
    # the query (a manager's scope alone is ~50,000 contacts at a million): ordered_scan.
    with ordered_scan():
        return _global_search(user, query, limit)


def _global_search(user: Any, query: str, limit: int) -> SearchResults:
    results = SearchResults(query=query.strip())
    if not results.query:
        return results
    companies = (
        text_match(companies_visible_to(user), results.query)
        .prefetch_related("addresses")
        .order_by("name", "id")[:limit]
    )
    results.companies = [
        SearchHit(
            label=c.name,
            url=c.get_absolute_url(),
            kind="company",
            secondary=_company_secondary(c),
        )
        for c in companies
    ]
    from accord.parties.lists import company_name_of, contacts_with_company_visibility

    contacts = (
        text_match(contacts_with_company_visibility(user, Action.VIEW), results.query)
        .select_related("primary_company")
        .order_by("full_name", "id")[:limit]
    )
    results.contacts = [
        SearchHit(
            label=str(c),
            url=c.get_absolute_url(),
            kind="contact",
            secondary=" · ".join(p for p in (company_name_of(c), c.position) if p),
        )
        for c in contacts
    ]
    return results
