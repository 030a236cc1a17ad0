"""The one HTML sanitiser of the service desk.

Case messages (incoming mail, replies) and knowledge-base articles are stored as HTML and shown
with ``|safe``; they are safe only because every path that stores HTML passes it through
``sanitize_html`` first. The policy is an explicit allow-list (nh3 / ammonia):

- kept: text formatting, lists, headings, quotes, code, tables, links and images;
- removed with their content: ``script``, ``style``, ``title``, ``noscript``, ``template``,
  ``iframe``;
- removed, content kept: every other tag (``form``, ``object``, ``font``...);
- attributes: none except the listed ones — so no ``on*`` event handlers, no ``class``/``id``;
- links: ``http``, ``https``, ``mailto``, ``tel`` and relative links only; every link gets
  ``rel="noopener noreferrer"`` and ``target="_blank"``; ``javascript:``/``data:`` links lose
  their ``href``;
- images: only ``cid:`` (an inline part of the same e-mail), ``https:`` and site-relative
  (``/media/...``) sources; ``http:`` and ``data:`` images are dropped (mixed content, and
  multi-megabyte inline blobs), as is any image without an allowed source;
- inline ``style``: only harmless presentation properties; a style that mentions ``url(``,
  ``expression(``, ``@import``, ``javascript:`` or a CSS escape is dropped entirely.
"""

from __future__ import annotations

import re

import nh3

ALLOWED_TAGS: frozenset[str] = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup",
        "dd", "del", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4",
        "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s",
        "small", "span", "strike", "strong", "sub", "sup", "table", "tbody", "td", "tfoot",
        "th", "thead", "tr", "u", "ul",
    }
)  # fmt: skip

REMOVED_WITH_CONTENT: frozenset[str] = frozenset(
    {"script", "style", "title", "noscript", "template", "head", "iframe"}
)

ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "*": {"style", "dir", "lang", "title"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "align", "valign"},
    "th": {"colspan", "rowspan", "align", "valign", "scope"},
    "col": {"span"},
    "colgroup": {"span"},
    "ol": {"start", "type"},
    "blockquote": {"cite"},
    "q": {"cite"},
}

ALLOWED_STYLE_PROPERTIES: frozenset[str] = frozenset(
    {
        "color", "background-color", "font-weight", "font-style", "font-size", "font-family",
        "text-decoration", "text-align", "vertical-align", "white-space", "line-height",
        "margin", "margin-left", "margin-right", "margin-top", "margin-bottom",
        "padding", "padding-left", "padding-right", "padding-top", "padding-bottom",
        "border", "border-collapse", "border-color", "border-style", "border-width",
        "width", "height", "max-width", "list-style-type",
    }
)  # fmt: skip

LINK_SCHEMES: frozenset[str] = frozenset({"http", "https", "mailto", "tel", "cid"})

_DANGEROUS_STYLE = re.compile(r"url\s*\(|expression\s*\(|@import|javascript:|\\|behavior\s*:", re.I)
_COMMENT = re.compile(r"/\*.*?\*/", re.S)


def _image_source_allowed(src: str) -> bool:
    lowered = src.strip().lower()
    if lowered.startswith(("cid:", "https://")):
        return True
    return lowered.startswith("/") and not lowered.startswith("//")


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "style":
        if _DANGEROUS_STYLE.search(_COMMENT.sub("", value)):
            return None
        return value
    if tag == "img" and attribute == "src":
        return value if _image_source_allowed(value) else None
    if tag == "a" and attribute == "href" and value.strip().lower().startswith("cid:"):
        return None
    return value


_IMG_WITHOUT_SRC = re.compile(r"<img(?![^>]*\ssrc=)[^>]*>", re.I)


def sanitize_html(html: str) -> str:
    """Return ``html`` reduced to the allow-list above; safe to render with ``|safe``."""
    if not html or not html.strip():
        return ""
    cleaned = nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(REMOVED_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=_filter_attribute,
        strip_comments=True,
        link_rel="noopener noreferrer",
        set_tag_attribute_values={"a": {"target": "_blank"}},
        url_schemes=set(LINK_SCHEMES),
        filter_style_properties=set(ALLOWED_STYLE_PROPERTIES),
    )
    # An image whose source was refused is an empty box (or a tracking pixel): drop it.
    return _IMG_WITHOUT_SRC.sub("", cleaned).strip()
