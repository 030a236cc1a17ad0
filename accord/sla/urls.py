from django.urls import URLPattern, URLResolver, path

from accord.sla import views

app_name = "sla"
urlpatterns: list[URLPattern | URLResolver] = [
    path("cases/<int:pk>/service-level/", views.case_panel, name="case_panel"),
    path("service-levels/compliance/", views.compliance, name="compliance"),
    path("manage/service-levels/", views.settings_home, name="settings"),
    path("manage/service-levels/policies/new/", views.policy_create, name="policy_create"),
    path("manage/service-levels/policies/<int:pk>/", views.policy_edit, name="policy_edit"),
    path("manage/service-levels/policies/<int:pk>/move/", views.policy_move, name="policy_move"),
    path("manage/service-levels/calendars/new/", views.calendar_create, name="calendar_create"),
    path("manage/service-levels/calendars/<int:pk>/", views.calendar_edit, name="calendar_edit"),
    path(
        "manage/service-levels/calendars/<int:pk>/delete/",
        views.calendar_delete,
        name="calendar_delete",
    ),
    path(
        "manage/service-levels/calendars/<int:pk>/holidays/add/",
        views.holiday_add,
        name="holiday_add",
    ),
    path(
        "manage/service-levels/calendars/<int:pk>/holidays/load/",
        views.holidays_load,
        name="holidays_load",
    ),
    path(
        "manage/service-levels/holidays/<int:pk>/delete/",
        views.holiday_delete,
        name="holiday_delete",
    ),
]
