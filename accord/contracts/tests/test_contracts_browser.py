"""A head of service on a phone (390 px): a contract's page, recording a visit against it,
and the client's units; nothing wider than the screen."""

from __future__ import annotations

import datetime
import os
from typing import Any

import pytest
from django.utils import timezone

from accord.contracts.models import Consumption
from accord.contracts.tests.factories import make_asset, make_contract
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


def test_record_a_visit_on_a_phone(chromium: Any, live_server: Any) -> None:
    width = 390
    today = timezone.localdate()
    user = user_with_role("service_manager", username="irina")
    user.set_password("pass-Word-123")
    user.save()
    company = make_company(owner=user, name="ООО Теплосеть")
    unit = make_asset(company, "BLR-2203-0004", warranty_until=today - datetime.timedelta(days=3))
    contract = make_contract(
        company,
        starts_on=today - datetime.timedelta(days=30),
        ends_on=today + datetime.timedelta(days=335),
        assets=(unit,),
        entitlements={"visits": 4, "hours": 8},
        name="Обслуживание котельной",
    )
    context = chromium.new_context(viewport={"width": width, "height": 860}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", "pass-Word-123")
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")

        page.goto(f"{live_server.url}{contract.get_absolute_url()}")
        page.get_by_text("Record use").click()
        page.select_option("#id_unit", "visits")
        page.fill("#id_quantity", "1")
        page.fill("#id_note", "Annual inspection")
        page.get_by_role("button", name="Record", exact=True).click()
        page.wait_for_url("**/service-contracts/*/#consumption")
        assert Consumption.objects.get().note == "Annual inspection"
        assert page.locator(".entitlement-visits td").last.inner_text().strip() == "3"
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        shots = os.environ.get("ACCORD_SCREENSHOTS")
        if shots:
            page.screenshot(path=f"{shots}/contract-{width}.png", full_page=True)

        page.goto(f"{live_server.url}/installed-units/?company={company.pk}")
        assert "BLR-2203-0004" in page.content()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        if shots:
            page.screenshot(path=f"{shots}/units-{width}.png", full_page=True)

        page.goto(f"{live_server.url}/service-contracts/?expiring=365")
        assert contract.number in page.content()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        if shots:
            page.screenshot(path=f"{shots}/contracts-{width}.png", full_page=True)
    finally:
        context.close()
