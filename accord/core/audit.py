"""Explicit audit (ARCHITECTURE.md rule 4).

Services call :func:`record` inside their transaction. Actor, request id and source come from a
context variable set by the request middleware, the API, management commands and jobs, so a
service never needs to be told where a call came from.
"""

from __future__ import annotations

import contextlib
import datetime
import decimal
import uuid
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.db import models

from accord.core.models import AuditEntry


@dataclass(frozen=True)
class AuditContext:
    request_id: str = ""
    source: str = AuditEntry.Source.SYSTEM


_context: ContextVar[AuditContext] = ContextVar("accord_audit_context", default=AuditContext())


def current() -> AuditContext:
    return _context.get()


@contextlib.contextmanager
def audit_context(*, source: str, request_id: str | None = None) -> Iterator[AuditContext]:
    context = AuditContext(request_id=request_id or str(uuid.uuid4()), source=source)
    token = _context.set(context)
    try:
        yield context
    finally:
        _context.reset(token)


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if hasattr(value, "name") and hasattr(value, "storage"):  # FieldFile
        return value.name or ""
    return value


def snapshot(obj: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """A JSON-ready picture of a record's concrete fields (FKs as ids)."""
    names = fields or [
        f.attname
        for f in obj._meta.concrete_fields
        if f.name not in {"id", "created_at", "updated_at", "version", "search_text"}
    ]
    return {name: _plain(getattr(obj, name)) for name in names}


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    keys = list(dict.fromkeys([*before.keys(), *after.keys()]))
    return {k: [before.get(k), after.get(k)] for k in keys if before.get(k) != after.get(k)}


def object_type_key(obj: models.Model) -> str:
    from accord.core.permissions import object_type_for

    try:
        return object_type_for(obj).key
    except LookupError:
        return obj._meta.label_lower


def build(
    *,
    actor: Any,
    action: str,
    obj: models.Model,
    changes: dict[str, Any] | None = None,
    related: models.Model | None = None,
    message: str = "",
) -> AuditEntry:
    """An unsaved entry carrying the current request id and source."""
    context = current()
    return AuditEntry(
        actor=actor if getattr(actor, "pk", None) else None,
        actor_name=str(actor)[:150] if actor is not None else "",
        request_id=context.request_id,
        source=context.source,
        action=action,
        object_type=object_type_key(obj),
        object_id=obj.pk,
        object_repr=str(obj)[:200],
        related_type=object_type_key(related) if related is not None else "",
        related_id=related.pk if related is not None else None,
        changes=changes or {},
        message=message[:300],
    )


def record(
    *,
    actor: Any,
    action: str,
    obj: models.Model,
    changes: dict[str, Any] | None = None,
    related: models.Model | None = None,
    message: str = "",
) -> AuditEntry:
    entry = build(
        actor=actor, action=action, obj=obj, changes=changes, related=related, message=message
    )
    entry.save()
    return entry


def record_many(entries: list[AuditEntry]) -> None:
    """Bulk path (imports, generators, bulk reassign): one INSERT per thousand entries."""
    AuditEntry.objects.bulk_create(entries, batch_size=1000)
