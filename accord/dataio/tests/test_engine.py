"""The import engine end to end: prepare, configure, preview, run, undo, recover."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from accord.core.models import AuditEntry, PicklistOption
from accord.core.testing import user_with_role
from accord.dataio import services
from accord.dataio.handlers import get_handler
from accord.dataio.handlers.base import RowResult, parse_date, parse_decimal
from accord.dataio.jobs import run_job
from accord.dataio.models import ImportBatch, ImportRecord, Job
from accord.parties.models import Contact
from accord.parties.tests.factories import make_contact

pytestmark = pytest.mark.django_db

CONTACTS = (
    "Фамилия;Имя;E-mail;Телефон;Компания\n"
    "Иванов;Пётр;ivanov@example.com;+7 351 123-45-67;\n"
    "Смирнова;Ольга;olga@example.com;8 (351) 765-43-21;\n"
)


def upload(text: str, name: str = "contacts.csv", encoding: str = "utf-8") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def prepared(user: Any, text: str, *, object_type: str = "contact", **kwargs: Any) -> ImportBatch:
    return services.import_prepare(
        actor=user, object_type=object_type, uploaded_file=upload(text), **kwargs
    )


def configured(
    user: Any,
    text: str,
    columns: dict[str, str],
    *,
    mode: str = "skip",
    all_or_nothing: bool = False,
    object_type: str = "contact",
) -> ImportBatch:
    batch = prepared(user, text, object_type=object_type)
    return services.import_configure(
        actor=user, batch=batch, columns=columns, mode=mode, all_or_nothing=all_or_nothing
    )


COLUMNS = {
    "Фамилия": "last_name",
    "Имя": "first_name",
    "E-mail": "email",
    "Телефон": "phone",
    "Компания": "company",
}


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


def test_prepare_needs_import_permission() -> None:
    agent = user_with_role("service_agent")  # may add contacts, may not import
    with pytest.raises(PermissionDenied):
        prepared(agent, CONTACTS)
    assert ImportBatch.objects.count() == 0


def test_prepare_refuses_an_empty_file() -> None:
    user = user_with_role("marketing")
    with pytest.raises(ValidationError) as error:
        prepared(user, "")
    assert error.value.message_dict == {"file": ["The file is empty."]}
    assert ImportBatch.objects.count() == 0


def test_prepare_stores_file_hash_and_detection() -> None:
    user = user_with_role("marketing")
    batch = services.import_prepare(
        actor=user, object_type="contact", uploaded_file=upload(CONTACTS, encoding="cp1251")
    )
    assert (batch.status, batch.encoding, batch.delimiter) == ("draft", "cp1251", ";")
    assert len(batch.file_sha256) == 64
    assert batch.detected.headers == ["Фамилия", "Имя", "E-mail", "Телефон", "Компания"]  # type: ignore[attr-defined]


def test_configure_validates_the_mapping() -> None:
    user = user_with_role("marketing")
    batch = prepared(user, CONTACTS)
    with pytest.raises(ValidationError) as error:
        services.import_configure(
            actor=user,
            batch=batch,
            columns={
                "Фамилия": "last_name",
                "Имя": "last_name",
                "E-mail": "nope",
                "Missing": "email",
            },
            mode="skip",
            all_or_nothing=True,
        )
    assert error.value.message_dict == {
        "columns": [
            "“Last name” is mapped to two columns: “Фамилия” and “Имя”.",
            "Column “E-mail”: unknown field “nope”.",
            "The file has no column “Missing”.",
        ]
    }
    with pytest.raises(ValidationError) as error:
        services.import_configure(
            actor=user, batch=batch, columns={"E-mail": "email"}, mode="skip", all_or_nothing=True
        )
    assert error.value.message_dict == {
        "columns": ["Map a column to the last name, the first name or the full name."]
    }
    batch.refresh_from_db()
    assert batch.columns == {}


def test_update_mode_needs_change_permission() -> None:
    user = user_with_role("marketing")  # companies: add but no change
    batch = prepared(user, "Название;ИНН\nАльфа;7707083893\n", object_type="company")
    with pytest.raises(ValidationError) as error:
        services.import_configure(
            actor=user,
            batch=batch,
            columns={"Название": "name", "ИНН": "inn"},
            mode="update",
            all_or_nothing=True,
        )
    assert error.value.message_dict == {
        "mode": [
            "You may not change existing records of this type, so matched records cannot be updated."
        ]
    }


def test_preview_counts_the_whole_file_and_shows_row_results() -> None:
    user = user_with_role("marketing")
    make_contact(owner=user, last_name="Old", emails=["olga@example.com"])
    text = CONTACTS + "Петров;;not-an-email;;\n" + "Иванов;Пётр;IVANOV@example.com;;\n"
    batch = configured(user, text, COLUMNS)
    preview = services.import_preview(actor=user, batch=batch, limit=2)
    assert (preview.total, preview.valid, preview.with_errors, preview.matched) == (4, 3, 1, 2)
    assert [r.number for r in preview.rows] == [2, 3]
    assert preview.rows[1].match_reason == "same e-mail"
    assert Contact.objects.count() == 1  # nothing written


def test_dates_like_31_02_2025_are_row_errors() -> None:
    user = user_with_role("marketing")
    text = "Фамилия;День рождения\nИванов;31.02.2025\nПетров;2025-02-28\nСидоров;28/02/2025\nКозлов;вчера\n"
    batch = configured(user, text, {"Фамилия": "last_name", "День рождения": "birthday"})
    preview = services.import_preview(actor=user, batch=batch)
    assert [r.errors for r in preview.rows] == [
        {"birthday": ["“31.02.2025” is not a real date (there is no such day in that month)."]},
        {},
        {},
        {"birthday": ["“вчера” is not a date. Use dd.mm.yyyy, dd/mm/yyyy or yyyy-mm-dd."]},
    ]
    assert str(preview.rows[1].values["birthday"]) == "2025-02-28"


def test_unknown_picklist_value_names_the_allowed_ones() -> None:
    user = user_with_role("head_of_sales")
    PicklistOption.objects.filter(picklist="industry").delete()
    PicklistOption.objects.create(
        picklist="industry", code="energy", label="Energy", label_ru="Энергетика"
    )
    PicklistOption.objects.create(
        picklist="industry", code="retail", label="Retail", label_fr="Commerce"
    )
    text = "Название;Отрасль\nАльфа;энергетика\nБета;COMMERCE\nГамма;retail\nДельта;Космос\n"
    batch = configured(
        user, text, {"Название": "name", "Отрасль": "industry"}, object_type="company"
    )
    preview = services.import_preview(actor=user, batch=batch)
    energy = PicklistOption.objects.get(code="energy").pk
    retail = PicklistOption.objects.get(code="retail").pk
    assert [r.values.get("industry_id") for r in preview.rows[:3]] == [energy, retail, retail]
    assert preview.rows[3].errors == {
        "industry": ["“Космос” is not one of the allowed values: Energy, Retail."]
    }


def test_invalid_tax_ids_are_row_errors() -> None:
    user = user_with_role("head_of_sales")
    text = (
        "Название;ИНН;SIREN;VAT\n"
        "Альфа;7707083893;;\n"
        "Бета;7707083890;;\n"
        "Gamma;;732829321;\n"
        "Delta;;;FR00123456789\n"
    )
    batch = configured(
        user,
        text,
        {"Название": "name", "ИНН": "inn", "SIREN": "siren", "VAT": "vat_number"},
        object_type="company",
    )
    preview = services.import_preview(actor=user, batch=batch)
    assert preview.rows[0].errors == {}
    assert set(preview.rows[1].errors) == {"inn"}
    assert set(preview.rows[2].errors) == {"siren"}
    assert set(preview.rows[3].errors) == {"vat_number"}
    assert (preview.valid, preview.with_errors) == (1, 3)


def test_ragged_rows_are_rejected_with_a_message_and_the_rest_imported() -> None:
    user = user_with_role("marketing")
    text = "Фамилия;Имя;E-mail\nИванов;Пётр;a@example.com\nПетров;Иван\nСидоров;Олег;b@example.com;extra\nКозлов;Ян;c@example.com;\n"
    batch = run(
        user,
        configured(user, text, {"Фамилия": "last_name", "Имя": "first_name", "E-mail": "email"}),
    )
    assert (batch.rows_total, batch.rows_created, batch.rows_rejected) == (4, 2, 2)
    rejected = batch.rejected_file.open("rb").read().decode("utf-8-sig").splitlines()
    assert rejected == [
        "Фамилия;Имя;E-mail;Error",
        "Петров;Иван;The row has 2 values but the header has 3 columns.",
        "Сидоров;Олег;b@example.com;extra;The row has 4 values but the header has 3 columns.",
    ]


def test_all_or_nothing_writes_nothing_when_a_row_has_an_error() -> None:
    user = user_with_role("marketing")
    text = CONTACTS + "Петров;Иван;broken@;;\n"
    batch = run(user, configured(user, text, COLUMNS, all_or_nothing=True))
    assert batch.status == ImportBatch.Status.FAILED
    assert (batch.rows_total, batch.rows_created, batch.rows_rejected) == (3, 0, 1)
    assert Contact.objects.count() == 0
    assert ImportRecord.objects.count() == 0
    assert batch.rejected_file
    assert batch.job.status == Job.Status.DONE
    assert "Nothing was imported" in batch.job.message


def test_the_same_file_twice_creates_no_duplicates_and_warns() -> None:
    user = user_with_role("marketing")
    first = run(user, configured(user, CONTACTS, COLUMNS))
    second_batch = configured(user, CONTACTS, COLUMNS)
    warnings = services.import_warnings(second_batch)
    assert len(warnings) == 1
    assert f"(import #{first.pk})" in warnings[0]
    second = run(user, second_batch)
    assert (second.rows_created, second.rows_skipped) == (0, 2)
    assert Contact.objects.count() == 2


def test_repeated_rows_in_one_file_match_the_earlier_row() -> None:
    user = user_with_role("marketing")
    text = CONTACTS + "Иванов;Пётр;;+7 (351) 123 45 67;\n"
    batch = run(user, configured(user, text, COLUMNS))
    assert (batch.rows_created, batch.rows_skipped) == (2, 1)
    assert Contact.objects.count() == 2


def test_create_mode_creates_matching_rows_too() -> None:
    user = user_with_role("marketing")
    make_contact(owner=user, last_name="Old", emails=["olga@example.com"])
    batch = run(user, configured(user, CONTACTS, COLUMNS, mode="create"))
    assert (batch.rows_created, batch.rows_skipped, batch.rows_rejected) == (2, 0, 0)
    assert Contact.objects.count() == 3


def test_update_mode_updates_matched_and_undo_restores() -> None:
    user = user_with_role("marketing")
    old = make_contact(
        owner=user, last_name="Смирнова", first_name="О.", emails=["olga@example.com"]
    )
    text = "Фамилия;Имя;E-mail;Должность\nСмирнова;Ольга;olga@example.com;Директор\n"
    columns = {
        "Фамилия": "last_name",
        "Имя": "first_name",
        "E-mail": "email",
        "Должность": "position",
    }
    batch = run(user, configured(user, text, columns, mode="update"))
    assert (batch.rows_updated, batch.rows_created) == (1, 0)
    old.refresh_from_db()
    assert (old.first_name, old.position) == ("Ольга", "Директор")
    entry = AuditEntry.objects.filter(
        object_type="contact", object_id=old.pk, action="change"
    ).get()
    assert entry.message == f"import #{batch.pk}: contacts.csv"
    undone = services.import_undo(actor=user, batch=batch)
    assert undone.status == ImportBatch.Status.UNDONE
    old.refresh_from_db()
    assert (old.first_name, old.position) == ("О.", "")
    restored = AuditEntry.objects.filter(object_type="contact", object_id=old.pk).latest("pk")
    assert restored.message == f"import #{batch.pk} undone: contacts.csv"


def test_update_refused_for_records_the_user_may_not_change() -> None:
    owner = user_with_role("sales_manager")
    other = make_contact(owner=owner, last_name="Чужой", emails=["x@example.com"])
    importer = user_with_role("marketing")  # sees every contact, changes only its own
    columns = {"Фамилия": "last_name", "E-mail": "email"}
    batch = run(
        importer,
        configured(importer, "Фамилия;E-mail\nДругой;x@example.com\n", columns, mode="update"),
    )
    assert (batch.rows_created, batch.rows_updated, batch.rows_rejected) == (0, 0, 1)
    text = batch.rejected_file.open("rb").read().decode("utf-8-sig")
    assert "You may not change the matched record (Чужой Anna)" in text
    other.refresh_from_db()
    assert (other.version, other.last_name) == (1, "Чужой")


def test_update_does_not_see_records_outside_the_users_scope() -> None:
    owner = user_with_role("sales_manager")
    other = make_contact(owner=owner, last_name="Чужой", emails=["x@example.com"])
    importer = user_with_role("sales_manager")  # sees only own and team records
    columns = {"Фамилия": "last_name", "E-mail": "email"}
    batch = run(
        importer,
        configured(importer, "Фамилия;E-mail\nЧужой;x@example.com\n", columns, mode="update"),
    )
    assert (batch.rows_created, batch.rows_updated) == (1, 0)
    other.refresh_from_db()
    assert other.version == 1


def test_undo_removes_created_records_and_skips_changed_ones() -> None:
    user = user_with_role("marketing")
    batch = run(user, configured(user, CONTACTS, COLUMNS))
    from accord.parties import services as parties

    changed = Contact.objects.get(last_name="Иванов")
    admin = user_with_role("administrator")
    parties.contact_update(actor=admin, contact=changed, fields={"position": "CEO"})
    undone = services.import_undo(actor=user, batch=batch)
    assert undone.undo_skipped == [changed.pk]  # type: ignore[attr-defined]
    assert list(Contact.objects.values_list("last_name", flat=True)) == ["Иванов"]
    assert AuditEntry.objects.filter(object_type="contact", action="delete").count() == 1


def test_undo_only_by_the_importer_or_an_administrator() -> None:
    user = user_with_role("marketing")
    batch = run(user, configured(user, CONTACTS, COLUMNS))
    with pytest.raises(PermissionDenied):
        services.import_undo(actor=user_with_role("marketing"), batch=batch)
    assert Contact.objects.count() == 2
    services.import_undo(actor=user_with_role("administrator"), batch=batch)
    assert Contact.objects.count() == 0


def test_killed_halfway_is_recovered_and_undone(monkeypatch: pytest.MonkeyPatch) -> None:
    user = user_with_role("marketing")
    text = "Фамилия;E-mail\n" + "".join(f"Person{i};p{i}@example.com\n" for i in range(2500))
    batch = configured(user, text, {"Фамилия": "last_name", "E-mail": "email"})
    monkeypatch.setattr(services, "CHUNK_SIZE", 1000)

    class Killed(BaseException):
        """Stands for the process dying: nothing in the runner gets to clean up."""

    def die(result: services.RunResult) -> None:
        if result.total >= 2000:
            raise Killed

    ImportBatch.objects.filter(pk=batch.pk).update(status="running")
    batch.refresh_from_db()
    with pytest.raises(Killed):
        services.run_import(batch, None, after_chunk=die)
    assert Contact.objects.count() == 2000
    assert services.import_recover(stale_after=3600) == 0  # still fresh: may be running elsewhere
    assert services.import_recover(stale_after=0) == 1
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.FAILED
    assert Contact.objects.count() == 0
    assert ImportRecord.objects.count() == 0


def test_cancel_undoes_what_was_written(monkeypatch: pytest.MonkeyPatch) -> None:
    user = user_with_role("marketing")
    text = "Фамилия;E-mail\n" + "".join(f"Person{i};p{i}@example.com\n" for i in range(1500))
    batch = configured(user, text, {"Фамилия": "last_name", "E-mail": "email"})
    job = services.import_start(actor=user, batch=batch)
    from accord.dataio import jobs

    calls = {"n": 0}
    real = jobs.job_progress

    def cancel_after_first_chunk(job: Job, *, done: int, total: int | None = None) -> None:
        calls["n"] += 1
        if done >= 1000:
            Job.objects.filter(pk=job.pk).update(cancel_requested=True)
        real(job, done=done, total=total)

    monkeypatch.setattr(services, "job_progress", cancel_after_first_chunk)
    run_job(job.pk)
    batch.refresh_from_db()
    job.refresh_from_db()
    assert (batch.status, job.status) == (ImportBatch.Status.CANCELLED, Job.Status.CANCELLED)
    assert Contact.objects.count() == 0


def test_queries_per_chunk_are_bounded() -> None:
    user = user_with_role("marketing")
    small = "Фамилия;E-mail;Телефон\n" + "".join(
        f"P{i};p{i}@example.com;+7 351 200-{i // 100:02d}-{i % 100:02d}\n" for i in range(10)
    )
    big = "Фамилия;E-mail;Телефон\n" + "".join(
        f"P{i};p{i}@example.com;+7 351 200-{i // 100:02d}-{i % 100:02d}\n" for i in range(500)
    )
    columns = {"Фамилия": "last_name", "E-mail": "email", "Телефон": "phone"}
    # run again measuring: same number of queries for 10 rows and for 500 rows
    measured = []
    for index, text in enumerate((small, big)):
        text = text.replace("@example.com", f"@x{index}.example.com").replace(
            "+7 351 200", "+7 351 300" if index else "+7 351 400"
        )
        batch = configured(user, text, columns)
        ImportBatch.objects.filter(pk=batch.pk).update(status="running")
        batch.refresh_from_db()
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            services.run_import(batch, None)
        measured.append(len(captured.captured_queries))
    # the same statements for 10 rows and for 500 (executemany counts as one): nothing per row
    assert measured[0] == measured[1]
    assert measured[0] <= 25


def test_cleaners() -> None:
    assert str(parse_decimal("1 234,56")) == "1234.56"
    assert str(parse_decimal("1.234,5")) == "1234.5"
    assert str(parse_decimal("1,234.5")) == "1234.5"
    with pytest.raises(ValidationError):
        parse_decimal("abc")
    assert parse_date("05/03/2025").isoformat() == "2025-03-05"
    row = RowResult(number=2, raw={})
    row.add_error("email", "bad")
    assert row.error_text() == "email: bad"
    assert get_handler("contact").object_type == "contact"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (
            [
                "Фамилия",
                "Имя",
                "Отчество",
                "Эл. почта",
                "Мобильный телефон",
                "Должность",
                "Дата рождения",
            ],
            ["last_name", "first_name", "middle_name", "email", "mobile", "position", "birthday"],
        ),
        (
            ["Nom", "Prénom", "Courriel", "Téléphone", "Société", "Poste", "Date de naissance"],
            ["last_name", "first_name", "email", "phone", "company", "position", "birthday"],
        ),
        (
            ["Last Name", "First name", "E-Mail", "Phone", "Company", "Job title", "Owner"],
            ["last_name", "first_name", "email", "phone", "company", "position", "owner"],
        ),
        (
            ["Nachname", "Vorname", "E-Mail-Adresse", "Telefon", "Firma", "Geburtstag", "Notizen"],
            ["last_name", "first_name", "email", "phone", "company", "birthday", "notes"],
        ),
    ],
)
def test_mapping_suggestions_in_four_languages(headers: list[str], expected: list[str]) -> None:
    from accord.dataio import mapping

    user = user_with_role("marketing")
    suggested = mapping.suggest(get_handler("contact"), headers, user)
    assert [suggested[h] for h in headers] == expected


def test_mapping_suggestions_fold_case_yo_punctuation_and_near_misses() -> None:
    from accord.dataio import mapping

    user = user_with_role("marketing")
    headers = ["  ФАМИЛИЯ ", "имя:", "E_mail", "Telefone", "ещё колонка"]
    assert mapping.suggest(get_handler("contact"), headers, user) == {
        "  ФАМИЛИЯ ": "last_name",
        "имя:": "first_name",
        "E_mail": "email",
        "Telefone": "phone",
        "ещё колонка": "",
    }


def test_mapping_suggestions_include_custom_fields_by_label_and_code() -> None:
    from accord.core.models import CustomFieldDefinition
    from accord.dataio import mapping

    CustomFieldDefinition.objects.create(
        model="contact", name="hobby", label="Увлечение", field_type="text"
    )
    CustomFieldDefinition.objects.create(
        model="contact", name="shoe_size", label="Shoe size", field_type="number"
    )
    user = user_with_role("marketing")
    suggested = mapping.suggest(get_handler("contact"), ["увлечение", "shoe_size"], user)
    assert suggested == {"увлечение": "custom.hobby", "shoe_size": "custom.shoe_size"}


def test_saved_mappings() -> None:
    from accord.dataio import mapping

    user = user_with_role("marketing")
    saved = mapping.mapping_save(
        actor=user,
        object_type="contact",
        name="CRM export",
        columns={"Фамилия": "last_name", "X": ""},
    )
    assert saved.columns == {"Фамилия": "last_name"}
    assert [m.name for m in mapping.mappings_for(user, "contact")] == ["CRM export"]
    assert mapping.mappings_for(user_with_role("service_agent"), "contact") == []
    assert mapping.apply_mapping(saved, ["Фамилия", "Имя"]) == {"Фамилия": "last_name", "Имя": ""}
    with pytest.raises(ValidationError) as error:
        mapping.mapping_save(actor=user, object_type="contact", name="Bad", columns={"A": "nope"})
    assert error.value.message_dict == {"columns": ["Unknown fields: nope."]}


def test_activities_import_links_contacts_and_does_not_repeat() -> None:
    from accord.activities.models import Activity

    user = user_with_role("head_of_sales")
    contact = make_contact(owner=user, last_name="Иванов", emails=["ivanov@example.com"])
    text = (
        "Тип;Тема;Дата;Контакт;Результат;Подробности\n"
        "Звонок;Договор;05.03.2025 14:30;ivanov@example.com;no answer;\n"
        "note;Итоги встречи;2025-03-06;;;Всё согласовали\n"
        "Телепортация;?;06.03.2025;;;\n"
    )
    columns = {
        "Тип": "kind",
        "Тема": "subject",
        "Дата": "at",
        "Контакт": "contact",
        "Результат": "outcome",
        "Подробности": "body",
    }
    batch = run(user, configured(user, text, columns, object_type="activity"))
    assert (batch.rows_created, batch.rows_rejected) == (2, 1)
    call = Activity.objects.get(kind="call")
    assert (call.subject, call.outcome) == ("Договор", "no_answer")
    assert list(call.contacts.all()) == [contact]
    assert call.at.isoformat() == "2025-03-05T11:30:00+00:00"  # 14:30 in Moscow
    again = run(user, configured(user, text, columns, object_type="activity"))
    assert (again.rows_created, again.rows_skipped) == (0, 2)
    services.import_undo(actor=user, batch=batch)
    assert Activity.objects.count() == 0


def test_xlsx_import_through_the_engine(tmp_path: Any) -> None:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Nom", "Prénom", "Téléphone", "Date de naissance"])
    sheet.append(["Dupré", "Hélène", 33123456789, "05/03/1980"])
    path = tmp_path / "contacts.xlsx"
    workbook.save(path)
    user = user_with_role("marketing")
    batch = services.import_prepare(
        actor=user,
        object_type="contact",
        uploaded_file=SimpleUploadedFile("contacts.xlsx", path.read_bytes()),
    )
    columns = {
        "Nom": "last_name",
        "Prénom": "first_name",
        "Téléphone": "phone",
        "Date de naissance": "birthday",
    }
    batch = services.import_configure(
        actor=user, batch=batch, columns=columns, mode="skip", all_or_nothing=True
    )
    batch = run(user, batch)
    contact = Contact.objects.get()
    assert (batch.status, contact.last_name, str(contact.birthday)) == (
        "done",
        "Dupré",
        "1980-03-05",
    )
    assert list(contact.contact_points.values_list("normalized", flat=True)) == ["+33123456789"]


def test_undo_of_a_record_the_batch_touched_twice_restores_the_values_from_before() -> None:
    user = user_with_role("marketing")
    old = make_contact(
        owner=user, last_name="Смирнова", first_name="О.", emails=["olga@example.com"]
    )
    text = (
        "Фамилия;Имя;E-mail;Должность\n"
        "Смирнова;Ольга;olga@example.com;Инженер\n"
        "Смирнова;Ольга;olga@example.com;Директор\n"
        "Новиков;Иван;ivan@example.com;Техник\n"
        "Новиков;Иван;ivan@example.com;Мастер\n"
    )
    columns = {
        "Фамилия": "last_name",
        "Имя": "first_name",
        "E-mail": "email",
        "Должность": "position",
    }
    batch = run(user, configured(user, text, columns, mode="update"))
    assert (batch.rows_created, batch.rows_updated) == (1, 3)
    old.refresh_from_db()
    assert old.position == "Директор"
    assert Contact.objects.get(last_name="Новиков").position == "Мастер"
    undone = services.import_undo(actor=user, batch=batch)
    assert undone.undo_skipped == []  # type: ignore[attr-defined]
    old.refresh_from_db()
    assert (old.first_name, old.position) == ("О.", "")
    assert list(Contact.objects.values_list("last_name", flat=True)) == ["Смирнова"]
