"""The engineer's phone view in a real Chromium at 390 px: start work, tick the checklist,
add a material and a photo, finish."""

from __future__ import annotations

import datetime
import io
import os
from typing import Any

import pytest
from django.utils import timezone
from PIL import Image

from accord.core.testing import user_with_role
from accord.fieldservice.models import MaterialUse, WorkOrder, WorkOrderPhoto
from accord.fieldservice.tests.factories import make_case, make_work_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_engineer_works_a_visit_on_the_phone(
    chromium: Any, live_server: Any, tmp_path: Any
) -> None:
    manager = user_with_role("service_manager", username="head-of-service")
    engineer = user_with_role("field_engineer", username="dmitry")
    engineer.set_password("pass-Word-123")
    engineer.save()
    start = timezone.now().replace(second=0, microsecond=0) + datetime.timedelta(minutes=30)
    if timezone.localtime(start).date() != timezone.localdate():
        start = timezone.now().replace(second=0, microsecond=0)
    visit = make_work_order(
        actor=manager,
        case=make_case(subject="Котёл не запускается"),
        lead=engineer,
        start=start,
        site_address="ул. Ленина, 1, Тверь",
        checklist=["Check gas pressure", "Clean the burner"],
    )
    photo = tmp_path / "plate.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), "blue").save(buffer, "JPEG")
    photo.write_bytes(buffer.getvalue())

    context = chromium.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", "dmitry")
        page.fill("#id_password", "pass-Word-123")
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        page.goto(f"{live_server.url}/field/my-visits/")
        card = page.locator(f"#visit-{visit.pk}")
        assert card.get_by_role("link", name="ул. Ленина, 1, Тверь").count() == 1
        assert page.evaluate("document.documentElement.scrollWidth") <= 390

        button = card.get_by_role("button", name="Start work")
        box = button.bounding_box()
        assert box is not None and box["height"] >= 44 and box["x"] + box["width"] <= 390
        button.click()
        page.wait_for_load_state()
        card = page.locator(f"#visit-{visit.pk}")
        card.get_by_role("button", name="Mark as done: Check gas pressure").click()
        page.wait_for_load_state()
        card = page.locator(f"#visit-{visit.pk}")
        card.locator("summary", has_text="Materials used").click()
        card.get_by_label("or description").fill("Gasket set")
        card.get_by_label("Quantity").fill("2")
        card.get_by_label("Unit cost").fill("380")
        card.get_by_role("button", name="Add material").click()
        page.wait_for_load_state()
        card = page.locator(f"#visit-{visit.pk}")
        card.locator("summary", has_text="Photo").click()
        assert card.locator("input[type=file]").get_attribute("capture") == "environment"
        card.locator("input[type=file]").set_input_files(str(photo))
        card.get_by_role("button", name="Upload").click()
        page.wait_for_load_state()
        if os.environ.get("ACCORD_SCREENSHOTS"):
            page.screenshot(path=os.environ["ACCORD_SCREENSHOTS"] + "/field-my-visits.png")
        page.locator(f"#visit-{visit.pk}").get_by_role("button", name="Finish").click()
        page.wait_for_load_state()
        assert "Done" in page.content()
    finally:
        context.close()

    visit.refresh_from_db()
    assert visit.status == WorkOrder.Status.DONE
    assert visit.checklist_items.filter(is_done=True).count() == 1
    assert MaterialUse.objects.get().total == 760
    assert WorkOrderPhoto.objects.filter(work_order=visit).count() == 1
    assert visit.materials_cost == 760
