"""The import wizard's pages: who may use them, each step, errors on the field they concern,
mode options the user lacks permission for, run, result and undo."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accord.core.testing import assert_num_queries, user_with_role
from accord.dataio.jobs import run_job
from accord.dataio.models import ImportBatch, ImportMapping, Job
from accord.parties.models import Company
from accord.parties.tests.factories import make_company

pytestmark = pytest.mark.django_db

VALID_INN = "7707083893"  # Sberbank: a real, checksum-valid INN
CSV_1251 = "Название;ИНН;Город\nООО Ромашка;;Челябинск\nАО Вектор;123;Москва\n".encode("cp1251")


def _login(client, user):
    client.force_login(user)
    return client


def _upload(client, content=CSV_1251, name="clients.csv", object_type="company"):
    return client.post(
        reverse("dataio:import_start"),
        {"object_type": object_type, "file": SimpleUploadedFile(name, content)},
    )


def _run(client, batch: ImportBatch, **choices):
    """Press Import, then let the worker run the queued job (tests don't run a worker)."""
    response = client.post(reverse("dataio:import_preview", args=[batch.pk]), choices)
    batch.refresh_from_db()
    if batch.job_id:
        run_job(batch.job_id)
        batch.refresh_from_db()
    return response


def _batch_ready_for_preview(client, content=CSV_1251) -> ImportBatch:
    _upload(client, content)
    batch = ImportBatch.objects.latest("id")
    client.post(
        reverse("dataio:import_mapping", args=[batch.pk]),
        {"col_0": "name", "col_1": "inn", "col_2": "city"},
    )
    batch.refresh_from_db()
    return batch


# --- who may import -------------------------------------------------------------------------


def test_without_import_permission_the_wizard_is_forbidden_and_nothing_is_stored(client):
    agent = _login(client, user_with_role("service_agent"))

    assert agent.get(reverse("dataio:import_start")).status_code == 403
    assert _upload(agent).status_code == 403
    assert agent.get(reverse("dataio:import_list")).status_code == 403
    assert ImportBatch.objects.count() == 0


def test_a_type_without_import_permission_is_not_offered_and_refused(client):
    manager = _login(client, user_with_role("marketing"))

    page = manager.get(reverse("dataio:import_start"))
    offered = [value for value, _label in page.context["form"].fields["object_type"].choices]
    response = _upload(manager, object_type="deal")

    assert "deal" not in offered and "company" in offered and "contact" in offered
    assert response.status_code == 200
    assert "object_type" in response.context["form"].errors
    assert ImportBatch.objects.count() == 0


def test_someone_elses_import_is_404_on_every_step(client):
    owner = user_with_role("sales_manager")
    batch = _batch_ready_for_preview(_login(client, owner))
    other = _login(client, user_with_role("sales_manager"))

    for name in ("import_detail", "import_format", "import_mapping", "import_preview"):
        assert other.get(reverse(f"dataio:{name}", args=[batch.pk])).status_code == 404, name
    assert other.post(reverse("dataio:import_preview", args=[batch.pk]), {}).status_code == 404
    assert other.post(reverse("dataio:import_undo", args=[batch.pk])).status_code == 404
    assert other.get(reverse("dataio:import_rejected", args=[batch.pk])).status_code == 404
    batch.refresh_from_db()
    assert (batch.status, batch.job_id) == (ImportBatch.Status.DRAFT, None)


# --- step 1: upload ---------------------------------------------------------------------------


def test_upload_shows_the_size_limit_and_names_a_missing_file(client, settings):
    settings.ACCORD_UPLOAD_MAX_BYTES = 1024 * 1024
    manager = _login(client, user_with_role("sales_manager"))

    page = manager.get(reverse("dataio:import_start")).content.decode()
    response = manager.post(reverse("dataio:import_start"), {"object_type": "company"})

    assert "1.0" in page and "MB" in page
    assert list(response.context["form"].errors) == ["file"]
    assert ImportBatch.objects.count() == 0


def test_upload_refuses_other_file_kinds_and_binary_files_on_the_file_field(client):
    manager = _login(client, user_with_role("sales_manager"))

    wrong_kind = _upload(manager, content=b"x", name="clients.pdf")
    binary = _upload(manager, content=b"\x00\x01\x02\x00" * 100, name="clients.csv")

    assert list(wrong_kind.context["form"].errors) == ["file"]
    assert list(binary.context["form"].errors) == ["file"]
    assert "binary" in binary.content.decode()
    assert ImportBatch.objects.count() == 0


def test_upload_detects_the_format_and_goes_to_step_two(client):
    manager = _login(client, user_with_role("sales_manager"))

    response = _upload(manager)

    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("dataio:import_format", args=[batch.pk])
    assert (batch.encoding, batch.delimiter, batch.status) == (
        "cp1251",
        ";",
        ImportBatch.Status.DRAFT,
    )


# --- step 2: what we detected -----------------------------------------------------------------


def test_detected_step_shows_format_and_the_first_rows(client):
    manager = _login(client, user_with_role("sales_manager"))
    _upload(manager)
    batch = ImportBatch.objects.get()

    response = manager.get(reverse("dataio:import_format", args=[batch.pk]))

    html = response.content.decode()
    assert response.context["sample"]["headers"] == ["Название", "ИНН", "Город"]
    assert "<td>ООО Ромашка</td>" in html and "<td>Москва</td>" in html
    assert "cp1251" in html


def test_overriding_the_delimiter_reads_the_file_again(client):
    manager = _login(client, user_with_role("sales_manager"))
    _upload(manager)
    batch = ImportBatch.objects.get()

    response = manager.post(
        reverse("dataio:import_format", args=[batch.pk]),
        {"encoding": "cp1251", "delimiter": ","},
    )

    assert response.status_code == 302
    current = ImportBatch.objects.latest("id")
    assert current.delimiter == ","
    page = manager.get(response["Location"])
    assert page.context["sample"]["headers"] == ["Название;ИНН;Город"]


# --- step 3: mapping --------------------------------------------------------------------------


def test_mapping_preselects_suggestions_from_russian_headers(client):
    manager = _login(client, user_with_role("sales_manager"))
    _upload(manager)
    batch = ImportBatch.objects.get()

    response = manager.get(reverse("dataio:import_mapping", args=[batch.pk]))

    form = response.context["form"]
    assert [form[f"col_{i}"].value() for i in range(3)] == ["name", "inn", "city"]
    assert "— do not import —" in response.content.decode()


def test_mapping_errors_are_shown_on_the_column(client):
    manager = _login(client, user_with_role("sales_manager"))
    _upload(manager)
    batch = ImportBatch.objects.get()
    url = reverse("dataio:import_mapping", args=[batch.pk])

    twice = manager.post(url, {"col_0": "name", "col_1": "name", "col_2": ""})
    without_required = manager.post(url, {"col_0": "", "col_1": "inn", "col_2": "city"})

    assert list(twice.context["form"].errors) == ["col_1"]
    assert without_required.status_code == 200
    assert without_required.context["form"].errors
    batch.refresh_from_db()
    assert not any(batch.columns.values())


def test_mapping_can_be_saved_and_applied_to_the_next_file(client):
    manager = _login(client, user_with_role("sales_manager"))
    _upload(manager)
    batch = ImportBatch.objects.get()

    response = manager.post(
        reverse("dataio:import_mapping", args=[batch.pk]),
        {"col_0": "name", "col_1": "", "col_2": "city", "save_as": "1C export"},
    )

    assert response["Location"] == reverse("dataio:import_preview", args=[batch.pk])
    saved = ImportMapping.objects.get()
    assert (saved.name, saved.object_type) == ("1C export", "company")
    assert saved.columns["Название"] == "name" and saved.columns["Город"] == "city"
    _upload(manager)
    second = ImportBatch.objects.latest("id")
    page = manager.get(reverse("dataio:import_mapping", args=[second.pk]), {"mapping": saved.pk})
    assert page.context["form"]["col_1"].value() == ""


# --- step 4: preview --------------------------------------------------------------------------


def test_preview_shows_each_error_on_its_field_and_whole_file_counts(client):
    manager = _login(client, user_with_role("sales_manager"))
    batch = _batch_ready_for_preview(manager)

    page = manager.get(reverse("dataio:import_preview", args=[batch.pk]))
    response = manager.get(reverse("dataio:import_preview", args=[batch.pk]), {"part": "rows"})

    assert "preview" not in page.context  # the page shows at once; htmx loads the check
    assert "?part=rows" in page.content.decode()
    html = response.content.decode()
    assert "<html" not in html
    preview = response.context["preview"]
    assert (preview.total, preview.valid, preview.with_errors) == (2, 1, 1)
    bad_row = next(line for line in response.context["table"] if line["row"].number == 3)
    inn_cell = next(cell for cell in bad_row["cells"] if cell["key"] == "inn")
    assert inn_cell["errors"] and inn_cell["value"] == "123"
    assert 'data-field="inn" class="cell-error"' in html
    assert inn_cell["errors"][0] in html
    assert Company.objects.count() == 0


def test_update_mode_is_disabled_with_a_reason_without_change_permission(client):
    marketer = _login(client, user_with_role("marketing"))  # may add companies, not change
    batch = _batch_ready_for_preview(marketer)
    url = reverse("dataio:import_preview", args=[batch.pk])

    page = marketer.get(url).content.decode()
    response = marketer.post(url, {"mode": "update", "rejects": "valid"})

    assert 'value="update" id="id_mode_1" disabled' in page
    assert "You may not change companies." in page
    assert list(response.context["form"].errors) == ["mode"]
    batch.refresh_from_db()
    assert (batch.status, batch.job_id) == (ImportBatch.Status.DRAFT, None)
    assert Job.objects.count() == 0 and Company.objects.count() == 0


def test_preview_requires_choices(client):
    manager = _login(client, user_with_role("sales_manager"))
    batch = _batch_ready_for_preview(manager)

    response = manager.post(reverse("dataio:import_preview", args=[batch.pk]), {})

    assert set(response.context["form"].errors) == {"mode", "rejects"}
    assert Job.objects.count() == 0


def test_reload_lands_on_the_step_the_batch_is_at(client):
    manager = _login(client, user_with_role("sales_manager"))
    _upload(manager)
    batch = ImportBatch.objects.get()
    detail = reverse("dataio:import_detail", args=[batch.pk])

    assert manager.get(detail)["Location"] == reverse("dataio:import_format", args=[batch.pk])
    assert manager.get(reverse("dataio:import_preview", args=[batch.pk]))["Location"] == (
        reverse("dataio:import_mapping", args=[batch.pk])
    )
    manager.post(
        reverse("dataio:import_mapping", args=[batch.pk]),
        {"col_0": "name", "col_1": "inn", "col_2": "city"},
    )
    assert manager.get(detail)["Location"] == reverse("dataio:import_preview", args=[batch.pk])


# --- step 5: run, result, undo ----------------------------------------------------------------


def test_import_valid_rows_gives_counts_rejected_file_and_undo(client):
    manager = _login(client, user_with_role("sales_manager"))
    batch = _batch_ready_for_preview(manager)

    response = _run(manager, batch, mode="skip", rejects="valid")

    assert response["Location"] == reverse("dataio:import_detail", args=[batch.pk])
    assert (batch.status, batch.rows_created, batch.rows_rejected) == (
        ImportBatch.Status.DONE,
        1,
        1,
    )
    assert list(Company.objects.values_list("name", flat=True)) == ["ООО Ромашка"]
    page = manager.get(response["Location"]).content.decode()
    assert reverse("dataio:import_rejected", args=[batch.pk]) in page
    assert "Undo this import" in page
    assert f'href="{reverse("parties:company_list")}">See the companies' in page
    rejected = manager.get(reverse("dataio:import_rejected", args=[batch.pk]))
    assert rejected.status_code == 200
    assert "АО Вектор" in b"".join(rejected.streaming_content).decode("utf-8-sig")

    undo = manager.post(reverse("dataio:import_undo", args=[batch.pk]))

    assert undo.status_code == 302
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.UNDONE and batch.undone_by_id is not None
    assert Company.objects.count() == 0
    assert "Undo this import" not in manager.get(undo["Location"]).content.decode()


def test_all_or_nothing_with_an_error_writes_nothing(client):
    manager = _login(client, user_with_role("sales_manager"))
    batch = _batch_ready_for_preview(manager)

    _run(manager, batch, mode="skip", rejects="all")

    assert batch.status == ImportBatch.Status.FAILED
    assert Company.objects.count() == 0


def test_past_imports_list_my_imports_with_counts(client):
    manager = _login(client, user_with_role("sales_manager"))
    make_company(owner=user_with_role("sales_manager"), name="Other", inn=VALID_INN)
    batch = _batch_ready_for_preview(manager)
    _run(manager, batch, mode="skip", rejects="valid")

    response = manager.get(reverse("dataio:import_list"))

    assert [b.pk for b in response.context["batches"]] == [batch.pk]
    html = response.content.decode()
    assert "clients.csv" in html and "1 / 0 / 0 / 1" in html
    assert reverse("dataio:import_undo", args=[batch.pk]) in html


def _xlsx(sheets: dict[str, list[list[str]]]) -> bytes:
    import io

    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_a_workbook_offers_its_sheets_and_reads_the_chosen_one(client):
    manager = _login(client, user_with_role("sales_manager"))
    content = _xlsx(
        {"Notes": [["Comment"], ["call back"]], "Clients": [["Name", "City"], ["Alpha", "Lyon"]]}
    )
    _upload(manager, content=content, name="clients.xlsx")
    batch = ImportBatch.objects.get()

    page = manager.get(reverse("dataio:import_format", args=[batch.pk]))
    response = manager.post(reverse("dataio:import_format", args=[batch.pk]), {"sheet": "Clients"})

    form = page.context["form"]
    assert list(form.fields) == ["sheet"]
    assert [value for value, _label in form.fields["sheet"].choices] == ["Notes", "Clients"]
    assert "Excel workbook (XLSX)" in page.content.decode()
    current = ImportBatch.objects.latest("id")
    assert current.sheet == "Clients"
    reread = manager.get(response["Location"])
    assert reread.context["sample"]["headers"] == ["Name", "City"]
    assert reread.context["sample"]["rows"] == [["Alpha", "Lyon"]]


def test_cancel_from_the_import_page_comes_back_to_it(client):
    manager = _login(client, user_with_role("sales_manager"))
    batch = _batch_ready_for_preview(manager)
    manager.post(
        reverse("dataio:import_preview", args=[batch.pk]), {"mode": "skip", "rejects": "valid"}
    )
    batch.refresh_from_db()
    page = manager.get(reverse("dataio:import_detail", args=[batch.pk])).content.decode()

    response = manager.post(
        reverse("dataio:job_cancel", args=[batch.job_id]),
        {"next": reverse("dataio:import_detail", args=[batch.pk])},
    )

    assert reverse("dataio:job_cancel", args=[batch.job_id]) in page
    assert 'hx-trigger="every 1s"' in page
    assert response["Location"] == reverse("dataio:import_detail", args=[batch.pk])
    job = Job.objects.get()
    assert (job.status, job.cancel_requested) == (Job.Status.CANCELLED, True)
    assert Company.objects.count() == 0


def test_administrator_sees_every_import(client):
    first = _batch_ready_for_preview(_login(client, user_with_role("sales_manager")))
    second = _batch_ready_for_preview(_login(client, user_with_role("sales_manager")))
    admin = _login(client, user_with_role("administrator"))

    response = admin.get(reverse("dataio:import_list"))
    detail = admin.get(reverse("dataio:import_preview", args=[first.pk]))

    assert {b.pk for b in response.context["batches"]} == {first.pk, second.pk}
    assert detail.status_code == 200


def test_a_draft_read_again_shows_once_in_past_imports(client):
    manager = _login(client, user_with_role("sales_manager"))
    _upload(manager)
    first = ImportBatch.objects.get()
    manager.post(
        reverse("dataio:import_format", args=[first.pk]), {"encoding": "cp1251", "delimiter": ","}
    )
    newer = ImportBatch.objects.latest("id")

    with assert_num_queries(6):
        response = manager.get(reverse("dataio:import_list"))

    assert [b.pk for b in response.context["batches"]] == [newer.pk]


def test_anonymous_is_sent_to_sign_in_and_read_only_is_forbidden(client):
    start = reverse("dataio:import_start")

    anonymous = client.get(start)
    reader = _login(client, user_with_role("read_only")).get(start)

    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    assert reader.status_code == 403


def test_an_import_that_wrote_nothing_offers_no_undo(client):
    manager = _login(client, user_with_role("sales_manager"))
    content = "Название;ИНН\nАО Вектор;123\n".encode("cp1251")
    _upload(manager, content)
    batch = ImportBatch.objects.get()
    manager.post(
        reverse("dataio:import_mapping", args=[batch.pk]), {"col_0": "name", "col_1": "inn"}
    )
    _run(manager, batch, mode="skip", rejects="valid")

    page = manager.get(reverse("dataio:import_detail", args=[batch.pk])).content.decode()

    assert (batch.status, batch.rows_created, batch.rows_rejected) == ("done", 0, 1)
    assert "Undo this import" not in page and "Download the rejected rows" in page


def test_without_javascript_the_check_is_on_the_page(client):
    manager = _login(client, user_with_role("sales_manager"))
    batch = _batch_ready_for_preview(manager)

    response = manager.get(reverse("dataio:import_preview", args=[batch.pk]), {"full": "1"})

    assert response.context["preview"].total == 2
    assert 'class="cell-error"' in response.content.decode()
