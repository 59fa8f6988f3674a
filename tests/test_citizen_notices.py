"""A citizen who gave only a phone number or only a postal address (NĐ 20/2008 Art 7.1) is told by HCTH
what the others read in their mail: the notice is written with the mail's text, listed for HCTH (page by
page, printable), and recorded as told by phone or sent by post, on a day, by an officer. A case is
refused for not answering a request for information only once that request reached the citizen and their
5 working days from that day are over. The migration that adds the table applies on an empty database and
on one with a case waiting for the citizen."""
from __future__ import annotations

import html
import re
from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import create_engine, select, text as sql

from feedback_app.extensions import db
from feedback_app.models import ApologyLetter, CitizenNotice, Feedback, OutboxMail, Transition
from feedback_app.services import citizen_notices, outbox
from feedback_app.services.cases import apply_event, find, receive
from feedback_app.services.corrections import correct_intake
from feedback_app.services.letters import set_reason
from feedback_app.services.sweep import sweep
from workflows.clock import parse_instant
from workflows.lifecycle import NOT_REACHED, STILL_IN_TIME, InvalidEventArguments

from deadline_helpers import SUBMISSION, sign_in
from test_migrations import flask
from test_office_intake import LETTER, enter, login, text

POSTAL = replace(SUBMISSION, phone=None, email=None, channel="post")
BY_PHONE = replace(SUBMISSION, address="", email=None, channel="phone")
MISSING = "Bản chụp quyết định giao nhiệm vụ và số điện thoại liên hệ"
RECEIVED = parse_instant("2024-03-04T08:30:00+07:00")


def notices(**where) -> list[CitizenNotice]:
    query = select(CitizenNotice).order_by(CitizenNotice.id)
    for name, value in where.items():
        query = query.where(getattr(CitizenNotice, name) == value)
    db.session.expire_all()
    return db.session.execute(query).scalars().all()


def mails(case) -> list[OutboxMail]:
    return db.session.execute(select(OutboxMail).where(OutboxMail.feedback_id == case.id)).scalars().all()


def entered(seeded, submission=POSTAL):
    """A PAKN HCTH entered, received Monday 4 March 2024 at 8:30."""
    return receive(submission, received_at=RECEIVED, actor=seeded["office"])


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, url
    return response.get_data(as_text=True)


def record(client, notice, how: str, on: str, status: int = 303):
    response = client.post(f"/van-phong/thong-bao-nguoi-dan/{notice.id}/da-bao",
                           data={f"notice{notice.id}-how": how, f"notice{notice.id}-on": on})
    assert response.status_code == status, response.get_data(as_text=True)
    return response


