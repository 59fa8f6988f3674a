"""Deadlines that run themselves: the sweep over real calendars with the settable clock."""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from feedback_app.extensions import db
from feedback_app.models import ApologyLetter, Category, DeadlineNotice, Feedback, OutboxMail, Transition
from feedback_app.services.cases import apply_event, receive
from feedback_app.services.sweep import sweep
from workflows.clock import local_date, parse_instant

from deadline_helpers import SUBMISSION, count, forwarded_case, in_parallel, sign_in


def test_a_case_received_before_tet_is_due_after_the_holiday_and_goes_overdue_only_after_that_day(
        app, clock, seeded):
    clock.set("2025-01-24T10:00:00+07:00")  # Friday before Tết 2025 (office closed 25/1 - 2/2)
    case = receive(SUBMISSION)
    assert case.due_date == date(2025, 2, 7) and case.target_date == date(2025, 2, 7)
    assert sweep(parse_instant("2025-02-07T23:59:00+07:00")).overdue == 0
    result = sweep(parse_instant("2025-02-08T00:01:00+07:00"))
    assert result.overdue == 1 and result.letters == 0  # a classification delay: marked, no letter
    db.session.refresh(case)
    assert case.overdue_since == date(2025, 2, 7) and case.state == "received"
    mark = db.session.execute(select(Transition).where(Transition.event == "overdue")).scalar_one()
    assert (mark.from_state, mark.to_state, mark.actor_label) == ("received", "received", "Hệ thống")
    assert "07/02/2025" in mark.note


def test_the_sweep_one_minute_past_the_answer_due_date_issues_exactly_one_letter(app, clock, seeded):
    case = forwarded_case(seeded)
    assert sweep(parse_instant("2024-03-25T23:59:00+07:00")).letters == 0  # the due day is not over yet
    result = sweep(parse_instant("2024-03-26T00:01:00+07:00"))
    assert (result.overdue, result.letters) == (1, 1)
    letter = db.session.execute(select(ApologyLetter)).scalar_one()
    assert (letter.number, letter.year, letter.reference) == (1, 2024, "001/PXL")
    assert letter.missed_due_date == date(2024, 3, 25)
    assert letter.new_due_date == date(2024, 4, 1)  # 5 working days after the missed date
    assert letter.automatic and "Nội dung phản ánh, kiến nghị cần thêm thời gian" in letter.reason
    db.session.refresh(case)
    assert case.due_date == date(2024, 4, 1) and case.extension_count == 1
    assert case.overdue_since == date(2024, 3, 25) and "19.9" in case.due_basis
    mail = db.session.execute(select(OutboxMail).where(OutboxMail.key == f"letter:{letter.id}")).scalar_one()
    assert mail.attachment_ref == f"letter:{letter.id}" and mail.recipients == "an@example.com"
    # held for the grace period, so that staff can still write the reason: 4 hours from the office's
    # opening (07:30) on this working day, the letter being made at night
    assert mail.next_attempt_at == parse_instant("2024-03-26T11:30:00+07:00")
    events = db.session.execute(select(Transition.event).where(Transition.feedback_id == case.id)
                                .order_by(Transition.id)).scalars().all()
    assert events[-2:] == ["overdue", "apology_letter"]


def test_a_late_publication_is_overdue_for_staff_but_not_a_late_answer_on_the_citizens_timeline(app, clock, seeded):
    from feedback_app.services.submissions import public_steps
    case = forwarded_case(seeded, submission=replace(SUBMISSION, consent_publish=True))
    apply_event(case, "submit_draft", seeded["QLKH"], {"reply": "Sở trả lời như sau: hồ sơ đã đủ điều kiện."})
    apply_event(case, "approve", seeded["leader"])  # on time; publication due 2 working days later
    assert case.due_step == "publish"
    result = sweep(parse_instant("2024-03-12T00:01:00+07:00"))
    assert (result.overdue, result.letters) == (1, 0)
    row = db.session.execute(select(Transition).where(Transition.feedback_id == case.id,
                                                      Transition.event == "overdue")).scalar_one()
    assert "Quá hạn công khai kết quả" in row.note and not row.public
    assert [step.event for step in public_steps(case)][-1] == "approve"


def test_the_case_page_names_the_step_whose_date_was_missed(app, client, clock, seeded):
    import html
    case = receive(SUBMISSION)  # never classified: its classification date (11/03) passes first
    sweep(parse_instant("2024-03-12T00:05:00+07:00"))
    sign_in(client, seeded["office"])
    page = html.unescape(client.get(f"/van-phong/ho-so/{case.code}").get_data(as_text=True))
    assert "Phân loại, chuyển xử lý: đã quá hạn ngày 11/03/2024" in " ".join(page.split())


def test_running_the_sweep_again_produces_nothing_more(app, clock, seeded):
    forwarded_case(seeded)
    at = parse_instant("2024-03-26T00:01:00+07:00")
    first = sweep(at)
    before = (count(ApologyLetter), count(OutboxMail), count(Transition), count(DeadlineNotice))
    for instant in (at, parse_instant("2024-03-26T16:00:00+07:00"), parse_instant("2024-03-27T09:00:00+07:00")):
        again = sweep(instant)
        assert (again.overdue, again.letters, again.escalations, again.reminders) == (0, 0, 0, 0)
    assert first.letters == 1
    assert (count(ApologyLetter), count(OutboxMail), count(Transition), count(DeadlineNotice)) == before


