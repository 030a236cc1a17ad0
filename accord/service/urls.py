from accord.service import urls_cases, urls_queues

app_name = "service"
urlpatterns = [*urls_cases.urlpatterns, *urls_queues.urlpatterns]
