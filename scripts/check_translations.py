"""Fail when a Russian, French or German message is missing, fuzzy, or loses a placeholder."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|\{[a-z_]*\}")
problems: list[str] = []
for language in ("ru", "fr", "de"):
    path = ROOT / "locale" / language / "LC_MESSAGES" / "django.po"
    if not path.exists():
        problems.append(f"{path}: missing")
        continue
    for entry in polib.pofile(str(path)):
        if entry.obsolete:
            continue
        where = f"{language}: {entry.msgid!r}"
        if "fuzzy" in entry.flags:
            problems.append(f"{where} is fuzzy")
        translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        if not all(t.strip() for t in translations):
            problems.append(f"{where} is not translated")
            continue
        wanted = sorted(set(PLACEHOLDER.findall(entry.msgid)))
        for text in translations:
            if sorted(set(PLACEHOLDER.findall(text))) != wanted:
                problems.append(
                    f"{where} has placeholders {PLACEHOLDER.findall(text)}, expected {wanted}"
                )
if problems:
    print("\n".join(problems[:200]))
    print(f"{len(problems)} translation problem(s).")
    sys.exit(1)
print("Translations complete for ru, fr, de.")
