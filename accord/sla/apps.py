from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "accord.sla"
    label = "sla"
    verbose_name = _("Service levels")

    def ready(self) -> None:
        from accord.service import signals
        from accord.service.panels import CasePanel, register_case_panel

        signals.case_opened.connect(_case_opened, dispatch_uid="sla_case_opened")
        signals.case_status_changed.connect(
            _case_status_changed, dispatch_uid="sla_case_status_changed"
        )
        signals.case_message_added.connect(
            _case_message_added, dispatch_uid="sla_case_message_added"
        )
        # The case services record a priority change as a CaseEvent and send no signal of
        # their own for it: recompute the due times when that event is written.
        from django.db.models.signals import post_save

        from accord.service.models import CaseEvent

        post_save.connect(_case_event_saved, sender=CaseEvent, dispatch_uid="sla_priority_event")
        register_case_panel(
            CasePanel(
                key="sla",
                title=_("Service level"),
                url_name="sla:case_panel",
                object_type="case",
                position=10,
            )
        )


def _case_opened(sender: Any, case: Any, actor: Any = None, **kwargs: Any) -> None:
    from accord.sla.clocks import start_clocks

    start_clocks(case=case, actor=actor)


def _case_status_changed(
    sender: Any, case: Any, old: str, new: str, actor: Any = None, **kwargs: Any
) -> None:
    from accord.sla.clocks import status_changed

    status_changed(case=case, old=old, new=new, actor=actor)


def _case_message_added(sender: Any, message: Any, actor: Any = None, **kwargs: Any) -> None:
    from accord.sla.clocks import message_added

    message_added(message=message, actor=actor)


def _case_event_saved(sender: Any, instance: Any, created: bool = False, **kwargs: Any) -> None:
    from accord.service.models import CaseEvent
    from accord.sla.clocks import recompute

    if created and instance.kind == CaseEvent.Kind.PRIORITY:
        recompute(case=instance.case, actor=instance.actor)
