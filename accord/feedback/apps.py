from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "accord.feedback"
    label = "feedback"
    verbose_name = _("Client feedback")

    def ready(self) -> None:
        from accord.core.cards import CardPanel, register_card_panel
        from accord.feedback.receivers import on_case_status_changed
        from accord.service.panels import CasePanel, register_case_panel
        from accord.service.signals import case_status_changed

        case_status_changed.connect(
            on_case_status_changed, dispatch_uid="feedback_survey_on_resolve"
        )
        register_case_panel(
            CasePanel("feedback", _("Client's rating"), "feedback:case_panel", "case", 80)
        )
        register_card_panel(
            CardPanel("feedback", _("Client feedback"), "feedback:company_panel", "case", 75)
        )
