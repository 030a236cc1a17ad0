from django.urls import path

from accord.sales import views_leads

urlpatterns = [
    path("leads/", views_leads.lead_list, name="lead_list"),
    path("leads/export/", views_leads.lead_export, name="lead_export"),
    path("leads/new/", views_leads.lead_create, name="lead_create"),
    path("leads/duplicates/", views_leads.lead_duplicates, name="lead_duplicates"),
    path("leads/<int:pk>/", views_leads.lead_detail, name="lead_detail"),
    path("leads/<int:pk>/edit/", views_leads.lead_edit, name="lead_edit"),
    path("leads/<int:pk>/delete/", views_leads.lead_delete, name="lead_delete"),
    path("leads/<int:pk>/status/", views_leads.lead_status, name="lead_status"),
    path("leads/<int:pk>/convert/", views_leads.lead_convert, name="lead_convert"),
    path("leads/<int:pk>/history/", views_leads.lead_history, name="lead_history"),
    path("manage/assignment-rules/", views_leads.assignment_rules, name="assignment_rules"),
    path(
        "manage/assignment-rules/new/",
        views_leads.assignment_rule_create,
        name="assignment_rule_create",
    ),
    path(
        "manage/assignment-rules/<int:pk>/",
        views_leads.assignment_rule_edit,
        name="assignment_rule_edit",
    ),
    path(
        "manage/assignment-rules/<int:pk>/move/",
        views_leads.assignment_rule_move,
        name="assignment_rule_move",
    ),
    path(
        "manage/assignment-rules/<int:pk>/toggle/",
        views_leads.assignment_rule_toggle,
        name="assignment_rule_toggle",
    ),
    path(
        "manage/assignment-rules/<int:pk>/delete/",
        views_leads.assignment_rule_delete,
        name="assignment_rule_delete",
    ),
]
