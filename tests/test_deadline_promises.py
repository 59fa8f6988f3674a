"""The date an apology letter promised survives a return to HCTH and a new forwarding (NĐ 61/2018
Art 19.9: the new date is set once; brief: "Decisions for pakn"), and a return never gets a fresh
allowance that outlives the case's own limit. Through the real services and the sweep."""
from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select

from feedback_app.extensions import db
from feedback_app.models import ApologyLetter, DeadlineNotice, OutboxMail, Transition
from feedback_app.services.calendar import basis_text
from feedback_app.services import outbox
from feedback_app.services.cases import apply_event, receive
from feedback_app.services.sweep import sweep
from workflows.clock import parse_instant

from deadline_helpers import SUBMISSION, count

PROMISED = date(2026, 12, 8)


def extended_case(clock, seeded):
    """The tester's case: received Thursday 5/11/2026, forwarded to QLKH on 6/11 (answer due 30/11),
    extended by QLKH on 20/11 with its own letter promising 8/12/2026."""
    clock.set("2026-11-05T09:00:00+07:00")
    case = receive(SUBMISSION)
    apply_event(case, "classify", seeded["office"], {"category": "TTHC"})
    clock.set("2026-11-06T09:00:00+07:00")
    apply_event(case, "forward", seeded["office"], {"unit": "QLKH"})
    assert case.due_date == date(2026, 11, 30)
    clock.set("2026-11-20T09:00:00+07:00")
    apply_event(case, "extend", seeded["QLKH"], {"reason": "Cần lấy ý kiến Chi cục Tiêu chuẩn Đo lường Chất lượng.",
                                                  "new_date": PROMISED.isoformat()})
    assert case.due_date == PROMISED and case.extension_count == 1
    return case


def returned_and_forwarded_again(clock, seeded):
    case = extended_case(clock, seeded)
    clock.set("2026-11-25T09:00:00+07:00")
    apply_event(case, "return_to_office", seeded["QLKH"], {"reason": "Thuộc lĩnh vực tiêu chuẩn đo lường"})
    clock.set("2026-11-26T09:00:00+07:00")
    apply_event(case, "forward", seeded["office"], {"unit": "TDC"})
    return case


def look_up(client, case) -> str:
    assert client.post("/tra-cuu", data={"code": case.code, "contact": SUBMISSION.phone}).status_code == 303
    return client.get(f"/tra-cuu/{case.code}").get_data(as_text=True)


def due_date_shown(page: str) -> str:
    return re.search(r'<strong id="due-date">([^<]*)</strong>', page).group(1)


def test_a_case_returned_after_its_letter_is_due_back_at_hcth_on_the_promised_date_not_a_fresh_five_days(
        app, clock, seeded):
    case = extended_case(clock, seeded)
    clock.set("2026-11-25T09:00:00+07:00")
    apply_event(case, "return_to_office", seeded["QLKH"], {"reason": "Thuộc lĩnh vực tiêu chuẩn đo lường"})
    # a fresh five days would have been 2/12; the case's bound is the promise, which does not move
    assert (case.state, case.due_step, case.due_date) == ("classified", "classify", PROMISED)
    assert case.due_start == date(2026, 11, 25) and "19.9" in case.due_basis
    assert case.target_date <= PROMISED


def test_forwarding_again_keeps_the_promised_date_instead_of_the_twenty_day_cap(app, client, clock, seeded):
    case = returned_and_forwarded_again(clock, seeded)
    # not 4/12/2026 ("6 ngày làm việc sau ngày 26/11/2026", the 20-day cap from receipt)
    assert (case.state, case.unit.code, case.due_step, case.due_date) == ("forwarded", "TDC", "answer", PROMISED)
    assert "19.9" in case.due_basis and case.extension_count == 1
    assert count(ApologyLetter) == 1
    page = look_up(client, case)
    assert due_date_shown(page) == "08/12/2026"
    assert "04/12/2026" not in page
    assert "hẹn lại ngày 08/12/2026" in page
    # how it was set: the letter's date, not a count of working days that the law's 20 would contradict
    how = re.search(r'<dd id="due-how">(.*?)</dd>', page, re.S).group(1)
    assert how == "Ngày hẹn lại ghi trong phiếu xin lỗi."


