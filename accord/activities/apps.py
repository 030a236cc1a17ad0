from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "accord.activities"
    label = "activities"
    verbose_name = _("Activities")

    def ready(self) -> None:
        from accord.core.permissions import ObjectType, register_object_type

        # An activity is visible to its owner and to whoever may see its company.
        register_object_type(
            ObjectType(
                "activity",
                _("Activities"),
                "activities.Activity",
                owner_paths=("owner", "company__owner"),
                team_paths=("team", "company__team"),
            )
        )
        register_object_type(
            ObjectType(
                "document",
                _("Documents"),
                "activities.Document",
                owner_paths=("owner", "company__owner", "contact__owner"),
                team_paths=("company__team", "contact__team"),
            )
        )

        from accord.activities.services import register_reassign_hook

        register_reassign_hook()
