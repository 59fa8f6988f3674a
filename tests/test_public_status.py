"""Following one's own case on /tra-cuu: code plus contact, the state in plain words, the due date and
how it was computed, the public steps, the answer, the one rating, and supplying missing information."""
from __future__ import annotations

import html
import io
import os
import re
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func, select

from feedback_app.extensions import db
from feedback_app.models import Feedback, Rating, Transition
from feedback_app.services import submissions
from feedback_app.services.cases import Submission, apply_event, find, receive
from tests.test_office import login
from tests.test_public_submit import EXE, PDF, PNG, error_next_to, held_ids

SUBMISSION = Submission(full_name="Trần Thị Bình", address="Thôn Đông, xã Tịnh Ấn Tây, Quảng Ngãi",
                        phone="0905123456", email="binh@example.com", title="Học phí lớp tập huấn sở hữu trí tuệ",
                        content="Đề nghị cho biết học phí lớp tập huấn về sở hữu trí tuệ năm nay là bao nhiêu.",
                        consent_publish=True)


def answered_case(seeded, reply="Lớp tập huấn không thu học phí.", submission=SUBMISSION):
    case = receive(submission)
    apply_event(case, "classify", seeded["office"], {"category": "SHTT"})
    apply_event(case, "forward", seeded["office"], {"unit": "QLCN", "note": "nội bộ: xem hồ sơ cũ"})
    apply_event(case, "submit_draft", seeded["QLCN"], {"reply": reply})
    apply_event(case, "approve", seeded["leader"])
    return case


def look_up(client, code, contact, lang=None):
    url = "/tra-cuu" + (f"?lang={lang}" if lang else "")
    return client.post(url, data={"code": code, "contact": contact})


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_lookup_needs_the_code_and_the_contact_given(client, clock, seeded):
    case = receive(SUBMISSION)
    for contact in ("", "0905000000", "someone@example.com"):
        response = look_up(client, case.code, contact)
        assert response.status_code == 422
        assert case.title not in response.get_data(as_text=True)
    # without a successful lookup the status page is not shown, even with the right code in the URL:
    # a bookmarked link asks for the contact, the code filled in
    bookmarked = client.get(f"/tra-cuu/{case.code}")
    assert bookmarked.status_code == 302 and bookmarked.headers["Location"] == f"/tra-cuu?code={case.code}"
    form = client.get(bookmarked.headers["Location"]).get_data(as_text=True)
    assert f'value="{case.code}"' in form and case.title not in form
    unknown = look_up(client, "PAKN.20240304.9999", "0905123456").get_data(as_text=True)
    assert "Không tìm thấy phản ánh, kiến nghị với mã số và thông tin liên hệ này." in unknown
    assert 'id="form-errors" tabindex="-1" autofocus' in unknown and 'href="#contact"' in unknown  # focus: what to fix


def test_the_lookup_accepts_the_phone_in_any_usual_writing_or_the_email(client, clock, seeded):
    case = receive(SUBMISSION)
    for contact in ("0905 123 456", "+84905123456", "84905123456", "BINH@example.com"):
        other = client.application.test_client()
        response = look_up(other, case.code.lower(), contact)
        assert response.status_code == 303 and response.headers["Location"].endswith(f"/tra-cuu/{case.code}")


def test_a_phone_stored_before_the_stricter_rule_still_finds_its_case(client, clock, seeded):
    case = receive(replace(SUBMISSION, phone="01234567890", email=None))  # an 11-digit mobile of before 2018
    response = look_up(client, case.code, "0123 456 7890")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/tra-cuu/{case.code}")


def test_the_lookup_reads_the_code_written_or_read_out_with_other_separators_and_tells_a_malformed_one(
        client, clock, seeded):
    case = receive(SUBMISSION)
    day, number = case.code.split(".")[1:]
    for typed in (f"PAKN-{day}-{number}", f"pakn {day} {number}", f"PAKN{day}{number}", f"PAKN–{day}–{number}", f"PAKN.{day}.{number[:2]} {number[2:]}"):
        response = look_up(client.application.test_client(), typed, "0905123456")
        assert response.status_code == 303 and response.headers["Location"].endswith(f"/tra-cuu/{case.code}"), typed
    malformed = look_up(client, "abc", "0905123456")
    html = malformed.get_data(as_text=True)
    assert malformed.status_code == 422 and 'href="#code"' in html and 'href="#contact"' not in html
    assert "Mã số có dạng PAKN.năm tháng ngày.số thứ tự" in html


