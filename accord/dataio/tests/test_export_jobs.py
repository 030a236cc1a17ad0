"""Large exports as background jobs (D2): same rows as the inline export, progress, cancel,
download only by the owner, permission checked before anything is written; the export API."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from openpyxl import load_workbook

from accord.core.models import Role
from accord.core.permissions import clear_cache
from accord.core.testing import user_with_role
from accord.core.tests.test_api_auth import token_client
from accord.dataio.export import export_start
from accord.dataio.jobs import run_job
from accord.dataio.models import Job
from accord.parties.tests.factories import make_company, make_contact

pytestmark = pytest.mark.django_db


def _csv_text(content: bytes) -> list[list[str]]:
    text = content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def _start(django_capture_on_commit_callbacks, **kwargs) -> Job:
    """Start an export without running it (the test runs it with run_job)."""
    with django_capture_on_commit_callbacks(execute=False):
        return export_start(**kwargs)


def _run(job: Job) -> Job:
    run_job(job.pk)
    job.refresh_from_db()
    return job


@pytest.fixture
def manager_with_contacts():
    manager = user_with_role("sales_manager")
    other = user_with_role("sales_manager")
    company = make_company(owner=manager, name="Уралэнерго")
    for last in ("Жукова", "Élodie", "=cmd", "Абрамов"):
        make_contact(owner=manager, company=company, last_name=last, first_name="Анна")
    make_contact(owner=other, last_name="Чужой")
    return manager


def test_large_export_runs_as_a_job_with_the_same_rows_as_the_inline_export(
    client, settings, manager_with_contacts, django_capture_on_commit_callbacks
):
    client.force_login(manager_with_contacts)
    url = reverse("parties:contact_export") + "?sort=-name"
    inline = client.post(url, {"format": "csv"})
    settings.ACCORD_EXPORT_INLINE_MAX = 3

    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(url, {"format": "csv"})
    job = _run(Job.objects.get())
    inline_rows = _csv_text(b"".join(inline.streaming_content))

    assert response.status_code == 302
    assert response["Location"] == reverse("dataio:job_detail", args=[job.pk])
    assert job.kind == Job.Kind.EXPORT and job.status == Job.Status.DONE
    assert job.params == {
        "list": "contacts",
        "query": "sort=-name",
        "format": "csv",
        "lossless": False,
    }
    assert (job.done, job.total) == (4, 4)
    assert job.message == "4 rows exported."
    assert job.result_name.startswith("contacts-") and job.result_name.endswith(".csv")
    assert _csv_text(job.result_file.read()) == inline_rows
    assert [row[0] for row in inline_rows[1:]] == [
        "Жукова Анна",
        "Абрамов Анна",
        "Élodie Анна",
        "'=cmd Анна",
    ]


def test_xlsx_job_writes_typed_cells_and_round_trips_cyrillic(
    manager_with_contacts, django_capture_on_commit_callbacks
):
    job = _run(
        _start(
            django_capture_on_commit_callbacks,
            actor=manager_with_contacts,
            list_key="contacts",
            params={"q": "Жукова"},
            file_format="xlsx",
            lossless=False,
        )
    )
    sheet = load_workbook(io.BytesIO(job.result_file.read())).active
    rows = list(sheet.iter_rows(values_only=True))

    assert job.status == Job.Status.DONE and job.result_name.endswith(".xlsx")
    assert len(rows) == 2
    assert rows[1][:2] == ("Жукова Анна", "Уралэнерго")


def test_cancelled_job_stops_and_attaches_no_file(
    manager_with_contacts, django_capture_on_commit_callbacks
):
    job = _start(
        django_capture_on_commit_callbacks,
        actor=manager_with_contacts,
        list_key="contacts",
        params={},
        file_format="csv",
        lossless=False,
    )
    Job.objects.filter(pk=job.pk).update(cancel_requested=True)

    job = _run(job)

    assert job.status == Job.Status.CANCELLED
    assert not job.result_file


def test_only_the_owner_downloads_the_file(
    client, manager_with_contacts, django_capture_on_commit_callbacks
):
    job = _run(
        _start(
            django_capture_on_commit_callbacks,
            actor=manager_with_contacts,
            list_key="contacts",
            params={},
            file_format="csv",
            lossless=False,
        )
    )
    url = reverse("dataio:job_download", args=[job.pk])

    client.force_login(user_with_role("sales_manager"))
    stranger = client.get(url)
    client.force_login(manager_with_contacts)
    owner = client.get(url)

    assert stranger.status_code == 404
    assert owner.status_code == 200
    assert len(_csv_text(b"".join(owner.streaming_content))) == 5


def test_no_export_permission_starts_no_job():
    agent = user_with_role("service_agent")

    with pytest.raises(PermissionDenied):
        export_start(
            actor=agent, list_key="companies", params={}, file_format="csv", lossless=False
        )

    assert Job.objects.count() == 0


def test_lossless_job_is_refused_to_non_administrators():
    boss = user_with_role("head_of_sales")

    with pytest.raises(PermissionDenied):
        export_start(actor=boss, list_key="companies", params={}, file_format="xlsx", lossless=True)

    assert Job.objects.count() == 0


@pytest.mark.parametrize(
    ("list_key", "file_format", "field"),
    [("nothing", "csv", "list"), ("contacts", "pdf", "format")],
)
def test_bad_list_or_format_names_the_field(list_key, file_format, field):
    boss = user_with_role("head_of_sales")

    with pytest.raises(ValidationError) as error:
        export_start(
            actor=boss, list_key=list_key, params={}, file_format=file_format, lossless=False
        )

    assert list(error.value.message_dict) == [field]
    assert Job.objects.count() == 0


def test_runner_checks_the_permission_again_when_it_runs(
    manager_with_contacts, django_capture_on_commit_callbacks
):
    job = _start(
        django_capture_on_commit_callbacks,
        actor=manager_with_contacts,
        list_key="contacts",
        params={},
        file_format="csv",
        lossless=False,
    )
    manager_with_contacts.roles.set(Role.objects.filter(code="service_agent"))
    clear_cache(manager_with_contacts)

    job = _run(job)

    assert job.status == Job.Status.FAILED
    assert not job.result_file


# --- API ----------------------------------------------------------------------------------------


def test_api_get_returns_the_file_when_small(manager_with_contacts):
    api = token_client(manager_with_contacts)

    response = api.get("/api/exports", {"list": "contacts", "format": "csv", "q": "Абрамов"})

    rows = _csv_text(b"".join(response.streaming_content))
    assert response.status_code == 200
    assert [r[0] for r in rows[1:]] == ["Абрамов Анна"]


def test_api_get_starts_a_job_when_large_and_reports_it(
    settings, manager_with_contacts, django_capture_on_commit_callbacks
):
    settings.ACCORD_EXPORT_INLINE_MAX = 1
    api = token_client(manager_with_contacts)

    with django_capture_on_commit_callbacks(execute=False):
        started = api.get("/api/exports", {"list": "contacts", "format": "xlsx", "q": "Анна"})
    job = _run(Job.objects.get(pk=started.json()["id"]))
    detail = api.get(f"/api/exports/{job.pk}").json()
    file = api.get(detail["file_url"])
    stranger = token_client(user_with_role("sales_manager")).get(f"/api/exports/{job.pk}")

    assert started.status_code == 202
    assert job.params["query"] == "q=%D0%90%D0%BD%D0%BD%D0%B0"
    assert (detail["status"], detail["done"], detail["total"]) == ("done", 4, 4)
    assert file.status_code == 200
    assert len(list(load_workbook(io.BytesIO(b"".join(file.streaming_content))).active.rows)) == 5
    assert stranger.status_code == 404


def test_api_post_starts_a_job_and_refuses_without_permission(
    manager_with_contacts, django_capture_on_commit_callbacks
):
    api = token_client(manager_with_contacts)
    agent_api = token_client(user_with_role("service_agent"))

    with django_capture_on_commit_callbacks(execute=False):
        created = api.post(
            "/api/exports",
            {"list": "contacts", "format": "csv", "query": "sort=-name"},
            content_type="application/json",
        )
        refused = agent_api.post(
            "/api/exports", {"list": "contacts"}, content_type="application/json"
        )
        lossless = api.post(
            "/api/exports",
            {"list": "contacts", "lossless": True},
            content_type="application/json",
        )

    assert created.status_code == 201 and created.json()["status"] == "queued"
    assert refused.status_code == 403
    assert lossless.status_code == 403
    assert Job.objects.count() == 1