def test_a_letter_with_only_a_postal_address_is_owed_its_receipt_by_post_and_hcth_records_it(
        app, client, clock, seeded):
    login(client, seeded["office"])
    assert enter(client, phone=None, email=None).status_code == 303  # NĐ 20/2008 Art 7.1: a postal address
    (case,) = db.session.execute(select(Feedback)).scalars().all()
    assert mails(case) == []  # nothing can be mailed
    (notice,) = notices()
    assert (notice.kind, notice.key, notice.feedback_id, notice.given_at) == ("received", f"received:{case.code}",
                                                                             case.id, None)
    assert notice.subject == f"Đã tiếp nhận phản ánh, kiến nghị {case.code}"
    assert f"Mã số theo dõi: {case.code}" in notice.body_text and "08/03/2024" in notice.body_text
    assert "thư điện tử của Ông/Bà" not in notice.body_text  # the mail's line on a mistyped address

    # linked from the office's queue, listed with the text, the address and the record form
    queue = page(client, "/van-phong/")
    assert "1 cần báo qua điện thoại hoặc bưu chính" in html.unescape(queue)
    listed = html.unescape(page(client, "/van-phong/thong-bao-nguoi-dan"))
    assert case.code in listed and LETTER["address"] in listed and f"Mã số theo dõi: {case.code}" in listed
    assert re.search(rf'<select[^>]*name="notice{notice.id}-how"', listed)
    assert 'value="post">Qua bưu chính' in listed and 'value="phone"' not in listed  # no phone to call
    printed = html.unescape(page(client, f"/van-phong/thong-bao-nguoi-dan/{notice.id}"))
    assert LETTER["full_name"] in printed and notice.subject in printed and f"Mã số theo dõi: {case.code}" in printed

    # refused: a day to come, a way the citizen cannot be reached; then recorded
    assert "không được sau hôm nay" in html.unescape(text(record(client, notice, "post", "2024-03-05", 422)))
    assert "không để lại số điện thoại" in html.unescape(text(record(client, notice, "phone", "2024-03-04", 422)))
    assert notices()[0].given_at is None
    assert record(client, notice, "post", "2024-03-04").headers["Location"].endswith("/van-phong/thong-bao-nguoi-dan")
    (given,) = notices()
    assert (given.given_how, given.given_on, given.given_by_id, given.given_by_label) == (
        "post", date(2024, 3, 4), seeded["office"].id, seeded["office"].full_name)
    row = db.session.execute(select(Transition).where(Transition.event == "citizen_notice")).scalar_one()
    assert row.public is False and "Đã gửi qua bưu chính ngày 04/03/2024" in row.note
    assert "Không có thông báo nào cần báo" in html.unescape(page(client, "/van-phong/thong-bao-nguoi-dan"))
    assert case.code in page(client, "/van-phong/thong-bao-nguoi-dan?tab=given")
    assert 'id="owed-notices"' not in page(client, "/van-phong/")
    assert "đã được ghi nhận trước đó" in html.unescape(text(record(client, given, "post", "2024-03-04", 409)))
    case_page = html.unescape(page(client, f"/van-phong/ho-so/{case.code}"))
    assert "Qua bưu chính, ngày 04/03/2024" in case_page
    english = page(client, "/van-phong/thong-bao-nguoi-dan?tab=given&lang=en")
    assert "Notices to senders by phone or post" in english and "By post · on 04/03/2024" in english


def test_only_hcth_reads_and_records_the_notices(app, client, clock, seeded):
    entered(seeded)
    (notice,) = notices()
    for role in ("leader", "QLKH", "admin"):
        sign_in(client, seeded[role])
        assert client.get("/van-phong/thong-bao-nguoi-dan").status_code == 403
        assert client.post(f"/van-phong/thong-bao-nguoi-dan/{notice.id}/da-bao",
                           data={f"notice{notice.id}-how": "post", f"notice{notice.id}-on": "2024-03-04"}).status_code == 403
    assert notices()[0].given_at is None


def test_a_citizen_with_an_e_mail_or_who_sent_through_the_portal_is_owed_no_receipt(app, clock, seeded):
    entered(seeded, SUBMISSION)  # an e-mail: the mail
    receive(replace(SUBMISSION, email=None))  # the portal showed the code; only a phone
    receive(replace(SUBMISSION, address="", phone=None, email=None, channel="post"), received_at=RECEIVED,
            actor=seeded["office"])  # no contact at all: nobody to tell
    assert notices() == []


def test_the_list_is_paginated_oldest_first(app, client, clock, seeded):
    app.config["PER_PAGE"] = 2
    codes = [entered(seeded).code for _ in range(3)]
    login(client, seeded["office"])
    first, second = page(client, "/van-phong/thong-bao-nguoi-dan"), page(client, "/van-phong/thong-bao-nguoi-dan?page=2")
    assert codes[0] in first and codes[1] in first and codes[2] not in first
    assert codes[2] in second and "Trang 2 / 2" in second


