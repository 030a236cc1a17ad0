from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommerceConfig(AppConfig):
    name = "accord.commerce"
    label = "commerce"
    verbose_name = _("Orders and invoices")

    def ready(self) -> None:
        from accord.core.permissions import ObjectType, register_object_type

        for key, label, path in (
            ("quote", _("Quotes"), "commerce.Quote"),
            ("order", _("Orders"), "commerce.Order"),
            ("invoice", _("Invoices and payments"), "commerce.Invoice"),
        ):
            register_object_type(
                ObjectType(
                    key,
                    label,
                    path,
                    owner_paths=("owner", "company__owner"),
                    team_paths=("team", "company__team"),
                )
            )
