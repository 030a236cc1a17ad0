"""Fixtures shared by every app's tests."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-dev-shm-usage",
]


@pytest.fixture(autouse=True)
def _media_root(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.HUEY = {**settings.HUEY, "immediate": True}


@pytest.fixture(autouse=True)
def _users_time_zone(settings: Any) -> None:
    """Tests run in the time zone of the users the factories make (Europe/Moscow), so a test's
    "today" is the same day a request computes for its user, even between 21:00 and 24:00 UTC
    when Moscow is already on the next day."""
    from accord.core.testing import TEST_TIME_ZONE

    settings.TIME_ZONE = TEST_TIME_ZONE


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Each test starts in the default language: a request by a German-speaking user in an
    earlier test of the same worker must not leave German active (LocaleMiddleware activates
    the language for the thread and does not always put it back)."""
    from django.conf import settings
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture(autouse=True)
def _reseed_after_flush(request: Any) -> None:
    """A test that commits for real (browser, threads) starts after another one's flush, which
    also emptied what the data migrations wrote: put it back first. Such tests are marked
    ``browser`` or ``transactional`` and run apart from the rest (see the Makefile)."""
    marker = request.node.get_closest_marker("django_db")
    transactional = marker is not None and (
        marker.kwargs.get("transaction") or (marker.args and marker.args[0])
    )
    if not (transactional or "live_server" in request.fixturenames):
        return
    request.getfixturevalue("transactional_db")
    from django.apps import apps

    from accord.core.seed import seed_everything

    seed_everything(apps)


def _chromium_path() -> str | None:
    return (
        os.environ.get("ACCORD_CHROMIUM")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (no browser download). Skipped only outside CI."""
    path = _chromium_path()
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is required in CI for the browser tests")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