def test_no_answer_is_a_reason_only_once_the_request_was_told_and_five_working_days_from_then_passed(
        app, client, clock, seeded):
    case = entered(seeded, BY_PHONE)
    office = seeded["office"]
    apply_event(case, "request_info", office, {"missing": MISSING})
    assert mails(case) == []
    (notice,) = notices(kind="request_info")
    assert notice.key == case.info_request_key and MISSING in notice.body_text
    assert "05 ngày làm việc kể từ ngày Ông/Bà nhận được đề nghị này" in notice.body_text

    # the request's own date passes (11/03) but nobody told the citizen: not offered, and refused
    clock.set("2024-03-13T09:00:00+07:00")
    login(client, office)
    case_page = html.unescape(page(client, f"/van-phong/ho-so/{case.code}"))
    form = re.search(r'<form[^>]*id="form-refuse".*?</form>', case_page, re.S).group(0)
    assert 'value="no_answer_to_info_request"' not in form and 'value="unclear_content"' in form
    assert "chưa đến được người gửi" in form and 'id="info-reached"' in case_page
    response = client.post(f"/van-phong/ho-so/{case.code}/su-kien/refuse",
                           data={"refuse-reason": "no_answer_to_info_request", "refuse-version": case.version})
    assert response.status_code == 422 and NOT_REACHED[:40] in html.unescape(response.get_data(as_text=True))
    assert find(case.code).state == "awaiting_info"

    # HCTH phones on Wednesday 13/03: the 5 working days run to Wednesday 20/03
    record(client, notice, "phone", "2024-03-13")
    told = html.unescape(page(client, f"/van-phong/ho-so/{case.code}"))
    assert "hạn bổ sung đến hết ngày 20/03/2024" in told
    # the deadline card counts from that day too, as its basis says (05 days), not from the request's
    how = re.search(r'<dd id="due-how">(.*?)</dd>', told, re.S).group(1)
    assert how == "5 ngày làm việc sau ngày 13/03/2024, ngày đề nghị bổ sung đến được người gửi"
    clock.set("2024-03-20T16:00:00+07:00")
    with pytest.raises(InvalidEventArguments) as refused:
        apply_event(find(case.code), "refuse", office, {"reason": "no_answer_to_info_request"})
    assert refused.value.why == STILL_IN_TIME
    clock.set("2024-03-21T08:00:00+07:00")
    form = re.search(r'<form[^>]*id="form-refuse".*?</form>', page(client, f"/van-phong/ho-so/{case.code}"), re.S)
    assert 'value="no_answer_to_info_request"' in form.group(0)
    response = client.post(f"/van-phong/ho-so/{case.code}/su-kien/refuse",
                           data={"refuse-reason": "no_answer_to_info_request", "refuse-version": find(case.code).version})
    assert response.status_code == 302 and find(case.code).state == "refused"
    (refusal,) = notices(kind="refused")  # and the refusal is owed by phone too
    assert "Không bổ sung thông tin trong thời hạn" in refusal.body_text


def test_a_mailed_request_counts_from_the_day_its_mail_was_delivered(app, clock, seeded, smtp):
    case = receive(SUBMISSION)
    apply_event(case, "request_info", seeded["office"], {"missing": MISSING})  # Mon 4 Mar: named date 11 Mar
    assert notices() == [] and case.info_request_key.startswith(f"request_info:{case.code}:")
    smtp.stop()
    assert outbox.flush().sent == 0
    clock.set("2024-03-12T09:00:00+07:00")  # the named date passed, but the mail never left
    with pytest.raises(InvalidEventArguments, match="no_answer|refuse") as refused:
        apply_event(find(case.code), "refuse", seeded["office"], {"reason": "no_answer_to_info_request"})
    assert refused.value.why == NOT_REACHED
    smtp.start()
    assert outbox.flush().sent == 2  # the receipt, then the request, on Tuesday 12/03
    assert citizen_notices.info_answer_due(find(case.code)) == date(2024, 3, 19)
    db.session.expire_all()  # and the case's due date says so, where the status page and the queues read it
    assert (find(case.code).due_date, find(case.code).due_start) == (date(2024, 3, 19), date(2024, 3, 4))
    clock.set("2024-03-20T09:00:00+07:00")
    apply_event(find(case.code), "refuse", seeded["office"], {"reason": "no_answer_to_info_request"})
    assert find(case.code).state == "refused"


