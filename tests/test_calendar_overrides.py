"""The department's own calendar overrides (services/calendar.py: set_day, remove_day) and how every
process comes to use them: each keeps the calendar it read for CALENDAR_CACHE_SECONDS, and the sweep
puts right a case that another process received meanwhile with the calendar of before."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from feedback_app import create_app
from feedback_app.extensions import db
from feedback_app.models import CalendarDay, Feedback, Transition, User
from feedback_app.services import calendar as calendar_service
from feedback_app.services.calendar import RECHECK_FROM, CalendarError, load_calendar, remove_day, set_day
from feedback_app.services.cases import SYSTEM, apply_event, receive
from feedback_app.services.sequences import clear_value, read_value
from feedback_app.services.sweep import sweep
from workflows.clock import parse_instant

from deadline_helpers import SUBMISSION

DAY_OFF = date(2024, 3, 6)  # a Wednesday inside the classification window of a case received Monday 4 March


def recomputed_notes(case: Feedback) -> list[str]:
    return list(db.session.execute(select(Transition.note).where(
        Transition.feedback_id == case.id, Transition.event == "due_recomputed").order_by(Transition.id)).scalars())


def forwarded_due_date(case_id: int, office_id: int) -> date:
    """Classify and forward the case (the unit's answer is then due in working days from today)."""
    case, office = db.session.get(Feedback, case_id), db.session.get(User, office_id)
    apply_event(case, "classify", office, {"category": "TTHC"})
    apply_event(case, "forward", office, {"unit": "QLKH"})
    return case.due_date


def test_a_day_off_moves_the_due_dates_of_open_cases_and_removing_it_moves_them_back(app, clock, seeded):
    case = receive(SUBMISSION)
    before = case.due_date
    assert set_day(DAY_OFF, "off", "Nghỉ bù theo thông báo của tỉnh", SYSTEM) == 1
    db.session.refresh(case)
    moved = case.due_date
    assert moved > before and load_calendar().add_working_days(before, 1) == moved
    assert remove_day(DAY_OFF, SYSTEM) == 1
    db.session.refresh(case)
    assert case.due_date == before
    notes = recomputed_notes(case)
    assert len(notes) == 2 and "06/03/2024" in notes[0] and f"{before:%d/%m/%Y} → {moved:%d/%m/%Y}" in notes[0]


def test_a_calendar_change_moving_the_publications_date_is_not_in_the_citizens_timeline(app, clock, seeded):
    """The publication's date is the department's own once the citizen holds the answer (as the sweep's
    overdue mark of it): its move by a day off is on the staff's trail only."""
    from dataclasses import replace

    from feedback_app.services import staff
    case = receive(replace(SUBMISSION, consent_publish=True))
    apply_event(case, "classify", seeded["office"], {"category": "TTHC"})
    apply_event(case, "forward", seeded["office"], {"unit": "QLKH"})
    staff.submit_draft(case, seeded["QLKH"], "Kính gửi Ông/Bà, Sở trả lời như sau: hồ sơ đã đủ điều kiện.", [],
                       case.version)
    apply_event(case, "approve", seeded["leader"])  # Monday 4 March: publication due Wednesday 6 March
    assert case.due_step == "publish" and case.due_date == DAY_OFF
    assert set_day(DAY_OFF, "off", "Nghỉ bù theo thông báo của tỉnh", SYSTEM) == 1
    (row,) = db.session.execute(select(Transition).where(Transition.feedback_id == case.id,
                                                          Transition.event == "due_recomputed")).scalars()
    assert row.public is False


def test_another_process_keeps_its_calendar_for_a_few_seconds_and_the_sweep_puts_right_what_it_received(
        app, clock, seeded, tmp_path, monkeypatch):
    """Only the submission reads the calendar from the process's cache; a staff event in the same
    process uses the calendar as stored."""
    ticks = [1000.0]
    monkeypatch.setattr(calendar_service, "_monotonic", lambda: ticks[0])
    other = create_app("testing", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                       UPLOAD_DIR=str(tmp_path / "uploads"), CALENDAR_CACHE_SECONDS=10)
    office_id = seeded["office"].id

    def in_the_other_process(work):
        with other.app_context():
            try:
                return work()
            finally:
                db.session.remove()

    def received_by_the_other_process() -> tuple[str, date]:
        return in_the_other_process(lambda: (lambda case: (case.code, case.due_date))(receive(SUBMISSION)))

    _, before = received_by_the_other_process()  # it has read the calendar now

    to_forward = [receive(SUBMISSION).id for _ in range(2)]
    clock.advance(seconds=1)
    set_day(DAY_OFF, "off", "Nghỉ bù theo thông báo của tỉnh", SYSTEM)
    moved = receive(SUBMISSION).due_date  # the process that made the change uses it at once
    assert moved == load_calendar().add_working_days(before, 1)

    clock.advance(seconds=1)
    ticks[0] += 5  # within the other process's CALENDAR_CACHE_SECONDS: the calendar of before
    stale_code, stale_due = received_by_the_other_process()
    assert stale_due == before
    # … but a staff event there already counts with the new calendar, as here
    assert in_the_other_process(lambda: forwarded_due_date(to_forward[0], office_id)) \
        == forwarded_due_date(to_forward[1], office_id)

    result = sweep(parse_instant("2024-03-04T09:00:05+07:00"))
    assert result.due_dates_moved == 1  # the stale one; the forwarded ones were right
    stale = db.session.execute(select(Feedback).where(Feedback.code == stale_code)).scalar_one()
    assert stale.due_date == moved
    assert recomputed_notes(stale) == [
        f"Lịch làm việc thay đổi khi tiếp nhận; hạn xử lý {before:%d/%m/%Y} → {moved:%d/%m/%Y}"]
    row = db.session.execute(select(Transition).where(Transition.feedback_id == stale.id,
                                                      Transition.event == "due_recomputed")).scalar_one()
    assert row.actor_label == "Hệ thống" and row.at == parse_instant("2024-03-04T09:00:05+07:00")
    assert read_value(RECHECK_FROM)  # other processes may still have the old calendar: checked again

    assert sweep(parse_instant("2024-03-04T09:05:00+07:00")).due_dates_moved == 0  # nothing twice
    assert read_value(RECHECK_FROM) == 0  # every process has the new calendar by now

    ticks[0] += 6  # past the other process's CALENDAR_CACHE_SECONDS: it reads the calendar again
    assert received_by_the_other_process()[1] == moved
    with other.app_context():
        db.engine.dispose()


def test_a_second_change_keeps_the_start_of_the_first_and_the_check_ends_only_for_the_mark_it_read(
        app, clock, seeded):
    set_day(DAY_OFF, "off", "Nghỉ bù", SYSTEM)
    first = read_value(RECHECK_FROM)
    assert first == int(parse_instant("2024-03-04T09:00:00+07:00").timestamp()) // 60 - 2  # 2 minutes early
    clock.advance(minutes=30)
    set_day(date(2024, 3, 7), "off", "Nghỉ bù", SYSTEM)
    assert read_value(RECHECK_FROM) == first  # the cases received since the first change still need a check
    clear_value(RECHECK_FROM, first - 1)  # a sweep that read an older mark clears nothing
    assert read_value(RECHECK_FROM) == first
    assert sweep(parse_instant("2024-03-04T10:00:00+07:00")).due_dates_moved == 0
    assert read_value(RECHECK_FROM) == 0


# --- the admin page /quan-tri/lich-lam-viec: the same service calls as `flask calendar` ---------------

def due_and_notes(case_id: int) -> tuple[date, list[str]]:
    db.session.expire_all()
    case = db.session.get(Feedback, case_id)
    return case.due_date, recomputed_notes(case)


def test_a_day_off_added_on_the_page_moves_an_open_case_exactly_as_the_command_does(app, client, clock, seeded):
    from tests.test_office import login
    case_id = receive(SUBMISSION).id
    before, _ = due_and_notes(case_id)
    login(client, seeded["admin"])
    typed = {"day": "2024-03-06", "kind": "off", "name": "Nghỉ bù theo thông báo của tỉnh"}
    # first what it would do, nothing changed; then, confirmed, done
    asked = client.post("/quan-tri/lich-lam-viec", data=typed)
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200 and 'id="confirm-change"' in page
    assert ("Thêm ngày 06/03/2024 (Nghỉ: Nghỉ bù theo thông báo của tỉnh) sẽ tính lại hạn xử lý của 1 phản ánh, "
            "kiến nghị đang xử lý") in page
    assert due_and_notes(case_id) == (before, []) and db.session.execute(select(CalendarDay)).scalar() is None
    response = client.post("/quan-tri/lich-lam-viec", data={**typed, "confirmed": "1"}, follow_redirects=True)
    assert "1 phản ánh, kiến nghị đang xử lý được tính lại hạn xử lý" in response.get_data(as_text=True)
    by_page = due_and_notes(case_id)
    assert by_page[0] == load_calendar().add_working_days(before, 1)

    row = db.session.execute(select(CalendarDay).where(CalendarDay.day == DAY_OFF)).scalar_one()
    assert row.created_by_id == seeded["admin"].id
    asked = client.post(f"/quan-tri/lich-lam-viec/{row.id}/xoa")
    assert "Xóa điều chỉnh ngày 06/03/2024 sẽ tính lại hạn xử lý của 1 phản ánh" in asked.get_data(as_text=True)
    assert due_and_notes(case_id)[0] == by_page[0] and not load_calendar().is_working_day(DAY_OFF)
    client.post(f"/quan-tri/lich-lam-viec/{row.id}/xoa", data={"confirmed": "1"})
    assert due_and_notes(case_id)[0] == before and load_calendar().is_working_day(DAY_OFF)

    result = app.test_cli_runner().invoke(args=["calendar", "set", "2024-03-06", "off",
                                                "Nghỉ bù theo thông báo của tỉnh"])
    assert result.exit_code == 0, result.output
    by_command = due_and_notes(case_id)
    assert by_command[0] == by_page[0]
    assert by_command[1][-1] == by_page[1][-1] == by_page[1][0]  # the same audit note, word for word


def test_the_page_lists_this_and_next_years_overrides_and_refuses_what_changes_nothing(app, client, clock, seeded):
    from tests.test_office import login, text
    set_day(date(2025, 1, 2), "off", "Nghỉ bù Tết Dương lịch", SYSTEM)
    # an override beyond next year, left by an earlier version (the service refuses one now)
    db.session.add(CalendarDay(day=date(2026, 5, 4), kind="off", name="Ngoài hai năm"))
    db.session.commit()
    login(client, seeded["admin"])
    page = text(client.get("/quan-tri/lich-lam-viec"))
    assert "02/01/2025" in page and "Nghỉ bù Tết Dương lịch" in page and "Nghỉ</td>" in page
    assert "04/05/2026" not in page
    assert "05/03/2024, 06/03/2024" in page  # the next working days from Monday 4 March

    refused = {
        "2025-01-02": ("off", "đã được điều chỉnh"),  # a second override of the same day
        "2024-03-07": ("work", "đã là ngày làm việc"),  # a Thursday is worked anyway
        "2024-03-09": ("off", "đã là ngày nghỉ"),  # a Saturday
        "2024-04-30": ("off", "đã là ngày nghỉ"),  # Reunification Day, from holidays.VN
    }
    for day, (kind, why) in refused.items():
        response = client.post("/quan-tri/lich-lam-viec", data={"day": day, "kind": kind, "name": "Thử"})
        assert response.status_code == 422 and why in text(response), day
        # said at the page's top too, focused, and in its title: the form is under the years' tables
        assert '<div class="flash error" role="alert" id="form-errors" tabindex="-1" autofocus>' in text(response)
        assert "<title>Lỗi: Lịch làm việc" in text(response)
    for data, why in (({"day": "", "kind": "off", "name": "Thử"}, "Vui lòng chọn ngày."),
                      ({"day": "hôm qua", "kind": "off", "name": "Thử"}, "Ngày không hợp lệ."),
                      ({"day": "2024-03-08", "kind": "holiday", "name": "Thử"}, "ngày nghỉ hoặc ngày làm bù"),
                      ({"day": "2024-03-08", "kind": "off", "name": "  "}, "Vui lòng nhập tên."),
                      # a mistyped year: an override the page would never list nor let delete
                      ({"day": "2062-03-08", "kind": "off", "name": "Thử"}, "năm 2024 và năm 2025"),
                      # a day gone by: due dates missed, letters and the sweep's rows were counted by it
                      ({"day": "2024-03-01", "kind": "off", "name": "Thử"}, "Ngày 01/03/2024 đã qua"),
                      ({"day": "0001-01-01", "kind": "off", "name": "Thử"}, "đã qua")):
        response = client.post("/quan-tri/lich-lam-viec", data=data)
        assert response.status_code == 422 and why in text(response), data
    assert [d for d, in db.session.execute(select(CalendarDay.day).order_by(CalendarDay.day))] == [
        date(2025, 1, 2), date(2026, 5, 4)]

    made_up = client.post("/quan-tri/lich-lam-viec", data={"day": "2024-03-09", "kind": "work", "name": "Làm bù"})
    assert made_up.status_code == 302 and load_calendar().is_working_day(date(2024, 3, 9))


def test_the_page_shows_each_years_days_off_and_make_up_days_as_the_deadlines_count_them(app, client, clock, seeded):
    """The library's holidays and swaps with the admin's overrides, to check against the government's notice."""
    import re
    from tests.test_office import login, text
    set_day(date(2025, 1, 2), "off", "Nghỉ bù Tết Dương lịch", SYSTEM)
    login(client, seeded["admin"])
    page = text(client.get("/quan-tri/lich-lam-viec"))

    def rows(year):
        table = re.search(rf'<table class="stack" id="year-{year}">(.*?)</table>', page, re.S).group(1)
        return [tuple(re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", row, re.S))
                for row in re.findall(r"<tr>(.*?)</tr>", table.split("</thead>")[1], re.S)]
    this_year, next_year = rows(2024), rows(2025)
    assert this_year[0][:2] == ("Thứ Hai, 01/01/2024", "Nghỉ")
    assert [d for d, kind, _ in this_year if kind == "Nghỉ" and "/02/2024" in d] == [
        f"{wd}, {n:02d}/02/2024" for wd, n in (("Thứ Năm", 8), ("Thứ Sáu", 9), ("Thứ Hai", 12), ("Thứ Ba", 13),
                                               ("Thứ Tư", 14))]  # Tết Giáp Thìn on weekdays
    assert ("Thứ Năm, 02/01/2025", "Nghỉ", "Nghỉ bù Tết Dương lịch") in next_year  # the override
    assert ("Thứ Bảy, 26/04/2025", "Làm bù") == next(r for r in next_year if r[1] == "Làm bù")[:2]  # the 2025 swap
    assert any(r[0] == "Thứ Sáu, 02/05/2025" and r[1] == "Nghỉ" for r in next_year)
    english = text(client.get("/quan-tri/lich-lam-viec?lang=en"))
    assert "Days off and make-up working days of 2024" in english and "New Year" in english
    assert "Make-up working day (for 02/05/2025)" in english and "Ngày làm bù" not in english


def test_the_command_refuses_an_override_that_changes_nothing_too(app, clock, seeded):
    result = app.test_cli_runner().invoke(args=["calendar", "set", "2024-03-09", "off", "Thứ bảy"])
    assert result.exit_code != 0 and "đã là ngày nghỉ" in result.output
    for day, why in (("2030-01-02", "năm 2024 và năm 2025"), ("2024-03-01", "đã qua")):
        result = app.test_cli_runner().invoke(args=["calendar", "set", day, "off", "Nghỉ"])
        assert result.exit_code != 0 and why in result.output, day
    assert db.session.execute(select(CalendarDay)).scalar() is None


def test_a_day_gone_by_keeps_its_override_and_the_dates_counted_by_it(app, clock, seeded):
    """Removing or changing a past day would move due dates already missed, under letters naming them."""
    set_day(date(2024, 3, 8), "off", "Nghỉ đột xuất", SYSTEM)
    clock.set("2024-03-11T09:00:00+07:00")
    with pytest.raises(CalendarError, match="đã qua"):
        remove_day(date(2024, 3, 8), SYSTEM)
    with pytest.raises(CalendarError, match="đã qua"):
        set_day(date(2024, 3, 8), "work", "Làm bù", SYSTEM)
    assert db.session.execute(select(CalendarDay.kind)).scalar_one() == "off"


def test_only_the_admin_keeps_the_calendar(app, client, clock, seeded):
    from tests.test_office import login
    set_day(DAY_OFF, "off", "Nghỉ bù", SYSTEM)
    row = db.session.execute(select(CalendarDay)).scalar_one()
    for role in ("office", "leader", "QLKH"):
        login(client, seeded[role])
        assert client.get("/quan-tri/lich-lam-viec").status_code == 403
        assert client.post("/quan-tri/lich-lam-viec", data={"day": "2024-03-08", "kind": "off",
                                                            "name": "X"}).status_code == 403
        assert client.post(f"/quan-tri/lich-lam-viec/{row.id}/xoa").status_code == 403
    assert db.session.execute(select(CalendarDay.day)).scalars().all() == [DAY_OFF]


def test_an_admin_loaded_in_an_earlier_transaction_is_recorded_as_who_set_the_day(app, clock, seeded):
    """Reading the expired user's id must not flush the new row before it has its kind and name."""
    from feedback_app.models import CalendarDay
    admin = seeded["admin"]
    db.session.commit()  # the admin's attributes expire with the transaction
    set_day(DAY_OFF, "off", "Nghỉ bù theo thông báo của tỉnh", admin)
    assert db.session.execute(select(CalendarDay.created_by_id)).scalar_one() == admin.id


def test_the_command_lists_a_years_days_off_and_make_up_working_days(app):
    result = app.test_cli_runner().invoke(args=["calendar", "list", "2025"])
    assert result.exit_code == 0, result.output
    assert "2025-05-02  nghỉ" in result.output and "2025-04-26  làm việc" in result.output  # the 2025 swap
    assert result.output.startswith("2025-01-01  nghỉ")  # New Year's Day, the year's first day, is listed
    assert "2024-12-31" not in result.output


def test_deleting_the_same_day_twice_says_it_was_already_deleted(app, client, clock, seeded):
    from tests.test_office import login, text
    case_id = receive(SUBMISSION).id
    before, _ = due_and_notes(case_id)
    set_day(DAY_OFF, "off", "Nghỉ bù theo thông báo của tỉnh", SYSTEM)
    row = db.session.execute(select(CalendarDay).where(CalendarDay.day == DAY_OFF)).scalar_one()
    login(client, seeded["admin"])
    url = f"/quan-tri/lich-lam-viec/{row.id}/xoa"
    first = client.post(url, data={"confirmed": "1"}, follow_redirects=True)  # the first tab
    assert "Đã xóa điều chỉnh ngày 06/03/2024" in text(first)
    notes = due_and_notes(case_id)[1]
    again = client.post(url)  # the second tab, or back and send again
    assert again.status_code == 302
    page = text(client.get(again.headers["Location"]))
    assert "Điều chỉnh này đã được xóa trước đó" in page and "Đã xóa điều chỉnh" not in page
    assert due_and_notes(case_id) == (before, notes)  # nothing moved twice
    english = text(client.post(url + "?lang=en", follow_redirects=True))
    assert "This adjustment was already deleted" in english


def test_the_command_lists_a_year_of_the_calendar_and_says_which_years_it_takes(app, clock, seeded):
    listed = app.test_cli_runner().invoke(args=["calendar", "list", "2025"])
    assert listed.exit_code == 0 and "2025-04-26  làm việc   Ngày làm bù (cho ngày 02/05/2025)" in listed.output
    for year in ("0", "2101", "99999", "-5"):  # holidays.VN knows 1901 to 2100: no silently empty year
        refused = app.test_cli_runner().invoke(args=["calendar", "list", "--", year])
        assert refused.exit_code == 2 and "1901<=x<=2100" in refused.output and refused.exception.__class__ is SystemExit
