"""The department's own calendar overrides (services/calendar.py: set_day, remove_day) and how every
process comes to use them: each keeps the calendar it read for CALENDAR_CACHE_SECONDS, and the sweep
puts right a case that another process received meanwhile with the calendar of before."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from feedback_app import create_app
from feedback_app.extensions import db
from feedback_app.models import Feedback, Transition, User
from feedback_app.services import calendar as calendar_service
from feedback_app.services.calendar import RECHECK_FROM, load_calendar, remove_day, set_day
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
