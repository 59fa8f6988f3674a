"""HCTH enters a PAKN that came by post, e-mail, phone, in person or from the national system
(QĐ 31/2021/QĐ-TTg Art 43.2b; NĐ 20/2008/NĐ-CP Art 6–7): the case is received through the portal's
path, dated when it arrived, with its due date counted from that day (Art 9.1d), the officer named in
its audit row, its receipt mail queued, and counted among the report's other channels."""
from __future__ import annotations

import html
import re
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import func, select

from feedback_app.extensions import db
from feedback_app.models import Attachment, Feedback, OutboxMail, Transition
from feedback_app.reports.periods import parse_period
from feedback_app.reports.queries import build_report
from feedback_app.services.calendar import deadlines
from feedback_app.services.sweep import sweep
from workflows.clock import LOCAL_TZ, local_date

from test_office_e2e import shot

URL = "/van-phong/tiep-nhan-moi"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
LETTER = {
    "channel": "post",
    "received_at": "2024-03-01T14:30",  # last Friday; the clock fixture says Monday 04/03/2024 09:00
    "full_name": "Trần Văn Bình",
    "address": "Thôn Phú Lộc, xã Tịnh Ấn Tây, tỉnh Quảng Ngãi",
    "phone": "0905 111 222",
    "email": "binh@example.com",
    "title": "Hồ sơ đề nghị công nhận sáng kiến cấp tỉnh",
    "content": "Tôi đề nghị Sở hướng dẫn thành phần hồ sơ đề nghị công nhận phạm vi ảnh hưởng của sáng kiến "
               "cấp tỉnh và thời hạn giải quyết thủ tục này.",
    "procedure": "Công nhận sáng kiến",
}


def login(client, user, password="secret-pass"):
    return client.post("/van-phong/dang-nhap", data={"email": user.email, "password": password})


def text(response) -> str:
    return response.get_data(as_text=True)


def enter(client, **changes):
    data = {**LETTER, **changes}
    return client.post(URL, data={k: v for k, v in data.items() if v is not None},
                       content_type="multipart/form-data")


def cases() -> list[Feedback]:
    db.session.expire_all()
    return db.session.execute(select(Feedback).order_by(Feedback.id)).scalars().all()


def test_a_postal_letter_received_last_friday_is_a_case_dated_friday_with_its_due_date_from_that_day(
        app, client, clock, seeded):
    office = seeded["office"]
    login(client, office)
    response = enter(client)
    assert response.status_code == 303
    (case,) = cases()
    assert response.headers["Location"].endswith(f"/van-phong/ho-so/{case.code}")

    friday = date(2024, 3, 1)
    received = case.received_at.replace(tzinfo=case.received_at.tzinfo or timezone.utc)
    assert received == datetime(2024, 3, 1, 14, 30, tzinfo=LOCAL_TZ)
    assert case.channel == "post" and case.state == "received" and case.language == "vi"
    assert case.phone == "0905111222" and case.procedure == "Công nhận sáng kiến"
    # the code carries the day of receipt, not the day of entry
    assert re.fullmatch(r"PAKN\.20240301\.\d{4}", case.code)
    # NĐ 20/2008 Art 9.1d: the 5th working day after Friday 01/03 is Friday 08/03
    assert case.due_date == deadlines().on_receipt(friday).date == date(2024, 3, 8)
    assert case.due_start == friday and case.due_step == "classify"

    (row,) = case.transitions
    assert (row.event, row.actor_id, row.actor_label) == ("receive", office.id, office.full_name)
    assert row.actor_label != "Người gửi" and "Bưu chính" in row.note and "14:30 01/03/2024" in row.note

    mail = db.session.execute(select(OutboxMail)).scalar_one()
    assert mail.key == f"received:{case.code}" and mail.recipients == "binh@example.com"
    assert "01/03/2024 14:30" in mail.body_text and "08/03/2024" in mail.body_text

    page = client.get(response.headers["Location"], follow_redirects=True)
    assert case.code in text(page) and "08/03/2024" in text(page)

    # the citizen's steps date the receipt when the letter arrived, not when it was typed in (Monday)
    citizen = app.test_client()
    citizen.post("/tra-cuu", data={"code": case.code, "contact": "0905111222"})
    steps = re.search(r'<ol class="timeline" id="steps">(.*?)</ol>', text(citizen.get(f"/tra-cuu/{case.code}")), re.S)
    assert "01/03/2024 14:30" in steps.group(1) and "04/03/2024" not in steps.group(1)


