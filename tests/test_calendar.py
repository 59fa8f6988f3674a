"""Working days for pakn deadlines: workflows/calendar.py.

Dates checked against holidays 0.109 (holidays.VN) and the government's
announcements it cites. A case received on day D with 5 working days is due on
the 5th working day after D (NĐ 20/2008 Art 9.1d).
"""

from datetime import date, datetime, timedelta

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import workflows.calendar as calendar_module
from workflows.calendar import DEFAULT_CALENDAR, HolidayNote, WorkingCalendar

cal = DEFAULT_CALENDAR


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(k) for k in range((end - start).days + 1)]


# --- Tết -------------------------------------------------------------------


def test_tet_2024_is_thursday_8_to_wednesday_14_february():
    closed = [d for d in days(date(2024, 2, 5), date(2024, 2, 16)) if not cal.is_working_day(d)]
    assert closed == days(date(2024, 2, 8), date(2024, 2, 14))
    assert cal.day_off_name(date(2024, 2, 10)) == "Tết Nguyên Đán"
    assert cal.is_working_day(date(2024, 2, 15))


def test_a_case_received_friday_2_february_2024_is_due_friday_16_february():
    # 5, 6, 7 Feb, then Tết 8-14 Feb, then 15, 16 Feb.
    assert cal.add_working_days(date(2024, 2, 2), 5) == date(2024, 2, 16)


def test_a_case_received_the_day_before_tet_2024_is_due_wednesday_21_february():
    # 8-14 Feb off; 15, 16, 19, 20, 21 Feb.
    assert cal.add_working_days(date(2024, 2, 7), 5) == date(2024, 2, 21)


def test_tet_2025_keeps_the_office_closed_from_saturday_25_january_to_sunday_2_february():
    closed = days(date(2025, 1, 25), date(2025, 2, 2))
    assert not any(cal.is_working_day(d) for d in closed)
    assert cal.is_working_day(date(2025, 1, 24))
    assert cal.is_working_day(date(2025, 2, 3))


def test_a_case_received_friday_24_january_2025_is_due_friday_7_february():
    assert cal.add_working_days(date(2025, 1, 24), 5) == date(2025, 2, 7)


def test_tet_2026_closes_the_office_from_14_to_22_february():
    # holidays.VN: 16-20 Feb (Giao thừa .. Mùng bốn); Tết itself is Tuesday 17 Feb 2026.
    assert cal.day_off_name(date(2026, 2, 17)) == "Tết Nguyên Đán"
    assert not any(cal.is_working_day(d) for d in days(date(2026, 2, 14), date(2026, 2, 22)))
    assert cal.is_working_day(date(2026, 2, 13))
    assert cal.is_working_day(date(2026, 2, 23))


def test_a_case_received_friday_13_february_2026_is_due_friday_27_february():
    assert cal.add_working_days(date(2026, 2, 13), 5) == date(2026, 2, 27)


def test_a_case_received_thursday_12_february_2026_is_due_thursday_26_february():
    # 13 Feb, then 23, 24, 25, 26 Feb.
    assert cal.add_working_days(date(2026, 2, 12), 5) == date(2026, 2, 26)


# --- swapped days (BLLĐ 2019 Art 112.3) -------------------------------------


def test_saturday_26_april_2025_is_worked_so_that_friday_2_may_is_off():
    assert cal.is_working_day(date(2025, 4, 26))
    assert not cal.is_working_day(date(2025, 5, 2))
    assert cal.day_off_name(date(2025, 5, 2)) == "Ngày nghỉ (thay cho ngày 26/04/2025)"


def test_a_case_received_thursday_24_april_2025_counts_the_make_up_saturday():
    # 25 Apr, Sat 26 Apr, 28, 29 Apr; 30 Apr-4 May off; Monday 5 May.
    assert cal.add_working_days(date(2025, 4, 24), 5) == date(2025, 5, 5)
    assert cal.count_working_days(date(2025, 4, 24), date(2025, 4, 28)) == 3


def test_saturday_22_august_2026_is_worked_so_that_monday_31_august_is_off():
    assert cal.is_working_day(date(2026, 8, 22))
    assert not cal.is_working_day(date(2026, 8, 31))
    assert not cal.is_working_day(date(2026, 9, 1))
    assert not cal.is_working_day(date(2026, 9, 2))


