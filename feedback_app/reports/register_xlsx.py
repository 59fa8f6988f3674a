"""The PAKN register as an XLSX file (NĐ 20/2008/NĐ-CP Art 9.1c; TT 01/2018/TT-VPCP Mẫu 06: A4), for
the page's download and ``flask register export``.

openpyxl's write-only mode streams the rows to disk as they come from ``services.register.entries``,
so a year of 250,000 cases never sits in memory. The file is the official document: always in
Vietnamese, whatever language the page was read in. A citizen's text is stored as text, never as a
formula (``exports.as_text``)."""
from __future__ import annotations

from typing import IO, Callable

from flask_babel import force_locale, gettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, NamedStyle
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ..services import register
from .exports import BORDER, CENTER, agency_lines, as_text

WIDTHS = (6, 20, 16, 16, 22, 28, 22, 60, 22, 24, 13, 30, 28)
assert len(WIDTHS) == len(register.HEADINGS)
# Named styles: a cell takes one by name, instead of each cell's font, alignment and border being looked up
# (a third of the time of a large file went there)
CELL, DATE, DATE_TIME = "pakn-register", "pakn-register-date", "pakn-register-time"
STYLES = ((CELL, "General"), (DATE, "dd/mm/yyyy"), (DATE_TIME, "dd/mm/yyyy hh:mm"))


def _cell(ws, value, style: str = CELL) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value)
    cell.style = style  # first: a named style replaces the whole of the cell's style, quote prefix included
    return as_text(cell)


def _heading(ws, value, font: Font) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value)
    cell.font, cell.alignment = font, CENTER
    return cell


def _line(ws, entry: register.Entry) -> list[WriteOnlyCell]:
    # the due date stays a date (the column sorts and filters); an apology letter's promise is in the note
    due = entry.due_date
    return [_cell(ws, entry.number), _cell(ws, entry.code),
            _cell(ws, entry.received_at.replace(tzinfo=None), DATE_TIME),  # local time: Excel has no zones
            _cell(ws, entry.channel), _cell(ws, entry.sender), _cell(ws, entry.address), _cell(ws, entry.contact),
            _cell(ws, f"{entry.title}\n{entry.content}"), _cell(ws, entry.category), _cell(ws, entry.unit),
            _cell(ws, due, DATE if due is not None else CELL),
            _cell(ws, entry.result), _cell(ws, entry.note)]


def write(filters: register.Filters, out: str | IO[bytes], progress: Callable[[int], None] | None = None,
          every: int = 1000) -> int:
    """Write the register of ``filters`` to ``out`` (a path or a binary file); returns the number of lines.
    ``progress(n)`` is called after every ``every`` lines."""
    register.check(filters)  # a bad range fails before anything is written
    with force_locale("vi"):
        wb = Workbook(write_only=True)
        for name, number_format in STYLES:
            wb.add_named_style(NamedStyle(name, alignment=Alignment(vertical="top", wrap_text=True), border=BORDER,
                                          number_format=number_format))
        ws = wb.create_sheet(filters.period.label.replace("..", "-")[:31])
        last = get_column_letter(len(register.HEADINGS))
        # what the sheet's XML holds before its rows: set before the first row is written (the fit to
        # the page's width is a sheet property, written first; set after the rows it was lost)
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        for i, width in enumerate(WIDTHS, start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        header_row = 6
        ws.freeze_panes = f"A{header_row + 1}"
        ws.print_title_rows = f"{header_row}:{header_row}"  # the header on every printed page

        parent, agency = agency_lines()
        bold = Font(bold=True)
        ws.append([WriteOnlyCell(ws, parent)])
        ws.append([_heading(ws, agency, bold)])
        ws.append([])
        ws.append([_heading(ws, gettext(register.TITLE).upper(), Font(bold=True, size=13))])
        ws.append([_heading(ws, register.range_text(filters), Font(italic=True))])
        ws.merged_cells.add(f"A4:{last}4")
        ws.merged_cells.add(f"A5:{last}5")
        header = []
        for heading in register.HEADINGS:
            cell = _heading(ws, gettext(heading), bold)
            cell.border = BORDER
            header.append(cell)
        ws.append(header)

        n = 0
        for entry in register.entries(filters):
            ws.append(_line(ws, entry))
            n += 1
            if progress is not None and n % every == 0:
                progress(n)

        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0  # the columns on one page's width
        ws.oddFooter.center.text = "Trang &P/&N"  # page numbers on the printed register
        wb.save(out)
    return n