def test_a_request_told_late_moves_the_due_date_everyone_reads_and_an_answered_one_is_owed_no_more(
        app, client, clock, seeded):
    office = seeded["office"]
    case = entered(seeded, BY_PHONE)
    apply_event(case, "request_info", office, {"missing": MISSING})  # Mon 4 Mar: named date 11 Mar
    (notice,) = notices(kind="request_info")
    clock.set("2024-03-06T09:00:00+07:00")
    login(client, office)
    record(client, notice, "phone", "2024-03-06")  # told on Wednesday: 5 working days to Wednesday 13/03
    db.session.expire_all()
    assert find(case.code).due_date == date(2024, 3, 13) and find(case.code).due_start == date(2024, 3, 4)
    queue = html.unescape(page(client, "/van-phong/"))
    assert case.code in queue and "13/03/2024" in queue
    with client.session_transaction() as browser:  # the citizen looks it up
        browser["public_cases"] = [case.code]
    status = re.sub(r"\s+", " ", html.unescape(page(client, f"/tra-cuu/{case.code}")))
    assert "13/03/2024" in status and "kể từ sau ngày Ông/Bà nhận được đề nghị bổ sung (06/03/2024)" in status

    # the second request, answered before HCTH phoned about it: nothing left to tell
    apply_event(find(case.code), "provide_info", office, {"note": "Người gửi gọi điện bổ sung số điện thoại."})
    apply_event(find(case.code), "request_info", office, {"missing": "Bản chụp quyết định giao nhiệm vụ"})
    assert len(notices(kind="request_info", given_on=None)) == 1
    apply_event(find(case.code), "provide_info", seeded["office"], {"note": "Đã nhận bản chụp qua bưu điện."})
    assert notices(kind="request_info", given_on=None) == [] and len(notices(kind="request_info")) == 1


def test_a_request_reaching_the_citizen_after_they_answered_leaves_the_case_s_new_date(app, clock, seeded):
    case = receive(SUBMISSION)
    apply_event(case, "request_info", seeded["office"], {"missing": MISSING})
    key = case.info_request_key
    apply_event(find(case.code), "provide_info", seeded["office"], {"note": "Người gửi bổ sung qua điện thoại."})
    classify_due = find(case.code).due_date
    citizen_notices.request_reached(key, date(2024, 3, 8))  # the outbox sent the request only now
    db.session.commit()
    db.session.expire_all()
    assert find(case.code).due_step == "classify" and find(case.code).due_date == classify_due


def test_a_request_mailed_on_its_day_keeps_the_date_it_named(app, clock, seeded, smtp):
    case = receive(SUBMISSION)
    apply_event(case, "request_info", seeded["office"], {"missing": MISSING})
    assert outbox.flush().sent == 2
    assert citizen_notices.info_answer_due(find(case.code)) == find(case.code).due_date == date(2024, 3, 11)
    clock.set("2024-03-12T09:00:00+07:00")
    apply_event(find(case.code), "refuse", seeded["office"], {"reason": "no_answer_to_info_request"})
    assert find(case.code).state == "refused"


