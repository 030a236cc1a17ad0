"""The shared write mechanics every domain service uses (ARCHITECTURE.md rules 1, 4 and 7).

``record_create`` / ``record_update`` / ``record_delete`` validate with ``full_clean``, check
the permission, refuse stale versions, bump the version and write the audit entry, all in the
caller's transaction. Domain services add their own rules around them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

from accord.core import audit
from accord.core.errors import ConflictError
from accord.core.models import AuditEntry
from accord.core.permissions import Action, require

M = TypeVar("M", bound=models.Model)


def related_for_audit(obj: models.Model) -> models.Model | None:
    hook = getattr(obj, "audit_related", None)
    return hook() if callable(hook) else None


@transaction.atomic
def record_create(
    *,
    obj: M,
    actor: Any,
    check_permission: bool = True,
    exclude: Iterable[str] = (),
    extra_values: dict[str, Any] | None = None,
) -> M:
    """Validate, check the add permission, save and audit. ``extra_values`` are values kept
    outside the row (phones, tags) that belong in the same audit entry."""
    if check_permission:
        require(actor, Action.ADD, obj)
    obj.full_clean(exclude=list(exclude))
    obj.save()
    values = {**audit.snapshot(obj), **(extra_values or {})}
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.CREATE,
        obj=obj,
        changes={k: [None, v] for k, v in values.items() if v not in (None, "", [], {}, False)},
        related=related_for_audit(obj),
    )
    return obj


@transaction.atomic
def record_update(
    *,
    obj: M,
    data: dict[str, Any],
    actor: Any,
    expected_version: int | None = None,
    action: str = Action.CHANGE,
    exclude: Iterable[str] = (),
    audit_action: str = AuditEntry.Kind.CHANGE,
    extra_changes: dict[str, list[Any]] | None = None,
) -> tuple[M, dict[str, list[Any]]]:
    """Apply ``data`` to ``obj``; returns the object and the recorded changes.

    ``extra_changes`` ({name: [old, new]}) are changes kept outside the row (phones, tags)
    that the caller applies itself; they count as a change and land in the same entry."""
    require(actor, action, obj)
    model = type(obj)
    locked = model._default_manager.select_for_update().get(pk=obj.pk)
    current_version = getattr(locked, "version", None)
    if (
        expected_version is not None
        and current_version is not None
        and expected_version != current_version
    ):
        raise ConflictError(current_version)
    before = audit.snapshot(locked)
    for name, value in data.items():
        setattr(locked, name, value)
    locked.full_clean(exclude=list(exclude))
    after = audit.snapshot(locked)
    changes = {**audit.diff(before, after), **(extra_changes or {})}
    if not changes:
        return locked, {}
    if current_version is not None:
        locked.version = F("version") + 1  # type: ignore[attr-defined]
        locked.updated_at = timezone.now()  # type: ignore[attr-defined]
    locked.save()
    locked.refresh_from_db()
    audit.record(
        actor=actor,
        action=audit_action,
        obj=locked,
        changes=changes,
        related=related_for_audit(locked),
    )
    return locked, changes


@transaction.atomic
def record_delete(*, obj: models.Model, actor: Any, expected_version: int | None = None) -> None:
    require(actor, Action.DELETE, obj)
    current_version = getattr(obj, "version", None)
    if (
        expected_version is not None
        and current_version is not None
        and expected_version != current_version
    ):
        raise ConflictError(current_version)
    entry = audit.build(
        actor=actor,
        action=AuditEntry.Kind.DELETE,
        obj=obj,
        changes={
            k: [v, None] for k, v in audit.snapshot(obj).items() if v not in (None, "", [], {})
        },
        related=related_for_audit(obj),
    )
    obj.delete()
    entry.save()