def test_the_status_page_explains_the_due_date_with_the_holidays_skipped(client, clock, seeded):
    clock.set("2024-02-07T10:00:00+07:00")  # the day before Tết 2024 (8-14 February off)
    case = receive(SUBMISSION)
    response = look_up(client, case.code, "binh@example.com")
    page = text_of(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "Mới tiếp nhận" in page
    assert "Văn phòng Sở đã tiếp nhận và đang xem xét, phân loại" in page
    assert "21/02/2024" in page
    assert "5 ngày làm việc kể từ sau ngày 07/02/2024" in page
    assert "NĐ 20/2008/NĐ-CP, Điều 9.1d" in page
    assert re.search(r"08/02/2024: [^ ]", page) and "14/02/2024" in page  # the Tết days that were skipped
    assert "Tiếp nhận" in page
    english = text_of(client.get(f"/tra-cuu/{case.code}?lang=en").get_data(as_text=True))
    assert "12/02/2024: Third Day of Lunar New Year" in english  # the holiday library's own English names


def test_the_status_page_names_the_make_up_saturday_it_counted(client, clock, seeded):
    """Received Fri 25/4/2025: 30/4, 1/5 and 2/5 are off and Saturday 26/4 is worked in exchange, so the
    5th working day is 6/5; without the Saturday named, a citizen counting by hand finds 7/5."""
    clock.set("2025-04-25T10:00:00+07:00")
    case = receive(SUBMISSION)
    response = look_up(client, case.code, "binh@example.com")
    page = text_of(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "06/05/2025" in page and "02/05/2025: Ngày nghỉ (thay cho ngày 26/04/2025)" in page
    assert "Ngày làm bù đã tính 26/04/2025 (thứ Bảy): Ngày làm bù (cho ngày 02/05/2025)" in page
    assert "Thứ Bảy, Chủ nhật làm bù được tính là ngày làm việc." in page
    english = text_of(client.get(f"/tra-cuu/{case.code}?lang=en").get_data(as_text=True))
    assert "Make-up working days counted 26/04/2025 (Saturday): Make-up working day (for 02/05/2025)" in english
    clock.set("2025-05-12T10:00:00+07:00")  # no Saturday worked in the count: no such line
    later = receive(SUBMISSION)
    response = look_up(client, later.code, "binh@example.com")
    assert "Ngày làm bù" not in text_of(client.get(response.headers["Location"]).get_data(as_text=True))


def test_the_status_page_shows_public_steps_and_the_answer_but_no_internal_notes(client, clock, seeded):
    case = answered_case(seeded)
    client.get(look_up(client, case.code, "0905123456").headers["Location"])
    page = text_of(client.get(f"/tra-cuu/{case.code}").get_data(as_text=True))
    assert "Đã trả lời" in page
    assert "Phòng Quản lý Công nghệ và Chuyên ngành" in page
    for step in ("Tiếp nhận", "Phân loại, tiếp nhận", "Chuyển đơn vị xử lý", "Gửi câu trả lời"):
        assert step in page
    assert "Lớp tập huấn không thu học phí." in page
    assert "nội bộ: xem hồ sơ cũ" not in page
    sent = re.search(r'<details id="sent">(.*?)</details>', client.get(f"/tra-cuu/{case.code}").get_data(as_text=True),
                     re.S).group(1)  # what the citizen sent, to read again
    assert SUBMISSION.title in sent and SUBMISSION.content in sent


def test_the_citizen_sees_the_steps_of_their_case_not_the_hand_offs_among_hcth_the_unit_and_the_leader(
        client, clock, seeded):
    """A unit hands the case back to HCTH, HCTH forwards it again, the leader asks for changes to the
    draft: none of it, nor its reasons, is a step of the citizen's (status page, public API)."""
    case = receive(SUBMISSION)
    apply_event(case, "classify", seeded["office"], {"category": "SHTT"})
    apply_event(case, "forward", seeded["office"], {"unit": "QLKH"})
    apply_event(case, "return_to_office", seeded["QLKH"], {"reason": "Không thuộc lĩnh vực của phòng QLKH"})
    apply_event(case, "forward", seeded["office"], {"unit": "QLCN"})
    apply_event(case, "submit_draft", seeded["QLCN"], {"reply": "Bản nháp đầu tiên của câu trả lời."})
    apply_event(case, "request_changes", seeded["leader"], {"note": "Bổ sung căn cứ pháp lý cho câu trả lời"})
    apply_event(case, "submit_draft", seeded["QLCN"], {"reply": "Lớp tập huấn không thu học phí (QĐ 12/QĐ-SKHCN)."})
    apply_event(case, "approve", seeded["leader"])
    look_up(client, case.code, "0905123456")
    html = client.get(f"/tra-cuu/{case.code}").get_data(as_text=True)
    steps = [text_of(li).split(" · ", 1)[1].strip() for li in re.findall(r"<li>(.*?)</li>",
                                                                         html.split('id="steps"')[1].split("</ol>")[0])]
    assert steps == ["Tiếp nhận", "Phân loại, tiếp nhận", "Chuyển đơn vị xử lý", "Chuyển đơn vị xử lý",
                     "Gửi câu trả lời"]
    assert "Duyệt" not in text_of(html.split('id="steps"')[1].split("</ol>")[0])
    page = text_of(html)
    for internal in ("Trả lại Văn phòng", "Yêu cầu chỉnh sửa", "Trình dự thảo", "Không thuộc lĩnh vực",
                     "Bổ sung căn cứ pháp lý", "Bản nháp đầu tiên"):
        assert internal not in page
    history = client.get(f"/api/v1/feedback/{case.code}/history").get_json()["history"]
    assert [row["event"] for row in history] == ["receive", "classify", "forward", "forward", "approve"]
    # staff still read the whole trail
    assert db.session.execute(select(func.count()).select_from(Transition).where(
        Transition.feedback_id == case.id)).scalar_one() == 9


def test_the_citizen_rates_the_answer_once(client, clock, seeded):
    case = answered_case(seeded)
    look_up(client, case.code, "0905123456")
    assert 'id="rating-form"' in client.get(f"/tra-cuu/{case.code}").get_data(as_text=True)
    response = client.post(f"/tra-cuu/{case.code}/danh-gia", data={"rating-score": "3", "rating-comment": "Rõ ràng"},
                           follow_redirects=True)
    assert "Cảm ơn Ông/Bà đã đánh giá câu trả lời." in response.get_data(as_text=True)
    twice = client.post(f"/tra-cuu/{case.code}/danh-gia", data={"rating-score": "3", "rating-comment": "Rõ ràng"},
                        follow_redirects=True)  # a double click: recorded, not an error
    assert "Cảm ơn Ông/Bà" in twice.get_data(as_text=True) and "đã được đánh giá" not in twice.get_data(as_text=True)
    again = client.post(f"/tra-cuu/{case.code}/danh-gia", data={"rating-score": "1"}, follow_redirects=True)
    assert "Phản ánh, kiến nghị này đã được đánh giá." in again.get_data(as_text=True)
    rating = db.session.execute(select(Rating)).scalar_one()
    assert (rating.feedback_id, rating.score, rating.comment) == (case.id, 3, "Rõ ràng")
    page = client.get(f"/tra-cuu/{case.code}").get_data(as_text=True)
    assert 'id="rating-form"' not in page and "Rất hài lòng" in page


def test_staff_read_the_citizens_rating_and_comment_on_the_case_page_and_in_the_api(app, client, clock, seeded):
    from deadline_helpers import sign_in
    from feedback_app.services.serialize import staff_case
    case = answered_case(seeded)
    look_up(client, case.code, "0905123456")
    client.post(f"/tra-cuu/{case.code}/danh-gia", data={"rating-score": "1", "rating-comment": "Chưa trả lời <b>phí</b>"})
    for user, url in ((seeded["office"], f"/van-phong/ho-so/{case.code}"), (seeded["QLCN"], f"/don-vi/ho-so/{case.code}")):
        staff = app.test_client()
        sign_in(staff, user)
        page = staff.get(url).get_data(as_text=True)
        card = page[page.index('id="rating"'):]
        assert re.search(r'id="rating-score">Không hài lòng</span>', card), url
        assert re.search(r'id="rating-comment">Chưa trả lời &lt;b&gt;phí&lt;/b&gt;</div>', card), url
    rated = staff_case(db.session.get(Feedback, case.id))["rating"]
    assert (rated["score"], rated["comment"]) == (1, "Chưa trả lời <b>phí</b>") and rated["at"].startswith("2024-")


def test_a_case_not_yet_answered_cannot_be_rated(client, clock, seeded):
    case = receive(SUBMISSION)
    look_up(client, case.code, "0905123456")
    assert 'id="rating-form"' not in client.get(f"/tra-cuu/{case.code}").get_data(as_text=True)
    client.post(f"/tra-cuu/{case.code}/danh-gia", data={"rating-score": "3"})
    assert db.session.execute(select(func.count()).select_from(Rating)).scalar_one() == 0


def test_the_citizen_supplies_missing_information_and_the_clock_resumes(client, clock, seeded):
    case = receive(SUBMISSION)
    apply_event(case, "request_info", seeded["office"], {"missing": "Số, ngày của văn bản liên quan"})
    look_up(client, case.code, "binh@example.com")
    page = client.get(f"/tra-cuu/{case.code}").get_data(as_text=True)
    assert "Chờ bổ sung thông tin" in page and "Số, ngày của văn bản liên quan" in page
    assert "có thể không được tiếp nhận" in re.search(r'<p class="hint" id="info-warning">(.*?)</p>', page).group(1)
    clock.advance(days=1)
    client.post(f"/tra-cuu/{case.code}/bo-sung", data={"info-note": "Công văn số 12/SKHCN ngày 01/02/2024"})
    twice = client.post(f"/tra-cuu/{case.code}/bo-sung", data={"info-note": "Công văn số 12/SKHCN ngày 01/02/2024"},
                        follow_redirects=True).get_data(as_text=True)  # a double click: recorded, not an error
    assert "Đã gửi thông tin bổ sung" in twice and "không còn ở trạng thái chờ" not in twice
    db.session.expire_all()
    case = db.session.get(Feedback, case.id)
    assert case.state == "received" and case.due_step == "classify"
    last = db.session.execute(select(Transition).where(Transition.feedback_id == case.id)
                              .order_by(Transition.id.desc())).scalars().first()
    assert (last.event, last.actor_label, last.note) == ("provide_info", "Người gửi",
                                                         "Công văn số 12/SKHCN ngày 01/02/2024")


def test_information_sent_from_a_page_whose_session_ended_comes_back_to_be_sent_again(app, client, clock, seeded):
    """The browser closed (the session cookie gone) while the citizen typed: the lookup comes back with the code
    filled in and what was typed said back, not a page that loses it."""
    case = receive(SUBMISSION)
    apply_event(case, "request_info", seeded["office"], {"missing": "Số, ngày của văn bản liên quan"})
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post(f"/tra-cuu/{case.code}/bo-sung", data={"info-note": "Công văn số 12/SKHCN"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "thông tin bổ sung chưa được gửi" in page
    assert "«Công văn số 12/SKHCN»" in page and f'value="{case.code}"' in page
    assert db.session.get(Feedback, case.id).state == "awaiting_info"


def test_the_status_page_is_in_english_when_chosen(client, clock, seeded):
    case = receive(SUBMISSION)
    look_up(client, case.code, "0905123456")
    page = text_of(client.get(f"/tra-cuu/{case.code}?lang=en").get_data(as_text=True))
    assert "Newly received" in page and "5 working days after" in page
    assert "Published answers" in page and "Follow a case" in page  # the navigation too
    assert "Decree 20/2008/NĐ-CP, Art 9.1d: classify and forward within 5 working days of receipt" in page


def test_a_count_of_one_working_day_reads_in_the_singular_in_english(app, client, clock, seeded):
    app.config["PAKN_DEADLINES"] = {"classify_days": 1}
    case = receive(SUBMISSION)
    look_up(client, case.code, "0905123456")
    page = client.get(f"/tra-cuu/{case.code}?lang=en").get_data(as_text=True)
    how = text_of(re.search(r'<dd id="due-how">(.*?)</dd>', page, re.S).group(1))
    assert how.startswith("1 working day after 04/03/2024,"), how


def test_guessing_contacts_is_rate_limited_per_address(app_with, clock):
    client = app_with(RATELIMIT_ENABLED=True, LOOKUP_RATE_LIMIT="3 per hour").test_client()
    case = receive(SUBMISSION)
    for guess in ("0905000001", "0905000002", "0905000003"):
        assert look_up(client, case.code, guess).status_code == 422
    assert look_up(client, case.code, "0905123456").status_code == 429


def test_guessing_contacts_from_many_addresses_of_one_ipv6_network_shares_one_budget(app_with, clock):
    app = app_with(RATELIMIT_ENABLED=True, LOOKUP_RATE_LIMIT="3 per hour")
    case = receive(SUBMISSION)
    for host, guess in ((1, "0905000001"), (2, "0905000002"), (3, "0905000003")):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"2001:db8:1:1::{host}"
        assert look_up(client, case.code, guess).status_code == 422
    client.environ_base["REMOTE_ADDR"] = "2001:db8:1:1:abcd::4"
    assert look_up(client, case.code, "0905123456").status_code == 429
    client.environ_base["REMOTE_ADDR"] = "2001:db8:1:2::1"  # another network
    assert look_up(client, case.code, "0905123456").status_code == 303


def field_block(page: str, field_id: str) -> str:
    """The ``<div class="field ...">`` (or fieldset) that holds the input ``field_id``."""
    match = re.search(r'<(div|fieldset) class="[^"]*field[^"]*"[^>]*>(?:(?!</\1>).)*?id="' + re.escape(field_id)
                      + r'"(?:(?!</\1>).)*</\1>', page, re.S)
    assert match, field_id
    return match.group(0)


def test_a_rating_without_a_score_is_refused_next_to_the_choices_in_vietnamese(client, clock, seeded):
    case = answered_case(seeded)
    look_up(client, case.code, "0905123456")
    form = client.get(f"/tra-cuu/{case.code}").get_data(as_text=True)
    assert re.search(r'<form [^>]*id="rating-form"[^>]*novalidate', form)  # no English browser bubble
    response = client.post(f"/tra-cuu/{case.code}/danh-gia", data={"rating-comment": "Chưa rõ phần phí"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    scores = field_block(page, "rating-score-0")
    assert 'aria-describedby="rating-score-error"' in scores and 'aria-invalid="true"' in scores
    assert re.search(r'id="rating-score-error">\s*<li>Vui lòng chọn một mức đánh giá.</li>', scores)
    assert "Chưa rõ phần phí</textarea>" in page  # what was typed stays
    assert db.session.execute(select(func.count()).select_from(Rating)).scalar_one() == 0
    # a comment too long is said at the comment, not as "choose a score"
    response = client.post(f"/tra-cuu/{case.code}/danh-gia", data={"rating-score": "3", "rating-comment": "x" * 2001})
    comment = field_block(response.get_data(as_text=True), "rating-comment")
    assert response.status_code == 422 and "Không được dài quá 2.000 ký tự." in comment
    assert 'aria-describedby="rating-comment-error"' in comment
    assert db.session.execute(select(func.count()).select_from(Rating)).scalar_one() == 0


def test_empty_supplementary_information_is_refused_next_to_the_field_in_vietnamese(client, clock, seeded):
    case = receive(SUBMISSION)
    apply_event(case, "request_info", seeded["office"], {"missing": "Số, ngày của văn bản liên quan"})
    look_up(client, case.code, "binh@example.com")
    form = client.get(f"/tra-cuu/{case.code}").get_data(as_text=True)
    assert re.search(r'<form [^>]*id="info-form"[^>]*novalidate|<form [^>]*novalidate[^>]*id="info-form"', form)
    response = client.post(f"/tra-cuu/{case.code}/bo-sung", data={"info-note": "   "})
    assert response.status_code == 422
    note = field_block(response.get_data(as_text=True), "info-note")
    assert 'aria-describedby="info-note-error"' in note and 'aria-invalid="true"' in note
    assert re.search(r'id="info-note-error">\s*<li>Vui lòng nhập thông tin bổ sung.</li>', note)
    page = response.get_data(as_text=True)  # told at once, as the portal's other forms tell it
    assert re.search(r"<title>Lỗi: ", page) and 'id="form-errors" tabindex="-1" autofocus' in page
    assert 'href="#info-note"' in page
    response = client.post(f"/tra-cuu/{case.code}/bo-sung", data={"info-note": " x "})  # says nothing
    assert response.status_code == 422
    assert "cần từ 10 đến 5.000 ký tự" in field_block(response.get_data(as_text=True), "info-note")
    db.session.expire_all()
    assert db.session.get(Feedback, case.id).state == "awaiting_info"


def test_a_score_not_offered_is_refused_in_the_pages_language(client, clock, seeded):
    case = answered_case(seeded)
    look_up(client, case.code, "0905123456")
    response = client.post(f"/tra-cuu/{case.code}/danh-gia", data={"rating-score": "9"})
    scores = field_block(response.get_data(as_text=True), "rating-score-0")
    assert response.status_code == 422 and "Lựa chọn không hợp lệ" in scores and "Not a valid" not in scores
    client.get(f"/tra-cuu/{case.code}?lang=en")
    response = client.post(f"/tra-cuu/{case.code}/danh-gia", data={"rating-score": "9"})
    assert response.status_code == 422 and "Not a valid choice." in field_block(response.get_data(as_text=True),
                                                                                  "rating-score-0")
    assert db.session.execute(select(func.count()).select_from(Rating)).scalar_one() == 0


# --- the files the citizen sends with the supplementary information -------------------------------

def waiting_case(seeded, submission=SUBMISSION, files=()):
    case = submissions.submit(submission, files)
    apply_event(case, "request_info", seeded["office"], {"missing": "Bản chụp giấy tờ liên quan"})
    return case


def supply(client, case, note="Gửi kèm bản chụp Công văn số 12/SKHCN ngày 01/02/2024", files=(), **more):
    data = {"info-note": note, **more}
    if files:
        data["info-attachments"] = [(io.BytesIO(content), name) for name, content in files]
    return client.post(f"/tra-cuu/{case.code}/bo-sung", data=data, content_type="multipart/form-data")


def info_held_token(html: str) -> str:
    return re.search(r'name="info-held_token" type="hidden" value="([^"]*)"', html).group(1)


def attachment_rows(case) -> list[tuple[str, str]]:
    db.session.expire_all()
    return [(a.kind, a.original_name) for a in db.session.get(Feedback, case.id).attachments]


def test_a_pdf_sent_with_the_supplementary_information_is_the_cases_supplied_file_on_the_staff_pages(
        app, client, clock, seeded):
    case = waiting_case(seeded, files=[submissions.CheckedFile("don.pdf", "pdf", "application/pdf", PDF)])
    look_up(client, case.code, "binh@example.com")
    page = client.get(f"/tra-cuu/{case.code}").get_data(as_text=True)
    form = re.search(r'<form [^>]*id="info-form".*?</form>', page, re.S).group(0)
    assert 'enctype="multipart/form-data"' in form and 'name="info-attachments"' in form
    assert "Tối đa 5 tệp, mỗi tệp không quá" in text_of(form)  # the submission form's rule
    clock.set("2024-03-05T10:00:00+07:00")
    response = supply(client, case, files=[("cong-van-12.pdf", PDF)])
    assert response.status_code == 303
    assert attachment_rows(case) == [("submission", "don.pdf"), ("supplement", "cong-van-12.pdf")]
    case = db.session.get(Feedback, case.id)
    assert case.state == "received" and case.due_step == "classify"  # the clock resumes, as without files
    supplied = case.attachments[-1]
    with open(os.path.join(app.config["UPLOAD_DIR"], supplied.stored_name), "rb") as f:
        assert f.read() == PDF
    last = case.transitions[-1]
    assert (last.event, last.actor_label) == ("provide_info", "Người gửi")
    sent = text_of(re.search(r'<details id="sent">(.*?)</details>',
                             client.get(f"/tra-cuu/{case.code}").get_data(as_text=True), re.S).group(1))
    assert f"Thông tin bổ sung ngày 05/03/2024 10:00 {last.note}" in sent  # what the citizen sent, to read again
    assert "Tệp đã gửi kèm: don.pdf" in sent and "Tệp đã gửi bổ sung: cong-van-12.pdf (05/03/2024)" in sent
    # HCTH's case page tells the supplied file from the one sent with the PAKN, dated
    office = app.test_client()
    login(office, seeded["office"])
    html = office.get(f"/van-phong/ho-so/{case.code}").get_data(as_text=True)
    listed = text_of(re.search(r'<ul aria-labelledby="h-supplied" id="supplied-files">.*?</ul>', html, re.S).group(0))
    assert "Tệp người gửi bổ sung" in html and "cong-van-12.pdf" in listed and "bổ sung ngày 05/03/2024" in listed
    assert "don.pdf" not in listed
    download = office.get(f"/van-phong/tep/{supplied.id}")
    assert download.status_code == 200 and download.data == PDF
    # and the unit's, once the case is forwarded to it
    apply_event(case, "classify", seeded["office"], {"category": "SHTT"})
    apply_event(case, "forward", seeded["office"], {"unit": "QLCN"})
    unit = app.test_client()
    login(unit, seeded["QLCN"])
    html = unit.get(f"/don-vi/ho-so/{case.code}").get_data(as_text=True)
    assert 'id="supplied-files"' in html and "cong-van-12.pdf" in html and "bổ sung ngày 05/03/2024" in html


@pytest.mark.parametrize("bad", [("hoa-don.pdf", EXE), ("lon.pdf", PDF + b"0" * 2000)])
def test_a_refused_file_comes_back_with_the_text_typed_and_the_good_file_held_then_attached(
        app, client, clock, seeded, bad):
    app.config["MAX_ATTACHMENT_BYTES"] = 1024
    case = waiting_case(seeded)
    look_up(client, case.code, "0905123456")
    note = "Bản chụp giấy chứng nhận đăng ký gửi kèm theo"
    refused = supply(client, case, note, files=[bad, ("scan.png", PNG)])
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    reason = "không đúng định dạng cho phép" if bad[1] is EXE else "vượt quá dung lượng cho phép"
    assert f"{bad[0]} {reason}" in error_next_to(html, "info-attachments")
    assert f"{note}</textarea>" in html and set(held_ids(html)) == {"scan.png"}
    assert attachment_rows(case) == [] and db.session.get(Feedback, case.id).state == "awaiting_info"
    # sent again without choosing the good file again
    token = info_held_token(html)
    assert supply(client, case, note, **{"info-held_token": token}).status_code == 303
    assert attachment_rows(case) == [("supplement", "scan.png")]
    assert db.session.get(Feedback, case.id).state == "received"
    assert not os.path.exists(os.path.join(app.config["UPLOAD_DIR"], "held", token))  # released


def test_a_note_too_short_keeps_the_file_chosen(client, clock, seeded):
    case = waiting_case(seeded)
    look_up(client, case.code, "0905123456")
    html = supply(client, case, "xem tệp", files=[("cong-van.pdf", PDF)]).get_data(as_text=True)
    assert "Thông tin bổ sung cần từ 10 đến 5.000 ký tự" in error_next_to(html, "info-note")
    assert set(held_ids(html)) == {"cong-van.pdf"} and attachment_rows(case) == []
    assert supply(client, case, **{"info-held_token": info_held_token(html)}).status_code == 303
    assert attachment_rows(case) == [("supplement", "cong-van.pdf")]


def test_each_answer_may_carry_as_many_files_as_a_submission_whatever_the_case_has(app, client, clock, seeded):
    app.config["MAX_ATTACHMENTS"] = 2
    pdf = submissions.CheckedFile("don.pdf", "pdf", "application/pdf", PDF)
    case = waiting_case(seeded, files=[pdf, replace(pdf, original_name="don-2.pdf")])
    look_up(client, case.code, "0905123456")
    too_many = supply(client, case, files=[("a.pdf", PDF), ("b.pdf", PDF), ("c.pdf", PDF)]).get_data(as_text=True)
    assert "Chỉ được gửi tối đa 2 tệp đính kèm." in error_next_to(too_many, "info-attachments")
    assert set(held_ids(too_many)) == {"a.pdf", "b.pdf"}
    token = info_held_token(too_many)
    # the held ones count: one more is still too many
    again = supply(client, case, files=[("c.pdf", PDF)], **{"info-held_token": token}).get_data(as_text=True)
    assert "Chỉ được gửi tối đa 2 tệp đính kèm." in error_next_to(again, "info-attachments")
    assert supply(client, case, **{"info-held_token": token}).status_code == 303
    assert attachment_rows(case) == [("submission", "don.pdf"), ("submission", "don-2.pdf"),
                                     ("supplement", "a.pdf"), ("supplement", "b.pdf")]


def test_files_for_a_case_no_longer_waiting_are_not_stored(app, client, clock, seeded):
    case = waiting_case(seeded)
    look_up(client, case.code, "0905123456")
    # HCTH took the answer by phone meanwhile
    apply_event(case, "provide_info", seeded["office"], {"note": "Người gửi báo qua điện thoại"})
    response = supply(client, case, files=[("cong-van.pdf", PDF)])
    page = html.unescape(response.get_data(as_text=True))
    # said back with what was typed and the ways to reach the department, not dropped unseen
    assert response.status_code == 409 and "không còn ở trạng thái chờ bổ sung thông tin" in page
    assert "«Gửi kèm bản chụp Công văn số 12/SKHCN ngày 01/02/2024»" in page and "Các tệp Ông/Bà đã chọn chưa được lưu" in page
    assert app.config["AGENCY_PHONE"] in page and 'id="info-form"' not in page
    assert attachment_rows(case) == []
    assert [p for p in Path(app.config["UPLOAD_DIR"]).rglob("*") if p.is_file()] == []  # nor held
    empty = supply(client, case, note="")  # sent empty: the form that would say so is gone from the page
    assert empty.status_code == 409 and "không còn ở trạng thái chờ bổ sung thông tin" in empty.get_data(as_text=True)


def test_a_refused_case_says_why_on_the_status_page_not_that_the_sender_was_told(client, clock, seeded):
    """A sender who gave only a phone may look the case up before HCTH calls them with the reason."""
    case = receive(replace(SUBMISSION, email=None))
    note = "Khiếu nại quyết định hành chính: gửi Thanh tra Sở, 12 Hùng Vương."
    apply_event(case, "refuse", seeded["office"], {"reason": "complaint_or_denunciation", "note": note})
    look_up(client, case.code, "0905123456")
    page = client.get(f"/tra-cuu/{case.code}").get_data(as_text=True)
    assert re.search(r'<dd id="refusal-note"[^>]*>(.*?)</dd>', page).group(1) == note  # where to go instead
    explained = re.search(r'<p id="state-explained">(.*?)</p>', page).group(1)
    assert explained == "Phản ánh, kiến nghị không được tiếp nhận, vì lý do nêu dưới đây."
    assert "khiếu nại" in re.search(r'<dd id="refusal">(.*?)</dd>', page, re.S).group(1).lower()


def test_an_answer_to_a_sender_without_email_is_not_said_to_have_been_sent_to_them(client, clock, seeded):
    """HCTH tells it by phone or post (citizen_notices), which the sender may look the case up before."""
    case = answered_case(seeded, submission=replace(SUBMISSION, email=None))
    look_up(client, case.code, "0905123456")
    explained = re.search(r'<p id="state-explained">(.*?)</p>', client.get(f"/tra-cuu/{case.code}").get_data(
        as_text=True)).group(1)
    assert "đã được gửi đến Ông/Bà" not in explained and "qua điện thoại hoặc gửi văn bản trả lời qua bưu chính" in explained


def test_an_answer_whose_mail_the_server_refused_is_not_said_to_have_been_sent(app, client, clock, seeded, smtp):
    from feedback_app.services import outbox
    smtp.refuse("binh@example.com", 550)
    case = answered_case(seeded)
    outbox.flush()  # the answer's mail refused for good: HCTH owes the notice by phone or post
    look_up(client, case.code, "0905123456")
    explained = re.search(r'<p id="state-explained">(.*?)</p>', client.get(f"/tra-cuu/{case.code}").get_data(
        as_text=True)).group(1)
    assert "đã được gửi đến Ông/Bà" not in explained and "qua điện thoại" in explained


def test_supplementary_information_of_emoji_or_punctuation_alone_is_refused(client, clock, seeded):
    case = waiting_case(seeded)
    look_up(client, case.code, "0905123456")
    for nonsense in ("😀" * 30, "..... ,,,,, !!!!!", "ok 😀😀😀😀😀😀😀😀"):
        html = supply(client, case, nonsense).get_data(as_text=True)
        assert "cần có chữ hoặc số" in error_next_to(html, "info-note"), nonsense
    assert find(case.code).state == "awaiting_info"
    assert supply(client, case, "SĐT: 0905123456").status_code == 303  # a number is an answer
    assert find(case.code).state == "received"


def test_done_on_a_shared_computer_the_next_person_cannot_open_the_case(client, clock, seeded):
    """The status page and the receipt offer to end there: the codes the browser looked up or sent are
    no longer its (the session kept them, so the next person at a reception desk could open them)."""
    from test_public_submit import VALID, post
    post(client, submission_key="khach-1", **{k: v for k, v in VALID.items() if k != "submission_key"})
    sent = db.session.execute(select(Feedback)).scalars().one()
    other = receive(SUBMISSION)
    look_up(client, other.code, "0905123456")
    assert 'id="forget-form"' in client.get("/gui-phan-anh/da-gui").get_data(as_text=True)
    page = client.get(f"/tra-cuu/{other.code}").get_data(as_text=True)
    assert 'action="/tra-cuu/ket-thuc"' in page and 'class="no-print" id="forget-form"' in page
    done = client.post("/tra-cuu/ket-thuc", follow_redirects=True)
    assert "Đã xóa khỏi trình duyệt này" in done.get_data(as_text=True)
    for code in (sent.code, other.code):  # asked for the contact again, as any other browser
        assert client.get(f"/tra-cuu/{code}").status_code == 302
    assert client.get("/gui-phan-anh/da-gui").headers["Location"].endswith("/gui-phan-anh")
