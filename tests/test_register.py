"""The PAKN register (sổ theo dõi tiếp nhận và xử lý PAKN, NĐ 20/2008/NĐ-CP Art 9.1c): the service's
lines, the page for HCTH and the leader, its XLSX read back, and ``flask register export``."""
from __future__ import annotations

import io
import math
import re
import zipfile
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, select

from feedback_app.extensions import db
from feedback_app.models import Feedback
from feedback_app.reports.periods import Period, quarter
from feedback_app.services import register
from feedback_app.services.cases import Submission, receive
from deadline_helpers import sign_in as login
from report_seed import _answer, _at, _ev, _forward, _new

Q2 = quarter(2024, 2)  # 15/03/2024 – 14/06/2024 (the department's plan)
TODAY = "2024-06-20"


@pytest.fixture
def book(app, clock, seeded):
    """Cases around 2024-Q2, one of each result, by code; the clock ends on 20/06/2024."""
    users = seeded
    cases = {"before": _new("2024-03-14", hhmm="23:59"), "first": _new("2024-03-15", hhmm="00:00")}
    cases["refused"] = _new("2024-03-18")
    cases["transferred"] = _new("2024-03-18", channel="post")  # the same minute: after "refused" by code
    _ev(cases["refused"], "2024-03-19", "refuse", users["office"], {"reason": "complaint_or_denunciation"})
    _ev(cases["transferred"], "2024-03-20", "transfer_out", users["office"], {"agency": "Sở Y tế"})
    cases["answered"] = _new("2024-04-01", consent=False)
    _forward(cases["answered"], "2024-04-02", users, "QLKH")
    _answer(cases["answered"], "2024-04-10", users, "QLKH")
    cases["published"] = _new("2024-04-02", channel="phone")
    _forward(cases["published"], "2024-04-03", users, "TDC")
    _answer(cases["published"], "2024-04-15", users, "TDC")
    _ev(cases["published"], "2024-04-16", "publish", users["office"])
    cases["extended"] = _new("2024-04-22")
    _forward(cases["extended"], "2024-04-22", users, "QLKH")
    _ev(cases["extended"], "2024-04-25", "extend", users["QLKH"], {"reason": "Cần lấy ý kiến Sở Tài chính"})
    cases["overdue"] = _new("2024-05-02")  # never classified: its 5 working days are long gone
    cases["waiting"] = _new("2024-05-06")
    _ev(cases["waiting"], "2024-05-07", "request_info", users["office"], {"missing": "Số điện thoại"})
    cases["open"] = _new("2024-06-03")
    _forward(cases["open"], "2024-06-04", users, "TDC")
    cases["last"] = _new("2024-06-14", hhmm="23:30")
    cases["after"] = _new("2024-06-15", hhmm="00:10")
    _at(TODAY)
    return {k: c.code for k, c in cases.items()}


IN_ORDER = ["first", "refused", "transferred", "answered", "published", "extended", "overdue", "waiting", "open",
            "last"]


def lines(filters=None, **kw) -> list[register.Entry]:
    return list(register.entries(filters or register.Filters(Q2), **kw))


# --- the service ----------------------------------------------------------------------------------

def test_the_register_holds_the_cases_received_in_the_range_in_local_days_numbered_in_order(book):
    got = lines()
    # 23:59 the day before and 00:10 the day after (Asia/Ho_Chi_Minh) are out; 00:00 the first day and
    # 23:30 the last are in
    assert [e.code for e in got] == [book[k] for k in IN_ORDER]
    assert [e.number for e in got] == list(range(1, 11))
    assert got[0].received_at.strftime("%d/%m/%Y %H:%M") == "15/03/2024 00:00"
    assert got[-1].received_at.strftime("%d/%m/%Y %H:%M") == "14/06/2024 23:30"
    only_last_day = lines(register.Filters(Period(date(2024, 6, 14), date(2024, 6, 14))))
    assert [e.code for e in only_last_day] == [book["last"]]


