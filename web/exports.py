"""Spreadsheet exports (CSV and XLSX) that are safe to open in Excel or LibreOffice.

A cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return) would run as a
formula when a person opens the file; :func:`neutralise` prefixes such text with a quote, so it
shows as typed. Numbers, dates and booleans pass through as values. Callers decide what goes in:
hidden reporter identities must never be among the columns (see the SLA-breach audit).
"""

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from flask import Response
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Excel's limit for a sheet title, and the characters it refuses in one.
SHEET_TITLE_MAX = 31
SHEET_TITLE_FORBIDDEN = set("[]:*?/\\")


@dataclass(frozen=True)
class Sheet:
    """One table of an export: a title, the column headings and the rows."""

    title: str
    header: Sequence[str]
    rows: Iterable[Sequence]


def neutralise(value):
    """Return ``value`` safe for a spreadsheet cell: text that looks like a formula gets a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """Return a UTF-8 CSV (with a BOM, so Excel reads Indonesian text right) of ``header`` and ``rows``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(cell) for cell in header])
    for row in rows:
        writer.writerow([_csv_cell(cell) for cell in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_bytes(sheets: Sequence[Sheet]) -> bytes:
    """Return an XLSX workbook with one worksheet per :class:`Sheet`; headings bold, first row frozen."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for sheet in sheets:
        worksheet = workbook.create_sheet(_sheet_title(sheet.title))
        worksheet.append([neutralise(cell) for cell in sheet.header])
        for cell in worksheet[1]:
            cell.font = Font(bold=True)
        widths = [len(str(cell)) for cell in sheet.header]
        for row in sheet.rows:
            values = [_xlsx_cell(cell) for cell in row]
            worksheet.append(values)
            widths = [max(w, len(str(v)) if v is not None else 0) for w, v in zip(widths, values, strict=False)]
        worksheet.freeze_panes = "A2"
        for index, width in enumerate(widths, start=1):
            worksheet.column_dimensions[get_column_letter(index)].width = min(60, max(8, width + 2))
    if not workbook.worksheets:
        workbook.create_sheet("data")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence]) -> Response:
    """Return a download of a CSV file named ``filename``."""
    return _download(csv_bytes(header, rows), "text/csv; charset=utf-8", filename)


def xlsx_response(filename: str, sheets: Sequence[Sheet]) -> Response:
    """Return a download of an XLSX workbook named ``filename``."""
    return _download(xlsx_bytes(sheets), XLSX_TYPE, filename)


def _download(body: bytes, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ya" if value else "tidak"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return neutralise(value)


def _xlsx_cell(value):
    if isinstance(value, datetime) and value.tzinfo is not None:
        # Excel has no time zones: write the wall-clock time the value carries (callers pass local times).
        return value.replace(tzinfo=None)
    return neutralise(value)


def _sheet_title(title: str) -> str:
    cleaned = "".join("_" if ch in SHEET_TITLE_FORBIDDEN else ch for ch in title).strip() or "data"
    return cleaned[:SHEET_TITLE_MAX]
