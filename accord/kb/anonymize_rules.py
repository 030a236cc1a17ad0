"""``accord anonymize``'s rules for the knowledge base (see accord/ops/anonymize_rules.py).

Articles and their versions are the company's own know-how, like its catalogue: kept, so an
anonymised copy still searches the same way. What readers wrote (feedback comments) and their
sessions are personal: replaced and cleared."""

from accord.ops.anonymize_rules import KEEP

_NAMES = {"name": KEEP, "name_ru": KEEP, "name_fr": KEEP, "name_de": KEEP}
_CONTENT = {"title": KEEP, "summary": KEEP, "body_html": KEEP}

FIELD_RULES: dict[str, dict[str, str]] = {
    "kb.KbCategory": dict(_NAMES),
    "kb.Article": {
        **_CONTENT,
        "slug": KEEP,
        "body_text": KEEP,
        "visibility": KEEP,
        "status": KEEP,
        "language": KEEP,
        "keywords": KEEP,
        "stems_title": "derived",
        "stems_body": "derived",
    },
    "kb.ArticleVersion": {**_CONTENT, "note": "text"},
    "kb.ArticleFeedback": {"session_key": "clear", "comment": "text"},
}
