"""Export of lists (D2): formula-injection safety, typed cells, lossless mode, scope, filters."""

from __future__ import annotations

import csv
import datetime
import io
import zipfile
from decimal import Decimal

import pytest
from django.urls import get_resolver, reverse
from openpyxl import load_workbook

from accord.core import lists
from accord.core.export import csv_cell, is_formula_like, write_xlsx
from accord.core.models import CustomFieldDefinition
from accord.core.testing import user_with_role
from accord.dataio.jobs import run_job
from accord.dataio.models import Job
from accord.parties.models import Contact
from accord.parties.tests.factories import make_company, make_contact

pytestmark = pytest.mark.django_db

get_resolver().url_patterns  # noqa: B018 - every app's lists register as their views load

DANGEROUS = [
    "=1+1",
    '=HYPERLINK("http://evil","x")',
    "+7 351 123",
    "-1",
    "@SUM(A1)",
    "\tx",
    "\rx",
    "\nx",
    "\uff1d1+1",  # ＝
    "\uff0b1",  # ＋
    "\uff0d1",  # －
    "\uff20cmd",  # ＠
    "  =1+1",
    " \t+1",
    "\u3000=1",  # ideographic space, then "="
    "\u00a0@x",  # no-break space, then "@"
]
HARMLESS = ["a=b", "Челябэнергопроект", " plain", "Élodie Müller", "", "1-2"]


def _csv(response):
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def _xlsx(content: bytes):
    return load_workbook(io.BytesIO(content)).active


def _download(response) -> bytes:
    return b"".join(response.streaming_content)


# --- cells ----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", DANGEROUS)
def test_csv_text_that_a_spreadsheet_would_run_gets_an_apostrophe(text):
    assert is_formula_like(text)
    assert csv_cell(text) == "'" + text
    assert csv_cell(text, lossless=True) == text


@pytest.mark.parametrize("text", HARMLESS)
def test_csv_harmless_text_is_unchanged(text):
    assert csv_cell(text) == text


def test_csv_numbers_and_dates_are_not_text_and_stay_as_they_are():
    assert csv_cell(-5) == "-5"
    assert csv_cell(Decimal("-5.50")) == "-5.50"
    assert csv_cell(-0.25) == "-0.25"
    assert csv_cell(True) == "1"
    assert csv_cell(None) == ""
    assert csv_cell(datetime.date(2025, 2, 28)) == "2025-02-28"


def test_xlsx_dangerous_text_is_an_escaped_string_never_a_formula():
    buffer = io.BytesIO()
    write_xlsx([["text"], *[[text] for text in DANGEROUS]], buffer)

    sheet = _xlsx(buffer.getvalue())
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    xml = zipfile.ZipFile(io.BytesIO(buffer.getvalue())).read("xl/worksheets/sheet1.xml")

    assert [c.data_type for c in cells] == ["s"] * len(DANGEROUS)
    # openpyxl reads back "\r" as "\n"-free text differently; compare the escaped prefix.
    assert [str(c.value)[0] for c in cells] == ["'"] * len(DANGEROUS)
    assert cells[0].value == "'=1+1"
    assert cells[8].value == "'\uff1d1+1"
    assert b"<f>" not in xml and b"inlineStr" in xml


def test_xlsx_lossless_text_is_exact_and_still_a_string():
    buffer = io.BytesIO()
    write_xlsx([["text"], ["=1+1"], ["@x"], ["#N/A"], ["plain"]], buffer, lossless=True)

    cells = [row[0] for row in _xlsx(buffer.getvalue()).iter_rows(min_row=2)]

    assert [(c.value, c.data_type) for c in cells] == [
        ("=1+1", "s"),
        ("@x", "s"),
        ("#N/A", "s"),
        ("plain", "s"),
    ]


def test_xlsx_numbers_dates_and_booleans_keep_their_types():
    buffer = io.BytesIO()
    moment = datetime.datetime(2025, 3, 4, 5, 6, tzinfo=datetime.UTC)
    write_xlsx(
        [
            ["int", "decimal", "date", "when", "flag", "text"],
            [-5, Decimal("-1234.50"), datetime.date(2025, 2, 28), moment, True, "-5"],
        ],
        buffer,
    )

    row = next(_xlsx(buffer.getvalue()).iter_rows(min_row=2))

    assert [c.data_type for c in row] == ["n", "n", "d", "d", "b", "s"]
    assert row[0].value == -5
    assert row[1].value == -1234.5
    assert row[2].value == datetime.datetime(2025, 2, 28)
    assert row[3].value == datetime.datetime(2025, 3, 4, 8, 6)  # Moscow time, naive
    assert row[5].value == "'-5"  # text that looks like a number is user text


