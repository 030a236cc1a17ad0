"""Taking an order by phone from the client card, in a real Chromium at 375 px: the card's
"Take an order", two lines (the second added in place by htmx), confirm, save; then a payment."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from accord.commerce.models import Order
from accord.core.testing import user_with_role
from accord.parties.tests.factories import make_company

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _seeded(transactional_db: Any) -> None:
    """Transactional tests flush the tables between tests, data-migration rows included."""
    from django.apps import apps

    from accord.core.seed import seed_picklists, seed_roles

    seed_roles(apps)
    seed_picklists(apps)


def _open_free_line(page: Any, prefix: str) -> None:
    """With a catalogue, free lines are folded under the product picker."""
    summary = page.locator(f"#row-{prefix} details.order-free-line > summary")
    if summary.count():
        summary.click()


def test_phone_order_from_the_card(chromium: Any, live_server: Any) -> None:
    user = user_with_role("sales_manager", username="olga-orders")
    user.set_password("pass-Word-123")
    user.save()
    company = make_company(owner=user, name="ООО Вега")
    context = chromium.new_context(viewport={"width": 375, "height": 800}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", "pass-Word-123")
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")

        page.goto(f"{live_server.url}{company.get_absolute_url()}")
        take = page.get_by_role("link", name="Take an order")
        box = take.first.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375
        take.first.click()
        page.wait_for_url("**/orders/new/?company=*")
        assert page.locator("#id_channel").input_value() == "phone"

        _open_free_line(page, "line0")
        page.fill("#id_line0-description", "Проектирование КНС")
        page.fill("#id_line0-quantity", "2")
        page.fill("#id_line0-unit_price", "1000")
        page.get_by_role("button", name="+ Add a line").click()
        page.locator("#row-line1").wait_for()
        _open_free_line(page, "line1")
        page.fill("#id_line1-description", "Survey")
        page.fill("#id_line1-unit_price", "500")
        page.check("#id_confirm")
        save = page.get_by_role("button", name="Save order")
        box = save.bounding_box()
        assert box is not None and box["x"] + box["width"] <= 375
        save.click()
        page.wait_for_url("**/orders/*/")
        order = Order.objects.get()
        assert order.status == Order.Status.CONFIRMED
        assert [line.description for line in order.lines.all()] == ["Проектирование КНС", "Survey"]
        assert order.total == order.subtotal + order.tax_total
        assert order.subtotal == Decimal("2500.00")
        assert "Проектирование КНС" in page.locator("table.order-lines").inner_text()
    finally:
        context.close()
