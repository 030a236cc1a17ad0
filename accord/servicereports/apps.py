from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicereportsConfig(AppConfig):
    name = "accord.servicereports"
    label = "servicereports"
    verbose_name = _("Service reports")
