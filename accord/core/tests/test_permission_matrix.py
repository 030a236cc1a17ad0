"""The generated permission matrix (issue 2, item 14).

For every client object type, every kind of caller and every action, through the HTML pages
("ui") and the REST API ("api"): what the caller may see is exactly what its record rule
allows, and a denied call answers 401/302 (anonymous), 403 or 404 and changes nothing (same
row, same version, no audit entry, nothing created).

Callers ("principals"):
    anonymous   not signed in
    nobody      signed in, no role at all
    own / team / all
                a custom role granting every action (but reassign) at that scope
    reader      a custom role granting only "view" on all records: it sees everything, so a
                denied write on a visible record is the service's 403, not the selector's 404

Records ("targets"), set up fresh for each case around the principal P, a teammate T (same
team) and an outsider O (no team):
    mine        owned by P
    team        owned by T and shared with the team
    unshared    owned by T, not shared: a teammate's private record is not the team's
    other       owned by O, not shared
and, for activities, whose ownership also flows through their company (owner_paths /
team_paths in accord/activities/apps.py):
    via_company       owned by O, on a company P owns
    via_team_company  owned by O, no team of its own, on a company shared with P's team

Actions: list, view (the detail page and every other page of one record: history, timeline,
documents; in the API the record and its sub-resources), add, change (the edit form GET and
POST; PATCH), delete (confirmation GET and POST; DELETE), export (CSV), and for activities
"complete" (marking a task done). There is no CSV export in the API, so "export" is generated
for the "ui" channel only; documents are listed on the record's card, so their "list" is API only.
"""

from __future__ import annotations

import datetime
import itertools
from dataclasses import dataclass, field
from typing import Any, cast

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accord.activities import services as activity_services
from accord.activities.models import Activity, Document
from accord.activities.tests.factories import make_activity, root
from accord.core import services as core_services
from accord.core.models import AuditEntry, Role, RoleGrant, Team, User
from accord.core.permissions import Action, Scope, clear_cache
from accord.core.testing import TeamFactory, UserFactory
from accord.parties.models import Company, Contact
from accord.parties.tests.factories import make_company, make_contact

pytestmark = pytest.mark.django_db

MODELS = ("company", "contact", "activity")
PRINCIPALS = ("anonymous", "nobody", "own", "team", "all", "reader")
ACTIONS = ("list", "view", "add", "change", "delete", "export")
CHANNELS = ("ui", "api")

ROLE_SCOPES = {"own": Scope.OWN, "team": Scope.TEAM, "all": Scope.ALL}
GRANTED_ACTIONS = [a.value for a in Action if a != Action.REASSIGN]

BASE_TARGETS = ("mine", "team", "unshared", "other")
ACTIVITY_TARGETS = (*BASE_TARGETS, "via_company", "via_team_company")
# Which targets each record rule reaches (the same for every model).
SCOPE_REACH: dict[Scope, set[str]] = {
    Scope.NONE: set(),
    Scope.OWN: {"mine", "via_company"},
    Scope.TEAM: {"mine", "via_company", "team", "via_team_company"},
    Scope.ALL: set(ACTIVITY_TARGETS),
}
MARKERS = {
    "mine": "zqmine",
    "team": "zqteam",
    "unshared": "zqunshared",
    "other": "zqother",
    "via_company": "zqviacompany",
    "via_team_company": "zqviateamco",
}
NEW_MARKER = "zqcreated"
PDF = b"%PDF-1.4\n% matrix test\n"

UI_URLS = {
    "company": {
        "list": "parties:company_list",
        "export": "parties:company_export",
        "add": "parties:company_create",
        "view": "parties:company_detail",
        "change": "parties:company_edit",
        "delete": "parties:company_delete",
    },
    "contact": {
        "list": "parties:contact_list",
        "export": "parties:contact_export",
        "add": "parties:contact_create",
        "view": "parties:contact_detail",
        "change": "parties:contact_edit",
        "delete": "parties:contact_delete",
    },
    "activity": {
        "list": "activities:activity_list",
        "export": "activities:activity_export",
        "add": "activities:activity_create",
        "view": "activities:activity_detail",
        "change": "activities:activity_edit",
        "delete": "activities:activity_delete",
    },
}
API_PATHS = {"company": "companies", "contact": "contacts", "activity": "activities"}
MODEL_CLASSES: dict[str, type[models.Model]] = {
    "company": Company,
    "contact": Contact,
    "activity": Activity,
    "document": Document,
}


