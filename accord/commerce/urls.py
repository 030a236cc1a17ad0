from accord.commerce import urls_orders, urls_quotes

app_name = "commerce"
urlpatterns = urls_quotes.urlpatterns + urls_orders.urlpatterns
