"""Writes to platform records (users, teams, roles, custom fields, picklists)."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accord.core import audit
from accord.core.models import ApiToken, AuditEntry, SavedView, User

PREFERENCE_FIELDS = ("first_name", "last_name", "email", "phone", "language", "time_zone")


@transaction.atomic
def user_update_preferences(*, actor: User, user: User, data: dict[str, Any]) -> User:
    """A user edits their own name, contact details, language and time zone."""
    if actor.pk != user.pk and not actor.is_administrator:
        raise PermissionDenied(_("You may only change your own preferences."))
    before = audit.snapshot(user, PREFERENCE_FIELDS)
    for name in PREFERENCE_FIELDS:
        if name in data:
            setattr(user, name, data[name])
    user.full_clean(exclude=["password", "username"])
    user.save(update_fields=[f for f in PREFERENCE_FIELDS if f in data])
    changes = audit.diff(before, audit.snapshot(user, PREFERENCE_FIELDS))
    if changes:
        audit.record(actor=actor, action=AuditEntry.Kind.CHANGE, obj=user, changes=changes)
    return user


@transaction.atomic
def administrator_ensure(*, username: str, email: str, password: str) -> User:
    """First-run path (O3): create or promote an administrator from the command line."""
    from accord.core.models import Role

    user, created = User.objects.get_or_create(username=username, defaults={"email": email})
    user.set_password(password)
    if email:
        user.email = email
    user.is_active = True
    user.save()
    user.roles.add(Role.objects.get(code="administrator"))
    audit.record(
        actor=None,
        action=AuditEntry.Kind.CREATE if created else AuditEntry.Kind.CHANGE,
        obj=user,
        changes={"roles": [None, ["administrator"]]},
        message="createadmin",
    )
    return user


@transaction.atomic
def api_token_create(
    *, actor: User, name: str, expires_at: datetime.datetime | None = None
) -> tuple[ApiToken, str]:
    """Issue a personal API token (I3) for scripts and integrations acting as the user.

    Returns the row and the secret; the secret is shown once and only its hash is stored,
    so a copy of the database does not hand out access. The audit entry never holds it."""
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("Give the token a name, e.g. the script that will use it.")]
    elif len(name) > 80:
        errors["name"] = [_("At most 80 characters.")]
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = [_("The expiry date must be in the future.")]
    if errors:
        raise ValidationError(errors)
    secret = ApiToken.new_secret()
    token = ApiToken.objects.create(
        user=actor,
        name=name,
        prefix=secret[:12],
        token_hash=ApiToken.hash_secret(secret),
        expires_at=expires_at,
    )
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.CREATE,
        obj=token,
        changes={
            "name": [None, name],
            "prefix": [None, token.prefix],
            "expires_at": [None, expires_at.isoformat() if expires_at else None],
        },
    )
    return token, secret


@transaction.atomic
def api_token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    """Switch a token off for good; the row stays so the audit trail still names it.
    Users revoke their own tokens, administrators anyone's."""
    if token.user_id != actor.pk and not actor.is_administrator:
        raise PermissionDenied(_("You may only revoke your own tokens."))
    if not token.is_active:
        return token
    ApiToken.objects.filter(pk=token.pk).update(is_active=False)
    token.is_active = False
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.CHANGE,
        obj=token,
        changes={"is_active": [True, False]},
        message="revoked",
    )
    return token


# --- administration: users, teams, roles, custom fields, picklists (M2, I7, I8, U1) ----------

import re  # noqa: E402
from collections.abc import Iterable, Mapping, Sequence  # noqa: E402

from django.contrib.auth import password_validation  # noqa: E402
from django.core.exceptions import ValidationError  # noqa: E402, F811
from django.db import models as db_models  # noqa: E402

from accord.core.customfields import EXTENSIBLE_MODELS  # noqa: E402
from accord.core.models import (  # noqa: E402
    CustomFieldDefinition,
    Picklist,
    PicklistOption,
    Role,
    RoleGrant,
    Team,
)
from accord.core.permissions import (  # noqa: E402
    OBJECT_TYPES,
    Scope,
    clear_cache,
    require_administrator,
)

ADMIN_USER_FIELDS = (
    "username",
    "first_name",
    "last_name",
    "email",
    "phone",
    "language",
    "time_zone",
)
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
# U1: more options than this are allowed, but the UI warns that forms get harder to use.
PICKLIST_COMFORTABLE_SIZE = 7


