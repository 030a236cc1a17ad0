from django.urls import path

from accord.catalog import views

app_name = "catalog"
urlpatterns = [
    path("products/", views.product_list, name="product_list"),
    path("manage/vat-rates/", views.tax_rates, name="tax_rates"),
    path("manage/price-lists/", views.price_lists, name="price_lists"),
]
