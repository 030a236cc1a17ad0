"""Core endpoints (I3): who am I, picklists, custom fields, users, audit history.

Also holds the keyset pagination every list endpoint uses: ``after`` is an opaque cursor
made of the last row's sort key, so page 10,000 costs the same as page 1 (no OFFSET).
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
from collections.abc import Callable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Model, Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema

from accord.core.models import (
    AuditEntry,
    CustomFieldDefinition,
    Picklist,
    PicklistOption,
    User,
)
from accord.core.permissions import OBJECT_TYPES, Scope, user_scope

router = Router(tags=["core"])

MAX_LIMIT = 200
DEFAULT_LIMIT = 50


# --- keyset pagination ----------------------------------------------------------------------


def _encode_cursor(values: list[Any]) -> str:
    plain = [
        v.isoformat() if isinstance(v, datetime.datetime | datetime.date) else v for v in values
    ]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, size: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise ValidationError({"after": [_("Invalid cursor.")]}) from exc
    if not isinstance(values, list) or len(values) != size:
        raise ValidationError({"after": [_("Invalid cursor.")]})
    return values


def _after_q(order: Sequence[str], values: list[Any]) -> Q:
    """Rows strictly after ``values`` in ``order`` (a lexicographic comparison)."""
    result = Q()
    for index, term in enumerate(order):
        name = term.lstrip("-")
        lookup = "lt" if term.startswith("-") else "gt"
        step = Q(**{f"{name}__{lookup}": values[index]})
        for previous, value in zip(order[:index], values[:index], strict=True):
            step &= Q(**{previous.lstrip("-"): value})
        result |= step
    return result


def _sort_value(obj: Model, name: str) -> Any:
    value: Any = obj
    for part in name.split("__"):
        value = getattr(value, part)
    return value


def keyset_page(
    queryset: QuerySet[Any], *, order: Sequence[str], after: str | None, limit: int
) -> tuple[list[Any], str | None]:
    """One page of ``queryset`` sorted by ``order`` (which must end with a unique column)."""
    queryset = queryset.order_by(*order)
    if after:
        queryset = queryset.filter(_after_q(order, _decode_cursor(after, len(order))))
    rows = list(queryset[: limit + 1])
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    return rows, _encode_cursor([_sort_value(last, term.lstrip("-")) for term in order])


class PageParams(Schema):
    after: str | None = None
    limit: int = DEFAULT_LIMIT


def page_limit(limit: int) -> int:
    if limit < 1 or limit > MAX_LIMIT:
        raise ValidationError({"limit": [_("Between 1 and %(max)s.") % {"max": MAX_LIMIT}]})
    return limit


def paginate(
    queryset: QuerySet[Any],
    *,
    order: Sequence[str],
    after: str | None,
    limit: int,
    render: Callable[[Any], Any],
) -> dict[str, Any]:
    rows, cursor = keyset_page(queryset, order=order, after=after, limit=page_limit(limit))
    return {"items": [render(row) for row in rows], "next": cursor}


def authed_user(request: HttpRequest) -> User:
    """The user the auth layer put on the request (token or session)."""
    return request.user  # type: ignore[return-value]


# --- me --------------------------------------------------------------------------------------


class RoleOut(Schema):
    code: str
    name: str


class TeamOut(Schema):
    id: int
    name: str


class MeOut(Schema):
    id: int
    username: str
    name: str
    email: str
    language: str
    time_zone: str
    is_administrator: bool
    roles: list[RoleOut]
    teams: list[TeamOut]
    permissions: dict[str, dict[str, str]]


SCOPE_NAMES = {Scope.NONE: "none", Scope.OWN: "own", Scope.TEAM: "team", Scope.ALL: "all"}


@router.get("/me", response=MeOut, summary="The signed-in user and what they may do")
def me(request: HttpRequest) -> dict[str, Any]:
    user = authed_user(request)
    permissions = {
        key: {action: SCOPE_NAMES[user_scope(user, key, action)] for action in object_type.actions}
        for key, object_type in OBJECT_TYPES.items()
    }
    return {
        "id": user.pk,
        "username": user.username,
        "name": str(user),
        "email": user.email,
        "language": user.language,
        "time_zone": user.time_zone,
        "is_administrator": user.is_administrator,
        "roles": [{"code": r.code, "name": str(r)} for r in user.roles.all()],
        "teams": [{"id": t.pk, "name": t.name} for t in user.teams.all()],
        "permissions": permissions,
    }


# --- picklists and custom fields --------------------------------------------------------------


class PicklistOptionOut(Schema):
    code: str
    label: str
    labels: dict[str, str]
    position: int


class PicklistOut(Schema):
    picklist: str
    label: str
    options: list[PicklistOptionOut]


def option_labels(option: PicklistOption) -> dict[str, str]:
    return {
        "en": option.label,
        "ru": option.label_ru or option.label,
        "fr": option.label_fr or option.label,
        "de": option.label_de or option.label,
    }


@router.get("/picklists", response=list[PicklistOut], summary="Picklists and their options")
def picklists(request: HttpRequest) -> list[dict[str, Any]]:
    options: dict[str, list[dict[str, Any]]] = {key: [] for key in Picklist.values}
    for option in PicklistOption.objects.filter(is_active=True).order_by(
        "picklist", "position", "id"
    ):
        options.setdefault(option.picklist, []).append(
            {
                "code": option.code,
                "label": option.localized_label(),
                "labels": option_labels(option),
                "position": option.position,
            }
        )
    return [
        {"picklist": key, "label": str(label), "options": options.get(key, [])}
        for key, label in Picklist.choices
    ]


class CustomFieldOut(Schema):
    model: str
    name: str
    label: str
    field_type: str
    choices: list[str]
    is_required: bool
    help_text: str
    position: int


@router.get("/custom-fields", response=list[CustomFieldOut], summary="Administrator-defined fields")
def custom_fields(request: HttpRequest, model: str | None = None) -> list[CustomFieldDefinition]:
    queryset = CustomFieldDefinition.objects.filter(is_active=True)
    if model:
        queryset = queryset.filter(model=model)
    return list(queryset.order_by("model", "position", "id"))


# --- users -------------------------------------------------------------------------------------


class UserOut(Schema):
    id: int
    username: str
    name: str


class UserPage(Schema):
    items: list[UserOut]
    next: str | None


@router.get("/users", response=UserPage, summary="Active users (for owner choices)")
def users(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    return paginate(
        User.objects.filter(is_active=True).only("id", "username", "first_name", "last_name"),
        order=("id",),
        after=page.after,
        limit=page.limit,
        render=lambda u: {"id": u.pk, "username": u.username, "name": str(u)},
    )


# --- audit ---------------------------------------------------------------------------------------


class AuditOut(Schema):
    id: int
    timestamp: datetime.datetime
    actor: int | None
    actor_name: str
    source: str
    action: str
    object_type: str
    object_id: int
    object_repr: str
    related_type: str
    related_id: int | None
    changes: dict[str, Any]
    message: str
    request_id: str


class AuditPage(Schema):
    items: list[AuditOut]
    next: str | None


class AuditFilters(Schema):
    object_type: str | None = None
    object_id: int | None = None
    actor: int | None = None
    action: str | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None


def _visible_queryset(user: User, object_type: str) -> QuerySet[Any] | None:
    """The selector of a record type whose history may be read through the API."""
    if object_type == "company":
        from accord.parties.selectors import companies_visible_to

        return companies_visible_to(user)
    if object_type == "contact":
        from accord.parties.selectors import contacts_visible_to

        return contacts_visible_to(user)
    if object_type == "activity":
        from accord.activities.selectors import activities_visible_to

        return activities_visible_to(user)
    if object_type == "document":
        from accord.activities.selectors import documents_visible_to

        return documents_visible_to(user)
    return None


def _record_history(user: User, object_type: str, object_id: int) -> QuerySet[AuditEntry]:
    """One record's own entries and, for a company, the changes of what hangs on it that the
    caller may see. Missing and forbidden records give the same 404."""
    visible = _visible_queryset(user, object_type)
    if visible is None or not visible.filter(pk=object_id).exists():
        raise Http404
    own = Q(object_type=object_type, object_id=object_id)
    related = Q()
    for child_type in ("contact", "activity", "document"):
        child_visible = _visible_queryset(user, child_type)
        if child_visible is not None:
            related |= Q(object_type=child_type, object_id__in=child_visible.values("pk"))
    return AuditEntry.objects.filter(
        own | (Q(related_type=object_type, related_id=object_id) & related)
    )


def _render_entry(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "timestamp": entry.timestamp,
        "actor": entry.actor_id,
        "actor_name": entry.actor_name,
        "source": entry.source,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "object_repr": entry.object_repr,
        "related_type": entry.related_type,
        "related_id": entry.related_id,
        "changes": entry.changes,
        "message": entry.message,
        "request_id": entry.request_id,
    }


@router.get(
    "/audit",
    response=AuditPage,
    summary="History of one record, or (administrators) the global log",
)
def audit_log(
    request: HttpRequest, filters: Query[AuditFilters], page: Query[PageParams]
) -> dict[str, Any]:
    user = authed_user(request)
    if filters.object_type and filters.object_id is not None:
        queryset = _record_history(user, filters.object_type, filters.object_id)
    elif user.is_administrator:
        queryset = AuditEntry.objects.all()
        if filters.object_type:
            queryset = queryset.filter(object_type=filters.object_type)
    else:
        raise ValidationError(
            {"object_id": [_("Give object_type and object_id: the history of one record.")]}
        )
    if filters.actor is not None:
        queryset = queryset.filter(actor_id=filters.actor)
    if filters.action:
        queryset = queryset.filter(action=filters.action)
    if filters.date_from:
        queryset = queryset.filter(timestamp__date__gte=filters.date_from)
    if filters.date_to:
        queryset = queryset.filter(timestamp__date__lte=filters.date_to)
    return paginate(
        queryset, order=("-id",), after=page.after, limit=page.limit, render=_render_entry
    )