def test_each_result_is_said_with_its_date(book):
    by_code = {e.code: e for e in lines()}
    result = {k: by_code[book[k]].result for k in IN_ORDER}
    assert result["refused"] == "Không tiếp nhận ngày 19/03/2024: Là khiếu nại, tố cáo"
    assert result["transferred"] == "Đã chuyển Sở Y tế ngày 20/03/2024"
    assert result["answered"] == "Đã trả lời ngày 10/04/2024"
    assert result["published"] == "Đã trả lời ngày 15/04/2024; đã công khai ngày 16/04/2024"
    assert result["open"] == "Đang xử lý"
    assert result["overdue"] == "Quá hạn"
    assert result["waiting"] == "Đang xử lý (Chờ bổ sung thông tin)"
    # the date the apology letter promised has passed too: late, and the note names the letter
    extended = by_code[book["extended"]]
    assert extended.result == "Quá hạn" and extended.overdue and extended.due_promised
    assert re.fullmatch(r"Phiếu xin lỗi số 001/PXL ngày 25/04/2024, hẹn lại ngày (\d\d/\d\d/2024)", extended.note)
    assert extended.note.endswith(extended.due_date.strftime("%d/%m/%Y"))
    assert not by_code[book["open"]].overdue and by_code[book["open"]].due_date > date(2024, 6, 20)
    assert by_code[book["refused"]].due_date is None


def test_each_line_has_the_citizen_the_channel_the_class_and_the_handler(book):
    by_code = {e.code: e for e in lines()}
    published = by_code[book["published"]]
    assert (published.channel, published.sender, published.address, published.contact) == (
        "Điện thoại", "Trần Thị Bình", "12 Lê Lợi, Quảng Ngãi", "0905111222 / binh@example.com")
    assert published.title == "Thủ tục cấp phép" and published.content.startswith("Đề nghị hướng dẫn")
    assert published.category == "Thủ tục hành chính về khoa học và công nghệ"
    assert published.unit == "Chi cục Tiêu chuẩn Đo lường Chất lượng"
    # its deadline is the answer's, not the publication's that follows it
    case = db.session.execute(select(Feedback).where(Feedback.code == book["published"])).scalar_one()
    assert published.due_date == case.answered_due_date and case.due_date != case.answered_due_date
    refused = by_code[book["refused"]]
    assert refused.unit == "Phòng Hành chính - Tổng hợp" and refused.category == ""  # never forwarded: HCTH


def test_the_register_filters_by_channel_and_by_unit(book):
    assert [e.code for e in lines(register.Filters(Q2, channel="post"))] == [book["transferred"]]
    assert [e.code for e in lines(register.Filters(Q2, unit="QLKH"))] == [book["answered"], book["extended"]]
    assert [e.code for e in lines(register.Filters(Q2, unit="TDC"))] == [book["published"], book["open"]]
    # HCTH: the cases no unit ever had (or got back), numbered from 1 in their own register
    hcth = lines(register.Filters(Q2, unit="HCTH"))
    assert [e.code for e in hcth] == [book[k] for k in ("first", "refused", "transferred", "overdue", "waiting", "last")]
    assert [e.number for e in hcth] == [1, 2, 3, 4, 5, 6]


def test_a_range_over_a_year_or_an_unknown_filter_is_refused(book):
    with pytest.raises(register.RegisterError) as too_long:
        lines(register.Filters(Period(date(2023, 12, 15), date(2024, 12, 15))))  # 367 days
    assert too_long.value.field == "to"
    assert len(lines(register.Filters(Period(date(2023, 12, 15), date(2024, 12, 14))))) == 12  # 366 days: a year
    for filters, field in ((register.Filters(Q2, channel="fax"), "channel"), (register.Filters(Q2, unit="XX"), "unit")):
        with pytest.raises(register.RegisterError) as refused:
            lines(filters)
        assert refused.value.field == field