def test_the_apology_letter_and_the_answer_are_owed_by_post_and_a_revised_answer_replaces_one_not_given(
        app, client, clock, seeded):
    case = entered(seeded, replace(POSTAL, consent_publish=True))
    office, leader, unit = seeded["office"], seeded["leader"], seeded["QLKH"]
    apply_event(case, "classify", office, {"category": "TTHC"})
    apply_event(case, "forward", office, {"unit": "QLKH"})
    (received,) = notices()
    citizen_notices.record_given(received.id, "post", date(2024, 3, 4), office)

    # the answer's date (25/03) passes: the automatic letter is owed once its grace period is over
    assert sweep(parse_instant("2024-03-26T00:01:00+07:00")).letters == 1
    clock.set("2024-03-26T01:00:00+07:00")
    (letter,) = notices(kind="apology")
    assert letter.attachment_ref.startswith("letter:") and letter not in db.session.execute(
        citizen_notices.owed_query()).scalars().all()  # its grace period: the reason may still be written
    reason = "Cần lấy ý kiến của Sở Tài chính về thời hạn giải quyết."
    set_reason(db.session.get(ApologyLetter, int(letter.attachment_ref.split(":")[1])), reason, unit)
    assert f"Lý do: {reason}" in notices(kind="apology")[0].body_text  # the letter it goes with says so too
    clock.set("2024-03-26T11:31:00+07:00")  # 4 office hours from 07:30
    assert [n.kind for n in db.session.execute(citizen_notices.owed_query()).scalars()] == ["apology"]
    login(client, office)
    printed = page(client, f"/van-phong/thong-bao-nguoi-dan/{letter.id}")
    assert "Lý do:" in printed and f"/van-phong/phieu-xin-loi/{letter.attachment_ref.split(':')[1]}" in printed

    apply_event(find(case.code), "submit_draft", unit, {"reply": "Thời hạn giải quyết là 10 ngày làm việc."})
    apply_event(find(case.code), "approve", leader)
    (answer,) = notices(kind="answered")
    assert "Thời hạn giải quyết là 10 ngày làm việc." in answer.body_text
    apply_event(find(case.code), "return_answer", office, {"reason": "Chưa dẫn căn cứ pháp lý của thời hạn nêu."})
    apply_event(find(case.code), "submit_draft", unit, {"reply": "Theo Quyết định 12/QĐ-UBND, thời hạn là 10 ngày."})
    apply_event(find(case.code), "approve", leader)
    (revised,) = notices(kind="answered")  # the first, never posted, goes no more
    assert revised.key == f"answered:{case.code}:revised:1" and "Quyết định 12/QĐ-UBND" in revised.body_text


def test_an_e_mail_added_by_a_correction_takes_over_the_receipt_owed(app, clock, seeded):
    case = entered(seeded)
    assert [n.kind for n in notices()] == ["received"]
    correct_intake(case, seeded["office"], replace(POSTAL, email="an@example.com"), None, case.version)
    assert notices() == [] and [m.kind for m in mails(case)] == ["received"]


def test_the_migration_adds_the_table_and_keys_the_requests_of_cases_waiting_for_the_citizen(tmp_path):
    url = f"sqlite:///{tmp_path / 'notices.sqlite3'}"
    assert flask("db", "upgrade", "0020", url=url).returncode == 0
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(sql("INSERT INTO feedback (id, code, submitter_name, address, title, content, consent_publish, "
                         "channel, language, received_at, state, version, paused_days, extension_count, created_at, "
                         "updated_at) VALUES (1, 'PAKN.20240304.0001', 'An', 'Quảng Ngãi', 'T', 'C', 0, 'web', 'vi', "
                         "'2024-03-04 01:00:00', 'awaiting_info', 2, 0, 0, '2024-03-04 01:00:00', '2024-03-04 01:00:00')"))
        for i, key in enumerate(("request_info:PAKN.20240304.0001:1", "request_info:PAKN.20240304.0001:5"), 1):
            conn.execute(sql("INSERT INTO outbox (id, key, kind, recipients, subject, body_text, feedback_id, status, "
                             "attempts, next_attempt_at, created_at) VALUES (:id, :key, 'request_info', 'an@example.com',"
                             " 'S', 'B', 1, 'sent', 1, '2024-03-04 01:00:00', '2024-03-04 01:00:00')"), {"id": i, "key": key})
    up = flask("db", "upgrade", url=url)
    assert up.returncode == 0, up.stderr
    with engine.connect() as conn:
        assert conn.execute(sql("SELECT info_request_key FROM feedback")).scalar_one() == "request_info:PAKN.20240304.0001:5"
        assert conn.execute(sql("SELECT count(*) FROM citizen_notices")).scalar_one() == 0
    down = flask("db", "downgrade", "0020", url=url)
    assert down.returncode == 0, down.stderr
    with engine.connect() as conn:
        assert "citizen_notices" not in {r[0] for r in conn.execute(sql("SELECT name FROM sqlite_master"))}
        assert conn.execute(sql("SELECT code FROM feedback")).scalar_one() == "PAKN.20240304.0001"
    engine.dispose()


