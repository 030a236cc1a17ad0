from django.urls import path

from accord.projects import views

app_name = "projects"
urlpatterns = [
    path("projects/", views.project_list, name="project_list"),
    path("manage/project-templates/", views.template_admin, name="template_admin"),
]