def test_the_register_is_read_one_query_per_batch_even_across_cases_received_the_same_minute(app, clock, seeded):
    _at("2024-04-01")
    codes = [receive(Submission(full_name="Lê Văn Cường", address="Tổ 3, Quảng Ngãi", phone="0905123123",
                                title="Lệ phí", content="Đề nghị cho biết mức lệ phí cấp giấy phép bức xạ.")).code
             for _ in range(7)]
    statements = []

    def count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT") and re.search(r"FROM feedback\b", statement):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        got = lines(batch=3)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert [e.code for e in got] == sorted(codes) and [e.number for e in got] == list(range(1, 8))
    assert len(statements) == math.ceil(7 / 3)


# --- the page ---------------------------------------------------------------------------------------

def test_hcth_and_the_leader_see_the_register_units_and_admins_do_not(book, client, seeded):
    for role in ("office", "leader"):
        login(client, seeded[role])
        html = client.get("/van-phong/so-tiep-nhan?period=2024-Q2").get_data(as_text=True)
        assert "<caption id=\"register-caption\">Sổ theo dõi tiếp nhận và xử lý phản ánh, kiến nghị: Từ ngày 15/03/2024 đến ngày 14/06/2024" in html
        assert html.count('<th scope="col">') == 13 and 'href="/van-phong/so-tiep-nhan"' in html  # the nav link
        for name in ("period", "from", "to", "channel", "unit"):
            assert f'<label for="{name}">' in html and f'id="{name}"' in html
        assert re.findall(r'<th scope="row"><a href="/van-phong/ho-so/([^"]+)">', html) == [book[k] for k in IN_ORDER]
        assert 'value="2024-03-15"' in html and 'value="2024-06-14"' in html  # the period became its dates
    for role in ("QLKH", "admin"):
        login(client, seeded[role])
        assert client.get("/van-phong/so-tiep-nhan").status_code == 403


def test_the_page_is_paginated_like_the_office_lists(book, app, client, seeded):
    app.config["PER_PAGE"] = 4
    login(client, seeded["office"])
    html = client.get("/van-phong/so-tiep-nhan?from=2024-03-15&to=2024-06-14&page=3").get_data(as_text=True)
    assert re.findall(r'<td class="num">(\d+)</td>', html) == ["9", "10"]  # numbered across the range
    assert "Trang 3 / 3" in html and "Tổng số: 10" in html
    assert "page=2" in html and "from=2024-03-15" in html  # the previous page keeps the range
    beyond = client.get("/van-phong/so-tiep-nhan?from=2024-03-15&to=2024-06-14&unit=QLKH&page=9")
    assert beyond.status_code == 302
    assert beyond.headers["Location"] == "/van-phong/so-tiep-nhan?from=2024-03-15&to=2024-06-14&unit=QLKH"


@pytest.mark.parametrize("query, field, message", [
    ("from=2024-02-30&to=2024-03-10", "from", "Ngày không hợp lệ"),
    ("from=2024-06-14&to=2024-03-15", "to", "Ngày kết thúc phải bằng hoặc sau ngày bắt đầu."),
    ("from=2023-01-01&to=2024-06-14", "to", "Khoảng thời gian tối đa 366 ngày"),
    ("from=2024-03-15", "to", "Vui lòng nhập cả ngày bắt đầu và ngày kết thúc."),
    ("from=0001-01-01&to=0001-01-02", "from", "Ngày phải trong khoảng từ năm 1900 đến năm 9998."),
    ("from=9999-12-30&to=9999-12-31", "to", "Ngày phải trong khoảng từ năm 1900 đến năm 9998."),
    ("from=2024-03-15&to=2024-06-14%00", "to", "Ngày không hợp lệ"),
    ("period=2024-Q7", "period", "Kỳ không hợp lệ"),
    ("period=2020..2024", "period", "Kỳ không hợp lệ"),
    ("period=2022-01-01..2024-01-01", "period", "Khoảng thời gian tối đa 366 ngày"),
    ("period=2024&channel=fax", "channel", "Kênh tiếp nhận không hợp lệ."),
    ("period=2024&unit=%3Cb%3E", "unit", "Đơn vị không hợp lệ."),
    ("from=2024-03-15&to=2024-06-14&format=xlsx&unit=XX", "unit", "Đơn vị không hợp lệ."),
])
def test_a_bad_filter_is_a_400_with_the_error_at_its_field(book, client, seeded, query, field, message):
    login(client, seeded["office"])
    response = client.get(f"/van-phong/so-tiep-nhan?{query}")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    error = re.search(rf'<div class="field-error" id="{field}-error" role="alert"><p>([^<]+)</p>', html)
    assert error and error.group(1).startswith(message)
    assert f'aria-describedby="{field}-hint {field}-error"' in html or f'aria-describedby="{field}-error"' in html
    assert 'id="register-table"' not in html


