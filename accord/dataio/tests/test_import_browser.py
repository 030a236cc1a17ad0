"""The import wizard in a real Chromium at phone width: a Windows-1251 file with ';' is detected,
mapped, previewed with its error on the field, imported (valid rows, rejected rows in a file)
while the page follows the job's progress, then undone."""

from __future__ import annotations

from typing import Any

import pytest

from accord.core.testing import user_with_role
from accord.dataio import jobs
from accord.dataio.models import ImportBatch
from accord.parties.models import Company

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CSV = ("Название;ИНН;Город\nООО Ромашка;7707083893;Челябинск\nАО Вектор;123;Москва\n").encode(
    "cp1251"
)


@pytest.fixture(autouse=True)
def _seeded(transactional_db: Any) -> None:
    from django.apps import apps

    from accord.core.seed import seed_picklists, seed_roles

    seed_roles(apps)
    seed_picklists(apps)


@pytest.fixture
def queued(monkeypatch: Any) -> list[int]:
    """Jobs the pages queue; the test plays the worker (no job queue in tests)."""
    ids: list[int] = []
    monkeypatch.setattr(jobs, "run_job_task", ids.append)
    return ids


def test_import_a_windows_1251_file_on_a_phone_and_undo_it(
    chromium: Any, live_server: Any, queued: list[int]
) -> None:
    user = user_with_role("sales_manager", username="lena")
    user.set_password("pass-Word-123")
    user.save()
    context = chromium.new_context(viewport={"width": 390, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", "lena")
        page.fill("#id_password", "pass-Word-123")
        page.click(".login-box button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")

        page.goto(f"{live_server.url}/imports/new/")
        page.select_option("#id_object_type", "company")
        page.set_input_files(
            "#id_file", files=[{"name": "clients.csv", "mimeType": "text/csv", "buffer": CSV}]
        )
        page.get_by_role("button", name="Upload and continue").click()
        page.wait_for_url("**/format/")
        detected = page.locator(".detected").inner_text()
        assert "Windows-1251" in detected and "Semicolon" in detected
        assert "ООО Ромашка" in page.locator(".sample-table").inner_text()

        page.get_by_role("link", name="Looks right: map the columns →").click()
        page.wait_for_url("**/columns/")
        assert page.get_by_label("ИНН").input_value() == "inn"
        page.get_by_role("button", name="Check the rows →").click()
        page.wait_for_url("**/preview/")
        bad_cell = page.locator("tr[data-row='3'] td.cell-error[data-field='inn']")
        assert "123" in bad_cell.inner_text()
        assert page.locator(".counts li.is-bad strong").inner_text() == "1"
        assert page.evaluate("document.documentElement.scrollWidth") <= 390

        page.get_by_label("Skip rows that match; create only the new ones").check()
        page.get_by_label("Import the valid rows and give me a file of the rejected rows").check()
        page.get_by_role("button", name="Import", exact=True).click()
        page.wait_for_url("**/imports/*/")
        page.locator("#job-progress[hx-trigger]").wait_for()  # polling while queued
        assert len(queued) == 1
        jobs.run_job(queued[0])  # the worker runs it; the page follows by itself
        page.locator("#job-progress[data-status='done']").wait_for()
        counts = page.locator(".import-result .counts").inner_text()
        assert "1\ncreated" in counts and "1\nrejected" in counts
        assert page.get_by_role("link", name="Download the rejected rows").is_visible()
        assert list(Company.objects.values_list("name", flat=True)) == ["ООО Ромашка"]

        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="Undo this import").click()
        page.locator(".import-result[data-status='undone']").wait_for()
        assert Company.objects.count() == 0
        assert ImportBatch.objects.get().status == ImportBatch.Status.UNDONE
    finally:
        context.close()
