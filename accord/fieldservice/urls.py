from django.urls import URLPattern, URLResolver

app_name = "fieldservice"
urlpatterns: list[URLPattern | URLResolver] = []
