"""The leader's and HCTH's dashboard (SVG charts, overdue list with days late) and the report page
with its period picker and downloads."""
from __future__ import annotations

import csv
import io
from datetime import date
import re

import pytest
from flask import g
from openpyxl import load_workbook

from feedback_app.extensions import db
from feedback_app.reports.exports import csv_cell

from report_seed import seed_quarter


def login(client, user):
    g.pop("_login_user", None)  # the test's app context, and so g, outlives each request
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


@pytest.fixture
def quarter(app, clock, seeded):
    seed_quarter(seeded)
    return seeded


def test_dashboard_shows_counts_charts_overdue_cases_and_letters(quarter, client):
    login(client, quarter["leader"])
    html = client.get("/van-phong/tong-quan").get_data(as_text=True)
    assert html.count('<svg role="img"') == 3
    assert "Tỷ lệ trả lời đúng hạn theo đơn vị và quý" in html and "2024-Q3" in html
    # states: 3 published, 2 refused+transferred ... as drawn in the bar chart's tooltips
    assert "Đã công khai: 3</title>" in html and "Không tiếp nhận: 2</title>" in html
    # overdue on 01/07/2024, most late first: L (classification due 21/03), G (after its apology
    # letter's new date), then H, M and K at reception; N waits for the citizen, so it is not late
    table = html.split('id="overdue-table"')[1].split("</table>")[0]
    codes = re.findall(r'<td><a href="/van-phong/ho-so/(PAKN\.\d{8}\.\d{4})">\1</a></td>', table)  # each opens its case
    assert codes == ["PAKN.20240314.0001", "PAKN.20240401.0001", "PAKN.20240610.0001", "PAKN.20240614.0001",
                     "PAKN.20240615.0001"]  # M and K share a due date (21/06): by age
    # late in working days, as the due date is counted (21/03 → 01/07/2024: 102 calendar days, the
    # weekends, Hùng Kings' day and 29/04–01/05 left out)
    assert re.search(r"PAKN\.20240314\.0001.*?(\d+) ngày làm việc", table, re.S).group(1) == "69"
    assert "Số ngày làm việc trễ hạn" in html
    assert "quá hạn (5)</h2>" in html and 'id="stat-overdue" class="bad">5<' in html
    assert 'id="stat-letters">1<' in html
    # the letters of the reporting year (15/12–14/12), as the satisfaction chart, not of the calendar year
    # their numbers (001/PXL …) restart in: the card says which
    assert "Phiếu xin lỗi trong năm báo cáo 2024 (15/12/2023–14/12/2024)" in html
    assert "Mức độ hài lòng (năm báo cáo 2024)" in html
    english = client.get("/van-phong/tong-quan?lang=en").get_data(as_text=True)
    assert "Apology letters in reporting year 2024 (15/12/2023–14/12/2024)" in english
    notes = re.search(r'<p class="small" id="stat-notes">(.*?)</p>', html, re.S).group(1)
    assert "không gồm 1 phản ánh, kiến nghị đang chờ người gửi bổ sung" in notes  # N, why the report differs
    # Q2 on-time rate of QLKH: B early + O on time of 2 answers = 100%; TDC: F late = 0%
    assert "QLKH · 2024-Q2: 100%" in html and "TDC · 2024-Q2: 0%" in html


def test_dashboard_rates_are_the_reports_rates_for_each_of_the_last_four_quarters(quarter):
    """The dashboard counts the answers of four quarters in one query; each quarter's rate per unit
    and in total must be the one its full report gives."""
    from feedback_app.reports.overview import dashboard, last_quarters, on_time_rate
    from feedback_app.reports.queries import build_report

    data = dashboard()
    quarters = last_quarters(data["today"])
    expected: dict[str, list] = {}
    for period in quarters:
        report = build_report(period)
        for row in [*report.units, report.total]:
            expected.setdefault(row.unit_code, []).append(
                on_time_rate(row.values["answered"], row.values["answered_late"]))
    assert data["rates"] == expected
    assert any(rate not in (None, 100.0) for rates in expected.values() for rate in rates)  # a late one counts


def test_dashboard_counts_cases_at_no_unit_for_the_office_and_the_rest_for_their_unit(quarter):
    from sqlalchemy import func, select

    from feedback_app.extensions import db
    from feedback_app.models import Feedback, Unit
    from feedback_app.reports.overview import dashboard

    data = dashboard()
    units = {u.code: u.id for u in db.session.execute(select(Unit)).scalars()}
    expected = {code: {} for code in units}
    for state, unit_code, n in db.session.execute(
            select(Feedback.state, func.coalesce(Unit.code, "HCTH"), func.count())
            .outerjoin(Unit, Unit.id == Feedback.unit_id).group_by(Feedback.state, Unit.code)):
        expected[unit_code][state] = expected[unit_code].get(state, 0) + n
    for code, uid in units.items():
        assert {s: n for s, n in data["matrix"][uid].items() if n} == expected[code], code
    assert sum(expected["HCTH"].values()) > 0 and sum(data["by_state"].values()) == \
        db.session.execute(select(func.count()).select_from(Feedback)).scalar_one()


