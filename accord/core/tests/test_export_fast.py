"""The fast export paths (issue 4) write exactly what the instance path and ``csv_cell`` write."""

from __future__ import annotations

import datetime
import io
import sys
from decimal import Decimal

import pytest
from django.http import QueryDict
from django.urls import get_resolver
from django.utils import timezone
from openpyxl import load_workbook

from accord.core import export, lists
from accord.core.models import CustomFieldDefinition
from accord.core.testing import user_with_role
from accord.parties.models import Contact
from accord.parties.tests.factories import make_company, make_contact

get_resolver().url_patterns  # noqa: B018 - every app's lists register as their views load

AWARE = datetime.datetime(2026, 3, 1, 23, 30, tzinfo=datetime.UTC)
VALUES = [
    "=1+1",
    "  =1+1",
    "\u3000=1",
    "\u00a0@x",
    " plain",
    "\u2003x",
    "a=b",
    "",
    "Челябэнергопроект",
    None,
    True,
    False,
    0,
    -5,
    1.5,
    Decimal("-1234.50"),
    datetime.date(2026, 1, 2),
    AWARE,
    datetime.datetime(2026, 3, 1, 23, 30),
    ["a", "=b"],
]


def test_every_whitespace_character_is_a_suspect_first_character():
    spaces = {chr(i) for i in range(sys.maxunicode + 1) if chr(i).isspace()}

    assert spaces <= export._SUSPECT_FIRST
    assert spaces | export._TRIGGERS == export._SUSPECT_FIRST


@pytest.mark.parametrize("lossless", [False, True])
def test_csv_rows_write_what_csv_cell_writes(lossless):
    with timezone.override("Europe/Moscow"):
        rows = list(export.csv_rows([VALUES, VALUES], lossless=lossless))
        expected = [export.csv_cell(v, lossless=lossless) for v in VALUES]

    assert rows == [expected, expected]
    assert rows[0][0] == ("=1+1" if lossless else "'=1+1")
    assert rows[0][17] == "2026-03-02 02:30"


def test_write_csv_counts_data_rows():
    assert export.write_csv([["h"]], io.StringIO()) == 0
    assert export.write_csv([["h"], ["a"], ["b"]], io.StringIO()) == 2
    assert export.write_csv([], io.StringIO()) == 0


