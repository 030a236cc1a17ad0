"""The /manage/ pages: administrators only, each change goes through a service and is audited."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accord.core import services
from accord.core.models import AuditEntry, CustomFieldDefinition, PicklistOption, Role, Team, User
from accord.core.permissions import Scope
from accord.core.testing import TeamFactory, assert_num_queries, user_with_role
from accord.parties.selectors import companies_visible_to
from accord.parties.tests.factories import make_company

pytestmark = pytest.mark.django_db


def _admin_urls():
    team = TeamFactory(name="North")
    user = user_with_role("read_only")
    role = Role.objects.get(code="marketing")
    definition = CustomFieldDefinition.objects.create(
        model="company", name="tier", label="Tier", field_type="text"
    )
    option = PicklistOption.objects.get(picklist="industry", code="energy")
    get_urls = [
        reverse("admin_home"),
        reverse("admin_user_list"),
        reverse("admin_user_create"),
        reverse("admin_user_edit", args=[user.pk]),
        reverse("admin_user_password", args=[user.pk]),
        reverse("admin_team_list"),
        reverse("admin_team_create"),
        reverse("admin_team_edit", args=[team.pk]),
        reverse("admin_role_list"),
        reverse("admin_role_create"),
        reverse("admin_role_edit", args=[role.pk]),
        reverse("admin_custom_field_list"),
        reverse("admin_custom_field_create"),
        reverse("admin_custom_field_edit", args=[definition.pk]),
        reverse("admin_picklist_list"),
        reverse("admin_picklist_option_create", args=["industry"]),
        reverse("admin_picklist_option_edit", args=[option.pk]),
        reverse("admin_audit_log"),
    ]
    post_urls = [
        (reverse("admin_user_create"), {"username": "x", "password": "Quiet-river-2031"}),
        (reverse("admin_user_edit", args=[user.pk]), {"username": "renamed", "language": "en"}),
        (reverse("admin_user_password", args=[user.pk]), {"password": "Quiet-river-2031"}),
        (reverse("admin_team_create"), {"name": "Hackers"}),
        (reverse("admin_team_edit", args=[team.pk]), {"name": "Renamed"}),
        (reverse("admin_team_delete", args=[team.pk]), {}),
        (reverse("admin_role_create"), {"code": "x", "name": "X"}),
        (reverse("admin_role_edit", args=[role.pk]), {"part": "grants", "grant-company-view": "0"}),
        (reverse("admin_role_delete", args=[role.pk]), {}),
        (reverse("admin_custom_field_create"), {"model": "company", "name": "y", "label": "Y"}),
        (reverse("admin_custom_field_edit", args=[definition.pk]), {"label": "Changed"}),
        (reverse("admin_custom_field_deactivate", args=[definition.pk]), {}),
        (reverse("admin_picklist_option_create", args=["industry"]), {"code": "z", "label": "Z"}),
        (reverse("admin_picklist_option_edit", args=[option.pk]), {"label": "Changed"}),
        (reverse("admin_picklist_option_move", args=[option.pk, "up"]), {}),
    ]
    return get_urls, post_urls


@pytest.mark.parametrize("role", ["head_of_sales", "sales_manager", "read_only"])
def test_non_admin_gets_403_everywhere_and_changes_nothing(client, role):
    get_urls, post_urls = _admin_urls()
    client.force_login(user_with_role(role))
    audit_before = AuditEntry.objects.count()
    grants_before = list(Role.objects.get(code="marketing").grants.values_list("action", "scope"))

    get_codes = {url: client.get(url).status_code for url in get_urls}
    post_codes = {url: client.post(url, data).status_code for url, data in post_urls}

    assert set(get_codes.values()) == {403}, get_codes
    assert set(post_codes.values()) == {403}, post_codes
    assert AuditEntry.objects.count() == audit_before
    assert Team.objects.filter(name="North").exists()
    assert Role.objects.filter(code="marketing").exists()
    assert CustomFieldDefinition.objects.get(name="tier").label == "Tier"
    assert PicklistOption.objects.get(picklist="industry", code="energy").label == (
        "Energy and utilities"
    )
    assert (
        list(Role.objects.get(code="marketing").grants.values_list("action", "scope"))
        == grants_before
    )


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("admin_user_list"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_admin_sees_every_page(client):
    get_urls, _post = _admin_urls()
    client.force_login(user_with_role("administrator"))
    codes = {url: client.get(url).status_code for url in get_urls}
    assert set(codes.values()) == {200}, codes


def test_admin_creates_user_with_roles_through_the_form(client):
    admin = user_with_role("administrator")
    team = TeamFactory(name="Moscow")
    client.force_login(admin)
    roles = Role.objects.filter(code__in=["sales_manager", "marketing"])

    response = client.post(
        reverse("admin_user_create"),
        {
            "username": "ivan",
            "first_name": "Ivan",
            "last_name": "Sidorov",
            "email": "ivan@example.com",
            "language": "ru",
            "time_zone": "Europe/Moscow",
            "password": "Quiet-river-2031",
            "roles": [r.pk for r in roles],
            "teams": [team.pk],
        },
    )

    assert response.status_code == 302
    user = User.objects.get(username="ivan")
    assert sorted(user.roles.values_list("code", flat=True)) == ["marketing", "sales_manager"]
    assert list(user.teams.values_list("name", flat=True)) == ["Moscow"]
    assert AuditEntry.objects.filter(object_type="core.user", object_id=user.pk).count() == 1


def test_user_form_shows_weak_password_error_next_to_field(client):
    client.force_login(user_with_role("administrator"))
    response = client.post(
        reverse("admin_user_create"),
        {"username": "weak", "language": "en", "time_zone": "UTC", "password": "123"},
    )
    assert response.status_code == 200
    assert "password" in response.context["form"].errors
    assert not User.objects.filter(username="weak").exists()


def test_admin_cannot_deactivate_themself_through_the_form(client):
    admin = user_with_role("administrator")
    client.force_login(admin)
    response = client.post(
        reverse("admin_user_edit", args=[admin.pk]),
        {
            "username": admin.username,
            "language": "en",
            "time_zone": "UTC",
            "roles": [Role.objects.get(code="administrator").pk],
        },
    )
    admin.refresh_from_db()
    assert response.status_code == 200
    assert "is_active" in response.context["form"].errors
    assert admin.is_active is True


def test_grant_matrix_page_renders_selects_and_saves(client):
    admin = user_with_role("administrator")
    manager = user_with_role("sales_manager")
    other = user_with_role("sales_manager")
    make_company(owner=manager, name="Mine")
    make_company(owner=other, name="Theirs")
    role = Role.objects.get(code="sales_manager")
    client.force_login(admin)
    page = client.get(reverse("admin_role_edit", args=[role.pk]))
    content = page.content.decode()
    assert 'name="grant-company-view"' in content and "table-wrap" in content
    data = {"part": "grants"}
    for (object_type, action), scope in services.role_grant_matrix(role).items():
        data[f"grant-{object_type}-{action}"] = str(scope)
    data["grant-company-view"] = str(Scope.ALL)

    response = client.post(reverse("admin_role_edit", args=[role.pk]), data)

    assert response.status_code == 302
    fresh = User.objects.get(pk=manager.pk)
    assert sorted(c.name for c in companies_visible_to(fresh)) == ["Mine", "Theirs"]
    assert AuditEntry.objects.get(object_type="core.role").changes == {"company.view": [2, 3]}


def test_custom_field_created_in_ui_appears_in_company_form_definitions(client):
    from accord.core.customfields import definitions

    client.force_login(user_with_role("administrator"))
    bad = client.post(
        reverse("admin_custom_field_create"),
        {"model": "company", "name": "1st-key", "label": "Bad", "field_type": "text"},
    )
    good = client.post(
        reverse("admin_custom_field_create"),
        {
            "model": "company",
            "name": "segment",
            "label": "Segment",
            "field_type": "choice",
            "choices": "A\nB\n",
        },
    )

    assert bad.status_code == 200 and "name" in bad.context["form"].errors
    assert good.status_code == 302
    assert [(d.name, d.choices) for d in definitions("company")] == [("segment", ["A", "B"])]


def test_picklist_option_labels_edited_and_warning_beyond_seven(client):
    client.force_login(user_with_role("administrator"))
    option = PicklistOption.objects.get(picklist="industry", code="other")

    client.post(
        reverse("admin_picklist_option_edit", args=[option.pk]),
        {
            "label": "Other",
            "label_ru": "Прочее",
            "label_fr": "Divers",
            "label_de": "Andere",
            "position": "6",
            "is_active": "on",
        },
    )
    response = client.post(
        reverse("admin_picklist_option_create", args=["industry"]),
        {"code": "mining", "label": "Mining"},
        follow=True,
    )

    option.refresh_from_db()
    assert (option.label_ru, option.label_fr, option.label_de) == ("Прочее", "Divers", "Andere")
    content = response.content.decode()
    assert "more than 7 options make forms harder to use" in content
    assert PicklistOption.objects.filter(picklist="industry").count() == 8


def test_audit_log_lists_newest_first_and_filters_by_actor(client):
    admin = user_with_role("administrator")
    other_admin = user_with_role("administrator")
    services.team_create(actor=admin, name="By admin")
    services.team_create(actor=other_admin, name="By other")
    client.force_login(admin)

    everything = client.get(reverse("admin_audit_log"))
    filtered = client.get(reverse("admin_audit_log"), {"actor": other_admin.pk})
    by_type = client.get(
        reverse("admin_audit_log"),
        {"object_type": "core.team", "date_from": timezone.localdate().isoformat()},
    )
    future = client.get(
        reverse("admin_audit_log"),
        {"date_from": (timezone.localdate() + datetime.timedelta(days=2)).isoformat()},
    )

    names = [row["entry"].object_repr for row in everything.context["rows"]]
    assert names[:2] == ["By other", "By admin"]
    assert [row["entry"].object_repr for row in filtered.context["rows"]] == ["By other"]
    assert [row["entry"].object_repr for row in by_type.context["rows"]] == [
        "By other",
        "By admin",
    ]
    assert future.context["rows"] == []
    assert "By admin" in everything.content.decode()


def test_audit_log_keyset_pages_and_has_no_edit_or_delete(client):
    admin = user_with_role("administrator")
    for index in range(55):
        services.team_create(actor=admin, name=f"Team {index:02d}")
    client.force_login(admin)

    first = client.get(reverse("admin_audit_log"), {"object_type": "core.team"})
    next_url = first.context["next_url"]
    second = client.get(reverse("admin_audit_log") + next_url)

    assert len(first.context["rows"]) == 50 and len(second.context["rows"]) == 5
    assert second.context["rows"][-1]["entry"].object_repr == "Team 00"
    assert second.context["next_url"] == ""
    html = first.content.decode()
    assert '<form method="post"' not in html.split("<main")[1].split("</main>")[0]
    assert client.post(reverse("admin_audit_log")).status_code in (200, 405)
    assert AuditEntry.objects.filter(object_type="core.team").count() == 55


def test_audit_log_query_count(client):
    admin = user_with_role("administrator")
    for index in range(5):
        services.team_create(actor=admin, name=f"Q{index}")
    client.force_login(admin)
    client.get(reverse("admin_audit_log"))  # warm the session and content types

    # session, user, administrator check, entries with their actors, unread notifications
    # (base template), the menu's grants, the filter form's actor choices: independent of the number of entries
    with assert_num_queries(7):
        client.get(reverse("admin_audit_log"))


def test_every_admin_change_through_the_ui_writes_an_audit_entry(client):
    admin = user_with_role("administrator")
    client.force_login(admin)
    steps = [
        (reverse("admin_team_create"), {"name": "Audit team"}),
        (reverse("admin_role_create"), {"code": "viewer", "name": "Viewer"}),
        (
            reverse("admin_custom_field_create"),
            {"model": "contact", "name": "nickname", "label": "Nickname", "field_type": "text"},
        ),
        (reverse("admin_picklist_option_create", args=["source"]), {"code": "ads", "label": "Ads"}),
    ]
    for url, data in steps:
        before = AuditEntry.objects.count()
        response = client.post(url, data)
        assert response.status_code == 302, (
            url,
            response.context and response.context["form"].errors,
        )
        assert AuditEntry.objects.count() == before + 1
        assert AuditEntry.objects.order_by("-id").first().actor == admin


def test_user_list_searches_filters_status_and_keeps_its_query_budget(client):
    admin = user_with_role("administrator", first_name="Root")
    user_with_role("sales_manager", first_name="Zinaida", username="zina")
    gone = user_with_role("sales_manager", first_name="Gone", username="gone")
    gone.is_active = False
    gone.save()
    client.force_login(admin)
    client.get(reverse("admin_user_list"))

    # session, user, administrator check, count, users, their roles, their teams, notifications
    with assert_num_queries(9):
        active = client.get(reverse("admin_user_list"))
    found = client.get(reverse("admin_user_list"), {"q": "zina"})
    inactive = client.get(reverse("admin_user_list"), {"status": "inactive"})

    assert sorted(u.username for u in active.context["page"]) == sorted([admin.username, "zina"])
    assert [u.username for u in found.context["page"]] == ["zina"]
    assert [u.username for u in inactive.context["page"]] == ["gone"]


def test_custom_role_details_edited_and_role_deleted_through_the_ui(client):
    admin = user_with_role("administrator")
    role = services.role_create(actor=admin, code="auditor", name="Auditor")
    client.force_login(admin)

    page = client.get(reverse("admin_role_edit", args=[role.pk]))
    saved = client.post(
        reverse("admin_role_edit", args=[role.pk]),
        {"part": "details", "name": "Internal auditor", "description": "Reads the log"},
    )
    builtin = Role.objects.get(code="read_only")
    refused = client.post(reverse("admin_role_delete", args=[builtin.pk]))
    deleted = client.post(reverse("admin_role_delete", args=[role.pk]))

    assert page.status_code == 200 and "code" not in page.context["form"].fields
    assert saved.status_code == 302
    assert refused.status_code == 302 and Role.objects.filter(code="read_only").exists()
    assert deleted.status_code == 302 and not Role.objects.filter(code="auditor").exists()
    changes = AuditEntry.objects.get(object_type="core.role", action="change").changes
    assert changes == {
        "name": ["Auditor", "Internal auditor"],
        "description": ["", "Reads the log"],
    }


def test_audit_log_and_role_names_are_shown_in_the_administrators_language(client):
    from accord.core.models import User
    from accord.parties import services as party_services
    from accord.parties.tests.factories import make_company

    admin = user_with_role("administrator", language="ru")
    company = make_company(owner=admin, name="Uralproekt")
    party_services.company_update(actor=admin, company=company, fields={"country": "RU"})
    assert User.objects.get(pk=admin.pk).language == "ru"
    client.force_login(admin)

    log = client.get("/manage/audit/").content.decode()
    users = client.get("/manage/users/").content.decode()

    assert "страна" in log and "<strong>country</strong>" not in log
    assert "Администратор" in users