def principal_scope(principal: str, action: str) -> Scope:
    if principal in ROLE_SCOPES:
        return ROLE_SCOPES[principal]
    if principal == "reader" and action == Action.VIEW:
        return Scope.ALL
    return Scope.NONE


def reach(principal: str, action: str, targets: tuple[str, ...]) -> set[str]:
    return SCOPE_REACH[principal_scope(principal, action)] & set(targets)


# --- the world each case runs in ------------------------------------------------------------


@dataclass
class World:
    model: str
    principal_kind: str
    principal: User
    team: Team
    records: dict[str, Any] = field(default_factory=dict)
    token: str = ""

    @property
    def targets(self) -> tuple[str, ...]:
        return tuple(self.records)

    def session_client(self) -> Client:
        client = Client()
        if self.principal_kind != "anonymous":
            client.force_login(self.principal)
        return client

    def token_client(self) -> Client:
        if self.principal_kind == "anonymous":
            return Client()
        return Client(HTTP_AUTHORIZATION=f"Bearer {self.token}")


def _grant(user: User, name: str, object_types: tuple[str, ...], grants: dict[str, int]) -> None:
    role = Role.objects.create(code=f"matrix-{name}", name=f"Matrix {name}")
    RoleGrant.objects.bulk_create(
        RoleGrant(role=role, object_type=object_type, action=action, scope=scope)
        for object_type in object_types
        for action, scope in grants.items()
    )
    user.roles.add(role)
    clear_cache(user)


def _fast_user(**kwargs: Any) -> User:
    # An unusable password: hashing one per user would dominate the matrix's run time.
    return cast(User, UserFactory(password=None, **kwargs))


def _build(model: str, principal_kind: str) -> World:
    team = cast(Team, TeamFactory())
    principal = _fast_user(teams=[team])
    mate = _fast_user(teams=[team])
    outsider = _fast_user()
    granted_types = (model, "company") if model == "document" else (model,)
    if principal_kind in ROLE_SCOPES:
        scope = ROLE_SCOPES[principal_kind]
        _grant(principal, principal_kind, granted_types, dict.fromkeys(GRANTED_ACTIONS, scope))
    elif principal_kind == "reader":
        _grant(principal, principal_kind, granted_types, {Action.VIEW: Scope.ALL})
    principal = User.objects.get(pk=principal.pk)
    world = World(model=model, principal_kind=principal_kind, principal=principal, team=team)
    owners = {"mine": principal, "team": mate, "unshared": mate, "other": outsider}
    if model == "company":
        for target, owner in owners.items():
            world.records[target] = make_company(
                owner=owner, name=MARKERS[target], team=team if target == "team" else None
            )
    elif model == "contact":
        for target, owner in owners.items():
            world.records[target] = make_contact(
                owner=owner, last_name=MARKERS[target], team=team if target == "team" else None
            )
    elif model == "activity":
        for target, owner in owners.items():
            extra: dict[str, Any] = {"team": team} if target == "team" else {}
            if target == "other":
                extra["company"] = make_company(owner=outsider, name="Host outsider")
            world.records[target] = make_activity(owner=owner, subject=MARKERS[target], **extra)
        world.records["via_company"] = make_activity(
            owner=outsider,
            subject=MARKERS["via_company"],
            company=make_company(owner=principal, name="Host principal"),
        )
        world.records["via_team_company"] = make_activity(
            owner=outsider,
            subject=MARKERS["via_team_company"],
            company=make_company(owner=outsider, name="Host shared", team=team),
            team=None,
        )
    else:  # document: each hangs on a company with the same owner and sharing
        for target, owner in owners.items():
            company = make_company(
                owner=owner,
                name=f"Host {target}",
                team=team if target == "team" else None,
            )
            world.records[target] = activity_services.document_upload(
                actor=root(),
                uploaded_file=SimpleUploadedFile(f"{MARKERS[target]}.pdf", PDF),
                company=company,
            )
            Document.objects.filter(pk=world.records[target].pk).update(owner=owner)
            world.records[target].refresh_from_db()
    if principal_kind != "anonymous":
        _token, world.token = core_services.api_token_create(actor=principal, name="matrix")
    return world


# --- what "changed nothing" means -----------------------------------------------------------


