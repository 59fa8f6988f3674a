"""Sửa thông tin tiếp nhận: HCTH corrects a typo in what was received, on the case page, before
classification (services.corrections): the citizen's fields with the portal's rules, and the time of
receipt of a PAKN HCTH entered within its day (the code carries the day; NĐ 20/2008 Art 9.1d counts
the due date from it). The state never changes; one audit row names the officer and the fields."""
from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from feedback_app.extensions import db
from feedback_app.models import Category, Feedback, Transition
from feedback_app.services.cases import Submission, apply_event, receive
from workflows.clock import LOCAL_TZ

from test_office_intake import LETTER, URL, enter, login, text


def correct_url(case) -> str:
    return f"/van-phong/ho-so/{case.code}/sua-tiep-nhan"


def entered(client, seeded) -> Feedback:
    login(client, seeded["office"])
    assert enter(client).status_code == 303
    return db.session.execute(select(Feedback)).scalar_one()


def form_of(case, **changes) -> dict:
    data = {"version": case.version, "full_name": case.submitter_name, "address": case.address,
            "phone": case.phone or "", "email": case.email or "", "title": case.title, "content": case.content,
            "procedure": case.procedure or "",
            "received_at": f"{case.received_at.astimezone(LOCAL_TZ):%Y-%m-%dT%H:%M}"}
    data.update(changes)
    return {f"correct-{k}": v for k, v in data.items() if v is not None}


def reread(case) -> Feedback:
    db.session.expire_all()
    return db.session.get(Feedback, case.id)


def corrections_of(case) -> list[Transition]:
    return db.session.execute(select(Transition).where(Transition.feedback_id == case.id,
                                                       Transition.event == "correct_intake")).scalars().all()


def test_hcth_corrects_the_name_and_content_of_a_received_case_without_touching_state_or_due_date(
        app, client, clock, seeded):
    case = entered(client, seeded)
    before = (case.version, case.state, case.due_date, case.code, case.received_at)
    page = text(client.get(f"/van-phong/ho-so/{case.code}"))
    assert "Sửa thông tin tiếp nhận" in page and 'id="form-correct-intake"' in page
    content = LETTER["content"].replace("sáng kiến", "sáng kiến, giải pháp")
    response = client.post(correct_url(case), data=form_of(case, full_name="Trần Văn Bính", content=content))
    assert response.status_code == 303
    case = reread(case)
    assert (case.submitter_name, case.content) == ("Trần Văn Bính", content)
    assert case.version > before[0]
    assert (case.state, case.due_date, case.code, case.received_at) == before[1:]
    (row,) = corrections_of(case)
    assert (row.actor_id, row.public, row.from_state, row.to_state) == (seeded["office"].id, False, "received", "received")
    assert "họ và tên" in row.note and "Trần Văn" not in row.note  # personal: the name of the field only
    assert "nội dung:" in row.note and "→" in row.note
    page = text(client.get(f"/van-phong/ho-so/{case.code}"))
    assert "Đã sửa thông tin tiếp nhận." in page and "Trần Văn Bính" in page


def test_a_stale_version_is_refused_and_changes_nothing(app, client, clock, seeded):
    case = entered(client, seeded)
    data = form_of(case, full_name="Trần Văn Bính", version=case.version - 1)
    response = client.post(correct_url(case), data=data, follow_redirects=True)
    assert "đã được cập nhật kể từ khi trang được mở" in text(response) and "đã được ghi nhận" not in text(response)
    assert reread(case).submitter_name == LETTER["full_name"] and corrections_of(case) == []


def test_a_correction_sent_twice_is_recorded_once_and_says_so(app, client, clock, seeded):
    case = entered(client, seeded)
    data = form_of(case, full_name="Trần Văn Bính")
    client.post(correct_url(case), data=data)
    again = text(client.post(correct_url(case), data=data, follow_redirects=True))
    assert "Thao tác này đã được ghi nhận (Sửa thông tin tiếp nhận, lúc" in again
    assert "kể từ khi trang được mở" not in again and len(corrections_of(case)) == 1


def test_a_classified_case_is_no_longer_corrected(app, client, clock, seeded):
    case = entered(client, seeded)
    category = db.session.execute(select(Category)).scalars().first()
    apply_event(case, "classify", seeded["office"], {"category": category.code})
    case = reread(case)
    assert case.state != "received"
    assert "form-correct-intake" not in text(client.get(f"/van-phong/ho-so/{case.code}"))
    response = client.post(correct_url(case), data=form_of(case, full_name="Trần Văn Bính"))
    assert response.status_code == 409
    assert "Chỉ sửa được thông tin tiếp nhận khi phản ánh, kiến nghị chưa được phân loại" in text(response)
    assert reread(case).submitter_name == LETTER["full_name"] and corrections_of(case) == []


@pytest.mark.parametrize("role", ["leader", "QLKH"])
def test_a_unit_user_or_the_leader_may_not_correct(app, client, clock, seeded, role):
    case = entered(client, seeded)
    client = app.test_client()
    login(client, seeded[role])
    assert client.post(correct_url(case), data=form_of(case, full_name="Trần Văn Bính")).status_code == 403
    assert reread(case).submitter_name == LETTER["full_name"] and corrections_of(case) == []


