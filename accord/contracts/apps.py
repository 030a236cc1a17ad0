from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def on_case_opening(sender: Any, case: Any, actor: Any = None, **kwargs: Any) -> None:
    """A new case: find its unit and the contract covering it (before SLA clocks start)."""
    from accord.contracts.services import case_apply_coverage

    case_apply_coverage(case=case, actor=actor)


def on_case_status_changed(
    sender: Any, case: Any, old: str = "", new: str = "", actor: Any = None, **kwargs: Any
) -> None:
    """A duplicate closed by a merge gives back the case it counted under its contract."""
    if new == "closed" and getattr(case, "merged_into_id", None):
        from accord.contracts.services import case_merged_release

        case_merged_release(case=case, actor=actor)


class ContractsConfig(AppConfig):
    name = "accord.contracts"
    label = "contracts"
    verbose_name = _("Service contracts")

    def ready(self) -> None:
        from accord.core.cards import (
            CardAction,
            CardPanel,
            register_card_action,
            register_card_panel,
        )
        from accord.core.permissions import ObjectType, register_object_type
        from accord.service.panels import CasePanel, register_case_panel
        from accord.service.signals import case_opening, case_status_changed

        register_object_type(
            ObjectType(
                "service_contract",
                _("Service contracts"),
                "contracts.ServiceContract",
                owner_paths=("owner", "company__owner"),
                team_paths=("team", "company__team"),
            )
        )
        case_opening.connect(on_case_opening, dispatch_uid="contracts.case_coverage")
        case_status_changed.connect(
            on_case_status_changed, dispatch_uid="contracts.merged_case_release"
        )
        register_case_panel(
            CasePanel(
                key="coverage",
                title=_("Coverage"),
                url_name="contracts:case_coverage",
                object_type="case",
                position=20,
            )
        )
        register_card_panel(
            CardPanel(
                key="service_contracts",
                title=_("Service contracts and units"),
                url_name="contracts:company_panel",
                object_type="service_contract",
                position=60,
            )
        )
        register_card_action(
            CardAction(
                key="new_service_contract",
                label=_("New service contract"),
                url_name="contracts:contract_create",
                object_type="service_contract",
                position=60,
            )
        )