def test_dashboard_is_for_leader_office_and_admin_only(quarter, client):
    g.pop("_login_user", None)
    anonymous = client.get("/van-phong/tong-quan")
    assert anonymous.status_code == 302 and "/van-phong/dang-nhap" in anonymous.headers["Location"]
    login(client, quarter["QLKH"])
    assert client.get("/van-phong/tong-quan").status_code == 403
    login(client, quarter["office"])
    assert client.get("/van-phong/tong-quan").status_code == 200


def test_the_admin_s_dashboard_has_the_counts_but_no_case(quarter, client):
    """The admin keeps the system and sees no case (README, Security): no code, no citizen's title."""
    from sqlalchemy import select
    from feedback_app.models import Feedback, User
    admin = db.session.execute(select(User).where(User.role == "admin")).scalars().first()
    login(client, admin)
    html = client.get("/van-phong/tong-quan").get_data(as_text=True)
    assert "quá hạn (5)</h2>" in html and 'id="overdue-table"' not in html
    codes = db.session.execute(select(Feedback.code)).scalars().all()
    titles = db.session.execute(select(Feedback.title)).scalars().all()
    assert not [c for c in codes if c in html] and not [t for t in titles if t in html]
    assert "/van-phong/qua-han" not in html  # the full list is HCTH's and the leader's


def test_the_dashboard_s_overdue_pages_end_at_the_last_and_say_what_they_count(quarter, client):
    login(client, quarter["leader"])
    beyond = client.get("/van-phong/tong-quan?page=99")  # 5 overdue cases: one page of 20
    assert beyond.status_code == 302 and beyond.headers["Location"].endswith("/van-phong/tong-quan#overdue")
    html = client.get("/van-phong/tong-quan").get_data(as_text=True)
    what = re.search(r'<p class="small" id="overdue-what">(.*?)</p>', html, re.S).group(1)
    assert "quá hạn phân loại hoặc trả lời" in what and 'href="/van-phong/qua-han"' in what
    assert "Tổng quan chỉ đếm quá hạn phân loại và trả lời" in client.get("/van-phong/qua-han").get_data(as_text=True)