def test_a_time_of_receipt_on_another_day_is_refused_with_what_to_do(app, client, clock, seeded):
    case = entered(client, seeded)
    response = client.post(correct_url(case), data=form_of(case, received_at="2024-02-29T14:30"))
    assert response.status_code == 422
    body = text(response)
    assert "chỉ sửa được trong cùng ngày đã nhập" in body
    assert "hãy nhập lại phản ánh, kiến nghị với ngày đúng" in body and "đánh dấu trùng" in body
    assert reread(case).received_at == datetime(2024, 3, 1, 14, 30, tzinfo=LOCAL_TZ)
    assert corrections_of(case) == []


def test_a_time_of_receipt_on_the_same_day_moves_received_at_and_keeps_code_and_due_date(
        app, client, clock, seeded):
    case = entered(client, seeded)
    code, due = case.code, case.due_date
    response = client.post(correct_url(case), data=form_of(case, received_at="2024-03-01T08:15"))
    assert response.status_code == 303
    case = reread(case)
    assert case.received_at == datetime(2024, 3, 1, 8, 15, tzinfo=LOCAL_TZ)
    assert (case.code, case.due_date, case.state) == (code, due, "received")
    assert due == date(2024, 3, 8)
    (row,) = corrections_of(case)
    assert row.note == "thời điểm nhận: 14:30 01/03/2024 → 08:15 01/03/2024"


def test_a_portal_case_may_correct_the_name_but_never_its_time_of_receipt(app, client, clock, seeded):
    case = receive(Submission(full_name="Nguyễn Văn An", address="Số 12 đường Lê Lợi", phone="0905123456",
                              title="Thời hạn giải quyết thủ tục",
                              content="Đề nghị cho biết thời hạn giải quyết thủ tục đăng ký kết quả nhiệm vụ."))
    received = case.received_at
    login(client, seeded["office"])
    page = text(client.get(f"/van-phong/ho-so/{case.code}"))
    assert 'id="form-correct-intake"' in page and 'name="correct-received_at"' not in page
    data = form_of(case, full_name="Nguyễn Văn Ân", received_at="2024-03-04T08:00")
    assert client.post(correct_url(case), data=data).status_code == 303
    case = reread(case)
    assert case.submitter_name == "Nguyễn Văn Ân" and case.received_at == received


@pytest.mark.parametrize("changes, field", [
    ({"phone": "12345"}, "phone"),
    ({"email": "binh-at-example"}, "email"),
])
def test_an_invalid_phone_or_email_is_refused_next_to_the_field_and_nothing_changes(
        app, client, clock, seeded, changes, field):
    case = entered(client, seeded)
    version = case.version
    response = client.post(correct_url(case), data=form_of(case, full_name="Trần Văn Bính", **changes))
    assert response.status_code == 422
    body = text(response)
    assert f'id="correct-{field}-error"' in body
    case = reread(case)
    assert (case.submitter_name, case.phone, case.email, case.version) == (
        LETTER["full_name"], "0905111222", LETTER["email"], version)
    assert corrections_of(case) == []


def test_a_portal_case_keeps_a_phone_or_e_mail_but_an_entered_letter_may_have_only_its_postal_address(
        app, client, clock, seeded):
    """The portal answers and is followed by phone or e-mail; a letter HCTH entered is answered by post
    (NĐ 20/2008 Art 7.1: "số điện thoại (hoặc địa chỉ thư tín)")."""
    portal = receive(Submission(full_name="Nguyễn Văn An", address="Số 12 đường Lê Lợi", phone="0905123456",
                                title="Thời hạn giải quyết thủ tục",
                                content="Đề nghị cho biết thời hạn giải quyết thủ tục đăng ký kết quả nhiệm vụ."))
    login(client, seeded["office"])
    response = client.post(correct_url(portal), data=form_of(portal, phone="", email=""))
    assert response.status_code == 422 and 'id="correct-phone-error"' in text(response)
    assert reread(portal).phone == "0905123456"
    assert enter(client).status_code == 303
    letter = db.session.execute(select(Feedback).where(Feedback.id != portal.id)).scalar_one()
    assert client.post(correct_url(letter), data=form_of(letter, phone="", email="")).status_code == 303
    letter = reread(letter)
    assert (letter.phone, letter.email, letter.address) == (None, None, LETTER["address"])
    (row,) = corrections_of(letter)
    assert row.note == "sửa số điện thoại, thư điện tử"


def test_a_corrected_address_reaches_the_receipt_mail_never_the_mistyped_address(app, client, clock, seeded):
    from feedback_app.models import OutboxMail

    def receipts():
        db.session.expire_all()
        return db.session.execute(select(OutboxMail).where(OutboxMail.kind == "received")
                                  .order_by(OutboxMail.id)).scalars().all()

    case = entered(client, seeded)
    (pending,) = receipts()
    assert pending.recipients == "binh@example.com" and pending.status == "pending"
    fixed = client.post(correct_url(case), data=form_of(case, email="binh.dung@example.com", full_name="Trần Văn Bình"))
    assert fixed.status_code == 303
    (pending,) = receipts()  # not delivered yet: rewritten, not a second mail
    assert pending.recipients == "binh.dung@example.com" and case.code in pending.body_text
    assert "Bình" not in pending.body_text  # the receipt names nobody (templates/mail/received.txt)

    pending.status = "sent"  # delivered to the corrected address; then another typo is found
    db.session.commit()
    case = reread(case)
    assert client.post(correct_url(case), data=form_of(case, email="tvbinh@example.com")).status_code == 303
    first, second = receipts()  # delivered already: a new receipt to the corrected address
    assert (first.recipients, second.recipients) == ("binh.dung@example.com", "tvbinh@example.com")
    assert second.key.startswith(f"received:{case.code}:v") and case.code in second.body_text