def test_a_promise_moves_neither_later_nor_earlier(app, clock, seeded):
    """Forwarded again at once: 15 working days would reach past the promise and the 20-day cap
    (4/12) would fall before it; the answer is still due on the promise."""
    case = extended_case(clock, seeded)
    apply_event(case, "return_to_office", seeded["QLKH"], {"reason": "Không thuộc thẩm quyền của phòng"})
    apply_event(case, "forward", seeded["office"], {"unit": "TDC"})
    assert case.due_date == PROMISED


def test_the_sweep_issues_no_second_letter_and_escalates_when_the_promise_is_missed_after_a_new_forwarding(
        app, clock, seeded):
    case = returned_and_forwarded_again(clock, seeded)
    assert sweep(parse_instant("2026-12-04T23:00:00+07:00")).overdue == 0  # the 20-day cap is not a due date
    assert sweep(parse_instant("2026-12-08T23:59:00+07:00")).overdue == 0
    result = sweep(parse_instant("2026-12-09T00:01:00+07:00"))
    assert (result.overdue, result.letters, result.escalations) == (1, 0, 1)
    db.session.refresh(case)
    assert count(ApologyLetter) == 1 and case.due_date == PROMISED and case.escalated_at is not None
    mail = db.session.execute(select(OutboxMail).where(OutboxMail.kind == "escalation")).scalar_one()
    assert "08/12/2026" in mail.body_text and mail.recipients == seeded["leader"].email
    again = sweep(parse_instant("2026-12-10T08:00:00+07:00"))
    assert (again.overdue, again.letters, again.escalations) == (0, 0, 0)


def test_missing_the_promise_while_back_at_hcth_escalates_once_and_a_later_forwarding_changes_nothing(
        app, clock, seeded):
    case = extended_case(clock, seeded)
    clock.set("2026-12-07T09:00:00+07:00")
    apply_event(case, "return_to_office", seeded["QLKH"], {"reason": "Không thuộc thẩm quyền của phòng"})
    result = sweep(parse_instant("2026-12-09T00:01:00+07:00"))
    assert (result.overdue, result.letters, result.escalations) == (1, 0, 1)
    notices = db.session.execute(select(DeadlineNotice.step, DeadlineNotice.kind)
                                 .where(DeadlineNotice.kind != "progress").order_by(DeadlineNotice.id)).all()
    assert [tuple(n) for n in notices] == [("classify", "overdue"), ("classify", "escalation")]
    clock.set("2026-12-10T09:00:00+07:00")
    apply_event(case, "forward", seeded["office"], {"unit": "TDC"})
    assert case.due_date == PROMISED and case.overdue_since == PROMISED  # still missed, not missed again
    again = sweep(parse_instant("2026-12-10T10:00:00+07:00"))
    assert (again.overdue, again.letters, again.escalations, again.skipped) == (0, 0, 0, 0)
    assert count(Transition, Transition.event == "escalated") == 1


def test_a_return_without_a_letter_gets_five_days_but_never_past_the_twenty_days_from_receipt(
        app, clock, seeded):
    clock.set("2026-11-05T09:00:00+07:00")
    case = receive(SUBMISSION)
    apply_event(case, "classify", seeded["office"], {"category": "TTHC"})
    clock.set("2026-11-06T09:00:00+07:00")
    apply_event(case, "forward", seeded["office"], {"unit": "QLKH"})
    clock.set("2026-11-09T09:00:00+07:00")
    apply_event(case, "return_to_office", seeded["QLKH"], {"reason": "Không thuộc thẩm quyền của phòng"})
    assert case.due_date == date(2026, 11, 16)  # early in the case: the usual five working days
    apply_event(case, "forward", seeded["office"], {"unit": "QLCN"})
    clock.set("2026-11-30T09:00:00+07:00")
    apply_event(case, "return_to_office", seeded["QLCN"], {"reason": "Không thuộc thẩm quyền của phòng"})
    # 30/11 + 5 would be 7/12; the whole case is due 4/12 (20 working days from 5/11; 24/11 is a holiday)
    assert case.due_date == date(2026, 12, 4)


