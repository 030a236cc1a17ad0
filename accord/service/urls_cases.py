"""Routes of one part of the service desk; accord/service/urls.py joins them.

Cases: the list, the new-case form, the case page and its actions, the client-card panel and
the administration of case categories."""

from django.urls import URLPattern, URLResolver, path

from accord.service import views_cases as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("cases/", views.case_list, name="case_list"),
    path("cases/export/", views.case_export, name="case_export"),
    path("cases/new/", views.case_create, name="case_create"),
    path("cases/new/clients/", views.case_company_search, name="case_company_search"),
    path("cases/new/client-fields/", views.case_client_fields, name="case_client_fields"),
    path("cases/<int:pk>/", views.case_detail, name="case_detail"),
    path("cases/<int:pk>/edit/", views.case_edit, name="case_edit"),
    path("cases/<int:pk>/messages/", views.case_message, name="case_message"),
    path("cases/<int:pk>/status/", views.case_status, name="case_status"),
    path("cases/<int:pk>/assign/", views.case_assign, name="case_assign"),
    path("cases/<int:pk>/merge/", views.case_merge, name="case_merge"),
    path("cases/files/<int:pk>/", views.case_attachment, name="case_attachment"),
    path("companies/<int:company_pk>/cases/", views.company_cases, name="company_cases"),
    path("contacts/<int:contact_pk>/cases/", views.contact_cases, name="contact_cases"),
    path("service/manage/categories/", views.category_admin, name="category_admin"),
    path("service/manage/categories/<int:pk>/", views.category_edit, name="category_edit"),
    path(
        "service/manage/categories/<int:pk>/move/<str:direction>/",
        views.category_move,
        name="category_move",
    ),
]
