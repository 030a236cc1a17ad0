"""The administration area under /manage/ (I7, I8, U1): users, teams, roles and their grant
matrix, custom fields, picklists and the global audit log. Administrators only; everyone
else gets 403 on every page. Views parse, call one service and render."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accord.core import forms_admin, services
from accord.core.customfields import EXTENSIBLE_MODELS
from accord.core.http import AuthedHttpRequest
from accord.core.models import (
    AuditEntry,
    CustomFieldDefinition,
    Picklist,
    PicklistOption,
    Role,
    Team,
    User,
)
from accord.core.permissions import OBJECT_TYPES, Action, Scope, require_administrator

AUDIT_PAGE_SIZE = 50
View = Callable[..., HttpResponse]


def administrator_only(view: View) -> View:
    """login_required, then 403 (PermissionDenied) for anyone who is not an administrator."""

    @functools.wraps(view)
    def wrapper(request: AuthedHttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        require_administrator(request.user)
        return view(request, *args, **kwargs)

    return login_required(wrapper)


@administrator_only
def admin_home(request: AuthedHttpRequest) -> HttpResponse:
    counts = {
        "users": User.objects.filter(is_active=True).count(),
        "teams": Team.objects.count(),
        "roles": Role.objects.count(),
        "fields": CustomFieldDefinition.objects.filter(is_active=True).count(),
        "picklists": len(Picklist.choices),
    }
    return render(request, "core/admin/home.html", {"counts": counts})


# --- users ---------------------------------------------------------------------------------


@administrator_only
def user_list(request: AuthedHttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    status = request.GET.get("status", "active")
    users = User.objects.prefetch_related("roles", "teams").order_by("username")
    if status == "active":
        users = users.filter(is_active=True)
    elif status == "inactive":
        users = users.filter(is_active=False)
    if query:
        users = users.filter(
            Q(username__icontains=query)
            | Q(first_name__icontains=query)
            | Q(last_name__icontains=query)
            | Q(email__icontains=query)
        )
    page = Paginator(users, 50).get_page(request.GET.get("page"))
    params = urlencode({"q": query, "status": status})
    return render(
        request,
        "core/admin/user_list.html",
        {"page": page, "query": query, "status": status, "params": params},
    )


@administrator_only
def user_create(request: AuthedHttpRequest) -> HttpResponse:
    form = forms_admin.UserCreateForm(request.POST or None, initial={"language": "en"})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.user_create(
                actor=request.user,
                username=data["username"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                phone=data["phone"],
                password=data["password"],
                language=data["language"],
                time_zone=data["time_zone"],
                roles=data["roles"],
                teams=data["teams"],
            )
        except ValidationError as exc:
            forms_admin.add_service_errors(form, exc)
        else:
            messages.success(request, _("The user %(name)s was created.") % {"name": user})
            return redirect("admin_user_list")
    return render(
        request,
        "core/admin/form.html",
        {"form": form, "title": _("New user"), "back": "admin_user_list"},
    )


@administrator_only
def user_edit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    user = get_object_or_404(User, pk=pk)
    form = forms_admin.UserEditForm(
        request.POST or None, initial=forms_admin.UserEditForm.initial_for(user)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fields = {name: data[name] for name in services.ADMIN_USER_FIELDS}
        try:
            user = services.user_update(
                actor=request.user,
                user=user,
                fields=fields,
                roles=data["roles"],
                teams=data["teams"],
                is_active=data["is_active"],
            )
        except ValidationError as exc:
            forms_admin.add_service_errors(form, exc)
        else:
            messages.success(request, _("The user %(name)s was saved.") % {"name": user})
            return redirect("admin_user_list")
    return render(
        request,
        "core/admin/user_edit.html",
        {"form": form, "subject": user, "title": _("Edit user")},
    )


@administrator_only
def user_password(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    user = get_object_or_404(User, pk=pk)
    form = forms_admin.PasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_set_password(
                actor=request.user, user=user, password=form.cleaned_data["password"]
            )
        except ValidationError as exc:
            forms_admin.add_service_errors(form, exc)
        else:
            messages.success(request, _("The password of %(name)s was set.") % {"name": user})
            return redirect("admin_user_edit", pk=user.pk)
    title = _("Set the password of %(name)s") % {"name": user}
    return render(
        request, "core/admin/form.html", {"form": form, "title": title, "back": "admin_user_list"}
    )


# --- teams ---------------------------------------------------------------------------------


@administrator_only
def team_list(request: AuthedHttpRequest) -> HttpResponse:
    teams = Team.objects.annotate(member_count=Count("members")).order_by("name")
    return render(request, "core/admin/team_list.html", {"teams": teams})


@administrator_only
def team_create(request: AuthedHttpRequest) -> HttpResponse:
    form = forms_admin.TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            team = services.team_create(
                actor=request.user,
                name=data["name"],
                description=data["description"],
                members=data["members"],
            )
        except ValidationError as exc:
            forms_admin.add_service_errors(form, exc)
        else:
            messages.success(request, _("The team %(name)s was created.") % {"name": team})
            return redirect("admin_team_list")
    return render(
        request,
        "core/admin/form.html",
        {"form": form, "title": _("New team"), "back": "admin_team_list"},
    )


@administrator_only
def team_edit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    team = get_object_or_404(Team, pk=pk)
    initial = {
        "name": team.name,
        "description": team.description,
        "members": list(team.members.values_list("pk", flat=True)),
    }
    form = forms_admin.TeamForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            team = services.team_update(
                actor=request.user,
                team=team,
                fields={"name": data["name"], "description": data["description"]},
                members=data["members"],
            )
        except ValidationError as exc:
            forms_admin.add_service_errors(form, exc)
        else:
            messages.success(request, _("The team %(name)s was saved.") % {"name": team})
            return redirect("admin_team_list")
    return render(request, "core/admin/team_edit.html", {"form": form, "team": team})


@administrator_only
@require_POST
def team_delete(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    team = get_object_or_404(Team, pk=pk)
    services.team_delete(actor=request.user, team=team)
    messages.success(request, _("The team %(name)s was deleted.") % {"name": team.name})
    return redirect("admin_team_list")


# --- roles ---------------------------------------------------------------------------------


@administrator_only
def role_list(request: AuthedHttpRequest) -> HttpResponse:
    roles = Role.objects.annotate(user_count=Count("users")).order_by("-is_builtin", "name")
    return render(request, "core/admin/role_list.html", {"roles": roles})


@administrator_only
def role_create(request: AuthedHttpRequest) -> HttpResponse:
    form = forms_admin.RoleCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            role = services.role_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            forms_admin.add_service_errors(form, exc)
        else:
            messages.success(
                request, _("The role %(name)s was created. Now set its grants.") % {"name": role}
            )
            return redirect("admin_role_edit", pk=role.pk)
    return render(
        request,
        "core/admin/form.html",
        {"form": form, "title": _("New role"), "back": "admin_role_list"},
    )


def _grant_rows(matrix: dict[tuple[str, str], int]) -> list[dict[str, Any]]:
    rows = []
    for object_type in OBJECT_TYPES.values():
        cells = []
        for action, action_label in Action.choices:
            applies = action in object_type.actions
            cells.append(
                {
                    "action": action,
                    "action_label": action_label,
                    "name": f"grant-{object_type.key}-{action}",
                    "applies": applies,
                    "scope": matrix.get((object_type.key, action), Scope.NONE),
                }
            )
        rows.append({"key": object_type.key, "label": object_type.label, "cells": cells})
    return rows


def _grants_from_post(post: Any) -> dict[tuple[str, str], int]:
    grants: dict[tuple[str, str], int] = {}
    for object_type in OBJECT_TYPES.values():
        for action in object_type.actions:
            raw = post.get(f"grant-{object_type.key}-{action}", "0")
            try:
                grants[(object_type.key, action)] = int(raw)
            except (TypeError, ValueError):
                grants[(object_type.key, action)] = -1  # refused by the service, named
    return grants


@administrator_only
def role_edit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    role = get_object_or_404(Role, pk=pk)
    form_class: type[forms_admin.RoleEditForm] | type[forms_admin.BuiltinRoleEditForm] = (
        forms_admin.BuiltinRoleEditForm if role.is_builtin else forms_admin.RoleEditForm
    )
    initial = {
        "name": role.name,
        "description": role.description,
        "is_administrator": role.is_administrator,
    }
    posted = request.method == "POST"
    part = request.POST.get("part") if posted else None
    form = form_class(request.POST if part == "details" else None, initial=initial)
    matrix = services.role_grant_matrix(role)
    grant_errors: list[str] = []
    if part == "details" and form.is_valid():
        try:
            services.role_update(actor=request.user, role=role, fields=form.cleaned_data)
        except ValidationError as exc:
            forms_admin.add_service_errors(form, exc)
        else:
            messages.success(request, _("The role %(name)s was saved.") % {"name": role})
            return redirect("admin_role_edit", pk=role.pk)
    elif part == "grants":
        grants = _grants_from_post(request.POST)
        try:
            services.role_set_grants(actor=request.user, role=role, grants=grants)
        except ValidationError as exc:
            grant_errors = [f"{k}: {', '.join(v)}" for k, v in exc.message_dict.items()]
            matrix = {key: value for key, value in grants.items() if value >= 0}
        else:
            messages.success(
                request, _("The grants of the role %(name)s were saved.") % {"name": role}
            )
            return redirect("admin_role_edit", pk=role.pk)
    return render(
        request,
        "core/admin/role_edit.html",
        {
            "role": role,
            "form": form,
            "rows": _grant_rows(matrix),
            "actions": Action.choices,
            "scopes": Scope.choices,
            "grant_errors": grant_errors,
        },
    )


@administrator_only
@require_POST
def role_delete(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    role = get_object_or_404(Role, pk=pk)
    try:
        services.role_delete(actor=request.user, role=role)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("admin_role_edit", pk=role.pk)
    messages.success(request, _("The role %(name)s was deleted.") % {"name": role.name})
    return redirect("admin_role_list")


# --- custom fields -------------------------------------------------------------------------


@administrator_only
def custom_field_list(request: AuthedHttpRequest) -> HttpResponse:
    by_model: dict[str, list[CustomFieldDefinition]] = {key: [] for key in EXTENSIBLE_MODELS}
    for definition in CustomFieldDefinition.objects.order_by("model", "position", "id"):
        by_model.setdefault(definition.model, []).append(definition)
    labels = dict(forms_admin.record_type_choices())
    groups = [
        {"key": key, "label": labels.get(key, key), "fields": fields}
        for key, fields in by_model.items()
    ]
    return render(request, "core/admin/custom_field_list.html", {"groups": groups})


@administrator_only
def custom_field_create(request: AuthedHttpRequest) -> HttpResponse:
    form = forms_admin.CustomFieldCreateForm(
        request.POST or None, initial={"model": request.GET.get("model", "company")}
    )
    if request.method == "POST" and form.is_valid():
        try:
            definition = services.custom_field_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            forms_admin.add_service_errors(form, exc)
        else:
            messages.success(
                request, _("The field %(name)s was added.") % {"name": definition.label}
            )
            return redirect("admin_custom_field_list")
    return render(
        request,
        "core/admin/form.html",
        {"form": form, "title": _("New custom field"), "back": "admin_custom_field_list"},
    )


@administrator_only
def custom_field_edit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    definition = get_object_or_404(CustomFieldDefinition, pk=pk)
    initial = {
        name: getattr(definition, name) for name in forms_admin.CustomFieldEditForm.base_fields
    }
    form = forms_admin.CustomFieldEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        if data.get("position") is None:
            data.pop("position", None)
        try:
            services.custom_field_update(actor=request.user, field=definition, fields=data)
        except ValidationError as exc:
            forms_admin.add_service_errors(form, exc)
        else:
            messages.success(request, _("The field %(name)s was saved.") % {"name": data["label"]})
            return redirect("admin_custom_field_list")
    return render(
        request, "core/admin/custom_field_edit.html", {"form": form, "definition": definition}
    )


@administrator_only
@require_POST
def custom_field_deactivate(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    definition = get_object_or_404(CustomFieldDefinition, pk=pk)
    if request.POST.get("activate"):
        services.custom_field_update(
            actor=request.user, field=definition, fields={"is_active": True}
        )
        messages.success(request, _("The field %(name)s is active.") % {"name": definition})
    else:
        services.custom_field_deactivate(actor=request.user, field=definition)
        messages.success(request, _("The field %(name)s was deactivated.") % {"name": definition})
    return redirect("admin_custom_field_list")


# --- picklists -----------------------------------------------------------------------------


def _picklist_or_404(code: str) -> tuple[str, Any]:
    labels = dict(Picklist.choices)
    if code not in labels:
        raise Http404
    return code, labels[code]


@administrator_only
def picklist_list(request: AuthedHttpRequest) -> HttpResponse:
    options: dict[str, list[PicklistOption]] = {code: [] for code in Picklist.values}
    for option in PicklistOption.objects.order_by("picklist", "position", "id"):
        options.setdefault(option.picklist, []).append(option)
    picklists = []
    for code, label in Picklist.choices:
        active = sum(1 for option in options[code] if option.is_active)
        picklists.append(
            {
                "code": code,
                "label": label,
                "options": options[code],
                "active_count": active,
                "is_crowded": active > services.PICKLIST_COMFORTABLE_SIZE,
            }
        )
    return render(
        request,
        "core/admin/picklist_list.html",
        {"picklists": picklists, "limit": services.PICKLIST_COMFORTABLE_SIZE},
    )


@administrator_only
def picklist_option_create(request: AuthedHttpRequest, picklist: str) -> HttpResponse:
    code, label = _picklist_or_404(picklist)
    form = forms_admin.PicklistOptionCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            option = services.picklist_option_create(
                actor=request.user, picklist=code, **form.cleaned_data
            )
        except ValidationError as exc:
            forms_admin.add_service_errors(form, exc)
        else:
            messages.success(request, _("The option %(name)s was added.") % {"name": option})
            _warn_if_crowded(request, code)
            return redirect("admin_picklist_list")
    title = _("New option in %(picklist)s") % {"picklist": label}
    return render(
        request,
        "core/admin/form.html",
        {"form": form, "title": title, "back": "admin_picklist_list"},
    )


def _warn_if_crowded(request: AuthedHttpRequest, picklist: str) -> None:
    active = PicklistOption.objects.filter(picklist=picklist, is_active=True).count()
    if active > services.PICKLIST_COMFORTABLE_SIZE:
        messages.warning(
            request,
            _(
                "This picklist now has %(count)s active options: more than 7 options make "
                "forms harder to use."
            )
            % {"count": active},
        )


@administrator_only
def picklist_option_edit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    option = get_object_or_404(PicklistOption, pk=pk)
    initial = {
        name: getattr(option, name) for name in forms_admin.PicklistOptionEditForm.base_fields
    }
    form = forms_admin.PicklistOptionEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        if data.get("position") is None:
            data.pop("position", None)
        try:
            option = services.picklist_option_update(actor=request.user, option=option, fields=data)
        except ValidationError as exc:
            forms_admin.add_service_errors(form, exc)
        else:
            messages.success(request, _("The option %(name)s was saved.") % {"name": option})
            _warn_if_crowded(request, option.picklist)
            return redirect("admin_picklist_list")
    return render(request, "core/admin/picklist_option_edit.html", {"form": form, "option": option})


@administrator_only
@require_POST
def picklist_option_move(request: AuthedHttpRequest, pk: int, direction: str) -> HttpResponse:
    option = get_object_or_404(PicklistOption, pk=pk)
    ids = list(
        PicklistOption.objects.filter(picklist=option.picklist)
        .order_by("position", "id")
        .values_list("pk", flat=True)
    )
    index = ids.index(option.pk)
    target = index - 1 if direction == "up" else index + 1
    if 0 <= target < len(ids):
        ids[index], ids[target] = ids[target], ids[index]
        services.picklist_option_reorder(
            actor=request.user, picklist=option.picklist, option_ids=ids
        )
    return redirect(f"{reverse('admin_picklist_list')}#picklist-{option.picklist}")


# --- audit log -----------------------------------------------------------------------------


@administrator_only
def audit_log(request: AuthedHttpRequest) -> HttpResponse:
    """The global change log, newest first, keyset-paged by id so deep pages stay fast."""
    form = forms_admin.AuditFilterForm(request.GET or None)
    entries = AuditEntry.objects.select_related("actor").order_by("-id")
    if form.is_valid():
        data = form.cleaned_data
        if data["actor"]:
            entries = entries.filter(actor=data["actor"])
        if data["action"]:
            entries = entries.filter(action=data["action"])
        if data["object_type"]:
            entries = entries.filter(object_type=data["object_type"].strip())
        if data["object_id"] is not None:
            entries = entries.filter(object_id=data["object_id"])
        if data["date_from"]:
            entries = entries.filter(timestamp__date__gte=data["date_from"])
        if data["date_to"]:
            entries = entries.filter(timestamp__date__lte=data["date_to"])
        if data["request_id"]:
            entries = entries.filter(request_id=data["request_id"].strip())
    before = request.GET.get("before", "")
    if before.isdigit():
        entries = entries.filter(id__lt=int(before))
    page = list(entries[: AUDIT_PAGE_SIZE + 1])
    has_more = len(page) > AUDIT_PAGE_SIZE
    page = page[:AUDIT_PAGE_SIZE]
    filters = {k: v for k, v in request.GET.items() if k != "before" and v}
    next_url = "?" + urlencode({**filters, "before": page[-1].pk}) if has_more and page else ""
    first_url = "?" + urlencode(filters) if before else ""
    from accord.core.history import describe_for_administrator, object_type_label

    rows = [
        {
            "entry": entry,
            "object_type": object_type_label(entry.object_type),
            "changes": [(row.label, row.old, row.new) for row in described],
        }
        for entry, described in zip(page, describe_for_administrator(list(page)), strict=True)
    ]
    return render(
        request,
        "core/admin/audit_log.html",
        {"form": form, "rows": rows, "next_url": next_url, "first_url": first_url},
    )
