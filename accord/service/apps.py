from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    name = "accord.service"
    label = "service"
    verbose_name = _("Service desk")

    def ready(self) -> None:
        from accord.core.permissions import ObjectType, register_object_type

        register_object_type(
            ObjectType(
                "case", _("Cases"), "service.Case", owner_paths=("owner",), team_paths=("team",)
            )
        )
        from accord.service import routing  # noqa: F401
