from django.urls import path

from accord.analytics import views

app_name = "analytics"
urlpatterns = [
    path("reports/", views.dashboard, name="dashboard"),
]
