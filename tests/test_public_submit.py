"""The public submission form: NĐ 20/2008 Art 7.1 content rules, attachments checked by content,
nothing stored half, the honeypot, the per-IP rate limit and CSRF in the real configuration."""
from __future__ import annotations

import io
import os
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from feedback_app.extensions import db
from feedback_app.models import Attachment, Feedback, OutboxMail

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000a49444154789c63000100"
                    "000500010d0a2db40000000049454e44ae426082")
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200

VALID = {
    "full_name": "Nguyễn Văn An",
    "address": "Số 12 đường Lê Lợi, phường Cẩm Thành, Quảng Ngãi",
    "phone": "0905 123 456",
    "email": "an@example.com",
    "title": "Thời hạn giải quyết thủ tục đăng ký kết quả nhiệm vụ",
    "content": "Đề nghị Sở cho biết thời hạn giải quyết thủ tục đăng ký kết quả thực hiện nhiệm vụ khoa học "
               "và công nghệ không sử dụng ngân sách nhà nước.",
    "procedure": "Đăng ký kết quả thực hiện nhiệm vụ KH&CN",
    "consent_publish": "y",
}


def post(client, lang=None, files=(), **changes):
    data = {**VALID, **changes}
    data = {k: v for k, v in data.items() if v is not None}
    if files:
        data["attachments"] = [(io.BytesIO(content), name) for name, content in files]
    url = "/gui-phan-anh" + (f"?lang={lang}" if lang else "")
    return client.post(url, data=data, content_type="multipart/form-data")


def count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def error_next_to(html: str, field: str) -> str:
    """The error text rendered next to the field (inside its ``<ul id="<field>-error">``)."""
    m = re.search(rf'<ul class="field-error" id="{field}-error">(.*?)</ul>', html, re.S)
    return re.sub(r"<[^>]+>", " ", m.group(1)).strip() if m else ""


def test_a_valid_submission_gets_a_code_a_classify_date_and_a_link_to_follow(client, clock):
    clock.set("2024-02-07T10:00:00+07:00")  # Wednesday before Tết 2024
    response = post(client)
    assert response.status_code == 303 and response.headers["Location"].endswith("/gui-phan-anh/da-gui")
    page = client.get("/gui-phan-anh/da-gui").get_data(as_text=True)
    assert "PAKN.20240207.0001" in page
    assert "21/02/2024" in page  # 5 working days after receipt, Tết skipped
    answer_by = re.search(r'<dd id="answer-by">(.*?)</dd>', page, re.S).group(1)
    assert "13/03/2024" in answer_by and "20 ngày làm việc kể từ ngày tiếp nhận" in answer_by  # Tết skipped too
    assert 'href="/tra-cuu/PAKN.20240207.0001"' in page
    case = db.session.execute(select(Feedback)).scalar_one()
    assert (case.submitter_name, case.phone, case.email, case.channel, case.consent_publish) == (
        "Nguyễn Văn An", "0905123456", "an@example.com", "web", True)
    assert case.due_date == date(2024, 2, 21)
    mail = db.session.execute(select(OutboxMail)).scalar_one()
    assert mail.recipients == "an@example.com" and "PAKN.20240207.0001" in mail.body_text


@pytest.mark.parametrize("field, value, message", [
    ("full_name", "", "Vui lòng nhập họ và tên."),
    ("address", "", "Vui lòng nhập địa chỉ liên hệ."),
    ("title", "", "Vui lòng nhập tiêu đề."),
    ("content", "", "Vui lòng nhập nội dung phản ánh, kiến nghị."),
    ("content", "aaaa aaaa aaaa aaaa aaaa aaaa", "Nội dung chưa rõ ràng"),
    ("content", "Please tell me how long the registration of research results takes at your office.",
     "Nội dung phải viết bằng tiếng Việt có dấu"),
    ("phone", "12345", "Số điện thoại không hợp lệ"),
    ("email", "an@", "Địa chỉ thư điện tử không hợp lệ."),
])
def test_each_content_rule_shows_its_message_next_to_the_field_and_stores_nothing(
        client, clock, field, value, message):
    response = post(client, **{field: value})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in error_next_to(html, field)
    assert count(Feedback) == 0 and count(OutboxMail) == 0


