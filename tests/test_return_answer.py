"""HCTH returns an unsuitable answer to the unit before publication (QĐ 31/2021/QĐ-TTg Art 46; brief §4:
back to DANG_XU_LY): through the real pages with CSRF, the citizen's two mails on the loopback SMTP
server, the deadline sweep on the revision's own date (no letter, no progress notice), and reports that
do not move (Biểu 06 counts the answer sent)."""
from __future__ import annotations

import html
import io
import re
from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from feedback_app.extensions import db
from feedback_app.models import ApologyLetter, DeadlineNotice, Feedback, OutboxMail, Transition
from feedback_app.reports.periods import parse_period
from feedback_app.reports.queries import build_report
from feedback_app.services import outbox, staff
from feedback_app.services.accounts import new_token
from feedback_app.services.cases import apply_event
from feedback_app.services.sweep import overdue_query, sweep
from workflows.clock import CLOCK, parse_instant
from werkzeug.datastructures import FileStorage

from deadline_helpers import SUBMISSION, count, forwarded_case, sign_in
from test_public_status import text_of

CONSENTING = replace(SUBMISSION, consent_publish=True)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
FIRST = "Thời hạn giải quyết là 30 ngày. Chuyên viên Trần Văn Bình, điện thoại 0905 111 222, sẽ liên hệ."
REVISED = "Thời hạn giải quyết thủ tục là 30 ngày làm việc kể từ ngày nhận đủ hồ sơ hợp lệ (Quyết định 1234/QĐ-UBND)."
REASON = "Câu trả lời nêu họ tên và điện thoại riêng của chuyên viên, chưa dẫn căn cứ; đề nghị hoàn thiện."


def stored(case) -> Feedback:
    db.session.expire_all()
    return db.session.get(Feedback, case.id)


