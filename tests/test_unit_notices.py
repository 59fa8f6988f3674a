"""The unit that must act is told by mail: a case HCTH forwarded to it, a draft the leader sent back with
changes to make, an answer HCTH returned before publication (QĐ 31/2021/QĐ-TTg Art 46). One mail per
active user of the unit (and its own mailbox), through the outbox, delivered to the loopback SMTP
server; the unit's queue marks a draft sent back and its page shows the leader's note."""
from __future__ import annotations

import html
from datetime import date

from sqlalchemy import select

from feedback_app.extensions import db
from feedback_app.models import OutboxMail, Unit, User
from feedback_app.services import outbox
from feedback_app.services.cases import apply_event

from deadline_helpers import forwarded_case, sign_in
from test_public_status import text_of
from test_return_answer import FIRST, REASON, act, page_of, stored, under_review

NOTE = "Ghi rõ căn cứ pháp lý (số, ngày của quyết định) và bỏ số điện thoại riêng của chuyên viên."


def unit_user(email: str, unit: str, active: bool = True) -> User:
    user = User(email=email, full_name=email.split("@")[0], role="unit", active=active,
                unit=db.session.execute(select(Unit).where(Unit.code == unit)).scalar_one())
    user.set_password("secret-pass")
    db.session.add(user)
    db.session.commit()
    return user


def mails(kind: str) -> list[OutboxMail]:
    return db.session.execute(select(OutboxMail).where(OutboxMail.kind == kind).order_by(OutboxMail.id)).scalars().all()


def body(message) -> str:
    return message.get_body(("plain",)).get_content()


def test_a_forwarded_case_mails_each_active_user_of_the_unit_and_no_one_else(app, clock, seeded, smtp):
    unit_user("khoa2@skhcn.example.gov.vn", "QLKH")
    unit_user("nghihuu@skhcn.example.gov.vn", "QLKH", active=False)
    unit_user("cn2@skhcn.example.gov.vn", "QLCN")
    db.session.execute(select(Unit).where(Unit.code == "QLKH")).scalar_one().email = "phong.qlkh@skhcn.example.gov.vn"
    db.session.commit()
    app.config["PUBLIC_BASE_URL"] = "https://pakn.skhcn.example.gov.vn"

    case = forwarded_case(seeded)  # forwarded on Mon 4 Mar 2024: the answer is due Mon 25 Mar 2024
    rows = mails("unit_forward")
    assert sorted(r.recipients for r in rows) == ["khoa2@skhcn.example.gov.vn", "phong.qlkh@skhcn.example.gov.vn",
                                                  "qlkh@skhcn.example.gov.vn"]  # not the inactive one, not QLCN
    assert all(r.feedback_id == case.id for r in rows)

    assert outbox.flush().failed == 0
    delivered = [m for m in smtp.inbox.wait_for(4) if "đơn vị xử lý" in m["Subject"]]
    assert sorted(m["X-Envelope-To"] for m in delivered) == sorted(r.recipients for r in rows)
    message = delivered[0]
    assert message["Subject"] == f"Phản ánh, kiến nghị {case.code} được chuyển đến đơn vị xử lý (hạn 25/03/2024)"
    text = body(message)
    assert text.startswith("Kính gửi Phòng Quản lý Khoa học,")
    assert case.code in text and case.title in text and "Hạn: 25/03/2024" in text
    assert "trình dự thảo câu trả lời" in text and "trả lại Văn phòng" in text
    assert f"Mở hồ sơ: https://pakn.skhcn.example.gov.vn/don-vi/ho-so/{case.code}" in text
    assert not smtp.inbox.to("nghihuu@skhcn.example.gov.vn") and not smtp.inbox.to("cn2@skhcn.example.gov.vn")


def test_a_case_forwarded_again_after_a_return_mails_the_unit_again(app, clock, seeded):
    case = forwarded_case(seeded)
    apply_event(case, "return_to_office", seeded["QLKH"], {"reason": "Không thuộc lĩnh vực của phòng"})
    apply_event(case, "forward", seeded["office"], {"unit": "QLCN", "note": "Phòng QLCN xử lý theo chức năng"})
    assert [(r.recipients, r.key.split(":")[2]) for r in mails("unit_forward")] == [
        ("qlkh@skhcn.example.gov.vn", "1"), ("qlcn@skhcn.example.gov.vn", "2")]
    assert "Phòng QLCN xử lý theo chức năng" in mails("unit_forward")[1].body_text