def test_phone_or_email_is_required_and_either_one_is_enough(client, clock):
    html = post(client, phone="", email="").get_data(as_text=True)
    assert "số điện thoại hoặc thư điện tử" in error_next_to(html, "phone")
    assert count(Feedback) == 0
    assert post(client, phone="", email="an@example.com").status_code == 303
    assert post(client, phone="+84 905 123 456", email="").status_code == 303
    phones = db.session.execute(select(Feedback.phone).order_by(Feedback.id)).scalars().all()
    assert phones == [None, "+84905123456"]


def test_what_was_typed_is_kept_when_the_form_is_refused(client, clock):
    html = post(client, email="not-an-address").get_data(as_text=True)
    assert 'value="Nguyễn Văn An"' in html
    assert 'value="not-an-address"' in html
    assert "không sử dụng ngân sách nhà nước." in html


def test_errors_come_in_english_when_english_is_chosen(client, clock):
    html = post(client, lang="en", full_name="", content="Please tell me how long the registration takes here.")\
        .get_data(as_text=True)
    assert "Please enter your full name." in error_next_to(html, "full_name")
    assert "must be written in Vietnamese" in error_next_to(html, "content")


def test_attachments_are_checked_by_content_and_stored_under_a_generated_name(app, client, clock):
    response = post(client, files=[("quyet-dinh.pdf", PDF), ("anh chup.png", PNG)])
    assert response.status_code == 303
    rows = db.session.execute(select(Attachment).order_by(Attachment.id)).scalars().all()
    assert [(a.original_name, a.content_type, a.size) for a in rows] == [
        ("quyet-dinh.pdf", "application/pdf", len(PDF)), ("anh chup.png", "image/png", len(PNG))]
    folder = app.config["UPLOAD_DIR"]
    for row in rows:
        assert re.fullmatch(r"[0-9a-f]{32}\.(pdf|png)", row.stored_name)
        with open(f"{folder}/{row.stored_name}", "rb") as f:
            assert f.read() in (PDF, PNG)


def test_a_program_renamed_to_pdf_is_refused_and_nothing_is_stored(app, client, clock):
    html = post(client, files=[("hoa-don.pdf", EXE)]).get_data(as_text=True)
    assert "hoa-don.pdf không đúng định dạng cho phép" in error_next_to(html, "attachments")
    assert count(Feedback) == 0 and count(Attachment) == 0
    assert not os.path.exists(app.config["UPLOAD_DIR"]) or os.listdir(app.config["UPLOAD_DIR"]) == []


def test_an_image_named_as_a_pdf_is_refused(client, clock):
    html = post(client, files=[("scan.pdf", PNG)]).get_data(as_text=True)
    assert "scan.pdf không đúng định dạng cho phép" in error_next_to(html, "attachments")


def test_a_file_too_big_is_refused_with_a_message(app, client, clock):
    app.config["MAX_ATTACHMENT_BYTES"] = 1024
    html = post(client, files=[("lon.pdf", PDF + b"0" * 2000)]).get_data(as_text=True)
    assert "lon.pdf vượt quá dung lượng cho phép" in error_next_to(html, "attachments")
    assert count(Feedback) == 0


def test_too_many_files_are_refused(app, client, clock):
    app.config["MAX_ATTACHMENTS"] = 2
    html = post(client, files=[(f"{i}.pdf", PDF) for i in range(3)]).get_data(as_text=True)
    assert "tối đa 2 tệp" in error_next_to(html, "attachments")
    assert count(Feedback) == 0


def test_a_failing_commit_leaves_no_case_and_no_file(app, clock, monkeypatch):
    from feedback_app.services import submissions

    def disk_full():
        raise RuntimeError("disk full")
    monkeypatch.setattr(db.session, "commit", disk_full)
    with pytest.raises(RuntimeError):
        submissions.submit(submissions.Submission(full_name="Nguyễn Văn An", address="Quảng Ngãi", title="Tiêu đề",
                                                  content=VALID["content"], phone="0905123456"),
                           [submissions.CheckedFile("a.pdf", "pdf", "application/pdf", PDF)])
    monkeypatch.undo()
    assert count(Feedback) == 0 and count(Attachment) == 0
    assert os.listdir(app.config["UPLOAD_DIR"]) == []


