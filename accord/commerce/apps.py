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
        self._register_card()

    @staticmethod
    def _register_card() -> None:
        """Order taking by phone from the client card (T4) and the client's orders and unpaid
        invoices on it (S2, D3)."""
        from accord.core.cards import (
            CardAction,
            CardPanel,
            register_card_action,
            register_card_panel,
        )

        register_card_action(
            CardAction(
                key="take_order",
                label=_("Take an order"),
                url_name="commerce:order_create",
                object_type="order",
                position=30,
            )
        )
        register_card_panel(
            CardPanel(
                key="orders",
                title=_("Orders"),
                url_name="commerce:company_orders",
                object_type="order",
                position=30,
            )
        )
        register_card_panel(
            CardPanel(
                key="invoices",
                title=_("Invoices"),
                url_name="commerce:company_invoices",
                object_type="invoice",
                position=35,
            )
        )
