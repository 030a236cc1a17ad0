from django.urls import path

from accord.commerce import lists_orders, views_orders

urlpatterns = [
    path("orders/", lists_orders.order_list, name="order_list"),
    path("orders/export/", lists_orders.order_export, name="order_export"),
    path("orders/new/", views_orders.order_create, name="order_create"),
    path("orders/new/line/", views_orders.order_line_row, name="order_line_row"),
    path("orders/<int:pk>/", views_orders.order_detail, name="order_detail"),
    path("orders/<int:pk>/history/", views_orders.order_history, name="order_history"),
    path("orders/<int:pk>/edit/", views_orders.order_edit, name="order_edit"),
    path("orders/<int:pk>/status/", views_orders.order_status, name="order_status"),
    path("orders/<int:pk>/lines/add/", views_orders.order_line_add, name="order_line_add"),
    path(
        "orders/<int:pk>/lines/<int:line_pk>/",
        views_orders.order_line_edit,
        name="order_line_edit",
    ),
    path(
        "orders/<int:pk>/lines/<int:line_pk>/delete/",
        views_orders.order_line_delete,
        name="order_line_delete",
    ),
    path("orders/<int:pk>/ship/", views_orders.shipment_create, name="shipment_create"),
    path("shipments/<int:pk>/delete/", views_orders.shipment_delete, name="shipment_delete"),
    path("invoices/", lists_orders.invoice_list, name="invoice_list"),
    path("invoices/export/", lists_orders.invoice_export, name="invoice_export"),
    path("invoices/new/", views_orders.invoice_create, name="invoice_create"),
    path("invoices/<int:pk>/", views_orders.invoice_detail, name="invoice_detail"),
    path("invoices/<int:pk>/history/", views_orders.invoice_history, name="invoice_history"),
    path("invoices/<int:pk>/issue/", views_orders.invoice_issue, name="invoice_issue"),
    path("invoices/<int:pk>/cancel/", views_orders.invoice_cancel, name="invoice_cancel"),
    path("invoices/<int:pk>/payments/", views_orders.payment_create, name="payment_create"),
    path("payments/<int:pk>/delete/", views_orders.payment_delete, name="payment_delete"),
    path(
        "companies/<int:company_pk>/orders/",
        views_orders.company_orders_panel,
        name="company_orders",
    ),
    path(
        "companies/<int:company_pk>/invoices/",
        views_orders.company_invoices_panel,
        name="company_invoices",
    ),
    path("deals/<int:deal_pk>/orders/", views_orders.deal_orders, name="deal_orders"),
]
