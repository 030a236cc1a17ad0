"""Display helpers for the company and contact pages."""

from __future__ import annotations

from django import template

from accord.parties.normalize import display_phone

register = template.Library()


@register.filter
def phone(value: str) -> str:
    """An E.164 number in the national format of the installation's country."""
    return display_phone(value or "")
