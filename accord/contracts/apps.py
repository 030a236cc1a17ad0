from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContractsConfig(AppConfig):
    name = "accord.contracts"
    label = "contracts"
    verbose_name = _("Service contracts")

    def ready(self) -> None:
        from accord.core.permissions import ObjectType, register_object_type

        register_object_type(
            ObjectType(
                "service_contract",
                _("Service contracts"),
                "contracts.ServiceContract",
                owner_paths=("owner", "company__owner"),
                team_paths=("team", "company__team"),
            )
        )
