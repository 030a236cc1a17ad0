"""A project from the client card in a real Chromium, at desktop width and at 375 px."""

from __future__ import annotations

import os
from typing import Any

import pytest

from accord.core.testing import user_with_role
from accord.parties.tests.factories import make_company
from accord.projects.models import Project

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _seeded(transactional_db: Any) -> None:
    """Transactional tests flush the tables between tests, data-migration rows included."""
    from django.apps import apps

    from accord.core.seed import seed_picklists, seed_roles
    from accord.projects.seed import seed_template

    seed_roles(apps)
    seed_picklists(apps)
    seed_template(apps)


@pytest.mark.parametrize("width", [1280, 375], ids=["desktop", "phone"])
def test_project_from_the_client_card(chromium: Any, live_server: Any, width: int) -> None:
    user = user_with_role("sales_manager", username=f"pavel{width}")
    user.set_password("pass-Word-123")
    user.save()
    company = make_company(owner=user, name="ООО Мостпроект")
    context = chromium.new_context(viewport={"width": width, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", "pass-Word-123")
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")

        page.goto(f"{live_server.url}{company.get_absolute_url()}")
        page.get_by_role("link", name="New project", exact=True).first.click()
        page.fill("#id_name", "Пешеходный мост")
        page.fill("#id_budget", "1000000.01")
        page.get_by_role("button", name="Save").click()
        page.wait_for_url("**/projects/*/")
        project = Project.objects.get(name="Пешеходный мост")
        assert project.stages.count() == 4

        start = page.get_by_role("button", name="Start").nth(1)  # the first stage's "Start"
        box = start.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
        start.click()
        page.wait_for_url("**/projects/*/**")
        first = project.stages.order_by("position").first()
        assert first is not None and first.status == "in_progress"
        page_width = page.evaluate("document.documentElement.scrollWidth")
        assert page_width <= width
        shots = os.environ.get("ACCORD_SCREENSHOTS")
        if shots:
            page.screenshot(path=f"{shots}/project-{width}.png", full_page=True)
    finally:
        context.close()