# --- how a letter names the date it moves (one rule: templates/letters/_wording.html) -----------

def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_a_letter_the_unit_issued_before_its_due_date_names_the_original_date_not_a_missed_one(
        app, client, clock, seeded):
    from feedback_app.letters import render_letter_html
    from deadline_helpers import sign_in
    case = extended_case(clock, seeded)  # extended on 20/11, before the due date 30/11
    letter = db.session.execute(select(ApologyLetter)).scalar_one()
    assert (letter.issued_on, letter.missed_due_date, letter.automatic) == (date(2026, 11, 20), date(2026, 11, 30),
                                                                            False)
    sign_in(client, seeded["QLKH"])
    staff = text_of(client.get(f"/don-vi/ho-so/{case.code}").get_data(as_text=True))
    assert "hạn ban đầu 30/11/2026 · hẹn lại 08/12/2026" in staff and "hạn đã quá" not in staff
    public = text_of(look_up(client, case))
    assert "dự kiến không trả lời được đúng hạn ban đầu 30/11/2026; hẹn lại ngày 08/12/2026." in public
    assert "chưa trả lời được" not in public
    pdf = text_of(render_letter_html(letter))
    assert "Thời hạn trả kết quả ban đầu theo quy định là ngày 30/11/2026" in pdf
    assert "dự kiến không trả lời được đúng hạn này" in pdf and "đến nay" not in pdf
    assert "Sự chậm trễ này sẽ gây phiền hà" in pdf and "đã gây phiền hà" not in pdf  # nothing is late yet
    mail = db.session.execute(select(OutboxMail).where(OutboxMail.kind == "apology")).scalar_one()
    assert "vì dự kiến không trả lời được phản ánh, kiến nghị" in mail.body_text
    assert "đúng hạn ban đầu 30/11/2026." in mail.body_text


def test_the_automatic_letter_still_names_the_missed_date(app, client, clock, seeded):
    from feedback_app.letters import render_letter_html
    from deadline_helpers import forwarded_case, sign_in
    case = forwarded_case(seeded)
    sweep(parse_instant("2024-03-26T00:01:00+07:00"))
    letter = db.session.execute(select(ApologyLetter)).scalar_one()
    clock.set("2024-03-26T09:00:00+07:00")
    sign_in(client, seeded["QLKH"])
    staff = text_of(client.get(f"/don-vi/ho-so/{case.code}").get_data(as_text=True))
    assert "hạn đã quá 25/03/2024 · hẹn lại 01/04/2024" in staff and "hạn ban đầu" not in staff
    clock.set("2024-03-26T11:30:00+07:00")  # the grace period over: the letter is public (letters.is_public)
    public = text_of(look_up(client, case))
    assert "hạn 25/03/2024 chưa trả lời được; hẹn lại ngày 01/04/2024." in public
    assert "đến nay" in text_of(render_letter_html(letter))
    mail = db.session.execute(select(OutboxMail).where(OutboxMail.kind == "apology")).scalar_one()
    assert "vì chưa trả lời phản ánh, kiến nghị" in mail.body_text and "đúng hạn 25/03/2024." in mail.body_text