def _role_codes(roles: Iterable[Role]) -> list[str]:
    return sorted(role.code for role in roles)


def _team_names(teams: Iterable[Team]) -> list[str]:
    return sorted(team.name for team in teams)


def _apply_fields(
    *,
    actor: User,
    obj: db_models.Model,
    fields: Mapping[str, Any],
    allowed: Sequence[str],
    extra_changes: dict[str, list[Any]] | None = None,
    exclude: Sequence[str] = (),
) -> dict[str, list[Any]]:
    """Set the allowed fields on a locked row, validate, save and audit the difference."""
    unknown = [name for name in fields if name not in allowed]
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed.")] for name in unknown})
    before = audit.snapshot(obj, allowed)
    for name, value in fields.items():
        setattr(obj, name, value)
    obj.full_clean(exclude=list(exclude))
    changes = {**audit.diff(before, audit.snapshot(obj, allowed)), **(extra_changes or {})}
    if changes:
        obj.save()
        audit.record(actor=actor, action=AuditEntry.Kind.CHANGE, obj=obj, changes=changes)
    return changes


def _check_password(password: str, user: User) -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc


@transaction.atomic
def user_create(
    *,
    actor: User,
    username: str,
    first_name: str,
    last_name: str,
    email: str,
    password: str,
    language: str,
    time_zone: str,
    roles: Iterable[Role],
    teams: Iterable[Team],
    phone: str = "",
) -> User:
    """An administrator opens an account for a colleague with roles and teams (I7, O3)."""
    require_administrator(actor)
    roles, teams = list(roles), list(teams)
    user = User(
        username=username.strip(),
        first_name=first_name,
        last_name=last_name,
        email=email,
        phone=phone,
        language=language,
        time_zone=time_zone,
    )
    errors: dict[str, list[str]] = {}
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if not password:
        errors["password"] = [_("This field is required.")]
    else:
        try:
            _check_password(password, user)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    user.set_password(password)
    user.save()
    user.roles.set(roles)
    user.teams.set(teams)
    values = {
        **audit.snapshot(user, ADMIN_USER_FIELDS),
        "roles": _role_codes(roles),
        "teams": _team_names(teams),
    }
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.CREATE,
        obj=user,
        changes={k: [None, v] for k, v in values.items() if v not in (None, "", [])},
    )
    return user


@transaction.atomic
def user_update(
    *,
    actor: User,
    user: User,
    fields: Mapping[str, Any],
    roles: Iterable[Role] | None = None,
    teams: Iterable[Team] | None = None,
    is_active: bool | None = None,
) -> User:
    """Change a user's details, roles, teams and (de)activation in one step; an administrator
    keeps their own admin role and account."""
    require_administrator(actor)
    locked = User.objects.select_for_update().get(pk=user.pk)
    extra: dict[str, list[Any]] = {}
    if is_active is not None and is_active != locked.is_active:
        if locked.pk == actor.pk and not is_active:
            raise ValidationError({"is_active": [_("You cannot deactivate your own account.")]})
        extra["is_active"] = [locked.is_active, is_active]
        locked.is_active = is_active
    new_roles = list(roles) if roles is not None else None
    new_teams = list(teams) if teams is not None else None
    if new_roles is not None:
        if (
            locked.pk == actor.pk
            and not actor.is_superuser
            and not any(role.is_administrator for role in new_roles)
        ):
            raise ValidationError({"roles": [_("You cannot remove your own administrator role.")]})
        old_codes, new_codes = _role_codes(locked.roles.all()), _role_codes(new_roles)
        if old_codes != new_codes:
            extra["roles"] = [old_codes, new_codes]
    if new_teams is not None:
        old_names, new_names = _team_names(locked.teams.all()), _team_names(new_teams)
        if old_names != new_names:
            extra["teams"] = [old_names, new_names]
    _apply_fields(
        actor=actor,
        obj=locked,
        fields=fields,
        allowed=ADMIN_USER_FIELDS,
        extra_changes=extra,
        exclude=["password"],
    )
    if new_roles is not None:
        locked.roles.set(new_roles)
    if new_teams is not None:
        locked.teams.set(new_teams)
    clear_cache(locked)
    clear_cache(user)
    return locked