def page_of(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def act(client, bp: str, case, event: str, *, files=None, **fields):
    """Send the event's form as the case page renders it: its CSRF token and version, what the page
    filled in, and ``fields`` typed over it."""
    page = page_of(client, f"/{bp}/ho-so/{case.code}")
    form = re.search(rf'<form[^>]*id="form-{event}".*?</form>', page, re.S)
    assert form is not None, f"no {event} form on the {bp} page"
    form = form.group(0)
    data = {name: html.unescape(value) for name, value in
            re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form)}
    data.update({name: html.unescape(value) for name, value in
                 re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>\n?(.*?)</textarea>', form, re.S)})
    assert f"{event}-csrf_token" in data
    data.update({f"{event}-{k}": v for k, v in fields.items()})
    for name, content in (files or {}).items():
        data[f"{event}-attachments"] = (io.BytesIO(content), name)
    return client.post(f"/{bp}/ho-so/{case.code}/su-kien/{event}", data=data, content_type="multipart/form-data")


def under_review(seeded):
    case = forwarded_case(seeded, submission=CONSENTING)
    staff.submit_draft(case, seeded["QLKH"], FIRST,
                       [FileStorage(io.BytesIO(PDF), "Công văn số 12.pdf", content_type="application/pdf")],
                       case.version)
    return case


def answer_mails(smtp) -> list:
    assert outbox.flush().failed == 0
    return [m for m in smtp.inbox.wait_for(3) if m["X-Envelope-To"] == "an@example.com"
            and "Đã tiếp nhận" not in m["Subject"]]


def test_hcth_returns_the_answer_the_unit_revises_it_and_the_citizen_gets_the_revised_one(app, client, clock,
                                                                                          seeded, smtp):
    app.config["WTF_CSRF_ENABLED"] = True
    case = under_review(seeded)

    clock.set("2024-03-05T10:00:00+07:00")
    sign_in(client, seeded["leader"])
    assert act(client, "van-phong", case, "approve").status_code == 302
    first = stored(case)
    answered_at, answered_due = first.answered_at, first.answered_due_date
    assert first.state == "answered" and first.answer_text == FIRST and answered_due == date(2024, 3, 25)
    assert outbox.flush().failed == 0  # the first answer reaches the citizen

    # HCTH reviews the public copy, then finds the answer unfit for publication and returns it
    clock.set("2024-03-06T09:30:00+07:00")
    sign_in(client, seeded["office"])
    page = page_of(client, f"/van-phong/ho-so/{case.code}")
    assert 'id="form-publish"' in page and 'id="form-return_answer"' in page
    assert "Trả lại đơn vị hoàn thiện câu trả lời" in page and "Lý do trả lại" in page
    response = client.post(f"/van-phong/ho-so/{case.code}/ban-cong-khai", data={
        "publish-csrf_token": re.search(r'name="publish-csrf_token" type="hidden" value="([^"]+)"', page).group(1),
        "publish-version": stored(case).version, "publish-title": "Thời hạn giải quyết thủ tục đăng ký",
        "publish-question": "Công dân hỏi thời hạn giải quyết thủ tục.", "publish-answer": "Bản HCTH đã duyệt"})
    assert response.status_code == 302 and stored(case).public_answer == "Bản HCTH đã duyệt"
    refused = act(client, "van-phong", case, "return_answer", reason="  ")  # the reason is required
    assert refused.status_code == 422 and stored(case).state == "answered"
    assert re.search(r'id="return_answer-reason-error" role="alert">\s*<p>Trường này là bắt buộc.</p>', refused.get_data(as_text=True))
    assert 'aria-invalid="true"' in refused.get_data(as_text=True)
    assert act(client, "van-phong", case, "return_answer", reason=REASON).status_code == 302
    returned = stored(case)
    assert (returned.state, returned.unit.code) == ("forwarded", "QLKH")
    assert (returned.answered_at, returned.answered_due_date) == (answered_at, answered_due)
    assert (returned.due_step, returned.due_start, returned.due_date) == ("revise_answer", date(2024, 3, 6),
                                                                         date(2024, 3, 13))
    assert returned.public_title == "Thời hạn giải quyết thủ tục đăng ký" and returned.public_answer is None
    row = returned.transitions[-1]
    assert (row.event, row.from_state, row.to_state, row.note, row.actor_id) == (
        "return_answer", "answered", "forwarded", REASON, seeded["office"].id)

    # the unit sees it as work to do, with HCTH's reason; it can only revise
    sign_in(client, seeded["QLKH"])
    workspace = page_of(client, "/don-vi/")
    assert case.code in workspace and "HCTH trả lại để hoàn thiện" in workspace
    page = page_of(client, f"/don-vi/ho-so/{case.code}")
    assert "HCTH trả lại để hoàn thiện:" in text_of(page) and html.escape(REASON) in page
    assert 'id="form-submit_draft"' in page
    assert 'id="form-return_to_office"' not in page and 'id="form-extend"' not in page
    assert "Hoàn thiện câu trả lời" in page and "13/03/2024" in page

    # the citizen still reads the answer sent, with a neutral step and nothing of HCTH's reason
    citizen = app.test_client()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page_of(citizen, "/tra-cuu")).group(1)
    assert citizen.post("/tra-cuu", data={"code": case.code, "contact": "0905123456",
                                          "csrf_token": token}).status_code == 303
    status = text_of(page_of(citizen, f"/tra-cuu/{case.code}"))
    assert FIRST in status and "Câu trả lời đang được hoàn thiện trước khi công khai" in status
    assert "Đã trả lời" in status and "Công văn số 12.pdf" in status
    assert "chưa dẫn căn cứ" not in status and "Trả lại đơn vị" not in status and "chưa phù hợp" not in status
    assert "Hoàn thiện câu trả lời" not in status and "13/03/2024" not in status  # the unit's date is its own

    clock.set("2024-03-07T14:00:00+07:00")
    assert act(client, "don-vi", case, "submit_draft", reply=REVISED,
               files={"Công văn số 15.pdf": PDF}).status_code == 302
    assert stored(case).state == "under_review" and stored(case).answer_text == FIRST
    status = text_of(page_of(citizen, f"/tra-cuu/{case.code}"))
    assert FIRST in status and REVISED not in status and "Công văn số 15.pdf" not in status  # a draft's file

    clock.set("2024-03-08T10:00:00+07:00")
    sign_in(client, seeded["leader"])
    page = page_of(client, f"/van-phong/ho-so/{case.code}")
    assert html.escape(REASON) in page and FIRST in page and REVISED in page  # what was sent, what is proposed
    assert act(client, "van-phong", case, "approve").status_code == 302
    revised = stored(case)
    assert revised.state == "answered" and revised.answer_text == REVISED
    assert (revised.answered_at, revised.answered_due_date, revised.answered_on_time) == (answered_at, answered_due,
                                                                                          True)
    assert revised.revised_at == parse_instant("2024-03-08T10:00:00+07:00")
    assert (revised.due_step, revised.due_date) == ("publish", date(2024, 3, 12))  # 2 working days from this approval
    # the audit trail has the return with its reason (above) and both approvals
    assert [t.event for t in revised.transitions] == ["receive", "classify", "forward", "submit_draft", "approve",
                                                      "return_answer", "submit_draft", "approve"]

    first_mail, second_mail = answer_mails(smtp)
    assert first_mail["Subject"] == f"Trả lời phản ánh, kiến nghị {case.code}"
    assert FIRST in first_mail.get_body(("plain",)).get_content()
    assert second_mail["Subject"] == (f"Phản ánh, kiến nghị {case.code}: câu trả lời đã được hoàn thiện, "
                                      "thay thế câu trả lời gửi ngày 05/03/2024")
    body = second_mail.get_body(("plain",)).get_content()
    assert "câu trả lời đã được hoàn thiện" in body and "thay thế câu trả lời đã gửi Ông/Bà ngày 05/03/2024" in body
    assert REVISED in body and FIRST not in body
    assert sorted(p.get_filename() for p in second_mail.walk() if p.get_filename()) == [
        "Công văn số 12.pdf", "Công văn số 15.pdf"]
    assert first_mail["Message-ID"] != second_mail["Message-ID"]
    keys = db.session.execute(select(OutboxMail.key).where(OutboxMail.kind == "answered")
                              .order_by(OutboxMail.id)).scalars().all()
    assert keys == [f"answered:{case.code}", f"answered:{case.code}:revised:1"]

    status = text_of(page_of(citizen, f"/tra-cuu/{case.code}"))
    assert REVISED in status and FIRST not in status and "câu trả lời đã được hoàn thiện ngày 08/03/2024" in status
    assert "Công văn số 15.pdf" in status

    # HCTH publishes: the reviewed title stays, the answer is proposed again from the revised reply
    clock.set("2024-03-11T09:00:00+07:00")
    sign_in(client, seeded["office"])
    page = page_of(client, f"/van-phong/ho-so/{case.code}")
    assert "Bản HCTH đã duyệt" not in page and "Quyết định 1234/QĐ-UBND" in page
    assert act(client, "van-phong", case, "publish").status_code == 302
    assert stored(case).state == "published"
    public = text_of(page_of(app.test_client(), f"/cong-khai/{case.code}"))
    assert "Quyết định 1234/QĐ-UBND" in public and "Thời hạn giải quyết thủ tục đăng ký" in public
    assert "Trần Văn Bình" not in public and "Bản HCTH đã duyệt" not in public


def test_the_api_returns_an_answer_through_the_same_machine(app, client, clock, seeded):
    case = under_review(seeded)
    apply_event(case, "approve", seeded["leader"])
    office = {"Authorization": f"Bearer {new_token(seeded['office'])}"}
    unit = {"Authorization": f"Bearer {new_token(seeded['QLKH'])}"}
    url = f"/api/v1/feedback/{case.code}/events/return_answer"
    assert client.post(url, json={}, headers=office).status_code == 422
    assert client.post(url, json={"reason": REASON}, headers=unit).status_code == 403
    response = client.post(url, json={"reason": REASON, "version": stored(case).version}, headers=office)
    body = response.get_json()
    assert response.status_code == 200, body
    assert (body["state"], body["from"], body["due_step"], body["note"]) == ("forwarded", "answered", "revise_answer",
                                                                            REASON)
    refused = client.post(f"/api/v1/feedback/{case.code}/events/extend", json={"reason": "Cần lấy thêm ý kiến"}, headers=unit)
    assert refused.status_code == 409 and "không gửi phiếu xin lỗi" in refused.get_json()["error"]
    details = client.get(f"/api/v1/feedback/{case.code}", headers=unit).get_json()
    assert details["allowed_events"] == ["submit_draft"] and details["answer"] == FIRST
    public = client.get(f"/api/v1/feedback/{case.code}").get_json()  # a code alone: as the status page says it
    assert (public["state"], public["state_label"], public["due_date"], public["due_step"]) == (
        "answered", "Đã trả lời", None, None)
    history = client.get(f"/api/v1/feedback/{case.code}/history").get_json()
    assert history["state"] == "answered"  # the public history says what the public view says, row by row too
    assert {state for row in history["history"] if row["event"] in ("return_answer", "due_recomputed")
            for state in (row["from"], row["to"])} == {"answered"}
    assert "forwarded" not in [row["to"] for row in history["history"][history["history"].index(
        next(r for r in history["history"] if r["event"] == "return_answer")):]]
    assert client.get(f"/api/v1/feedback/{case.code}/history", headers=unit).get_json()["state"] == "forwarded"
    assert client.post(url, json={"reason": REASON}, headers=office).status_code == 409  # not answered now


def sweep_on(day: date, hour: int = 8):
    return sweep(parse_instant(f"{day.isoformat()}T{hour:02d}:00:00+07:00"))


def returned_on(case, seeded, day: str) -> Feedback:
    db.session.refresh(case)
    CLOCK.set(f"{day}T09:00:00+07:00")
    apply_event(case, "return_answer", seeded["office"], {"reason": REASON})
    return case


def test_a_returned_answer_past_its_revision_date_is_marked_overdue_but_gets_no_letter_and_no_progress_notice(
        app, clock, seeded):
    """Two answers returned: one sent on time (answered 6/3, returned 7/3, revision due 14/3), one sent
    late after its apology letter (due 25/3, letter on 26/3 with the new date 1/4, answered 28/3,
    returned 29/3, revision due 5/4), whose progress notices would be due 3/4, 12/4 and 24/4 were the
    case still owed an answer. A sweep every morning from 8/3 to 10/5."""
    on_time = under_review(seeded)
    late = forwarded_case(seeded, submission=replace(CONSENTING, email="late@example.com"))
    clock.set("2024-03-06T09:00:00+07:00")
    apply_event(on_time, "approve", seeded["leader"])
    returned_on(on_time, seeded, "2024-03-07")
    assert (on_time.due_step, on_time.due_date) == ("revise_answer", date(2024, 3, 14))

    def answer_late():
        apply_event(late, "submit_draft", seeded["QLKH"], {"reply": FIRST})
        apply_event(late, "approve", seeded["leader"])
        assert late.answered_on_time is False and late.extension_count == 1

    later = {date(2024, 3, 28): answer_late, date(2024, 3, 29): lambda: returned_on(late, seeded, "2024-03-29")}
    seen = {"letters": [], "reminders": [], "overdue": [], "progress": [], "escalations": []}
    day = date(2024, 3, 8)
    while day <= date(2024, 5, 10):
        result = sweep_on(day)
        for kind, days in seen.items():
            days += [day] * getattr(result, kind)
        if day in later:
            clock.set(f"{day.isoformat()}T09:00:00+07:00")
            later[day]()
        day += timedelta(days=1)
    assert (late.due_step, late.due_date) == ("revise_answer", date(2024, 4, 5))
    assert seen["letters"] == [date(2024, 3, 26)]  # the late answer's own letter, before it was sent
    assert seen["progress"] == [] and seen["escalations"] == []
    assert seen["overdue"] == [date(2024, 3, 15), date(2024, 3, 26), date(2024, 4, 6)]
    # 2 working days before each target (or at the first sweep within them): the on-time revision, the
    # late answer (25/3, then the letter's 1/4), its publication once answered (1/4), the late revision
    assert seen["reminders"] == [date(2024, 3, 12), date(2024, 3, 21), date(2024, 3, 28), date(2024, 3, 29),
                                 date(2024, 4, 3)]
    reminded = db.session.execute(select(DeadlineNotice.feedback_id, DeadlineNotice.step, DeadlineNotice.due_date)
                                  .where(DeadlineNotice.kind == "reminder").order_by(DeadlineNotice.id)).all()
    assert reminded == [(on_time.id, "revise_answer", date(2024, 3, 14)), (late.id, "answer", date(2024, 3, 25)),
                        (late.id, "answer", date(2024, 4, 1)), (late.id, "publish", date(2024, 4, 1)),
                        (late.id, "revise_answer", date(2024, 4, 5))]
    for case, missed in ((on_time, date(2024, 3, 14)), (late, date(2024, 4, 5))):
        case = stored(case)
        assert case.overdue_since == missed and case.escalated_at is None and case.state == "forwarded"
        notice = db.session.execute(select(DeadlineNotice).where(
            DeadlineNotice.feedback_id == case.id, DeadlineNotice.kind == "overdue",
            DeadlineNotice.due_date == missed)).scalar_one()
        assert notice.step == "revise_answer"
        mark = [t for t in case.transitions if t.event == "overdue"][-1]
        assert not mark.public and "hoàn thiện câu trả lời" in mark.note  # not the citizen's deadline
    ids = [on_time.id, late.id]
    # the leader sees both in the overdue list and the daily digest
    assert [c.id for c in db.session.execute(overdue_query(date(2024, 5, 10))).scalars() if c.id in ids] == ids
    assert count(ApologyLetter) == 1
    mails = db.session.execute(select(OutboxMail.kind, OutboxMail.recipients).where(
        OutboxMail.feedback_id.in_(ids), OutboxMail.kind.in_(("reminder", "progress", "apology")))
        .order_by(OutboxMail.id)).all()
    assert [kind for kind, _ in mails] == ["reminder", "reminder", "apology", "reminder", "reminder", "reminder"]
    assert mails[-1] == ("reminder", "qlkh@skhcn.example.gov.vn")  # the revision's reminder goes to the unit


@pytest.mark.parametrize("period", ["2024-Q1", "2024-03-01..2024-03-31", "2024-03-21..2024-03-31", "2024"])
def test_the_report_of_a_period_is_the_same_before_the_return_and_after_the_re_approval(app, clock, seeded, period):
    """Decision 2: the citizen received an approved answer on 20/3, before its due date 25/3; the case
    stays settled then (early), whether HCTH returns it on 21/3 and the revision is approved on 27/3,
    after that due date, or not. Q1 2024 (to 14/3) had it pending, on time."""
    case = under_review(seeded)
    clock.set("2024-03-20T10:00:00+07:00")
    apply_event(case, "approve", seeded["leader"])
    before = build_report(parse_period(period)).as_dict()
    returned_on(case, seeded, "2024-03-21")
    while_returned = build_report(parse_period(period)).as_dict()
    clock.set("2024-03-27T10:00:00+07:00")
    apply_event(case, "submit_draft", seeded["QLKH"], {"reply": REVISED})
    apply_event(case, "approve", seeded["leader"])
    assert stored(case).revised_at is not None
    after = build_report(parse_period(period)).as_dict()
    assert before == while_returned == after
    total = after["total"]
    if period == "2024-Q1":
        assert (total["pending"], total["pending_on_time"], total["answered"]) == (1, 1, 0)
    elif period == "2024-03-21..2024-03-31":
        assert (total["carried_over"], total["pending"], total["answered"]) == (0, 0, 0)
    else:
        assert (total["answered"], total["answered_early"], total["answered_late"], total["pending"]) == (1, 1, 0, 0)


def test_the_return_reads_in_english_on_the_staff_and_the_citizens_pages(app, client, clock, seeded):
    from flask_babel import refresh
    case = under_review(seeded)
    apply_event(case, "approve", seeded["leader"])
    refresh()  # the test's app context outlives requests: forget the locale the mails used
    sign_in(client, seeded["office"])
    page = text_of(page_of(client, f"/van-phong/ho-so/{case.code}?lang=en"))
    assert "Return the answer to the unit for revision" in page and "Reason for returning it" in page  # the action
    returned_on(case, seeded, "2024-03-05")
    sign_in(client, seeded["QLKH"])
    page = text_of(page_of(client, f"/don-vi/ho-so/{case.code}?lang=en"))
    assert "Returned by the office for revision: " + REASON in page and "Revision of the answer" in page
    citizen = app.test_client()
    citizen.post("/tra-cuu", data={"code": case.code, "contact": "0905123456"})
    page = text_of(page_of(citizen, f"/tra-cuu/{case.code}?lang=en"))
    assert "The answer is being finalised before publication." in page and FIRST in page
    assert "Revision of the answer" not in page and "unsuitable" not in page  # the department's own step


def test_the_citizen_rates_the_answer_they_hold_while_it_is_revised(app, client, clock, seeded):
    from feedback_app.models import Rating
    from test_public_status import look_up
    case = under_review(seeded)
    apply_event(case, "approve", seeded["leader"])
    apply_event(case, "return_answer", seeded["office"], {"reason": REASON})
    assert look_up(client, case.code, "0905123456").status_code == 303
    assert 'id="rating-form"' in client.get(f"/tra-cuu/{case.code}").get_data(as_text=True)
    rated = client.post(f"/tra-cuu/{case.code}/danh-gia", data={"rating-score": "2"}, follow_redirects=True)
    assert rated.status_code == 200 and db.session.execute(select(Rating.score)).scalar_one() == 2


def test_an_answer_never_delivered_goes_no_more_once_its_revision_is_approved(app, clock, seeded, smtp):
    smtp.stop()  # the mail server is down from the first approval to the revised one
    case = under_review(seeded)
    apply_event(case, "approve", seeded["leader"])
    outbox.flush()
    apply_event(case, "return_answer", seeded["office"], {"reason": REASON})
    staff.submit_draft(case, seeded["QLKH"], "Câu trả lời đã bổ sung căn cứ pháp lý.", [], stored(case).version)
    apply_event(case, "approve", seeded["leader"])
    answers = db.session.execute(select(OutboxMail.key).where(OutboxMail.kind == "answered")).scalars().all()
    assert answers == [f"answered:{case.code}:revised:1"]
    smtp.start()
    clock.advance(hours=1)  # the receipt's backoff is over: it goes first, then the revised answer
    outbox.flush()
    (mail,) = [m for m in smtp.inbox.wait_for(2) if "câu trả lời đã được hoàn thiện" in str(m["Subject"])]
    assert not [m for m in smtp.inbox.messages if str(m["Subject"]).startswith("Trả lời phản ánh")]