def test_the_quarterly_report_counts_the_entered_letter_among_the_other_channels(app, client, clock, seeded):
    login(client, seeded["office"])
    enter(client)
    enter(client, channel="phone", email="", received_at="2024-03-04T08:15",
          title="Gọi điện hỏi về thủ tục cấp phép bức xạ")
    values = build_report(parse_period("2024-Q1")).total.values
    assert values["received"] == 2 and values["received_other"] == 2 and values["received_online"] == 0
    # a phone call without an e-mail address: no receipt mail
    assert db.session.execute(select(func.count()).select_from(OutboxMail)).scalar_one() == 1
    # one filed online on the national PAKN system (Cổng DVCQG) and handed over: online, though entered
    response = enter(client, channel="national", received_at="2024-03-04T08:30", email="binh@example.com",
                     title="Hỏi về thủ tục đăng ký chuyển giao công nghệ", national_code="H55.20240304.0012")
    assert response.status_code == 303, re.findall(r"field-error[^>]*>(.*?)</ul>", text(response), re.S)
    values = build_report(parse_period("2024-Q1")).total.values
    assert (values["received"], values["received_other"], values["received_online"]) == (3, 2, 1)


def test_a_pakn_from_the_national_system_keeps_its_code_there_and_is_not_entered_twice(app, client, clock, seeded):
    """QĐ 31/2021/QĐ-TTg Art 43: its answer goes back under that code; the same code twice is one PAKN."""
    login(client, seeded["office"])
    response = enter(client, channel="national", national_code="")
    assert response.status_code == 422 and "Vui lòng nhập mã phản ánh, kiến nghị trên Hệ thống quốc gia" in text(response)
    response = enter(client, channel="post", national_code="H55.1")
    assert response.status_code == 422 and "Chỉ ghi mã khi phản ánh, kiến nghị nhận từ Hệ thống quốc gia" in text(response)
    assert enter(client, channel="national", national_code="H55 1").status_code == 422  # not a code
    assert cases() == []
    assert enter(client, channel="national", national_code=" H55.20240301.0007 ").status_code == 303
    (case,) = cases()
    assert case.national_code == "H55.20240301.0007"
    from feedback_app.models import OutboxMail as Mail
    receipt = db.session.execute(select(Mail).where(Mail.feedback_id == case.id, Mail.kind == "received")).scalar_one()
    assert "Mã trên Hệ thống quốc gia: H55.20240301.0007" in receipt.body_text  # the citizen knows it by it
    assert "H55.20240301.0007" in text(client.get(f"/van-phong/ho-so/{case.code}"))
    register = html.unescape(text(client.get("/van-phong/so-tiep-nhan?from=2024-03-01&to=2024-03-04")))
    assert "Hệ thống quốc gia (H55.20240301.0007)" in register
    again = enter(client, channel="national", national_code="H55.20240301.0007", title="Nhập lần hai")
    assert again.status_code == 422 and f"đã được nhập: {case.code}" in html.unescape(text(again))
    assert len(cases()) == 1
    loose = enter(client, channel="national", national_code="h55.20240301.0007 ", title="Nhập lần ba")
    assert loose.status_code == 422 and f"đã được nhập: {case.code}" in html.unescape(text(loose))  # the same code
    # one form sent twice (a double click) is one case, not "already entered"
    first = enter(client, channel="national", national_code="H55.9", submission_key="form-key-9")
    twice = enter(client, channel="national", national_code="H55.9", submission_key="form-key-9")
    assert first.status_code == twice.status_code == 303 and first.headers["Location"] == twice.headers["Location"]
    assert len(cases()) == 2


def test_a_letter_entered_after_its_classify_date_is_marked_overdue_by_the_next_sweep(app, client, clock, seeded):
    login(client, seeded["office"])
    enter(client, received_at="2024-02-20T10:00")  # 13 days ago: within the 30 the office may go back
    (case,) = cases()
    assert case.due_date == date(2024, 2, 27)  # 5 working days from Tuesday 20/02, already past
    assert case.overdue_since is None
    result = sweep()
    assert result.overdue == 1
    (case,) = cases()
    assert case.overdue_since == date(2024, 2, 27)
    assert [t.event for t in case.transitions] == ["receive", "overdue"]
    assert sweep().overdue == 0  # stored once