@transaction.atomic
def user_set_active(*, actor: User, user: User, is_active: bool) -> User:
    """Deactivate a departing user instead of deleting them, so their history stays (M2)."""
    require_administrator(actor)
    if user.pk == actor.pk and not is_active:
        raise ValidationError({"is_active": [_("You cannot deactivate your own account.")]})
    locked = User.objects.select_for_update().get(pk=user.pk)
    if locked.is_active != is_active:
        audit.record(
            actor=actor,
            action=AuditEntry.Kind.CHANGE,
            obj=locked,
            changes={"is_active": [locked.is_active, is_active]},
        )
        locked.is_active = is_active
        locked.save(update_fields=["is_active"])
    return locked


@transaction.atomic
def user_set_password(*, actor: User, user: User, password: str) -> User:
    """An administrator sets a new password (forgotten, or first sign-in); the hash is never
    written to the audit log."""
    require_administrator(actor)
    locked = User.objects.select_for_update().get(pk=user.pk)
    if not password:
        raise ValidationError({"password": [_("This field is required.")]})
    _check_password(password, locked)
    locked.set_password(password)
    locked.save(update_fields=["password"])
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.CHANGE,
        obj=locked,
        changes={"password": ["•••", "•••"]},
        message="password set by an administrator",
    )
    return locked


@transaction.atomic
def team_create(
    *, actor: User, name: str, description: str = "", members: Iterable[User] = ()
) -> Team:
    """A sales office or service queue; the "team" record rule shares records inside it."""
    require_administrator(actor)
    members = list(members)
    team = Team(name=name.strip(), description=description)
    team.full_clean()
    team.save()
    team.members.set(members)
    values = {"name": team.name, "description": description, "members": _member_names(members)}
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.CREATE,
        obj=team,
        changes={k: [None, v] for k, v in values.items() if v not in ("", [])},
    )
    return team


def _member_names(users: Iterable[User]) -> list[str]:
    return sorted(user.username for user in users)


@transaction.atomic
def team_update(
    *, actor: User, team: Team, fields: Mapping[str, Any], members: Iterable[User] | None = None
) -> Team:
    """Rename a team, describe it, change who is in it."""
    require_administrator(actor)
    locked = Team.objects.select_for_update().get(pk=team.pk)
    extra: dict[str, list[Any]] = {}
    new_members = list(members) if members is not None else None
    old_members = list(locked.members.all())
    if new_members is not None:
        old_names, new_names = _member_names(old_members), _member_names(new_members)
        if old_names != new_names:
            extra["members"] = [old_names, new_names]
    _apply_fields(
        actor=actor,
        obj=locked,
        fields=fields,
        allowed=("name", "description"),
        extra_changes=extra,
    )
    if new_members is not None:
        locked.members.set(new_members)
        for member in {*old_members, *new_members}:
            clear_cache(member)
    return locked


@transaction.atomic
def team_delete(*, actor: User, team: Team) -> None:
    """Remove a team: memberships go, and records shared with it are no longer shared with any
    team (their owners keep them)."""
    require_administrator(actor)
    locked = Team.objects.select_for_update().get(pk=team.pk)
    entry = audit.build(
        actor=actor,
        action=AuditEntry.Kind.DELETE,
        obj=locked,
        changes={
            "name": [locked.name, None],
            "members": [_member_names(locked.members.all()), None],
        },
    )
    locked.members.clear()
    locked.delete()
    entry.save()


@transaction.atomic
def role_create(
    *, actor: User, code: str, name: str, description: str = "", is_administrator: bool = False
) -> Role:
    """Administrators add roles beyond the built-in ones (issue #2); grants are set after."""
    require_administrator(actor)
    role = Role(
        code=code.strip(),
        name=name.strip(),
        description=description,
        is_builtin=False,
        is_administrator=is_administrator,
    )
    role.full_clean()
    role.save()
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.CREATE,
        obj=role,
        changes={
            k: [None, v]
            for k, v in audit.snapshot(
                role, ("code", "name", "description", "is_administrator")
            ).items()
            if v not in ("", False)
        },
    )
    return role


@transaction.atomic
def role_update(*, actor: User, role: Role, fields: Mapping[str, Any]) -> Role:
    """Rename or describe a role. A built-in role keeps its name (translated from code) and
    its administrator flag, so nobody can lock the administrators out."""
    require_administrator(actor)
    locked = Role.objects.select_for_update().get(pk=role.pk)
    allowed: tuple[str, ...] = ("name", "description", "is_administrator")
    if locked.is_builtin:
        allowed = ("description",)
    if fields.get("is_administrator") is False and _is_only_admin_role_of(actor, locked):
        raise ValidationError(
            {"is_administrator": [_("You cannot remove your own administrator rights.")]}
        )
    _apply_fields(actor=actor, obj=locked, fields=fields, allowed=allowed)
    clear_cache(actor)
    return locked


