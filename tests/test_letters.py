"""Apology letters as documents: the PDF (WeasyPrint, DejaVu), the masked public copy, the case JSON."""
from __future__ import annotations

from datetime import date
from io import BytesIO

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from feedback_app.extensions import db
from feedback_app.letters import render_letter_pdf
from feedback_app.models import ApologyLetter, OutboxMail
from feedback_app.services.letters import LetterError, set_reason
from feedback_app.services.sweep import sweep
from workflows.clock import parse_instant

from deadline_helpers import forwarded_case, sign_in


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF")
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages)


@pytest.fixture
def letter(app, clock, seeded):
    forwarded_case(seeded)
    sweep(parse_instant("2024-03-26T00:01:00+07:00"))
    clock.set("2024-03-26T00:05:00+07:00")
    return db.session.execute(select(ApologyLetter)).scalar_one()


@pytest.fixture
def public_letter(letter, clock):
    """The letter once its grace period is over (its mail leaves at 11:30, services.letters.is_public)."""
    clock.set("2024-03-26T12:00:00+07:00")
    return letter


def test_the_letter_pdf_carries_the_code_the_new_date_and_intact_vietnamese(app, letter):
    text = pdf_text(render_letter_pdf(letter))
    for words in (letter.feedback.code, "01/04/2024", "25/03/2024", "001/PXL", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                  "Độc lập - Tự do - Hạnh phúc", "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ", "Nguyễn Văn An",
                  "Kính gửi", "GIÁM ĐỐC", "ngày 26 tháng 3 năm 2024", "đã gây phiền hà"):
        assert words in text, words
    # the letterhead breaks before the province, never inside the name; the reason is not said twice
    assert "SỞ KHOA HỌC VÀ CÔNG NGHỆ\nTỈNH QUẢNG NGÃI" in text
    assert "Lý do: Nội dung phản ánh" in " ".join(text.split()) and "nên chưa trả lời được đúng hạn" not in text


def test_the_letter_pdf_is_tagged_for_screen_readers(app, letter):
    """Headings, paragraphs and their reading order in the PDF's structure tree (WCAG 1.3.1, PDF/UA)."""
    root = PdfReader(BytesIO(render_letter_pdf(letter))).trailer["/Root"]
    assert root["/MarkInfo"]["/Marked"] is True or root["/MarkInfo"]["/Marked"] == True  # noqa: E712
    tags = set()

    def walk(node):
        node = node.get_object()
        if "/S" in node:
            tags.add(str(node["/S"]))
        kids = node.get("/K")
        for kid in (kids if isinstance(kids, list) else [kids] if kids is not None else []):
            if hasattr(kid, "get_object") and isinstance(kid.get_object(), dict):
                walk(kid)
    walk(root["/StructTreeRoot"])
    assert {"/P"} <= tags and tags & {"/H1", "/H2", "/H3", "/H"}, tags


