"""The report dashboard and a report page in a real Chromium at 375 px: the cards load their
figures through htmx, the charts scale to the screen and nothing overflows sideways."""

from __future__ import annotations

from typing import Any

import pytest

from accord.analytics.tests.dataset import build

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _seeded(transactional_db: Any) -> None:
    """Transactional tests flush the tables between tests, data-migration rows included."""
    from django.apps import apps

    from accord.core.seed import seed_picklists, seed_roles
    from accord.sales.seed import seed_pipeline

    seed_roles(apps)
    seed_picklists(apps)
    seed_pipeline(apps)


def test_reports_on_a_phone(chromium: Any, live_server: Any, tmp_path: Any) -> None:
    data = build()
    context = chromium.new_context(viewport={"width": 375, "height": 800}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", data.head.username)
        page.fill("#id_password", "pass-Word-123")
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")

        page.goto(f"{live_server.url}/reports/?from=2026-03-01&to=2026-03-31")
        page.wait_for_selector("#card-win-rate ~ dl.report-summary")
        page.wait_for_selector(".report-card svg")
        assert (
            page.locator("#card-win-rate ~ dl.report-summary dd").first.inner_text() == "40.0\xa0%"
        )
        page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)

        page.get_by_role("link", name="Win rate", exact=True).first.click()
        page.wait_for_selector("table.report-table")
        chart_width = page.locator(".report-chart .chart-narrow svg").bounding_box()["width"]
        assert 300 < chart_width <= 375
        overflow = page.evaluate(
            "document.documentElement.scrollWidth > document.documentElement.clientWidth"
        )
        assert overflow is False
        page.screenshot(path=str(tmp_path / "win-rate.png"), full_page=True)
    finally:
        context.close()