def test_the_leader_asks_for_changes_the_unit_is_mailed_its_queue_marks_the_case_and_its_page_shows_the_note(
        app, client, clock, seeded, smtp):
    app.config["WTF_CSRF_ENABLED"] = True
    case = under_review(seeded)
    clock.set("2024-03-05T10:00:00+07:00")
    sign_in(client, seeded["leader"])
    assert act(client, "van-phong", case, "request_changes", note=NOTE).status_code == 302
    assert stored(case).state == "forwarded"

    (row,) = mails("unit_request_changes")
    assert row.recipients == "qlkh@skhcn.example.gov.vn"
    assert outbox.flush().failed == 0
    (message,) = [m for m in smtp.inbox.wait_for(3) if m["X-Envelope-To"] == "qlkh@skhcn.example.gov.vn"
                  and "chỉnh sửa" in m["Subject"]]
    assert message["Subject"] == f"Lãnh đạo Sở yêu cầu chỉnh sửa dự thảo trả lời {case.code} (hạn 25/03/2024)"
    text = body(message)
    assert NOTE in text and case.title in text and "Hạn: 25/03/2024" in text and "trình lại" in text
    assert f"/don-vi/ho-so/{case.code}" in text

    sign_in(client, seeded["QLKH"])
    workspace = text_of(page_of(client, "/don-vi/"))
    assert case.code in workspace and "Lãnh đạo yêu cầu chỉnh sửa" in workspace
    page = page_of(client, f"/don-vi/ho-so/{case.code}")
    assert 'id="changes-requested"' in page and html.escape(NOTE) in page
    assert "Lãnh đạo yêu cầu chỉnh sửa" in text_of(page) and seeded["leader"].full_name in text_of(page)

    # HCTH's in-progress queue marks it too; once the unit sends the draft again the mark is gone
    sign_in(client, seeded["office"])
    assert "Lãnh đạo yêu cầu chỉnh sửa" in text_of(page_of(client, "/van-phong/?tab=in_progress"))
    sign_in(client, seeded["QLKH"])
    assert act(client, "don-vi", case, "submit_draft", reply=FIRST + " Căn cứ Quyết định 12/QĐ-UBND.").status_code == 302
    assert "Lãnh đạo yêu cầu chỉnh sửa" not in text_of(page_of(client, "/don-vi/"))
    assert 'id="changes-requested"' not in page_of(client, f"/don-vi/ho-so/{case.code}")


def test_changes_asked_by_hcth_are_marked_as_hcths(app, client, clock, seeded):
    case = under_review(seeded)
    apply_event(case, "request_changes", seeded["office"], {"note": NOTE})
    (row,) = mails("unit_request_changes")
    assert row.subject.startswith("Phòng Hành chính - Tổng hợp yêu cầu chỉnh sửa")
    sign_in(client, seeded["QLKH"])
    workspace = text_of(page_of(client, "/don-vi/"))
    assert "HCTH yêu cầu chỉnh sửa" in workspace and "Lãnh đạo yêu cầu chỉnh sửa" not in workspace
    assert "The office asked for changes" in text_of(page_of(client, f"/don-vi/ho-so/{case.code}?lang=en"))


def test_an_answer_hcth_returns_is_mailed_to_the_unit_with_the_reason_and_the_revision_date(app, clock, seeded, smtp):
    case = under_review(seeded)
    clock.set("2024-03-05T10:00:00+07:00")
    apply_event(case, "approve", seeded["leader"])
    clock.set("2024-03-06T09:30:00+07:00")
    apply_event(case, "return_answer", seeded["office"], {"reason": REASON})
    assert stored(case).due_date == date(2024, 3, 13)

    (row,) = mails("unit_return_answer")
    assert row.recipients == "qlkh@skhcn.example.gov.vn"
    assert outbox.flush().failed == 0
    (message,) = [m for m in smtp.inbox.wait_for(4) if m["X-Envelope-To"] == "qlkh@skhcn.example.gov.vn"
                  and "hoàn thiện" in m["Subject"]]
    assert message["Subject"] == (f"Văn phòng trả lại câu trả lời {case.code} để hoàn thiện trước khi công khai "
                                  "(hạn 13/03/2024)")
    text = body(message)
    assert REASON in text and "Hạn: 13/03/2024" in text and "Hoàn thiện câu trả lời" in text
    assert "QĐ 31/2021/QĐ-TTg, Điều 46" in text and f"/don-vi/ho-so/{case.code}" in text
    assert not [m for m in smtp.inbox.messages if "an@example.com" in m["X-Envelope-To"] and REASON in body(m)]


def test_a_mails_link_is_built_on_the_public_address_not_on_the_requests_host(app):
    app.config["PUBLIC_BASE_URL"] = "https://dichvu.example.gov.vn/pakn/"
    with app.test_request_context(base_url="http://10.0.0.7:8000"):
        assert outbox.link("unit.case", code="PAKN.20240304.0001") == \
            "https://dichvu.example.gov.vn/pakn/don-vi/ho-so/PAKN.20240304.0001"