def test_the_public_copy_masks_the_citizen_and_is_reached_by_code_and_letter(app, client, public_letter):
    letter = public_letter
    code = letter.feedback.code
    response = client.get(f"/tra-cuu/{code}/phieu-xin-loi/{letter.id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    assert code in text and "01/04/2024" in text and "[đã ẩn]" in text
    for personal in ("Nguyễn Văn An", "0905123456", "an@example.com", "Lê Lợi"):
        assert personal not in text
    assert client.get(f"/tra-cuu/PAKN.20240101.0001/phieu-xin-loi/{letter.id}.pdf").status_code == 404
    assert client.get(f"/tra-cuu/{code}/phieu-xin-loi/99999.pdf").status_code == 404


def test_the_sender_who_looked_the_case_up_reads_the_letter_addressed_to_them(app, client, public_letter):
    """A sender without an e-mail address gets the letter no other way than from the status page."""
    from test_public_status import look_up
    letter = public_letter
    code = letter.feedback.code
    own = f"/tra-cuu/{code}/phieu-xin-loi/{letter.id}/ban-cua-nguoi-gui.pdf"
    assert client.get(own).status_code == 404  # a code alone: not the sender's copy
    look_up(client, code, "0905123456")
    assert f'href="{own}"' in client.get(f"/tra-cuu/{code}").get_data(as_text=True)
    response = client.get(own)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    assert "Nguyễn Văn An" in text and "01/04/2024" in text and "[đã ẩn]" not in text
    stranger = app.test_client()
    assert stranger.get(own).status_code == 404
    assert client.get(f"/tra-cuu/{code}/phieu-xin-loi/99999/ban-cua-nguoi-gui.pdf").status_code == 404


def test_the_case_json_lists_its_letters_without_personal_data(app, client, public_letter, seeded):
    letter = public_letter
    data = client.get(f"/api/v1/feedback/{letter.feedback.code}").get_json()
    assert data["letters"] == [{
        "number": "001/PXL", "year": 2024, "date": "2024-03-26", "missed_due_date": "2024-03-25",
        "new_due_date": "2024-04-01", "automatic": True, "reason": letter.reason,
        "pdf_url": f"/tra-cuu/{letter.feedback.code}/phieu-xin-loi/{letter.id}.pdf"}]
    assert data["due_date"] == "2024-04-01"


def test_staff_read_the_full_pdf_and_a_unit_only_its_own_cases(app, client, letter, seeded):
    url = f"/van-phong/phieu-xin-loi/{letter.id}.pdf"
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/van-phong/dang-nhap" in anonymous.headers["Location"]
    sign_in(client, seeded["QLKH"])
    assert "Nguyễn Văn An" in pdf_text(client.get(url).data)
    sign_in(client, seeded["QLCN"])
    assert client.get(url).status_code == 404


def test_staff_set_the_reason_during_the_grace_period_and_the_mail_says_it(app, client, clock, letter, seeded):
    sign_in(client, seeded["QLKH"])
    page = client.get("/van-phong/qua-han")  # the unit may not see the list ...
    assert page.status_code == 403
    response = client.post(f"/van-phong/phieu-xin-loi/{letter.id}/ly-do",
                           data={"reason": "Chờ ý kiến bằng văn bản của Sở Tài chính.", "next": "/"})
    assert response.status_code == 302
    db.session.refresh(letter)
    assert letter.reason == "Chờ ý kiến bằng văn bản của Sở Tài chính."
    mail = db.session.execute(select(OutboxMail).where(OutboxMail.kind == "apology")).scalar_one()
    assert "Sở Tài chính" in mail.body_text and mail.status == "pending"
    for says_nothing in ("ngắn", "\u200b" * 15, "Chờ\u200b" + "\u200b" * 12):
        with pytest.raises(LetterError):
            set_reason(letter, says_nothing, seeded["QLKH"])
    nul = client.post(f"/van-phong/phieu-xin-loi/{letter.id}/ly-do",
                      data={"reason": "Chờ ý kiến\x00 của Sở Tài chính.", "next": "/"})
    assert nul.status_code == 302
    db.session.refresh(letter)
    assert letter.reason == "Chờ ý kiến bằng văn bản của Sở Tài chính."  # refused: the NUL never reaches the database
    clock.set("2024-03-26T11:31:00+07:00")  # 4 office hours from 07:30 are over: the default stays
    with pytest.raises(LetterError):
        set_reason(letter, "Một lý do khác, viết quá muộn.", seeded["QLKH"])


def test_two_staff_writing_the_reason_at_once_do_not_overwrite_each_other_unseen(app, client, letter, seeded):
    """The unit and HCTH both open the default reason: the second save is refused, says so with what was
    typed, and the first reason stays; the same reason sent twice is no error."""
    shown = letter.reason
    unit, office = "Chờ ý kiến bằng văn bản của Sở Tài chính.", "Đơn vị đang tổng hợp hồ sơ, xin lỗi ông bà."
    sign_in(client, seeded["QLKH"])
    for _ in range(2):  # a double click
        client.post(f"/van-phong/phieu-xin-loi/{letter.id}/ly-do", data={"reason": unit, "shown": shown, "next": "/"})
        db.session.refresh(letter)
        assert letter.reason == unit
    sign_in(client, seeded["office"])
    late = client.post(f"/van-phong/phieu-xin-loi/{letter.id}/ly-do", data={"reason": office, "shown": shown,
                                                                           "next": "/van-phong/qua-han"},
                       follow_redirects=True)
    db.session.refresh(letter)
    assert letter.reason == unit
    page = late.get_data(as_text=True)
    assert "Người khác đã lưu lý do khác cho phiếu 001/PXL" in page and office in page
    mail = db.session.execute(select(OutboxMail).where(OutboxMail.kind == "apology")).scalar_one()
    assert unit in mail.body_text and office not in mail.body_text


def test_the_partials_show_the_letters_to_the_public_and_to_staff(app, letter, seeded, clock):
    from flask import render_template_string
    from flask_login import login_user
    case = letter.feedback
    with app.test_request_context("/"):
        # the staff's at once, with the reason still to write; the public's once the mail leaves
        assert "001/PXL" not in render_template_string('{% include "public/_letters.html" %}', case=case)
        clock.set("2024-03-26T11:30:00+07:00")
        public = render_template_string('{% include "public/_letters.html" %}', case=case)
        own = f"/tra-cuu/{case.code}/phieu-xin-loi/{letter.id}/ban-cua-nguoi-gui.pdf"
        assert "001/PXL" in public and own in public
        assert "Nội dung phản ánh, kiến nghị cần thêm thời gian" not in public  # the reason is in the PDF, not repeated here
        clock.set("2024-03-26T00:05:00+07:00")
        login_user(seeded["QLKH"])
        staff = render_template_string('{% include "office/_letters.html" %}', case=case)
        assert f"/van-phong/phieu-xin-loi/{letter.id}.pdf" in staff
        assert 'name="reason"' in staff and "Nội dung phản ánh, kiến nghị cần thêm thời gian" in staff


@pytest.mark.parametrize("day,written", [(date(2024, 3, 5), "ngày 05 tháng 3 năm 2024"),
                                         (date(2024, 2, 15), "ngày 15 tháng 02 năm 2024"),
                                         (date(2024, 12, 9), "ngày 09 tháng 12 năm 2024")])
def test_dates_are_written_as_administrative_documents_write_them(day, written):
    from feedback_app.letters import vn_date
    assert vn_date(day) == written  # NĐ 30/2020/NĐ-CP, Phụ lục I


def test_the_letters_json_builds_its_urls_outside_a_request_too(app, letter):
    from feedback_app.services.letters import letters_json
    rows = letters_json(letter.feedback, public=False)
    assert rows[0]["pdf_url"] == f"/van-phong/phieu-xin-loi/{letter.id}.pdf"
    assert rows[0]["reason"] == letter.reason


def test_the_public_copy_names_the_case_by_its_code_never_by_the_citizens_title(app, client, public_letter):
    letter = public_letter
    case = letter.feedback
    assert not case.consent_publish  # the citizen did not agree to publication
    text = pdf_text(client.get(f"/tra-cuu/{case.code}/phieu-xin-loi/{letter.id}.pdf").data)
    said = " ".join(text.split())
    assert f"phản ánh, kiến nghị mã số {case.code} ngày 04/03/2024. Thời hạn" in said
    assert "Thời hạn giải quyết thủ tục" not in text and "nhiệm vụ" not in text
    staff_copy = " ".join(pdf_text(render_letter_pdf(letter)).split())  # the staff's and the citizen's mailed copy
    assert case.title in staff_copy


def test_once_published_the_public_copy_names_the_case_by_hcths_reviewed_title(app, letter):
    case = letter.feedback
    case.public_title, case.published_at = "Thời hạn đăng ký kết quả nhiệm vụ KH&CN", case.received_at
    text = " ".join(pdf_text(render_letter_pdf(letter, public=True)).split())
    assert "Thời hạn đăng ký kết quả nhiệm vụ KH&CN" in text and case.title not in text


# The reason as the public reads it in the case's JSON: the citizen's data masked, the department's
# own published contact details (AGENCY_*) kept, as in the published copy.
def test_the_public_reason_keeps_the_departments_hotline_and_masks_the_citizen(app, client, public_letter):
    letter = public_letter
    phone, email = app.config["AGENCY_PHONE"], app.config["AGENCY_EMAIL"]
    letter.reason = (f"Chờ ý kiến của Sở Tài chính; ông Nguyễn Văn An (0905123456) có thể gọi đường dây "
                     f"nóng {phone} hoặc viết về {email} để biết thêm.")
    db.session.commit()
    data = client.get(f"/api/v1/feedback/{letter.feedback.code}").get_json()
    reason = data["letters"][0]["reason"]
    assert f"đường dây nóng {phone} hoặc viết về {email}" in reason
    assert "0905123456" not in reason and "Nguyễn Văn An" not in reason and "[đã ẩn]" in reason


def test_a_letter_to_a_sender_who_gave_no_name_is_addressed_to_the_sender(app, letter):
    # a letter HCTH entered as it arrived, without a name (NĐ 20/2008 Art 9.1), not yet refused
    letter.feedback.submitter_name = ""
    said = " ".join(pdf_text(render_letter_pdf(letter)).split())
    assert "Kính gửi: Người gửi phản ánh, kiến nghị" in said


def test_characters_the_letters_fonts_lack_are_left_out_not_drawn_as_boxes(app, letter):
    # an emoji (drawn by the system in another font), a pictograph and another script (empty boxes)
    letter.feedback.submitter_name = "Nguyễn Văn An 😀"
    letter.feedback.title = "Hồ sơ 漢字 ✅ đăng ký kết quả"
    letter.reason = "Cần thêm thời gian phối hợp 🙏"
    data = render_letter_pdf(letter)
    said = " ".join(pdf_text(data).split())
    assert "Kính gửi: Nguyễn Văn An Địa chỉ:" in said
    assert "nội dung: “Hồ sơ đăng ký kết quả”" in said and "Lý do: Cần thêm thời gian phối hợp" in said
    assert not {"😀", "漢", "✅", "🙏", "\x00"} & set(said)
    fonts = {str(f.get_object()["/BaseFont"]).split("+")[-1]
             for page in PdfReader(BytesIO(data)).pages for f in page["/Resources"]["/Font"].values()}
    assert fonts <= {"PAKN-Serif", "PAKN-Serif-Bold", "PAKN-Serif-Italic"}  # no fallback font


def test_vietnamese_typed_with_combining_marks_is_kept_whole_in_the_letter(app, letter):
    import unicodedata
    letter.feedback.submitter_name = unicodedata.normalize("NFD", "Trần Thị Hồng Nhung")
    said = " ".join(pdf_text(render_letter_pdf(letter)).split())
    assert "Kính gửi: Trần Thị Hồng Nhung" in said


def test_a_transferred_case_has_the_letter_that_sends_it_to_the_competent_agency(app, client, clock, seeded):
    """NĐ 20/2008 Art 9.1d: a PAKN outside the department's competence goes to the competent agency with
    an official letter; HCTH prints it from the case page, with the PAKN as received."""
    from feedback_app.models import Attachment
    from feedback_app.services.cases import apply_event, receive
    from deadline_helpers import SUBMISSION
    clock.set("2024-03-04T09:00:00+07:00")
    case = receive(SUBMISSION)
    db.session.add(Attachment(feedback=case, kind="submission", original_name="giay-phep.pdf",
                              stored_name="t1.pdf", content_type="application/pdf", size=10))
    db.session.commit()
    sign_in(client, seeded["office"])
    letter_url = f"/van-phong/ho-so/{case.code}/cong-van-chuyen.pdf"
    assert client.get(letter_url).status_code == 404  # not transferred (yet)
    clock.set("2024-03-06T10:00:00+07:00")
    apply_event(case, "transfer_out", seeded["office"], {"agency": "Sở Y tế tỉnh Quảng Ngãi"})
    page = client.get(f"/van-phong/ho-so/{case.code}").get_data(as_text=True)
    assert f'href="{letter_url}"' in page
    response = client.get(letter_url)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert f"cong-van-chuyen-{case.code}.pdf" in response.headers["Content-Disposition"]
    text = " ".join(pdf_text(response.data).split())
    for words in ("V/v chuyển phản ánh, kiến nghị", case.code, "Kính gửi: Sở Y tế tỉnh Quảng Ngãi",
                  "ngày 06 tháng 3 năm 2024", "Ngày 04/03/2024", "Nguyễn Văn An", "Số 12 đường Lê Lợi", "0905123456",
                  "an@example.com", SUBMISSION.title, SUBMISSION.content, "giay-phep.pdf",
                  "điểm d khoản 1 Điều 9 Nghị định số 20/2008/NĐ-CP", "Nơi nhận:", "Nguyễn Văn An (để biết)", "GIÁM ĐỐC"):
        assert words in text, words
    sign_in(client, seeded["leader"])
    assert client.get(letter_url).status_code == 200
    sign_in(client, seeded["QLKH"])  # a unit never had it
    assert client.get(letter_url).status_code in (403, 404)


def test_a_sender_answered_by_post_gets_the_answer_as_the_departments_letter(app, client, clock, seeded):
    """NĐ 20/2008 Art 14.2d: a written answer. A sender without an e-mail address is answered by post: the
    notice HCTH owes and the case page offer the approved answer as a công văn (A4), for the leader to sign."""
    from dataclasses import replace

    from feedback_app.models import CitizenNotice
    from feedback_app.services.cases import apply_event
    from deadline_helpers import SUBMISSION
    case = forwarded_case(seeded, submission=replace(SUBMISSION, email=None))
    letter_url = f"/van-phong/ho-so/{case.code}/van-ban-tra-loi.pdf"
    sign_in(client, seeded["office"])
    assert client.get(letter_url).status_code == 404  # no answer yet
    apply_event(case, "submit_draft", seeded["QLKH"], {"reply": "Thời hạn giải quyết là 30 ngày kể từ ngày nhận hồ sơ."})
    clock.set("2024-03-20T10:00:00+07:00")
    apply_event(case, "approve", seeded["leader"])
    notice = db.session.execute(select(CitizenNotice).where(CitizenNotice.kind == "answered")).scalar_one()
    assert f'href="{letter_url}"' in client.get(f"/van-phong/thong-bao-nguoi-dan/{notice.id}").get_data(as_text=True)
    assert f'href="{letter_url}"' in client.get(f"/van-phong/ho-so/{case.code}").get_data(as_text=True)
    response = client.get(letter_url)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = " ".join(pdf_text(response.data).split())
    for words in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "V/v trả lời phản ánh, kiến nghị", case.code,
                  "Kính gửi: Ông/Bà Nguyễn Văn An", "Số 12 đường Lê Lợi", "ngày 20 tháng 3 năm 2024",
                  "Thời hạn giải quyết là 30 ngày kể từ ngày nhận hồ sơ.", "Nơi nhận:", "Phòng Quản lý Khoa học",
                  "Lưu: VT, HCTH", "GIÁM ĐỐC", "có thể tra cứu phản ánh, kiến nghị và đánh giá mức độ hài lòng"):
        assert words in text, words
    sign_in(client, seeded["QLKH"])
    assert client.get(letter_url).status_code in (403, 404)


