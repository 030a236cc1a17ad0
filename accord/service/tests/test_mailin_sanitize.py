"""The service-desk HTML sanitiser: what survives and what does not."""

from __future__ import annotations

import pytest

from accord.service.sanitize import sanitize_html


def test_script_and_its_content_are_removed() -> None:
    assert sanitize_html("<p>Hi</p><script>alert(1)</script>") == "<p>Hi</p>"


def test_event_handlers_are_removed() -> None:
    html = '<p onclick="steal()" onmouseover="x()">Hello</p><img src="https://a.example/x.png" onerror="alert(1)">'
    assert sanitize_html(html) == '<p>Hello</p><img src="https://a.example/x.png">'


def test_javascript_link_loses_its_href() -> None:
    assert sanitize_html('<a href="javascript:alert(1)">click</a>') == (
        '<a target="_blank" rel="noopener noreferrer">click</a>'
    )


def test_links_open_apart_with_noopener() -> None:
    assert sanitize_html('<a href="https://example.com/page" onclick="x()">page</a>') == (
        '<a href="https://example.com/page" target="_blank" rel="noopener noreferrer">page</a>'
    )


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ('<img src="cid:logo@mail" alt="logo">', '<img src="cid:logo@mail" alt="logo">'),
        ('<img src="https://cdn.example/a.png">', '<img src="https://cdn.example/a.png">'),
        ('<img src="/media/kb/a.png">', '<img src="/media/kb/a.png">'),
        ('<img src="http://tracker.example/pixel.gif">', ""),
        ('<img src="data:image/png;base64,AAAA">', ""),
        ('<img src="//evil.example/a.png">', ""),
        ('<img src="javascript:alert(1)">', ""),
    ],
)
def test_image_sources(html: str, expected: str) -> None:
    assert sanitize_html(html) == expected


def test_iframe_form_and_style_element_are_removed() -> None:
    html = (
        "<style>body{display:none}</style>"
        '<iframe src="https://evil.example">fallback</iframe>'
        '<form action="https://evil.example"><input name="password">Log in</form>'
        "<p>kept</p>"
    )
    assert sanitize_html(html) == "Log in<p>kept</p>"


def test_style_with_url_or_expression_is_dropped_and_harmless_style_kept() -> None:
    assert sanitize_html('<p style="color: red; background: url(https://t.example/p)">a</p>') == (
        "<p>a</p>"
    )
    assert sanitize_html('<p style="width: expr/**/ession(alert(1))">b</p>') == "<p>b</p>"
    assert sanitize_html('<p style="color: red; font-weight: bold; position: fixed">c</p>') == (
        '<p style="color:red;font-weight:bold">c</p>'
    )


def test_full_document_keeps_only_the_body() -> None:
    html = (
        "<html><head><title>Newsletter</title><meta charset='utf-8'></head>"
        '<body class="x" id="y"><h1>Title</h1><table><tr><td colspan="2">cell</td></tr></table>'
        "</body></html>"
    )
    assert sanitize_html(html) == (
        '<h1>Title</h1><table><tbody><tr><td colspan="2">cell</td></tr></tbody></table>'
    )


@pytest.mark.parametrize("html", ["", "   ", "\n"])
def test_empty_input_gives_empty_output(html: str) -> None:
    assert sanitize_html(html) == ""
