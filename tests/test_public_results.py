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
    assert [r.report.period.label for r in reports.published_results()] == ["2024-Q2"]