def test_the_answer_letter_to_a_sender_with_only_a_postal_address_lists_its_files_and_gives_the_phone(
        app, client, clock, seeded):
    """The lookup asks for the phone or e-mail given: a sender who gave neither is offered the department's
    phone and office, as the answer's notice says; the files the notice says go with the letter are named."""
    import io
    from dataclasses import replace

    from werkzeug.datastructures import FileStorage

    from deadline_helpers import SUBMISSION
    from feedback_app.services import staff
    from feedback_app.services.cases import apply_event
    case = forwarded_case(seeded, submission=replace(SUBMISSION, email=None, phone=None, channel="post"))
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    staff.submit_draft(case, seeded["QLKH"], "Thời hạn giải quyết là 30 ngày kể từ ngày nhận hồ sơ.",
                       [FileStorage(io.BytesIO(pdf), "Công văn số 12.pdf", content_type="application/pdf")],
                       case.version)
    apply_event(case, "approve", seeded["leader"])
    sign_in(client, seeded["office"])
    text = " ".join(pdf_text(client.get(f"/van-phong/ho-so/{case.code}/van-ban-tra-loi.pdf").data).split())
    assert "Tài liệu gửi kèm: Công văn số 12.pdf" in text
    assert f"qua số điện thoại {app.config['AGENCY_PHONE']} hoặc tại trụ sở cơ quan" in text
    assert "tra-cuu" not in text


