"""``accord import``: dry run, modes, partial, exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from accord.core.testing import user_with_role
from accord.dataio.models import ImportBatch
from accord.parties.models import Contact

pytestmark = pytest.mark.django_db

GOOD = "Фамилия;Имя;E-mail\nИванов;Пётр;ivanov@example.com\nСмирнова;Ольга;olga@example.com\n"
BAD = GOOD + "Петров;Иван;broken@\n"


def write(tmp_path: Path, text: str, encoding: str = "utf-8") -> str:
    path = tmp_path / "contacts.csv"
    path.write_bytes(text.encode(encoding))
    return str(path)


def test_import_creates_contacts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    user = user_with_role("marketing")
    call_command("import", write(tmp_path, GOOD, "cp1251"), type="contacts", user=user.username)
    out = capsys.readouterr().out
    assert "CSV, encoding cp1251, delimiter ';'" in out
    assert "2 rows: 2 created, 0 updated, 0 skipped, 0 rejected." in out
    assert Contact.objects.count() == 2


def test_dry_run_prints_errors_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    user = user_with_role("marketing")
    with pytest.raises(SystemExit) as exit_code:
        call_command(
            "import", write(tmp_path, BAD), type="contacts", user=user.username, dry_run=True
        )
    assert exit_code.value.code == 1
    out = capsys.readouterr().out
    assert (
        "row 4, email: “broken@” is not a valid e-mail address (expected name@example.com)." in out
    )
    assert (
        "Dry run, nothing written: 3 rows, 2 valid, 1 with errors, 0 matching existing records."
        in out
    )
    assert Contact.objects.count() == 0
    assert ImportBatch.objects.count() == 0


def test_all_or_nothing_exits_non_zero_and_writes_nothing(tmp_path: Path) -> None:
    user = user_with_role("marketing")
    with pytest.raises(SystemExit) as exit_code:
        call_command("import", write(tmp_path, BAD), type="contacts", user=user.username)
    assert exit_code.value.code == 1
    assert Contact.objects.count() == 0
    assert ImportBatch.objects.get().status == ImportBatch.Status.FAILED


def test_partial_writes_valid_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    user = user_with_role("marketing")
    call_command("import", write(tmp_path, BAD), type="contacts", user=user.username, partial=True)
    out = capsys.readouterr().out
    assert "3 rows: 2 created, 0 updated, 0 skipped, 1 rejected." in out
    assert "Rejected rows:" in out
    assert Contact.objects.count() == 2


def test_encoding_and_delimiter_overrides(tmp_path: Path) -> None:
    user = user_with_role("marketing")
    path = write(tmp_path, GOOD.replace(";", "\t"), "koi8-r")
    call_command(
        "import", path, type="contact", user=user.username, encoding="koi8-r", delimiter="\\t"
    )
    assert sorted(Contact.objects.values_list("last_name", flat=True)) == ["Иванов", "Смирнова"]


def test_update_mode_without_change_permission_is_refused(tmp_path: Path) -> None:
    user = user_with_role("marketing")
    path = tmp_path / "companies.csv"
    path.write_text("Название;ИНН\nАльфа;7707083893\n")
    with pytest.raises(CommandError) as error:
        call_command("import", str(path), type="companies", user=user.username, mode="update")
    assert "mode: You may not change existing records of this type" in str(error.value)


def test_unknown_type_and_user(tmp_path: Path) -> None:
    with pytest.raises(CommandError) as error:
        call_command("import", write(tmp_path, GOOD), type="spaceships", user="nobody")
    assert "Unknown record type “spaceships”" in str(error.value)
    with pytest.raises(CommandError) as error:
        call_command("import", write(tmp_path, GOOD), type="contacts", user="nobody")
    assert str(error.value) == "No active user “nobody”."


def test_saved_mapping_by_name(tmp_path: Path) -> None:
    from accord.dataio.mapping import mapping_save

    user = user_with_role("marketing")
    mapping_save(
        actor=user, object_type="contact", name="odd", columns={"A": "last_name", "B": "email"}
    )
    path = tmp_path / "odd.csv"
    path.write_text("A,B\nDupont,dupont@example.com\n")
    call_command("import", str(path), type="contacts", user=user.username, mapping="odd")
    contact = Contact.objects.get()
    assert contact.last_name == "Dupont"
    assert list(contact.contact_points.values_list("normalized", flat=True)) == [
        "dupont@example.com"
    ]
