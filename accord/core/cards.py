"""Panels other apps add to the client card (S2) without the card knowing them.

An app registers a panel (deals, orders, projects…) with the URL of a partial that takes the
company's id; the card loads each panel with htmx when the reader may view that record type.
Quick actions ("New deal", "Take an order") are registered the same way."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from accord.core.permissions import Action, Scope, user_scope


@dataclass(frozen=True)
class CardPanel:
    key: str
    title: Any  # lazy translation
    url_name: str  # reversed with the company's pk; returns an HTML fragment
    object_type: str  # shown only to users who may view some records of this type
    position: int = 100


@dataclass(frozen=True)
class CardAction:
    key: str
    label: Any
    url_name: str  # reversed without arguments; ?company=<pk> is appended
    object_type: str
    action: str = Action.ADD
    position: int = 100


CARD_PANELS: dict[str, CardPanel] = {}
CARD_ACTIONS: dict[str, CardAction] = {}


def register_card_panel(panel: CardPanel) -> None:
    CARD_PANELS[panel.key] = panel


def register_card_action(action: CardAction) -> None:
    CARD_ACTIONS[action.key] = action


def panels_for(user: Any, company_pk: int) -> list[tuple[CardPanel, str]]:
    return [
        (panel, reverse(panel.url_name, args=[company_pk]))
        for panel in sorted(CARD_PANELS.values(), key=lambda p: (p.position, p.key))
        if user_scope(user, panel.object_type, Action.VIEW) > Scope.NONE
    ]


def actions_for(user: Any, company_pk: int) -> list[tuple[CardAction, str]]:
    return [
        (action, f"{reverse(action.url_name)}?company={company_pk}")
        for action in sorted(CARD_ACTIONS.values(), key=lambda a: (a.position, a.key))
        if user_scope(user, action.object_type, action.action) > Scope.NONE
    ]
