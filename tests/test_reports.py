"""The quarterly report over cases made through the real services: every cell checked against
counts written down by hand, reproducible after later events, and the same through the CLI."""
from __future__ import annotations

import csv
import io
import json
from datetime import date
from collections import Counter

import pytest
from openpyxl import load_workbook

from feedback_app.reports.periods import parse_period
from feedback_app.reports.exports import FORM_COLUMNS
from feedback_app.reports.queries import COLUMNS, build_report
from feedback_app.services.cases import apply_event, find

from report_seed import PERIOD, _at, seed_quarter


def _expected_row(cells: Counter) -> dict[str, int]:
    row = {name: cells.get(name, 0) for name in COLUMNS}
    row["answered"] = row["answered_early"] + row["answered_on_time"] + row["answered_late"]
    row["pending"] = row["pending_on_time"] + row["pending_overdue"]
    row["to_handle"] = row["received"] + row["carried_over"]
    return row


@pytest.fixture
def quarter_cases(app, clock, seeded):
    expected = seed_quarter(seeded)
    return {code: _expected_row(cells) for code, cells in expected.items()}


def test_every_cell_of_the_quarterly_report_matches_the_hand_count(quarter_cases):
    report = build_report(parse_period(PERIOD))
    by_unit = {row.unit_code: row.values for row in report.units}
    assert report.units[0].unit_code == "HCTH"  # the office first, as on the paper form
    for code, expected in quarter_cases.items():
        assert by_unit[code] == expected, code
    for code in set(by_unit) - set(quarter_cases):
        assert set(by_unit[code].values()) == {0}, code
    total = {name: sum(row[name] for row in quarter_cases.values()) for name in COLUMNS}
    assert report.total.values == total
    assert total["received"] == 10 and total["carried_over"] == 2 and total["pending_overdue"] == 3
    # the balance of the form: everything in hand was refused, transferred, answered or is pending
    for values in [*by_unit.values(), report.total.values]:
        assert values["to_handle"] == (values["refused"] + values["transferred"] + values["answered"]
                                       + values["pending"])


def test_a_past_quarter_gives_the_same_figures_after_later_events(quarter_cases, seeded):
    before = build_report(parse_period(PERIOD)).as_dict()
    _at("2024-07-02")
    pending_at_office = [c for c in map(find, _codes_in_state("classified"))]
    for case in pending_at_office:
        apply_event(case, "forward", seeded["office"], {"unit": "QLCN"})
    assert pending_at_office
    after = build_report(parse_period(PERIOD)).as_dict()
    # a case now in another unit's hands moves between rows, never out of the total
    assert after["total"] == before["total"]


def _codes_in_state(state):
    from sqlalchemy import select
    from feedback_app.extensions import db
    from feedback_app.models import Feedback
    return db.session.execute(select(Feedback.code).where(Feedback.state == state)).scalars().all()


def test_the_next_quarter_carries_over_what_was_pending(quarter_cases):
    q3 = build_report(parse_period("2024-Q3")).total.values
    q2 = build_report(parse_period(PERIOD)).total.values
    assert q3["carried_over"] == q2["pending"]
    assert q3["received"] == 1  # K, received at 00:00 on 15/06
    assert q3["answered"] == 2  # I (late) and J (early)
    assert q3["answered_late"] == 1 and q3["answered_early"] == 1


def test_a_half_year_adds_up_its_two_quarters_and_the_office_reads_it_by_name(quarter_cases, app, client, seeded):
    """NĐ 09/2019 Art 12.1 / NĐ 63/2010 Art 35: the 6-monthly report, 15/12 to 14/6."""
    q1, q2 = (build_report(parse_period(f"2024-Q{q}")).total.values for q in (1, 2))
    h1 = build_report(parse_period("2024-H1")).total.values
    flows = ("received", "received_online", "refused", "transferred", "answered", "answered_late", "apology_letters",
             "published", "rated")
    assert {k: h1[k] for k in flows} == {k: q1[k] + q2[k] for k in flows}
    assert h1["carried_over"] == q1["carried_over"] and h1["pending"] == q2["pending"]
    assert h1["received"] > 0
    client.post("/van-phong/dang-nhap", data={"email": seeded["office"].email, "password": "secret-pass"})
    page = client.get("/van-phong/bao-cao?period=2024-H1").get_data(as_text=True)
    assert "Kỳ báo cáo 6 tháng đầu năm 2024: từ ngày 15/12/2023 đến ngày 14/06/2024" in page
    register = client.get("/van-phong/so-tiep-nhan?period=2024-H1").get_data(as_text=True)
    assert "6 tháng đầu năm 2024 (15/12/2023 – 14/06/2024)" in register  # the picker names it


