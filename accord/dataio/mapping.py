"""Column mapping: suggest which field each header of a file fills, and saved mappings.

Headers are compared in a folded form (case, ё/е, punctuation and spaces ignored) against each
field's key, label and synonyms in Russian, French, English and German, and custom fields' label
and code; near misses ("Telefone", "E-mail adress") are caught with rapidfuzz above a threshold.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from rapidfuzz import fuzz, process

from accord.core import audit
from accord.core.models import AuditEntry
from accord.dataio.handlers.base import Handler, fold
from accord.dataio.models import ImportMapping

#: similarity (0-100) a header needs to be mapped to a field it does not spell exactly
FUZZY_THRESHOLD = 86


def _names(handler: Handler, user: Any) -> dict[str, str]:
    """folded name -> field key; earlier fields win a name they share."""
    names: dict[str, str] = {}
    for target in handler.fields(user):
        for name in (target.key, target.key.replace("custom.", ""), target.label, *target.synonyms):
            folded = fold(name)
            if folded:
                names.setdefault(folded, target.key)
    return names


def suggest(handler: Handler, headers: list[str], user: Any) -> dict[str, str]:
    """{header: field key or ""} for the headers of a file; each field is used at most once
    (exact matches first, then the closest near match)."""
    names = _names(handler, user)
    result = dict.fromkeys(headers, "")
    used: set[str] = set()
    for header in headers:
        key = names.get(fold(header))
        if key and key not in used:
            result[header] = key
            used.add(key)
    choices = list(names)
    candidates = []
    for header in headers:
        if result[header] or not fold(header):
            continue
        for name, score, _index in process.extract(
            fold(header), choices, scorer=fuzz.ratio, score_cutoff=FUZZY_THRESHOLD, limit=3
        ):
            candidates.append((score, header, names[name]))
    for _score, header, key in sorted(candidates, key=lambda c: -c[0]):
        if not result[header] and key not in used:
            result[header] = key
            used.add(key)
    return result


def mappings_for(user: Any, object_type: str) -> list[ImportMapping]:
    """Saved mappings for a record type (shared by everyone who may import it)."""
    from accord.core.permissions import Action, Scope, user_scope

    if user_scope(user, object_type, Action.IMPORT) == Scope.NONE:
        return []
    return list(ImportMapping.objects.filter(object_type=object_type).order_by("name"))


def apply_mapping(mapping: ImportMapping, headers: list[str]) -> dict[str, str]:
    """A saved mapping for the headers of a file: columns the file lacks are left out."""
    return {header: mapping.columns.get(header, "") for header in headers}


@transaction.atomic
def mapping_save(
    *, actor: Any, object_type: str, name: str, columns: dict[str, str]
) -> ImportMapping:
    """Save (or replace) a named mapping ``{header: field key}`` for a record type."""
    from accord.dataio.handlers import get_handler
    from accord.dataio.services import _require_import

    handler = get_handler(object_type)
    _require_import(actor, object_type)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": [_("Give the mapping a name.")]})
    if len(name) > 100:
        raise ValidationError({"name": [_("At most 100 characters.")]})
    known = {f.key for f in handler.fields(actor)}
    unknown = sorted({key for key in columns.values() if key and key not in known})
    if unknown:
        raise ValidationError(
            {"columns": [_("Unknown fields: %(fields)s.") % {"fields": ", ".join(unknown)}]}
        )
    cleaned = {str(h): str(k) for h, k in columns.items() if k}
    mapping, created = ImportMapping.objects.update_or_create(
        object_type=object_type, name=name, defaults={"columns": cleaned, "created_by": actor}
    )
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.CREATE if created else AuditEntry.Kind.CHANGE,
        obj=mapping,
        changes={"columns": [None, cleaned]},
    )
    return mapping