def _is_only_admin_role_of(actor: User, role: Role) -> bool:
    """Would losing this role leave the acting administrator without administrator rights?"""
    if actor.is_superuser or not role.is_administrator:
        return False
    others = actor.roles.filter(is_administrator=True).exclude(pk=role.pk)
    return actor.roles.filter(pk=role.pk).exists() and not others.exists()


@transaction.atomic
def role_delete(*, actor: User, role: Role) -> None:
    """Delete a role administrators created; its users simply lose the grants it gave."""
    require_administrator(actor)
    locked = Role.objects.select_for_update().get(pk=role.pk)
    if locked.is_builtin:
        raise ValidationError({"role": [_("Built-in roles cannot be deleted.")]})
    if _is_only_admin_role_of(actor, locked):
        raise ValidationError({"role": [_("You cannot remove your own administrator rights.")]})
    entry = audit.build(
        actor=actor,
        action=AuditEntry.Kind.DELETE,
        obj=locked,
        changes={
            "code": [locked.code, None],
            "name": [locked.name, None],
            "users": [_member_names(locked.users.all()), None],
        },
    )
    locked.delete()
    entry.save()


def role_grant_matrix(role: Role) -> dict[tuple[str, str], int]:
    """The role's grants as {(object_type, action): scope}; missing pairs mean no access."""
    return {
        (object_type, action): scope
        for object_type, action, scope in role.grants.values_list("object_type", "action", "scope")
    }


@transaction.atomic
def role_set_grants(
    *, actor: User, role: Role, grants: Mapping[tuple[str, str], int]
) -> dict[str, list[Any]]:
    """Replace what a role may do (rule 3: permissions are data). Returns the changes, keyed
    ``object_type.action``, old scope -> new scope; the audit entry holds the same."""
    require_administrator(actor)
    locked = Role.objects.select_for_update().get(pk=role.pk)
    errors: dict[str, list[str]] = {}
    wanted: dict[tuple[str, str], int] = {}
    for (object_type, action), scope in grants.items():
        key = f"{object_type}.{action}"
        if object_type not in OBJECT_TYPES:
            errors[key] = [_("Unknown record type.")]
        elif action not in OBJECT_TYPES[object_type].actions:
            errors[key] = [_("This action does not apply to this record type.")]
        elif scope not in Scope.values:
            errors[key] = [_("Choose one of the offered scopes.")]
        elif scope != Scope.NONE:
            wanted[(object_type, action)] = int(scope)
    if errors:
        raise ValidationError(errors)
    current = role_grant_matrix(locked)
    changes = {
        f"{object_type}.{action}": [
            current.get((object_type, action), 0),
            wanted.get((object_type, action), 0),
        ]
        for object_type, action in sorted({*current, *wanted})
        if current.get((object_type, action), 0) != wanted.get((object_type, action), 0)
    }
    if not changes:
        return {}
    RoleGrant.objects.filter(role=locked).delete()
    RoleGrant.objects.bulk_create(
        [
            RoleGrant(role=locked, object_type=object_type, action=action, scope=scope)
            for (object_type, action), scope in sorted(wanted.items())
        ]
    )
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.CHANGE,
        obj=locked,
        changes=changes,
        message="grants",
    )
    return changes


def _clean_choices(field_type: str, choices: Iterable[str]) -> list[str]:
    cleaned = list(dict.fromkeys(c.strip() for c in choices if c and c.strip()))
    kinds = {CustomFieldDefinition.FieldType.CHOICE, CustomFieldDefinition.FieldType.MULTI_CHOICE}
    if field_type in kinds and not cleaned:
        raise ValidationError({"choices": [_("Give at least one option, one per line.")]})
    return cleaned if field_type in kinds else []


