from django.urls import path

from accord.sales import views_leads

urlpatterns = [
    path("leads/", views_leads.lead_list, name="lead_list"),
    path("manage/assignment-rules/", views_leads.assignment_rules, name="assignment_rules"),
]
