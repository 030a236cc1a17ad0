"""Global search: companies and contacts by name, phone in any format, e-mail or tax id."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from accord.parties.selectors import companies_visible_to, contacts_visible_to


@dataclass
class SearchHit:
    label: str
    url: str
    kind: str


def global_search(user: Any, query: str, limit: int = 10) -> list[SearchHit]:
    text = query.strip().lower()
    if len(text) < 2:
        return []
    hits = [
        SearchHit(label=c.name, url=c.get_absolute_url(), kind="company")
        for c in companies_visible_to(user).filter(search_text__contains=text)[:limit]
    ]
    hits += [
        SearchHit(label=str(c), url=c.get_absolute_url(), kind="contact")
        for c in contacts_visible_to(user).filter(search_text__contains=text)[:limit]
    ]
    return hits