@pytest.mark.parametrize("changes, field, message", [
    ({"received_at": "2024-03-04T09:30"}, "received_at", "không được sau thời điểm hiện tại"),
    ({"received_at": "2024-02-01T08:00"}, "received_at", "không được sớm hơn 30 ngày"),
    ({"received_at": ""}, "received_at", "Vui lòng nhập ngày và giờ nhận"),
    ({"received_at": "hôm qua"}, "received_at", "Ngày giờ không hợp lệ"),
    ({"channel": ""}, "channel", "Vui lòng chọn kênh tiếp nhận"),
    ({"channel": "web"}, "channel", None),  # the portal's channel is not the office's to choose
    ({"title": ""}, "title", "Vui lòng nhập tiêu đề"),
    ({"content": "   "}, "content", "Vui lòng nhập nội dung"),
    ({"email": "binh@"}, "email", "thư điện tử không hợp lệ"),
    ({"full_name": "B"}, "full_name", "từ 2 đến 200 ký tự"),  # a name given is still checked
])
def test_a_wrong_or_missing_field_is_shown_next_to_it_and_creates_nothing(app, client, clock, seeded,
                                                                        changes, field, message):
    login(client, seeded["office"])
    response = enter(client, **changes)
    assert response.status_code == 422
    body = text(response)
    assert f'id="{field}-error"' in body and 'class="field-error"' in body
    if message:
        assert message in body
    assert "Thôn Phú Lộc, xã Tịnh Ấn Tây" in body  # what was typed stays
    assert cases() == []
    assert db.session.execute(select(func.count()).select_from(OutboxMail)).scalar_one() == 0


def test_a_letter_with_a_postal_address_and_no_phone_or_e_mail_is_entered(app, client, clock, seeded):
    # NĐ 20/2008 Art 7.1: "số điện thoại (hoặc địa chỉ thư tín)": the answer goes by post
    login(client, seeded["office"])
    response = enter(client, phone="", email="")
    assert response.status_code == 303
    (case,) = cases()
    assert (case.phone, case.email, case.address) == (None, None, LETTER["address"])
    page = text(client.get(f"/van-phong/ho-so/{case.code}"))
    assert 'id="art7"' not in page  # nothing it lacks
    assert db.session.execute(select(func.count()).select_from(OutboxMail)).scalar_one() == 0


@pytest.mark.parametrize("changes, reason, label", [
    ({"content": "Please tell me the deadline for the innovation recognition procedure, thank you very much."},
     "not_vietnamese", "Không sử dụng tiếng Việt"),
    ({"full_name": "", "address": "", "phone": "", "email": ""}, "missing_identity", "Thiếu họ tên, địa chỉ"),
    ({"address": ""}, "missing_identity", "liên hệ: không có địa chỉ</li>"),  # what it lacks, named
    ({"address": "12 / 3"}, "missing_identity", "Thiếu họ tên, địa chỉ"),  # on the envelope, no letter: entered
    ({"content": "Đề nghị Sở xem xét."}, "unclear_content", "Nội dung không rõ ràng"),
])
def test_a_pakn_failing_article_7_is_entered_in_the_register_then_refused_with_its_reason(
        app, client, clock, seeded, changes, reason, label):
    """Art 9.1: received and entered first, then not received (Art 9.1d) with the Art 7.1 reason, which
    the case page names and proposes; the portal keeps refusing such a submission at once."""
    login(client, seeded["office"])
    assert enter(client, **changes).status_code == 303
    (case,) = cases()
    page = text(client.get(f"/van-phong/ho-so/{case.code}"))
    notice = re.search(r'<section class="card returned" aria-labelledby="h-art7" id="art7">(.*?)</section>', page, re.S)
    assert notice and label in notice.group(1)
    assert re.search(rf'<option selected value="{reason}">|<option value="{reason}" selected>', page)
    register = text(client.get("/van-phong/so-tiep-nhan?from=2024-03-01&to=2024-03-04"))
    assert case.code in register  # in the register before any decision
    response = client.post(f"/van-phong/ho-so/{case.code}/su-kien/refuse",
                           data={"refuse-reason": reason, "refuse-version": case.version})
    assert response.status_code == 302
    db.session.expire_all()
    assert cases()[0].state == "refused"
    assert 'id="art7"' not in text(client.get(f"/van-phong/ho-so/{case.code}"))


def test_while_the_sender_completes_what_article_7_lacks_the_page_proposes_no_refusal(app, client, clock, seeded):
    """HCTH asked the sender for the missing address (NĐ 20/2008 Art 7.1): they have their days to send it,
    so the page neither names the refusal nor chooses its reason in advance."""
    login(client, seeded["office"])
    assert enter(client, address="").status_code == 303
    (case,) = cases()
    assert 'id="art7"' in text(client.get(f"/van-phong/ho-so/{case.code}"))
    asked = client.post(f"/van-phong/ho-so/{case.code}/su-kien/request_info",
                        data={"request_info-missing": "Địa chỉ liên hệ của ông/bà", "request_info-version": case.version})
    assert asked.status_code == 302 and cases()[0].state == "awaiting_info"
    page = text(client.get(f"/van-phong/ho-so/{case.code}"))
    assert 'id="art7"' not in page
    assert not re.search(r'<option selected value="missing_identity">|<option value="missing_identity" selected>', page)


