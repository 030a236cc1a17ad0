from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FieldserviceConfig(AppConfig):
    name = "accord.fieldservice"
    label = "fieldservice"
    verbose_name = _("Field service")