def test_a_filled_honeypot_stores_nothing_and_gives_a_person_their_text_back_to_send_again(client, clock):
    """A bot fills the hidden field; so may a browser's autofill, for a person who must not lose what they typed."""
    response = post(client, website="http://spam.example")
    assert response.status_code == 400
    assert count(Feedback) == 0
    page = response.get_data(as_text=True)
    assert "Chưa gửi được phản ánh, kiến nghị." in page and VALID["content"] in page
    assert "spam.example" not in page  # the hidden field comes back empty
    assert post(client).status_code == 303 and count(Feedback) == 1  # sent again, the field empty


def test_the_rate_limit_stops_a_flood_from_one_address_but_not_corrections(app_with, clock):
    client = app_with(RATELIMIT_ENABLED=True, SUBMIT_RATE_LIMIT="2 per hour").test_client()
    assert post(client, full_name="").status_code == 422  # a correction does not count
    assert post(client).status_code == 303
    assert post(client, title="Một phản ánh khác về thời hạn giải quyết").status_code == 303
    refused = post(client, title="Phản ánh thứ ba về thời hạn giải quyết")
    assert refused.status_code == 429 and "Vui lòng gửi lại sau" in refused.get_data(as_text=True)
    api = client.post("/api/v1/feedback", json={**VALID, "consent_publish": True})
    assert api.status_code == 429  # the page and the API share one budget per address
    assert count(Feedback) == 2
    other_address = client.post("/gui-phan-anh", data=VALID, environ_base={"REMOTE_ADDR": "10.0.0.7"})
    assert other_address.status_code == 303


def test_a_shared_rate_limit_store_that_is_down_stops_nobody_and_still_limits(app_with, clock, caplog):
    """RATELIMIT_STORAGE_URI=redis://… unreachable: citizens still submit and staff still sign in (no 500);
    each process counts in its own memory meanwhile, so a flood is still held back."""
    app = app_with(RATELIMIT_ENABLED=True, SUBMIT_RATE_LIMIT="2 per hour", RATELIMIT_STORAGE_URI="redis://127.0.0.1:1")
    client = app.test_client()
    assert post(client).status_code == 303
    assert post(client, title="Một phản ánh khác về thời hạn giải quyết").status_code == 303
    assert post(client, title="Phản ánh thứ ba về thời hạn giải quyết").status_code == 429
    assert count(Feedback) == 2
    sign_in = client.post("/van-phong/dang-nhap", data={"email": "nobody@example.com", "password": "wrong-password"})
    assert sign_in.status_code in (200, 401, 422) and "Lỗi hệ thống" not in sign_in.get_data(as_text=True)


def from_address(client, address: str):
    client.environ_base["REMOTE_ADDR"] = address  # every request of this client comes from there
    return client


def test_the_addresses_of_one_ipv6_network_share_one_submission_budget(app_with, clock):
    """A line or host is given a whole IPv6 /64: its addresses are one sender, as for the sign-in."""
    app = app_with(RATELIMIT_ENABLED=True, SUBMIT_RATE_LIMIT="1 per hour")
    assert post(from_address(app.test_client(), "2001:db8:1:1::1")).status_code == 303
    same_network = from_address(app.test_client(), "2001:db8:1:1:ffff::2")
    assert post(same_network, title="Một phản ánh khác về thời hạn giải quyết").status_code == 429
    assert same_network.post("/api/v1/feedback", json={**VALID, "consent_publish": True}).status_code == 429
    other_network = from_address(app.test_client(), "2001:db8:1:2::1")
    assert post(other_network, title="Một phản ánh khác về thời hạn giải quyết").status_code == 303
    assert count(Feedback) == 2


def test_csrf_is_required_in_the_real_configuration(app_with, clock):
    client = app_with(WTF_CSRF_ENABLED=True).test_client()
    refused = post(client)
    assert refused.status_code == 400 and count(Feedback) == 0
    form = client.get("/gui-phan-anh").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    assert post(client, csrf_token=token).status_code == 303
    assert count(Feedback) == 1