def test_a_case_received_thursday_20_august_2026_is_due_wednesday_26_august():
    # 21 Aug, Sat 22 Aug, 24, 25, 26 Aug.
    assert cal.add_working_days(date(2026, 8, 20), 5) == date(2026, 8, 26)


def test_a_case_received_thursday_27_august_2026_is_due_tuesday_8_september():
    # 28 Aug; 29 Aug-2 Sep off; 3, 4, 7, 8 Sep.
    assert cal.add_working_days(date(2026, 8, 27), 5) == date(2026, 9, 8)


def test_make_up_working_days_name_the_day_they_pay_for():
    assert cal.make_up_working_days(2025) == [
        HolidayNote(date(2025, 4, 26), "Ngày làm bù (cho ngày 02/05/2025)")
    ]
    assert [n.date for n in cal.make_up_working_days(2026)] == [date(2026, 8, 22)]
    assert cal.make_up_working_days(2027) == []


def test_a_swap_across_new_year_is_found():
    # Worked Saturday 27/12/2014 for Friday 2/1/2015 off.
    assert cal.make_up_working_days(2014)[-1] == HolidayNote(
        date(2014, 12, 27), "Ngày làm bù (cho ngày 02/01/2015)"
    )


# --- names -----------------------------------------------------------------


@pytest.mark.parametrize(
    "day, name",
    [
        (date(2025, 1, 1), "Tết Dương lịch"),
        (date(2025, 4, 7), "Ngày Giỗ Tổ Hùng Vương"),
        (date(2025, 4, 30), "Ngày Chiến thắng"),
        (date(2025, 5, 1), "Ngày Quốc tế Lao động"),
        (date(2025, 9, 2), "Quốc khánh"),
        (date(2026, 4, 27), "Ngày Giỗ Tổ Hùng Vương (nghỉ bù)"),  # 10/3 lunar fell on Sunday 26/4
        (date(2025, 3, 8), "Thứ Bảy"),
        (date(2025, 3, 9), "Chủ nhật"),
        (date(2025, 3, 10), None),
    ],
)
def test_day_off_name_says_why_in_vietnamese(day, name):
    assert cal.day_off_name(day) == name


# --- local overrides ---------------------------------------------------------


def test_a_day_off_override_closes_a_working_day_and_moves_the_due_date():
    assert cal.add_working_days(date(2025, 5, 30), 5) == date(2025, 6, 6)
    local = WorkingCalendar(days_off={date(2025, 6, 2): "Nghỉ theo thông báo của UBND"})
    assert local.day_off_name(date(2025, 6, 2)) == "Nghỉ theo thông báo của UBND"
    assert local.add_working_days(date(2025, 5, 30), 5) == date(2025, 6, 9)
    assert local.days_off_between(date(2025, 5, 30), date(2025, 6, 9)) == [
        HolidayNote(date(2025, 6, 2), "Nghỉ theo thông báo của UBND")
    ]


def test_a_working_day_override_makes_a_saturday_count():
    assert cal.add_working_days(date(2025, 6, 4), 5) == date(2025, 6, 11)
    local = WorkingCalendar(working_days={date(2025, 6, 7): "Làm bù"})
    assert local.is_working_day(date(2025, 6, 7))
    assert local.add_working_days(date(2025, 6, 4), 5) == date(2025, 6, 10)
    assert HolidayNote(date(2025, 6, 7), "Làm bù") in local.make_up_working_days(2025)


def test_overrides_win_over_the_library():
    local = WorkingCalendar(
        days_off={date(2025, 4, 26): "Không làm bù"},
        working_days={date(2025, 5, 2): "Đi làm"},
    )
    assert not local.is_working_day(date(2025, 4, 26))
    assert local.is_working_day(date(2025, 5, 2))
    assert local.make_up_working_days(2025) == []


def test_a_date_both_off_and_working_is_refused():
    with pytest.raises(ValueError):
        WorkingCalendar(days_off={date(2025, 6, 2): "x"}, working_days={date(2025, 6, 2): "y"})


def test_a_datetime_is_refused_rather_than_silently_misread():
    with pytest.raises(TypeError):
        cal.is_working_day(datetime(2025, 6, 2, 9, 0))
    with pytest.raises(TypeError):
        WorkingCalendar(days_off={datetime(2025, 6, 2): "x"})


# --- days off between, counting ----------------------------------------------


