from django.urls import URLPattern, URLResolver, path

from accord.feedback import views

app_name = "feedback"
urlpatterns: list[URLPattern | URLResolver] = [
    path("feedback/s/<str:token>/", views.survey_page, name="survey"),
    path("service/feedback/", views.results, name="results"),
    path("service/feedback/<int:pk>/complaint/", views.survey_complaint, name="survey_complaint"),
    path("service/feedback/case/<int:pk>/", views.case_panel, name="case_panel"),
    path("service/feedback/company/<int:pk>/", views.company_panel, name="company_panel"),
    path("service/feedback/opt-outs/", views.opt_out_add, name="opt_out_add"),
    path("service/feedback/opt-outs/<int:pk>/remove/", views.opt_out_remove, name="opt_out_remove"),
]
