from django.urls import URLPattern, URLResolver, path

from accord.kb import views

app_name = "kb"
urlpatterns: list[URLPattern | URLResolver] = [
    path("kb/", views.article_list, name="article_list"),
    path("kb/new/", views.article_create, name="article_create"),
    path("kb/<int:pk>/", views.article_detail, name="article_detail"),
    path("kb/<int:pk>/edit/", views.article_edit, name="article_edit"),
    path("kb/<int:pk>/delete/", views.article_delete, name="article_delete"),
    path("kb/<int:pk>/history/", views.article_history, name="article_history"),
    path("kb/<int:pk>/versions/", views.article_versions, name="article_versions"),
    path("kb/<int:pk>/versions/<int:number>/", views.article_version, name="article_version"),
    path(
        "kb/<int:pk>/versions/<int:number>/restore/",
        views.article_restore,
        name="article_restore",
    ),
    path("kb/<int:pk>/compare/", views.article_diff, name="article_diff"),
    path("kb/<int:pk>/feedback/", views.article_feedback, name="article_feedback"),
    path("kb/categories/", views.category_list, name="category_list"),
    path("kb/categories/new/", views.category_edit, name="category_create"),
    path("kb/categories/<int:pk>/", views.category_edit, name="category_edit"),
    path("kb/case/<int:case_pk>/", views.case_panel, name="case_panel"),
    path("kb/case/<int:case_pk>/link/", views.case_link, name="case_link"),
    path("kb/case/<int:case_pk>/unlink/<int:article_pk>/", views.case_unlink, name="case_unlink"),
    path("kb/public/", views.public_list, name="public_list"),
    path("kb/public/<int:pk>-<slug:slug>/", views.public_detail, name="public_detail"),
    path("kb/public/<int:pk>/feedback/", views.public_feedback, name="public_feedback"),
]