def test_xlsx_reused_formatted_cells_keep_each_rows_value():
    rows = [
        ["Text", "When", "Day", "Amount"],
        ["=x", AWARE, datetime.date(2026, 1, 2), Decimal("1.50")],
        ["b", AWARE + datetime.timedelta(days=1), None, Decimal("2.25")],
        [None, None, datetime.date(2026, 1, 4), 7],
    ]
    buffer = io.BytesIO()
    with timezone.override("UTC"):
        assert export.write_xlsx(rows, buffer) == 3
    sheet = load_workbook(buffer).active
    cells = [[(c.value, c.number_format) for c in row] for row in sheet.iter_rows(min_row=2)]

    assert cells == [
        [
            ("'=x", "General"),
            (datetime.datetime(2026, 3, 1, 23, 30), "yyyy-mm-dd hh:mm"),
            (datetime.datetime(2026, 1, 2), "yyyy-mm-dd"),
            (1.5, "#,##0.00"),
        ],
        [
            ("b", "General"),
            (datetime.datetime(2026, 3, 2, 23, 30), "yyyy-mm-dd hh:mm"),
            (None, "General"),
            (2.25, "#,##0.00"),
        ],
        [
            (None, "General"),
            (None, "General"),
            (datetime.datetime(2026, 1, 4), "yyyy-mm-dd"),
            (7, "General"),
        ],
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["head_of_sales", "sales_manager"])
def test_fast_contact_export_equals_the_instance_export(monkeypatch, role):
    user = user_with_role(role)
    other = user_with_role("sales_manager")
    CustomFieldDefinition.objects.create(
        model="contact", name="score", label="Score", field_type="number"
    )
    CustomFieldDefinition.objects.create(
        model="contact", name="met", label="Met", field_type="date"
    )
    mine = make_company(owner=user, name="Mine")
    theirs = make_company(owner=other, name="Theirs")
    make_contact(
        owner=user,
        company=mine,
        last_name="=HYPERLINK(1)",
        phones=["+7 351 123-45-67", "+7 351 765-43-21"],
        emails=["a@b.ru", "c@d.ru"],
    )
    hidden = make_contact(owner=user, company=theirs, position="CEO", emails=["x@y.ru"])
    Contact.objects.filter(pk=hidden.pk).update(custom={"score": -5, "met": "2026-01-02"})
    nameless = make_contact(owner=user, first_name="Bob", last_name="Ray")
    Contact.objects.filter(pk=nameless.pk).update(full_name="")  # str() falls back to the parts
    make_contact(owner=other, company=theirs, phones=["+33 1 23 45 67 89"])
    definition = lists.LISTS["contacts"]
    assert lists._is_fast(definition)

    for query in ("", "sort=-updated", "sort=created", "q=person"):
        params = QueryDict(query)
        fast = list(lists.export_values(definition, user, params, chunk_size=2))
        with monkeypatch.context() as patch:
            patch.setattr(lists, "_is_fast", lambda d: False)
            slow = list(lists.export_values(definition, user, params, chunk_size=2))
        assert fast == slow
        assert list(export.csv_rows(fast)) == list(export.csv_rows(slow))
    assert len(fast) > 1


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["head_of_sales", "sales_manager"])
def test_fast_company_export_equals_the_instance_export(monkeypatch, role):
    from django.utils import translation

    from accord.core.models import PicklistOption
    from accord.parties.models import Address, Company

    user = user_with_role(role)
    other = user_with_role("sales_manager")
    industry = PicklistOption.objects.filter(picklist="industry").first()
    region = PicklistOption.objects.filter(picklist="region").first()
    full = make_company(
        owner=user,
        name="@Full",
        industry=industry,
        region=region,
        country="FR",
        inn="7707083893",
        phones=["+7 351 123-45-67"],
        emails=["a@b.ru", "c@d.ru"],
    )
    Address.objects.create(company=full, kind="site", street="1 rue", city="Lyon")
    Address.objects.create(company=full, kind="office", street="2 rue", city="")
    Address.objects.create(company=full, kind="office", street="3 rue", city="Paris")
    bare = make_company(owner=user, name="Bare")
    Company.objects.filter(pk=bare.pk).update(custom={"note": "=x"})
    make_company(owner=other, name="Theirs", country="DE")
    definition = lists.LISTS["companies"]
    assert lists._is_fast(definition)

    for language in ("en", "ru"):
        with translation.override(language):
            for query in ("", "sort=-updated", "sort=created"):
                params = QueryDict(query)
                fast = list(lists.export_values(definition, user, params, chunk_size=2))
                with monkeypatch.context() as patch:
                    patch.setattr(lists, "_is_fast", lambda d: False)
                    slow = list(lists.export_values(definition, user, params, chunk_size=2))
                assert fast == slow
    cities = [row[4] for row in fast[1:]]
    assert "Paris, FR" in cities


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["head_of_sales", "sales_manager"])
def test_fast_activity_export_equals_the_instance_export(monkeypatch, role):
    from django.utils import translation

    from accord.activities.tests.factories import make_activity

    user = user_with_role(role)
    other = user_with_role("sales_manager")
    mine = make_company(owner=user, name="Mine")
    theirs = make_company(owner=other, name="Theirs")
    make_activity(owner=user, kind="task", subject="=call back", company=mine)
    make_activity(owner=user, kind="meeting", subject="Lunch", company=theirs)
    make_activity(owner=user, kind="note", subject="Plain")
    make_activity(owner=other, kind="call", subject="Theirs", company=theirs)
    definition = lists.LISTS["activities"]
    assert lists._is_fast(definition)

    for language in ("en", "fr"):
        with translation.override(language):
            for query in ("", "sort=-updated", "sort=subject"):
                params = QueryDict(query)
                fast = list(lists.export_values(definition, user, params, chunk_size=2))
                with monkeypatch.context() as patch:
                    patch.setattr(lists, "_is_fast", lambda d: False)
                    slow = list(lists.export_values(definition, user, params, chunk_size=2))
                assert fast == slow
    assert len(fast) > 2