def test_a_form_sent_after_its_session_was_lost_comes_back_with_what_was_typed_and_a_fresh_token(app_with, clock):
    """A phone's browser restoring a tab without its session cookie, a page left open for hours: the
    token no longer matches, and the form comes back whole (its file held) instead of a page that
    loses it; sent again with the page's new token, it is taken."""
    client = app_with(WTF_CSRF_ENABLED=True).test_client()
    refused = post(client, csrf_token="from-a-lost-session", title="Thời hạn đăng ký kết quả nhiệm vụ KH&CN",
                   files=[("quyet-dinh.pdf", PDF)])
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400 and count(Feedback) == 0
    assert "vẫn còn trên trang này" in re.search(r'<p id="form-alert">(.*?)</p>', html, re.S).group(1)
    assert 'value="Thời hạn đăng ký kết quả nhiệm vụ KH&amp;CN"' in html and "không sử dụng ngân sách nhà nước." in html
    assert list(held_ids(html)) == ["quyet-dinh.pdf"]
    fields = dict(re.findall(r'name="(csrf_token|submission_key|held_token)" type="hidden" value="([^"]*)"', html))
    again = client.post("/gui-phan-anh", data={**VALID, **fields}, content_type="multipart/form-data")
    assert again.status_code == 303 and count(Feedback) == 1
    assert [a.original_name for a in db.session.query(Attachment)] == ["quyet-dinh.pdf"]

    lookup = client.post("/tra-cuu", data={"code": "PAKN.20240304.0001", "contact": "0905123456"})
    assert lookup.status_code == 400 and 'value="PAKN.20240304.0001"' in lookup.get_data(as_text=True)
    rating = client.post("/tra-cuu/PAKN.20240304.0001/danh-gia", data={"rating-score": "5"})
    assert rating.status_code == 400 and "Trang đã hết hạn" in rating.get_data(as_text=True)


def test_a_rate_limited_form_also_says_what_to_correct(app_with, clock):
    client = app_with(RATELIMIT_ENABLED=True, SUBMIT_RATE_LIMIT="1 per hour").test_client()
    assert post(client).status_code == 303
    refused = post(client, email="khong-phai-thu", title="Phản ánh thứ hai về thời hạn giải quyết")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 429 and "Vui lòng gửi lại sau" in html
    assert "Địa chỉ thư điện tử không hợp lệ." in error_next_to(html, "email")


def test_phone_numbers_that_cannot_exist_and_names_without_letters_are_refused_at_their_fields(client, clock):
    for phone in ("090512345", "09051234567", "0123456789", "+8490512345"):  # 9 digits, 11 for a mobile, 01…
        assert "Số điện thoại không hợp lệ" in error_next_to(post(client, phone=phone).get_data(as_text=True), "phone")
    assert "Họ và tên phải có chữ cái." in error_next_to(post(client, full_name="12345").get_data(as_text=True),
                                                          "full_name")
    assert "Tiêu đề phải có chữ" in error_next_to(post(client, title="🚧🚧🚧🚧🚧").get_data(as_text=True), "title")
    for address in ("🏠🏠🏠🏠🏠", "12345 / 67"):
        assert "Địa chỉ phải có chữ" in error_next_to(post(client, address=address).get_data(as_text=True), "address")
    assert count(Feedback) == 0
    fixed_line = post(client, phone="0255 3822 123", full_name="Y Bhim Niê")
    assert fixed_line.status_code == 303 and db.session.query(Feedback.phone).scalar() == "02553822123"


def test_the_form_offers_a_phone_its_keyboards_and_saved_details_and_never_cuts_a_pasted_text(client, clock):
    html = client.get("/gui-phan-anh").get_data(as_text=True)
    for name, kind, autocomplete in (("phone", "tel", "tel"), ("email", "email", "email"),
                                     ("full_name", "text", "name"), ("address", "text", "street-address")):
        tag = re.search(rf'<input[^>]*\bname="{name}"[^>]*>', html).group(0)
        assert f'type="{kind}"' in tag and f'autocomplete="{autocomplete}"' in tag, tag
    content = re.search(r'<textarea[^>]*name="content"[^>]*>', html).group(0)
    assert "maxlength" not in content
    for name in ("full_name", "address", "title", "procedure"):
        assert "maxlength" not in re.search(rf'<input[^>]*\bname="{name}"[^>]*>', html).group(0), name
    too_long = post(client, content=VALID["content"] + " Thêm." * 2000).get_data(as_text=True)
    assert "Nội dung không được dài quá 10.000 ký tự." in error_next_to(too_long, "content")
    assert "Thêm. Thêm." in too_long and count(Feedback) == 0  # what was pasted comes back whole
    long_title = post(client, title="Thủ tục " * 40).get_data(as_text=True)
    assert "Tiêu đề phải có từ 5 đến 300 ký tự." in error_next_to(long_title, "title") and count(Feedback) == 0


