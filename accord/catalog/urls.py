from django.urls import path

from accord.catalog import views

app_name = "catalog"
urlpatterns = [
    path("products/", views.product_list, name="product_list"),
    path("products/export/", views.product_export, name="product_export"),
    path("products/new/", views.product_create, name="product_create"),
    path("products/search/", views.product_search, name="product_search"),
    path("products/picker/", views.line_picker, name="line_picker"),
    path("products/picker/preview/", views.line_preview, name="line_preview"),
    path("products/<int:pk>/", views.product_detail, name="product_detail"),
    path("products/<int:pk>/edit/", views.product_edit, name="product_edit"),
    path("products/<int:pk>/history/", views.product_history, name="product_history"),
    path("products/<int:pk>/price/", views.product_price, name="product_price"),
    path("products/<int:pk>/groups/new/", views.group_create, name="group_create"),
    path("products/<int:pk>/groups/<int:group_pk>/", views.group_edit, name="group_edit"),
    path(
        "products/<int:pk>/groups/<int:group_pk>/delete/",
        views.group_delete,
        name="group_delete",
    ),
    path(
        "products/<int:pk>/groups/<int:group_pk>/options/new/",
        views.option_create,
        name="option_create",
    ),
    path("products/<int:pk>/options/<int:option_pk>/", views.option_edit, name="option_edit"),
    path(
        "products/<int:pk>/options/<int:option_pk>/delete/",
        views.option_delete,
        name="option_delete",
    ),
    path("products/<int:pk>/rules/new/", views.rule_create, name="rule_create"),
    path("products/<int:pk>/rules/<int:rule_pk>/delete/", views.rule_delete, name="rule_delete"),
    path("manage/vat-rates/", views.tax_rates, name="tax_rates"),
    path("manage/vat-rates/new/", views.tax_rate_create, name="tax_rate_create"),
    path("manage/vat-rates/<int:pk>/", views.tax_rate_edit, name="tax_rate_edit"),
    path("manage/price-lists/", views.price_lists, name="price_lists"),
    path("manage/price-lists/new/", views.price_list_create, name="price_list_create"),
    path("manage/price-lists/<int:pk>/", views.price_list_edit, name="price_list_edit"),
]