def test_a_sweep_missed_while_the_process_was_down_is_caught_up_with_the_legal_dates(app, clock, seeded):
    forwarded_case(seeded)
    result = sweep(parse_instant("2024-03-29T10:00:00+07:00"))  # down from Monday to Friday
    assert result.letters == 1
    letter = db.session.execute(select(ApologyLetter)).scalar_one()
    # the new date counts from the missed date, not from the day the sweep came back
    assert letter.missed_due_date == date(2024, 3, 25) and letter.new_due_date == date(2024, 4, 1)
    assert letter.issued_on == date(2024, 3, 29)


def test_an_automatic_letter_found_on_a_saturday_is_dated_the_working_day_its_mail_goes(app, clock, seeded):
    """The sweep finds the missed date on Saturday: the letter signed for the department is dated Monday, the
    day its mail leaves after the grace period for the reason, and numbered in that day's year."""
    case = receive(SUBMISSION)  # Monday 4/3/2024
    apply_event(case, "classify", seeded["office"], {"category": "TTHC"})
    clock.set("2024-03-08T09:00:00+07:00")
    apply_event(case, "forward", seeded["office"], {"unit": "QLKH"})
    assert case.due_date == date(2024, 3, 29)  # Friday
    assert sweep(parse_instant("2024-03-30T00:01:00+07:00")).letters == 1  # Saturday
    letter = db.session.execute(select(ApologyLetter)).scalar_one()
    assert (letter.issued_on, letter.year) == (date(2024, 4, 1), 2024)
    mail = db.session.execute(select(OutboxMail).where(OutboxMail.kind == "apology")).scalar_one()
    assert local_date(mail.next_attempt_at) == letter.issued_on


def test_after_a_long_downtime_the_promised_date_still_lies_ahead(app, clock, seeded):
    forwarded_case(seeded)
    result = sweep(parse_instant("2024-04-05T10:00:00+07:00"))  # 25/3 + 5 working days = 1/4 is past too
    assert (result.letters, result.escalations) == (1, 0)
    letter = db.session.execute(select(ApologyLetter)).scalar_one()
    assert letter.missed_due_date == date(2024, 3, 25) and letter.new_due_date == date(2024, 4, 12)
    again = sweep(parse_instant("2024-04-05T10:05:00+07:00"))
    assert (again.overdue, again.letters, again.escalations) == (0, 0, 0)


def test_missing_the_promised_date_escalates_to_the_leader_and_sets_no_second_date(app, clock, seeded):
    case = forwarded_case(seeded)
    sweep(parse_instant("2024-03-26T00:01:00+07:00"))
    result = sweep(parse_instant("2024-04-02T08:00:00+07:00"))  # the promised 1 April passed too
    assert (result.overdue, result.letters, result.escalations) == (1, 0, 1)
    db.session.refresh(case)
    assert count(ApologyLetter) == 1 and case.due_date == date(2024, 4, 1) and case.extension_count == 1
    assert case.escalated_at == parse_instant("2024-04-02T08:00:00+07:00")
    mail = db.session.execute(select(OutboxMail).where(OutboxMail.kind == "escalation")).scalar_one()
    assert mail.recipients == seeded["leader"].email and "19.9" in mail.body_text
    assert "Mở hồ sơ: " in mail.body_text and f"/van-phong/ho-so/{case.code}" in mail.body_text  # straight to it
    assert sweep(parse_instant("2024-04-03T08:00:00+07:00")).escalations == 0