def test_a_request_too_large_to_read_says_how_to_get_back_to_the_form_and_what_files_may_be(app_with, clock):
    client = app_with(MAX_CONTENT_LENGTH=64 * 1024).test_client()
    response = post(client, files=[("ban-chup.pdf", PDF + b"0" * 100_000)])
    html = response.get_data(as_text=True)
    assert response.status_code == 413 and count(Feedback) == 0
    assert "nút Quay lại (Back)" in html and "nội dung đã nhập vẫn còn" in html
    assert "Tối đa 5 tệp, mỗi tệp không quá 10 MB" in re.search(r'<p id="attachments-rule">(.*?)</p>', html).group(1)


def test_a_citizen_who_wrote_from_the_english_page_gets_an_english_line_in_each_mail(client, clock):
    assert post(client, lang="en").status_code == 303
    mail = db.session.execute(select(OutboxMail)).scalar_one()
    assert "In English: this message is in Vietnamese" in mail.body_text
    assert "/tra-cuu?code=PAKN.20240304.0001&lang=en" in mail.body_text
    assert post(client.application.test_client(), title="Một phản ánh khác từ trang tiếng Việt").status_code == 303
    vietnamese = db.session.execute(select(OutboxMail).order_by(OutboxMail.id.desc())).scalars().first()
    assert "In English" not in vietnamese.body_text


def sent_form_key(client) -> str:
    page = client.get("/gui-phan-anh").get_data(as_text=True)
    return re.search(r'<input id="submission_key" name="submission_key" type="hidden" value="([^"]+)">', page).group(1)


def test_the_form_sent_twice_makes_one_case_and_sent_again_changed_makes_a_new_one(client, clock):
    """A double click or a reload sends the same form twice: one case, one receipt mail, and both
    answers show its code. Back, change, send: the same form's key with other content is a new case."""
    key = sent_form_key(client)
    assert key != sent_form_key(client)  # one key per rendering of the page
    def shown_code() -> str:
        return re.findall(r"PAKN\.\d{8}\.\d{4}", client.get("/gui-phan-anh/da-gui").get_data(as_text=True))
    first = post(client, submission_key=key)
    code = shown_code()
    again = post(client, submission_key=key)
    assert (first.status_code, again.status_code) == (303, 303)
    assert code and shown_code() == code
    assert (count(Feedback), count(OutboxMail)) == (1, 1)
    changed = post(client, submission_key=key, title="Thời hạn cấp giấy chứng nhận đăng ký kết quả nhiệm vụ")
    assert changed.status_code == 303 and count(Feedback) == 2
    assert db.session.execute(select(Feedback.submission_key).order_by(Feedback.id)).scalars().all() == [key, None]
    assert post(client, submission_key="không hợp lệ").status_code == 303 and count(Feedback) == 3


def test_back_and_send_again_unchanged_on_a_fresh_form_makes_no_second_case(client, clock):
    """The browser fetched the form again (a new key) and kept what was typed: the same content from
    the same browser within the hour is the same submission; an hour later, or another browser, a new one."""
    first = post(client, submission_key=sent_form_key(client))
    code = re.findall(r"PAKN\.\d{8}\.\d{4}", client.get("/gui-phan-anh/da-gui").get_data(as_text=True))
    again = post(client, submission_key=sent_form_key(client))
    assert (first.status_code, again.status_code) == (303, 303) and count(Feedback) == 1
    assert re.findall(r"PAKN\.\d{8}\.\d{4}", client.get("/gui-phan-anh/da-gui").get_data(as_text=True)) == code
    other_browser = client.application.test_client()
    assert post(other_browser, submission_key=sent_form_key(other_browser)).status_code == 303
    assert count(Feedback) == 2
    clock.advance(hours=1, seconds=1)
    assert post(client, submission_key=sent_form_key(client)).status_code == 303 and count(Feedback) == 3


