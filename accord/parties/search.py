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
from django.db.models import QuerySet
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


_KEY_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def _prefix_bounds(key: str) -> tuple[str, str | None] | None:
    """``name_key`` starts with ``key`` as an index range [low, high); None when the key has
    characters outside [0-9a-z] (then a LIKE prefix is used).

    name_key holds only [0-9a-z], whose order is the same under the C collation and the
    usual locale collations, so the upper bound is the next key in that alphabet (no
    sentinel character that a locale collation might ignore).
    """
    if set(key) - set(_KEY_ALPHABET):
        return None
    stem = key.rstrip(_KEY_ALPHABET[-1])
    if not stem:
        return key, None
    return key, stem[:-1] + _KEY_ALPHABET[_KEY_ALPHABET.index(stem[-1]) + 1]


def _like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _candidates(model: type[Any], query: str) -> tuple[list[str], list[Any]]:
    """SELECTs of the ids matching what was typed, each bounded, to be UNIONed.

    Every part is small by construction (LIMIT, or an exact index look-up), so the database
    resolves the few hundred candidates first and only then applies the user's scope and the
    sort. Left as ORs in the WHERE clause, both SQLite and PostgreSQL misjudged them and
    walked whole tables (0.5 s at a million rows).
    """
    fts_table, owner_column = _TARGETS[model]
    table = model._meta.db_table
    parts: list[str] = []
    params: list[Any] = []
    long_terms = [t for t in _terms(query) if len(t) >= 3]
    # Table and column names come from _TARGETS and model metadata, never from input.
    if long_terms and connection.vendor == "sqlite":
        parts.append(
            f"SELECT id FROM (SELECT rowid AS id FROM {fts_table} "  # noqa: S608
            f"WHERE {fts_table} MATCH %s LIMIT {FTS_LIMIT})"
        )
        params.append(" OR ".join(_fts_string(t) for t in long_terms))
    elif long_terms:
        for term in long_terms:
            parts.append(
                f"SELECT id FROM (SELECT id FROM {table} "  # noqa: S608
                f"WHERE search_text LIKE %s LIMIT {FTS_LIMIT}) AS s"
            )
            params.append(_like_pattern(term))
    # Trigram indexes need three characters; shorter queries match the start of the name
    # through the indexed name_key range (any script, spelling-folded) instead.
    key = name_key(query)
    if key:
        bounds = _prefix_bounds(key)
        if bounds is None:
            condition, values = "name_key LIKE %s", [key.replace("%", "").replace("_", "") + "%"]
        elif bounds[1] is None:
            condition, values = "name_key >= %s", [bounds[0]]
        else:
            condition, values = "name_key >= %s AND name_key < %s", [bounds[0], bounds[1]]
        parts.append(
            f"SELECT id FROM (SELECT id FROM {table} WHERE {condition} "  # noqa: S608
            f"LIMIT {FTS_LIMIT}) AS k"
        )
        params += values
    points = ContactPoint._meta.db_table
    phone = phone_for_search(query)
    if phone:
        parts.append(f"SELECT {owner_column} FROM {points} WHERE kind = %s AND normalized = %s")  # noqa: S608
        params += [ContactPoint.Kind.PHONE.value, phone]
    text = query.strip().lower()
    if "@" in text:
        parts.append(f"SELECT {owner_column} FROM {points} WHERE kind = %s AND normalized = %s")  # noqa: S608
        params += [ContactPoint.Kind.EMAIL.value, text]
    if model is Company and connection.vendor != "sqlite":
        # Exact tax ids use the partial indexes on PostgreSQL. SQLite cannot prove that
        # "inn = ?" implies the partial index condition (it would scan the table); there the
        # trigram table already holds every tax id of search_text.
        tax_id = re.sub(r"[\s\-.]", "", query).upper()
        if re.fullmatch(r"\d{9,15}", tax_id):
            for column in ("inn", "siren", "siret", "ogrn"):
                parts.append(f"SELECT id FROM {table} WHERE {column} = %s AND {column} <> ''")  # noqa: S608
                params.append(tax_id)
        elif re.fullmatch(r"[A-Z]{2}\d[0-9A-Z]{1,12}", tax_id):
            parts.append(f"SELECT id FROM {table} WHERE vat_number = %s AND vat_number <> ''")  # noqa: S608
            params.append(tax_id)
    return parts, params


def text_match(queryset: QuerySet[Any], query: str) -> QuerySet[Any]:
    """Narrow a company or contact queryset to rows matching what a person typed."""
    if not _terms(query):
        return queryset.none()
    parts, params = _candidates(queryset.model, query)
    if not parts:
        return queryset.none()
    return queryset.filter(pk__in=RawSQL(" UNION ".join(parts), params))  # noqa: S611


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