def test_the_limit_on_back_dating_is_a_setting(app, client, clock, seeded):
    app.config["INTAKE_MAX_BACKDATE_DAYS"] = 40
    login(client, seeded["office"])
    assert enter(client, received_at="2024-02-01T08:00").status_code == 303
    assert local_date(cases()[0].received_at) == date(2024, 2, 1)


def test_a_scanned_letter_is_attached_and_a_program_renamed_to_pdf_is_refused(app, client, clock, seeded):
    from io import BytesIO
    login(client, seeded["office"])
    refused = enter(client, attachments=(BytesIO(b"MZ\x90\x00 not a pdf"), "thu.pdf"))
    assert refused.status_code == 422 and "không đúng định dạng" in text(refused)
    assert cases() == []
    assert enter(client, attachments=(BytesIO(PDF), "thu-cong-dan.pdf")).status_code == 303
    (case,) = cases()
    (attachment,) = case.attachments
    assert (attachment.kind, attachment.original_name, attachment.size) == ("submission", "thu-cong-dan.pdf", len(PDF))


def test_a_scan_sent_with_a_form_that_came_back_is_kept_and_attached_once_corrected(app, client, clock, seeded):
    from io import BytesIO
    login(client, seeded["office"])
    refused = enter(client, channel="", attachments=(BytesIO(PDF), "thu-cong-dan.pdf"))
    assert refused.status_code == 422 and "Đã đính kèm: thu-cong-dan.pdf (1 KB)" in text(refused)
    token = re.search(r'name="held_token" type="hidden" value="([^"]+)"', text(refused)).group(1)
    assert enter(client, held_token=token).status_code == 303
    (case,) = cases()
    (attachment,) = case.attachments
    with open(f"{app.config['UPLOAD_DIR']}/{attachment.stored_name}", "rb") as f:
        assert (attachment.original_name, f.read()) == ("thu-cong-dan.pdf", PDF)


def test_the_same_form_sent_twice_makes_one_case_and_a_corrected_time_is_refused_pointing_to_it(
        app, client, clock, seeded):
    login(client, seeded["office"])
    first = enter(client, submission_key="form-key-1")
    again = enter(client, submission_key="form-key-1")
    assert first.headers["Location"] == again.headers["Location"]
    assert len(cases()) == 1
    (case,) = cases()
    for changes in ({"received_at": "2024-03-01T15:30"}, {"full_name": "Trần Văn Bính"}):
        refused = enter(client, submission_key="form-key-1", **changes)
        assert refused.status_code == 422
        body = text(refused)
        assert f'href="/van-phong/ho-so/{case.code}"' in body and "Sửa thông tin tiếp nhận" in body
        assert f'href="{URL}"' in body and "mở biểu mẫu mới" in body
        assert "Thôn Phú Lộc, xã Tịnh Ấn Tây" in body  # what was typed stays
    (only,) = cases()
    assert only.id == case.id and only.submitter_name == "Trần Văn Bình"
    assert only.received_at == datetime(2024, 3, 1, 14, 30, tzinfo=LOCAL_TZ)
    assert db.session.execute(select(func.count()).select_from(OutboxMail)).scalar_one() == 1


def test_the_form_opens_with_now_as_the_time_of_receipt_and_the_office_navigation_links_to_it(
        app, client, clock, seeded):
    login(client, seeded["office"])
    home = text(client.get("/van-phong/"))
    assert f'href="{URL}"' in home and "Nhập PAKN" in home
    page = text(client.get(URL))
    assert 'value="2024-03-04T09:00"' in page
    assert '<label for="received_at">' in page and '<label for="channel">' in page
    assert "Bưu chính" in page and "Hệ thống quốc gia" in page
    english = text(client.get(URL + "?lang=en"))
    assert "Enter feedback received in person, by post, phone, e-mail or from the national system" in english


@pytest.mark.parametrize("role", ["leader", "QLKH", "admin"])
def test_only_hcth_may_enter_a_case(app, client, clock, seeded, role):
    login(client, seeded[role])
    assert client.get(URL).status_code == 403
    assert enter(client).status_code == 403
    assert cases() == []
    nav = text(client.get("/van-phong/" if role == "leader" else "/don-vi/" if role == "QLKH" else "/quan-tri/nguoi-dung"))
    assert URL not in nav


