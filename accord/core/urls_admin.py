from django.urls import path

from accord.core import views_admin

urlpatterns = [
    path("", views_admin.admin_home, name="admin_home"),
    path("users/", views_admin.user_list, name="admin_user_list"),
    path("users/new/", views_admin.user_create, name="admin_user_create"),
    path("users/<int:pk>/", views_admin.user_edit, name="admin_user_edit"),
    path("users/<int:pk>/password/", views_admin.user_password, name="admin_user_password"),
    path("teams/", views_admin.team_list, name="admin_team_list"),
    path("teams/new/", views_admin.team_create, name="admin_team_create"),
    path("teams/<int:pk>/", views_admin.team_edit, name="admin_team_edit"),
    path("teams/<int:pk>/delete/", views_admin.team_delete, name="admin_team_delete"),
    path("roles/", views_admin.role_list, name="admin_role_list"),
    path("roles/new/", views_admin.role_create, name="admin_role_create"),
    path("roles/<int:pk>/", views_admin.role_edit, name="admin_role_edit"),
    path("roles/<int:pk>/delete/", views_admin.role_delete, name="admin_role_delete"),
    path("fields/", views_admin.custom_field_list, name="admin_custom_field_list"),
    path("fields/new/", views_admin.custom_field_create, name="admin_custom_field_create"),
    path("fields/<int:pk>/", views_admin.custom_field_edit, name="admin_custom_field_edit"),
    path(
        "fields/<int:pk>/deactivate/",
        views_admin.custom_field_deactivate,
        name="admin_custom_field_deactivate",
    ),
    path("picklists/", views_admin.picklist_list, name="admin_picklist_list"),
    path(
        "picklists/<str:picklist>/new/",
        views_admin.picklist_option_create,
        name="admin_picklist_option_create",
    ),
    path(
        "picklists/options/<int:pk>/",
        views_admin.picklist_option_edit,
        name="admin_picklist_option_edit",
    ),
    path(
        "picklists/options/<int:pk>/move/<str:direction>/",
        views_admin.picklist_option_move,
        name="admin_picklist_option_move",
    ),
    path("audit/", views_admin.audit_log, name="admin_audit_log"),
]
