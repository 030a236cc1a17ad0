"""Reading import files: encodings, delimiters, XLSX, and every kind of bad file."""

from __future__ import annotations

import codecs
import io
import zipfile
from pathlib import Path

import openpyxl
import pytest
from django.core.exceptions import ValidationError

from accord.dataio import reader
from accord.dataio.reader import BadRow, detect, iter_rows

RUSSIAN = (
    "Фамилия;Имя;Город;Заметка\n"
    "Иванов;Пётр;Челябинск;Позвонить в понедельник насчёт договора поставки\n"
    "Смирнова;Ольга;Москва;Прислала реквизиты, ждёт счёт на оплату\n"
)
FRENCH = (
    "Nom,Prénom,Ville,Note\n"
    "Dupré,Hélène,Besançon,Déjà appelée à propos du contrat\n"
    "Lefèvre,François,Orléans,Très intéressé, à rappeler après l'été\n"
)


def rows(data: bytes, **kwargs: str) -> tuple[reader.Detected, list[tuple[int, list[str]]]]:
    detected = detect(io.BytesIO(data), **kwargs)
    return detected, list(iter_rows(io.BytesIO(data), detected))


@pytest.mark.parametrize(
    ("encoding", "text", "expected"),
    [
        ("utf-8", RUSSIAN, "utf-8"),
        ("cp1251", RUSSIAN, "cp1251"),
        ("koi8-r", RUSSIAN, "koi8-r"),
        ("utf-8", FRENCH, "utf-8"),
        ("cp1252", FRENCH, "cp1252"),
    ],
)
def test_encoding_is_detected(encoding: str, text: str, expected: str) -> None:
    detected, found = rows(text.encode(encoding))
    assert detected.encoding == expected
    assert detected.headers == text.splitlines()[0].split(detected.delimiter)
    assert found[0][1] == text.splitlines()[1].split(detected.delimiter, 3)


def test_utf8_with_bom() -> None:
    detected, found = rows(codecs.BOM_UTF8 + RUSSIAN.encode())
    assert detected.encoding == "utf-8-sig"
    assert detected.headers[0] == "Фамилия"
    assert found[1] == (
        3,
        ["Смирнова", "Ольга", "Москва", "Прислала реквизиты, ждёт счёт на оплату"],
    )


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_with_bom_tab_separated_as_excel_unicode_text(codec: str) -> None:
    bom = codecs.BOM_UTF16_LE if codec.endswith("le") else codecs.BOM_UTF16_BE
    data = bom + RUSSIAN.replace(";", "\t").replace("\n", "\r\n").encode(codec)
    detected, found = rows(data)
    assert (detected.encoding, detected.delimiter) == ("utf-16", "\t")
    assert detected.headers == ["Фамилия", "Имя", "Город", "Заметка"]
    assert found[0] == (
        2,
        ["Иванов", "Пётр", "Челябинск", "Позвонить в понедельник насчёт договора поставки"],
    )


def test_wrong_encoding_override_is_refused_and_right_one_reads() -> None:
    data = RUSSIAN.encode("cp1251")
    with pytest.raises(ValidationError) as error:
        detect(io.BytesIO(data), encoding="utf-8")
    assert "not valid utf-8 text" in error.value.message_dict["file"][0]
    detected, found = rows(data, encoding="koi8-r")  # a wrong but decodable choice is obeyed
    assert detected.encoding == "koi8-r"
    detected, found = rows(data, encoding="cp1251")
    assert found[0][1][0] == "Иванов"


def test_unknown_encoding_name() -> None:
    with pytest.raises(ValidationError) as error:
        detect(io.BytesIO(b"a,b\n1,2\n"), encoding="klingon")
    assert error.value.message_dict == {"encoding": ["Unknown encoding “klingon”."]}


@pytest.mark.parametrize(
    ("delimiter", "text"),
    [
        (",", "name,city,phone\nAcme,Paris,+33 1 23 45 67 89\nBeta,Lyon,\n"),
        (";", "name;city;amount\nAcme;Paris;1 234,50\nBeta;Lyon;12,5\n"),
        ("\t", "name\tcity\tnote\nAcme\tParis\tsee, later\nBeta\tLyon\tok; fine\n"),
        ("|", "name|city|note\nAcme|Paris|a, b; c\nBeta|Lyon|d\n"),
    ],
)
def test_delimiter_is_detected(delimiter: str, text: str) -> None:
    detected, found = rows(text.encode())
    assert detected.delimiter == delimiter
    assert len(found[0][1]) == 3


def test_single_column_file_reads() -> None:
    detected, found = rows(b"email\na@example.com\nb@example.com\n")
    assert detected.headers == ["email"]
    assert [cells for _n, cells in found] == [["a@example.com"], ["b@example.com"]]


