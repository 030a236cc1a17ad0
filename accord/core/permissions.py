"""Permissions as data (ARCHITECTURE.md rule 3).

A role grants an *action* on an *object type* within a *scope* (record rule): own records,
own team's records (which include own), or all. A user's effective scope for (type, action) is
the widest scope any of their roles grants. Object types register how a record reaches its
owner and team (``owner_paths`` / ``team_paths``), so one function restricts every queryset.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import connection, models
from django.db.models import F, Q
from django.db.models.lookups import Exact, In
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from accord.core.models import User


class Action(models.TextChoices):
    VIEW = "view", _("view")
    ADD = "add", _("add")
    CHANGE = "change", _("change")
    DELETE = "delete", _("delete")
    EXPORT = "export", _("export")
    IMPORT = "import", _("import")
    REASSIGN = "reassign", _("reassign")


class Scope(models.IntegerChoices):
    NONE = 0, _("none")
    OWN = 1, _("own records")
    TEAM = 2, _("own team's records")
    ALL = 3, _("all records")


@dataclass(frozen=True)
class ObjectType:
    """How the permission layer sees one kind of record."""

    key: str
    label: Any
    model_path: str  # "app_label.ModelName"
    owner_paths: tuple[str, ...] = ("owner",)
    team_paths: tuple[str, ...] = ("team",)
    actions: tuple[str, ...] = tuple(a.value for a in Action)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def model(self) -> type[models.Model]:
        from django.apps import apps

        return apps.get_model(self.model_path)


OBJECT_TYPES: dict[str, ObjectType] = {}


def register_object_type(object_type: ObjectType) -> ObjectType:
    OBJECT_TYPES[object_type.key] = object_type
    return object_type


def object_type_for(model_or_obj: Any) -> ObjectType:
    meta = model_or_obj._meta
    path = f"{meta.app_label}.{meta.object_name}"
    for object_type in OBJECT_TYPES.values():
        if object_type.model_path == path:
            return object_type
    raise LookupError(f"{path} is not a registered object type")


def _grant_table(user: User) -> dict[tuple[str, str], int]:
    """All (object_type, action) -> scope for a user; cached on the user object per request."""
    cached = getattr(user, "_accord_grants", None)
    if cached is not None:
        return cached
    from accord.core.models import RoleGrant

    table: dict[tuple[str, str], int] = {}
    rows = RoleGrant.objects.filter(role__users=user).values_list("object_type", "action", "scope")
    for object_type, action, scope in rows:
        key = (object_type, action)
        table[key] = max(table.get(key, 0), scope)
    user._accord_grants = table  # type: ignore[attr-defined]
    return table


def clear_cache(user: Any) -> None:
    for attr in ("_accord_grants", "_accord_team_ids", "_is_administrator"):
        if hasattr(user, attr):
            delattr(user, attr)


def user_scope(user: Any, object_type: str, action: str) -> Scope:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return Scope.NONE
    if user.is_superuser:
        return Scope.ALL
    return Scope(_grant_table(user).get((object_type, action), Scope.NONE))


def team_ids(user: Any) -> list[int]:
    cached = getattr(user, "_accord_team_ids", None)
    if cached is None:
        cached = list(user.teams.values_list("id", flat=True))
        user._accord_team_ids = cached
    return cached


_ordered_scan: ContextVar[bool] = ContextVar("accord_ordered_scan", default=False)


@contextlib.contextmanager
def ordered_scan() -> Iterator[None]:
    """Inside this block, scope filters built for SQLite can't drive an index.

    A page of a list is "the first 50 rows in name order that I may see". Left to itself,
    SQLite answers ``owner = ? OR team IN (…)`` with the owner and team indexes and then sorts
    every visible row (30 ms for 10,000 rows); with the scope made non-indexable it walks the
    (name, id) index and stops after 50 matches (1 ms). Counts must NOT use this: for them the
    owner/team indexes are right. PostgreSQL's planner weighs both plans itself.
    """
    token = _ordered_scan.set(True)
    try:
        yield
    finally:
        _ordered_scan.reset(token)


def _column(path: str) -> Any:
    if _ordered_scan.get() and connection.vendor == "sqlite":
        return F(path) + 0  # "+ 0" keeps SQLite from choosing this column's index
    return F(path)


def scope_q(user: Any, object_type: ObjectType, scope: Scope) -> Q | None:
    """The filter for a scope; None means "everything"."""
    if scope == Scope.ALL:
        return None
    if scope == Scope.NONE:
        return Q(pk__in=[])
    q = Q()
    for path in object_type.owner_paths:
        q |= Q(Exact(_column(f"{path}_id" if "__" not in path else path), user.pk))
    if scope == Scope.TEAM:
        teams = team_ids(user)
        if teams:
            for path in object_type.team_paths:
                q |= Q(In(_column(f"{path}_id" if "__" not in path else path), teams))
    # A shared type (the catalogue) has no owner: "own" or "team" grants reach nothing.
    return q if q else Q(pk__in=[])


def restrict(
    queryset: models.QuerySet[Any], user: Any, action: str = Action.VIEW
) -> models.QuerySet[Any]:
    """Narrow any queryset of a registered type to what ``user`` may do ``action`` on."""
    object_type = object_type_for(queryset.model)
    q = scope_q(user, object_type, user_scope(user, object_type.key, action))
    return queryset if q is None else queryset.filter(q)


def _value_at(obj: Any, path: str) -> Any:
    value = obj
    parts = path.split("__")
    for index, part in enumerate(parts):
        if value is None:
            return None
        if index == len(parts) - 1:
            return getattr(value, f"{part}_id", None)
        value = getattr(value, part, None)
    return value


def allows(user: Any, action: str, obj: Any) -> bool:
    """May ``user`` do ``action`` on this one record (or, for a class, on some record)?"""
    object_type = object_type_for(obj)
    scope = user_scope(user, object_type.key, action)
    if scope == Scope.NONE:
        return False
    if scope == Scope.ALL or isinstance(obj, type):
        return True
    if any(_value_at(obj, path) == user.pk for path in object_type.owner_paths):
        return True
    if scope == Scope.TEAM:
        teams = set(team_ids(user))
        return any(_value_at(obj, path) in teams for path in object_type.team_paths)
    return False


def require(user: Any, action: str, obj: Any) -> None:
    if not allows(user, action, obj):
        raise PermissionDenied(_("You do not have permission to do this."))


def require_administrator(user: Any) -> None:
    if not (getattr(user, "is_authenticated", False) and user.is_administrator):
        raise PermissionDenied(_("Only administrators may do this."))


def actions_for(object_type: str) -> Iterable[str]:
    return OBJECT_TYPES[object_type].actions
