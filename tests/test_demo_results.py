"""The demo (``flask seed-demo``, what ``make run`` serves) shows the public results page working: the
quarter before the present one, played through the lifecycle and closed by HCTH, is on
``/ket-qua-xu-ly`` with the figures of its report, and no period that was not over is closed."""
from __future__ import annotations

import re
from datetime import timedelta
from functools import partial

import pytest
from sqlalchemy import select

from feedback_app.demo import UNITS, seed
from feedback_app.extensions import db
from feedback_app.models import ReportSnapshot
from feedback_app.reports.periods import between, quarter_of
from feedback_app.services.reports import report_of
from workflows.clock import CLOCK, local_date, parse_instant

from test_public_status import text_of


def rate(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "–"


def facts_on_page(html: str, label: str) -> tuple[dict[str, str], list[list[str]]]:
    """The period's section of the page: its figures (term: value) and its table's rows, as text."""
    section = re.search(rf'<section[^>]*id="result-{re.escape(label)}".*?</section>', html, re.S)
    assert section, f"no section for {label}"
    facts = {text_of(dt).strip(): text_of(dd).strip()
             for dt, dd in re.findall(r"<dt>(.*?)</dt>\s*<dd[^>]*>(.*?)</dd>", section.group(0), re.S)}
    rows = [[text_of(cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", section.group(0).split("<tbody>")[1], re.S)]
    return facts, rows


@pytest.mark.parametrize("now", [
    "2024-03-04T09:00:00+07:00",  # the clock fixture's Monday: 2023-Q4 is the quarter before
    "2024-03-15T08:00:00+07:00",  # the first morning of 2024-Q2: 2024-Q1 ended last night, closed now
    "2024-12-14T23:00:00+07:00",  # the last hour of 2024-Q4 and of the reporting year 2024: neither is over
])
def test_the_demo_closes_the_quarter_before_and_the_results_page_shows_its_report(app, clock, client, now):
    clock.set(now)
    seed(39, "secret-pass", progress=lambda *_: None)
    assert CLOCK.now() == parse_instant(now)  # the seed gave the clock back as it found it

    last = quarter_of(quarter_of(CLOCK.today()).start - timedelta(days=1))
    closed = db.session.execute(select(ReportSnapshot)).scalars().all()
    assert [(s.period_start, s.period_end) for s in closed] == [(last.start, last.end)]
    for snapshot in closed:  # closed by then, and only once it was over
        assert between(snapshot.period_start, snapshot.period_end).has_ended(snapshot.closed_at)
        assert snapshot.closed_at <= CLOCK.now()

    stored = report_of(last)
    assert stored.snapshot is not None
    # closed once all its cases were in: what was stored is what the report counts today
    assert stored.report.as_dict() == report_of(last, live=True).report.as_dict()
    t = stored.report.total.values
    assert min(t["received"], t["carried_over"], t["answered_early"], t["answered_late"], t["pending"],
               t["refused"], t["transferred"], t["apology_letters"], t["published"], t["not_satisfied"]) > 0

    html = client.get("/ket-qua-xu-ly").get_data(as_text=True)
    page = text_of(html)
    assert "Chưa có kỳ báo cáo nào được chốt số liệu." not in page
    year, quarter = last.label.split("-Q")
    assert (f"Kỳ báo cáo quý {'I' * int(quarter) if quarter != '4' else 'IV'} năm {year}: "
            f"từ ngày {last.start:%d/%m/%Y} đến ngày {last.end:%d/%m/%Y}") in page
    assert f"Số liệu chốt ngày {local_date(stored.closed_at):%d/%m/%Y}." in page
    facts, rows = facts_on_page(html, last.label)
    assert facts == {
        "Tiếp nhận trong kỳ": str(t["received"]),
        "Kỳ trước chuyển sang": str(t["carried_over"]),
        "Tổng số phải giải quyết": str(t["to_handle"]),
        "Đã giải quyết": str(t["answered"]),
        "Tỷ lệ giải quyết đúng hạn": rate(t["answered"] - t["answered_late"], t["answered"]),
        "Đang giải quyết cuối kỳ": f"{t['pending']} (quá hạn: {t['pending_overdue']})" if t["pending_overdue"]
                                   else str(t["pending"]),
        "Không tiếp nhận; chuyển cơ quan có thẩm quyền": f"{t['refused']}; {t['transferred']}",
        "Phiếu xin lỗi, hẹn lại ngày trả kết quả": str(t["apology_letters"]),
        "Câu trả lời đã công khai": str(t["published"]),
        "Số lượt đánh giá": str(t["rated"]),
        "Hài lòng và rất hài lòng": f"{rate(t['very_satisfied'] + t['satisfied'], t['rated'])} (rất hài lòng "
                                    f"{t['very_satisfied']}, hài lòng {t['satisfied']}, không hài lòng {t['not_satisfied']})",
    }
    assert rows == [[u.unit_name, str(v["answered"]), rate(v["answered"] - v["answered_late"], v["answered"]),
                     str(v["rated"]), rate(v["very_satisfied"] + v["satisfied"], v["rated"])]
                    for u in stored.report.units for v in [u.values]]


@pytest.mark.parametrize("first", [39, 450, 800])
def test_the_quarter_s_actions_keep_each_case_s_order_on_working_days_whatever_the_demo_s_size(app, clock, first):
    """``seed-demo --cases N``: the past quarter's cases are numbered after the demo's N others; their
    actions, played in order of time, stay in each case's own order (received first, rated after its
    approval) and on the working days the scenarios name (a review found 450 cases made a rating come
    before its approval, and 800 a classification before its receipt)."""
    from feedback_app.demo import PAST_QUARTER, _last_quarter
    from feedback_app.services.calendar import load_calendar

    calendar = load_calendar()
    users = {name: object() for name in ("office", "leader", *(u for u, *_ in UNITS))}
    # two months into the next quarter: every case of the quarter before has finished its steps
    _period, played, actions = _last_quarter(calendar, users, first, parse_instant("2024-08-20T10:00:00+07:00"))
    steps = {id(p): [] for p in played}
    for at, action in sorted(actions, key=lambda a: a[0]):  # as _the_days_gone_by plays them
        if isinstance(action, partial):  # a case's event or rating, or HCTH closing the period
            owner = getattr(action.func, "__self__", None)
            name = action.args[0] if action.func.__name__ == "fire" else action.func.__name__
        else:  # a case's receipt
            owner, name = action.__self__, action.__name__
        if id(owner) not in steps:
            continue
        steps[id(owner)].append(name)
        if name != "rate":
            assert calendar.is_working_day(local_date(at)), (name, at)
    for p, (_name, _anchor, events, score) in zip(played, PAST_QUARTER):
        done = steps[id(p)]
        assert [step for step in done if step != "rate"] == ["receive", *(event for event, _after in events)]
        if score is not None:  # the citizen rates the answer once it is approved (the day after)
            assert done.count("rate") == 1 and done.index("rate") > done.index("approve")
