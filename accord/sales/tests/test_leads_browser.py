"""A lead in a real Chromium at phone width: the duplicate warning appears while typing (htmx),
the lead is saved after confirming, then converted into a client and a deal."""

from __future__ import annotations

from typing import Any

import pytest

from accord.core.testing import user_with_role
from accord.parties.tests.factories import make_company
from accord.sales.models import Deal, Lead

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


def test_lead_entry_with_duplicate_warning_and_conversion_on_a_phone(
    chromium: Any, live_server: Any
) -> None:
    user = user_with_role("sales_manager", username="lena")
    user.set_password("pass-Word-123")
    user.save()
    make_company(owner=user, name="ООО Альфа", phones=["+73517001234"])
    context = chromium.new_context(viewport={"width": 375, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", "lena")
        page.fill("#id_password", "pass-Word-123")
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")

        page.goto(f"{live_server.url}/leads/new/")
        page.fill("#id_full_name", "Смирнов Олег")
        page.fill("#id_phone", "8 (351) 700-12-34")
        page.locator("#id_phone").dispatch_event("change")
        warning = page.locator("#duplicates .duplicates")
        warning.wait_for()
        assert "ООО Альфа" in warning.inner_text()
        page.get_by_role("button", name="Create", exact=True).click()
        page.get_by_label("Save anyway: this is a new enquiry").check()
        page.get_by_role("button", name="Create", exact=True).click()
        page.wait_for_url("**/leads/*/")
        lead = Lead.objects.get()
        assert (lead.phone, lead.owner_id) == ("+73517001234", user.pk)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375

        page.get_by_role("link", name="Convert").click()
        page.get_by_label("Use existing: ООО Альфа").check()
        page.fill("#id_deal_name", "Проект подстанции")
        page.get_by_role("button", name="Convert", exact=True).click()
        page.wait_for_url("**/deals/*/")
        deal = Deal.objects.get()
        assert (deal.name, deal.company.name, deal.lead_id) == (
            "Проект подстанции",
            "ООО Альфа",
            lead.pk,
        )
        assert Lead.objects.get().status == Lead.Status.CONVERTED
    finally:
        context.close()