def test_the_leader_decides_on_an_escalated_case_and_the_unit_is_told_what_to_do(app, client, clock, seeded):
    """Brief, second miss: escalated, the case waits for the leader's decision; the leader's direction
    reaches the unit by mail, stands on the case page and turns the overdue list's "waiting" into
    "directed"; the state and the promised date do not move."""
    import html
    import re
    case = forwarded_case(seeded)  # at QLKH
    sweep(parse_instant("2024-03-26T00:01:00+07:00"))  # the letter: 1 April
    clock.set("2024-04-02T08:00:00+07:00")
    assert sweep(parse_instant("2024-04-02T08:00:00+07:00")).escalations == 1  # 1 April passed too
    sign_in(client, seeded["QLKH"])  # the unit's list says who holds the case now, not only "extended"
    row = re.search(rf'<tr[^>]*>\s*<td><a [^>]*>{case.code}</a>.*?</tr>', client.get("/don-vi/").get_data(as_text=True), re.S)
    assert "Quá ngày hẹn lại: chờ Lãnh đạo quyết định" in row.group(0) and "Đã gia hạn" not in row.group(0)
    sign_in(client, seeded["leader"])
    listed = html.unescape(client.get("/van-phong/qua-han").get_data(as_text=True))
    assert "chờ Lãnh đạo quyết định" in listed
    page = html.unescape(client.get(f"/van-phong/ho-so/{case.code}").get_data(as_text=True))
    assert 'id="form-direct"' in page and "Nội dung chỉ đạo" in page
    instruction = "Phòng QLKH trình dự thảo trả lời trước ngày 05/4; lấy ý kiến Sở Tài chính bằng điện thoại."
    db.session.refresh(case)
    response = client.post(f"/van-phong/ho-so/{case.code}/su-kien/direct",
                           data={"direct-instruction": instruction, "direct-version": case.version})
    assert response.status_code == 302
    db.session.expire_all()
    case = db.session.get(Feedback, case.id)
    assert case.state == "forwarded" and case.due_date == date(2024, 4, 1) and case.directed_at is not None
    mail = db.session.execute(select(OutboxMail).where(OutboxMail.kind == "unit_direct")).scalars().first()
    assert mail is not None and instruction in mail.body_text and seeded["QLKH"].email in mail.recipients
    listed = html.unescape(client.get("/van-phong/qua-han").get_data(as_text=True))
    assert "Lãnh đạo đã chỉ đạo ngày 02/04/2024" in listed and "chờ Lãnh đạo quyết định" not in listed
    sign_in(client, seeded["QLKH"])
    assert "Lãnh đạo đã chỉ đạo ngày 02/04/2024" in html.unescape(client.get("/don-vi/").get_data(as_text=True))
    unit_page = html.unescape(client.get(f"/don-vi/ho-so/{case.code}").get_data(as_text=True))
    assert instruction in unit_page and "Chỉ đạo của Lãnh đạo" in unit_page and 'id="form-direct"' not in unit_page


def test_a_unit_that_issued_its_own_letter_gets_no_automatic_one_but_an_escalation_at_the_second_miss(
        app, clock, seeded):
    case = forwarded_case(seeded)
    clock.set("2024-03-21T10:00:00+07:00")
    apply_event(case, "extend", seeded["QLKH"], {"reason": "Cần lấy ý kiến Sở Tài chính.",
                                                  "new_date": "2024-04-02"})
    assert case.due_date == date(2024, 4, 2) and count(ApologyLetter) == 1
    assert sweep(parse_instant("2024-03-26T00:01:00+07:00")).letters == 0
    result = sweep(parse_instant("2024-04-03T00:01:00+07:00"))
    assert (result.letters, result.escalations) == (0, 1)


def test_reminders_follow_the_category_target_and_go_to_the_units_users_once(app, clock, seeded):
    db.session.execute(Category.__table__.update().where(Category.code == "TTHC").values(answer_target_days=10))
    db.session.commit()
    case = forwarded_case(seeded)
    assert case.target_date == date(2024, 3, 18)  # 10 working days after forwarding, before the legal 25/3
    assert sweep(parse_instant("2024-03-13T09:00:00+07:00")).reminders == 0
    result = sweep(parse_instant("2024-03-14T09:00:00+07:00"))  # 2 working days before the target
    assert result.reminders == 1
    mail = db.session.execute(select(OutboxMail).where(OutboxMail.kind == "reminder")).scalar_one()
    assert mail.recipients.split(", ") == ["qlkh@skhcn.example.gov.vn"]
    assert "18/03/2024" in mail.body_text and "25/03/2024" in mail.body_text
    assert "/don-vi/ho-so/PAKN.20240304.0001" in mail.body_text  # the unit holds it: its page
    assert mail.body_text.startswith(f"Kính gửi {seeded['QLKH'].unit.name},")  # by name, as the other mails
    assert sweep(parse_instant("2024-03-15T09:00:00+07:00")).reminders == 0
    # letters follow the legal date: nothing at the target, the letter after 25/3
    assert sweep(parse_instant("2024-03-19T09:00:00+07:00")).letters == 0
    assert sweep(parse_instant("2024-03-26T09:00:00+07:00")).letters == 1


def test_a_classification_reminder_goes_to_hcth(app, clock, seeded):
    receive(SUBMISSION)  # due Monday 11 March 2024
    assert sweep(parse_instant("2024-03-07T09:00:00+07:00")).reminders == 1
    mail = db.session.execute(select(OutboxMail).where(OutboxMail.kind == "reminder")).scalar_one()
    assert seeded["office"].email in mail.recipients and "hcth@" in mail.recipients
    assert mail.body_text.startswith(f"Kính gửi {seeded['office'].unit.name},")


REPLY = "Thời hạn giải quyết thủ tục là 30 ngày làm việc kể từ ngày nhận đủ hồ sơ hợp lệ."


def _classified(seeded):
    case = receive(SUBMISSION)
    apply_event(case, "classify", seeded["office"], {"category": "TTHC"})
    return case


def _collecting(seeded):
    case = forwarded_case(seeded)
    apply_event(case, "collect_basis", seeded["QLKH"], {"reason": "Xin ý kiến Sở Tài chính về mức thu."})
    return case


def _drafted(seeded, submission=SUBMISSION):
    case = forwarded_case(seeded, submission=submission)
    apply_event(case, "submit_draft", seeded["QLKH"], {"reply": REPLY})
    return case


