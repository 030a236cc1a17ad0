from accord.sales import urls_deals, urls_leads

app_name = "sales"
urlpatterns = urls_leads.urlpatterns + urls_deals.urlpatterns