def test_a_promised_date_stays_when_an_admin_adds_a_day_off_before_it(app, clock, seeded):
    from feedback_app.services.calendar import set_day
    from feedback_app.services.cases import SYSTEM
    case = extended_case(clock, seeded)
    before = case.due_days
    set_day(date(2026, 12, 3), "off", "Nghỉ theo thông báo của tỉnh", SYSTEM)
    db.session.refresh(case)
    assert case.due_date == PROMISED  # the citizen has the date in writing (NĐ 61/2018 Art 19.9)
    assert count(Transition, Transition.event == "due_recomputed") == 0 and case.due_days == before


# --- the whole case's limit passes while HCTH still holds the case -----------------------------

def sweep_on(day: date, hour: int = 8):
    return sweep(parse_instant(f"{day.isoformat()}T{hour:02d}:00:00+07:00"))


def test_a_case_hcth_keeps_past_the_twenty_days_gets_the_letter_notices_and_then_the_leader(
        app, clock, seeded, smtp):
    case = receive(SUBMISSION)  # Monday 4/3/2024: classify by 11/3, the whole case by 1/4/2024
    assert sweep_on(date(2024, 3, 12)).overdue == 1  # the classify step, as before
    assert sweep_on(date(2024, 4, 1)).letters == 0  # the limit's own day is not over yet
    result = sweep_on(date(2024, 4, 2))
    assert (result.letters, result.escalations) == (1, 0)
    (letter,) = db.session.execute(select(ApologyLetter)).scalars()
    db.session.refresh(case)
    # the letter is the answer's: its missed date is the whole case's limit, its new date 5 days on
    assert (letter.step, letter.missed_due_date, letter.new_due_date, letter.automatic) == (
        "answer", date(2024, 4, 1), date(2024, 4, 8), True)
    assert (case.state, case.due_step, case.due_date, case.extension_count) == ("received", "classify",
                                                                               date(2024, 4, 8), 1)
    assert sweep_on(date(2024, 4, 3)).letters == 0  # once
    outbox.deliver_due(now=parse_instant("2024-04-03T09:00:00+07:00"))
    (mail,) = [m for m in smtp.inbox.wait_for(2) if "xin lỗi" in m["Subject"].lower() and m["To"] == "an@example.com"]
    assert mail["To"] == "an@example.com"
    # the promised date missed at HCTH as well: no second date, the leader decides
    result = sweep_on(date(2024, 4, 9))
    assert (result.letters, result.escalations) == (0, 1)
    # the citizen hears of the case every 7 working days after the missed limit
    assert sweep_on(date(2024, 4, 10)).progress == 1
    # forwarded at last: the answer is due on the promised date, long gone; answered late
    clock.set("2024-05-31T09:00:00+07:00")
    apply_event(case, "classify", seeded["office"], {"category": "TTHC"})
    apply_event(case, "forward", seeded["office"], {"unit": "QLKH"})
    assert (case.due_step, case.due_date) == ("answer", date(2024, 4, 8))
    apply_event(case, "submit_draft", seeded["QLKH"], {"reply": "Trả lời chi tiết cho người gửi về thời hạn."})
    apply_event(case, "approve", seeded["leader"], {})
    assert (case.answered_due_date, case.answered_on_time) == (date(2024, 4, 1), False)


def test_a_case_forwarded_after_the_twenty_days_is_due_on_the_limit_already_late(app, clock, seeded):
    case = receive(SUBMISSION)
    apply_event(case, "classify", seeded["office"], {"category": "TTHC"})
    clock.set("2024-04-10T09:00:00+07:00")  # no sweep ran meanwhile (the scheduler was down)
    apply_event(case, "forward", seeded["office"], {"unit": "QLKH"})
    # not "due today, 0 working days": the whole case was due 1/4/2024, 20 working days from receipt
    assert (case.due_step, case.due_date, case.due.days, case.due.start) == ("answer", date(2024, 4, 1), 20,
                                                                             date(2024, 3, 4))
    assert "20 ngày làm việc" in basis_text(case.due_basis)
    assert sweep_on(date(2024, 4, 11)).letters == 1  # the unit's step, late from its start
    (letter,) = db.session.execute(select(ApologyLetter)).scalars()
    # counted from the sweep that caught it (11/4), past Hùng Kings day (18/4/2024)
    assert (letter.missed_due_date, letter.new_due_date) == (date(2024, 4, 1), date(2024, 4, 19))
    apply_event(case, "submit_draft", seeded["QLKH"], {"reply": "Trả lời chi tiết cho người gửi về thời hạn."})
    apply_event(case, "approve", seeded["leader"], {})
    assert (case.answered_due_date, case.answered_on_time) == (date(2024, 4, 1), False)


