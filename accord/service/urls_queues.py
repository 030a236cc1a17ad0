"""Routes of one part of the service desk; accord/service/urls.py joins them."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