def _answered(seeded):
    case = _drafted(seeded, replace(SUBMISSION, consent_publish=True))
    apply_event(case, "approve", seeded["leader"])  # 4/3: publication due 6/3
    return case


def _returned(seeded):
    case = _answered(seeded)
    apply_event(case, "return_answer", seeded["office"], {"reason": "Câu trả lời chưa dẫn căn cứ, đề nghị bổ sung."})
    return case  # revision due 11/3


@pytest.mark.parametrize("setup, day, who, subject, task", [
    (lambda s: receive(SUBMISSION), "2024-03-07", "office", "Nhắc hạn phân loại, chuyển xử lý:",
     "Phòng Hành chính - Tổng hợp cần phân loại và chuyển đơn vị xử lý"),
    (_classified, "2024-03-07", "office", "Nhắc hạn chuyển đơn vị xử lý:",
     "cần chuyển phản ánh, kiến nghị đã phân loại cho đơn vị xử lý"),
    (forwarded_case, "2024-03-21", "QLKH", "Nhắc hạn trình dự thảo trả lời:",
     "Đơn vị xử lý cần soạn dự thảo trả lời và trình Lãnh đạo Sở duyệt, để câu trả lời được gửi người dân"),
    (_collecting, "2024-03-21", "QLKH", "Nhắc hạn trình dự thảo trả lời:", "đang thu thập thêm cơ sở (NĐ 20/2008"),
    (_drafted, "2024-03-21", "leader", "Nhắc hạn duyệt câu trả lời:",
     "Lãnh đạo Sở cần duyệt dự thảo trả lời để gửi người dân"),
    (_answered, "2024-03-04", "office", "Nhắc hạn công khai kết quả:",
     "cần rà soát bản đã che thông tin cá nhân và công khai câu trả lời"),
    (_returned, "2024-03-07", "QLKH", "Nhắc hạn hoàn thiện câu trả lời:",
     "Đơn vị xử lý cần hoàn thiện câu trả lời Phòng Hành chính - Tổng hợp đã trả lại"),
], ids=["classify", "forward", "draft", "collecting", "approve", "publish", "revise"])
def test_a_reminder_names_its_step_and_what_its_recipient_must_do_by_when(app, clock, seeded, setup, day, who,
                                                                          subject, task):
    case = setup(seeded)
    assert sweep(parse_instant(f"{day}T09:00:00+07:00")).reminders == 1
    mail = db.session.execute(select(OutboxMail).where(OutboxMail.kind == "reminder")).scalar_one()
    assert seeded[who].email in mail.recipients.split(", ")
    assert mail.subject.startswith(subject) and case.code in mail.subject
    assert f"{task}" in mail.body_text and f"chậm nhất ngày {case.target_date:%d/%m/%Y}." in mail.body_text
    # the unit's own apology letter is the unit's move on the answer, nobody else's
    assert ("ban hành phiếu xin lỗi" in mail.body_text) == (case.due_step == "answer"
                                                           and case.state in ("forwarded", "collecting"))


def test_the_leader_gets_one_digest_of_overdue_cases_a_day(app, clock, seeded):
    case = receive(SUBMISSION)  # classification due 11 March 2024
    assert sweep(parse_instant("2024-03-12T06:00:00+07:00")).digests == 0  # before DIGEST_HOUR
    assert sweep(parse_instant("2024-03-12T08:00:00+07:00")).digests == 1
    assert sweep(parse_instant("2024-03-12T15:00:00+07:00")).digests == 0
    digest = db.session.execute(select(OutboxMail).where(OutboxMail.kind == "digest")).scalar_one()
    assert digest.recipients == seeded["leader"].email and case.code in digest.body_text
    assert sweep(parse_instant("2024-03-13T08:00:00+07:00")).digests == 1
    # at work only: none on Saturday 16 and Sunday 17 March, Monday's lists the case still
    assert sweep(parse_instant("2024-03-16T08:00:00+07:00")).digests == 0
    assert sweep(parse_instant("2024-03-17T08:00:00+07:00")).digests == 0
    assert sweep(parse_instant("2024-03-18T08:00:00+07:00")).digests == 1


def test_the_overdue_list_shows_late_and_escalated_cases_to_the_leader(app, client, clock, seeded):
    case = forwarded_case(seeded)
    sweep(parse_instant("2024-03-26T00:01:00+07:00"))
    sweep(parse_instant("2024-04-02T08:00:00+07:00"))
    clock.set("2024-04-02T09:00:00+07:00")
    sign_in(client, seeded["leader"])
    html = client.get("/van-phong/qua-han").get_data(as_text=True)
    assert case.code in html and "chờ Lãnh đạo quyết định" in html
    landing = client.get("/van-phong/").get_data(as_text=True)
    assert '<a href="/van-phong/qua-han">' in landing  # in the menu
    # and on the leader's landing page, while the leader has not decided
    assert "1 phản ánh, kiến nghị đã quá ngày hẹn lại, chờ Lãnh đạo quyết định" in landing
    digests = lambda: db.session.execute(  # noqa: E731
        select(OutboxMail.body_text).where(OutboxMail.kind == "digest").order_by(OutboxMail.id)).scalars().all()
    assert "chờ Lãnh đạo quyết định" in digests()[-1]
    from feedback_app.services.cases import apply_event
    apply_event(case, "direct", seeded["leader"], {"instruction": "Phòng QLKH trả lời trước ngày 5/4"})
    sweep(parse_instant("2024-04-03T08:00:00+07:00"))  # the next digest says what the leader did
    assert "Lãnh đạo đã chỉ đạo ngày 02/04/2024" in digests()[-1] and "chờ Lãnh đạo" not in digests()[-1]
    assert 'id="awaiting-direction"' not in client.get("/van-phong/").get_data(as_text=True)
    sign_in(client, seeded["QLKH"])
    assert client.get("/van-phong/qua-han").status_code == 403
    assert "/van-phong/qua-han" not in client.get("/don-vi/").get_data(as_text=True)


