from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KbConfig(AppConfig):
    name = "accord.kb"
    label = "kb"
    verbose_name = _("Knowledge base")

    def ready(self) -> None:
        from accord.core.permissions import ObjectType, register_object_type
        from accord.service.panels import CasePanel, register_case_panel

        register_object_type(
            ObjectType(
                "kb_article",
                _("Knowledge-base articles"),
                "kb.Article",
                owner_paths=("owner",),
                team_paths=("team",),
            )
        )
        register_case_panel(
            CasePanel(
                key="kb_suggestions",
                title=_("Knowledge base"),
                url_name="kb:case_panel",
                object_type="kb_article",
                position=40,
            )
        )