def test_xlsx_round_trips_cyrillic_and_accents():
    buffer = io.BytesIO()
    names = ["Пётр Иванов", "Élodie Müller", "ООО «Ёлка»", "Straße"]
    write_xlsx([["name"], *[[n] for n in names]], buffer)

    values = [r[0].value for r in _xlsx(buffer.getvalue()).iter_rows(min_row=2)]

    assert values == names


# --- the export of a list -------------------------------------------------------------------


def test_contact_export_escapes_names_and_keeps_negative_custom_numbers_numeric(client):
    boss = user_with_role("head_of_sales")
    CustomFieldDefinition.objects.create(
        model="contact", name="score", label="Score", field_type="number"
    )
    contact = make_contact(owner=boss, last_name="=HYPERLINK(1)", first_name="Анна")
    Contact.objects.filter(pk=contact.pk).update(custom={"score": -5})
    client.force_login(boss)
    url = reverse("parties:contact_export")

    rows = _csv(client.post(url, {"format": "csv"}))
    xlsx = client.post(url, {"format": "xlsx"})
    sheet = _xlsx(_download(xlsx))
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    row = next(sheet.iter_rows(min_row=2))

    assert rows[0][-1] == "Score"
    assert rows[1][0] == "'=HYPERLINK(1) Анна"
    assert rows[1][-1] == "-5"
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert xlsx["Content-Disposition"].endswith('.xlsx"')
    assert header[-1] == "Score"
    assert (row[0].value, row[0].data_type) == ("'=HYPERLINK(1) Анна", "s")
    assert (row[-1].value, row[-1].data_type) == (-5, "n")
    assert row[header.index("Created")].data_type == "d"


def test_deal_amount_is_a_number_with_its_currency_in_its_own_column(client):
    from accord.commerce.tests.test_quotes_helpers import make_deal

    boss = user_with_role("head_of_sales")
    make_deal(owner=boss, amount=Decimal("1234.50"), currency="EUR")
    client.force_login(boss)

    sheet = _xlsx(_download(client.post(reverse("sales:deal_export"), {"format": "xlsx"})))
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    row = next(sheet.iter_rows(min_row=2))
    amount = header.index("Amount")
    rows = _csv(client.post(reverse("sales:deal_export"), {"format": "csv"}))

    assert header[amount + 1] == "Amount: currency"
    assert (row[amount].value, row[amount].data_type) == (1234.5, "n")
    assert row[amount].number_format == "#,##0.00"
    assert row[amount + 1].value == "EUR"
    assert rows[1][amount : amount + 2] == ["1234.50", "EUR"]


def test_manager_exports_only_own_records_with_the_list_filters(client):
    manager = user_with_role("sales_manager")
    other = user_with_role("sales_manager")
    make_company(owner=manager, name="Mine Alpha")
    make_company(owner=manager, name="Mine Beta")
    make_company(owner=other, name="Theirs")
    client.force_login(manager)
    url = reverse("parties:company_export")

    everything = _csv(client.get(url))
    filtered = _csv(client.get(url + "?q=beta&sort=-name"))
    sorted_down = _csv(client.get(url + "?sort=-name"))

    assert [r[0] for r in everything[1:]] == ["Mine Alpha", "Mine Beta"]
    assert [r[0] for r in filtered[1:]] == ["Mine Beta"]
    assert [r[0] for r in sorted_down[1:]] == ["Mine Beta", "Mine Alpha"]


def test_no_export_permission_is_403_and_starts_no_job(client, settings):
    settings.ACCORD_EXPORT_INLINE_MAX = 0
    agent = user_with_role("service_agent")
    make_company(owner=agent, name="Anything")
    client.force_login(agent)
    url = reverse("parties:company_export")

    assert client.post(url, {"format": "csv"}).status_code == 403
    assert client.post(url, {"format": "xlsx", "lossless": "1"}).status_code == 403
    assert Job.objects.count() == 0


