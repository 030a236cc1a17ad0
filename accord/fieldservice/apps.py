from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FieldserviceConfig(AppConfig):
    name = "accord.fieldservice"
    label = "fieldservice"
    verbose_name = _("Field service")

    def ready(self) -> None:
        from accord.core.cards import CardPanel, register_card_panel
        from accord.core.permissions import ObjectType, register_object_type
        from accord.service.panels import CasePanel, register_case_panel

        # The lead engineer is the owner; the other engineers reach their visits through
        # WorkOrderEngineer rows (see selectors.work_orders_visible_to), not an owner path,
        # because a path through a many-valued relation would repeat rows.
        register_object_type(
            ObjectType(
                "work_order",
                _("Work orders"),
                "fieldservice.WorkOrder",
                owner_paths=("owner",),
                team_paths=("team",),
            )
        )
        register_case_panel(
            CasePanel(
                key="work_orders",
                title=_("Work orders"),
                url_name="fieldservice:case_work_orders",
                object_type="work_order",
                position=40,
            )
        )
        register_card_panel(
            CardPanel(
                key="work_orders",
                title=_("Field visits"),
                url_name="fieldservice:company_work_orders",
                object_type="work_order",
                position=75,
            )
        )