def test_a_sender_with_only_a_postal_address_is_not_sent_to_a_lookup_that_needs_a_phone_or_e_mail(
        app, clock, seeded):
    """The lookup (NĐ 20/2008 Art 12.2) asks for the code and the phone or e-mail given: a letter with only a
    postal address is told to ask by phone or in person, and the answer's files go with the posted answer."""
    case = entered(seeded)
    (received,) = notices()
    assert "cùng số điện thoại hoặc thư điện tử đã khai" not in received.body_text
    assert f"qua số điện thoại {app.config['AGENCY_PHONE']} hoặc tại trụ sở cơ quan" in received.body_text
    office, unit = seeded["office"], seeded["QLKH"]
    apply_event(case, "classify", office, {"category": "TTHC"})
    apply_event(case, "forward", office, {"unit": "QLKH"})
    from io import BytesIO

    from werkzeug.datastructures import FileStorage

    from feedback_app.services import staff
    drafted = find(case.code)
    staff.save_draft(drafted, unit, "Thời hạn giải quyết là 10 ngày làm việc.",
                     [FileStorage(BytesIO(b"%PDF-1.4\n%%EOF\n"), filename="giay-to.pdf", content_type="application/pdf")],
                     drafted.version)
    apply_event(find(case.code), "submit_draft", unit, {"reply": "Thời hạn giải quyết là 10 ngày làm việc."})
    apply_event(find(case.code), "approve", seeded["leader"])
    (answer,) = notices(kind="answered")
    assert "/tra-cuu?code=" not in answer.body_text and "tải các tài liệu này tại trang tra cứu" not in answer.body_text
    assert "giay-to.pdf" in answer.body_text and "gửi kèm văn bản trả lời qua bưu chính" in answer.body_text
    phone_only = entered(seeded, BY_PHONE)
    (by_phone,) = notices(feedback_id=phone_only.id)
    assert "cùng số điện thoại hoặc thư điện tử đã khai" in by_phone.body_text  # the lookup works for them


