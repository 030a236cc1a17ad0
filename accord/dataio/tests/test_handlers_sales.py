"""Import of leads and deals through their handlers: values as the services store them, an
error named per bad column, matching, update and undo, and refusals that write nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accord.core.models import CustomFieldDefinition, Picklist, PicklistOption, User
from accord.core.testing import user_with_role
from accord.dataio import services
from accord.dataio.handlers import get_handler
from accord.dataio.handlers.base import RowResult
from accord.dataio.jobs import run_job
from accord.dataio.mapping import suggest
from accord.dataio.models import ImportBatch, ImportRecord
from accord.parties.tests.factories import make_company
from accord.sales.models import AssignmentRule, Deal, Lead, Stage
from accord.sales.services_leads import lead_create, lead_update

pytestmark = pytest.mark.django_db


def client_name(index: int) -> str:
    """Names that stay apart under the spelling-insensitive key ("Client 11" == "Client 1")."""
    return "Client " + "bdfgm"[index // 8] + "lnprszbd"[index % 8]


def rows_of(*raws: dict[str, str]) -> list[RowResult]:
    return [RowResult(number=index + 2, raw=dict(raw)) for index, raw in enumerate(raws)]


def batch_for(user: User, object_type: str, mode: str = "create") -> ImportBatch:
    return ImportBatch.objects.create(
        object_type=object_type,
        created_by=user,
        source_file="imports/test.csv",
        file_name="test.csv",
        file_sha256="0" * 64,
        mode=mode,
    )


def run(object_type: str, user: User, *raws: dict[str, str]) -> tuple[list[RowResult], list[int]]:
    """Clean the rows, then create the valid unmatched ones (what the engine does in create
    mode)."""
    handler = get_handler(object_type)
    rows = rows_of(*raws)
    handler.clean(rows, user)
    fresh = [r for r in rows if r.ok and r.match_id is None and r.match_row is None]
    ids = handler.create(fresh, actor=user, batch=batch_for(user, object_type))
    return rows, ids


def option(picklist: str, code: str) -> PicklistOption:
    return PicklistOption.objects.get(picklist=picklist, code=code)


# --- leads -----------------------------------------------------------------------------------


def test_lead_file_creates_normalised_leads():
    manager = user_with_role("sales_manager")

    rows, ids = run(
        "lead",
        manager,
        {
            "full_name": "  Иван   Петров ",
            "company_name": "ООО Ромашка",
            "email": "IVAN@Romashka.RU",
            "phone": "8 (351) 123-45-67",
            "estimated_amount": "1 250,50",
            "currency": "eur",
            "source": "Выставка",
            "region": "ural",
            "status": "Qualified",
            "country": "ru",
        },
    )

    assert [r.errors for r in rows] == [{}]
    lead = Lead.objects.get(pk=ids[0])
    assert lead.full_name == "Иван Петров"
    assert lead.company_name == "ООО Ромашка"
    assert lead.email == "ivan@romashka.ru"
    assert lead.phone == "+73511234567"
    assert lead.estimated_amount == Decimal("1250.50")
    assert lead.currency == "EUR"
    assert lead.source == option(Picklist.SOURCE, "exhibition")
    assert lead.region == option(Picklist.REGION, "ural")
    assert lead.status == Lead.Status.QUALIFIED
    assert lead.country == "RU"
    assert lead.channel == Lead.Channel.IMPORT
    assert lead.owner == manager
    record = ImportRecord.objects.get()
    assert (record.object_type, record.object_id, record.action, record.row_number) == (
        "lead",
        lead.pk,
        "created",
        2,
    )


def test_imported_lead_without_owner_goes_through_assignment_rules():
    manager = user_with_role("sales_manager")
    colleague = user_with_role("sales_manager")
    AssignmentRule.objects.create(
        name="Website leads",
        method=AssignmentRule.Method.USER,
        user=colleague,
        source=option(Picklist.SOURCE, "website"),
    )
    head = user_with_role("head_of_sales")

    _rows, ids = run(
        "lead",
        head,
        {"full_name": "Anna Smith", "source": "Website"},
        {"full_name": "Bob Brown", "source": "Website", "owner": manager.username},
    )

    leads = Lead.objects.in_bulk(ids)
    assert [leads[i].owner for i in ids] == [colleague, manager]


def test_lead_bad_values_are_named_per_column():
    manager = user_with_role("sales_manager")

    rows, ids = run(
        "lead",
        manager,
        {
            "full_name": "Anna",
            "email": "not-an-email",
            "source": "Carrier pigeon",
            "currency": "XYZ",
            "estimated_amount": "lots",
            "status": "Converted",
            "owner": "nobody-here",
        },
        {"position": "CEO"},
        {"full_name": "Bob", "status": "Not qualified"},
    )

    assert ids == []
    assert Lead.objects.count() == 0
    first = rows[0].errors
    assert sorted(first) == [
        "currency",
        "email",
        "estimated_amount",
        "owner",
        "source",
        "status",
    ]
    assert first["source"] == ["“Carrier pigeon” is not one of the listed options."]
    assert first["currency"][0].startswith("Unknown currency “XYZ”")
    assert first["status"] == ["“Converted” is not a lead status an import can set."]
    assert first["owner"] == ["User “nobody-here” not found."]
    assert rows[1].errors == {"full_name": ["Enter the person's name or the organisation's name."]}
    assert rows[2].errors == {"unqualified_reason": ["Say why the lead is not qualified."]}


def test_lead_rows_match_existing_leads_and_earlier_rows():
    manager = user_with_role("sales_manager")
    by_email = lead_create(actor=manager, fields={"full_name": "A", "email": "a@x.ru"})
    by_phone = lead_create(actor=manager, fields={"full_name": "B", "phone": "+7 351 111-22-33"})
    by_name = lead_create(actor=manager, fields={"full_name": "Carl", "company_name": "Gamma"})
    handler = get_handler("lead")
    rows = rows_of(
        {"full_name": "Other", "email": "A@X.RU"},
        {"full_name": "Other", "phone": "83511112233"},
        {"full_name": "carl", "company_name": "GAMMA LLC"},
        {"full_name": "New", "email": "new@x.ru"},
        {"full_name": "New again", "email": "NEW@x.ru"},
    )

    handler.clean(rows, manager)

    assert [(r.match_id, r.match_row, r.match_reason) for r in rows] == [
        (by_email.pk, None, "same e-mail"),
        (by_phone.pk, None, "same phone"),
        (by_name.pk, None, "same name and organisation"),
        (None, None, ""),
        (None, 5, "same as row 5"),
    ]


def test_lead_update_changes_given_columns_and_undo_restores_them():
    manager = user_with_role("sales_manager")
    lead = lead_create(
        actor=manager, fields={"full_name": "Anna", "email": "anna@x.ru", "city": "Perm"}
    )
    handler = get_handler("lead")
    rows = rows_of({"email": "anna@x.ru", "city": "Ufa", "source": "Tender", "position": ""})
    handler.clean(rows, manager)
    batch = batch_for(manager, "lead", "update")

    handler.update(rows, actor=manager, batch=batch)

    lead.refresh_from_db()
    assert (lead.city, lead.source, lead.full_name, lead.position) == (
        "Ufa",
        option(Picklist.SOURCE, "tender"),
        "Anna",
        "",
    )
    record = ImportRecord.objects.get(batch=batch)
    assert (record.action, record.before) == (
        "updated",
        {"city": "Perm", "source": None, "version": 2, "previous_version": 1},
    )

    handler.undo(list(batch.records.all()), actor=manager)

    lead.refresh_from_db()
    assert (lead.city, lead.source) == ("Perm", None)


def test_lead_import_without_add_permission_is_refused_and_writes_nothing():
    reader = user_with_role("read_only")
    handler = get_handler("lead")
    rows = rows_of({"full_name": "Anna"})
    handler.clean(rows, reader)

    with pytest.raises(PermissionDenied):
        handler.create(rows, actor=reader, batch=batch_for(reader, "lead"))

    assert Lead.objects.count() == 0
    assert ImportRecord.objects.count() == 0


def test_lead_undo_deletes_created_leads_but_keeps_one_changed_since():
    manager = user_with_role("sales_manager")
    _rows, ids = run("lead", manager, {"full_name": "Anna"}, {"full_name": "Bob"})
    batch = ImportBatch.objects.get()
    bob = Lead.objects.get(pk=ids[1])
    lead_update(actor=manager, lead=bob, fields={"city": "Omsk"})

    skipped = get_handler("lead").undo(list(batch.records.all()), actor=manager)

    assert skipped == [bob.pk]
    assert list(Lead.objects.values_list("full_name", "city")) == [("Bob", "Omsk")]


# --- deals -----------------------------------------------------------------------------------


def _deal_row(**overrides: str) -> dict[str, str]:
    return {"name": "Substation design", "company": "Alpha", **overrides}


def test_deal_file_creates_deals_with_resolved_values():
    manager = user_with_role("sales_manager", email="olga@example.com")
    alpha = make_company(owner=manager, name="ООО «Альфа»")
    beta = make_company(owner=manager, name="Beta", inn="7707083893")

    rows, ids = run(
        "deal",
        manager,
        {
            "name": "Substation design",
            "company": "альфа",
            "amount": "150 000,50",
            "currency": "EUR",
            "stage": "Переговоры",
            "expected_close": "31.12.2025",
            "owner": "olga@example.com",
            "source": "Tender",
            "campaign": "Spring",
        },
        {"name": "Audit", "company": "7707083893", "stage": "Gagnée", "won_reason": "Best price"},
        {"name": "Lost tender", "company": str(alpha.pk), "stage": "Lost", "lost_reason": "budget"},
    )

    assert [r.errors for r in rows] == [{}, {}, {}]
    deals = Deal.objects.in_bulk(ids)
    first, second, third = (deals[i] for i in ids)
    assert (first.company, first.amount, first.currency) == (alpha, Decimal("150000.50"), "EUR")
    assert first.stage.name == "Negotiation"
    assert first.pipeline.is_default
    assert first.expected_close == datetime.date(2025, 12, 31)
    assert (first.owner, first.source, first.campaign) == (
        manager,
        option(Picklist.SOURCE, "tender"),
        "Spring",
    )
    assert (second.company, second.stage.kind, second.is_won) == (beta, Stage.Kind.WON, True)
    assert second.won_reason == option(Picklist.WON_REASON, "price")
    assert (third.stage.kind, third.is_closed, third.is_won) == (Stage.Kind.LOST, True, False)
    assert third.lost_reason == option(Picklist.LOST_REASON, "budget")
    assert ImportRecord.objects.filter(action="created").count() == 3


def test_deal_bad_values_are_named_per_column():
    manager = user_with_role("sales_manager")
    make_company(owner=manager, name="Alpha")
    stranger = user_with_role("sales_manager")
    make_company(owner=stranger, name="Hidden Ltd")

    rows, ids = run(
        "deal",
        manager,
        _deal_row(stage="Dreaming", expected_close="31.02.2025", currency="XYZ"),
        _deal_row(company="Hidden Ltd", source="Carrier pigeon", amount="-5"),
        _deal_row(company="Nobody Inc", pipeline="Nope"),
        _deal_row(stage="Won"),
        _deal_row(name=""),
    )

    assert ids == []
    assert Deal.objects.count() == 0
    assert rows[0].errors == {
        "stage": ["Stage “Dreaming” not found in the pipeline “Design contracts”."],
        "expected_close": ["“31.02.2025” is not a real date (there is no such day in that month)."],
        "currency": ["Unknown currency “XYZ”; use one of RUB, EUR, USD, CNY, KZT, BYN, GBP, CHF."],
    }
    assert rows[1].errors == {
        "company": ["Company “Hidden Ltd” not found."],
        "amount": ["The amount cannot be negative."],
        "source": ["“Carrier pigeon” is not one of the listed options."],
    }
    assert rows[2].errors == {
        "company": ["Company “Nobody Inc” not found."],
        "pipeline": ["Pipeline “Nope” not found."],
    }
    assert rows[3].errors == {"won_reason": ["Say why the deal was won."]}
    assert rows[4].errors == {"name": ["Enter the deal's name."]}


def test_deal_rows_match_by_client_and_name_then_update_and_undo():
    manager = user_with_role("sales_manager")
    alpha = make_company(owner=manager, name="Alpha")
    _rows, ids = run("deal", manager, _deal_row(amount="100"))
    deal = Deal.objects.get(pk=ids[0])
    handler = get_handler("deal")
    rows = rows_of(
        _deal_row(name="SUBSTATION DESIGN", amount="2 500,00", stage="Contract"),
        _deal_row(name="Substation design", amount="1"),
    )

    handler.clean(rows, manager)
    assert [(r.match_id, r.match_reason) for r in rows] == [
        (deal.pk, "same client and deal name"),
        (deal.pk, "same client and deal name"),
    ]
    batch = batch_for(manager, "deal", "update")
    handler.update(rows[:1], actor=manager, batch=batch)

    deal.refresh_from_db()
    assert (deal.amount, deal.stage.name, deal.company) == (Decimal("2500.00"), "Contract", alpha)
    record = ImportRecord.objects.get(batch=batch)
    assert record.before["amount"] == "100.00"
    assert record.before["stage"] != deal.stage_id

    handler.undo(list(batch.records.all()), actor=manager)

    deal.refresh_from_db()
    assert (deal.amount, deal.stage.name) == (Decimal("100.00"), "Enquiry")


def test_deal_import_without_add_permission_is_refused_and_writes_nothing():
    reader = user_with_role("read_only")
    make_company(owner=reader, name="Alpha")
    handler = get_handler("deal")
    rows = rows_of(_deal_row())
    handler.clean(rows, reader)

    with pytest.raises(PermissionDenied):
        handler.create(rows, actor=reader, batch=batch_for(reader, "deal"))

    assert Deal.objects.count() == 0


def test_deal_undo_deletes_created_deals():
    manager = user_with_role("sales_manager")
    make_company(owner=manager, name="Alpha")
    _rows, ids = run("deal", manager, _deal_row(), _deal_row(name="Second"))

    get_handler("deal").undo(list(ImportRecord.objects.all()), actor=manager)

    assert Deal.objects.filter(pk__in=ids).count() == 0


# --- through the import engine ---------------------------------------------------------------


def upload(text: str, name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def engine_import(
    user: User,
    text: str,
    columns: dict[str, str],
    *,
    object_type: str,
    mode: str = "skip",
    all_or_nothing: bool = False,
    name: str = "file.csv",
) -> ImportBatch:
    batch = services.import_prepare(
        actor=user, object_type=object_type, uploaded_file=upload(text, name)
    )
    batch = services.import_configure(
        actor=user, batch=batch, columns=columns, mode=mode, all_or_nothing=all_or_nothing
    )
    job = services.import_start(actor=user, batch=batch)
    run_job(job.pk)
    batch.refresh_from_db()
    return batch


LEADS = (
    "ФИО;Организация;E-mail;Телефон;Источник;Город\n"
    "Пётр Иванов;ООО Ромашка;ivanov@example.com;8 (351) 123-45-67;Сайт;Пермь\n"
    "Ольга Смирнова;;olga@example.com;;Выставка;Уфа\n"
)
LEAD_COLUMNS = {
    "ФИО": "full_name",
    "Организация": "company_name",
    "E-mail": "email",
    "Телефон": "phone",
    "Источник": "source",
    "Город": "city",
}


def test_lead_file_through_the_engine_create_skip_update_and_undo_both():
    user = user_with_role("marketing")

    first = engine_import(user, LEADS, LEAD_COLUMNS, object_type="lead", mode="create")
    again = engine_import(user, LEADS, LEAD_COLUMNS, object_type="lead", mode="skip")
    changed = LEADS.replace("Уфа", "Казань")
    update = engine_import(user, changed, LEAD_COLUMNS, object_type="lead", mode="update")

    assert (first.status, first.rows_created, first.rows_rejected) == ("done", 2, 0)
    assert (again.rows_created, again.rows_skipped) == (0, 2)
    assert (update.rows_updated, update.rows_rejected) == (2, 0)
    assert sorted(Lead.objects.values_list("full_name", "city", "phone")) == [
        ("Ольга Смирнова", "Казань", ""),
        ("Пётр Иванов", "Пермь", "+73511234567"),
    ]
    assert ImportRecord.objects.filter(batch=update).count() == 1

    services.import_undo(actor=user, batch=update)

    assert sorted(Lead.objects.values_list("full_name", "city")) == [
        ("Ольга Смирнова", "Уфа"),
        ("Пётр Иванов", "Пермь"),
    ]

    services.import_undo(actor=user, batch=first)

    assert Lead.objects.count() == 0


def test_lead_owner_needs_the_reassign_right():
    user = user_with_role("marketing")
    colleague = user_with_role("sales_manager")

    batch = engine_import(
        user,
        f"Name,Owner\nAnna,{colleague.username}\nBob,\n",
        {"Name": "full_name", "Owner": "owner"},
        object_type="lead",
        mode="create",
    )

    assert (batch.rows_created, batch.rows_rejected) == (1, 1)
    assert list(Lead.objects.values_list("full_name", "owner")) == [("Bob", user.pk)]


def test_lead_import_refused_without_permission_writes_nothing():
    reader = user_with_role("read_only")

    with pytest.raises(PermissionDenied):
        services.import_prepare(
            actor=reader, object_type="lead", uploaded_file=upload(LEADS, "leads.csv")
        )

    assert (ImportBatch.objects.count(), Lead.objects.count()) == (0, 0)


DEALS = (
    "Сделка;Клиент;Сумма;Валюта;Этап;Дата закрытия;Причина выигрыша\n"
    "Проект подстанции;Альфа;1 500 000,50;RUB;Переговоры;31.12.2025;\n"
    "Аудит;Альфа;20000;EUR;Выиграна;01.02.2025;Лучшая цена\n"
    "Ремонт;Альфа;100;RUB;Мечты;31.02.2025;\n"
)
DEAL_COLUMNS = {
    "Сделка": "name",
    "Клиент": "company",
    "Сумма": "amount",
    "Валюта": "currency",
    "Этап": "stage",
    "Дата закрытия": "expected_close",
    "Причина выигрыша": "won_reason",
}


def test_deal_file_all_or_nothing_writes_nothing_when_a_row_is_bad():
    head = user_with_role("head_of_sales")
    make_company(owner=head, name="Альфа")

    batch = engine_import(
        head, DEALS, DEAL_COLUMNS, object_type="deal", mode="create", all_or_nothing=True
    )

    assert (batch.status, batch.rows_created, batch.rows_rejected) == ("failed", 0, 1)
    assert Deal.objects.count() == 0


def test_deal_file_valid_rows_are_imported_and_the_bad_one_rejected():
    head = user_with_role("head_of_sales")
    alpha = make_company(owner=head, name="Альфа")

    batch = engine_import(head, DEALS, DEAL_COLUMNS, object_type="deal", mode="create")

    assert (batch.status, batch.rows_created, batch.rows_rejected) == ("done", 2, 1)
    assert sorted(Deal.objects.values_list("name", "company", "amount", "currency", "is_won")) == [
        ("Аудит", alpha.pk, Decimal("20000.00"), "EUR", True),
        ("Проект подстанции", alpha.pk, Decimal("1500000.50"), "RUB", False),
    ]
    assert batch.rejected_file.name


def clean_queries(object_type: str, user: User, raws: list[dict[str, str]]) -> int:
    rows = rows_of(*raws)
    with CaptureQueriesContext(connection) as context:
        get_handler(object_type).clean(rows, user)
    assert all(r.ok for r in rows), [r.errors for r in rows]
    return len(context.captured_queries)


def test_cleaning_a_chunk_costs_the_same_queries_for_2_or_40_rows():
    head = user_with_role("head_of_sales", email="head@example.com")
    for index in range(40):
        make_company(owner=head, name=client_name(index))

    def leads(count: int) -> list[dict[str, str]]:
        return [
            {
                "full_name": f"Person {i}",
                "email": f"p{i}@x.ru",
                "phone": f"+7 351 000-00-{i:02d}",
                "source": "Tender",
                "region": "Ural",
                "owner": "head@example.com",
            }
            for i in range(count)
        ]

    def deals(count: int) -> list[dict[str, str]]:
        return [
            {
                "name": f"Deal {i}",
                "company": client_name(i),
                "stage": "Negotiation",
                "source": "Tender",
                "owner": "head@example.com",
                "amount": "10",
            }
            for i in range(count)
        ]

    clean_queries("lead", head, leads(1))  # the user's permissions are read once and cached
    assert clean_queries("lead", head, leads(2)) == clean_queries("lead", head, leads(40))
    assert clean_queries("deal", head, deals(2)) == clean_queries("deal", head, deals(40))


def test_deal_custom_fields_are_offered_and_imported():
    head = user_with_role("head_of_sales")
    make_company(owner=head, name="Alpha")
    CustomFieldDefinition.objects.create(
        model="deal", name="budget_year", label="Budget year", field_type="number"
    )
    CustomFieldDefinition.objects.create(
        model="deal", name="tender", label="Tender", field_type="boolean"
    )

    keys = [f.key for f in get_handler("deal").fields(head)]
    rows, ids = run(
        "deal",
        head,
        _deal_row(**{"custom.budget_year": "2026", "custom.tender": "да"}),
        _deal_row(name="Other", **{"custom.budget_year": "soon"}),
    )

    assert keys[-2:] == ["custom.budget_year", "custom.tender"]
    assert Deal.objects.get(pk=ids[0]).custom == {"budget_year": 2026, "tender": True}
    assert list(rows[1].errors) == ["custom.budget_year"]


def test_russian_french_and_german_headers_are_recognised():
    head = user_with_role("head_of_sales")
    leads, deals = get_handler("lead"), get_handler("deal")

    assert suggest(leads, list(LEAD_COLUMNS), head) == LEAD_COLUMNS
    assert suggest(deals, list(DEAL_COLUMNS), head) == DEAL_COLUMNS
    assert suggest(deals, ["Affaire", "Client", "Montant", "Devise", "Étape"], head) == {
        "Affaire": "name",
        "Client": "company",
        "Montant": "amount",
        "Devise": "currency",
        "Étape": "stage",
    }
    assert suggest(leads, ["Name", "Firma", "Telefon", "Quelle", "Verantwortlich"], head) == {
        "Name": "full_name",
        "Firma": "company_name",
        "Telefon": "phone",
        "Quelle": "source",
        "Verantwortlich": "owner",
    }


def test_a_huge_cell_is_an_error_on_its_field_in_the_preview():
    head = user_with_role("head_of_sales")
    make_company(owner=head, name="Alpha")
    huge = "x" * 50_000

    lead_rows, _ids = run("lead", head, {"full_name": huge})
    deal_rows, _ids = run("deal", head, _deal_row(name=huge))

    assert lead_rows[0].errors == {"full_name": ["Too long: 50000 characters, at most 255."]}
    assert deal_rows[0].errors == {"name": ["Too long: 50000 characters, at most 255."]}
    assert (Lead.objects.count(), Deal.objects.count()) == (0, 0)


def test_a_lead_field_longer_than_its_column_is_an_error():
    manager = user_with_role("sales_manager")

    rows, ids = run(
        "lead", manager, {"full_name": "Anna", "phone": "8 (351) 123-45-67", "city": "y" * 121}
    )

    assert rows[0].errors == {"city": ["Too long: 121 characters, at most 120."]}
    assert ids == []


def test_two_rows_updating_one_lead_are_undone_to_the_original():
    manager = user_with_role("sales_manager")
    lead = lead_create(
        actor=manager, fields={"full_name": "Anna", "email": "a@x.ru", "city": "Perm"}
    )
    handler = get_handler("lead")
    rows = rows_of({"email": "a@x.ru", "city": "Ufa"}, {"email": "A@x.ru", "city": "Kazan"})
    handler.clean(rows, manager)
    batch = batch_for(manager, "lead", "update")

    handler.update(rows, actor=manager, batch=batch)
    lead.refresh_from_db()
    assert lead.city == "Kazan"

    skipped = handler.undo(list(batch.records.order_by("-pk")), actor=manager)

    lead.refresh_from_db()
    assert (skipped, lead.city) == ([], "Perm")


def test_owner_by_full_name_in_either_order():
    head = user_with_role("head_of_sales")
    olga = user_with_role("sales_manager", first_name="Ольга", last_name="Петрова")
    make_company(owner=head, name="Alpha")

    rows, ids = run(
        "deal",
        head,
        _deal_row(owner="Петрова Ольга"),
        _deal_row(name="Second", owner="ольга петрова"),
        _deal_row(name="Third", owner="Ольга Сидорова"),
    )

    assert [r.errors for r in rows[:2]] == [{}, {}]
    assert rows[2].errors == {"owner": ["User “Ольга Сидорова” not found."]}
    assert [Deal.objects.get(pk=pk).owner for pk in ids] == [olga, olga]