def test_the_form_sent_twice_or_an_api_retry_counts_once_against_the_rate_limit(app_with, clock):
    client = app_with(RATELIMIT_ENABLED=True, SUBMIT_RATE_LIMIT="2 per hour").test_client()
    key = sent_form_key(client)
    assert post(client, submission_key=key).status_code == 303
    assert post(client, submission_key=key).status_code == 303  # the double click: no second case, no count
    api_key = {"Idempotency-Key": "retry-1"}
    assert client.post("/api/v1/feedback", json={**VALID, "consent_publish": True}, headers=api_key).status_code == 201
    assert count(Feedback) == 2
    assert post(client, submission_key=sent_form_key(client),
                title="Một phản ánh khác về thời hạn giải quyết").status_code == 429  # two cases: the budget
    # the budget spent, a retry of a request that made a case still gets its receipt (a client that timed
    # out on it learns its code), by the API and by the form
    refused = client.post("/api/v1/feedback", json={**VALID, "title": "Một phản ánh khác nữa"})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0  # a program learns when
    replayed = client.post("/api/v1/feedback", json={**VALID, "consent_publish": True}, headers=api_key)
    assert replayed.status_code == 200 and replayed.headers["Idempotent-Replayed"] == "true"
    assert post(client, submission_key=key).status_code == 303
    assert count(Feedback) == 2
    # a used key with other content is no replay: it makes a case, so it is held back like any new one
    # (else one key that once made a case would open the limit for ever)
    other = post(client, submission_key=key, title="Một phản ánh thứ ba, nội dung khác hẳn")
    assert other.status_code == 429 and count(Feedback) == 2


# --- what the citizen sent is not lost when the form comes back -------------------------------------

def held_token(html: str) -> str:
    return re.search(r'<input id="held_token" name="held_token" type="hidden" value="([^"]*)">', html).group(1)


def held_ids(html: str) -> dict[str, str]:
    """The files the page says are attached, by name: the value of each one's "remove" box."""
    return dict(re.findall(r'<li>Đã đính kèm: (.+?) \(\d+ KB\)\s*<label class="choice"><input type="checkbox" '
                           r'name="remove_held" value="([0-9a-f]+)">', html))


def test_files_sent_with_a_form_that_came_back_are_named_and_attached_when_it_is_accepted(app, client, clock):
    refused = post(client, full_name="", files=[("quyet-dinh.pdf", PDF), ("anh chup.png", PNG)])
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and count(Feedback) == 0
    assert "Đã đính kèm: quyet-dinh.pdf (1 KB)" in html and "Đã đính kèm: anh chup.png (1 KB)" in html
    # corrected, sent without choosing the files again
    accepted = post(client, held_token=held_token(html))
    assert accepted.status_code == 303
    rows = db.session.execute(select(Attachment).order_by(Attachment.id)).scalars().all()
    assert [a.original_name for a in rows] == ["quyet-dinh.pdf", "anh chup.png"]
    for row, data in zip(rows, (PDF, PNG)):
        with open(os.path.join(app.config["UPLOAD_DIR"], row.stored_name), "rb") as f:
            assert f.read() == data
    assert not os.path.exists(os.path.join(app.config["UPLOAD_DIR"], "held", held_token(html)))  # released


def test_a_held_file_the_citizen_removes_is_not_attached_and_new_ones_count_with_the_held(app, client, clock):
    app.config["MAX_ATTACHMENTS"] = 2
    html = post(client, title="", files=[("bo.pdf", PDF), ("giu.png", PNG)]).get_data(as_text=True)
    token, ids = held_token(html), held_ids(html)
    assert set(ids) == {"bo.pdf", "giu.png"}
    too_many = post(client, title="", held_token=token, files=[("them.pdf", PDF)]).get_data(as_text=True)
    assert "tối đa 2 tệp" in error_next_to(too_many, "attachments")
    assert set(held_ids(too_many)) == {"bo.pdf", "giu.png"}  # the held ones stay
    response = post(client, held_token=token, remove_held=ids["bo.pdf"], files=[("them.pdf", PDF)])
    assert response.status_code == 303
    names = db.session.execute(select(Attachment.original_name).order_by(Attachment.id)).scalars().all()
    assert names == ["giu.png", "them.pdf"]


def test_a_refused_file_is_named_while_the_good_ones_are_held(client, clock):
    html = post(client, files=[("hoa-don.pdf", EXE), ("scan.png", PNG)]).get_data(as_text=True)
    assert "hoa-don.pdf không đúng định dạng cho phép" in error_next_to(html, "attachments")
    assert set(held_ids(html)) == {"scan.png"}
    assert post(client, held_token=held_token(html)).status_code == 303
    assert db.session.execute(select(Attachment.original_name)).scalars().all() == ["scan.png"]