def _rows(world: World) -> dict[str, dict[str, Any] | None]:
    """Every column of every target record as stored now (None once deleted)."""
    model = MODEL_CLASSES[world.model]
    pks = {obj.pk: target for target, obj in world.records.items()}
    stored = {row["id"]: row for row in model._default_manager.filter(pk__in=pks).values()}
    return {target: stored.get(pk) for pk, target in pks.items()}


@dataclass
class Snapshot:
    rows: dict[str, dict[str, Any] | None]
    counts: dict[str, int]
    audit_ids: list[int]

    @classmethod
    def take(cls, world: World) -> Snapshot:
        return cls(
            rows=_rows(world),
            counts={name: m._default_manager.count() for name, m in MODEL_CLASSES.items()},
            audit_ids=list(AuditEntry.objects.order_by("pk").values_list("pk", flat=True)),
        )


def _new_audit(before: Snapshot) -> list[AuditEntry]:
    return list(AuditEntry.objects.exclude(pk__in=before.audit_ids).order_by("pk"))


def _assert_unchanged(world: World, before: Snapshot, targets: set[str] | None = None) -> None:
    after = Snapshot.take(world)
    for target in targets if targets is not None else world.records:
        assert after.rows[target] == before.rows[target], f"{target} changed"
    assert after.counts == before.counts
    assert _new_audit(before) == []


# --- responses ------------------------------------------------------------------------------


def _text(response: Any) -> str:
    if getattr(response, "streaming", False):
        return _streamed(response).decode("utf-8-sig").lower()
    return response.content.decode().lower()


