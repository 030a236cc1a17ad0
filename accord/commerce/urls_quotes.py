from django.urls import path

from accord.commerce import views_quotes

urlpatterns = [
    path("quotes/", views_quotes.quote_list, name="quote_list"),
    path("manage/letterhead/", views_quotes.seller_profile, name="seller_profile"),
]
