"""Pages of this part (to be built)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
