from django.urls import path

from accord.commerce import views_orders

urlpatterns = [
    path("orders/", views_orders.order_list, name="order_list"),
    path("invoices/", views_orders.invoice_list, name="invoice_list"),
]
