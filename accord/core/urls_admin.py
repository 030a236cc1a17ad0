from django.urls import path

from accord.core import views_admin

urlpatterns = [
    path("", views_admin.admin_home, name="admin_home"),
]
