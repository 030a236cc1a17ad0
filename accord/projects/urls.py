from django.urls import path

from accord.projects import views

app_name = "projects"
urlpatterns = [
    path("projects/", views.project_list, name="project_list"),
    path("projects/export/", views.project_export, name="project_export"),
    path("projects/new/", views.project_create, name="project_create"),
    path("projects/my-stages/", views.my_stages, name="my_stages"),
    path("projects/<int:pk>/", views.project_detail, name="project_detail"),
    path("projects/<int:pk>/edit/", views.project_edit, name="project_edit"),
    path("projects/<int:pk>/status/", views.project_status, name="project_status"),
    path("projects/<int:pk>/delete/", views.project_delete, name="project_delete"),
    path("projects/<int:pk>/stages/new/", views.stage_create, name="stage_create"),
    path("projects/<int:pk>/stages/<int:stage_pk>/", views.stage_edit, name="stage_edit"),
    path(
        "projects/<int:pk>/stages/<int:stage_pk>/status/",
        views.stage_status,
        name="stage_status",
    ),
    path(
        "projects/<int:pk>/stages/<int:stage_pk>/move/<str:direction>/",
        views.stage_move,
        name="stage_move",
    ),
    path(
        "projects/<int:pk>/stages/<int:stage_pk>/remove/",
        views.stage_remove,
        name="stage_remove",
    ),
    path(
        "projects/<int:pk>/stages/<int:stage_pk>/invoice/",
        views.stage_invoice,
        name="stage_invoice",
    ),
    path("companies/<int:company_pk>/projects/", views.company_projects, name="company_projects"),
    path("deals/<int:deal_pk>/projects/", views.deal_projects, name="deal_projects"),
    path("manage/project-templates/", views.template_admin, name="template_admin"),
    path("manage/project-templates/new/", views.template_edit, name="template_create"),
    path("manage/project-templates/<int:pk>/", views.template_edit, name="template_edit"),
    path(
        "manage/project-templates/stages/<int:pk>/move/<str:direction>/",
        views.template_stage_move,
        name="template_stage_move",
    ),
]
