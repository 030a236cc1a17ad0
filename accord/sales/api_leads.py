"""Placeholder: replaced by the helper who owns this file."""

from ninja import Router

router = Router(tags=["leads"])
