import pytest

from accord.core.models import Role, RoleGrant
from accord.core.permissions import Action, Scope, allows, clear_cache, restrict, user_scope
from accord.core.testing import TeamFactory, UserFactory, user_with_role
from accord.parties.models import Company
from accord.parties.tests.factories import make_company

pytestmark = pytest.mark.django_db


def test_builtin_roles_exist_with_expected_scopes():
    manager = user_with_role("sales_manager")
    head = user_with_role("head_of_sales")
    reader = user_with_role("read_only")

    assert user_scope(manager, "company", Action.VIEW) == Scope.TEAM
    assert user_scope(manager, "company", Action.CHANGE) == Scope.OWN
    assert user_scope(manager, "company", Action.REASSIGN) == Scope.NONE
    assert user_scope(head, "company", Action.REASSIGN) == Scope.ALL
    assert user_scope(reader, "company", Action.CHANGE) == Scope.NONE
    assert set(Role.objects.values_list("code", flat=True)) >= {
        "administrator",
        "head_of_sales",
        "sales_manager",
        "service_agent",
        "marketing",
        "read_only",
    }


def test_user_without_role_sees_nothing_and_anonymous_neither():
    nobody = UserFactory()
    owner = user_with_role("sales_manager")
    make_company(owner=owner)

    assert restrict(Company.objects.all(), nobody).count() == 0
    assert user_scope(None, "company", Action.VIEW) == Scope.NONE


def test_widest_scope_of_several_roles_wins():
    user = user_with_role(["sales_manager", "read_only"])
    owner = user_with_role("sales_manager")
    company = make_company(owner=owner)

    assert list(restrict(Company.objects.all(), user)) == [company]
    assert allows(user, Action.CHANGE, company) is False


def test_grants_are_data_an_admin_can_change():
    manager = user_with_role("sales_manager")
    other = user_with_role("sales_manager")
    company = make_company(owner=other)
    assert allows(manager, Action.VIEW, company) is False

    RoleGrant.objects.filter(
        role__code="sales_manager", object_type="company", action="view"
    ).update(scope=Scope.ALL)
    clear_cache(manager)

    assert allows(manager, Action.VIEW, company) is True


def test_team_scope_covers_shared_records_not_teammates_private_ones():
    team = TeamFactory(name="Paris")
    alice = user_with_role("sales_manager", team=team)
    bob = user_with_role("sales_manager", team=team)
    shared = make_company(owner=bob, team=team)
    private = make_company(owner=bob)

    assert allows(alice, Action.VIEW, shared) is True
    assert allows(alice, Action.VIEW, private) is False
    assert allows(alice, Action.CHANGE, shared) is False  # change is "own" for managers


def test_inactive_user_has_no_rights():
    head = user_with_role("head_of_sales")
    head.is_active = False

    assert user_scope(head, "company", Action.VIEW) == Scope.NONE
