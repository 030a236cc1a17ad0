"""The History tab of a record: its audit entries and those of records related to it.

A contact's change is written with its company as ``related_*`` (ARCHITECTURE.md rule 4), so
the company's history shows it too. Call these only with a record the caller fetched through
a permission-scoped selector: this module does not decide whether the record itself is visible.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accord.core.audit import object_type_key
from accord.core.models import AuditEntry, PicklistOption, Team, User
from accord.core.permissions import OBJECT_TYPES, restrict

# Changes kept outside the row (services add them to the same entry).
EXTRA_LABELS: dict[str, Any] = {
    "phones": gettext_lazy("phones"),
    "emails": gettext_lazy("e-mails"),
    "messengers": gettext_lazy("messengers"),
    "tags": gettext_lazy("tags"),
    "companies": gettext_lazy("companies"),
    "custom": gettext_lazy("custom fields"),
    "contacts": gettext_lazy("contacts"),
    "participants": gettext_lazy("participants"),
    "addresses": gettext_lazy("addresses"),
}


@dataclass
class ChangeRow:
    label: str
    old: str
    new: str


@dataclass
class HistoryItem:
    entry: AuditEntry
    rows: list[ChangeRow] = field(default_factory=list)
    is_hidden: bool = False  # a related record the viewer may not see: no details


@dataclass
class HistoryPage:
    items: list[HistoryItem]
    next_before_id: int | None


def history_for(
    user: Any, obj: models.Model, *, limit: int = 20, before_id: int | None = None
) -> list[AuditEntry]:
    """Entries about ``obj`` or pointing at it as related, newest first, keyset-paged by id."""
    key = object_type_key(obj)
    queryset = AuditEntry.objects.filter(
        Q(object_type=key, object_id=obj.pk) | Q(related_type=key, related_id=obj.pk)
    )
    if before_id is not None:
        queryset = queryset.filter(id__lt=before_id)
    return list(queryset.order_by("-id")[:limit])


def history_page(
    user: Any, obj: models.Model, *, limit: int = 20, before_id: int | None = None
) -> HistoryPage:
    """One page of :func:`history_for`, described for display, with the id to continue from."""
    entries = history_for(user, obj, limit=limit + 1, before_id=before_id)
    more = len(entries) > limit
    entries = entries[:limit]
    return HistoryPage(
        items=describe(user, obj, entries),
        next_before_id=entries[-1].pk if more and entries else None,
    )


def _model_for(object_type: str) -> type[models.Model] | None:
    """The model of a permission type, or of a child record audited under its app label
    ("catalog.price", "sales.stagechange"), so its changes get field labels too."""
    registered = OBJECT_TYPES.get(object_type)
    if registered is not None:
        return registered.model
    if "." in object_type:
        from django.apps import apps

        try:
            return apps.get_model(object_type)
        except (LookupError, ValueError):
            return None
    return None


def _field_by_key(model: type[models.Model] | None, key: str) -> models.Field[Any, Any] | None:
    if model is None:
        return None
    for candidate in model._meta.concrete_fields:
        if key in (candidate.attname, candidate.name):
            return candidate
    return None


def _hidden_related(
    user: Any, obj: models.Model, entries: list[AuditEntry]
) -> set[tuple[str, int]]:
    """Related records (a contact on its company's history) the viewer may not see.

    Deleted records are not hidden: nothing is left to protect but what the entry says."""
    key = object_type_key(obj)
    wanted: dict[str, set[int]] = {}
    for entry in entries:
        if (entry.object_type, entry.object_id) != (key, obj.pk):
            wanted.setdefault(entry.object_type, set()).add(entry.object_id)
    hidden: set[tuple[str, int]] = set()
    for object_type, ids in wanted.items():
        if object_type not in OBJECT_TYPES:
            continue  # a child record: shown with its parent, which the reader may see
        model = _model_for(object_type)
        if model is None:
            continue
        existing = set(model._default_manager.filter(pk__in=ids).values_list("pk", flat=True))
        visible = set(
            restrict(model._default_manager.filter(pk__in=ids), user).values_list("pk", flat=True)
        )
        hidden.update((object_type, pk) for pk in existing - visible)
    return hidden


def _names_for(entries: list[AuditEntry]) -> dict[str, dict[int, str]]:
    """Picklist options, users and teams named in the changes: one query per kind."""
    ids: dict[str, set[int]] = {"picklist": set(), "user": set(), "team": set()}
    ids.update({label: set() for label in NAMED_CONFIGURATION})
    for entry in entries:
        model = _model_for(entry.object_type)
        for name, pair in (entry.changes or {}).items():
            target = _reference_kind(_field_by_key(model, name))
            if target is None or not isinstance(pair, list):
                continue
            ids[target].update(v for v in pair if isinstance(v, int))
    names: dict[str, dict[int, str]] = {"picklist": {}, "user": {}, "team": {}}
    names.update({label: {} for label in NAMED_CONFIGURATION})
    if ids["picklist"]:
        names["picklist"] = {
            o.pk: str(o) for o in PicklistOption.objects.filter(pk__in=ids["picklist"])
        }
    if ids["user"]:
        names["user"] = {u.pk: str(u) for u in User.objects.filter(pk__in=ids["user"])}
    if ids["team"]:
        names["team"] = dict(Team.objects.filter(pk__in=ids["team"]).values_list("pk", "name"))
    from django.apps import apps

    for label in NAMED_CONFIGURATION:
        if ids[label]:
            model = apps.get_model(label)
            names[label] = {o.pk: str(o) for o in model._default_manager.filter(pk__in=ids[label])}
    return names


# Configuration records anyone who reads a history may see named (stages, price lists…):
# their ids in a change are shown as their names. Client records are never resolved here.
NAMED_CONFIGURATION = (
    "sales.pipeline",
    "sales.stage",
    "catalog.pricelist",
    "catalog.taxrate",
    "catalog.product",
    "catalog.productoption",
    "projects.projecttemplate",
)


def _reference_kind(model_field: models.Field[Any, Any] | None) -> str | None:
    related = getattr(model_field, "related_model", None)
    if related is PicklistOption:
        return "picklist"
    if related is User:
        return "user"
    if related is Team:
        return "team"
    if related is not None and related._meta.label_lower in NAMED_CONFIGURATION:
        return str(related._meta.label_lower)
    return None


_ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)?)?$")


def _moment(value: str) -> str | None:
    """Dates and times are stored as ISO text; show them as the reader's locale writes them."""
    if not _ISO_MOMENT.match(value):
        return None
    if "T" not in value:
        parsed_date = parse_date(value)
        return formats.date_format(parsed_date, "SHORT_DATE_FORMAT") if parsed_date else None
    moment = parse_datetime(value)
    if moment is None:
        return None
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return formats.date_format(moment, "SHORT_DATETIME_FORMAT")


def _text(
    value: Any, names: dict[int, str] | None = None, choices: dict[Any, Any] | None = None
) -> str:
    if value in (None, "", [], {}):
        return "—"
    if choices is not None and not isinstance(value, list | dict) and value in choices:
        return str(choices[value])
    if isinstance(value, str) and (moment := _moment(value)) is not None:
        return moment
    if names is not None and isinstance(value, int):
        return names.get(value, f"#{value}")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(_text(v, names, choices) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_text(v)}" for k, v in value.items())
    return str(value)


def _rows(entry: AuditEntry, names: dict[str, dict[int, str]]) -> list[ChangeRow]:
    """Each changed field with its label and readable old/new values (choice labels, names
    of picklist options, users and teams, dates in the reader's format)."""
    model = _model_for(entry.object_type)
    rows = []
    changes = entry.changes if isinstance(entry.changes, dict) else {"": [None, entry.changes]}
    for key, pair in changes.items():
        old, new = pair if isinstance(pair, list) and len(pair) == 2 else (None, pair)
        model_field = _field_by_key(model, key)
        kind = _reference_kind(model_field)
        lookup = names[kind] if kind else None
        choices = (
            dict(model_field.flatchoices)
            if model_field is not None and model_field.choices
            else None
        )
        if model_field is not None:
            label = str(model_field.verbose_name)
        else:
            label = str(EXTRA_LABELS.get(key, key))
        rows.append(
            ChangeRow(label=label, old=_text(old, lookup, choices), new=_text(new, lookup, choices))
        )
    return rows


def describe(user: Any, obj: models.Model, entries: list[AuditEntry]) -> list[HistoryItem]:
    hidden = _hidden_related(user, obj, entries)
    names = _names_for(entries)
    items = []
    for entry in entries:
        item = HistoryItem(entry=entry)
        if (entry.object_type, entry.object_id) in hidden:
            item.is_hidden = True
        else:
            item.rows = _rows(entry, names)
        items.append(item)
    return items


def describe_for_administrator(entries: list[AuditEntry]) -> list[list[ChangeRow]]:
    """The global log: administrators see every entry, described like a record's history."""
    names = _names_for(entries)
    return [_rows(entry, names) for entry in entries]


def object_type_label(key: str) -> str:
    model = _model_for(key)
    return str(model._meta.verbose_name) if model is not None else key
