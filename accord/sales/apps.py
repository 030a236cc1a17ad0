from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "accord.sales"
    label = "sales"
    verbose_name = _("Sales")

    def ready(self) -> None:
        from accord.core.permissions import ObjectType, register_object_type

        register_object_type(ObjectType("lead", _("Leads"), "sales.Lead"))
        # A deal is visible to its owner and to whoever may see its client.
        register_object_type(
            ObjectType(
                "deal",
                _("Deals"),
                "sales.Deal",
                owner_paths=("owner", "company__owner"),
                team_paths=("team", "company__team"),
            )
        )
        from accord.sales.services_deals import register_reassign_hook

        register_reassign_hook()

        from accord.core.cards import (
            CardAction,
            CardPanel,
            register_card_action,
            register_card_panel,
        )

        register_card_panel(
            CardPanel(
                key="deals",
                title=_("Deals"),
                url_name="sales:company_deals_panel",
                object_type="deal",
                position=10,
            )
        )
        register_card_action(
            CardAction(
                key="new_deal",
                label=_("New deal"),
                url_name="sales:deal_create",
                object_type="deal",
                position=10,
            )
        )
