from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    name = "accord.service"
    label = "service"
    verbose_name = _("Service desk")

    def ready(self) -> None:
        from accord.core.cards import (
            CardAction,
            CardPanel,
            register_card_action,
            register_card_panel,
        )
        from accord.core.permissions import ObjectType, register_object_type

        register_object_type(
            ObjectType(
                "case", _("Cases"), "service.Case", owner_paths=("owner",), team_paths=("team",)
            )
        )
        register_card_panel(
            CardPanel(
                key="cases",
                title=_("Cases"),
                url_name="service:company_cases",
                object_type="case",
                position=50,
            )
        )
        register_card_action(
            CardAction(
                key="new_case",
                label=_("New case"),
                url_name="service:case_create",
                object_type="case",
                position=50,
            )
        )
        from accord.service import lists, routing  # noqa: F401  (the case list; routing)
