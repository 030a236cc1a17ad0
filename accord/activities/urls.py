from django.urls import path

from accord.activities import lists, views

app_name = "activities"
urlpatterns = [
    # list and export (lists.py)
    path("activities/", lists.activity_list, name="activity_list"),
    path("activities/export/", lists.activity_export, name="activity_export"),
    # records (views.py)
    path("activities/new/", views.activity_create, name="activity_create"),
    path("activities/<int:pk>/", views.activity_detail, name="activity_detail"),
    path("activities/<int:pk>/edit/", views.activity_edit, name="activity_edit"),
    path("activities/<int:pk>/complete/", views.activity_complete, name="activity_complete"),
    path("activities/<int:pk>/delete/", views.activity_delete, name="activity_delete"),
    path("companies/<int:pk>/timeline/", views.company_timeline, name="company_timeline"),
    path("contacts/<int:pk>/timeline/", views.contact_timeline, name="contact_timeline"),
    path("companies/<int:pk>/documents/", views.company_documents, name="company_documents"),
    path("contacts/<int:pk>/documents/", views.contact_documents, name="contact_documents"),
    path("documents/upload/", views.document_upload, name="document_upload"),
    path("documents/<int:pk>/download/", views.document_download, name="document_download"),
    path("documents/<int:pk>/delete/", views.document_delete, name="document_delete"),
]