def test_the_overdue_lists_name_who_owes_the_late_step(app, client, clock, seeded):
    """Classification and publication are HCTH's steps whatever unit the case was at; the answer is the
    unit's: the overdue list, the dashboard and the leader's digest name the one that owes it."""
    answering = forwarded_case(seeded)  # the answer due 25/3, at QLKH
    classifying = receive(SUBMISSION)  # classification due 11/3, at HCTH

    def named(code, at, owner):
        sweep(parse_instant(f"{at}T08:00:00+07:00"))
        clock.set(f"{at}T09:00:00+07:00")
        sign_in(client, seeded["leader"])
        for url in ("/van-phong/qua-han", "/van-phong/tong-quan"):
            page = client.get(url).get_data(as_text=True)
            assert f"<td>{owner}</td>" in re.search(rf"{re.escape(code)}</a>.*?</tr>", page, re.S).group(0), url
        digest = db.session.execute(select(OutboxMail.body_text).where(OutboxMail.kind == "digest")
                                    .order_by(OutboxMail.id.desc()).limit(1)).scalar_one()
        assert f"{code} · " in digest and f" · {owner}" in next(x for x in digest.splitlines() if code in x)

    named(classifying.code, "2024-03-12", seeded["office"].unit.name)
    sweep(parse_instant("2024-03-26T00:01:00+07:00"))  # the answer's letter: a new date, 1/4, missed too
    named(answering.code, "2024-04-02", seeded["QLKH"].unit.name)


def test_the_texts_that_name_the_deadlines_say_the_departments_own_counts(app, client, clock, seeded):
    """PAKN_DEADLINES changes the counts: the basis beside a date, the request for information, the extension's
    limits say the department's numbers, not the defaults (05, 15, 10); the 15 days from forwarding are the
    national index's, the 20 in all QĐ 574's."""
    from feedback_app.services.calendar import basis_text
    from workflows.lifecycle import InvalidEventArguments
    app.config["PAKN_DEADLINES"] = {"classify_days": 3, "citizen_info_days": 10, "answer_days": 10,
                                    "extension_max_days": 4}
    asked = receive(SUBMISSION)  # Monday 4/3/2024
    assert asked.due_date == date(2024, 3, 7)
    sign_in(client, seeded["office"])
    page = client.get(f"/van-phong/ho-so/{asked.code}").get_data(as_text=True)
    assert "trong 03 ngày làm việc kể từ ngày tiếp nhận" in re.search(r'id="due-basis">([^<]*)<', page).group(1)
    english = client.get(f"/van-phong/ho-so/{asked.code}?lang=en").get_data(as_text=True)
    assert "within 3 working days of receipt" in re.search(r'id="due-basis">([^<]*)<', english).group(1)
    client.get(f"/van-phong/ho-so/{asked.code}?lang=vi")
    apply_event(asked, "request_info", seeded["office"], {"missing": "Số điện thoại liên hệ"})
    mail = db.session.execute(select(OutboxMail).where(OutboxMail.kind == "request_info")).scalar_one()
    assert "Thời hạn bổ sung: 10 ngày làm việc kể từ ngày" in mail.body_text

    case = receive(SUBMISSION)
    apply_event(case, "classify", seeded["office"], {"category": "TTHC"})
    apply_event(case, "forward", seeded["office"], {"unit": "QLKH"})
    assert case.due_date == date(2024, 3, 18)  # 10 working days
    basis = basis_text(case.due_basis)
    assert basis.startswith("Bộ chỉ số quốc gia về PAKN: đơn vị xử lý trong 10 ngày làm việc kể từ khi được chuyển")
    assert "QĐ 574/QĐ-TTg, TT 02/2017/TT-VPCP: toàn bộ không quá 20 ngày làm việc" in basis
    with pytest.raises(InvalidEventArguments) as refused:  # 5 working days after the due date: one too many
        apply_event(case, "extend", seeded["QLKH"], {"reason": "Cần lấy ý kiến Sở Tài chính.",
                                                      "new_date": (case.due_date + timedelta(days=7)).isoformat()})
    assert "không quá 04 ngày làm việc sau hạn đó" in str(refused.value)
    sign_in(client, seeded["QLKH"])
    unit_page = client.get(f"/don-vi/ho-so/{case.code}").get_data(as_text=True)
    assert "Để trống: 05 ngày làm việc sau hạn cũ; chọn được đến 04 ngày làm việc sau hạn cũ" in unit_page
    late = client.post(f"/don-vi/ho-so/{case.code}/su-kien/extend", data={
        "extend-reason": "Cần lấy ý kiến Sở Tài chính.", "extend-version": case.version,
        "extend-new_date": (case.due_date + timedelta(days=7)).isoformat()})
    assert late.status_code == 422 and "không quá 04 ngày làm việc sau hạn đó" in late.get_data(as_text=True)


