"""The report as a PDF (WeasyPrint, DejaVu, A4 landscape): the figures of the page and the XLSX, every row
and column, read back from the PDF's text; a closed period's stored figures; who may download it; and a
format the report does not have refused with a 400 instead of passing for the page."""
from __future__ import annotations

import re
from collections import Counter
from io import BytesIO

import pytest
from flask import g
from pypdf import PdfReader

from feedback_app.reports.exports import FORM_COLUMNS, TITLE, header_rows
from feedback_app.reports.periods import parse_period
from feedback_app.reports.queries import build_report

from report_seed import PERIOD, _at, seed_quarter
from test_dashboard import login
from test_letters import pdf_text
from test_report_close import _move_to_another_unit
from test_reports import _expected_row

URL = f"/van-phong/bao-cao?period={PERIOD}"
UNIT_NAMES = {"HCTH": "Phòng Hành chính - Tổng hợp", "QLKH": "Phòng Quản lý Khoa học",
              "QLCN": "Phòng Quản lý Công nghệ và Chuyên ngành", "TDC": "Chi cục Tiêu chuẩn Đo lường Chất lượng",
              "TTUD": "Trung tâm Ứng dụng và Dịch vụ KHCN", "TTTT": "Trung tâm Thông tin và Ứng dụng KHCN"}


@pytest.fixture
def quarter(app, clock, seeded):
    """The hand-counted cases of 2024-Q2 (tests/report_seed.py); the clock at 01/07/2024 09:00."""
    expected = seed_quarter(seeded)
    rows = {code: _expected_row(expected.get(code, Counter())) for code in UNIT_NAMES}
    rows["TONG"] = {k: sum(row[k] for row in rows.values()) for k in FORM_COLUMNS}
    return seeded, rows


def flat(data: bytes) -> str:
    """The PDF's text on one line: a unit's name wrapped in its cell reads as one name again."""
    return " ".join(pdf_text(data).split())


def row_figures(text: str, name: str) -> dict[str, int]:
    """The numbers printed after ``name`` in the table, one per column of the form."""
    pattern = re.escape(name).replace(r"\ ", r"\s+") + "".join(r"\s+(\d+)" for _ in FORM_COLUMNS) + r"(?!\d)"
    found = re.findall(pattern, text)
    assert len(found) == 1, (name, found)
    return dict(zip(FORM_COLUMNS, map(int, found[0])))


