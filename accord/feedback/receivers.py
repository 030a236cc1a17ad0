"""Hooks into the service desk: a case moved to "resolved" asks its client for a rating."""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger(__name__)


def on_case_status_changed(
    sender: Any, *, case: Any, old: str, new: str, actor: Any, **kwargs: Any
) -> None:
    from accord.feedback.services import survey_create_for_case
    from accord.service.models import Case

    if new != Case.Status.RESOLVED or old == Case.Status.CLOSED:
        return
    survey_create_for_case(case=case, actor=actor)
