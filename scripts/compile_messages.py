"""Compile locale/*/LC_MESSAGES/django.po to .mo with Babel, so no GNU gettext is needed."""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent

for po_path in sorted(ROOT.glob("locale/*/LC_MESSAGES/*.po")):
    mo_path = po_path.with_suffix(".mo")
    if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
        continue
    with po_path.open("rb") as handle:
        catalog = read_po(handle)
    with mo_path.open("wb") as handle:
        write_mo(handle, catalog, use_fuzzy=False)