def test_lossless_is_refused_to_non_administrators(client):
    boss = user_with_role("head_of_sales")
    make_company(owner=boss, name="=1+1")
    client.force_login(boss)

    response = client.post(reverse("parties:company_export"), {"format": "csv", "lossless": "1"})

    assert response.status_code == 403
    assert Job.objects.count() == 0


def test_lossless_export_by_an_administrator_is_exact_recorded_and_named(
    client, django_capture_on_commit_callbacks
):
    admin = user_with_role("administrator")
    make_company(owner=admin, name="=1+1")
    make_company(owner=admin, name="@risky")
    client.force_login(admin)

    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(
            reverse("parties:company_export"), {"format": "xlsx", "lossless": "1"}
        )
    run_job(Job.objects.get().pk)
    job = Job.objects.get()
    sheet = _xlsx(job.result_file.read())

    assert response.status_code == 302
    assert response["Location"] == reverse("dataio:job_detail", args=[job.pk])
    assert job.status == Job.Status.DONE
    assert job.params["lossless"] is True
    assert "lossless export" in job.params["note"] and admin.username in job.params["note"]
    assert job.log == [job.params["note"]]
    assert job.result_name.endswith("-lossless.xlsx")
    assert [(r[0].value, r[0].data_type) for r in sheet.iter_rows(min_row=2)] == [
        ("=1+1", "s"),
        ("@risky", "s"),
    ]


def test_unknown_format_is_a_bad_request(client):
    boss = user_with_role("head_of_sales")
    client.force_login(boss)

    assert client.post(reverse("parties:company_export"), {"format": "pdf"}).status_code == 400


def test_every_list_of_the_product_has_an_export():
    assert {k for k, d in lists.LISTS.items() if d.export_url_name} >= {
        "companies",
        "contacts",
        "activities",
        "leads",
        "deals",
        "quotes",
        "orders",
        "invoices",
        "projects",
        "products",
    }
    assert all(d.export_url_name for d in lists.LISTS.values())


@pytest.mark.parametrize("key", sorted(lists.LISTS))
def test_every_list_exports_as_csv_and_xlsx(client, key):
    definition = lists.LISTS[key]
    boss = user_with_role("administrator")
    client.force_login(boss)
    url = reverse(definition.export_url_name)

    rows = _csv(client.post(url, {"format": "csv"}))
    sheet = _xlsx(_download(client.post(url, {"format": "xlsx"})))

    assert rows == [lists.export_header(definition)]
    assert [c.value for c in next(sheet.iter_rows(max_row=1))] == rows[0]


def test_list_page_offers_both_formats_and_lossless_only_to_administrators(client):
    boss = user_with_role("head_of_sales")
    admin = user_with_role("administrator")
    url = reverse("parties:company_list")

    client.force_login(boss)
    boss_page = client.get(url + "?q=x").content.decode()
    client.force_login(admin)
    admin_page = client.get(url).content.decode()

    assert 'action="/companies/export/?q=x"' in boss_page
    assert 'value="xlsx"' in boss_page and 'value="csv"' in boss_page
    assert 'name="lossless"' not in boss_page
    assert 'name="lossless"' in admin_page


@pytest.mark.parametrize("sort", ["name", "-name"])
def test_export_walks_keyset_chunks_without_losing_or_repeating_rows(sort):
    from django.http import QueryDict

    boss = user_with_role("head_of_sales")
    for name in ["Beta", "Alpha", "Beta", "Gamma", "Beta", "Alpha", "Delta"]:
        make_company(owner=boss, name=name)
    params = QueryDict(f"sort={sort}")

    chunked = list(lists.export_values(lists.LISTS["companies"], boss, params, chunk_size=2))
    whole = list(lists.export_values(lists.LISTS["companies"], boss, params, chunk_size=100))

    names = [row[0] for row in chunked[1:]]
    assert chunked == whole
    expected = ["Alpha", "Alpha", "Beta", "Beta", "Beta", "Delta", "Gamma"]
    assert names == (expected if sort == "name" else expected[::-1])


def test_xlsx_stopped_half_way_leaves_no_temporary_file():
    from openpyxl.worksheet import _writer

    before = list(_writer.ALL_TEMP_FILES)

    def rows():
        yield ["name"]
        yield ["one"]
        raise RuntimeError("cancelled")

    with pytest.raises(RuntimeError):
        write_xlsx(rows(), io.BytesIO())

    assert before == _writer.ALL_TEMP_FILES
