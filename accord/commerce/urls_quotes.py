from django.urls import path

from accord.commerce import views_quotes

urlpatterns = [
    path("quotes/", views_quotes.quote_list, name="quote_list"),
    path("quotes/export/", views_quotes.quote_export, name="quote_export"),
    path("quotes/new/", views_quotes.quote_create, name="quote_create"),
    path("quotes/<int:pk>/", views_quotes.quote_detail, name="quote_detail"),
    path("quotes/<int:pk>/edit/", views_quotes.quote_update, name="quote_update"),
    path("quotes/<int:pk>/discount/", views_quotes.quote_discount, name="quote_discount"),
    path("quotes/<int:pk>/lines/", views_quotes.quote_line_add, name="quote_line_add"),
    path(
        "quotes/<int:pk>/lines/<int:line_pk>/",
        views_quotes.quote_line_edit,
        name="quote_line_edit",
    ),
    path(
        "quotes/<int:pk>/lines/<int:line_pk>/delete/",
        views_quotes.quote_line_delete,
        name="quote_line_delete",
    ),
    path(
        "quotes/<int:pk>/lines/<int:line_pk>/move/",
        views_quotes.quote_line_move,
        name="quote_line_move",
    ),
    path("quotes/<int:pk>/send/", views_quotes.quote_send, name="quote_send"),
    path("quotes/<int:pk>/accept/", views_quotes.quote_accept, name="quote_accept"),
    path("quotes/<int:pk>/reject/", views_quotes.quote_reject, name="quote_reject"),
    path("quotes/<int:pk>/revise/", views_quotes.quote_revise, name="quote_revise"),
    path("quotes/<int:pk>/pdf/", views_quotes.quote_pdf, name="quote_pdf"),
    path("deals/<int:deal_pk>/quotes/", views_quotes.deal_quotes, name="deal_quotes"),
    path("manage/letterhead/", views_quotes.seller_profile, name="seller_profile"),
]