def test_cli_json_prints_period_units_and_total(quarter_cases, app):
    result = app.test_cli_runner().invoke(args=["report", "--period", PERIOD, "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["period"]["from"] == "2024-03-15" and data["period"]["to"] == "2024-06-14"
    qlkh = next(u for u in data["units"] if u["unit"] == "QLKH")
    assert {k: qlkh[k] for k in COLUMNS} == quarter_cases["QLKH"]
    assert data["total"]["received"] == 10


def test_cli_names_a_missing_folder_instead_of_a_traceback(app, tmp_path):
    missing = tmp_path / "nowhere" / "q2.pdf"
    result = app.test_cli_runner().invoke(args=["report", "--period", PERIOD, "--format", "pdf", "--out", str(missing)])
    assert result.exit_code == 1 and "Không có thư mục" in result.output and "q2.pdf" in result.output
    assert not isinstance(result.exception, FileNotFoundError)


def test_cli_csv_has_one_line_per_unit_and_a_total(quarter_cases, app, tmp_path):
    out = tmp_path / "q2.csv"
    result = app.test_cli_runner().invoke(args=["report", "--period", PERIOD, "--format", "csv", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert [r["unit"] for r in rows] == ["HCTH", "QLKH", "QLCN", "TDC", "TTUD", "TTTT", "TONG"]
    tdc = next(r for r in rows if r["unit"] == "TDC")
    assert {k: int(tdc[k]) for k in COLUMNS} == quarter_cases["TDC"]


def test_a_stopped_unit_is_a_row_only_where_it_has_a_figure_and_a_closed_report_keeps_its_rows(
        quarter_cases, app, client, seeded, tmp_path):
    """Active units and any unit with a figure in the period: a stopped unit is no line of zeros in every
    report, also those before it existed; one with cases in the period keeps its row. What was closed
    stays as it was sent."""
    from feedback_app.extensions import db
    from feedback_app.models import Unit
    from feedback_app.services import reports
    from test_public_status import text_of
    new = Unit(code="TTMOI", name="Trung tâm Dịch vụ mới", active=True)
    db.session.add(new)
    db.session.commit()
    q2 = parse_period(PERIOD)
    _at("2024-06-17")
    reports.close_report(q2, seeded["office"])  # sent with the new centre's row of zeros
    before = build_report(q2)
    new.active = False
    db.session.execute(db.select(Unit).where(Unit.code == "TDC")).scalar_one().active = False  # cases in Q2
    db.session.commit()

    def codes(report):
        return [r.unit_code for r in report.units]
    assert codes(build_report(q2)) == ["HCTH", "QLKH", "QLCN", "TDC", "TTUD", "TTTT"]
    assert build_report(q2).total.values == before.total.values
    assert codes(build_report(parse_period("2023-Q4"))) == ["HCTH", "QLKH", "QLCN", "TTUD", "TTTT"]  # no case then
    assert "TTMOI" in codes(reports.report_of(q2).report)  # the closed figures, as sent
    for args, expected in ((["--live"], ["HCTH", "QLKH", "QLCN", "TDC", "TTUD", "TTTT", "TONG"]),
                           ([], ["HCTH", "QLKH", "QLCN", "TDC", "TTUD", "TTTT", "TTMOI", "TONG"])):
        out = tmp_path / "q2.csv"
        result = app.test_cli_runner().invoke(args=["report", "--period", PERIOD, "--format", "csv", "--out", str(out),
                                                    *args])
        assert result.exit_code == 0, result.output
        assert [r["unit"] for r in csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig")))] == expected
    # a period closed now has no row of the stopped centre on the public page; the one sent before keeps it
    reports.close_report(parse_period("2024-Q1"), seeded["office"])
    page = client.get("/ket-qua-xu-ly").get_data(as_text=True)
    q1_table = page.split('id="result-2024-Q1"')[1]
    q2_table = page.split('id="result-2024-Q2"')[1].split('id="result-2024-Q1"')[0]
    assert "Trung tâm Dịch vụ mới" not in q1_table and "Trung tâm Dịch vụ mới" in q2_table
    assert "Chi cục Tiêu chuẩn Đo lường Chất lượng" in text_of(q2_table)


def test_cli_xlsx_is_laid_out_like_the_form_with_numbers(quarter_cases, app, tmp_path):
    out = tmp_path / "q2.xlsx"
    result = app.test_cli_runner().invoke(args=["report", "--period", PERIOD, "--format", "xlsx", "--out", str(out)])
    assert result.exit_code == 0, result.output
    sheet = load_workbook(out).active
    text = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert any("15/03/2024" in t and "14/06/2024" in t for t in text)
    for heading in ("Đơn vị", "Số PAKN tiếp nhận", "Trực tuyến", "Kỳ trước chuyển sang", "Đã giải quyết",
                    "Trước hạn", "Đúng hạn", "Quá hạn", "Đang giải quyết", "Trong hạn",
                    "Phiếu xin lỗi", "Đã công khai", "Rất hài lòng"):
        assert heading in text, heading
    merged = {str(r) for r in sheet.merged_cells.ranges}
    header_row = next(c.row for row in sheet.iter_rows() for c in row if c.value == "Đơn vị")
    assert f"A{header_row}:A{header_row + 2}" in merged  # "Đơn vị" spans the three header rows
    assert sheet.cell(header_row + 3, 1).value == "(1)"  # the column numbers row of the form
    below = [r for r in sheet.iter_rows(min_row=header_row + 4, values_only=True)]
    last = next(i for i, r in enumerate(below) if r[0] == "Tổng cộng")
    rows = {r[0]: r for r in below[:last + 1] if r[0]}
    assert list(rows)[0] == "Phòng Hành chính - Tổng hợp"
    # the foot of the form, a row apart: dated, then who drew it up and who signs, each with its line
    foot = [[v for v in r if v] for r in below[last + 1:]]
    assert foot[0] == [] and foot[1] == [f"{app.config['AGENCY_PLACE']}, ngày 01 tháng 7 năm 2024"]
    assert foot[2:4] == [["NGƯỜI LẬP BIỂU", app.config["AGENCY_SIGNER_TITLE"]],
                         ["(Ký, ghi rõ họ tên)", "(Ký, ghi rõ họ tên và đóng dấu)"]]
    for name, code in (("Phòng Quản lý Khoa học", "QLKH"), ("Chi cục Tiêu chuẩn Đo lường Chất lượng", "TDC")):
        assert all(isinstance(v, int) for v in rows[name][1:])
        assert dict(zip(FORM_COLUMNS, rows[name][1:])) == quarter_cases[code]
    total = dict(zip(FORM_COLUMNS, rows["Tổng cộng"][1:]))
    assert total["received"] == 10 and total["received_online"] == 8 and total["to_handle"] == 12


def test_cli_refuses_a_bad_period_with_a_clear_message(app):
    result = app.test_cli_runner().invoke(args=["report", "--period", "2024-Q7", "--format", "json"])
    assert result.exit_code != 0 and "Kỳ báo cáo không hợp lệ" in result.output
    # typed right: what is wrong with the range
    result = app.test_cli_runner().invoke(args=["report", "--period", "2020-01-01..2025-01-01", "--format", "json"])
    assert result.exit_code == 1 and "Khoảng thời gian dài quá 5 năm" in result.output
    assert "ngày kết thúc muộn nhất là 31/12/2024" in result.output
    result = app.test_cli_runner().invoke(args=["report", "close", "--period", "2024-03-01..2024-02-01"])
    assert result.exit_code == 1 and "Ngày bắt đầu sau ngày kết thúc (01/03/2024 sau 01/02/2024)" in result.output


def test_an_answer_sent_by_the_date_an_apology_letter_promised_is_still_late(app, clock, seeded):
    """The letter exists because the first date was missed (NĐ 61/2018 Art 19.9): the report and the
    on-time rate judge the answer against that date, not against the letter's new one."""
    from deadline_helpers import forwarded_case
    from feedback_app.reports.periods import quarter
    from feedback_app.services.sweep import sweep
    from workflows.clock import parse_instant
    late = forwarded_case(seeded)  # answer due 25/03/2024
    clock.set("2024-03-26T08:00:00+07:00")
    sweep(parse_instant("2024-03-26T08:00:00+07:00"))  # automatic letter, new date 02/04
    assert late.due_date > date(2024, 3, 27) and len(late.letters) == 1
    apply_event(late, "submit_draft", seeded["QLKH"], {"reply": "Trả lời: thủ tục gồm các bước sau."})
    clock.set("2024-03-27T09:00:00+07:00")  # before the new date, after the first
    apply_event(late, "approve", seeded["leader"])
    assert late.answered_on_time is False and late.answered_due_date == date(2024, 3, 25)

    clock.set("2024-03-04T09:00:00+07:00")
    extended = forwarded_case(seeded)  # the unit asks for more time before the due date...
    clock.set("2024-03-20T09:00:00+07:00")
    apply_event(extended, "extend", seeded["QLKH"], {"reason": "Cần lấy ý kiến Sở Tư pháp"})
    apply_event(extended, "submit_draft", seeded["QLKH"], {"reply": "Trả lời: đã lấy ý kiến."})
    apply_event(extended, "approve", seeded["leader"])  # ...and answers before the first date after all
    assert extended.answered_on_time is True and extended.answered_due_date == date(2024, 3, 25)

    total = build_report(quarter(2024, 2)).total.values
    assert (total["answered"], total["answered_late"], total["answered_early"]) == (2, 1, 1)
    assert total["apology_letters"] == 2


def test_a_case_still_open_after_its_apology_letter_is_pending_overdue(app, clock, seeded):
    """Its first date passed inside the period: the letter's new date does not make it on time."""
    from deadline_helpers import forwarded_case
    from feedback_app.reports.periods import quarter
    from feedback_app.services.sweep import sweep
    from workflows.clock import parse_instant
    case = forwarded_case(seeded)  # answer due 25/03/2024, quarter 2024-Q2 runs 15/03–14/06
    sweep(parse_instant("2024-03-26T08:00:00+07:00"))  # letter, new date in April
    assert case.extension_count == 1 and case.due_date > date(2024, 3, 31)
    clock.set("2024-04-01T09:00:00+07:00")
    march = build_report(parse_period("2024-03-15..2024-03-31")).total.values
    assert (march["pending"], march["pending_overdue"]) == (1, 1)
    before = build_report(parse_period("2024-03-15..2024-03-24")).total.values
    assert (before["pending"], before["pending_overdue"]) == (1, 0)
    assert build_report(quarter(2024, 2)).total.values["pending_overdue"] == 1


def test_a_period_still_running_counts_as_overdue_only_what_is_overdue_today(app, clock, seeded):
    from deadline_helpers import forwarded_case
    from feedback_app.reports.periods import quarter
    case = forwarded_case(seeded)  # answer due 25/03/2024; 2024-Q2 runs to 14/06
    clock.set("2024-03-25T16:00:00+07:00")  # its last day: not overdue yet
    assert build_report(quarter(2024, 2)).total.values["pending_overdue"] == 0
    clock.set("2024-03-26T08:00:00+07:00")
    assert build_report(quarter(2024, 2)).total.values["pending_overdue"] == 1
    assert case.state == "forwarded"


def test_a_case_overdue_at_the_end_of_a_period_stays_overdue_in_it_whatever_happens_after(app, clock, seeded):
    """Received 3/6/2024, classification due 10/06, still at HCTH at the end of 2024-Q2 (14/06): overdue in
    Q2, and still so when Q2 is counted again after it was refused, transferred or forwarded in Q3; one
    forwarded on 12/06, after its missed date but within Q2, was no longer late at classification then."""
    from deadline_helpers import SUBMISSION
    from feedback_app.services.cases import receive
    from feedback_app.services.sweep import sweep
    from workflows.clock import parse_instant

    office = seeded["office"]
    clock.set("2024-06-03T08:00:00+07:00")
    refused, transferred, forwarded, classified_late, in_time = (receive(SUBMISSION) for _ in range(5))
    sweep(parse_instant("2024-06-11T00:05:00+07:00"))  # the five are marked overdue (10/06 missed)
    clock.set("2024-06-12T09:00:00+07:00")
    apply_event(in_time, "classify", office, {"category": "TTHC"})
    apply_event(in_time, "forward", office, {"unit": "QLKH"})  # its answer is due after Q2
    apply_event(classified_late, "classify", office, {"category": "TTHC"})  # still to forward: still late
    q2 = parse_period("2024-Q2")
    clock.set("2024-06-15T09:00:00+07:00")
    assert build_report(q2).total.values["pending_overdue"] == 4
    clock.set("2024-06-20T09:00:00+07:00")
    apply_event(refused, "refuse", office, {"reason": "unclear_content"})
    apply_event(transferred, "transfer_out", office, {"agency": "Sở Y tế"})
    apply_event(forwarded, "classify", office, {"category": "TTHC"})
    apply_event(forwarded, "forward", office, {"unit": "QLKH"})
    apply_event(classified_late, "forward", office, {"unit": "QLKH"})
    values = build_report(q2).total.values
    assert (values["pending"], values["pending_overdue"], values["pending_on_time"]) == (5, 4, 1)
    hcth = next(row for row in build_report(q2).units if row.unit_code == "HCTH")
    assert hcth.values["pending_overdue"] == 2  # refused and transferred never left HCTH; the forwarded ones count for their unit now


# --- a period not begun yet: refused everywhere a report is read ----------------------------------
# Today as in the demo, Monday 07/12/2026: 2027-Q1 starts on 15/12/2026, the year 2030 on 15/12/2029,
# and the range from tomorrow on 08/12/2026. Counted, each would show today's open case as carried over.
NOT_BEGUN = {"2030": "15/12/2029", "2027-Q1": "15/12/2026", "2026-12-08..2026-12-31": "08/12/2026"}
# each named as the department names it, in Vietnamese and in English
NAMED = {"2030": ("năm 2030", "year 2030"), "2027-Q1": ("quý I năm 2027", "quarter I of 2027"),
         "2026-12-08..2026-12-31": ("từ ngày 08/12/2026 đến ngày 31/12/2026", "from 08/12/2026 to 31/12/2026")}
REPORT = "/van-phong/bao-cao"


def _not_begun(period: str) -> str:
    return f"Kỳ báo cáo {NAMED[period][0]} chưa bắt đầu (từ ngày {NOT_BEGUN[period]}): chưa có số liệu."


@pytest.fixture
def december_2026(app, clock, client, seeded):
    """A case received on 01/12/2026 and still open; the clock at 09:00 on 07/12/2026; HCTH signed in."""
    from deadline_helpers import SUBMISSION
    from feedback_app.services.cases import receive
    clock.set("2026-12-01T09:00:00+07:00")
    receive(SUBMISSION)
    clock.set("2026-12-07T09:00:00+07:00")
    client.post("/van-phong/dang-nhap", data={"email": seeded["office"].email, "password": "secret-pass"})
    return client


@pytest.mark.parametrize("period", NOT_BEGUN)
def test_a_period_not_begun_is_refused_at_the_period_form_without_figures(december_2026, period):
    response = december_2026.get(REPORT, query_string={"period": period})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and _not_begun(period) in page
    assert 'id="report-table"' not in page and "Tải XLSX" not in page and "Kỳ báo cáo chưa kết thúc" not in page
    assert f'name="period" value="{period}"' in page  # the form, to choose another period
    english = december_2026.get(REPORT, query_string={"period": period, "lang": "en"}).get_data(as_text=True)
    assert f"The reporting period {NAMED[period][1]} has not begun yet (it starts on {NOT_BEGUN[period]})" in english


@pytest.mark.parametrize("period", NOT_BEGUN)
def test_a_period_not_begun_has_no_xlsx_csv_or_pdf(december_2026, period):
    for fmt in ("xlsx", "csv", "pdf"):
        for live in (None, "1"):
            response = december_2026.get(REPORT, query_string={"period": period, "format": fmt, "live": live})
            assert response.status_code == 400 and response.mimetype == "text/html", (fmt, live)
            assert "Content-Disposition" not in response.headers
            assert _not_begun(period) in response.get_data(as_text=True)


@pytest.mark.parametrize("period", NOT_BEGUN)
def test_the_cli_refuses_a_period_not_begun_and_writes_no_file(december_2026, app, tmp_path, period):
    run = app.test_cli_runner().invoke
    result = run(args=["report", "--period", period, "--format", "json"])
    assert result.exit_code == 1 and _not_begun(period) in result.output
    out = tmp_path / "bao-cao.xlsx"
    result = run(args=["report", "--period", period, "--format", "xlsx", "--out", str(out)])
    assert result.exit_code == 1 and _not_begun(period) in result.output and not out.exists()
    assert run(args=["report", "close", "--period", period]).exit_code == 1  # nor closed: it has not ended


def test_a_period_opens_at_local_midnight_of_its_first_day_and_reads_as_still_running(december_2026, app, clock):
    tomorrow = "2026-12-08..2026-12-31"
    clock.set("2026-12-07T23:59:00+07:00")
    assert december_2026.get(REPORT, query_string={"period": tomorrow}).status_code == 400
    clock.set("2026-12-08T00:00:00+07:00")  # still 7 December in UTC
    for period in (tomorrow, "2026-Q4", None):  # None: the page opens on the current quarter
        response = december_2026.get(REPORT, query_string={"period": period})
        page = response.get_data(as_text=True)
        assert response.status_code == 200 and 'id="report-table"' in page, period
        assert "Kỳ báo cáo chưa kết thúc: số liệu còn thay đổi, chưa chốt được." in page
        assert "chưa bắt đầu" not in page
    assert december_2026.get(REPORT, query_string={"period": tomorrow, "format": "xlsx"}).status_code == 200
    result = app.test_cli_runner().invoke(args=["report", "--period", tomorrow, "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["total"]["carried_over"] == 1  # the case received on 01/12


def test_a_case_waiting_for_the_citizen_at_the_periods_end_is_not_overdue_though_it_had_a_letter(
        app, clock, seeded):
    """The clock stops while a case waits for the citizen (brief: Decisions for pakn), also for one HCTH
    held past the whole case's limit, which got the automatic letter, before it asked."""
    from datetime import timedelta
    from feedback_app.extensions import db
    from feedback_app.services.cases import CITIZEN, receive
    from feedback_app.services.sweep import sweep
    from workflows.clock import parse_instant
    from deadline_helpers import SUBMISSION

    def sweep_days(first: date, last: date) -> None:
        day = first
        while day <= last:
            sweep(parse_instant(f"{day.isoformat()}T00:05:00+07:00"))
            day += timedelta(days=1)

    clock.set("2024-04-01T09:00:00+07:00")
    case = receive(SUBMISSION)
    sweep_days(date(2024, 4, 2), date(2024, 6, 10))
    db.session.refresh(case)
    assert case.extension_count == 1 and case.state == "received"  # the late-at-office letter
    clock.set("2024-06-10T09:00:00+07:00")
    apply_event(case, "request_info", seeded["office"], {"missing": "Số điện thoại liên hệ và địa chỉ"})
    # another case asked and answered meanwhile: its answer ends its own wait, not this one's
    other = receive(SUBMISSION)
    clock.set("2024-06-11T09:00:00+07:00")
    apply_event(other, "request_info", seeded["office"], {"missing": "Địa chỉ liên hệ"})
    clock.set("2024-06-12T09:00:00+07:00")
    apply_event(other, "provide_info", CITIZEN, {"note": "Địa chỉ: số 5 Lê Lợi, Quảng Ngãi"})
    sweep_days(date(2024, 6, 11), date(2024, 6, 15))
    clock.set("2024-06-20T09:00:00+07:00")
    total = build_report(parse_period("2024-Q2")).total.values
    assert (total["pending"], total["pending_overdue"], total["pending_on_time"]) == (2, 0, 2)
