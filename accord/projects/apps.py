from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "accord.projects"
    label = "projects"
    verbose_name = _("Projects")

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
                "project",
                _("Projects"),
                "projects.Project",
                owner_paths=("owner", "company__owner"),
                team_paths=("team", "company__team"),
            )
        )
        register_card_panel(
            CardPanel(
                key="projects",
                title=_("Projects"),
                url_name="projects:company_projects",
                object_type="project",
                position=40,
            )
        )
        register_card_action(
            CardAction(
                key="new_project",
                label=_("New project"),
                url_name="projects:project_create",
                object_type="project",
                position=40,
            )
        )
