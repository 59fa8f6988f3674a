"""Closing a period (chốt số liệu): once HCTH has sent a quarter's report, its figures are stored and
the page, the downloads and the CLI give them ever after, though a later event moves a case to
another unit's row of the counted report."""
from __future__ import annotations

import csv
import io
import json
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from feedback_app.extensions import db
from feedback_app.models import Feedback, ReportSnapshot
from feedback_app.reports.periods import parse_period
from feedback_app.reports.queries import COLUMNS, Report, build_report
from feedback_app.services import reports
from feedback_app.services.cases import apply_event

from report_seed import PERIOD, _at, seed_quarter
from test_office import login, text

Q2 = parse_period(PERIOD)


@pytest.fixture
def quarter(app, clock, seeded):
    seed_quarter(seeded)
    _at("2024-06-17")  # the Monday after the quarter's last day (14/06)
    return seeded


def _snapshots() -> int:
    return db.session.execute(select(func.count()).select_from(ReportSnapshot)).scalar_one()


def _move_to_another_unit(users) -> None:
    """A case forwarded to QLKH in Q2 is returned and forwarded to QLCN in Q3: it leaves QLKH's row."""
    _at("2024-07-02")
    case = db.session.execute(select(Feedback).where(Feedback.state == "forwarded")
                              .join(Feedback.unit).where(Feedback.unit.has(code="QLKH"))).scalars().first()
    assert case is not None
    apply_event(case, "return_to_office", users["QLKH"], {"reason": "Không thuộc thẩm quyền của phòng"})
    apply_event(case, "forward", users["office"], {"unit": "QLCN"})


def _xlsx_rows(content: bytes) -> dict[str, tuple]:
    sheet = load_workbook(io.BytesIO(content)).active
    header = next(c.row for row in sheet.iter_rows() for c in row if c.value == "Đơn vị")
    return {r[0]: r[1:] for r in sheet.iter_rows(min_row=header + 4, values_only=True) if r[0]}


def test_a_closed_quarter_keeps_the_figures_it_was_sent_with(quarter, client):
    login(client, quarter["office"])
    page = client.get(f"/van-phong/bao-cao?period={PERIOD}")
    assert 'id="close-report"' in text(page)  # over and not closed: the office may close it
    sent = build_report(Q2).as_dict()

    response = client.post("/van-phong/bao-cao/chot", data={"period": PERIOD})
    assert response.status_code == 302
    snapshot = db.session.execute(select(ReportSnapshot)).scalar_one()
    assert (snapshot.period_start.isoformat(), snapshot.period_end.isoformat()) == ("2024-03-15", "2024-06-14")
    assert json.loads(snapshot.figures) == sent
    assert snapshot.closed_by_id == quarter["office"].id
    assert snapshot.closed_by_label == quarter["office"].full_name

    _move_to_another_unit(quarter)
    recounted = build_report(Q2).as_dict()
    row = lambda data, code: next(u for u in data["units"] if u["unit"] == code)  # noqa: E731
    assert row(recounted, "QLKH") != row(sent, "QLKH")  # the counted report did move: the test can fail

    assert reports.report_of(Q2).report.as_dict() == sent
    assert reports.report_of(Q2, live=True).report.as_dict() == recounted
    page = text(client.get(f"/van-phong/bao-cao?period={PERIOD}"))
    assert "Số liệu đã chốt lúc 17/06/2024" in page and quarter["office"].full_name in page
    assert 'id="close-report"' not in page
    stored_xlsx = _xlsx_rows(client.get(f"/van-phong/bao-cao?period={PERIOD}&format=xlsx").data)
    live_xlsx = _xlsx_rows(client.get(f"/van-phong/bao-cao?period={PERIOD}&format=xlsx&live=1").data)
    qlkh = "Phòng Quản lý Khoa học"
    assert dict(zip(COLUMNS, stored_xlsx[qlkh])) != dict(zip(COLUMNS, live_xlsx[qlkh]))
    from feedback_app.reports.exports import FORM_COLUMNS
    assert dict(zip(FORM_COLUMNS, stored_xlsx[qlkh])) == {k: row(sent, "QLKH")[k] for k in FORM_COLUMNS}
    assert dict(zip(FORM_COLUMNS, live_xlsx[qlkh])) == {k: row(recounted, "QLKH")[k] for k in FORM_COLUMNS}
    for live, line in (("", "Số liệu đã chốt lúc 09:00 17/06/2024 bởi " + quarter["office"].full_name),
                       ("&live=1", "Số liệu tính đến 09:00 02/07/2024")):
        sheet = load_workbook(io.BytesIO(client.get(f"/van-phong/bao-cao?period={PERIOD}&format=xlsx{live}").data)).active
        assert sheet.cell(6, 1).value == line  # a printed copy says which figures it holds
    live_page = text(client.get(f"/van-phong/bao-cao?period={PERIOD}&live=1"))
    assert "Đây là số liệu tính lại hôm nay" in live_page
    # the recounted page's downloads are the recounted figures, and a CSV says which figures it holds
    for fmt in ("xlsx", "csv", "pdf"):
        assert f"period={PERIOD}&amp;format={fmt}&amp;live=1" in live_page
    for live, closed_at in (("", snapshot.closed_at.isoformat()), ("&live=1", "")):
        lines = list(csv.DictReader(io.StringIO(client.get(
            f"/van-phong/bao-cao?period={PERIOD}&format=csv{live}").get_data(as_text=True).lstrip("\ufeff"))))
        assert {line["closed_at"] for line in lines} == {closed_at}
        qlkh_line = next(line for line in lines if line["unit"] == "QLKH")
        assert int(qlkh_line["pending"]) == (row(sent, "QLKH") if not live else row(recounted, "QLKH"))["pending"]