def test_days_off_over_tet_2025_are_the_five_weekdays_without_plain_weekends():
    notes = cal.days_off_between(date(2025, 1, 24), date(2025, 2, 7))
    assert [n.date for n in notes] == days(date(2025, 1, 27), date(2025, 1, 31))
    assert all("Tết" in n.name for n in notes)
    assert notes[2] == HolidayNote(date(2025, 1, 29), "Tết Nguyên Đán")


def test_days_off_between_excludes_start_and_includes_end():
    assert cal.days_off_between(date(2025, 4, 30), date(2025, 5, 1)) == [
        HolidayNote(date(2025, 5, 1), "Ngày Quốc tế Lao động")
    ]
    assert cal.days_off_between(date(2025, 5, 1), date(2025, 4, 30)) == []


def test_count_working_days_counts_after_start_up_to_end():
    monday, friday = date(2025, 3, 10), date(2025, 3, 14)
    assert cal.count_working_days(monday, monday) == 0
    assert cal.count_working_days(monday, friday) == 4
    assert cal.count_working_days(friday, date(2025, 3, 16)) == 0  # the weekend
    assert cal.count_working_days(friday, date(2025, 3, 17)) == 1


def test_count_working_days_backwards_is_negative():
    monday, friday = date(2025, 3, 10), date(2025, 3, 14)
    assert cal.count_working_days(friday, monday) == -4
    assert cal.count_working_days(date(2025, 2, 7), date(2025, 1, 24)) == -5


def test_add_working_days_zero_and_backwards():
    assert cal.add_working_days(date(2025, 3, 15), 0) == date(2025, 3, 15)
    assert cal.add_working_days(date(2025, 2, 3), -1) == date(2025, 1, 24)
    assert cal.add_working_days(date(2025, 2, 7), -5) == date(2025, 1, 24)


def test_next_working_day():
    assert cal.next_working_day(date(2025, 1, 24)) == date(2025, 1, 24)
    assert cal.next_working_day(date(2025, 1, 24), include_self=False) == date(2025, 2, 3)
    assert cal.next_working_day(date(2025, 1, 25)) == date(2025, 2, 3)


def test_holidays_vn_is_built_once_per_year_not_per_call(monkeypatch):
    built = []
    real = holidays.VN

    def counting(*args, **kwargs):
        built.append(kwargs.get("years"))
        return real(*args, **kwargs)

    calendar_module._library_year.cache_clear()
    monkeypatch.setattr(calendar_module.holidays, "VN", counting)
    try:
        for _ in range(50):
            WorkingCalendar().add_working_days(date(2025, 12, 20), 20)
        assert len(built) == 2  # 2025 and 2026
    finally:
        calendar_module._library_year.cache_clear()


# --- properties ----------------------------------------------------------------

start_dates = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))
counts = st.integers(min_value=0, max_value=60)
bounded = settings(max_examples=200, deadline=None)


@bounded
@given(start_dates, counts)
def test_counting_undoes_adding(start, n):
    assert cal.count_working_days(start, cal.add_working_days(start, n)) == n


@bounded
@given(start_dates, counts)
def test_counting_back_undoes_adding_back_from_a_working_day(start, n):
    start = cal.next_working_day(start)
    assert cal.count_working_days(start, cal.add_working_days(start, -n)) == -n


@bounded
@given(start_dates, st.integers(min_value=1, max_value=60))
def test_a_due_date_is_a_working_day(start, n):
    due = cal.add_working_days(start, n)
    assert cal.is_working_day(due)
    assert due not in holidays.VN(years=due.year)
    if due.weekday() >= 5:
        assert due in {note.date for note in cal.make_up_working_days(due.year)}


@bounded
@given(start_dates, counts)
def test_more_working_days_never_give_an_earlier_due_date(start, n):
    assert cal.add_working_days(start, n) < cal.add_working_days(start, n + 1)


def test_a_library_holiday_is_named_in_english_and_an_admins_own_day_off_as_typed():
    cal = WorkingCalendar(days_off={date(2024, 3, 8): "Nghỉ theo quyết định của UBND tỉnh"})
    notes = cal.days_off_between(date(2024, 2, 7), date(2024, 3, 8))
    named = {note.date: cal.holiday_name(note, "en_US") for note in notes}
    assert named[date(2024, 2, 12)] == "Third Day of Lunar New Year"
    assert named[date(2024, 3, 8)] == "Nghỉ theo quyết định của UBND tỉnh"