def test_a_citizen_s_mail_that_fails_for_good_is_owed_by_phone_or_post_until_a_retry_delivers_it(
        app, client, clock, seeded, smtp):
    app.config.update(OUTBOX_MAX_ATTEMPTS=1)
    office = seeded["office"]
    case = receive(SUBMISSION)  # through the portal, which showed its sender the code
    apply_event(case, "request_info", office, {"missing": MISSING})
    letter = entered(seeded, replace(POSTAL, email="chi@example.com"))  # a letter HCTH entered
    smtp.refuse("an@example.com", 451), smtp.refuse("chi@example.com", 451)  # full, for now
    assert outbox.flush().failed == 3
    assert [(n.kind, n.key) for n in notices()] == [("request_info", case.info_request_key),
                                                    ("received", f"received:{letter.code}")]
    request = notices()[0]
    mail = db.session.execute(select(OutboxMail).where(OutboxMail.key == request.key)).scalar_one()
    assert (request.subject, request.body_text) == (mail.subject, mail.body_text) and MISSING in request.body_text
    row = db.session.execute(select(Transition).where(Transition.event == "mail_failed",
                                                      Transition.feedback_id == case.id)).scalar_one()
    assert row.public is False and "an@example.com" in row.note and mail.subject in row.note
    assert citizen_notices.info_reached_on(find(case.code)) is None

    # HCTH's list names the address that failed; told by phone on Wednesday, the 5 days run from then
    login(client, office)
    listed = html.unescape(page(client, "/van-phong/thong-bao-nguoi-dan"))
    assert "an@example.com (không gửi được)" in listed and case.code in listed and "mà không gửi được" in listed
    clock.set("2024-03-06T10:00:00+07:00")
    printed = html.unescape(page(client, f"/van-phong/thong-bao-nguoi-dan/{request.id}"))
    assert re.search(r'id="notice-date">Quảng Ngãi, ngày 06 tháng 3 năm 2024<', printed)  # NĐ 30/2020
    record(client, request, "phone", "2024-03-06")
    assert citizen_notices.info_answer_due(find(case.code)) == date(2024, 3, 13)
    # the admin's failing-mail page says the citizen was told another way (a retry would tell them twice)
    from deadline_helpers import sign_in
    sign_in(client, seeded["admin"])
    failing = html.unescape(page(client, "/quan-tri/thu-di"))
    assert "Văn phòng đã báo người gửi: Qua điện thoại, ngày 06/03/2024." in failing

    # the receipt's mail an admin retries and the server now delivers: its notice is no longer owed
    receipt = db.session.execute(select(OutboxMail).where(OutboxMail.key == f"received:{letter.code}")).scalar_one()
    outbox.retry(receipt.id)
    smtp.accept("chi@example.com")
    assert outbox.flush().sent == 1
    assert [n.key for n in notices(given_on=None)] == []
    assert [n.key for n in notices()] == [case.info_request_key]  # the one given stays on record
    withdrawn = db.session.execute(select(Transition).where(Transition.event == "mail_delivered")).scalar_one()
    assert withdrawn.feedback_id == letter.id and withdrawn.public is False and "chi@example.com" in withdrawn.note


def test_a_request_mailed_to_a_mistyped_address_is_sent_again_to_the_corrected_one_and_counts_from_then(
        app, clock, seeded, smtp):
    case = receive(replace(SUBMISSION, email="an@exmple.com"))  # the typo
    apply_event(case, "request_info", seeded["office"], {"missing": MISSING})  # Mon 4 Mar
    assert outbox.flush().sent == 2  # the receipt and the request, to the mistyped address
    first_key = find(case.code).info_request_key
    assert citizen_notices.info_reached_on(find(case.code)) == date(2024, 3, 4)

    clock.set("2024-03-12T09:00:00+07:00")  # 5 working days later: no answer, the address was wrong
    case = find(case.code)
    correct_intake(case, seeded["office"], replace(SUBMISSION, email="an@example.com"), None, case.version)
    case = find(case.code)
    assert case.info_request_key != first_key and case.state == "awaiting_info"
    assert citizen_notices.info_reached_on(case) is None  # the new request has not reached them yet
    with pytest.raises(InvalidEventArguments) as refused:
        apply_event(case, "refuse", seeded["office"], {"reason": "no_answer_to_info_request"})
    assert refused.value.why == NOT_REACHED
    again = db.session.execute(select(OutboxMail).where(OutboxMail.key == case.info_request_key)).scalar_one()
    assert again.recipients == "an@example.com" and MISSING in again.body_text

    assert outbox.flush().sent == 2  # the new receipt and the request again, on Tuesday 12/03
    assert [m["X-Envelope-To"] for m in smtp.inbox.wait_for(4)][2:] == ["an@example.com", "an@example.com"]
    db.session.expire_all()
    assert find(case.code).due_date == date(2024, 3, 19)  # 5 working days from the day it reached them
    clock.set("2024-03-20T09:00:00+07:00")
    apply_event(find(case.code), "refuse", seeded["office"], {"reason": "no_answer_to_info_request"})
    assert find(case.code).state == "refused"


