"""Reporting periods of the department's plan: quarters from the 15th to the 14th, years from 15/12."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from feedback_app.reports.periods import (Period, PeriodError, between, custom, half, half_of, parse_period, quarter,
                                          quarter_of, recent, report_due_date, year, year_of)


@pytest.mark.parametrize("q,start,end", [
    (1, date(2023, 12, 15), date(2024, 3, 14)),
    (2, date(2024, 3, 15), date(2024, 6, 14)),
    (3, date(2024, 6, 15), date(2024, 9, 14)),
    (4, date(2024, 9, 15), date(2024, 12, 14)),
])
def test_quarters_run_from_the_15th_before_to_the_14th_of_the_last_month(q, start, end):
    p = quarter(2024, q)
    assert (p.start, p.end, p.label) == (start, end, f"2024-Q{q}")


def test_the_four_quarters_tile_the_year_without_gap_or_overlap():
    quarters = [quarter(2024, q) for q in range(1, 5)]
    assert quarters[0].start == year(2024).start and quarters[-1].end == year(2024).end
    for before, after in zip(quarters, quarters[1:]):
        assert (after.start - before.end).days == 1
    assert sum(q.days for q in quarters) == year(2024).days == 366  # 15/12/2023..14/12/2024 holds 29/02


@pytest.mark.parametrize("day,label", [
    (date(2024, 3, 14), "2024-Q1"), (date(2024, 3, 15), "2024-Q2"),
    (date(2024, 6, 14), "2024-Q2"), (date(2024, 6, 15), "2024-Q3"),
    (date(2024, 9, 14), "2024-Q3"), (date(2024, 9, 15), "2024-Q4"),
    (date(2024, 12, 14), "2024-Q4"), (date(2024, 12, 15), "2025-Q1"),
    (date(2023, 12, 31), "2024-Q1"), (date(2024, 1, 1), "2024-Q1"),
    (date(2024, 2, 29), "2024-Q1"), (date(2024, 4, 30), "2024-Q2"), (date(2024, 5, 15), "2024-Q2"),
])
def test_quarter_of_a_day_changes_between_the_14th_and_the_15th(day, label):
    assert quarter_of(day).label == label


@pytest.mark.parametrize("day,label", [
    (date(2024, 12, 14), "2024"), (date(2024, 12, 15), "2025"), (date(2024, 12, 31), "2025"),
    (date(2025, 1, 1), "2025"), (date(2023, 12, 14), "2023"), (date(2023, 12, 15), "2024"),
])
def test_year_of_a_day_changes_on_15_december(day, label):
    assert year_of(day).label == label


def test_an_aware_datetime_is_read_in_vietnamese_local_time():
    # 14/03/2024 17:30 UTC is already 15/03 00:30 in Vietnam: the next quarter
    assert quarter_of(datetime(2024, 3, 14, 17, 30, tzinfo=timezone.utc)).label == "2024-Q2"
    assert quarter_of(datetime(2024, 3, 14, 16, 59, tzinfo=timezone.utc)).label == "2024-Q1"
    p = quarter(2024, 2)
    assert p.contains(datetime(2024, 3, 14, 17, 0, tzinfo=timezone.utc))
    assert not p.contains(datetime(2024, 3, 14, 16, 59, 59, tzinfo=timezone.utc))


def test_utc_bounds_are_local_midnights():
    p = quarter(2024, 1)
    assert p.start_utc() == datetime(2023, 12, 14, 17, 0, tzinfo=timezone.utc)
    assert p.end_utc_exclusive() == datetime(2024, 3, 14, 17, 0, tzinfo=timezone.utc)


def test_the_report_is_due_on_the_15th_of_the_quarters_last_month():
    assert report_due_date(quarter(2024, 2)) == date(2024, 6, 15)
    assert report_due_date(year(2024)) == date(2024, 12, 15)


@pytest.mark.parametrize("text,start,end,label", [
    ("2024-Q1", date(2023, 12, 15), date(2024, 3, 14), "2024-Q1"),
    (" 2024-q3 ", date(2024, 6, 15), date(2024, 9, 14), "2024-Q3"),
    ("2024", date(2023, 12, 15), date(2024, 12, 14), "2024"),
    ("2024-H1", date(2023, 12, 15), date(2024, 6, 14), "2024-H1"),
    ("2024-h2", date(2024, 6, 15), date(2024, 12, 14), "2024-H2"),
    ("2024-01-01..2024-02-29", date(2024, 1, 1), date(2024, 2, 29), "2024-01-01..2024-02-29"),
    ("2024-05-05..2024-05-05", date(2024, 5, 5), date(2024, 5, 5), "2024-05-05..2024-05-05"),
])
def test_parse_period_reads_quarters_years_and_ranges(text, start, end, label):
    p = parse_period(text)
    assert (p.start, p.end, p.label) == (start, end, label)


@pytest.mark.parametrize("text", [
    "", "2024-Q0", "2024-Q5", "24", "2024-13-01..2024-12-31", "2024-02-30..2024-03-01",
    "2024-03-01..2024-02-01", "2020-01-01..2025-01-01", "2024-01-01..2024-02-01..2024-03-01",
    "Q1-2024", "2024/01/01..2024/02/01", "0001", "2024-H0", "2024-H3",
    "0001-01-01..0001-01-31", "9999-12-01..9999-12-31",  # bounds no UTC instant holds
])
def test_parse_period_refuses_what_it_cannot_read(text):
    with pytest.raises(PeriodError):
        parse_period(text)


def test_custom_period_of_just_under_five_years_is_allowed():
    assert custom(date(2020, 1, 1), date(2024, 12, 31)).days == 1827


def test_a_range_too_long_or_reversed_says_which_in_its_own_words():
    from feedback_app.reports.periods import RangeReversed, RangeTooLong
    with pytest.raises(RangeTooLong) as long:
        parse_period("2024-02-29..2029-03-01")  # five years from 29/02 end on 28/02 (no 29/02/2029)
    assert long.value.text() == ("Khoảng thời gian dài quá 5 năm (từ ngày 29/02/2024 đến ngày 01/03/2029): chọn "
                                 "ngày kết thúc muộn nhất là 28/02/2029, hoặc lập báo cáo theo từng năm.")
    assert custom(date(2024, 2, 29), date(2029, 2, 28)).days == 1827
    with pytest.raises(RangeReversed) as reversed_:
        parse_period("2024-03-01..2024-02-01")
    assert reversed_.value.text().startswith("Ngày bắt đầu sau ngày kết thúc (01/03/2024 sau 01/02/2024)")
    assert isinstance(long.value, PeriodError) and isinstance(reversed_.value, PeriodError)  # callers catching it


def test_a_reversed_period_is_refused():
    with pytest.raises(PeriodError):
        Period(date(2024, 2, 1), date(2024, 1, 1))
    with pytest.raises(PeriodError):
        quarter(2024, True)


def test_half_years_follow_the_same_15th_to_14th_rule_and_tile_the_year():
    # NĐ 09/2019/NĐ-CP Art 12.1: 6 months = 15/12 of the year before to 14/6
    assert (half(2024, 1).start, half(2024, 1).end) == (date(2023, 12, 15), date(2024, 6, 14))
    assert (half(2024, 2).start, half(2024, 2).end) == (date(2024, 6, 15), date(2024, 12, 14))
    assert half(2024, 1).days + half(2024, 2).days == year(2024).days
    assert [half_of(d).label for d in (date(2023, 12, 15), date(2024, 6, 14), date(2024, 6, 15), date(2024, 12, 14))] \
        == ["2024-H1", "2024-H1", "2024-H2", "2024-H2"]
    assert between(date(2023, 12, 15), date(2024, 6, 14)).label == "2024-H1"
    assert report_due_date(half(2024, 1)) == date(2024, 6, 15)


def test_the_picker_offers_half_years_begun_by_today_among_the_quarters():
    labels = [p.label for p in recent(date(2024, 7, 1))]
    assert labels[:6] == ["2024", "2024-H2", "2024-Q3", "2024-H1", "2024-Q2", "2024-Q1"]
    assert labels[6:] == ["2023", "2023-H2", "2023-Q4", "2023-Q3", "2023-H1", "2023-Q2", "2023-Q1"]
    assert [p.label for p in recent(date(2024, 1, 2))][:3] == ["2024", "2024-H1", "2024-Q1"]
