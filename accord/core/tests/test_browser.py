"""The core flow in a real Chromium (Debian's), at desktop width and at 375 px (a phone):
sign in -> create a company -> add a contact -> log a call -> see it on the timeline."""

from __future__ import annotations

from typing import Any

import pytest

from accord.activities.models import Activity
from accord.core.testing import user_with_role
from accord.parties.models import Company, Contact

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _seeded(transactional_db: Any) -> None:
    """Transactional tests flush the tables between tests, data-migration rows included."""
    from django.apps import apps

    from accord.core.seed import seed_picklists, seed_roles

    seed_roles(apps)
    seed_picklists(apps)


@pytest.mark.parametrize("width", [1280, 375], ids=["desktop", "phone"])
def test_core_flow(chromium: Any, live_server: Any, width: int) -> None:
    user = user_with_role("sales_manager", username=f"olga{width}")
    user.set_password("pass-Word-123")
    user.save()
    context = chromium.new_context(viewport={"width": width, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        # sign in
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", "pass-Word-123")
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        assert page.locator("h1").inner_text() == "My day"

        # create a company
        page.goto(f"{live_server.url}/companies/")
        page.get_by_role("link", name="New company").click()
        page.fill("#id_name", "ООО Тестпроект")
        page.fill("#id_phones", "8 (351) 700-12-34")
        page.get_by_role("button", name="Create", exact=True).click()
        page.wait_for_url("**/companies/*/")
        assert page.locator("h1").inner_text() == "ООО Тестпроект"
        company = Company.objects.get(name="ООО Тестпроект")
        assert company.owner_id == user.pk
        assert list(company.contact_points.values_list("normalized", flat=True)) == ["+73517001234"]

        # add a contact from the card
        page.get_by_role("link", name="Add contact").click()
        page.fill("#id_last_name", "Кузнецова")
        page.fill("#id_first_name", "Ирина")
        page.get_by_role("button", name="Create", exact=True).click()
        page.wait_for_url("**/contacts/*/")
        contact = Contact.objects.get(last_name="Кузнецова")
        assert list(contact.companies.all()) == [company]

        # back to the card, log a call with one tap on the outcome
        page.goto(f"{live_server.url}{company.get_absolute_url()}")
        log_call = page.get_by_role("link", name="Log a call")
        box = log_call.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width  # on screen
        log_call.click()
        page.get_by_role("button", name="Talked").click()
        page.wait_for_url(f"**{company.get_absolute_url()}")
        call = Activity.objects.get(company=company, kind="call")
        assert (call.outcome, call.owner_id) == ("reached", user.pk)

        # the timeline (loaded by htmx) shows the call
        timeline = page.locator(".timeline")
        timeline.first.wait_for()
        assert call.subject in timeline.first.inner_text()

        # nothing overflows sideways on a phone
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0
    finally:
        context.close()
