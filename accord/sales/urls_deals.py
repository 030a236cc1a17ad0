from django.urls import path

from accord.sales import lists_deals, views_deals

urlpatterns = [
    path("deals/", views_deals.deal_board, name="deal_board"),
    path("deals/list/", lists_deals.deal_list, name="deal_list"),
    path("deals/export/", lists_deals.deal_export, name="deal_export"),
    path("deals/new/", views_deals.deal_create, name="deal_create"),
    path(
        "deals/board/<int:pipeline_pk>/column/",
        views_deals.deal_board_column,
        name="deal_board_column",
    ),
    path("deals/<int:pk>/", views_deals.deal_detail, name="deal_detail"),
    path("deals/<int:pk>/edit/", views_deals.deal_edit, name="deal_edit"),
    path("deals/<int:pk>/delete/", views_deals.deal_delete, name="deal_delete"),
    path("deals/<int:pk>/move/", views_deals.deal_move, name="deal_move"),
    path(
        "deals/panel/company/<int:company_pk>/",
        views_deals.company_deals_panel,
        name="company_deals_panel",
    ),
    path("manage/pipelines/", views_deals.pipeline_admin, name="pipeline_admin"),
    path("manage/pipelines/new/", views_deals.pipeline_create, name="pipeline_create"),
    path("manage/pipelines/<int:pk>/", views_deals.pipeline_edit, name="pipeline_edit"),
    path(
        "manage/pipelines/<int:pipeline_pk>/stages/new/",
        views_deals.stage_create,
        name="stage_create",
    ),
    path("manage/stages/<int:pk>/", views_deals.stage_edit, name="stage_edit"),
    path(
        "manage/stages/<int:pk>/move/<str:direction>/",
        views_deals.stage_move,
        name="stage_move",
    ),
    path("manage/stages/<int:pk>/delete/", views_deals.stage_delete, name="stage_delete"),
]
