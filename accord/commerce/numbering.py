"""Document numbers: Q-2026-00001, O-2026-00001, INV-2026-00001, SH-2026-00001.

Taken under a row lock inside the caller's transaction, so two managers saving at once never
get the same number, and a rolled-back save gives its number back (no gaps)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

PREFIXES = {"quote": "Q", "order": "O", "invoice": "INV", "shipment": "SH"}


def next_number(kind: str) -> str:
    from accord.commerce.models import NumberSequence

    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_number() must run inside the saving transaction")
    year = timezone.localdate().year
    NumberSequence.objects.get_or_create(kind=kind, year=year)
    sequence = NumberSequence.objects.select_for_update().get(kind=kind, year=year)
    sequence.last += 1
    sequence.save(update_fields=["last"])
    return f"{PREFIXES[kind]}-{year}-{sequence.last:05d}"