@pytest.mark.parametrize("today, allowed", [("2024-03-22", True),    # Friday: Monday 25/3 is a working day on
                                             ("2024-03-23", False),   # Saturday: no working day left before it
                                             ("2024-03-25", False)])  # the due date itself
def test_the_unit_sends_its_letter_at_least_a_working_day_before_the_due_date(app, clock, seeded, today, allowed):
    """NĐ 61/2018 Art 19.9: the apology with a new date goes out at least 1 working day before the due date;
    after that the sweep's automatic letter is the safety net. The page offers it only while it may go."""
    from feedback_app.services.cases import allowed_events
    from workflows.lifecycle import TransitionNotAllowed
    case = forwarded_case(seeded)  # the answer due Monday 25/3/2024
    clock.set(f"{today}T10:00:00+07:00")
    assert ("extend" in allowed_events(case, seeded["QLKH"])) is allowed
    if allowed:
        apply_event(case, "extend", seeded["QLKH"], {"reason": "Cần lấy ý kiến Sở Tài chính."})
        assert count(ApologyLetter) == 1
        return
    with pytest.raises(TransitionNotAllowed) as refused:
        apply_event(case, "extend", seeded["QLKH"], {"reason": "Cần lấy ý kiến Sở Tài chính."})
    assert "chậm nhất 01 ngày làm việc trước hạn" in str(refused.value) and count(ApologyLetter) == 0


def test_the_cli_sweeps_as_of_the_given_instant(app, clock, seeded):
    forwarded_case(seeded)
    runner = app.test_cli_runner()
    out = runner.invoke(args=["deadlines", "sweep", "--now", "2024-03-26T00:01:00+07:00"])
    assert out.exit_code == 0 and "letters 1" in out.output
    assert "letters 0" in runner.invoke(args=["deadlines", "sweep", "--now", "2024-03-26T00:02"]).output
    bad = runner.invoke(args=["deadlines", "sweep", "--now", "hôm qua"])
    assert bad.exit_code != 0 and "ISO 8601" in bad.output


def test_production_refuses_a_command_s_now_as_it_refuses_pakn_now(app, clock, seeded):
    """A sweep as of a later day would issue that day's letters at once and spend each case's one new date."""
    from feedback_app.models import ApologyLetter
    forwarded_case(seeded)  # the answer due 25/03/2024
    app.config["ENV_NAME"] = "production"
    runner = app.test_cli_runner()
    for args in (["deadlines", "sweep", "--now", "2024-06-01T00:05+07:00"], ["outbox", "flush", "--now", "2024-06-01"],
                 ["report", "remind", "--now", "2024-06-12T08:00+07:00"]):
        out = runner.invoke(args=args)
        assert out.exit_code == 2 and "in production the clock is the real time" in out.output, args
    assert count(ApologyLetter) == 0


def test_the_scheduler_jobs_are_idempotent_and_not_started_in_tests(app, clock, seeded):
    from feedback_app import jobs
    assert {j.id for j in jobs.JOBS} >= {"deadlines-sweep", "outbox-flush"}
    assert "scheduler" not in jobs._started  # TESTING: never in-app
    forwarded_case(seeded)
    clock.set("2024-03-26T00:01:00+07:00")
    first, second = jobs.sweep_job(), jobs.sweep_job()
    assert (first.letters, second.letters) == (1, 0)


@pytest.mark.postgres_only
def test_two_sweeps_in_parallel_threads_on_postgresql_produce_each_letter_once(app, clock, seeded):
    cases = [forwarded_case(seeded) for _ in range(40)]
    at = parse_instant("2024-03-26T00:01:00+07:00")
    results = in_parallel(app, lambda: sweep(at, batch=7))
    assert sum(r.letters for r in results) == len(cases)
    db.session.expire_all()
    assert count(ApologyLetter) == len(cases)
    numbers = db.session.execute(select(ApologyLetter.number).order_by(ApologyLetter.number)).scalars().all()
    assert numbers == list(range(1, len(cases) + 1))  # gap-free, no duplicates
    assert count(OutboxMail, OutboxMail.kind == "apology") == len(cases)
    assert sweep(at).letters == 0


@pytest.mark.postgres_only
def test_two_sweeps_in_parallel_threads_on_postgresql_send_each_reminder_once(app, clock, seeded):
    cases = [forwarded_case(seeded) for _ in range(30)]
    at = parse_instant("2024-03-21T09:00:00+07:00")  # 2 working days before the target, 25/3
    results = in_parallel(app, lambda: sweep(at, batch=7))
    assert sum(r.reminders for r in results) == len(cases)
    db.session.expire_all()
    assert count(DeadlineNotice, DeadlineNotice.kind == "reminder") == len(cases)
    assert count(OutboxMail, OutboxMail.kind == "reminder") == len(cases)


