"""CSV and XLSX export that spreadsheets open correctly and that cannot smuggle formulas in (D2).

A cell such as ``=HYPERLINK(...)`` typed into a client's name would run as a formula when the
exported file is opened; prefixing an apostrophe makes spreadsheets show it as text (OWASP
"CSV injection"). Only *text* is escaped: numbers, amounts and dates are written as what they
are, so a negative amount stays a number (the column's type decides, not the first character).

The lossless mode (administrators only, see ``accord.core.lists.export_list``) writes text
exactly as stored. Even then an XLSX text cell is always a string cell, never a formula.

Both writers stream: CSV row by row, XLSX through openpyxl's write-only workbook, so memory
does not grow with the number of rows.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import io
import itertools
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import IO, Any

from django.http import StreamingHttpResponse
from django.utils import timezone

# Characters that make a spreadsheet read a cell as a formula (or split it), with the
# full-width forms that some spreadsheets normalise to their ASCII twins.
FORMULA_PREFIXES = (
    "=",
    "+",
    "-",
    "@",
    "\t",
    "\r",
    "\n",
    "\uff1d",  # ＝
    "\uff0b",  # ＋
    "\uff0d",  # －
    "\uff20",  # ＠
)
BOM = "\ufeff"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")
XLSX_MAX_CELL = 32_767  # Excel refuses longer cells; such text is cut (see the user guide)
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
NUMBER_FORMAT = "#,##0.00"


_TRIGGERS = frozenset(FORMULA_PREFIXES)


def is_formula_like(text: str) -> bool:
    """True when a spreadsheet could run ``text`` as a formula: it starts with a trigger
    character, or with whitespace followed by one (`` =1+1`` is a formula to some)."""
    if not text:
        return False
    first = text[0]
    if first in _TRIGGERS:
        return True
    if not first.isspace():
        return False
    stripped = text.lstrip()
    return bool(stripped) and stripped[0] in _TRIGGERS


def escape_text(text: str) -> str:
    return "'" + text if is_formula_like(text) else text


def _local(value: datetime.datetime, tz: Any = None) -> datetime.datetime:
    """In the current time zone (``tz``: that zone, looked up once per export by the caller)."""
    if value.tzinfo is None:
        return value
    return value.astimezone(tz or timezone.get_current_timezone())


def text_of(value: Any, tz: Any = None) -> str:
    """A non-number value as plain text (lists joined, datetimes in local time)."""
    if isinstance(value, datetime.datetime):
        return _local(value, tz).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def csv_cell(value: Any, *, lossless: bool = False, tz: Any = None) -> str:
    """One value as CSV text: numbers and dates as they are, text escaped unless lossless."""
    if type(value) is str:  # the common case first: exports are mostly text
        return value if lossless or not is_formula_like(value) else "'" + value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if is_number(value):
        return str(value)
    if isinstance(value, datetime.date):
        return text_of(value, tz)
    text = text_of(value, tz)
    return text if lossless else escape_text(text)


def safe_cell(value: Any) -> str:
    """A value as CSV text; text that a spreadsheet would run as a formula gets a ``'``."""
    return csv_cell(value)


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_stream(rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield BOM
    for row in rows:
        yield writer.writerow(row)


def _attachment(response: StreamingHttpResponse, filename: str) -> StreamingHttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def csv_response(rows: Iterable[Sequence[Any]], filename: str) -> StreamingHttpResponse:
    """Stream UTF-8 CSV with a byte-order mark (so Excel reads Cyrillic) and ',' separators."""
    return _attachment(
        StreamingHttpResponse(csv_stream(rows), content_type=CSV_CONTENT_TYPE), filename
    )


# The first characters after which a text cell needs a closer look (a trigger, or whitespace
# that a trigger may follow); any other first character means plain text.
_SUSPECT_FIRST = _TRIGGERS | frozenset(
    " \x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2001\u2002"
    "\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028"
    "\u2029\u202f\u205f\u3000"
)


def csv_rows(rows: Iterable[Sequence[Any]], *, lossless: bool = False) -> Iterator[list[str]]:
    """Typed rows (the first one the header) as CSV text rows: the same text as ``csv_cell``,
    with the common cells (text, local date-times) done inline."""
    tz = timezone.get_current_timezone()
    suspect = _SUSPECT_FIRST
    str_type, datetime_type = str, datetime.datetime
    for row in rows:
        out: list[str] = []
        append = out.append
        for value in row:
            kind = type(value)
            if kind is str_type:
                if lossless or not value or value[0] not in suspect:
                    append(value)
                else:
                    append("'" + value if is_formula_like(value) else value)
            elif kind is datetime_type and value.tzinfo is not None:
                append(value.astimezone(tz).strftime("%Y-%m-%d %H:%M"))
            elif value is None:
                append("")
            else:
                append(csv_cell(value, lossless=lossless, tz=tz))
        yield out


def write_csv(rows: Iterable[Sequence[Any]], target: IO[str], *, lossless: bool = False) -> int:
    """Write typed rows (header first) to a text file; returns the number of data rows."""
    target.write(BOM)
    counter = itertools.count()
    # zip() takes a row, then counts it: after the last row the counter holds the row count.
    csv.writer(target).writerows(
        row for row, _ in zip(csv_rows(rows, lossless=lossless), counter, strict=False)
    )
    return max(next(counter) - 1, 0)


# --- XLSX ---------------------------------------------------------------------------------


def _xlsx_cell(sheet: Any, value: Any, *, lossless: bool, tz: Any = None) -> Any:
    """One value as what ``sheet.append`` takes (a fresh cell when it needs a format)."""
    return _XlsxCells(sheet, lossless=lossless, tz=tz).cell(0, value)


class _XlsxCells:
    """Typed values as write-only cells. A formatted cell (date, date-time, amount) is made
    once per column and kind and reused row after row: openpyxl writes a row out as soon as it
    is appended and starts a new cell of its own after a styled one, so the next row may reset
    the value. Text and whole numbers are passed as they are (openpyxl reuses one cell)."""

    def __init__(self, sheet: Any, *, lossless: bool, tz: Any = None) -> None:
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        self.sheet = sheet
        self.lossless = lossless
        self.tz = tz or timezone.get_current_timezone()
        self.new_cell = WriteOnlyCell
        self.illegal = ILLEGAL_CHARACTERS_RE.search
        self.remove_illegal = ILLEGAL_CHARACTERS_RE.sub
        self.formatted: dict[tuple[int, str], Any] = {}

    def _formatted(self, column: int, number_format: str) -> Any:
        cell = self.formatted.get((column, number_format))
        if cell is None:
            cell = self.new_cell(self.sheet, value=None)
            cell.number_format = number_format
            self.formatted[(column, number_format)] = cell
        return cell

    def row(self, values: Sequence[Any]) -> list[Any]:
        cell = self.cell
        return [cell(column, value) for column, value in enumerate(values)]

    def cell(self, column: int, value: Any) -> Any:
        kind = type(value)
        if kind is str:
            text = value
        elif value is None or kind is int or kind is bool:
            return value
        elif kind is datetime.datetime:
            cell = self._formatted(column, DATETIME_FORMAT)
            cell._value = _local(value, self.tz).replace(tzinfo=None)
            cell.data_type = "d"
            return cell
        elif is_number(value):
            if isinstance(value, int):
                return value
            cell = self._formatted(column, NUMBER_FORMAT)
            cell._value = value
            cell.data_type = "n"
            return cell
        elif isinstance(value, datetime.datetime):
            cell = self._formatted(column, DATETIME_FORMAT)
            cell._value = _local(value, self.tz).replace(tzinfo=None)
            cell.data_type = "d"
            return cell
        elif isinstance(value, datetime.date):
            cell = self._formatted(column, DATE_FORMAT)
            cell._value = value
            cell.data_type = "d"
            return cell
        else:
            text = text_of(value)
        if self.illegal(text):
            text = self.remove_illegal("", text)
        if not self.lossless:
            text = escape_text(text)
        text = text[:XLSX_MAX_CELL]
        if not text.startswith(("=", "#")):
            return text  # a plain value: openpyxl writes it as a string (and reuses one cell)
        cell = self.new_cell(self.sheet, value=None)
        # Set the value and type by hand: openpyxl turns text starting with "=" into a formula
        # and "#N/A" and the like into errors. A string cell is an inline string, never evaluated.
        cell._value = text
        cell.data_type = "s"
        return cell


def write_xlsx(
    rows: Iterable[Sequence[Any]], target: IO[bytes], *, title: str = "", lossless: bool = False
) -> int:
    """Write typed rows (header first) as a one-sheet workbook, streaming; returns the number
    of data rows."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_sheet_title(title))
    sheet.freeze_panes = "A2"
    count = -1
    bold = Font(bold=True)
    cells = _XlsxCells(sheet, lossless=lossless, tz=timezone.get_current_timezone())
    append, convert = sheet.append, cells.row
    try:
        for count, row in enumerate(rows):
            if count == 0:
                header = []
                for value in row:
                    cell = WriteOnlyCell(sheet, value=None)
                    cell._value, cell.data_type, cell.font = str(value), "s", bold
                    header.append(cell)
                append(header)
                continue
            append(convert(row))
    except BaseException:
        # Cancelled or failed half-way: remove the sheet's temporary file now (openpyxl would
        # only do it when the worker process exits).
        writer = getattr(sheet, "_writer", None)
        if writer is not None:
            with contextlib.suppress(Exception):
                if getattr(sheet, "_rows", None) is not None:
                    sheet._rows.close()
                writer.close()
                writer.cleanup()
        raise
    workbook.save(target)
    return max(count, 0)


def _sheet_title(title: str) -> str:
    cleaned = "".join(ch for ch in title if ch not in "[]:*?/\\")[:31]
    return cleaned or "Export"


def xlsx_bytes(rows: Iterable[Sequence[Any]], *, title: str = "", lossless: bool = False) -> bytes:
    buffer = io.BytesIO()
    write_xlsx(rows, buffer, title=title, lossless=lossless)
    return buffer.getvalue()
