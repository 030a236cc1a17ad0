"""A word diff of two versions of an article, for the "compare versions" page."""

from __future__ import annotations

import difflib
import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

_TOKENS = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)


def plain_words_diff(old: str, new: str) -> SafeString:
    """``new`` with removed words in ``<del>`` and added ones in ``<ins>``; all text escaped."""
    before = _TOKENS.findall(old or "")
    after = _TOKENS.findall(new or "")
    out: list[str] = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out.append(escape("".join(after[j1:j2])))
            continue
        if tag in ("delete", "replace"):
            out.append("<del>" + escape("".join(before[i1:i2])) + "</del>")
        if tag in ("insert", "replace"):
            out.append("<ins>" + escape("".join(after[j1:j2])) + "</ins>")
    return mark_safe("".join(out))