def test_a_period_is_closed_once_and_only_after_its_last_day(quarter, client):
    login(client, quarter["leader"])
    _at("2024-06-14", "23:59")  # the quarter's last minute: still open
    page = text(client.get(f"/van-phong/bao-cao?period={PERIOD}"))
    assert 'id="close-report"' not in page and "chưa kết thúc" in page
    response = client.post("/van-phong/bao-cao/chot", data={"period": PERIOD}, follow_redirects=True)
    assert "chưa kết thúc: chỉ chốt được số liệu từ ngày 15/06/2024" in text(response)
    assert _snapshots() == 0

    _at("2024-06-15", "00:00")  # local midnight after it
    client.post("/van-phong/bao-cao/chot", data={"period": PERIOD})
    again = client.post("/van-phong/bao-cao/chot", data={"period": PERIOD}, follow_redirects=True)
    assert "đã được chốt lúc 15/06/2024 00:00" in text(again)
    assert _snapshots() == 1

    bad = client.post("/van-phong/bao-cao/chot", data={"period": "2024-Q9"}, follow_redirects=True)
    assert "Kỳ báo cáo không hợp lệ" in text(bad) and _snapshots() == 1


@pytest.mark.parametrize("role", ["QLKH", "admin"])
def test_only_the_office_and_the_leader_close_a_period(quarter, client, role):
    login(client, quarter[role])
    assert client.post("/van-phong/bao-cao/chot", data={"period": PERIOD}).status_code == 403
    assert _snapshots() == 0
    if role == "admin":  # the admin reads reports, but has no button to close them
        assert 'id="close-report"' not in text(client.get(f"/van-phong/bao-cao?period={PERIOD}"))


def test_two_closing_at_once_keep_the_first(quarter, monkeypatch):
    first = reports.close_report(Q2, quarter["office"])
    real = reports.snapshot_of
    calls = []

    def not_seen_yet(period):  # the second one checked before the first one committed
        calls.append(period)
        return None if len(calls) == 1 else real(period)

    monkeypatch.setattr(reports, "snapshot_of", not_seen_yet)
    with pytest.raises(reports.AlreadyClosed) as closed:
        reports.close_report(Q2, quarter["leader"])
    assert closed.value.snapshot.id == first.id and _snapshots() == 1


def test_the_cli_closes_reads_and_reopens_a_period(quarter, app):
    run = app.test_cli_runner().invoke
    _at("2024-09-10")
    early = run(args=["report", "close", "--period", "2024-Q3"])
    assert early.exit_code != 0 and "chưa kết thúc" in early.output
    closed = run(args=["report", "close", "--period", PERIOD])
    assert closed.exit_code == 0 and re.search(r"at \d\d:\d\d \d\d/\d\d/\d{4} \(Asia/Ho_Chi_Minh\)", closed.output)
    sent = json.loads(db.session.execute(select(ReportSnapshot.figures)).scalar_one())
    _move_to_another_unit(quarter)
    stored = json.loads(run(args=["report", "--period", PERIOD, "--format", "json"]).output)
    live = json.loads(run(args=["report", "--period", PERIOD, "--format", "json", "--live"]).output)
    assert stored == sent and live != sent
    assert "đã được chốt" in run(args=["report", "close", "--period", PERIOD]).output
    assert run(args=["report", "reopen", "--period", PERIOD]).output.startswith("reopened 2024-Q2")
    assert _snapshots() == 0
    assert json.loads(run(args=["report", "--period", PERIOD, "--format", "json"]).output) == live
    again = run(args=["report", "reopen", "--period", PERIOD])
    assert again.exit_code == 1 and "chưa được chốt số liệu" in again.output


def test_a_column_added_after_a_period_was_closed_reads_as_not_counted(quarter, client):
    stored = build_report(Q2).as_dict()
    for row in [*stored["units"], stored["total"]]:
        row.pop("apology_letters")
    report = Report.from_dict(stored, Q2)
    assert report.total.values["apology_letters"] is None
    assert report.total.values["received"] == stored["total"]["received"]
    db.session.add(ReportSnapshot(period_start=Q2.start, period_end=Q2.end, label=PERIOD,
                                  figures=json.dumps(stored), closed_by_label="test"))
    db.session.commit()
    login(client, quarter["office"])
    assert "—" in text(client.get(f"/van-phong/bao-cao?period={PERIOD}"))
    rows = _xlsx_rows(client.get(f"/van-phong/bao-cao?period={PERIOD}&format=xlsx").data)
    from feedback_app.reports.exports import FORM_COLUMNS
    assert dict(zip(FORM_COLUMNS, rows["Tổng cộng"]))["apology_letters"] is None  # an empty cell, not a crash


def test_the_csv_download_names_its_charset_once(quarter, client):
    login(client, quarter["office"])
    response = client.get(f"/van-phong/bao-cao?period={PERIOD}&format=csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.get_data(as_text=True).lstrip("\ufeff").startswith("period_from,period_to,unit")
