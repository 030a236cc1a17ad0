from django.urls import path

from accord.sales import views_deals

urlpatterns = [
    path("deals/", views_deals.deal_board, name="deal_board"),
    path("manage/pipelines/", views_deals.pipeline_admin, name="pipeline_admin"),
]
