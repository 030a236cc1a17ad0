"""Fill given translations into the .po files: `python scripts/translate_missing.py FILE.json`.

The JSON maps "msgid" (or "context\\u0004msgid") to {"ru": …, "fr": …, "de": …}. Used to add a
handful of new strings after `make messages` without hand-editing three files.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
table = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
for language in ("ru", "fr", "de"):
    path = ROOT / "locale" / language / "LC_MESSAGES" / "django.po"
    catalog = polib.pofile(str(path), wrapwidth=79)
    for entry in catalog:
        key = f"{entry.msgctxt}\u0004{entry.msgid}" if entry.msgctxt else entry.msgid
        if key in table:
            entry.msgstr = table[key][language]
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
            entry.previous_msgid = None
            entry.previous_msgctxt = None
    catalog.save(str(path))
