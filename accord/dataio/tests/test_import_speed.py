"""The bulk contact write inside the engine's per-chunk transaction: no savepoint of its own
(SQLite would journal every page it changes twice over), and still all or nothing."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accord.core.models import AuditEntry, User
from accord.core.testing import user_with_role
from accord.dataio.handlers import get_handler
from accord.dataio.handlers.base import RowResult
from accord.dataio.models import ImportBatch, ImportRecord
from accord.parties.models import Contact, ContactPoint

pytestmark = pytest.mark.django_db


def batch_for(user: User) -> ImportBatch:
    return ImportBatch.objects.create(
        object_type="contact",
        created_by=user,
        source_file="imports/contacts.csv",
        file_name="contacts.csv",
        file_sha256="0" * 64,
        mode="create",
    )


def clean_rows(user: User) -> list[RowResult]:
    rows = [
        RowResult(
            number=2,
            raw={"last_name": "Иванов", "first_name": "Пётр", "email": "petr@example.org"},
        ),
        RowResult(
            number=3,
            raw={"last_name": "Dupont", "first_name": "Marie", "phone": "+33 1 23 45 67 89"},
        ),
    ]
    get_handler("contact").clean(rows, user)
    assert all(r.ok and r.match_id is None for r in rows)
    return rows


def test_bulk_create_in_an_open_transaction_adds_no_savepoint():
    user = user_with_role("head_of_sales")
    rows = clean_rows(user)
    batch = batch_for(user)
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        ids = get_handler("contact").create(rows, actor=user, batch=batch)
    assert len(ids) == 2
    assert not [q["sql"] for q in queries.captured_queries if "SAVEPOINT" in q["sql"].upper()]
    assert sorted(Contact.objects.filter(pk__in=ids).values_list("last_name", flat=True)) == [
        "Dupont",
        "Иванов",
    ]


def test_a_failure_in_the_bulk_write_leaves_nothing_written():
    user = user_with_role("head_of_sales")
    rows = clean_rows(user)
    batch = batch_for(user)
    contacts, points = Contact.objects.count(), ContactPoint.objects.count()
    entries, records = AuditEntry.objects.count(), ImportRecord.objects.count()
    with (
        mock.patch(
            "accord.dataio.handlers.parties.Tag.objects.bulk_create", side_effect=RuntimeError
        ),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        rows[0].values["tags"] = ["vip"]
        get_handler("contact").create(rows, actor=user, batch=batch)
    assert Contact.objects.count() == contacts
    assert ContactPoint.objects.count() == points
    assert AuditEntry.objects.count() == entries
    assert ImportRecord.objects.count() == records