def test_quoted_fields_with_line_breaks() -> None:
    text = 'name;note;city\n"Acme";"first line\nsecond; line";Paris\nBeta;plain;Lyon\n'
    _detected, found = rows(text.encode())
    assert found == [
        (2, ["Acme", "first line\nsecond; line", "Paris"]),
        (3, ["Beta", "plain", "Lyon"]),
    ]


def test_ragged_rows_are_yielded_as_they_are() -> None:
    _detected, found = rows(b"a;b;c\n1;2\n1;2;3;4\n1;2;3\n")
    assert [cells for _n, cells in found] == [["1", "2"], ["1", "2", "3", "4"], ["1", "2", "3"]]


def test_blank_lines_are_skipped_but_counted() -> None:
    _detected, found = rows(b"a,b\n1,2\n\n3,4\n")
    assert found == [(2, ["1", "2"]), (4, ["3", "4"])]


def test_binary_file_renamed_csv_is_refused() -> None:
    data = bytes(range(256)) * 40
    with pytest.raises(ValidationError) as error:
        detect(io.BytesIO(data))
    assert error.value.message_dict["file"][0].startswith("This is not a text file")


def test_old_excel_file_is_refused_with_a_hint() -> None:
    with pytest.raises(ValidationError) as error:
        detect(io.BytesIO(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600))
    assert ".xls" in error.value.message_dict["file"][0]


def test_empty_file_is_refused() -> None:
    with pytest.raises(ValidationError) as error:
        detect(io.BytesIO(b"  \n"))
    assert error.value.message_dict == {"file": ["The file is empty."]}


def test_a_50_mb_cell_is_a_row_error_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    with path.open("w") as handle:
        handle.write("name,note\nfirst,ok\n")
        handle.write("second,")
        chunk = "x" * (1024 * 1024)
        for _i in range(50):
            handle.write(chunk)
        handle.write("\nthird,ok\n")
    detected = detect(str(path))
    found = list(iter_rows(str(path), detected))
    assert found[0] == (2, ["first", "ok"])
    assert isinstance(found[1][1], BadRow)
    assert found[1][0] == 3
    assert found[1][1].error == "A cell is larger than 1 MB; the row was not read."
    assert found[2] == (4, ["third", "ok"])


def _xlsx(tmp_path: Path) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Клиенты"
    sheet.append(["Фамилия", "Телефон", "Дата", "Сумма", None])
    import datetime

    sheet.append(["Иванов", 73511234567, datetime.datetime(2025, 2, 28), 1234.5, None])
    sheet.append(["Dupré", "+33 1 23 45 67 89", None, 12, None])
    workbook.create_sheet("Other").append(["x"])
    path = tmp_path / "clients.xlsx"
    workbook.save(path)
    return path


def test_xlsx_sheets_headers_and_typed_cells(tmp_path: Path) -> None:
    path = _xlsx(tmp_path)
    detected = detect(str(path))
    assert (detected.kind, detected.sheet, detected.sheets) == (
        "xlsx",
        "Клиенты",
        ["Клиенты", "Other"],
    )
    assert detected.headers == ["Фамилия", "Телефон", "Дата", "Сумма"]
    assert list(iter_rows(str(path), detected)) == [
        (2, ["Иванов", "73511234567", "2025-02-28", "1234.5"]),
        (3, ["Dupré", "+33 1 23 45 67 89", "", "12"]),
    ]
    other = detect(str(path), sheet="Other")
    assert other.headers == ["x"]
    with pytest.raises(ValidationError) as error:
        detect(str(path), sheet="Nope")
    assert error.value.message_dict == {"sheet": ["The workbook has no sheet “Nope”."]}


def test_xlsx_zip_bomb_is_refused_before_decompressing(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as entry:
            block = b"<row>" + b" " * (1024 * 1024) + b"</row>"
            for _i in range(300):  # 300 MB of spaces compress to a few hundred KB
                entry.write(block)
    assert path.stat().st_size < 2 * 1024 * 1024
    with pytest.raises(ValidationError) as error:
        detect(str(path))
    assert "zip bomb" in error.value.message_dict["file"][0]


def test_xlsx_with_a_high_ratio_entry_under_the_total_cap_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ratio.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (20 * 1024 * 1024))
    with pytest.raises(ValidationError) as error:
        detect(str(path))
    assert "zip bomb" in error.value.message_dict["file"][0]


def test_damaged_xlsx_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"garbage" * 100)
    with pytest.raises(ValidationError) as error:
        detect(str(path))
    assert "damaged" in error.value.message_dict["file"][0]
