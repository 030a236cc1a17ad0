"""Reading import files: CSV/TSV in the encodings people actually have, and XLSX (D2).

:func:`detect` looks at the start of a file (encoding, delimiter, sheets, headers, sample rows);
:func:`iter_rows` streams the data rows in constant memory. Anything unreadable raises
``ValidationError({"file": [...]})`` with a message a person can act on; a single bad row is
yielded as a :class:`BadRow` carrying its error, so one row never stops the file.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import decimal
import io
import os
import re
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

#: the largest cell a CSV may hold (a bigger one is a row error)
MAX_CELL = 1024 * 1024
#: XLSX guards, checked on the zip's directory before anything is decompressed
XLSX_MAX_TOTAL = 200 * 1024 * 1024
XLSX_MAX_RATIO = 100
XLSX_MAX_ENTRIES = 10_000
SAMPLE_BYTES = 64 * 1024
SAMPLE_ROWS = 20
DELIMITERS = ",;\t|"
ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "cp1251", "cp1252", "koi8-r")

csv.field_size_limit(MAX_CELL)

Source = str | os.PathLike[str] | IO[bytes]


@dataclass
class Detected:
    """What :func:`detect` found out about a file."""

    kind: str  # "csv" | "xlsx"
    encoding: str = ""
    delimiter: str = ""
    sheet: str = ""
    sheets: list[str] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    sample: list[list[str]] = field(default_factory=list)


class BadRow(list[str]):
    """A row that could not be read (a cell over the size limit, a decoding error): its cells
    as far as known and the reason."""

    def __init__(self, cells: list[str], error: str) -> None:
        super().__init__(cells)
        self.error = error


def _file_error(message: str) -> ValidationError:
    return ValidationError({"file": [message]})


def _open(source: Source) -> IO[bytes]:
    if hasattr(source, "read"):
        stream: IO[bytes] = source  # type: ignore[assignment]
        stream.seek(0)
        return stream
    return open(source, "rb")  # closed by the caller


def _close(source: Source, stream: IO[bytes]) -> None:
    if stream is not source:
        stream.close()


# --- encodings ----------------------------------------------------------------------------

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_WORD = re.compile(r"[^\W\d_]+")
_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
_COMMON = set("оеаинтсрвлкмдпуяыьгзбчйeaiorsntlucdmpé")


def _natural_case(word: str) -> bool:
    return word.islower() or word.isupper() or (word[0].isupper() and word[1:].islower())


def _plausibility(text: str) -> float:
    """How much ``text`` looks like real words: letters of words in one script with natural
    capitalisation, plus a bonus for the commonest letters of Russian, French and English."""
    good = 0
    letters = 0
    for word in _WORD.findall(text):
        letters += len(word)
        cyrillic = len(_CYRILLIC.findall(word))
        latin = sum(1 for ch in word if ch.isascii())
        one_script = cyrillic == len(word) or (cyrillic == 0 and latin * 2 >= len(word))
        if one_script and _natural_case(word):
            good += len(word)
    if not letters:
        return 0.0
    common = sum(1 for ch in text if ch in _COMMON)
    return (good + 0.5 * common) / letters


def _decodes(data: bytes, encoding: str) -> str | None:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        return decoder.decode(data, final=False)
    except UnicodeDecodeError:
        return None


def detect_encoding(data: bytes) -> str:
    """The encoding of a sample: BOM first, then UTF-8, then the most plausible of
    charset-normalizer's guess, Windows-1251, KOI8-R and Windows-1252."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    if b"\x00" in data:
        even = data[0::2].count(0)
        odd = data[1::2].count(0)
        half = max(1, len(data) // 2)
        if odd / half > 0.3 and even / half < 0.05:
            return "utf-16-le"
        if even / half > 0.3 and odd / half < 0.05:
            return "utf-16-be"
        raise _file_error(
            _(
                "This is not a text file (it contains binary data). Save the table as CSV "
                "(comma- or semicolon-separated) or as an Excel workbook (.xlsx)."
            )
        )
    if _decodes(data, "utf-8") is not None:
        return "utf-8"
    candidates = ["cp1251", "koi8-r", "cp1252"]
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data[:SAMPLE_BYTES]).best()
        if best is not None and best.encoding not in candidates:
            guess = codecs.lookup(best.encoding).name
            if guess not in {codecs.lookup(c).name for c in candidates} and guess != "utf-8":
                candidates.append(guess)
    except (LookupError, ImportError):  # pragma: no cover - an unusual guess
        pass
    scored = []
    for order, name in enumerate(candidates):
        text = _decodes(data, name)
        if text is not None:
            scored.append((_plausibility(text), -order, name))
    if not scored:
        raise _file_error(
            _("The file's encoding could not be recognised. Save it as UTF-8 and try again.")
        )
    return max(scored)[2]


