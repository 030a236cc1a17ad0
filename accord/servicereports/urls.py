from django.urls import URLPattern, URLResolver

app_name = "servicereports"
urlpatterns: list[URLPattern | URLResolver] = []
