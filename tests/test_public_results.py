"""``/ket-qua-xu-ly``: the closed periods' results and the citizens' satisfaction, as the department
publishes them (the plan, items 13 and 24): the figures HCTH closed, in total and per unit, the rates
worked out; nothing of a period not closed, and no personal data."""
from __future__ import annotations

import re

import pytest

from feedback_app.services import reports

from report_seed import PERIOD, _at, seed_quarter
from test_public_status import text_of
from test_report_close import Q2


@pytest.fixture
def quarter(app, clock, seeded):
    seed_quarter(seeded)
    return seeded


def test_the_public_reads_the_closed_quarters_results_and_satisfaction(quarter, client):
    assert "Chưa có kỳ báo cáo nào được chốt số liệu." in text_of(client.get("/ket-qua-xu-ly").get_data(as_text=True))
    _at("2024-06-17", "09:00")
    reports.close_report(Q2, quarter["office"])
    total = reports.report_of(Q2).report.total.values
    page = text_of(client.get("/ket-qua-xu-ly").get_data(as_text=True))
    assert "Kỳ báo cáo quý II năm 2024: từ ngày 15/03/2024 đến ngày 14/06/2024" in page
    assert (f"Tiếp nhận trong kỳ {total['received']} Kỳ trước chuyển sang {total['carried_over']} "
            f"Tổng số phải giải quyết {total['to_handle']} Đã giải quyết {total['answered']}") in page
    # what was to handle is what was settled and what is left: the page's own figures add up
    shown = {label: int(v) for label, v in re.findall(r"(Tổng số phải giải quyết|Đã giải quyết|Đang giải quyết cuối kỳ) (\d+)", page)}
    refused, transferred = map(int, re.search(r"chuyển cơ quan có thẩm quyền (\d+); (\d+)", page).groups())
    assert shown["Tổng số phải giải quyết"] == shown["Đã giải quyết"] + shown["Đang giải quyết cuối kỳ"] + refused + transferred
    on_time = round(100 * (total["answered"] - total["answered_late"]) / total["answered"])
    assert f"Tỷ lệ giải quyết đúng hạn {on_time}%" in page
    satisfied = round(100 * (total["very_satisfied"] + total["satisfied"]) / total["rated"])
    assert f"Hài lòng và rất hài lòng {satisfied}% (rất hài lòng {total['very_satisfied']}" in page
    assert "Số liệu chốt ngày 17/06/2024." in page
    # per unit: QLKH answered early and on time (100%), TDC late (0%), as the dashboard says
    assert re.search(r"Phòng Quản lý Khoa học \d+ 100%", page) and re.search(r"Chi cục Tiêu chuẩn Đo lường Chất lượng \d+ 0%", page)
    for personal in ("Trần Thị Bình", "Nguyễn Văn An", "0905123456", "@example.com"):
        assert personal not in page
    english = text_of(client.get("/ket-qua-xu-ly?lang=en").get_data(as_text=True))
    assert "Reporting period: quarter II of 2024, from 15/03/2024 to 14/06/2024" in english and f"Answered on time {on_time}%" in english
    home = client.get("/").get_data(as_text=True)
    assert 'href="/ket-qua-xu-ly"' in home  # in the navigation and on the home page


def test_a_period_counted_but_not_closed_is_not_published(quarter, client):
    _at("2024-06-17", "09:00")
    page = text_of(client.get("/ket-qua-xu-ly").get_data(as_text=True))
    assert PERIOD not in page and "Chưa có kỳ báo cáo nào được chốt số liệu." in page


def test_a_range_closed_for_an_ad_hoc_request_is_not_published(quarter, client):
    """Only the periods the department reports on (quarter, half-year, year) go on the public page."""
    from feedback_app.reports.periods import parse_period
    _at("2024-06-17", "09:00")
    reports.close_report(parse_period("2024-04-01..2024-04-30"), quarter["office"])
    assert "Chưa có kỳ báo cáo nào được chốt số liệu." in text_of(client.get("/ket-qua-xu-ly").get_data(as_text=True))
    reports.close_report(Q2, quarter["office"])
    assert [r.report.period.label for r in reports.published_results().items] == ["2024-Q2"]


def test_every_closed_period_is_reachable_a_page_of_periods_at_a_time(app, clock, seeded, client):
    """Seven periods a year (four quarters, two half-years, the year): two years closed are fourteen, all
    on the page, newest first, eight a page; a range of days closed on request is on none."""
    from feedback_app.reports.periods import half, parse_period, quarter, year
    _at("2027-02-03", "09:00")
    for y in (2025, 2026):
        for period in (quarter(y, 1), quarter(y, 2), half(y, 1), quarter(y, 3), quarter(y, 4), half(y, 2), year(y)):
            reports.close_report(period, seeded["office"])
    reports.close_report(parse_period("2026-01-01..2026-01-31"), seeded["office"])

    def shown(html: str) -> list[str]:
        return re.findall(r'id="result-([^"]+)"', html)

    first = client.get("/ket-qua-xu-ly").get_data(as_text=True)
    assert shown(first) == ["2026", "2026-H2", "2026-Q4", "2026-Q3", "2026-H1", "2026-Q2", "2026-Q1", "2025"]
    assert "Trang 1 / 2" in text_of(first) and 'href="/ket-qua-xu-ly?page=2"' in first
    second = client.get("/ket-qua-xu-ly?page=2").get_data(as_text=True)
    assert shown(second) == ["2025-H2", "2025-Q4", "2025-Q3", "2025-H1", "2025-Q2", "2025-Q1"]
    assert "Kỳ báo cáo quý I năm 2025: từ ngày 15/12/2024 đến ngày 14/03/2025" in text_of(second)
    assert '<a href="/ket-qua-xu-ly" rel="prev">' in second and "Trang sau" not in second
    # a page past the last (a link kept from when more were closed) goes to the last one
    beyond = client.get("/ket-qua-xu-ly?page=9")
    assert beyond.status_code == 302 and beyond.headers["Location"].endswith("/ket-qua-xu-ly?page=2")
    assert reports.published_results(2).total == 14
