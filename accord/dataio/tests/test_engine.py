"""The import engine end to end: prepare, configure, preview, run, undo, recover."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from accord.core.models import AuditEntry, PicklistOption
from accord.core.testing import assert_num_queries, user_with_role
from accord.dataio import services
from accord.dataio.handlers import get_handler
from accord.dataio.jobs import run_job
from accord.dataio.handlers.base import RowResult, parse_date, parse_decimal
from accord.dataio.models import ImportBatch, ImportRecord, Job
from accord.parties.models import Company, Contact, ContactPoint
from accord.parties.tests.factories import make_company, make_contact

pytestmark = pytest.mark.django_db

CONTACTS = (
    "Фамилия;Имя;E-mail;Телефон;Компания\n"
    "Иванов;Пётр;ivanov@example.com;+7 351 123-45-67;\n"
    "Смирнова;Ольга;olga@example.com;8 (351) 765-43-21;\n"
)


def upload(text: str, name: str = "contacts.csv", encoding: str = "utf-8") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def prepared(user: Any, text: str, *, object_type: str = "contact", **kwargs: Any) -> ImportBatch:
    return services.import_prepare(actor=user, object_type=object_type, uploaded_file=upload(text), **kwargs)


def configured(
    user: Any, text: str, columns: dict[str, str], *, mode: str = "skip", all_or_nothing: bool = False,
    object_type: str = "contact",
) -> ImportBatch:
    batch = prepared(user, text, object_type=object_type)
    return services.import_configure(
        actor=user, batch=batch, columns=columns, mode=mode, all_or_nothing=all_or_nothing
    )


COLUMNS = {"Фамилия": "last_name", "Имя": "first_name", "E-mail": "email", "Телефон": "phone", "Компания": "company"}


def run(user: Any, batch: ImportBatch) -> ImportBatch:
    job = services.import_start(actor=user, batch=batch)
    run_job(job.pk)  # the job layer queues it after commit; tests run it here
    batch.refresh_from_db()
    return batch


def test_contacts_import_creates_records_with_points_and_audit() -> None:
    user = user_with_role("marketing")
    batch = run(user, configured(user, CONTACTS, COLUMNS))
    assert batch.status == ImportBatch.Status.DONE
    assert (batch.rows_total, batch.rows_created, batch.rows_rejected) == (2, 2, 0)
    ivanov = Contact.objects.get(last_name="Иванов")
    assert ivanov.owner == user
    assert ivanov.full_name == "Иванов Пётр"
    assert "ivanov" in ivanov.search_text
    assert sorted(ivanov.contact_points.values_list("kind", "normalized")) == [
        ("email", "ivanov@example.com"),
        ("phone", "+73511234567"),
    ]
    entry = AuditEntry.objects.get(object_type="contact", object_id=ivanov.pk)
    assert entry.action == "create"
    assert entry.message == f"import #{batch.pk}: contacts.csv"
    assert ImportRecord.objects.filter(batch=batch, action="created").count() == 2
    assert batch.job.status == Job.Status.DONE