def _check_encoding(name: str) -> str:
    try:
        return codecs.lookup(name).name if name not in ENCODINGS else name
    except LookupError:
        raise ValidationError(
            {"encoding": [_("Unknown encoding “%(name)s”.") % {"name": name}]}
        ) from None


# --- delimiters ----------------------------------------------------------------------------


def detect_delimiter(text: str) -> str:
    """The column delimiter among , ; tab |: csv.Sniffer, checked against consistent column
    counts over the sample's lines (which also decides when the sniffer cannot)."""
    lines = text.splitlines()
    if len(lines) > 1 and not text.endswith(("\n", "\r")):
        lines = lines[:-1]  # the sample may cut the last line
    sample = "\n".join(lines[:200])

    def consistency(delimiter: str) -> tuple[int, int]:
        counts = [len(row) for row in csv.reader(io.StringIO(sample), delimiter=delimiter) if row]
        if not counts:
            return (0, 0)
        width, times = Counter(counts).most_common(1)[0]
        return (times if width > 1 else 0, width)

    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        sniffed = ""
    scores = {d: consistency(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: scores[d])
    if sniffed and scores[sniffed][0] and scores[sniffed][0] >= scores[best][0]:
        return sniffed
    return best if scores[best][0] else ","


# --- headers ---------------------------------------------------------------------------


def clean_headers(cells: list[str]) -> list[str]:
    """Stripped header names; blank ones become "Column N", repeats get " (2)"."""
    headers: list[str] = []
    seen: Counter[str] = Counter()
    for index, cell in enumerate(cells, start=1):
        name = (cell or "").replace("\ufeff", "").strip()[:200] or _("Column %(number)s") % {
            "number": index
        }
        seen[name] += 1
        if seen[name] > 1:
            name = f"{name} ({seen[name]})"
        headers.append(name)
    return headers


# --- XLSX ------------------------------------------------------------------------------


def check_zip(stream: IO[bytes]) -> None:
    """Refuse a zip bomb before decompressing anything: too many entries, too much in total,
    or an entry that expands more than ``XLSX_MAX_RATIO`` times."""
    try:
        with zipfile.ZipFile(stream) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _file_error(
            _("The Excel file is damaged and cannot be opened. Save it again and retry.")
        ) from None
    too_big = _(
        "The Excel file expands to far more data than a table of this size holds "
        "(a possible “zip bomb”); it was not opened. Save the sheet as CSV or as a new workbook."
    )
    if len(entries) > XLSX_MAX_ENTRIES:
        raise _file_error(too_big)
    if sum(e.file_size for e in entries) > XLSX_MAX_TOTAL:
        raise _file_error(too_big)
    for entry in entries:
        if entry.file_size > 1024 * 1024 and entry.file_size > XLSX_MAX_RATIO * max(
            1, entry.compress_size
        ):
            raise _file_error(too_big)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return format(decimal.Decimal(repr(value)), "f")
    return str(value).strip()


def _workbook(stream: IO[bytes]) -> Any:
    check_zip(stream)
    stream.seek(0)
    import openpyxl

    try:
        return openpyxl.load_workbook(stream, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a broken workbook
        raise _file_error(
            _("The Excel file is damaged and cannot be opened. Save it again and retry.")
        ) from None


def _xlsx_rows(workbook: Any, sheet: str) -> Iterator[list[str]]:
    if sheet not in workbook.sheetnames:
        raise ValidationError(
            {"sheet": [_("The workbook has no sheet “%(name)s”.") % {"name": sheet}]}
        )
    worksheet = workbook[sheet]
    if hasattr(worksheet, "reset_dimensions"):
        worksheet.reset_dimensions()
    for values in worksheet.iter_rows(values_only=True):
        cells = [_cell_text(v) for v in values]
        while cells and not cells[-1]:
            cells.pop()
        yield cells


# --- CSV -------------------------------------------------------------------------------


def _text_stream(stream: IO[bytes], encoding: str) -> io.TextIOWrapper:
    return io.TextIOWrapper(stream, encoding=encoding, errors="strict", newline="")


def _csv_records(stream: IO[bytes], encoding: str, delimiter: str) -> Iterator[list[str] | BadRow]:
    text = _text_stream(stream, encoding)
    reader = csv.reader(text, delimiter=delimiter, strict=False)
    try:
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                if "field larger than field limit" in str(error):
                    yield BadRow(
                        [],
                        _("A cell is larger than %(size)s MB; the row was not read.")
                        % {"size": MAX_CELL // (1024 * 1024)},
                    )
                    continue
                yield BadRow([], _("The row could not be read: %(error)s") % {"error": error})
                continue
            except UnicodeDecodeError:
                raise _file_error(
                    _(
                        "Row %(row)s is not valid %(encoding)s text. Choose the file's encoding "
                        "(e.g. Windows-1251 or UTF-8) and try again."
                    )
                    % {"row": reader.line_num, "encoding": encoding}
                ) from None
            yield row
    finally:
        text.detach()


def _is_xlsx(head: bytes) -> bool:
    return head.startswith(b"PK\x03\x04")


def detect(
    path_or_file: Source,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
) -> Detected:
    """Find out how to read a file; ``encoding``/``delimiter``/``sheet`` override detection."""
    stream = _open(path_or_file)
    try:
        head = stream.read(SAMPLE_BYTES)
        if not head.strip():
            raise _file_error(_("The file is empty."))
        if head.startswith(b"\xd0\xcf\x11\xe0"):
            raise _file_error(
                _(
                    "This is an old Excel file (.xls). Open it in Excel or LibreOffice and "
                    "save it as .xlsx or CSV."
                )
            )
        if _is_xlsx(head):
            workbook = _workbook(stream)
            try:
                sheets = list(workbook.sheetnames)
                chosen = sheet or sheets[0]
                rows = _xlsx_rows(workbook, chosen)
                headers = next(rows, [])
                sample = [r for _i, r in zip(range(SAMPLE_ROWS), rows, strict=False)]
            finally:
                workbook.close()
            if not any(headers):
                raise _file_error(_("The sheet “%(name)s” is empty.") % {"name": chosen})
            return Detected(
                kind="xlsx",
                sheet=chosen,
                sheets=sheets,
                headers=clean_headers(headers),
                sample=sample,
            )
        chosen_encoding = _check_encoding(encoding) if encoding else detect_encoding(head)
        text = _decodes(head, chosen_encoding)
        if text is None:
            raise _file_error(
                _(
                    "The file is not valid %(encoding)s text. Choose the file's encoding "
                    "(e.g. Windows-1251 or UTF-8) and try again."
                )
                % {"encoding": chosen_encoding}
            )
        if "\x00" in text:
            raise _file_error(
                _(
                    "This is not a text file (it contains binary data). Save the table as CSV "
                    "(comma- or semicolon-separated) or as an Excel workbook (.xlsx)."
                )
            )
        text = text.lstrip("\ufeff")
        chosen_delimiter = delimiter or detect_delimiter(text)
        if delimiter and len(delimiter) != 1:
            raise ValidationError({"delimiter": [_("The delimiter must be one character.")]})
        records = _csv_records(stream_at_start(stream), chosen_encoding, chosen_delimiter)
        headers = next(records, [])
        if isinstance(headers, BadRow) or not any(h.strip() for h in headers):
            raise _file_error(_("The first row must hold the column names; it is empty."))
        sample = []
        for row in records:
            if len(sample) >= SAMPLE_ROWS:
                break
            if not isinstance(row, BadRow) and any(c.strip() for c in row):
                sample.append(list(row))
        return Detected(
            kind="csv",
            encoding=chosen_encoding,
            delimiter=chosen_delimiter,
            headers=clean_headers(headers),
            sample=sample,
        )
    finally:
        _close(path_or_file, stream)


def stream_at_start(stream: IO[bytes]) -> IO[bytes]:
    stream.seek(0)
    return stream


def iter_rows(path_or_file: Source, detected: Detected) -> Iterator[tuple[int, list[str]]]:
    """The data rows as ``(row number, cells)``, the header being row 1; blank rows are
    skipped (but counted). A row that could not be read is a :class:`BadRow`."""
    stream = _open(path_or_file)
    try:
        if detected.kind == "xlsx":
            workbook = _workbook(stream)
            try:
                for number, cells in enumerate(_xlsx_rows(workbook, detected.sheet), start=1):
                    if number > 1 and cells:
                        yield number, cells
            finally:
                workbook.close()
            return
        records = _csv_records(stream, detected.encoding, detected.delimiter)
        for number, cells in enumerate(records, start=1):
            if number == 1:
                continue
            if isinstance(cells, BadRow) or any(c.strip() for c in cells):
                yield number, cells
    finally:
        _close(path_or_file, stream)