def test_a_batch_someone_else_partly_did_is_redone_case_by_case_and_nothing_twice(app, clock, seeded, monkeypatch):
    """A batch whose flush hits a unique constraint (another sweep reminded one of its cases meanwhile)
    is rolled back and done again one case at a time, each claimed again with the query's conditions:
    the case the other sweep did is skipped, every other one reminded once, each mail once."""
    from sqlalchemy.exc import IntegrityError

    from feedback_app.services import sweep as sweeping
    cases = [forwarded_case(seeded) for _ in range(5)]
    real, calls = sweeping._remind_batch, []

    def conflicting(some, *args):
        calls.append(len(some))
        done = real(some, *args)
        if len(calls) == 1:  # the whole batch: meanwhile another sweep reminded the first case and committed
            db.session.rollback()
            real([db.session.get(Feedback, cases[0].id)], *args)
            db.session.commit()
            raise IntegrityError("INSERT INTO deadline_notices", {}, Exception("duplicate key"))
        return done

    monkeypatch.setattr(sweeping, "_remind_batch", conflicting)
    result = sweep(parse_instant("2024-03-21T09:00:00+07:00"))
    assert calls == [5, 1, 1, 1, 1] and (result.reminders, result.skipped) == (4, 1)  # the first case: not claimed again
    db.session.expire_all()
    for case in cases:
        assert count(DeadlineNotice, DeadlineNotice.feedback_id == case.id, DeadlineNotice.kind == "reminder") == 1
        assert count(OutboxMail, OutboxMail.feedback_id == case.id, OutboxMail.kind == "reminder") == 1
    assert sweep(parse_instant("2024-03-21T09:05:00+07:00")).reminders == 0


def test_the_keys_a_batch_looks_up_at_once_are_those_of_stored_mails_and_notices(app, clock, seeded):
    from feedback_app.services import citizen_notices, outbox
    with_mail = forwarded_case(seeded)
    without = forwarded_case(seeded, submission=replace(SUBMISSION, email=None))
    clock.set("2024-03-26T00:01:00+07:00")
    assert sweep().letters == 2
    mail_key, notice_key = (f"letter:{case.letters[0].id}" for case in (with_mail, without))
    asked = [mail_key, notice_key, "letter:0", f"letter_reason:{with_mail.letters[0].id}"]
    assert outbox.keys_taken(asked) == {mail_key, asked[3]}
    assert citizen_notices.keys_taken(asked) == {mail_key, notice_key, asked[3]}
    assert citizen_notices.keys_taken([]) == set()


def test_a_scheduler_started_after_downtime_catches_up_the_missed_sweep_at_once(app, clock, seeded):
    import time as _time

    from apscheduler.schedulers.background import BackgroundScheduler

    from feedback_app import jobs
    forwarded_case(seeded)
    clock.set("2024-03-29T10:00:00+07:00")  # the process was down since before the due date
    scheduler = jobs.build_scheduler(app, BackgroundScheduler(timezone="UTC"))
    scheduler.start()
    try:
        deadline = _time.monotonic() + 15
        while _time.monotonic() < deadline and not count(ApologyLetter):
            _time.sleep(0.1)  # waiting for the job's thread, not for a deadline
            db.session.rollback()
    finally:
        scheduler.shutdown(wait=True)
    assert count(ApologyLetter) == 1


def test_a_job_whose_database_is_not_migrated_logs_one_line_not_a_traceback(app_with, caplog):
    """The scheduler started against an empty database (or one that is down): each run says so in one line
    naming the database and the command that makes its tables, as the commands do; a bug keeps its traceback."""
    import logging

    from feedback_app import jobs
    from feedback_app.extensions import db as database
    app = app_with()
    database.drop_all()
    with caplog.at_level(logging.ERROR):
        jobs._wrapped(app, next(j for j in jobs.JOBS if j.id == "outbox-flush"))()
    (record,) = [r for r in caplog.records if "outbox-flush" in r.getMessage()]
    assert "has no table" in record.getMessage() and "flask --app wsgi db upgrade" in record.getMessage()
    assert record.exc_info is None
    caplog.clear()
    broken = jobs.Job("broken", lambda: 1 / 0, "NONE", 60)
    with caplog.at_level(logging.ERROR):
        jobs._wrapped(app, broken)()
    (record,) = [r for r in caplog.records if "broken" in r.getMessage()]
    assert record.exc_info is not None  # a bug: where it is


def test_the_in_app_scheduler_waits_for_a_served_request_and_never_starts_in_commands(tmp_path, monkeypatch):
    from feedback_app import create_app, jobs
    monkeypatch.delenv("WERKZEUG_RUN_MAIN", raising=False)
    dev = create_app("development", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'dev.sqlite3'}",
                     SCHEDULER_IN_APP=True)
    assert "scheduler" not in jobs._started  # creating the app (as every flask command does) starts nothing
    assert any(f.__name__ == "_start_scheduler_once" for f in dev.before_request_funcs.get(None, []))


