"""Administration services (I7, I8, U1): administrators only, validated, audited."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accord.core import customfields, services
from accord.core.models import (
    AuditEntry,
    CustomFieldDefinition,
    PicklistOption,
    Role,
    RoleGrant,
    Team,
    User,
)
from accord.core.permissions import Scope, user_scope
from accord.core.testing import TeamFactory, user_with_role
from accord.parties.selectors import companies_visible_to
from accord.parties.tests.factories import make_company

pytestmark = pytest.mark.django_db

STRONG = "Quiet-river-2031"


def _new_user(admin, **overrides):
    values = {
        "actor": admin,
        "username": "olga",
        "first_name": "Olga",
        "last_name": "Petrova",
        "email": "olga@example.com",
        "password": STRONG,
        "language": "ru",
        "time_zone": "Asia/Yekaterinburg",
        "roles": Role.objects.filter(code="sales_manager"),
        "teams": [],
    }
    values.update(overrides)
    return services.user_create(**values)


def test_admin_creates_user_with_roles_and_teams_audited():
    admin = user_with_role("administrator")
    team = TeamFactory(name="Ural office")

    user = _new_user(admin, teams=[team])

    user = User.objects.get(pk=user.pk)
    assert user.check_password(STRONG)
    assert [r.code for r in user.roles.all()] == ["sales_manager"]
    assert [t.name for t in user.teams.all()] == ["Ural office"]
    assert (user.language, user.time_zone) == ("ru", "Asia/Yekaterinburg")
    entry = AuditEntry.objects.get(object_type="core.user", object_id=user.pk)
    assert entry.action == "create" and entry.actor == admin
    assert entry.changes["roles"] == [None, ["sales_manager"]]
    assert entry.changes["teams"] == [None, ["Ural office"]]
    assert "password" not in entry.changes


def test_user_create_refuses_weak_password_and_duplicate_username_saving_nothing():
    admin = user_with_role("administrator")
    _new_user(admin)
    count = User.objects.count()

    with pytest.raises(ValidationError) as exc:
        _new_user(admin, password="123")
    with pytest.raises(ValidationError) as dup:
        _new_user(admin, username="olga", password=STRONG)

    assert "password" in exc.value.message_dict
    assert "username" in dup.value.message_dict
    assert User.objects.count() == count


def test_non_admin_cannot_create_users_or_change_grants():
    head = user_with_role("head_of_sales")
    role = Role.objects.get(code="sales_manager")
    grants_before = list(role.grants.values_list("object_type", "action", "scope"))
    users_before = User.objects.count()

    with pytest.raises(PermissionDenied):
        _new_user(head)
    with pytest.raises(PermissionDenied):
        services.role_set_grants(actor=head, role=role, grants={("company", "view"): Scope.ALL})

    assert User.objects.count() == users_before
    assert list(role.grants.values_list("object_type", "action", "scope")) == grants_before
    assert not AuditEntry.objects.filter(actor=head).exists()


def test_editing_grant_matrix_changes_what_the_role_sees():
    admin = user_with_role("administrator")
    manager = user_with_role("sales_manager")
    other = user_with_role("sales_manager")
    own = make_company(owner=manager, name="Own")
    foreign = make_company(owner=other, name="Foreign")
    assert list(companies_visible_to(manager)) == [own]
    role = Role.objects.get(code="sales_manager")
    grants = services.role_grant_matrix(role)
    grants[("company", "view")] = Scope.ALL

    changes = services.role_set_grants(actor=admin, role=role, grants=grants)

    fresh = User.objects.get(pk=manager.pk)  # permissions are cached per user object only
    assert changes == {"company.view": [Scope.TEAM, Scope.ALL]}
    assert set(companies_visible_to(fresh)) == {own, foreign}
    entry = AuditEntry.objects.get(object_type="core.role", object_id=role.pk)
    assert entry.changes == {"company.view": [2, 3]}


def test_grant_set_to_none_removes_the_row_and_bad_scope_is_refused():
    admin = user_with_role("administrator")
    role = Role.objects.get(code="sales_manager")
    grants = services.role_grant_matrix(role)
    grants[("company", "delete")] = Scope.NONE
    services.role_set_grants(actor=admin, role=role, grants=grants)
    assert not RoleGrant.objects.filter(role=role, object_type="company", action="delete").exists()
    before = services.role_grant_matrix(role)

    with pytest.raises(ValidationError) as exc:
        services.role_set_grants(actor=admin, role=role, grants={**before, ("company", "view"): 9})
    with pytest.raises(ValidationError):
        services.role_set_grants(actor=admin, role=role, grants={("nonsense", "view"): 1})

    assert "company.view" in exc.value.message_dict
    assert services.role_grant_matrix(role) == before


def test_admin_cannot_deactivate_themself_or_drop_own_admin_role():
    admin = user_with_role("administrator")

    with pytest.raises(ValidationError) as deactivate:
        services.user_set_active(actor=admin, user=admin, is_active=False)
    with pytest.raises(ValidationError) as demote:
        services.user_update(
            actor=admin, user=admin, fields={}, roles=Role.objects.filter(code="read_only")
        )

    admin.refresh_from_db()
    assert "is_active" in deactivate.value.message_dict
    assert "roles" in demote.value.message_dict
    assert admin.is_active is True
    assert list(admin.roles.values_list("code", flat=True)) == ["administrator"]


def test_deactivating_a_user_keeps_them_and_is_audited():
    admin = user_with_role("administrator")
    leaving = user_with_role("sales_manager")
    make_company(owner=leaving, name="Kept")

    services.user_set_active(actor=admin, user=leaving, is_active=False)

    leaving.refresh_from_db()
    assert leaving.is_active is False
    assert user_scope(leaving, "company", "view") == Scope.NONE
    entry = AuditEntry.objects.get(object_type="core.user", object_id=leaving.pk)
    assert entry.changes == {"is_active": [True, False]}


def test_user_update_changes_fields_roles_and_teams_in_one_entry():
    admin = user_with_role("administrator")
    user = user_with_role("sales_manager")
    team = TeamFactory(name="Paris")

    services.user_update(
        actor=admin,
        user=user,
        fields={"language": "fr", "time_zone": "Europe/Paris"},
        roles=Role.objects.filter(code="head_of_sales"),
        teams=[team],
    )

    user.refresh_from_db()
    assert (user.language, user.time_zone) == ("fr", "Europe/Paris")
    assert list(user.roles.values_list("code", flat=True)) == ["head_of_sales"]
    entry = AuditEntry.objects.get(object_type="core.user", object_id=user.pk)
    assert entry.changes["roles"] == [["sales_manager"], ["head_of_sales"]]
    assert entry.changes["teams"] == [[], ["Paris"]]
    assert entry.changes["language"] == ["en", "fr"]


def test_set_password_validates_and_never_logs_the_hash():
    admin = user_with_role("administrator")
    user = user_with_role("sales_manager")

    with pytest.raises(ValidationError):
        services.user_set_password(actor=admin, user=user, password="short")
    services.user_set_password(actor=admin, user=user, password=STRONG)

    user.refresh_from_db()
    assert user.check_password(STRONG)
    entry = AuditEntry.objects.get(object_type="core.user", object_id=user.pk)
    assert entry.changes == {"password": ["•••", "•••"]}


def test_team_lifecycle_is_audited_and_delete_unshares_records():
    admin = user_with_role("administrator")
    member = user_with_role("sales_manager")
    team = services.team_create(actor=admin, name="Siberia", members=[member])
    company = make_company(owner=member, name="Shared", team=team)

    services.team_update(actor=admin, team=team, fields={"description": "Novosibirsk office"})
    services.team_delete(actor=admin, team=team)

    company.refresh_from_db()
    assert company.team is None and company.owner == member
    assert not Team.objects.filter(name="Siberia").exists()
    actions = list(
        AuditEntry.objects.filter(object_type="core.team", object_id=team.pk)
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["create", "change", "delete"]


def test_builtin_roles_cannot_be_deleted_custom_ones_can():
    admin = user_with_role("administrator")
    builtin = Role.objects.get(code="marketing")
    custom = services.role_create(actor=admin, code="auditor", name="Auditor")

    with pytest.raises(ValidationError):
        services.role_delete(actor=admin, role=builtin)
    services.role_delete(actor=admin, role=custom)

    assert Role.objects.filter(code="marketing").exists()
    assert not Role.objects.filter(code="auditor").exists()
    assert AuditEntry.objects.filter(object_type="core.role", action="delete").count() == 1


def test_custom_field_appears_in_company_definitions_and_bad_key_is_refused():
    admin = user_with_role("administrator")

    definition = services.custom_field_create(
        actor=admin,
        model="company",
        name="contract_number",
        label="Contract number",
        field_type="text",
    )
    with pytest.raises(ValidationError) as bad_key:
        services.custom_field_create(
            actor=admin, model="company", name="Bad Key", label="X", field_type="text"
        )
    with pytest.raises(ValidationError) as duplicate:
        services.custom_field_create(
            actor=admin, model="company", name="contract_number", label="X", field_type="text"
        )
    with pytest.raises(ValidationError) as no_choices:
        services.custom_field_create(
            actor=admin, model="company", name="tier", label="Tier", field_type="choice"
        )
    with pytest.raises(ValidationError) as bad_model:
        services.custom_field_create(
            actor=admin, model="invoice", name="x", label="X", field_type="text"
        )

    assert [d.name for d in customfields.definitions("company")] == ["contract_number"]
    assert customfields.definitions("contact") == []
    assert "name" in bad_key.value.message_dict
    assert "name" in duplicate.value.message_dict
    assert "choices" in no_choices.value.message_dict
    assert "model" in bad_model.value.message_dict
    assert CustomFieldDefinition.objects.count() == 1
    assert AuditEntry.objects.filter(
        object_type="core.customfielddefinition", object_id=definition.pk, action="create"
    ).exists()


def test_custom_field_key_is_immutable_and_deactivation_hides_it():
    admin = user_with_role("administrator")
    definition = services.custom_field_create(
        actor=admin,
        model="contact",
        name="hobby",
        label="Hobby",
        field_type="choice",
        choices=["Chess", " Ski ", "Chess"],
    )
    assert definition.choices == ["Chess", "Ski"]

    with pytest.raises(ValidationError):
        services.custom_field_update(actor=admin, field=definition, fields={"name": "other"})
    services.custom_field_update(actor=admin, field=definition, fields={"label": "Pastime"})
    services.custom_field_deactivate(actor=admin, field=definition)

    definition.refresh_from_db()
    assert (definition.name, definition.label, definition.is_active) == ("hobby", "Pastime", False)
    assert customfields.definitions("contact") == []


def test_picklist_option_labels_edited_code_immutable_and_eighth_option_allowed():
    admin = user_with_role("administrator")
    option = PicklistOption.objects.get(picklist="industry", code="energy")

    services.picklist_option_update(
        actor=admin,
        option=option,
        fields={"label": "Energy", "label_ru": "Энергетика", "label_de": "Energie"},
    )
    with pytest.raises(ValidationError):
        services.picklist_option_update(actor=admin, option=option, fields={"code": "power"})
    eighth = services.picklist_option_create(
        actor=admin, picklist="industry", code="mining", label="Mining", label_ru="Добыча"
    )

    option.refresh_from_db()
    assert (option.code, option.label, option.label_ru, option.label_de) == (
        "energy",
        "Energy",
        "Энергетика",
        "Energie",
    )
    assert eighth.position == 7
    assert PicklistOption.objects.filter(picklist="industry", is_active=True).count() == 8
    entry = AuditEntry.objects.get(object_type="core.picklistoption", object_id=option.pk)
    assert entry.changes["label_ru"] == ["Энергетика и ЖКХ", "Энергетика"]


def test_picklist_reorder_and_deactivate():
    admin = user_with_role("administrator")
    ids = list(
        PicklistOption.objects.filter(picklist="size")
        .order_by("position")
        .values_list("pk", flat=True)
    )

    services.picklist_option_reorder(actor=admin, picklist="size", option_ids=ids[::-1])
    with pytest.raises(ValidationError):
        services.picklist_option_reorder(actor=admin, picklist="size", option_ids=ids[:2])
    services.picklist_option_deactivate(actor=admin, option=PicklistOption.objects.get(pk=ids[0]))

    ordered = list(
        PicklistOption.objects.filter(picklist="size")
        .order_by("position")
        .values_list("pk", flat=True)
    )
    assert ordered == ids[::-1]
    assert PicklistOption.objects.get(pk=ids[0]).is_active is False


def test_user_update_deactivates_with_other_changes_or_refuses_all_of_them():
    admin = user_with_role("administrator")
    user = user_with_role("sales_manager")

    with pytest.raises(ValidationError):
        services.user_update(actor=admin, user=admin, fields={"language": "de"}, is_active=False)
    services.user_update(actor=admin, user=user, fields={"language": "de"}, is_active=False)

    admin.refresh_from_db()
    user.refresh_from_db()
    assert (admin.language, admin.is_active) == ("en", True)
    assert (user.language, user.is_active) == ("de", False)
    entry = AuditEntry.objects.get(object_type="core.user", object_id=user.pk)
    assert entry.changes == {"language": ["en", "de"], "is_active": [True, False]}


def test_admin_cannot_strip_administrator_rights_from_their_only_admin_role():
    root = user_with_role("administrator")
    custom = services.role_create(actor=root, code="it", name="IT", is_administrator=True)
    admin = user_with_role("it")

    with pytest.raises(ValidationError) as update:
        services.role_update(actor=admin, role=custom, fields={"is_administrator": False})
    with pytest.raises(ValidationError) as delete:
        services.role_delete(actor=admin, role=custom)

    custom.refresh_from_db()
    assert "is_administrator" in update.value.message_dict
    assert "role" in delete.value.message_dict
    assert custom.is_administrator is True
