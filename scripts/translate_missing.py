"""Fill given translations into the .po files: `python scripts/translate_missing.py FILE.json`.

The JSON maps "msgid" (or "context\\u0004msgid") to {"ru": …, "fr": …, "de": …}; for a plural
entry each value is the list of plural forms (the last one repeats if the catalogue has more). Used to add a
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
            value = table[key][language]
            if entry.msgid_plural:
                forms = value if isinstance(value, list) else [value]
                count = len(entry.msgstr_plural) or len(forms)
                entry.msgstr_plural = {i: forms[min(i, len(forms) - 1)] for i in range(count)}
            else:
                entry.msgstr = value
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
            entry.previous_msgid = None
            entry.previous_msgctxt = None
            entry.previous_msgid_plural = None
    catalog.save(str(path))