def test_the_overdue_list_is_paginated(app, client, clock, seeded):
    codes = [receive(SUBMISSION).code for _ in range(21)]  # classification due Monday 11 March 2024
    clock.set("2024-03-12T06:00:00+07:00")
    sweep()
    sign_in(client, seeded["office"])
    first = client.get("/van-phong/qua-han").get_data(as_text=True)
    second = client.get("/van-phong/qua-han?page=2").get_data(as_text=True)
    assert "Tổng số: 21" in first and "Trang 1 / 2" in first and "Trang 2 / 2" in second
    assert sum(code in first for code in codes) == 20 and sum(code in second for code in codes) == 1
    beyond = client.get("/van-phong/qua-han?page=99")  # past the end: the last page, not an empty one
    assert beyond.status_code == 302 and beyond.headers["Location"] == "/van-phong/qua-han?page=2"


def test_a_draft_sent_for_approval_after_the_units_reminder_is_reminded_to_the_leader(app, clock, seeded):
    from feedback_app.services import staff
    case = forwarded_case(seeded)  # the answer due 25/03/2024: reminded on 21/03
    assert sweep(parse_instant("2024-03-21T09:00:00+07:00")).reminders == 1
    clock.set("2024-03-21T15:00:00+07:00")  # the unit sends its draft that afternoon
    staff.submit_draft(case, seeded["QLKH"], "Kính gửi Ông/Bà, câu trả lời của Sở về thủ tục đã hỏi.", [], case.version)
    assert sweep(parse_instant("2024-03-22T00:05:00+07:00")).reminders == 1  # the leader holds it now
    mails = db.session.execute(select(OutboxMail).where(OutboxMail.kind == "reminder")
                               .order_by(OutboxMail.id)).scalars().all()
    assert [m.recipients for m in mails] == ["qlkh@skhcn.example.gov.vn", "lanhdao@skhcn.example.gov.vn"]
    assert "duyệt câu trả lời" in mails[1].subject
    assert sweep(parse_instant("2024-03-22T09:00:00+07:00")).reminders == 0  # once per holder


def test_the_grace_period_is_office_hours_the_holder_is_asked_for_the_reason_and_an_answer_withdraws_the_mail(
        app, clock, seeded):
    """The sweep makes the letter just after midnight: its mail waits for 4 hours of the office's day
    (from 07:30), the unit is told by mail until when it may write the reason, and an answer the leader
    approves meanwhile goes without the letter's promise of it following."""
    from feedback_app.services import staff
    from feedback_app.services.letters import grace_end
    at = parse_instant
    assert grace_end(at("2024-03-26T00:05:00+07:00")) == at("2024-03-26T11:30:00+07:00")  # a Tuesday night
    assert grace_end(at("2024-03-26T10:00:00+07:00")) == at("2024-03-26T14:00:00+07:00")  # at work: 4 hours
    assert grace_end(at("2024-03-29T18:00:00+07:00")) == at("2024-04-01T11:30:00+07:00")  # Friday evening
    assert grace_end(at("2024-03-30T09:00:00+07:00")) == at("2024-04-01T11:30:00+07:00")  # a Saturday
    # late in a working day (the first sweep after a stop): what the closing leaves over runs on the next day
    assert grace_end(at("2024-03-29T16:30:00+07:00")) == at("2024-04-01T11:00:00+07:00")  # Friday: ½ h, then 3½
    assert grace_end(at("2024-04-05T16:45:00+07:00")) == at("2024-04-08T11:15:00+07:00")
    assert grace_end(at("2024-02-07T16:45:00+07:00")) == at("2024-02-15T11:15:00+07:00")  # the eve of Tết

    case = forwarded_case(seeded)  # the answer due 25/03/2024
    staff.submit_draft(case, seeded["QLKH"], "Kính gửi Ông/Bà, Sở trả lời như sau: hồ sơ đã đủ điều kiện.", [],
                       case.version)
    assert sweep(at("2024-03-26T00:01:00+07:00")).letters == 1
    letter = db.session.execute(select(ApologyLetter)).scalar_one()
    (asked,) = db.session.execute(select(OutboxMail).where(OutboxMail.kind == "letter_reason")).scalars().all()
    assert asked.recipients == "lanhdao@skhcn.example.gov.vn"  # the leader holds the draft
    assert asked.subject == f"Phiếu xin lỗi tự động 001/PXL cho {case.code}: ghi lý do trước 11:30 ngày 26/03/2024"
    assert "lý do mặc định" in asked.body_text and f"/van-phong/ho-so/{case.code}" in asked.body_text
    assert asked.body_text.startswith("Kính gửi Lãnh đạo Sở,")

    clock.set("2024-03-26T09:00:00+07:00")
    apply_event(db.session.get(Feedback, case.id), "approve", seeded["leader"])
    assert db.session.execute(select(OutboxMail).where(OutboxMail.key == f"letter:{letter.id}")).scalar() is None
    assert db.session.get(ApologyLetter, letter.id) is not None  # the letter stays on record
    answered = db.session.execute(select(OutboxMail).where(OutboxMail.kind == "answered")).scalar_one()
    assert answered.recipients == "an@example.com"
