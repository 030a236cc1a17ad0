"""A quote from a deal in a real Chromium, at desktop width and at 375 px: create it, add a
line with htmx, apply a discount, and nothing overflows the phone's screen."""

from __future__ import annotations

import os
from decimal import Decimal
from typing import Any

import pytest

from accord.commerce.models import Quote
from accord.commerce.tests.test_quotes_helpers import make_deal
from accord.core.testing import user_with_role
from accord.parties.tests.factories import make_company, make_contact

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _seeded(transactional_db: Any) -> None:
    """Transactional tests flush the tables between tests, data-migration rows included."""
    from django.apps import apps

    from accord.catalog.seed import seed_catalog
    from accord.core.seed import seed_picklists, seed_roles
    from accord.sales.seed import seed_pipeline

    seed_roles(apps)
    seed_picklists(apps)
    seed_catalog(apps)
    seed_pipeline(apps)


@pytest.mark.parametrize("width", [1280, 375], ids=["desktop", "phone"])
def test_quote_from_a_deal(chromium: Any, live_server: Any, width: int) -> None:
    user = user_with_role("sales_manager", username=f"quotes{width}")
    user.set_password("pass-Word-123")
    user.save()
    company = make_company(owner=user, name="ООО «Челябэнергопроект»", country="RU")
    contact = make_contact(owner=user, company=company, last_name="Кузнецова")
    deal = make_deal(owner=user, company=company, contacts=[contact])
    context = chromium.new_context(viewport={"width": width, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", "pass-Word-123")
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")

        page.goto(f"{live_server.url}/quotes/new/?deal={deal.pk}")
        page.get_by_role("button", name="Create the quote").click()
        page.wait_for_url("**/quotes/*/")
        quote = Quote.objects.get(deal=deal)

        page.locator("summary", has_text="Add a free-text line").click()
        page.fill("#id_new_description", "Инженерные изыскания")
        page.fill("#id_new_quantity", "2")
        page.fill("#id_new_unit_price", "1 500,50")
        page.get_by_role("button", name="Add line").first.click()
        page.locator(".quote-lines-table", has_text="Инженерные изыскания").wait_for()

        page.fill("#id_discount_discount_percent", "10")
        page.get_by_role("button", name="Apply discount").click()
        page.locator(".quote-totals", has_text="3,241.08").wait_for()
        quote.refresh_from_db()
        # 2 × 1500.50 = 3001.00; −10 % = 2700.90; VAT 20 % = 540.18
        assert quote.total == Decimal("3241.08") and quote.version == 3

        assert page.evaluate("document.documentElement.scrollWidth") <= width
        send = page.get_by_role("link", name="Send by e-mail")
        box = send.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
        shots = os.environ.get("ACCORD_SCREENSHOTS")
        if shots:
            page.screenshot(path=f"{shots}/quote-{width}.png", full_page=True)
    finally:
        context.close()