def test_report_page_prints_the_form_and_offers_downloads(quarter, client):
    login(client, quarter["office"])
    html = client.get("/van-phong/bao-cao?period=2024-Q2").get_data(as_text=True)
    assert "từ ngày 15/03/2024 đến ngày 14/06/2024" in html
    assert 'rowspan="3">Đơn vị' in html and 'colspan="3">Đã giải quyết' not in html and 'colspan="4">Đã giải quyết' in html
    total = re.search(r'<tr class="total">(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r'<td class="num">(\d+)</td>', total)[:5] == ["12", "2", "10", "8", "2"]
    xlsx = client.get("/van-phong/bao-cao?period=2024-Q2&format=xlsx")
    assert xlsx.headers["Content-Disposition"].endswith('bao-cao-pakn-2024-Q2.xlsx"')
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert sheet["A4"].value.startswith("BÁO CÁO KẾT QUẢ")
    csv = client.get("/van-phong/bao-cao?period=2024-Q2&format=csv").get_data(as_text=True)
    assert csv.splitlines()[-1].startswith("2024-03-15,2024-06-14,TONG,Tổng cộng,10,8,2,2,12")
    bad = client.get("/van-phong/bao-cao?period=2024-Q9")
    assert bad.status_code == 400 and "Kỳ báo cáo không hợp lệ" in bad.get_data(as_text=True)


def test_a_range_too_long_or_reversed_is_refused_with_what_is_wrong_with_it(quarter, client):
    """The format is right: the page says what is wrong with the range, not which formats to type."""
    from test_public_status import text_of
    login(client, quarter["office"])
    long = client.get("/van-phong/bao-cao?period=2020-01-01..2025-01-01")
    page = text_of(long.get_data(as_text=True))
    assert long.status_code == 400 and "Kỳ báo cáo không hợp lệ" not in page
    assert ("Khoảng thời gian dài quá 5 năm (từ ngày 01/01/2020 đến ngày 01/01/2025): chọn ngày kết thúc muộn nhất "
            "là 31/12/2024, hoặc lập báo cáo theo từng năm.") in page
    assert client.get("/van-phong/bao-cao?period=2020-01-01..2024-12-31&format=csv").status_code == 200  # five years
    reversed_ = client.get("/van-phong/bao-cao?period=2024-03-01..2024-02-01")
    page = text_of(reversed_.get_data(as_text=True))
    assert reversed_.status_code == 400 and "Ngày bắt đầu sau ngày kết thúc (01/03/2024 sau 01/02/2024)" in page
    for download in ("xlsx", "csv", "pdf"):  # no file either, and the same words
        refused = client.get(f"/van-phong/bao-cao?period=2020-01-01..2025-01-01&format={download}")
        assert refused.status_code == 400 and "dài quá 5 năm" in refused.get_data(as_text=True)
    english = text_of(client.get("/van-phong/bao-cao?period=2020-01-01..2025-01-01&lang=en").get_data(as_text=True))
    assert "The range is longer than 5 years (from 01/01/2020 to 01/01/2025): end it on 31/12/2024" in english


def test_a_unit_name_that_looks_like_a_formula_stays_text_in_the_report_csv(quarter, client):
    quarter["QLKH"].unit.name = '=HYPERLINK("http://x")'
    db.session.commit()
    login(client, quarter["office"])
    download = client.get("/van-phong/bao-cao?period=2024-Q2&format=csv").get_data(as_text=True)
    [row] = [r for r in csv.reader(io.StringIO(download.lstrip("\ufeff"))) if r[2] == "QLKH"]
    assert row[3] == """'=HYPERLINK("http://x")"""  # a spreadsheet shows it, runs nothing
    assert all(cell.isdigit() for cell in row[4:-1]) and row[-1] == ""  # the figures are no text; counted, not closed
    assert (csv_cell(-3), csv_cell("-3"), csv_cell("Phòng Quản lý")) == (-3, "'-3", "Phòng Quản lý")


def test_dashboard_speaks_english_on_request(quarter, client):
    from flask_babel import refresh
    login(client, quarter["office"])
    refresh()  # the locale is cached in the test's long-lived app context
    html = client.get("/van-phong/tong-quan?lang=en").get_data(as_text=True)
    assert "Overview of feedback handling" in html and "On-time answer rate by unit and quarter" in html
    assert "Working days late" in html


def test_days_late_are_working_days_so_a_step_due_before_the_holidays_is_one_day_late_after_them(
        app, clock, seeded, client):
    from feedback_app.services import submissions
    clock.set("2024-04-19T09:00:00+07:00")  # a Friday: classification due 5 working days later, Friday 26/04
    case = submissions.submit(submissions.Submission(
        full_name="Nguyễn Văn An", address="Quảng Ngãi", title="Thời hạn giải quyết thủ tục", phone="0905123456",
        content="Đề nghị Sở cho biết thời hạn giải quyết thủ tục đăng ký kết quả nhiệm vụ khoa học."))
    assert case.due_date == date(2024, 4, 26)
    # Thursday 02/05: six calendar days later, but 27–28/04 is a weekend, 29/04 the day off swapped for
    # 04/05, 30/04 and 01/05 holidays: one working day late
    clock.set("2024-05-02T09:00:00+07:00")
    login(client, seeded["office"])
    html = client.get("/van-phong/tong-quan").get_data(as_text=True)
    table = html.split('id="overdue-table"')[1].split("</table>")[0]
    assert re.search(rf"{case.code}.*?<span class=\"badge overdue\">(.*?)</span>", table, re.S).group(1) == \
        "1 ngày làm việc"


def test_an_answer_returned_for_revision_is_not_counted_as_being_handled(quarter, client):
    """HCTH returns an approved answer to its unit before publication (QĐ 31/2021 Art 46): the citizen holds
    the answer and the report counts it answered, so the card "Đang xử lý" leaves it out and says so."""
    from sqlalchemy import select

    from feedback_app.models import Feedback
    from feedback_app.services.cases import apply_event

    login(client, quarter["leader"])

    def card(html):
        return int(re.search(r'id="stat-open">(\d+)<', html).group(1))
    before = card(client.get("/van-phong/tong-quan").get_data(as_text=True))
    case = db.session.execute(select(Feedback).where(Feedback.state == "answered")).scalars().first()
    apply_event(case, "return_answer", quarter["office"], {"reason": "Câu trả lời chưa dẫn căn cứ, đề nghị bổ sung."})
    assert case.state == "forwarded" and case.answered_at is not None
    html = client.get("/van-phong/tong-quan").get_data(as_text=True)
    assert card(html) == before
    assert "Cũng không gồm 1 câu trả lời đã gửi người dân mà Văn phòng trả lại đơn vị" in html


def test_the_dashboard_leaves_out_a_stopped_unit_without_cases_and_keeps_one_with_cases(quarter, client):
    from feedback_app.models import Unit
    db.session.add(Unit(code="TTMOI", name="Trung tâm Dịch vụ mới", active=False))
    db.session.execute(db.select(Unit).where(Unit.code == "TDC")).scalar_one().active = False  # it has cases
    db.session.commit()
    login(client, quarter["leader"])
    html = client.get("/van-phong/tong-quan").get_data(as_text=True)
    rates = html.split('id="rates-table"')[1].split("</table>")[0]
    matrix = html.split('id="state-matrix"')[1].split("</table>")[0]
    assert re.findall(r'<tr><th scope="row">([^<]+)</th>', rates) == ["HCTH", "QLKH", "QLCN", "TDC", "TTUD", "TTTT",
                                                                         "TONG"]
    assert "Chi cục Tiêu chuẩn Đo lường Chất lượng" in matrix and "Trung tâm Dịch vụ mới" not in matrix
    chart = html.split('id="chart-rates-desc"')[1].split("</svg>")[0]
    assert "TDC · 2024-Q2" in chart and "TTMOI" not in chart
