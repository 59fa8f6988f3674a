"""The report as files: XLSX laid out like the paper form (Biểu 06 TT 01/2020/TT-VPCP columns,
merged header cells, numbers stored as numbers), the same sheet as a PDF (A4 landscape), CSV, and JSON.
The HTML page and the PDF use the same header layout (``header_rows``), rendered by
``templates/office/report.html`` and ``templates/letters/report.html``."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from flask import current_app, render_template
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from workflows.clock import CLOCK
from workflows.lifecycle import N_

from ..pdf import font_dir, html_to_pdf, in_fonts
from .queries import COLUMNS, Report

# The form's header: (label, column) leaves or (label, [children]) groups; three rows deep. The sheet sent
# to the province is in Vietnamese; the page translates the labels (msgids).
FORM: list = [
    (N_("Số PAKN tiếp nhận"), [
        (N_("Tổng số"), "to_handle"),
        (N_("Kỳ trước chuyển sang"), "carried_over"),
        (N_("Mới tiếp nhận trong kỳ"), [(N_("Tổng"), "received"), (N_("Trực tuyến"), "received_online"),
                                        (N_("Kênh khác"), "received_other")]),
        (N_("Trong đó về hành vi hành chính"), "about_behaviour"),
    ]),
    (N_("Không tiếp nhận"), "refused"),
    (N_("Chuyển cơ quan có thẩm quyền"), "transferred"),
    (N_("Đã giải quyết"), [(N_("Tổng số"), "answered"), (N_("Trước hạn"), "answered_early"),
                           (N_("Đúng hạn"), "answered_on_time"), (N_("Quá hạn"), "answered_late")]),
    (N_("Đang giải quyết"), [(N_("Tổng số"), "pending"), (N_("Trong hạn"), "pending_on_time"),
                             (N_("Quá hạn"), "pending_overdue")]),
    (N_("Phiếu xin lỗi"), "apology_letters"),
    (N_("Đã công khai"), "published"),
    (N_("Mức độ hài lòng"), [(N_("Số đánh giá"), "rated"), (N_("Rất hài lòng"), "very_satisfied"),
                             (N_("Hài lòng"), "satisfied"), (N_("Không hài lòng"), "not_satisfied")]),
]
DEPTH = 3
TITLE = N_("BÁO CÁO KẾT QUẢ TIẾP NHẬN, XỬ LÝ PHẢN ÁNH, KIẾN NGHỊ")
# The period as a report names it ("quý II năm 2024", Roman numerals as in the department's own reports),
# then its days; a range of days has only those.
PERIOD_LINE = N_("Kỳ báo cáo %(name)s: từ ngày %(start)s đến ngày %(end)s")
RANGE_LINE = N_("Kỳ báo cáo từ ngày %(start)s đến ngày %(end)s")
THIN = Side(style="thin")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
# Text a spreadsheet would read as a formula when typed (OWASP "CSV injection"); openpyxl itself writes a
# string starting with "=" as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CELL_MAX = 32767  # characters in one cell (Excel's limit)


def looks_like_formula(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def as_text(cell):
    """``cell`` holding a text that someone else wrote (a citizen, a unit's name) stored as text, never as
    a formula: the string type, and Excel's quote prefix so that editing the cell keeps it text. Characters
    XML cannot hold are dropped, and the text is cut at a cell's limit."""
    if isinstance(cell.value, str):
        text = ILLEGAL_CHARACTERS_RE.sub("", cell.value)
        cell.value = text if len(text) <= CELL_MAX else text[:CELL_MAX - 1] + "…"
        if looks_like_formula(text):
            cell.data_type = "s"
            cell.quotePrefix = True
    return cell


def csv_cell(value):
    """A value of every CSV the app writes: a CSV has no cell types, so a text a spreadsheet would read as
    a formula gets the apostrophe it shows as text (OWASP "CSV injection"); a number stays a number, a
    negative one too."""
    return "'" + value if looks_like_formula(value) else value


def agency_lines() -> tuple[str, str]:
    """The heading of the department's documents: the parent authority and the agency, in capitals."""
    agency = current_app.config
    return agency["AGENCY_PARENT"], agency["AGENCY_NAME"].upper()


@dataclass(frozen=True)
class Signatures:
    """The foot of the form as sent: the place and date, who drew it up and who signs for the department,
    each with the line the hand fills in (the XLSX and the PDF alike)."""
    dated: str  # "Quảng Ngãi, ngày 17 tháng 6 năm 2024"
    left: tuple[str, str] = ("NGƯỜI LẬP BIỂU", "(Ký, ghi rõ họ tên)")
    right: tuple[str, str] = ("", "(Ký, ghi rõ họ tên và đóng dấu)")


def signatures() -> Signatures:
    """Dated the day the file is made, the day it is signed and sent (NĐ 30/2020/NĐ-CP, Phụ lục I)."""
    from ..letters import vn_date
    config = current_app.config
    return Signatures(f"{config.get('AGENCY_PLACE', '')}, {vn_date(CLOCK.today())}".lstrip(", "),
                      right=(config["AGENCY_SIGNER_TITLE"], Signatures.right[1]))


@dataclass(frozen=True)
class HeaderCell:
    label: str
    row: int  # 0-based header row
    col: int  # 0-based data column (after the unit column)
    rowspan: int
    colspan: int


def _leaves(node) -> list[str]:
    label, content = node
    return [content] if isinstance(content, str) else [k for child in content for k in _leaves(child)]


FORM_COLUMNS: list[str] = [k for node in FORM for k in _leaves(node)]
assert sorted(FORM_COLUMNS) == sorted(COLUMNS), "the form shows every column once"


def header_rows() -> list[list[HeaderCell]]:
    """The header cells, row by row, with their spans (for the HTML table and the sheet)."""
    rows: list[list[HeaderCell]] = [[] for _ in range(DEPTH)]

    def place(nodes, depth: int, col: int) -> int:
        for node in nodes:
            label, content = node
            width = len(_leaves(node))
            leaf = isinstance(content, str)
            rows[depth].append(HeaderCell(label, depth, col, DEPTH - depth if leaf else 1, width))
            if not leaf:
                place(content, depth + 1, col)
            col += width
        return col

    place(FORM, 0, 0)
    return rows


def period_text(report: Report, translate=lambda text: text) -> str:
    """The line under the title: in Vietnamese on the sheet, through ``translate`` (gettext) on the page."""
    p = report.period
    days = {"start": f"{p.start:%d/%m/%Y}", "end": f"{p.end:%d/%m/%Y}"}
    if p.named is None:  # a range of days
        return translate(RANGE_LINE) % days
    return translate(PERIOD_LINE) % {"name": p.title(translate), **days}


def to_xlsx(report: Report, status: str | None = None) -> bytes:
    """The official layout; ``status`` (the line under the period) says whether these are a closed
    period's stored figures or figures counted at a given time."""
    wb = Workbook()
    ws = wb.active
    ws.title = report.period.label[:31].replace("..", "-")
    last_col = len(FORM_COLUMNS) + 1
    bold, border, center = Font(bold=True), BORDER, CENTER

    ws["A1"], ws["A2"] = agency_lines()
    ws["A1"].font = ws["A2"].font = bold
    ws.merge_cells(start_row=4, start_column=1, end_row=4, end_column=last_col)
    ws.cell(4, 1, TITLE).font = Font(bold=True, size=13)
    ws.cell(4, 1).alignment = center
    ws.merge_cells(start_row=5, start_column=1, end_row=5, end_column=last_col)
    ws.cell(5, 1, period_text(report)).alignment = center
    if status:
        ws.merge_cells(start_row=6, start_column=1, end_row=6, end_column=last_col)
        ws.cell(6, 1, status).alignment = center

    top = 7
    ws.merge_cells(start_row=top, start_column=1, end_row=top + DEPTH - 1, end_column=1)
    ws.cell(top, 1, "Đơn vị")
    for row in header_rows():
        for cell in row:
            r, c = top + cell.row, 2 + cell.col
            ws.cell(r, c, cell.label)
            if cell.rowspan > 1 or cell.colspan > 1:
                ws.merge_cells(start_row=r, start_column=c, end_row=r + cell.rowspan - 1,
                               end_column=c + cell.colspan - 1)
    for r in range(top, top + DEPTH):
        for c in range(1, last_col + 1):
            ws.cell(r, c).font, ws.cell(r, c).alignment, ws.cell(r, c).border = bold, center, border
    # the column numbers row of official forms: (1), (2) ...
    numbers_row = top + DEPTH
    for c in range(1, last_col + 1):
        ws.cell(numbers_row, c, f"({c})").alignment = center
        ws.cell(numbers_row, c).border = border

    r = numbers_row + 1
    for row in [*report.units, report.total]:
        as_text(ws.cell(r, 1, row.unit_name)).border = border
        for i, key in enumerate(FORM_COLUMNS):
            value = row.values[key]  # None: a column the form gained after the period was closed
            cell = ws.cell(r, 2 + i, int(value) if value is not None else None)
            cell.border, cell.alignment = border, Alignment(horizontal="right")
        if row is report.total:
            for c in range(1, last_col + 1):
                ws.cell(r, c).font = bold
        r += 1
    # the foot of the form, a row apart from the table: the date over the signer's column, then who signs
    foot, signer = signatures(), max(2, last_col - 6)
    lines = [("", foot.dated), (foot.left[0], foot.right[0]), (foot.left[1], foot.right[1])]
    for row, (left, right) in enumerate(lines, start=r + 1):
        ws.merge_cells(start_row=row, start_column=signer, end_row=row, end_column=last_col)
        for column, text in ((1, left), (signer, right)):
            cell = ws.cell(row, column, text)
            cell.alignment, cell.font = Alignment(horizontal="center"), Font(bold=row == r + 2, italic=row != r + 2)
    ws.column_dimensions["A"].width = 42
    for c in range(2, last_col + 1):
        ws.column_dimensions[get_column_letter(c)].width = 11
    for rr in range(top, top + DEPTH):
        ws.row_dimensions[rr].height = 32
    ws.freeze_panes = ws.cell(numbers_row + 1, 2)
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def to_pdf(report: Report, status: str | None = None) -> bytes:
    """The sheet of ``to_xlsx`` as a PDF on A4 landscape (its 22 columns do not fit a portrait page), in
    Vietnamese like the XLSX: the header, title, period and ``status`` lines, every row and column."""
    folder = font_dir()
    parent, name = agency_lines()
    rows = [{"name": in_fonts(row.unit_name, folder), "cells": [row.values[k] for k in FORM_COLUMNS],
             "total": row is report.total} for row in [*report.units, report.total]]
    html = render_template("letters/report.html", font_dir=folder, agency_parent=in_fonts(parent, folder),
                           agency_name=in_fonts(name, folder), title=TITLE, label=report.period.label,
                           period_line=period_text(report), status=in_fonts(status, folder),
                           header=header_rows(), width=len(FORM_COLUMNS), rows=rows,
                           signatures=signatures())
    return html_to_pdf(html)


def to_csv(report: Report, closed_at: datetime | None = None) -> str:
    """One line per unit and a last line ``TONG``; UTF-8 with BOM so that Excel reads the accents.
    ``closed_at``: when the figures were closed (a closed period's stored figures), in the last column
    of each line; empty for figures counted now (the XLSX and PDF say the same in their status line)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["period_from", "period_to", "unit", "unit_name", *COLUMNS, "closed_at"])
    p = report.period
    closed = closed_at.isoformat() if closed_at else ""
    for row in [*report.units, report.total]:
        writer.writerow(map(csv_cell, [p.start.isoformat(), p.end.isoformat(), row.unit_code, row.unit_name,
                                       *(row.values[k] for k in COLUMNS), closed]))
    return "\ufeff" + out.getvalue()


def to_json(report: Report) -> dict:
    return report.as_dict()
