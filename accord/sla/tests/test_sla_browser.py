"""Service levels on a phone (390 px) in a real Chromium: the case panel, a policy's targets,
the compliance report."""

from __future__ import annotations

import datetime
import os
from typing import Any

import pytest
from django.utils import timezone

from accord.core.testing import user_with_role
from accord.sla.models import SlaPolicy, SlaTarget
from accord.sla.tests.factories import make_calendar, make_case, make_policy, only_policy

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH = 390


def _fits(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH


def _login(page: Any, live_server: Any, user: Any) -> None:
    user.set_password("pass-Word-123")
    user.save()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", "pass-Word-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def test_case_panel_and_policy_targets_on_a_phone(chromium: Any, live_server: Any) -> None:
    only_policy(
        make_policy(
            name="Key accounts",
            calendar=make_calendar(country="RU"),
            targets={"normal": (60, 480)},
        )
    )
    manager = user_with_role("service_manager")
    case = make_case(
        created_at=timezone.now() - datetime.timedelta(days=20),
        owner=manager,
        subject="Котёл не запускается",
    )
    context = chromium.new_context(viewport={"width": WIDTH, "height": 844}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15000)
    shots = os.environ.get("ACCORD_SCREENSHOTS")
    try:
        _login(page, live_server, manager)
        page.goto(f"{live_server.url}/cases/{case.pk}/")
        panel = page.locator(".sla-panel")
        panel.wait_for()
        assert "Policy: Key accounts" in panel.inner_text()
        assert panel.locator("[data-state=overdue]").count() == 2
        _fits(page)
        if shots:
            panel.screenshot(path=f"{shots}/sla-panel-{WIDTH}.png")

        page.goto(f"{live_server.url}/manage/service-levels/")
        page.get_by_role("link", name="Key accounts").click()
        page.fill("#id_urgent_first_response_hours", "0")
        page.fill("#id_urgent_first_response_minutes", "20")
        page.fill("#id_urgent_resolution_hours", "4")
        page.fill("#id_urgent_resolution_minutes", "30")
        _fits(page)
        if shots:
            page.screenshot(path=f"{shots}/sla-policy-{WIDTH}.png", full_page=True)
        page.locator("#id_urgent_resolution_minutes").blur()
        page.get_by_role("button", name="Save").click()
        page.wait_for_url(f"{live_server.url}/manage/service-levels/")
        policy = SlaPolicy.objects.get(name="Key accounts")
        target = SlaTarget.objects.get(policy=policy, priority="urgent")
        assert (target.first_response_minutes, target.resolution_minutes) == (20, 270)
        _fits(page)
        if shots:
            page.screenshot(path=f"{shots}/sla-settings-{WIDTH}.png", full_page=True)

        page.get_by_role("link", name=policy.calendar.name).click()
        page.fill("#id_year", "2027")
        page.get_by_role("button", name="Load public holidays").click()
        page.wait_for_selector("#holidays li .pill.done")
        assert policy.calendar.holidays.filter(date__year=2027).exists()
        _fits(page)
        if shots:
            page.screenshot(path=f"{shots}/sla-calendar-{WIDTH}.png", full_page=True)

        page.goto(f"{live_server.url}/service-levels/compliance/?group=priority")
        page.wait_for_selector("table.list")
        _fits(page)
        if shots:
            page.screenshot(path=f"{shots}/sla-compliance-{WIDTH}.png", full_page=True)
    finally:
        context.close()