def test_an_automatic_letter_is_public_only_once_its_mail_leaves(app, client, letter, clock):
    """During the grace period the reason may still change (the default one is a placeholder): the public
    reads the letter, its PDF and the API's list only from when its mail leaves; staff read it at once."""
    code = letter.feedback.code
    steps = lambda: [row["event"] for row in client.get(f"/api/v1/feedback/{code}/history").get_json()["history"]]  # noqa: E731
    assert client.get(f"/tra-cuu/{code}/phieu-xin-loi/{letter.id}.pdf").status_code == 404
    assert client.get(f"/api/v1/feedback/{code}").get_json()["letters"] == []
    assert "overdue" in steps() and "apology_letter" not in steps()  # nor its step in the timeline
    clock.set("2024-03-26T11:30:00+07:00")
    assert client.get(f"/tra-cuu/{code}/phieu-xin-loi/{letter.id}.pdf").status_code == 200
    assert [row["number"] for row in client.get(f"/api/v1/feedback/{code}").get_json()["letters"]] == ["001/PXL"]
    assert steps()[-1] == "apology_letter"


def test_until_the_automatic_letter_is_public_the_citizen_reads_the_date_missed_not_its_promise(
        app, client, letter, clock, seeded):
    """The letter (its new date 01/04/2024) is public at 11:30, when its mail leaves: before, the status page
    and the public view say the date missed, overdue, and when the letter goes; staff read the new date."""
    import re

    from test_public_status import look_up, text_of
    from feedback_app.services.accounts import new_token
    code = letter.feedback.code
    look_up(client, code, "0905123456")
    page = client.get(f"/tra-cuu/{code}").get_data(as_text=True)
    due = text_of(re.search(r'<dl class="facts" id="due">(.*?)</dl>', page, re.S).group(1))
    assert "25/03/2024 Quá hạn" in due and "01/04/2024" not in due and "phiếu xin lỗi" in due and "26/03/2024" in due
    assert client.get(f"/api/v1/feedback/{code}").get_json()["due_date"] == "2024-03-25"
    staff = {"Authorization": f"Bearer {new_token(seeded['office'])}"}
    assert client.get(f"/api/v1/feedback/{code}", headers=staff).get_json()["due_date"] == "2024-04-01"
    clock.set("2024-03-26T11:30:00+07:00")
    page = client.get(f"/tra-cuu/{code}").get_data(as_text=True)
    due = text_of(re.search(r'<dl class="facts" id="due">(.*?)</dl>', page, re.S).group(1))
    assert "01/04/2024" in due and "Quá hạn" not in due and "Ngày hẹn lại ghi trong phiếu xin lỗi" in due
    assert client.get(f"/api/v1/feedback/{code}").get_json()["due_date"] == "2024-04-01"
    # its step in the timeline dated when it went (the letter's date), not at the sweep's 00:01
    steps = text_of(re.search(r'<ol[^>]*id="steps"[^>]*>(.*?)</ol>', page, re.S).group(1))
    assert "26/03/2024 00:01 · Quá thời hạn xử lý 26/03/2024 11:30 · Gửi phiếu xin lỗi" in steps
    history = client.get(f"/api/v1/feedback/{code}/history").get_json()["history"]  # the public API says the same
    assert [row["at"] for row in history if row["event"] == "apology_letter"] == ["2024-03-26T04:30:00+00:00"]


def test_the_citizens_mails_greet_them_as_ong_ba_and_the_letter_gives_phone_and_email(app, letter):
    from feedback_app.models import OutboxMail
    mail = db.session.execute(select(OutboxMail).where(OutboxMail.kind == "apology")).scalar_one()
    assert mail.body_text.startswith("Kính gửi Ông/Bà Nguyễn Văn An,")
    text = " ".join(pdf_text(render_letter_pdf(letter)).split())
    assert "0905123456 / an@example.com" in text  # TT 01/2018 Mẫu 04: each way to reach the sender