def _streamed(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def _seen(world: World, text: str) -> set[str]:
    return {target for target in world.targets if MARKERS[target] in text}


def _assert_login_redirect(response: Any) -> None:
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def _denied_status(world: World, channel: str, action: str, target: str) -> int:
    """UI edit/delete pages fetch with the action's own scope (404); the API fetches what the
    caller may see and lets the service refuse a visible record (403)."""
    if channel == "api" and target in reach(world.principal_kind, Action.VIEW, world.targets):
        return 403
    return 404


# --- the requests ---------------------------------------------------------------------------


def _api_list_url(model: str) -> str:
    return f"/api/{API_PATHS.get(model, 'documents')}?limit=100"


def _api_url(model: str, obj: models.Model) -> str:
    return f"/api/{API_PATHS.get(model, 'documents')}/{obj.pk}"


def _task_due(activity: Activity) -> str:
    return timezone.localtime(activity.at).strftime("%Y-%m-%dT%H:%M")


def _ui_change_data(model: str, obj: Any) -> dict[str, Any]:
    if model == "company":
        return {
            "name": f"{obj.name} edited",
            "team": obj.team_id or "",
            "version": obj.version,
            "phones": "",
            "emails": "",
            "tags": "",
        }
    if model == "contact":
        return {
            "first_name": obj.first_name,
            "last_name": f"{obj.last_name} edited",
            "team": obj.team_id or "",
            "version": obj.version,
            "phones": "",
            "emails": "",
            "messengers": "",
            "tags": "",
        }
    return {"subject": f"{obj.subject} edited", "at": _task_due(obj), "version": obj.version}


def _api_change_data(model: str, obj: Any) -> dict[str, Any]:
    name = {"company": "name", "contact": "last_name", "activity": "subject"}[model]
    return {"version": obj.version, name: f"{getattr(obj, name)} edited"}


def _due_tomorrow() -> datetime.datetime:
    return timezone.localtime() + datetime.timedelta(days=1)


def _ui_add_data(model: str) -> dict[str, Any]:
    if model == "company":
        return {"name": NEW_MARKER, "phones": "", "emails": "", "tags": ""}
    if model == "contact":
        return {
            "first_name": "Anna",
            "last_name": NEW_MARKER,
            "phones": "",
            "emails": "",
            "messengers": "",
            "tags": "",
        }
    return {"kind": "task", "subject": NEW_MARKER, "at": _due_tomorrow().strftime("%Y-%m-%dT%H:%M")}


def _api_add_data(model: str) -> dict[str, Any]:
    if model == "company":
        return {"name": NEW_MARKER}
    if model == "contact":
        return {"first_name": "Anna", "last_name": NEW_MARKER}
    return {"kind": "task", "subject": NEW_MARKER, "at": _due_tomorrow().isoformat()}


def _created(model: str) -> models.Model | None:
    if model == "company":
        return Company.objects.filter(name=NEW_MARKER).first()
    if model == "contact":
        return Contact.objects.filter(last_name=NEW_MARKER).first()
    if model == "activity":
        return Activity.objects.filter(subject=NEW_MARKER).first()
    return Document.objects.filter(original_name=f"{NEW_MARKER}.pdf").first()


def _edited_value(model: str, obj: models.Model) -> str:
    field_name = {"company": "name", "contact": "last_name", "activity": "subject"}[model]
    return str(getattr(type(obj)._default_manager.get(pk=obj.pk), field_name))


# --- the checks, one per action -------------------------------------------------------------


def check_list(world: World, channel: str) -> None:
    before = Snapshot.take(world)
    if channel == "ui":
        response = world.session_client().get(reverse(UI_URLS[world.model]["list"]))
    else:
        response = world.session_client().get(_api_list_url(world.model))
    if world.principal_kind == "anonymous":
        if channel == "ui":
            _assert_login_redirect(response)
        else:
            assert response.status_code == 401
    else:
        assert response.status_code == 200
        expected = reach(world.principal_kind, Action.VIEW, world.targets)
        if channel == "ui":
            assert _seen(world, _text(response)) == expected
            if world.model in ("company", "contact"):
                # The global search box is a list too, scoped the same way.
                found = world.session_client().get(reverse("search"), {"q": "zq"})
                assert found.status_code == 200
                assert _seen(world, _text(found)) == expected
        else:
            ids = {item["id"] for item in response.json()["items"]}
            assert ids == {world.records[t].pk for t in expected}
    _assert_unchanged(world, before)


def check_export(world: World, channel: str) -> None:
    before = Snapshot.take(world)
    response = world.session_client().get(reverse(UI_URLS[world.model]["export"]))
    if world.principal_kind == "anonymous":
        _assert_login_redirect(response)
    elif principal_scope(world.principal_kind, Action.EXPORT) == Scope.NONE:
        assert response.status_code == 403
        assert MARKERS["mine"] not in _text(response)
    else:
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        assert _seen(world, _text(response)) == reach(
            world.principal_kind, Action.EXPORT, world.targets
        )
    _assert_unchanged(world, before)


VIEW_PAGES = {
    # Every other page showing one record is scoped like its detail page.
    "company": (
        "parties:company_history",
        "activities:company_timeline",
        "activities:company_documents",
    ),
    "contact": (
        "parties:contact_history",
        "activities:contact_timeline",
        "activities:contact_documents",
    ),
}


def _view_urls(world: World, channel: str, obj: models.Model) -> list[str]:
    """The record's main view first (its content is checked), then the other views of it."""
    if channel == "api":
        extra = {"company": "/contacts", "document": "/download"}.get(world.model)
        main = _api_url(world.model, obj)
        return [main, *([main + extra] if extra else [])]
    if world.model == "document":
        return [reverse("activities:document_download", args=[obj.pk])]
    main = reverse(UI_URLS[world.model]["view"], args=[obj.pk])
    return [main, *(reverse(name, args=[obj.pk]) for name in VIEW_PAGES.get(world.model, ()))]


def check_view(world: World, channel: str) -> None:
    visible = reach(world.principal_kind, Action.VIEW, world.targets)
    client = world.session_client()
    before = Snapshot.take(world)
    for target, obj in world.records.items():
        for index, url in enumerate(_view_urls(world, channel, obj)):
            response = client.get(url)
            if world.principal_kind == "anonymous":
                if channel == "ui":
                    _assert_login_redirect(response)
                else:
                    assert response.status_code == 401
            elif target not in visible:
                assert response.status_code == 404, url
                assert MARKERS[target] not in _text(response)
            else:
                assert response.status_code == 200, url
                if index > 0:
                    continue
                if channel == "api":
                    assert response.json()["id"] == obj.pk
                elif world.model == "document":
                    assert _streamed(response) == PDF
                else:
                    assert MARKERS[target] in _text(response)
    _assert_unchanged(world, before)


def _check_form_page(world: World, response: Any, target: str, is_allowed: bool) -> None:
    """The edit form or delete confirmation (GET): shown only for records one may change."""
    if world.principal_kind == "anonymous":
        _assert_login_redirect(response)
    elif is_allowed:
        assert response.status_code == 200, target
        assert MARKERS[target] in _text(response)
    else:
        assert response.status_code == 404, target
        assert MARKERS[target] not in _text(response)


def check_complete(world: World, channel: str) -> None:
    """Marking a task done is a change too, with its own URL in the UI and the API."""
    allowed = reach(world.principal_kind, Action.CHANGE, world.targets)
    session, token = world.session_client(), world.token_client()
    for target, obj in world.records.items():
        before = Snapshot.take(world)
        if channel == "ui":
            response = session.post(reverse("activities:activity_complete", args=[obj.pk]))
        else:
            response = token.post(
                f"/api/activities/{obj.pk}/complete",
                {"version": obj.version},
                content_type="application/json",
            )
        if world.principal_kind == "anonymous":
            if channel == "ui":
                _assert_login_redirect(response)
            else:
                assert response.status_code == 401
            _assert_unchanged(world, before)
        elif target in allowed:
            assert response.status_code == (302 if channel == "ui" else 200), target
            fresh = Activity.objects.get(pk=obj.pk)
            assert (fresh.is_done, fresh.version) == (True, obj.version + 1)
            entries = _new_audit(before)
            assert [(e.action, e.object_id, e.actor_id) for e in entries] == [
                (AuditEntry.Kind.CHANGE, obj.pk, world.principal.pk)
            ]
        else:
            assert response.status_code == _denied_status(world, channel, "change", target), target
            _assert_unchanged(world, before)


def check_change(world: World, channel: str) -> None:
    allowed = reach(world.principal_kind, Action.CHANGE, world.targets)
    session, token = world.session_client(), world.token_client()
    for target, obj in world.records.items():
        before = Snapshot.take(world)
        if channel == "ui":
            url = reverse(UI_URLS[world.model]["change"], args=[obj.pk])
            _check_form_page(world, session.get(url), target, target in allowed)
            response = session.post(url, _ui_change_data(world.model, obj))
        else:
            response = token.patch(
                _api_url(world.model, obj),
                _api_change_data(world.model, obj),
                content_type="application/json",
            )
        if world.principal_kind == "anonymous":
            if channel == "ui":
                _assert_login_redirect(response)
            else:
                assert response.status_code == 401
            _assert_unchanged(world, before)
        elif target in allowed:
            assert response.status_code == (302 if channel == "ui" else 200), target
            fresh = type(obj)._default_manager.get(pk=obj.pk)
            assert fresh.version == obj.version + 1
            assert _edited_value(world.model, obj) == f"{MARKERS[target]} edited"
            entries = _new_audit(before)
            assert [(e.action, e.object_id, e.actor_id) for e in entries] == [
                (AuditEntry.Kind.CHANGE, obj.pk, world.principal.pk)
            ]
            _assert_unchanged(world, Snapshot.take(world))
        else:
            assert response.status_code == _denied_status(world, channel, "change", target), target
            _assert_unchanged(world, before)


def check_delete(world: World, channel: str) -> None:
    allowed = reach(world.principal_kind, Action.DELETE, world.targets)
    session, token = world.session_client(), world.token_client()
    for target, obj in world.records.items():
        before = Snapshot.take(world)
        if channel == "ui":
            name = "activities:document_delete" if world.model == "document" else None
            url = reverse(name or UI_URLS[world.model]["delete"], args=[obj.pk])
            if world.model != "document":  # a document is deleted by a button, no page
                _check_form_page(world, session.get(url), target, target in allowed)
            response = session.post(url)
        else:
            url = _api_url(world.model, obj)
            if world.model != "document":
                url += f"?version={obj.version}"
            response = token.delete(url)
        if world.principal_kind == "anonymous":
            if channel == "ui":
                _assert_login_redirect(response)
            else:
                assert response.status_code == 401
            _assert_unchanged(world, before)
        elif target in allowed:
            assert response.status_code == (302 if channel == "ui" else 204), target
            assert not type(obj)._default_manager.filter(pk=obj.pk).exists()
            entries = [e for e in _new_audit(before) if e.object_type == type(obj)._meta.model_name]
            assert [(e.action, e.object_id, e.actor_id) for e in entries] == [
                (AuditEntry.Kind.DELETE, obj.pk, world.principal.pk)
            ]
            # The other records are untouched.
            _assert_unchanged_except(world, before, target)
        else:
            assert response.status_code == _denied_status(world, channel, "delete", target), target
            _assert_unchanged(world, before)


def _assert_unchanged_except(world: World, before: Snapshot, deleted: str) -> None:
    after = Snapshot.take(world)
    for target in world.records:
        if target != deleted:
            assert after.rows[target] == before.rows[target], f"{target} changed"


def check_add(world: World, channel: str) -> None:
    before = Snapshot.take(world)
    if world.model == "document":
        host = Document.objects.get(pk=world.records["mine"].pk).company_id
        upload = SimpleUploadedFile(f"{NEW_MARKER}.pdf", PDF)
        if channel == "ui":
            response = world.session_client().post(
                reverse("activities:document_upload"), {"company": host, "file": upload}
            )
        else:
            response = world.token_client().post(
                "/api/documents", {"company": host, "file": upload}
            )
    elif channel == "ui":
        response = world.session_client().post(
            reverse(UI_URLS[world.model]["add"]), _ui_add_data(world.model)
        )
    else:
        response = world.token_client().post(
            f"/api/{API_PATHS[world.model]}",
            _api_add_data(world.model),
            content_type="application/json",
        )
    if world.principal_kind == "anonymous":
        if channel == "ui":
            _assert_login_redirect(response)
        else:
            assert response.status_code == 401
        _assert_unchanged(world, before)
    elif principal_scope(world.principal_kind, Action.ADD) != Scope.NONE:
        assert response.status_code == (302 if channel == "ui" else 201)
        created = _created(world.model)
        assert created is not None
        assert created.owner_id == world.principal.pk  # type: ignore[attr-defined]
        entries = _new_audit(before)
        assert [(e.action, e.object_id, e.actor_id) for e in entries] == [
            (AuditEntry.Kind.CREATE, created.pk, world.principal.pk)
        ]
        _assert_unchanged_except(world, before, "")
    else:
        # No add grant: refused; a document's host company the caller cannot see is a 404.
        may_see_host = principal_scope(world.principal_kind, Action.VIEW) != Scope.NONE
        expected = 403 if channel == "api" or world.model != "document" or may_see_host else 404
        assert response.status_code == expected
        assert _created(world.model) is None
        _assert_unchanged(world, before)


CHECKS = {
    "list": check_list,
    "view": check_view,
    "add": check_add,
    "change": check_change,
    "delete": check_delete,
    "export": check_export,
    "complete": check_complete,
}


def _cases() -> list[Any]:
    cases = []
    for model, principal, action, channel in itertools.product(
        MODELS, PRINCIPALS, ACTIONS, CHANNELS
    ):
        if action == "export" and channel == "api":
            continue  # no CSV export in the API
        cases.append(pytest.param(model, principal, action, channel))
    for principal, channel in itertools.product(PRINCIPALS, CHANNELS):
        cases.append(pytest.param("activity", principal, "complete", channel))
    for principal, action, channel in itertools.product(
        PRINCIPALS, ("list", "view", "add", "delete"), CHANNELS
    ):
        if action == "list" and channel == "ui":
            continue  # documents are listed on their record's card, not on a page of their own
        cases.append(pytest.param("document", principal, action, channel))
    return cases


@pytest.fixture(autouse=True)
def _quiet_hasher(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.mark.parametrize(("model", "principal", "action", "channel"), _cases())
def test_permission_matrix(model: str, principal: str, action: str, channel: str) -> None:
    world = _build(model, principal)
    CHECKS[action](world, channel)


# --- found while building the matrix ----------------------------------------------------------


def test_activity_pages_do_not_reveal_a_company_or_contacts_the_user_may_not_see(client):
    """A call shared with the team, about a client the teammate may not see, shows the call but
    not that client's name (as the activity and contact lists already do)."""
    from accord.core.testing import user_with_role

    team = cast(Team, TeamFactory())
    manager = user_with_role("sales_manager", team=team)
    colleague = user_with_role("sales_manager")
    secret = make_company(owner=colleague, name="Secret Holding")
    hidden = make_contact(owner=colleague, last_name="Hiddenova")
    shared = make_activity(
        owner=colleague, kind="call", subject="Shared call", company=secret, team=team
    )
    shared.contacts.set([hidden])
    own_company = make_company(owner=manager, name="Open Works")
    mine = make_activity(owner=manager, subject="My task", company=secret)
    mine_visible = make_activity(owner=manager, subject="Other task", company=own_company)
    client.force_login(manager)

    detail = client.get(reverse("activities:activity_detail", args=[shared.pk])).content.decode()
    edit = client.get(reverse("activities:activity_edit", args=[mine.pk])).content.decode()
    visible = client.get(reverse("activities:activity_detail", args=[mine_visible.pk]))

    assert "Shared call" in detail and "My task" in edit
    assert "Secret Holding" not in detail and "Hiddenova" not in detail
    assert "Secret Holding" not in edit
    assert "Open Works" in visible.content.decode()