def test_an_anonymous_visitor_is_sent_to_the_sign_in_page(app, client, clock, seeded):
    response = enter(client)
    assert response.status_code == 302 and "/van-phong/dang-nhap" in response.headers["Location"]
    assert cases() == []


def test_the_public_portal_still_receives_with_the_citizen_as_actor_and_now_as_the_time(app, client, clock):
    from feedback_app.services.cases import Submission, receive
    case = receive(Submission(full_name="Nguyễn Văn An", address="Số 12 đường Lê Lợi", phone="0905123456",
                              title="Thời hạn giải quyết thủ tục",
                              content="Đề nghị cho biết thời hạn giải quyết thủ tục đăng ký kết quả nhiệm vụ."))
    assert local_date(case.received_at) == date(2024, 3, 4) and case.code.startswith("PAKN.20240304.")
    row = db.session.execute(select(Transition)).scalar_one()
    assert (row.actor_id, row.actor_label, row.note) == (None, "Người gửi", "Kênh: Cổng thông tin điện tử")


# --- in headless Chromium -------------------------------------------------------------------------

@pytest.mark.browser
def test_hcth_enters_a_phone_call_in_the_browser_and_sees_its_code(app, clock, seeded, live_server, page):
    page.goto(f"{live_server}/van-phong/dang-nhap")
    page.get_by_label("Thư điện tử").fill(seeded["office"].email)
    page.get_by_label("Mật khẩu").fill("secret-pass")
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url("**/van-phong/")
    page.get_by_role("link", name="Nhập PAKN").click()
    page.get_by_label("Kênh tiếp nhận").select_option("phone")
    page.get_by_label("Thời điểm nhận").fill("2024-03-01T10:05")
    page.get_by_label("Họ và tên").fill("Võ Thị Hoa")
    page.get_by_label("Địa chỉ").fill("Tổ 5, phường Nghĩa Chánh, tỉnh Quảng Ngãi")
    page.get_by_label("Số điện thoại").fill("0912 345 678")
    page.get_by_label("Tiêu đề").fill("Thời hạn cấp giấy chứng nhận kiểm định")
    page.get_by_label("Nội dung phản ánh, kiến nghị").fill(
        "Bà Hoa gọi điện đề nghị cho biết thời hạn cấp giấy chứng nhận kiểm định phương tiện đo của cửa hàng.")
    shot(page, "office-intake-new.png")  # README, with PAKN_SCREENSHOTS=1
    page.get_by_role("button", name="Nhập phản ánh, kiến nghị").click()
    page.wait_for_url("**/van-phong/ho-so/PAKN.20240301.*")
    (case,) = cases()
    assert case.channel == "phone" and case.due_date == date(2024, 3, 8)
    flash = page.locator(".flash.success").inner_text()
    assert case.code in flash and "08/03/2024" in flash


def test_a_case_received_in_a_closed_period_is_saved_with_a_warning_naming_that_period(app, client, clock, seeded):
    from feedback_app.services import reports
    clock.set("2024-03-20T09:00:00+07:00")  # 2024-Q1 (15/12/2023 - 14/03/2024) is over
    reports.close_report(parse_period("2024-Q1"), seeded["office"])
    login(client, seeded["office"])
    response = enter(client, received_at="2024-03-12T10:00")
    assert response.status_code == 303
    (case,) = cases()  # the law requires entering every PAKN: saved all the same
    assert case.state == "received" and re.fullmatch(r"PAKN\.20240312\.\d{4}", case.code)
    page = text(client.get(response.headers["Location"]))
    assert f"Đã nhập phản ánh, kiến nghị, mã số {case.code}" in page
    warning = re.search(r'<div class="flash warning"[^>]*>(.*?)</div>', page, re.S)
    assert warning and "Kỳ báo cáo quý I năm 2024 đã chốt số liệu" in warning.group(1)
    assert "đề nghị quản trị hệ thống mở lại kỳ" in warning.group(1)  # the clerk runs no command
    assert "báo cáo đã chốt không tính phản ánh, kiến nghị này (nhận ngày 12/03/2024)" in warning.group(1)
    assert "flask report reopen --period 2024-Q1" in warning.group(1)
    # a case of the open quarter: no warning
    response = enter(client, received_at="2024-03-18T10:00", title="Hồ sơ công nhận sáng kiến cấp cơ sở")
    assert response.status_code == 303 and len(cases()) == 2
    page = text(client.get(response.headers["Location"]))
    assert 'class="flash warning"' not in page and "đã chốt số liệu" not in page
