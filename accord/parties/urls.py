from django.urls import path

from accord.parties import lists, views, views_reassign

app_name = "parties"
urlpatterns = [
    # lists and export (lists.py)
    path("companies/", lists.company_list, name="company_list"),
    path("companies/export/", lists.company_export, name="company_export"),
    path("contacts/", lists.contact_list, name="contact_list"),
    path("contacts/export/", lists.contact_export, name="contact_export"),
    # records (views.py)
    path("companies/new/", views.company_create, name="company_create"),
    path("companies/duplicates/", views.company_duplicates, name="company_duplicates"),
    path("companies/options/", views.company_options, name="company_options"),
    path("companies/<int:pk>/", views.company_detail, name="company_detail"),
    path("companies/<int:pk>/edit/", views.company_edit, name="company_edit"),
    path("companies/<int:pk>/delete/", views.company_delete, name="company_delete"),
    path("companies/<int:pk>/history/", views.company_history, name="company_history"),
    path("contacts/new/", views.contact_create, name="contact_create"),
    path("contacts/duplicates/", views.contact_duplicates, name="contact_duplicates"),
    path("contacts/<int:pk>/", views.contact_detail, name="contact_detail"),
    path("contacts/<int:pk>/edit/", views.contact_edit, name="contact_edit"),
    path("contacts/<int:pk>/delete/", views.contact_delete, name="contact_delete"),
    path("contacts/<int:pk>/history/", views.contact_history, name="contact_history"),
    # bulk reassignment of a departing manager's clients (views_reassign.py)
    path("clients/reassign/", views_reassign.clients_reassign, name="clients_reassign"),
]