def test_a_script_in_a_citizens_name_comes_back_as_text(app, client, clock, seeded):
    receive(Submission(full_name='<script>alert("x")</script>', address="<b>Số 1</b> Lê Lợi", phone="0905123456",
                       title="<img src=x onerror=alert(1)>", content="Đề nghị cho biết thủ tục cấp phép bức xạ."))
    login(client, seeded["office"])
    html = client.get("/van-phong/so-tiep-nhan").get_data(as_text=True)  # the current quarter
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html and "<script>alert" not in html
    assert "&lt;b&gt;Số 1&lt;/b&gt;" in html and "<img src=x" not in html


def test_the_page_speaks_english_on_request(book, client, seeded):
    login(client, seeded["office"])
    html = client.get("/van-phong/so-tiep-nhan?period=2024-Q2&lang=en").get_data(as_text=True)
    assert "Register of received feedback" in html and "Refused on 19/03/2024: It is a complaint or a denunciation" in html


# --- the file ---------------------------------------------------------------------------------------

def _sheet(data: bytes):
    return load_workbook(io.BytesIO(data)).active


def test_the_xlsx_holds_the_whole_range_under_the_title_and_a_header(book, client, seeded, app):
    app.config["PER_PAGE"] = 4  # the file is not the page
    login(client, seeded["leader"])
    response = client.get("/van-phong/so-tiep-nhan?from=2024-03-15&to=2024-06-14&format=xlsx")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == "attachment; filename=so-tiep-nhan-pakn-2024-Q2.xlsx"
    ws = _sheet(response.data)
    assert (ws["A1"].value, ws["A2"].value) == ("UBND TỈNH QUẢNG NGÃI", "SỞ KHOA HỌC VÀ CÔNG NGHỆ TỈNH QUẢNG NGÃI")
    assert ws["A4"].value == "SỔ THEO DÕI TIẾP NHẬN VÀ XỬ LÝ PHẢN ÁNH, KIẾN NGHỊ"
    assert ws["A5"].value == "Từ ngày 15/03/2024 đến ngày 14/06/2024 (kỳ báo cáo 2024-Q2)"
    assert [c.value for c in ws[6]] == ["STT", "Mã số", "Ngày giờ tiếp nhận", "Kênh tiếp nhận", "Người gửi", "Địa chỉ",
                                        "Điện thoại / thư điện tử", "Tiêu đề và tóm tắt nội dung", "Phân loại",
                                        "Đơn vị xử lý", "Hạn xử lý", "Kết quả", "Ghi chú"]
    rows = list(ws.iter_rows(min_row=7, values_only=True))
    assert [r[1] for r in rows] == [book[k] for k in IN_ORDER] and [r[0] for r in rows] == list(range(1, 11))
    last = rows[-1]
    assert last[2].strftime("%d/%m/%Y %H:%M") == "14/06/2024 23:30"  # local time
    assert rows[1][11] == "Không tiếp nhận ngày 19/03/2024: Là khiếu nại, tố cáo"
    # the promised date stays a date (the column sorts); the note names the letter that promised it
    assert rows[5][10].strftime("%d/%m/%Y") in rows[5][12] and rows[5][12].startswith("Phiếu xin lỗi số 001/PXL")
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == int(ws.PAPERSIZE_A4)
    assert ws.print_title_rows == "$6:$6"
    # printed: every column on the page's width, and numbered pages
    assert ws.sheet_properties.pageSetUpPr.fitToPage and (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
    assert ws.oddFooter.center.text == "Trang &P/&N"


def test_a_citizens_text_that_looks_like_a_formula_stays_text_in_the_file(app, client, clock, seeded):
    risky = {"full_name": '=HYPERLINK("http://evil.example","Bấm")', "address": "@SUM(1+1)*cmd|' /C calc'!A0",
             "phone": "+84905123456", "title": "-2+3 là tiêu đề", "email": None}
    receive(Submission(**risky, content="Đề nghị cho biết thủ tục cấp phép bức xạ."))
    second = receive(Submission(full_name="Lê Thị Hoa", address="Số 3 Lê Lợi", phone="0905123456", title="=1/0",
                                content="Đề nghị cho biết thủ tục cấp phép bức xạ."))
    # the portal strips what a citizen types; a case stored otherwise (an import, an older version) may
    # still start with a tab or a carriage return
    second.submitter_name, second.address = "\t=1+1", "\r=2+2"
    db.session.commit()
    login(client, seeded["office"])
    data = client.get("/van-phong/so-tiep-nhan?format=xlsx").data
    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml  # no formula anywhere
    ws = _sheet(data)
    first, second = ws[7], ws[8]
    cells = {"sender": first[4], "address": first[5], "contact": first[6], "title": first[7],
             "tab": second[4], "cr": second[5], "formula title": second[7]}
    assert cells["sender"].value == risky["full_name"]
    assert cells["address"].value == risky["address"]
    assert cells["contact"].value == "+84905123456"
    assert cells["title"].value.startswith("-2+3 là tiêu đề\n")
    assert cells["tab"].value == "\t=1+1"
    assert cells["cr"].value.endswith("=2+2")  # XML keeps a carriage return as a line break
    assert cells["formula title"].value.startswith("=1/0\n")
    for name, cell in cells.items():
        assert cell.data_type == "s", name
        assert cell.quotePrefix, name  # Excel keeps it text when the cell is edited


def test_a_range_too_large_for_the_page_is_sent_to_the_command(book, app, client, seeded):
    app.config["REGISTER_DOWNLOAD_MAX_ROWS"] = 9
    login(client, seeded["office"])
    page = client.get("/van-phong/so-tiep-nhan?period=2024-Q2").get_data(as_text=True)
    assert "format=xlsx" not in page and "flask register export" in page
    response = client.get("/van-phong/so-tiep-nhan?period=2024-Q2&format=xlsx")
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert 'role="alert"' in response.get_data(as_text=True)
    assert client.get("/van-phong/so-tiep-nhan?period=2024-Q2&format=xlsx&unit=QLKH").mimetype.endswith(".sheet")


@pytest.mark.parametrize("fmt", ["pdf", "csv", "xls"])
def test_a_download_format_the_register_does_not_have_is_refused_not_answered_with_the_page(
        book, client, seeded, fmt):
    login(client, seeded["office"])
    response = client.get(f"/van-phong/so-tiep-nhan?period=2024-Q2&format={fmt}")
    assert response.status_code == 400 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "sổ tiếp nhận chỉ tải được dạng XLSX" in page and "<table" not in page
    assert client.get("/van-phong/so-tiep-nhan?period=2024-Q2&format=XLSX").mimetype.endswith(".sheet")


# --- the command ------------------------------------------------------------------------------------

def test_the_command_writes_the_file_with_progress_on_stderr(book, app, tmp_path):
    out = tmp_path / "so.xlsx"
    result = app.test_cli_runner().invoke(args=["register", "export", "--from", "2024-03-15", "--to", "2024-06-14",
                                                "--out", str(out), "--every", "4"])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == ["15/03/2024 – 14/06/2024: 10 dòng", "4/10 dòng", "8/10 dòng",
                                          f"Đã ghi 10 dòng vào {out}"]
    ws = _sheet(out.read_bytes())
    assert ws["A5"].value.endswith("(kỳ báo cáo 2024-Q2)")
    assert [r[1] for r in ws.iter_rows(min_row=7, values_only=True)] == [book[k] for k in IN_ORDER]
    by_period = tmp_path / "q2-qlkh.xlsx"
    result = app.test_cli_runner().invoke(args=["register", "export", "--period", "2024-Q2", "--unit", "qlkh",
                                                "--out", str(by_period)])  # the unit's code in any case
    assert result.exit_code == 0, result.output
    assert [r[1] for r in _sheet(by_period.read_bytes()).iter_rows(min_row=7, values_only=True)] == [
        book["answered"], book["extended"]]


@pytest.mark.parametrize("args, message", [
    (["--from", "2024-02-30", "--to", "2024-03-10"], "--from: ngày không hợp lệ '2024-02-30'"),
    (["--from", "15/03/2024", "--to", "2024-03-10"], "--from: ngày không hợp lệ"),
    (["--from", "2024-06-14", "--to", "2024-03-15"], "--from 14/06/2024 sau --to 15/03/2024"),
    (["--from", "2023-01-01", "--to", "2024-06-14"], "Khoảng thời gian tối đa 366 ngày"),
    (["--from", "0001-01-01", "--to", "0001-01-31"], "Ngày phải trong khoảng từ năm 1900 đến năm 9998"),
    (["--from", "9999-12-01", "--to", "9999-12-31"], "Ngày phải trong khoảng từ năm 1900 đến năm 9998"),
    (["--period", "2024-Q5"], "Kỳ báo cáo không hợp lệ '2024-Q5': nhập năm (2024), quý (2024-Q2, quý 1 đến 4)"),
    (["--period", "2024-Q2", "--from", "2024-03-15"], "dùng --period hoặc --from và --to"),
    (["--from", "2024-03-15"], "cần --from và --to"),
])
def test_the_command_refuses_bad_dates_clearly(app, tmp_path, args, message):
    out = tmp_path / "so.xlsx"
    result = app.test_cli_runner().invoke(args=["register", "export", *args, "--out", str(out)])
    assert result.exit_code in (1, 2) and isinstance(result.exception, SystemExit)  # no traceback
    assert message in result.output and "Traceback" not in result.output
    assert "must be" not in result.output  # Vietnamese, not the period parser's English
    assert not out.exists() and not list(tmp_path.glob("*.part"))


def test_an_answer_returned_for_revision_is_answered_in_the_register(app, clock, seeded):
    """The citizen holds the answer sent (QĐ 31/2021 Art 46 returns it before publication only): the
    register says so, with the answer's due date, and never counts the unit's revision date as late."""
    case = _new("2024-04-01")
    _forward(case, "2024-04-02", seeded, "QLKH")
    _answer(case, "2024-04-10", seeded, "QLKH")
    _ev(case, "2024-04-11", "return_answer", seeded["office"], {"reason": "Chưa nêu căn cứ pháp lý."})
    _at("2024-06-20")  # long past the revision's 5 working days
    (entry,) = lines()
    assert entry.result == "Đã trả lời ngày 10/04/2024; đang hoàn thiện trước khi công khai"
    assert not entry.overdue and entry.due_date == db.session.get(Feedback, case.id).answered_due_date


def test_the_command_refuses_a_folder_that_does_not_exist_in_one_line(app, tmp_path):
    out = tmp_path / "khong-co" / "so.xlsx"
    result = app.test_cli_runner().invoke(args=["register", "export", "--period", "2024-Q2", "--out", str(out)])
    assert result.exit_code == 1 and "Không có thư mục" in result.output and "Traceback" not in result.output


def test_the_command_writes_the_register_only_under_an_xlsx_name(app, tmp_path):
    out = tmp_path / "so.csv"  # an XLSX named .csv opens as garbage in a spreadsheet
    result = app.test_cli_runner().invoke(args=["register", "export", "--period", "2024-Q2", "--out", str(out)])
    assert result.exit_code == 1 and "sổ được ghi dạng XLSX" in result.output and not out.exists()