def test_a_request_not_yet_sent_goes_only_to_the_corrected_address_and_a_notice_given_stays(app, clock, seeded):
    case = receive(replace(SUBMISSION, email="an@exmple.com"))
    apply_event(case, "request_info", seeded["office"], {"missing": MISSING})
    correct_intake(find(case.code), seeded["office"], replace(SUBMISSION, email="an@example.com"), None,
                   find(case.code).version)
    requests = [m for m in mails(case) if m.kind == "request_info"]
    assert [m.recipients for m in requests] == ["an@example.com"]  # the unsent one withdrawn
    assert requests[0].key == find(case.code).info_request_key

    told = entered(seeded)  # a letter: the request is owed by post; HCTH sent it, then corrects the address
    apply_event(told, "request_info", seeded["office"], {"missing": MISSING})
    (notice,) = notices(kind="request_info")
    citizen_notices.record_given(notice.id, "post", date(2024, 3, 4), seeded["office"])
    key = find(told.code).info_request_key
    correct_intake(find(told.code), seeded["office"], replace(POSTAL, address="Số 5 Lê Lợi, Quảng Ngãi"), None,
                   find(told.code).version)
    assert find(told.code).info_request_key == key and len(notices(kind="request_info")) == 1


def test_a_phone_corrected_after_the_request_mail_failed_leaves_the_notice_owed(app, clock, seeded, smtp):
    app.config.update(OUTBOX_MAX_ATTEMPTS=1)
    case = receive(SUBMISSION)
    apply_event(case, "request_info", seeded["office"], {"missing": MISSING})
    smtp.refuse("an@example.com", 550)  # no such mailbox: failed at once
    outbox.flush()
    (owed,) = notices(kind="request_info")
    key = find(case.code).info_request_key
    correct_intake(find(case.code), seeded["office"], replace(SUBMISSION, phone="0905999888"), None,
                   find(case.code).version)
    assert [(n.id, n.given_on) for n in notices(kind="request_info")] == [(owed.id, None)]  # still owed, HCTH phones
    assert find(case.code).info_request_key == key
    assert len([m for m in mails(case) if m.kind == "request_info"]) == 1  # no new mail to the address that failed


def test_a_request_withdrawn_while_its_mail_is_being_sent_leaves_the_worker_going(app, clock, seeded, smtp,
                                                                                  monkeypatch):
    """The worker claimed the request and is talking to the mail server when HCTH corrects the address:
    the row goes, the worker finds nothing to mark and sends the rest; the new request follows."""
    import threading
    case = receive(replace(SUBMISSION, email="an@exmple.com"))
    apply_event(case, "request_info", seeded["office"], {"missing": MISSING})
    code, message = case.code, outbox._message

    def correct_meanwhile():
        with app.app_context():
            fresh = find(code)
            correct_intake(fresh, seeded["office"], replace(SUBMISSION, email="an@example.com"), None, fresh.version)
            db.session.remove()

    def sending(row):
        if row.kind == "request_info" and row.recipients == "an@exmple.com":
            other = threading.Thread(target=correct_meanwhile)
            other.start()
            other.join(30)
        return message(row)

    monkeypatch.setattr(outbox, "_message", sending)
    delivered = outbox.deliver_due()  # the receipt and the request to the typo; no StaleDataError
    assert delivered.sent == 2
    db.session.expire_all()
    fresh = find(code)
    again = db.session.execute(select(OutboxMail).where(OutboxMail.key == fresh.info_request_key)).scalar_one()
    assert again.recipients == "an@example.com" and again.status == "pending"
    assert outbox.flush().sent >= 1
    assert citizen_notices.info_reached_on(find(code)) is not None
