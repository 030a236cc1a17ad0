from django.urls import URLPattern, URLResolver, path

from accord.feedback import views

app_name = "feedback"
urlpatterns: list[URLPattern | URLResolver] = [
    path("feedback/s/<str:token>/", views.survey_page, name="survey"),
    path("service/feedback/", views.results, name="results"),
    path("service/feedback/<int:pk>/complaint/", views.survey_complaint, name="survey_complaint"),
    path("service/feedback/case/<int:pk>/", views.case_panel, name="case_panel"),
]