@pytest.mark.parametrize("token", ["A" * 32, "../../" + "a" * 26, "không-phải-mã", ""])
def test_a_forged_or_unknown_hold_attaches_nothing(client, clock, token):
    post(client, full_name="", files=[("quyet-dinh.pdf", PDF)])  # someone's hold exists
    assert post(client, held_token=token).status_code == 303
    assert count(Feedback) == 1 and count(Attachment) == 0


def test_held_files_are_removed_after_some_hours_and_then_attach_nothing(app, client, clock):
    from feedback_app.services.held_uploads import sweep_held
    html = post(client, full_name="", files=[("quyet-dinh.pdf", PDF)]).get_data(as_text=True)
    folder = os.path.join(app.config["UPLOAD_DIR"], "held", held_token(html))
    clock.advance(hours=app.config["HELD_UPLOAD_HOURS"] - 1)
    assert sweep_held() == 0 and os.path.isdir(folder)
    clock.advance(hours=2)
    assert sweep_held() == 1 and not os.path.exists(folder)
    assert post(client, held_token=held_token(html)).status_code == 303 and count(Attachment) == 0


def test_holds_together_stay_under_their_limit(app, client, clock):
    app.config["HELD_UPLOADS_MAX_BYTES"] = len(PDF) + 10
    first = post(client, full_name="", files=[("mot.pdf", PDF)]).get_data(as_text=True)
    assert set(held_ids(first)) == {"mot.pdf"}
    second = post(client.application.test_client(), full_name="", files=[("hai.pdf", PDF)]).get_data(as_text=True)
    assert not held_ids(second) and "vui lòng chọn lại khi gửi" in error_next_to(second, "attachments")


def test_one_client_cannot_take_the_room_the_holds_leave_to_the_others(app, client, clock):
    """Forms sent again and again with files and an error from one address fill that address's share
    (HELD_UPLOADS_CLIENT_MAX_BYTES) only; another sender's files are still held."""
    pdf = PDF + b"%" * 10_000
    app.config["HELD_UPLOADS_CLIENT_MAX_BYTES"] = 2 * len(pdf) + 2_000  # with their manifests
    one = {"REMOTE_ADDR": "203.0.113.7"}
    for name in ("mot.pdf", "hai.pdf"):
        page = client.post("/gui-phan-anh", data={**VALID, "full_name": "", "attachments": [(io.BytesIO(pdf), name)]},
                           content_type="multipart/form-data", environ_base=one).get_data(as_text=True)
        assert set(held_ids(page)) == {name}
    third = client.post("/gui-phan-anh", data={**VALID, "full_name": "", "attachments": [(io.BytesIO(pdf), "ba.pdf")]},
                        content_type="multipart/form-data", environ_base=one).get_data(as_text=True)
    assert not held_ids(third) and "vui lòng chọn lại khi gửi" in error_next_to(third, "attachments")
    other = client.application.test_client().post(
        "/gui-phan-anh", data={**VALID, "full_name": "", "attachments": [(io.BytesIO(pdf), "bon.pdf")]},
        content_type="multipart/form-data", environ_base={"REMOTE_ADDR": "198.51.100.9"}).get_data(as_text=True)
    assert set(held_ids(other)) == {"bon.pdf"}


def test_a_rate_limited_form_comes_back_with_what_was_typed_and_when_to_send_again(app_with, clock):
    client = app_with(RATELIMIT_ENABLED=True, SUBMIT_RATE_LIMIT="1 per hour").test_client()
    assert post(client).status_code == 303
    refused = post(client, title="Phản ánh thứ hai về thời hạn giải quyết", files=[("quyet-dinh.pdf", PDF)])
    html = refused.get_data(as_text=True)
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 3601
    message = re.search(r'<p id="form-alert">(.*?)</p>', html, re.S).group(1)
    assert re.search(r"Vui lòng gửi lại sau \d\d/\d\d/\d{4} \d\d:\d\d \(khoảng (\d+) phút nữa\)", message)
    assert 'value="Phản ánh thứ hai về thời hạn giải quyết"' in html and 'value="Nguyễn Văn An"' in html
    assert "không sử dụng ngân sách nhà nước." in html
    assert "Đã đính kèm: quyet-dinh.pdf" in html
    assert count(Feedback) == 1
    api = client.post("/api/v1/feedback", json={**VALID, "consent_publish": True})
    assert api.status_code == 429 and api.is_json  # the API keeps its JSON answer
