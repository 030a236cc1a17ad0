from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartiesConfig(AppConfig):
    name = "accord.parties"
    label = "parties"
    verbose_name = _("Companies and contacts")

    def ready(self) -> None:
        from accord.core.permissions import ObjectType, register_object_type

        register_object_type(ObjectType("company", _("Companies"), "parties.Company"))
        register_object_type(ObjectType("contact", _("Contacts"), "parties.Contact"))