@transaction.atomic
def custom_field_create(
    *,
    actor: User,
    model: str,
    name: str,
    label: str,
    field_type: str,
    choices: Iterable[str] = (),
    is_required: bool = False,
    help_text: str = "",
    position: int | None = None,
) -> CustomFieldDefinition:
    """An administrator adds a field to a record type without a programmer (I8)."""
    require_administrator(actor)
    errors: dict[str, list[str]] = {}
    if model not in EXTENSIBLE_MODELS:
        errors["model"] = [_("This record type cannot have custom fields.")]
    if not KEY_PATTERN.match(name or ""):
        errors["name"] = [
            _(
                "Use lower-case Latin letters, digits and underscores, starting with a letter "
                "(for example: contract_number)."
            )
        ]
    elif CustomFieldDefinition.objects.filter(model=model, name=name).exists():
        errors["name"] = [_("This record type already has a field with this key.")]
    try:
        cleaned_choices = _clean_choices(field_type, choices)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        cleaned_choices = []
    if errors:
        raise ValidationError(errors)
    if position is None:
        last = (
            CustomFieldDefinition.objects.filter(model=model)
            .order_by("-position")
            .values_list("position", flat=True)
            .first()
        )
        position = 0 if last is None else last + 1
    definition = CustomFieldDefinition(
        model=model,
        name=name,
        label=label.strip(),
        field_type=field_type,
        choices=cleaned_choices,
        is_required=is_required,
        help_text=help_text,
        position=position,
    )
    definition.full_clean()
    definition.save()
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.CREATE,
        obj=definition,
        changes={
            k: [None, v]
            for k, v in audit.snapshot(definition).items()
            if v not in (None, "", [], False)
        },
    )
    return definition


CUSTOM_FIELD_EDITABLE = ("label", "choices", "is_required", "help_text", "position", "is_active")


@transaction.atomic
def custom_field_update(
    *, actor: User, field: CustomFieldDefinition, fields: Mapping[str, Any]
) -> CustomFieldDefinition:
    """Relabel a field, edit its options or help. Key, record type and type stay fixed: stored
    values, API clients and imports depend on them."""
    require_administrator(actor)
    locked = CustomFieldDefinition.objects.select_for_update().get(pk=field.pk)
    data = dict(fields)
    for immutable in ("name", "model", "field_type"):
        if immutable in data and data[immutable] != getattr(locked, immutable):
            raise ValidationError({immutable: [_("This cannot be changed after creation.")]})
        data.pop(immutable, None)
    if "choices" in data:
        data["choices"] = _clean_choices(locked.field_type, data["choices"])
    _apply_fields(actor=actor, obj=locked, fields=data, allowed=CUSTOM_FIELD_EDITABLE)
    return locked


def custom_field_deactivate(*, actor: User, field: CustomFieldDefinition) -> CustomFieldDefinition:
    """Hide a field from forms, filters and the API; stored values stay for the history."""
    return custom_field_update(actor=actor, field=field, fields={"is_active": False})


PICKLIST_OPTION_EDITABLE = ("label", "label_ru", "label_fr", "label_de", "position", "is_active")


@transaction.atomic
def picklist_option_create(
    *,
    actor: User,
    picklist: str,
    code: str,
    label: str,
    label_ru: str = "",
    label_fr: str = "",
    label_de: str = "",
    position: int | None = None,
) -> PicklistOption:
    """Add an option to a classification (I8). More than seven are allowed; the UI warns (U1)."""
    require_administrator(actor)
    errors: dict[str, list[str]] = {}
    if picklist not in Picklist.values:
        errors["picklist"] = [_("Unknown picklist.")]
    if not KEY_PATTERN.match(code or ""):
        errors["code"] = [
            _("Use lower-case Latin letters, digits and underscores, starting with a letter.")
        ]
    elif PicklistOption.objects.filter(picklist=picklist, code=code).exists():
        errors["code"] = [_("This picklist already has an option with this code.")]
    if errors:
        raise ValidationError(errors)
    if position is None:
        last = (
            PicklistOption.objects.filter(picklist=picklist)
            .order_by("-position")
            .values_list("position", flat=True)
            .first()
        )
        position = 0 if last is None else last + 1
    option = PicklistOption(
        picklist=picklist,
        code=code,
        label=label.strip(),
        label_ru=label_ru.strip(),
        label_fr=label_fr.strip(),
        label_de=label_de.strip(),
        position=position,
    )
    option.full_clean()
    option.save()
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.CREATE,
        obj=option,
        changes={k: [None, v] for k, v in audit.snapshot(option).items() if v not in (None, "")},
    )
    return option


