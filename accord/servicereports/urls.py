from django.urls import URLPattern, URLResolver, path

from accord.servicereports import views

app_name = "servicereports"
urlpatterns: list[URLPattern | URLResolver] = [
    path("service/reports/", views.dashboard, name="dashboard"),
    path("service/reports/<slug:slug>/", views.report, name="report"),
    path("service/reports/<slug:slug>/card/", views.card, name="card"),
]
