"""The knowledge base on a phone (390 px) in a real Chromium: the public help centre (search,
read, vote) and writing an article with the rich-text editor."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pytest

from accord.core.testing import user_with_role
from accord.kb.models import Article, ArticleFeedback
from accord.kb.tests.factories import make_article

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WIDTH = 390
# Where the screenshots go (to look at the pages by eye).
SHOTS = Path(os.environ.get("ACCORD_SCREENSHOTS", tempfile.gettempdir()))


@pytest.fixture(autouse=True)
def _seeded(transactional_db: Any) -> None:
    from django.apps import apps

    from accord.core.seed import seed_picklists, seed_roles

    seed_roles(apps)
    seed_picklists(apps)


def _fits(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_a_client_finds_an_answer_and_votes_on_a_phone(chromium: Any, live_server: Any) -> None:
    manager = user_with_role("service_manager")
    article = make_article(
        manager,
        title="Chaudière en panne après une coupure de courant",
        body_html="<p>Réarmez la chaudière, puis contrôlez la pression du circuit.</p>",
        language="fr",
        visibility="public",
    )
    make_article(manager, title="Chaudières : codes internes", language="fr", visibility="internal")
    context = chromium.new_context(viewport={"width": WIDTH, "height": 800}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        page.goto(f"{live_server.url}/kb/public/?q=chaudières")
        assert page.locator(".kb-result").count() == 1
        assert page.locator(".kb-result mark").first.inner_text() == "chaudière"
        assert _fits(page)
        page.screenshot(path=SHOTS / "kb-public-search.png", full_page=True)

        page.locator(".kb-result a").first.click()
        page.wait_for_url(f"**{article.get_public_url()}")
        page.get_by_role("button", name="Yes").click()
        page.locator("#kb-feedback").get_by_text("Thank you for your feedback.").wait_for()
        assert _fits(page)
        page.screenshot(path=SHOTS / "kb-public-article.png", full_page=True)
    finally:
        context.close()
    vote = ArticleFeedback.objects.get()
    assert (vote.article_id, vote.is_helpful, vote.user_id) == (article.pk, True, None)


def test_an_agent_writes_an_article_with_the_editor_on_a_phone(
    chromium: Any, live_server: Any, settings: Any
) -> None:
    import django_prose_editor

    # Until "django_prose_editor" is in INSTALLED_APPS, serve its files from its package.
    settings.STATICFILES_DIRS = [
        *settings.STATICFILES_DIRS,
        Path(django_prose_editor.__file__).parent / "static",
    ]
    agent = user_with_role("service_agent", username="olga")
    agent.set_password("pass-Word-123")
    agent.save()
    context = chromium.new_context(viewport={"width": WIDTH, "height": 800}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", "olga")
        page.fill("#id_password", "pass-Word-123")
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        page.goto(f"{live_server.url}/kb/new/")
        page.fill("#id_title", "Fan vibrates after cleaning")
        editor = page.locator(".prose-editor [contenteditable=true]")
        editor.click()
        page.keyboard.type("Balance the impeller.")
        assert _fits(page)
        page.screenshot(path=SHOTS / "kb-editor.png", full_page=True)
        page.select_option("#id_status", "published")
        page.get_by_role("button", name="Save").click()
        page.wait_for_url("**/kb/*/")
    finally:
        context.close()
    article = Article.objects.get()
    assert article.title == "Fan vibrates after cleaning"
    assert article.body_html == "<p>Balance the impeller.</p>"
    assert article.owner == agent