def test_the_report_pdf_carries_the_header_the_period_and_every_figure_of_the_table(app, quarter, client):
    users, expected = quarter
    login(client, users["office"])
    response = client.get(f"{URL}&format=pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="bao-cao-pakn-2024-Q2.pdf"'
    pages = PdfReader(BytesIO(response.data)).pages
    assert len(pages) == 1 and pages[0].mediabox.width > pages[0].mediabox.height  # every column on A4 landscape
    assert (round(pages[0].mediabox.width), round(pages[0].mediabox.height)) == (842, 595)
    text = flat(response.data)

    for line in (app.config["AGENCY_PARENT"], app.config["AGENCY_NAME"].upper(), TITLE,
                 "Kỳ báo cáo quý II năm 2024: từ ngày 15/03/2024 đến ngày 14/06/2024",
                 "Số liệu tính đến 09:00 01/07/2024"):
        assert line in text, line
    assert "SỞ KHOA HỌC VÀ CÔNG NGHỆ TỈNH QUẢNG NGÃI" in text and "BÁO CÁO KẾT QUẢ TIẾP NHẬN, XỬ LÝ" in text
    packed = "".join(text.split())  # a heading wraps in its narrow cell, word by word
    for heading in ("Đơn vị", *(cell.label for row in header_rows() for cell in row)):
        assert "".join(heading.split()) in packed, heading
    for heading in ("Số PAKN tiếp nhận", "Đã giải quyết", "Đang giải quyết", "Mức độ hài lòng", "Trực tuyến"):
        assert heading in text, heading
    assert " ".join(f"({n})" for n in range(1, len(FORM_COLUMNS) + 2)) in text  # (1) … (22): the form's numbering

    report = build_report(parse_period(PERIOD))
    assert [row.unit_code for row in report.units] == list(UNIT_NAMES)
    for row in report.units:
        assert row_figures(text, UNIT_NAMES[row.unit_code]) == expected[row.unit_code] == \
            {k: row.values[k] for k in FORM_COLUMNS}, row.unit_code
    total = row_figures(text, "Tổng cộng")
    assert total == expected["TONG"]
    assert total["received"] == 10 and total["received_online"] == 8 and total["to_handle"] == 12
    assert total["pending_overdue"] == 3 and total["answered_late"] == 1 and total["apology_letters"] == 1
    # the foot of the form as sent: dated the day it is made, drawn up and signed by hand
    foot = text[text.index("Tổng cộng"):]
    for line in (f"{app.config['AGENCY_PLACE']}, ngày 01 tháng 7 năm 2024", "NGƯỜI LẬP BIỂU",
                 app.config["AGENCY_SIGNER_TITLE"], "(Ký, ghi rõ họ tên)", "(Ký, ghi rõ họ tên và đóng dấu)"):
        assert line in foot, line


def test_the_page_offers_the_pdf_next_to_the_xlsx_and_the_csv(quarter, client):
    users, _ = quarter
    login(client, users["leader"])
    html = client.get(URL).get_data(as_text=True)
    assert f'href="/van-phong/bao-cao?period={PERIOD}&amp;format=pdf">Tải PDF</a>' in html
    assert "Ctrl+P" not in html


def test_a_closed_quarter_pdf_keeps_its_stored_figures_and_says_who_closed_them(quarter, client):
    users, expected = quarter
    _at("2024-06-17")
    login(client, users["office"])
    assert client.post("/van-phong/bao-cao/chot", data={"period": PERIOD}).status_code == 302
    _move_to_another_unit(users)  # in Q3 a case of QLKH's row goes to QLCN

    closed = flat(client.get(f"{URL}&format=pdf").data)
    assert f"Số liệu đã chốt lúc 09:00 17/06/2024 bởi {users['office'].full_name}" in closed
    assert row_figures(closed, UNIT_NAMES["QLKH"]) == expected["QLKH"]

    live = client.get(f"{URL}&format=pdf&live=1")
    assert live.headers["Content-Disposition"].endswith('bao-cao-pakn-2024-Q2-tinh-lai.pdf"')
    counted = flat(live.data)
    assert "Số liệu tính đến" in counted and "đã chốt" not in counted
    assert row_figures(counted, UNIT_NAMES["QLKH"]) != expected["QLKH"]
    assert row_figures(counted, "Tổng cộng") == row_figures(closed, "Tổng cộng")


@pytest.mark.parametrize("fmt", ["doc", "pdfx", "html5"])
def test_a_format_the_report_does_not_have_is_refused_with_a_clear_message(quarter, client, fmt):
    users, _ = quarter
    login(client, users["office"])
    response = client.get(f"{URL}&format={fmt}")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert "Định dạng tải về không hợp lệ: báo cáo chỉ tải được dạng XLSX, CSV hoặc PDF." in html
    assert 'id="report-table"' not in html and "Content-Disposition" not in response.headers
    english = client.get(f"{URL}&format={fmt}&lang=en")
    assert english.status_code == 400 and "XLSX, CSV or PDF" in english.get_data(as_text=True)


def test_the_format_is_read_whatever_its_case(quarter, client):
    users, _ = quarter
    login(client, users["office"])
    response = client.get(f"{URL}&format=PDF")
    assert response.status_code == 200 and response.mimetype == "application/pdf" and response.data[:5] == b"%PDF-"


def test_the_pdf_is_for_the_leader_the_office_and_the_admin_only(app, quarter):
    users, _ = quarter
    g.pop("_login_user", None)
    anonymous = app.test_client().get(f"{URL}&format=pdf")
    assert anonymous.status_code == 302 and "/van-phong/dang-nhap" in anonymous.headers["Location"]
    for role, status in (("QLKH", 403), ("leader", 200), ("admin", 200), ("office", 200)):
        client = app.test_client()
        login(client, users[role])
        response = client.get(f"{URL}&format=pdf")
        assert response.status_code == status, role
        assert (response.mimetype == "application/pdf") == (status == 200), role


def test_the_cli_writes_the_pdf(quarter, app, tmp_path):
    _, expected = quarter
    out = tmp_path / "q2.pdf"
    result = app.test_cli_runner().invoke(args=["report", "--period", PERIOD, "--format", "pdf", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert row_figures(flat(out.read_bytes()), "Tổng cộng") == expected["TONG"]
    refused = app.test_cli_runner().invoke(args=["report", "--period", PERIOD, "--format", "pdf"])
    assert refused.exit_code != 0 and "--out is required for --format pdf" in refused.output
