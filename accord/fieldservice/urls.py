from django.urls import path

from accord.fieldservice import views, views_planning, views_reports

app_name = "fieldservice"
W = "field/work-orders/<int:pk>/"
urlpatterns = [
    path("field/work-orders/", views.work_order_list, name="work_order_list"),
    path("field/work-orders/new/", views.work_order_create, name="work_order_create"),
    path(W, views.work_order_detail, name="work_order_detail"),
    path(W + "edit/", views.work_order_edit, name="work_order_edit"),
    path(W + "schedule/", views.work_order_schedule, name="work_order_schedule"),
    path(W + "status/", views.work_order_status, name="work_order_status"),
    path(W + "timer/start/", views.timer_start, name="timer_start"),
    path(W + "timer/stop/", views.timer_stop, name="timer_stop"),
    path(W + "time/", views.time_add, name="time_add"),
    path(W + "time/<int:entry_pk>/delete/", views.time_delete, name="time_delete"),
    path(W + "checklist/", views.checklist_add, name="checklist_add"),
    path(W + "checklist/<int:item_pk>/", views.checklist_tick, name="checklist_tick"),
    path(W + "materials/", views.material_add, name="material_add"),
    path(
        W + "materials/<int:material_pk>/remove/",
        views.material_remove,
        name="material_remove",
    ),
    path(W + "photos/", views.photo_add, name="photo_add"),
    path(W + "photos/<int:photo_pk>/", views.photo_file, name="photo_file"),
    path(W + "notes/", views.note_add, name="note_add"),
    path("field/dispatch/", views_planning.dispatch, name="dispatch"),
    path("field/my-visits/", views_planning.my_visits, name="my_visits"),
    path("field/reports/cost/", views_reports.cost_report, name="cost_report"),
    path(
        "field/reports/utilisation/",
        views_reports.utilisation_report,
        name="utilisation_report",
    ),
    path("manage/field-rates/", views.labour_rates, name="labour_rates"),
    path("manage/checklists/", views.checklist_templates, name="checklist_templates"),
    path("manage/checklists/new/", views.checklist_template_edit, name="checklist_template_create"),
    path(
        "manage/checklists/<int:pk>/",
        views.checklist_template_edit,
        name="checklist_template_edit",
    ),
    path(
        "companies/<int:company_pk>/work-orders/",
        views.company_work_orders,
        name="company_work_orders",
    ),
    path("cases/<int:case_pk>/work-orders/", views.case_work_orders, name="case_work_orders"),
]
