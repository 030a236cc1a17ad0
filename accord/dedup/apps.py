from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DedupConfig(AppConfig):
    name = "accord.dedup"
    label = "dedup"
    verbose_name = _("Duplicates and merge")
