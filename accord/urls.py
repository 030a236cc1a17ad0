from django.urls import include, path

from accord.api import api

urlpatterns = [
    path("", include("accord.core.urls")),
    path("", include("accord.parties.urls")),
    path("", include("accord.activities.urls")),
    path("", include("accord.catalog.urls")),
    path("", include("accord.sales.urls")),
    path("", include("accord.commerce.urls")),
    path("", include("accord.projects.urls")),
    path("", include("accord.analytics.urls")),
    path("", include("accord.dataio.urls")),
    path("", include("accord.dedup.urls")),
    path("", include("accord.service.urls")),
    path("", include("accord.sla.urls")),
    path("", include("accord.contracts.urls")),
    path("", include("accord.kb.urls")),
    path("", include("accord.fieldservice.urls")),
    path("", include("accord.feedback.urls")),
    path("", include("accord.servicereports.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", api.urls),
]
