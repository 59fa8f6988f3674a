"""A set of cases around quarter 2024-Q2 (15/03/2024 – 14/06/2024), made through the real services
with the clock, and what each one must add to the report, written down by hand."""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time

from feedback_app.extensions import db
from feedback_app.models import Rating
from feedback_app.services.cases import Submission, apply_event, receive
from workflows.clock import CLOCK, LOCAL_TZ

PERIOD = "2024-Q2"


def _at(day: str, hhmm: str = "09:00") -> None:
    CLOCK.set(datetime.combine(date.fromisoformat(day), time.fromisoformat(hhmm), LOCAL_TZ))


def _new(day: str, channel: str = "web", hhmm: str = "09:00", consent: bool = True):
    _at(day, hhmm)
    return receive(Submission(full_name="Trần Thị Bình", address="12 Lê Lợi, Quảng Ngãi", phone="0905111222",
                              email="binh@example.com", title="Thủ tục cấp phép",
                              content="Đề nghị hướng dẫn thủ tục cấp phép tiến hành công việc bức xạ.",
                              consent_publish=consent, channel=channel))


def _ev(case, day: str, event: str, actor, args=None, hhmm: str = "10:00"):
    _at(day, hhmm)
    apply_event(case, event, actor, args)


def _forward(case, day: str, users, unit: str):
    _ev(case, day, "classify", users["office"], {"category": "TTHC"}, "09:30")
    _ev(case, day, "forward", users["office"], {"unit": unit}, "10:00")


def _answer(case, day: str, users, unit: str, hhmm: str = "15:00"):
    _ev(case, day, "submit_draft", users[unit], {"reply": "Trả lời: thủ tục gồm các bước sau."}, "08:00")
    _ev(case, day, "approve", users["leader"], hhmm=hhmm)


def _rate(case, day: str, score: int):
    _at(day)
    db.session.add(Rating(feedback=case, score=score, created_at=CLOCK.now()))
    db.session.commit()


def seed_quarter(users) -> dict[str, Counter]:
    """Create the cases; return, per unit code, the report cells each case adds (by hand)."""
    expected: dict[str, Counter] = {"HCTH": Counter(), "QLKH": Counter(), "TDC": Counter()}

    def adds(unit: str, *cells: str):
        expected[unit].update(cells)

    # A: received and answered (and published) in Q1: nothing in Q2
    a = _new("2024-03-04")
    _forward(a, "2024-03-05", users, "QLKH")
    _answer(a, "2024-03-12", users, "QLKH")
    _ev(a, "2024-03-13", "publish", users["office"])
    # B: carried over from Q1, answered early in Q2, published, rated "very satisfied"
    b = _new("2024-03-04")
    _forward(b, "2024-03-05", users, "QLKH")
    _answer(b, "2024-03-20", users, "QLKH")
    _ev(b, "2024-03-21", "publish", users["office"])
    _rate(b, "2024-03-22", 3)
    adds("QLKH", "carried_over", "answered_early", "published", "rated", "very_satisfied")
    # C: received and refused in Q1: nothing
    c = _new("2024-03-11", channel="email")
    _ev(c, "2024-03-13", "refuse", users["office"], {"reason": "unclear_content"})
    # D: received online and refused in Q2
    d = _new("2024-03-18")
    _ev(d, "2024-03-19", "refuse", users["office"], {"reason": "complaint_or_denunciation"})
    adds("HCTH", "received", "received_online", "refused")
    # E: received by post and transferred to another agency in Q2
    e = _new("2024-03-18", channel="post")
    _ev(e, "2024-03-20", "transfer_out", users["office"], {"agency": "Sở Y tế"})
    adds("HCTH", "received", "received_other", "transferred")
    # F: received through the API, answered late, published, rated "not satisfied"
    f = _new("2024-03-25", channel="api")
    _forward(f, "2024-03-26", users, "TDC")
    assert f.due_date < date(2024, 5, 3)
    _answer(f, "2024-05-03", users, "TDC")
    _ev(f, "2024-05-06", "publish", users["office"])
    _rate(f, "2024-05-07", 1)
    adds("TDC", "received", "received_online", "answered_late", "published", "rated", "not_satisfied")
    # G: an apology letter with a new date, which has passed too by the end of the quarter
    g = _new("2024-04-01")
    _forward(g, "2024-04-02", users, "QLKH")
    _ev(g, "2024-04-05", "extend", users["QLKH"], {"reason": "Cần lấy ý kiến Sở Tài chính"})
    assert g.due_date <= date(2024, 6, 14)
    adds("QLKH", "received", "received_online", "apology_letters", "pending_overdue")
    # H: classified but not yet forwarded at the end: pending at the office, not yet due
    h = _new("2024-06-10")
    _ev(h, "2024-06-11", "classify", users["office"], {"category": "KHAC"})
    adds("HCTH", "received", "received_online", "pending_on_time")
    # I: by phone; answered only after the quarter, past a due date that fell inside it
    i = _new("2024-05-20", channel="phone")
    _forward(i, "2024-05-21", users, "QLKH")
    assert i.due_date <= date(2024, 6, 14)
    adds("QLKH", "received", "received_other", "pending_overdue")
    # J: answered after the quarter, before its due date (pending within the deadline at the end)
    j = _new("2024-06-03")
    _forward(j, "2024-06-04", users, "TDC")
    assert j.due_date > date(2024, 6, 14)
    adds("TDC", "received", "received_online", "pending_on_time")
    # L: received one minute before the quarter (local time): carried over, classification overdue
    _new("2024-03-14", hhmm="23:59")
    adds("HCTH", "carried_over", "pending_overdue")
    # M: received one minute before the quarter ends: in it, not yet due
    _new("2024-06-14", hhmm="23:59")
    adds("HCTH", "received", "received_online", "pending_on_time")
    # N: waiting for the citizen's information: the department is not late
    n = _new("2024-04-10")
    _ev(n, "2024-04-11", "request_info", users["office"], {"missing": "Số điện thoại"})
    adds("HCTH", "received", "received_online", "pending_on_time")
    # O: answered on its due date itself: on time, not early
    o = _new("2024-04-22")
    _forward(o, "2024-04-23", users, "QLKH")
    _answer(o, o.due_date.isoformat(), users, "QLKH", hhmm="16:30")
    adds("QLKH", "received", "received_online", "answered_on_time")
    # after the quarter: I and J answered, K received
    _answer(i, "2024-06-20", users, "QLKH")
    _answer(j, "2024-06-24", users, "TDC")
    _new("2024-06-15", hhmm="00:00")  # K: the first minute of the next quarter
    _at("2024-07-01")
    return expected
