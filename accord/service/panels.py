"""Panels other parts add to a case's page (SLA clocks, coverage, suggested articles, work
orders, the client's rating) without the case page knowing them: each is an HTML fragment the
page loads with htmx from ``url_name`` reversed with the case's pk. Like the client card's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from accord.core.permissions import Action, Scope, user_scope


@dataclass(frozen=True)
class CasePanel:
    key: str
    title: Any  # lazy translation
    url_name: str  # reversed with the case's pk; returns an HTML fragment
    object_type: str = "case"  # shown only to users who may view some records of this type
    position: int = 100


CASE_PANELS: dict[str, CasePanel] = {}


def register_case_panel(panel: CasePanel) -> None:
    CASE_PANELS[panel.key] = panel


def panels_for(user: Any, case_pk: int) -> list[tuple[CasePanel, str]]:
    return [
        (panel, reverse(panel.url_name, args=[case_pk]))
        for panel in sorted(CASE_PANELS.values(), key=lambda p: (p.position, p.key))
        if user_scope(user, panel.object_type, Action.VIEW) > Scope.NONE
    ]