@transaction.atomic
def picklist_option_update(
    *, actor: User, option: PicklistOption, fields: Mapping[str, Any]
) -> PicklistOption:
    """Relabel (in any language), move or (de)activate an option. The code never changes:
    imports and the API refer to it."""
    require_administrator(actor)
    locked = PicklistOption.objects.select_for_update().get(pk=option.pk)
    data = dict(fields)
    for immutable in ("code", "picklist"):
        if immutable in data and data[immutable] != getattr(locked, immutable):
            raise ValidationError({immutable: [_("This cannot be changed after creation.")]})
        data.pop(immutable, None)
    _apply_fields(actor=actor, obj=locked, fields=data, allowed=PICKLIST_OPTION_EDITABLE)
    return locked


@transaction.atomic
def picklist_option_reorder(
    *, actor: User, picklist: str, option_ids: Sequence[int]
) -> list[PicklistOption]:
    """Put a picklist's options in the given order (every option of the list, once)."""
    require_administrator(actor)
    options = {
        o.pk: o for o in PicklistOption.objects.select_for_update().filter(picklist=picklist)
    }
    if sorted(option_ids) != sorted(options) or len(set(option_ids)) != len(option_ids):
        raise ValidationError({"options": [_("List every option of this picklist once.")]})
    ordered = []
    for position, pk in enumerate(option_ids):
        option = options[pk]
        if option.position != position:
            audit.record(
                actor=actor,
                action=AuditEntry.Kind.CHANGE,
                obj=option,
                changes={"position": [option.position, position]},
            )
            option.position = position
            option.save(update_fields=["position"])
        ordered.append(option)
    return ordered


def moved_order(ids: Iterable[int], pk: int, offset: int) -> list[int]:
    """``ids`` with ``pk`` moved ``offset`` places (-1 up, +1 down), kept within the list."""
    order = list(ids)
    index = order.index(pk)
    order.insert(max(0, min(len(order) - 1, index + offset)), order.pop(index))
    return order


def apply_order(
    *, actor: User, queryset: db_models.QuerySet[Any], ordered_ids: Sequence[int], field: str
) -> None:
    """Give the rows of ``queryset`` (locked) the positions of ``ordered_ids``, which must list
    each of them once; each moved row is audited. Call inside the caller's transaction."""
    rows = {row.pk: row for row in queryset.select_for_update()}
    ids = [int(i) for i in ordered_ids]
    if sorted(ids) != sorted(rows):
        raise ValidationError({field: [_("The list of rules changed; reload the page.")]})
    for position, pk in enumerate(ids):
        row = rows[pk]
        if row.position != position:
            audit.record(
                actor=actor,
                action=AuditEntry.Kind.CHANGE,
                obj=row,
                changes={"position": [row.position, position]},
            )
            queryset.model.objects.filter(pk=pk).update(position=position)


def picklist_option_deactivate(*, actor: User, option: PicklistOption) -> PicklistOption:
    """Retire an option: records keep it, new entries can no longer choose it."""
    return picklist_option_update(actor=actor, option=option, fields={"is_active": False})


@transaction.atomic
def saved_view_save(
    *, actor: User, list_key: str, name: str, query: str, columns: list[str]
) -> SavedView:
    """Keep a named list configuration for its owner; the same name overwrites (D2).

    Saved views are personal preferences, not business data, so they are not audited.
    """
    from urllib.parse import parse_qsl, urlencode

    from accord.core.lists import POSITION_PARAMS

    # A view remembers filters, sort and columns, never a position in the list.
    params = [
        (k, v) for k, v in parse_qsl(query, keep_blank_values=False) if k not in POSITION_PARAMS
    ]
    view = SavedView.objects.filter(user=actor, list_key=list_key, name=name.strip()).first()
    if view is None:
        view = SavedView(user=actor, list_key=list_key)
    view.name = name.strip()
    view.query = urlencode(params)
    view.columns = list(columns)
    view.full_clean(exclude=["user"], validate_unique=False)
    view.save()
    return view


@transaction.atomic
def saved_view_delete(*, actor: User, view: SavedView) -> None:
    """Remove one of the actor's own saved views; nobody manages another user's views."""
    if view.user_id != actor.pk:
        raise PermissionDenied(_("You may only delete your own saved views."))
    view.delete()


def notifications_mark_read(*, actor: User) -> int:
    """The user has seen their notifications (not business data: no audit entry)."""
    from django.utils import timezone

    return actor.notifications.filter(read_at__isnull=True).update(read_at=timezone.now())
