from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "accord.projects"
    label = "projects"
    verbose_name = _("Projects")

    def ready(self) -> None:
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
