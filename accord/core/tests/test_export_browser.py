"""The export menu in a real Chromium at phone width: it opens over the list, and the XLSX
button downloads a workbook of the filtered list."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from accord.core.testing import user_with_role
from accord.parties.tests.factories import make_company

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _seeded(transactional_db: Any) -> None:
    from django.apps import apps

    from accord.core.seed import seed_picklists, seed_roles

    seed_roles(apps)
    seed_picklists(apps)


def test_export_menu_downloads_the_filtered_list_on_a_phone(chromium: Any, live_server: Any):
    user = user_with_role("head_of_sales", username="olga")
    user.set_password("pass-Word-123")
    user.save()
    make_company(owner=user, name="ООО Альфа")
    make_company(owner=user, name="=Бета")
    context = chromium.new_context(
        viewport={"width": 375, "height": 800}, locale="en-GB", accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", "olga")
        page.fill("#id_password", "pass-Word-123")
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")

        page.goto(f"{live_server.url}/companies/?q=Бета")
        page.get_by_text("Export", exact=True).click()
        shot = os.environ.get("EXPORT_SCREENSHOT")
        if shot:
            page.screenshot(path=shot)
        with page.expect_download() as download_info:
            page.get_by_role("button", name="XLSX (Excel workbook)").click()
        download = download_info.value
        sheet = load_workbook(io.BytesIO(Path(download.path()).read_bytes())).active
        names = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]

        assert download.suggested_filename.endswith(".xlsx")
        assert names == ["'=Бета"]
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
    finally:
        context.close()
