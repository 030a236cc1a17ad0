"""The configurator in a real Chromium at 375 px: answers change the price live, a broken
rule is explained next to the price."""

from __future__ import annotations

import os
from typing import Any

import pytest

from accord.catalog.examples import STATION_SKU, create_example_catalog
from accord.catalog.models import PriceList, Product
from accord.core.testing import user_with_role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _seeded(transactional_db: Any) -> None:
    """Transactional tests flush the tables between tests, data-migration rows included."""
    from django.apps import apps

    from accord.catalog.seed import seed_catalog
    from accord.core.seed import seed_picklists, seed_roles

    seed_roles(apps)
    seed_picklists(apps)
    seed_catalog(apps)


def test_try_the_configurator_on_a_phone(chromium: Any, live_server: Any) -> None:
    user = user_with_role("head_of_sales", username="head375")
    user.set_password("pass-Word-123")
    user.save()
    create_example_catalog(user)
    station = Product.objects.get(sku=STATION_SKU)
    context = chromium.new_context(viewport={"width": 375, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", "pass-Word-123")
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        page.goto(f"{live_server.url}{station.get_absolute_url()}")
        preview = page.locator("#try-preview")
        assert "1,740,000.00" in preview.inner_text()
        page.locator("#try-picker label", has_text="380 V").click()
        page.wait_for_function(
            "document.querySelector('#try-preview').innerText.includes('cannot be combined')"
        )
        assert "«380 V» cannot be combined with «Single-phase motor»." in preview.inner_text()
        page.locator("#try-picker label", has_text="Three-phase motor").click()
        page.wait_for_function(
            "document.querySelector('#try-preview').innerText.includes('1,500,000.00')"
        )
        page.fill("#try-quantity", "2")
        page.wait_for_function(
            "document.querySelector('#try-preview').innerText.includes('3,600,000.00')"
        )
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375  # nothing sticks out sideways on a phone

        # The picker as another part's form holds it: search, pick, answer, see the price.
        rub = PriceList.objects.get(name="Base RUB")
        page.goto(f"{live_server.url}/products/")
        page.evaluate(
            "id => htmx.ajax('GET', '/products/picker/?prefix=l1&price_list=' + id,"
            " {target: 'main', swap: 'innerHTML'})",
            rub.pk,
        )
        page.fill("#l1-search", "pump")
        page.get_by_role("button", name="Sewage pumping station").click()
        page.locator("#l1-preview").wait_for()
        assert page.locator("input[name=l1-product]").input_value() == str(station.pk)
        page.locator("#l1-picker label", has_text="Remote monitoring").click()
        page.wait_for_function(
            "document.querySelector('#l1-preview').innerText.includes('requires')"
        )
        assert (
            "«Remote monitoring» requires «GSM modem»." in page.locator("#l1-preview").inner_text()
        )
        if os.environ.get("ACCORD_SCREENSHOTS"):
            page.screenshot(
                path=os.environ["ACCORD_SCREENSHOTS"] + "/catalog-try.png", full_page=True
            )
    finally:
        if os.environ.get("ACCORD_SCREENSHOTS"):
            page.screenshot(
                path=os.environ["ACCORD_SCREENSHOTS"] + "/catalog-last.png", full_page=True
            )
        context.close()
