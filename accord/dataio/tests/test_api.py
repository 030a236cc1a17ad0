"""Imports and jobs over the REST API: upload with detection, mapping and options, preview with
errors per field, start, undo; jobs are the caller's own; errors are 422 naming the field."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accord.core.testing import user_with_role
from accord.core.tests.test_api_auth import token_client
from accord.dataio.jobs import run_job
from accord.dataio.models import ImportBatch, Job
from accord.parties.models import Company

pytestmark = pytest.mark.django_db

CSV = "Название;ИНН;Город\nООО Ромашка;;Челябинск\nАО Вектор;123;Москва\n".encode("cp1251")


def _patch(client, url, body):
    return client.patch(url, json.dumps(body), content_type="application/json")


def _upload(client, content=CSV, object_type="company"):
    return client.post(
        "/api/imports",
        {"type": object_type, "file": SimpleUploadedFile("clients.csv", content)},
    )


def test_upload_answers_what_was_detected():
    client = token_client(user_with_role("sales_manager"))

    response = _upload(client)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "draft" and body["object_type"] == "company"
    detected = body["detected"]
    assert (detected["kind"], detected["encoding"], detected["delimiter"]) == ("csv", "cp1251", ";")
    assert detected["headers"] == ["Название", "ИНН", "Город"]
    assert detected["sample"][0] == ["ООО Ромашка", "", "Челябинск"]


def test_upload_without_import_permission_is_403_and_stores_nothing():
    client = token_client(user_with_role("service_agent"))

    response = _upload(client)

    assert response.status_code == 403
    assert ImportBatch.objects.count() == 0


def test_bad_file_is_422_naming_the_file():
    client = token_client(user_with_role("sales_manager"))

    response = _upload(client, content=b"")

    assert response.status_code == 422
    assert [d["field"] for d in response.json()["detail"]] == ["file"]
    assert ImportBatch.objects.count() == 0


def test_mapping_preview_start_and_undo():
    client = token_client(user_with_role("sales_manager"))
    batch_id = _upload(client).json()["id"]

    configured = _patch(
        client,
        f"/api/imports/{batch_id}",
        {
            "columns": {"Название": "name", "ИНН": "inn", "Город": "city"},
            "mode": "skip",
            "all_or_nothing": False,
        },
    )
    preview = client.get(f"/api/imports/{batch_id}/preview")
    started = client.post(f"/api/imports/{batch_id}/start")

    assert configured.status_code == 200, configured.content
    assert configured.json()["mode"] == "skip" and configured.json()["all_or_nothing"] is False
    body = preview.json()
    assert (body["total"], body["valid"], body["with_errors"]) == (2, 1, 1)
    assert list(body["rows"][1]["errors"]) == ["inn"]
    assert started.status_code == 202, started.content
    job = started.json()
    assert (job["kind"], job["status"], job["import_id"]) == ("import", "queued", batch_id)
    run_job(job["id"])  # what the worker does
    assert client.get(f"/api/jobs/{job['id']}").json()["status"] == "done"
    batch = client.get(f"/api/imports/{batch_id}").json()
    assert (batch["status"], batch["rows_created"], batch["rows_rejected"]) == ("done", 1, 1)
    assert batch["rejected_file_url"] == f"/imports/{batch_id}/rejected/"
    assert Company.objects.count() == 1

    undone = client.post(f"/api/imports/{batch_id}/undo")

    assert undone.status_code == 200
    assert undone.json()["status"] == "undone"
    assert Company.objects.count() == 0


def test_update_mode_without_change_permission_is_422_on_mode():
    client = token_client(user_with_role("marketing"))
    batch_id = _upload(client).json()["id"]

    response = _patch(
        client,
        f"/api/imports/{batch_id}",
        {"columns": {"Название": "name", "ИНН": "", "Город": ""}, "mode": "update"},
    )

    assert response.status_code == 422
    assert [d["field"] for d in response.json()["detail"]] == ["mode"]
    assert ImportBatch.objects.get().mode != "update"


def test_someone_elses_import_is_404():
    batch_id = _upload(token_client(user_with_role("sales_manager"))).json()["id"]
    other = token_client(user_with_role("sales_manager"))

    assert other.get(f"/api/imports/{batch_id}").status_code == 404
    assert _patch(other, f"/api/imports/{batch_id}", {"mode": "skip"}).status_code == 404
    assert other.get(f"/api/imports/{batch_id}/preview").status_code == 404
    assert other.post(f"/api/imports/{batch_id}/start").status_code == 404
    assert other.post(f"/api/imports/{batch_id}/undo").status_code == 404
    assert Job.objects.count() == 0


def test_jobs_are_the_callers_own():
    me = user_with_role("sales_manager")
    mine = Job.objects.create(kind=Job.Kind.EXPORT, created_by=me, total=4, done=1)
    theirs = Job.objects.create(kind=Job.Kind.EXPORT, created_by=user_with_role("marketing"))
    client = token_client(me)

    listing = client.get("/api/jobs")
    detail = client.get(f"/api/jobs/{mine.pk}")

    assert [j["id"] for j in listing.json()["items"]] == [mine.pk]
    assert detail.json()["percent"] == 25 and detail.json()["result_url"] is None
    assert client.get(f"/api/jobs/{theirs.pk}").status_code == 404
    assert client.post(f"/api/jobs/{theirs.pk}/cancel").status_code == 404
    theirs.refresh_from_db()
    assert theirs.cancel_requested is False


def test_administrator_lists_every_job():
    first = Job.objects.create(kind=Job.Kind.EXPORT, created_by=user_with_role("marketing"))
    second = Job.objects.create(kind=Job.Kind.IMPORT, created_by=user_with_role("marketing"))
    client = token_client(user_with_role("administrator"))

    listing = client.get("/api/jobs")

    assert [j["id"] for j in listing.json()["items"]] == [second.pk, first.pk]


def test_cancel_a_job_and_refuse_a_finished_one():
    me = user_with_role("sales_manager")
    running = Job.objects.create(kind=Job.Kind.EXPORT, created_by=me, status=Job.Status.RUNNING)
    done = Job.objects.create(kind=Job.Kind.EXPORT, created_by=me, status=Job.Status.DONE)
    client = token_client(me)

    cancelled = client.post(f"/api/jobs/{running.pk}/cancel")
    refused = client.post(f"/api/jobs/{done.pk}/cancel")

    assert cancelled.status_code == 200 and cancelled.json()["cancel_requested"] is True
    assert refused.status_code == 422
    assert [d["field"] for d in refused.json()["detail"]] == ["status"]
    done.refresh_from_db()
    assert done.cancel_requested is False


def test_preview_limit_out_of_range_is_422_on_limit():
    client = token_client(user_with_role("sales_manager"))
    batch_id = _upload(client).json()["id"]

    response = client.get(f"/api/imports/{batch_id}/preview", {"limit": 0})

    assert response.status_code == 422
    assert [d["field"] for d in response.json()["detail"]] == ["limit"]


def test_patch_after_the_run_is_422():
    client = token_client(user_with_role("sales_manager"))
    batch_id = _upload(client).json()["id"]
    _patch(client, f"/api/imports/{batch_id}", {"columns": {"Название": "name"}})
    client.post(f"/api/imports/{batch_id}/start")

    response = _patch(client, f"/api/imports/{batch_id}", {"mode": "create"})

    assert response.status_code == 422
    assert ImportBatch.objects.get().mode == "skip"


def test_unknown_record_type_is_422_on_type():
    client = token_client(user_with_role("administrator"))

    response = _upload(client, object_type="spaceship")

    assert response.status_code == 422
    assert [d["field"] for d in response.json()["detail"]] == ["type"]
    assert ImportBatch.objects.count() == 0
