from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "accord.catalog"
    label = "catalog"
    verbose_name = _("Catalogue")

    def ready(self) -> None:
        from accord.core.permissions import ObjectType, register_object_type

        # The catalogue is shared: grants on it are "all" or nothing.
        register_object_type(
            ObjectType("product", _("Products"), "catalog.Product", owner_paths=(), team_paths=())
        )
