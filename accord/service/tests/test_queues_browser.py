"""Queue settings on a phone (390 px): the head of service adds a routing rule and tests a
case against it; nothing sticks out sideways."""

from __future__ import annotations

import os
from typing import Any

import pytest

from accord.core.testing import user_with_role
from accord.service.models import Category, Queue, RoutingRule

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shot(page: Any, name: str) -> None:
    if os.environ.get("ACCORD_SCREENSHOTS"):
        page.screenshot(path=f"{os.environ['ACCORD_SCREENSHOTS']}/{name}.png", full_page=True)


def test_add_a_rule_and_test_a_case_on_a_phone(chromium: Any, live_server: Any):
    head = user_with_role("service_manager", username="head390q")
    head.set_password("pass-Word-123")
    head.save()
    queue = Queue.objects.get(is_default=True)
    fault = Category.objects.get(code="fault")
    context = chromium.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", head.username)
        page.fill("#id_password", "pass-Word-123")
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        page.goto(f"{live_server.url}/service/manage/queues/")
        _shot(page, "queues-390")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.get_by_role("link", name="Routing rules").first.click()
        page.get_by_role("link", name="New rule").click()
        page.fill("#id_name", "Breakdowns")
        page.select_option("#id_category", str(fault.pk))
        page.select_option("#id_queue", str(queue.pk))
        _shot(page, "routing-rule-form-390")
        page.get_by_role("button", name="Save").click()
        page.wait_for_url(f"{live_server.url}/service/manage/routing/")
        assert "Rule “Breakdowns” created." in page.inner_text("main")
        assert "category Fault or breakdown" in page.inner_text("main")
        _shot(page, "routing-rules-390")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.get_by_role("link", name="Test a case").first.click()
        page.select_option("#id_category", str(fault.pk))
        page.get_by_role("button", name="Test").click()
        result = page.locator("#preview-result-card")
        assert "Rule “Breakdowns” sends the case to the queue First line." in result.inner_text()
        _shot(page, "routing-preview-390")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert RoutingRule.objects.get().category_id == fault.pk
    finally:
        context.close()
