"""A case on a phone (390 px) in a real Chromium: open it, reply to the client, resolve it."""

from __future__ import annotations

import os
from typing import Any

import pytest

from accord.service.models import Case, CaseMessage
from accord.service.tests.test_cases_helpers import make_case, make_desk

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH = 390


def _fits(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH


def test_reply_and_resolve_a_case_on_a_phone(chromium: Any, live_server: Any) -> None:
    desk = make_desk()
    case = make_case(desk, subject="Насос P-12 течёт после пуска", priority="high")
    desk.agent.set_password("pass-Word-123")
    desk.agent.save()
    context = chromium.new_context(viewport={"width": WIDTH, "height": 844}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15000)
    shots = os.environ.get("ACCORD_SCREENSHOTS")
    try:
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", desk.agent.username)
        page.fill("#id_password", "pass-Word-123")
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")

        page.goto(f"{live_server.url}/cases/?status=open&assigned=mine")
        page.get_by_role("link", name=case.reference).first.click()
        page.wait_for_url(f"**/cases/{case.pk}/")
        _fits(page)

        page.fill("#id_body_text", "Инженер приедет завтра в 10:00.")
        send = page.get_by_role("button", name="Send reply to the client")
        box = send.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= WIDTH
        send.click()
        page.wait_for_selector(".case-msg.kind-reply")
        assert CaseMessage.objects.get(case=case).kind == "reply"
        assert Case.objects.get(pk=case.pk).status == "in_progress"

        page.locator("summary", has_text="Resolve").click()
        page.fill("#reason-resolved", "Заменили уплотнение, течь устранена.")
        page.locator("form:has(#reason-resolved) button[type=submit]").click()
        page.wait_for_selector(".pill.case-status-resolved")
        resolved = Case.objects.get(pk=case.pk)
        assert resolved.status == "resolved" and resolved.resolved_at is not None
        assert page.get_by_role("button", name="Reopen").is_visible()
        _fits(page)
        if shots:
            page.screenshot(path=f"{shots}/case-{WIDTH}.png", full_page=True)
    finally:
        context.close()


def test_open_a_case_on_a_phone_picking_the_client_by_search(
    chromium: Any, live_server: Any
) -> None:
    desk = make_desk()
    desk.agent.set_password("pass-Word-123")
    desk.agent.save()
    context = chromium.new_context(viewport={"width": WIDTH, "height": 844}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15000)
    shots = os.environ.get("ACCORD_SCREENSHOTS")
    try:
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", desk.agent.username)
        page.fill("#id_password", "pass-Word-123")
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")

        page.goto(f"{live_server.url}/cases/new/")
        page.fill("#id_subject", "Нет отопления в корпусе B")
        page.fill("#case-company-q", "Uralpro")
        page.get_by_label("Uralproekt").check()
        page.wait_for_selector("#id_contact option:has-text('Petrova')", state="attached")
        page.select_option("#id_contact", label="Petrova Anna")
        page.select_option("#id_priority", "urgent")
        _fits(page)
        if shots:
            page.screenshot(path=f"{shots}/case-new-{WIDTH}.png", full_page=True)
        page.get_by_role("button", name="Open the case").click()
        page.wait_for_url("**/cases/*/")
        case = Case.objects.get(subject="Нет отопления в корпусе B")
        assert (case.company, case.contact, case.priority, case.channel) == (
            desk.company,
            desk.contact,
            "urgent",
            "phone",
        )
        page.goto(f"{live_server.url}/cases/")
        _fits(page)
        if shots:
            page.screenshot(path=f"{shots}/case-list-{WIDTH}.png", full_page=True)
    finally:
        context.close()