def test_the_days_spent_waiting_for_the_citizen_push_the_limit_back(app, clock, seeded):
    case = receive(SUBMISSION)
    clock.set("2024-03-05T09:00:00+07:00")
    apply_event(case, "request_info", seeded["office"], {"missing": "Số điện thoại liên hệ và địa chỉ cụ thể."})
    clock.set("2024-03-08T09:00:00+07:00")  # three working days waiting
    apply_event(case, "provide_info", seeded["office"], {"note": "Đã bổ sung qua điện thoại"})
    # the basis says the count resumed after the wait, not 05 days again from that day
    assert "không tính thời gian chờ người gửi bổ sung thông tin" in basis_text(case.due_basis)
    assert sweep_on(date(2024, 4, 2)).letters == 0 and sweep_on(date(2024, 4, 4)).letters == 0
    assert sweep_on(date(2024, 4, 5)).letters == 1  # the limit moved from 1/4 to 4/4
    assert db.session.execute(select(ApologyLetter.missed_due_date)).scalar_one() == date(2024, 4, 4)


def test_a_case_returned_without_a_letter_says_its_five_days_count_from_the_return(app, clock, seeded):
    """The basis shown beside the date says what was counted: from the return, within the case's limit."""
    from deadline_helpers import forwarded_case
    case = forwarded_case(seeded)  # received Monday 4 March 2024
    clock.set("2024-03-07T09:00:00+07:00")
    apply_event(case, "return_to_office", seeded["QLKH"], {"reason": "Không thuộc thẩm quyền của phòng"})
    assert (case.due_step, case.due_start, case.due_days, case.due_date) == ("classify", date(2024, 3, 7), 5,
                                                                            date(2024, 3, 14))
    assert "kể từ ngày trả lại" in basis_text(case.due_basis) and "không quá 20 ngày làm việc" in basis_text(case.due_basis)


def test_the_citizens_answer_to_a_request_made_after_the_letter_keeps_the_promised_date(app, clock, seeded):
    """Left at HCTH past the case's limit: the automatic letter promises 08/04/2025; HCTH then asks the
    citizen for information, who answers on Friday 04/04. The step is due on the promise, not on that
    day, and no escalation follows the next day with a missed date no letter gave."""
    from feedback_app.services.cases import CITIZEN
    clock.set("2025-03-03T09:00:00+07:00")
    case = receive(SUBMISSION)
    assert sweep(parse_instant("2025-04-01T00:05:00+07:00")).letters == 1
    (letter,) = db.session.execute(select(ApologyLetter)).scalars().all()
    assert letter.new_due_date == date(2025, 4, 8)
    clock.set("2025-04-01T09:00:00+07:00")
    apply_event(case, "request_info", seeded["office"], {"missing": "Bản chụp quyết định giao nhiệm vụ"})
    clock.set("2025-04-04T10:00:00+07:00")
    apply_event(case, "provide_info", CITIZEN, {"note": "Gửi kèm bản chụp Quyết định số 12/QĐ-UBND."})
    assert (case.state, case.due_step, case.due_date) == ("received", "classify", date(2025, 4, 8))
    assert "19.9" in case.due_basis
    assert sweep(parse_instant("2025-04-05T00:05:00+07:00")).escalations == 0
