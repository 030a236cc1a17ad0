"""The contact-centre board in a real Chromium at 390 px: queues stack as cards, nothing
sticks out sideways, and the numbers refresh by themselves when a case arrives."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from accord.core.models import Team
from accord.core.testing import user_with_role
from accord.service.models import Case, Queue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_board_on_a_phone_stacks_queues_and_updates_live(chromium: Any, live_server: Any):
    head = user_with_role("service_manager", username="head390")
    head.set_password("pass-Word-123")
    head.save()
    team = Team.objects.create(name="Engineers")
    engineers = Queue.objects.create(name="Engineers", team=team, position=5)
    first = Queue.objects.get(is_default=True)
    agent = user_with_role("service_agent", team=team, first_name="Olga", last_name="Ivanova")
    now = timezone.now()
    for hours, queue, owner in [(0, first, None), (2, first, None), (30, engineers, agent)]:
        Case.objects.create(
            subject=f"Pump {hours}",
            queue=queue,
            team=queue.team,
            owner=owner,
            created_at=now - timedelta(hours=hours),
            resolution_due_at=now + timedelta(hours=8),
        )
    context = chromium.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", head.username)
        page.fill("#id_password", "pass-Word-123")
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        page.goto(f"{live_server.url}/service/board/")
        first_card = page.locator(f'[data-queue="{first.pk}"]')
        second_card = page.locator(f'[data-queue="{engineers.pk}"]')
        assert first_card.locator('[data-count="total"]').inner_text() == "2"
        assert second_card.locator('[data-count="total"]').inner_text() == "1"
        one, two = first_card.bounding_box(), second_card.bounding_box()
        assert one is not None and two is not None
        assert one["x"] == two["x"] and two["y"] > one["y"]  # stacked, not side by side
        assert one["width"] > 300
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        if os.environ.get("ACCORD_SCREENSHOTS"):
            page.screenshot(
                path=os.environ["ACCORD_SCREENSHOTS"] + "/board-390.png", full_page=True
            )

        Case.objects.create(subject="New one", queue=engineers, team=team)
        # coming back to the tab refreshes at once (the 15 s poll pauses while hidden)
        page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
        page.wait_for_function(
            f"document.querySelector('[data-queue=\"{engineers.pk}\"] [data-count=total]')"
            ".innerText === '2'"
        )
        assert "Olga Ivanova" in second_card.inner_text()
    finally:
        context.close()
