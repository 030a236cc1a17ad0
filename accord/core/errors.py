"""Errors services raise; the UI and the API translate them into messages and status codes."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class ConflictError(Exception):
    """The record changed since the caller read it (stale ``version``): refuse, don't overwrite."""

    def __init__(self, current_version: int) -> None:
        self.current_version = current_version
        super().__init__(
            str(
                _(
                    "This record was changed by someone else in the meantime. Reload it and try again."
                )
            )
        )
