from django.urls import path

from accord.analytics import views

app_name = "analytics"
urlpatterns = [
    path("reports/", views.dashboard, name="dashboard"),
    path("reports/<slug:slug>/", views.report, name="report"),
    path("reports/<slug:slug>/card/", views.card, name="card"),
]
