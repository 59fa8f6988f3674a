"""The back office through its pages: sign-in and lockout, who sees which queue, the case page with
the actions the machine allows, unit isolation, drafts with attachments, publication of the masked
copy, stale forms, duplicates, and the administration of units and users."""
from __future__ import annotations

import html
import io
import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from feedback_app.extensions import db
from feedback_app.models import Attachment, Feedback, Transition, Unit, User
from feedback_app.services.cases import Submission, apply_event, receive

SUBMISSION = Submission(full_name="Nguyễn Văn An", address="Số 12 đường Lê Lợi, Quảng Ngãi", phone="0905123456",
                        email="an@example.com", title="Thời hạn giải quyết thủ tục đăng ký kết quả nhiệm vụ",
                        content="Tôi là Nguyễn Văn An, đề nghị cho biết thời hạn giải quyết thủ tục đăng ký kết "
                                "quả nhiệm vụ khoa học và công nghệ. Liên hệ 0905123456.",
                        consent_publish=True)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


HOME = {"office": "/van-phong/", "leader": "/van-phong/", "QLKH": "/don-vi/", "admin": "/quan-tri/nguoi-dung"}


def login(client, user, password="secret-pass"):
    return client.post("/van-phong/dang-nhap", data={"email": user.email, "password": password})


def text(response) -> str:
    return response.get_data(as_text=True)


def post_event(client, bp, case, event, version=None, **data):
    db.session.refresh(case)
    form = {f"{event}-{k}": v for k, v in data.items()}
    form[f"{event}-version"] = case.version if version is None else version
    return client.post(f"/{bp}/ho-so/{case.code}/su-kien/{event}", data=form, content_type="multipart/form-data")


def state_of(case) -> str:
    db.session.expire_all()
    return db.session.get(Feedback, case.id).state


def test_sign_in_sends_each_role_to_its_own_home(app, client, seeded):
    homes = {"office": "/van-phong/", "leader": "/van-phong/?tab=review", "QLKH": "/don-vi/",
             "admin": "/quan-tri/nguoi-dung"}
    for key, home in homes.items():
        response = login(client, seeded[key])
        assert response.status_code == 302 and response.headers["Location"] == home
        assert seeded[key].full_name in text(client.get(home))
        client.post("/van-phong/dang-xuat")
        assert client.get(home).status_code == 302  # signed out: back to the sign-in page


def test_five_wrong_passwords_lock_that_email_from_that_address_only_and_say_nothing_about_accounts(
        app, client, clock, seeded):
    from feedback_app.models import SignInFailure
    office = seeded["office"]
    response = login(client, office, "wrong-pass")
    assert response.status_code == 401 and "Thư điện tử hoặc mật khẩu không đúng" in text(response)
    for _ in range(4):
        response = login(client, office, "wrong-pass")
    assert response.status_code == 401 and "Đăng nhập sai quá nhiều lần" in text(response)
    assert login(client, office).status_code == 401  # the right password is refused from here while locked
    # ... but HCTH signs in from its own computer: nobody elsewhere can lock a member of staff out
    elsewhere = app.test_client()
    assert elsewhere.post("/van-phong/dang-nhap", data={"email": office.email, "password": "secret-pass"},
                          environ_base={"REMOTE_ADDR": "10.0.0.7"}).status_code == 302
    # an e-mail that is no account gets the same answers and the same lock: they tell no accounts apart
    nobody = [client.post("/van-phong/dang-nhap", data={"email": "khong-co@skhcn.example.gov.vn",
                                                         "password": "wrong-pass"}) for _ in range(6)]
    assert [r.status_code for r in nobody] == [401] * 6
    assert [("Đăng nhập sai quá nhiều lần" in text(r)) for r in nobody] == [False] * 4 + [True] * 2
    clock.advance(minutes=16)
    assert login(client, office).status_code == 302
    assert db.session.execute(select(func.count()).select_from(SignInFailure)
                              .where(SignInFailure.email == office.email)).scalar_one() == 0


def test_a_failed_sign_in_logs_an_accounts_address_but_not_what_else_was_typed(app, client, seeded, caplog):
    """What was typed reaches the log only when it is an account's address: people type other things there
    (a password, a private address)."""
    office = seeded["office"]
    with caplog.at_level("WARNING"):
        client.post("/van-phong/dang-nhap", data={"email": "matkhau2024@gmail.com", "password": "x"})
        client.post("/van-phong/dang-nhap", data={"email": office.email, "password": "wrong"})
    failed = [r.getMessage() for r in caplog.records if "failed sign-in" in r.getMessage()]
    assert len(failed) == 2 and "matkhau2024" not in " ".join(failed)
    assert "an address of no account" in failed[0] and repr(office.email) in failed[1]


def test_wrong_passwords_from_one_address_are_limited_whatever_the_email(app_with):
    from feedback_app.demo import seed
    app = app_with(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per hour", LOGIN_MAX_FAILURES=100)
    seed(0, "secret-pass", progress=lambda *_: None)
    office = db.session.execute(select(User).where(User.role == "office")).scalars().first()
    client = app.test_client()
    for i in range(3):
        assert client.post("/van-phong/dang-nhap", data={"email": f"nv{i}@example.com",
                                                         "password": "x"}).status_code == 401
    assert client.post("/van-phong/dang-nhap", data={"email": office.email,
                                                     "password": "secret-pass"}).status_code == 429
    other = app.test_client()  # another address is not held back
    assert other.post("/van-phong/dang-nhap", data={"email": office.email, "password": "secret-pass"},
                      environ_base={"REMOTE_ADDR": "10.0.0.8"}).status_code == 302


def test_signing_out_or_a_new_password_ends_every_session_a_copied_cookie_too(app, client, seeded):
    office, unit = seeded["office"], seeded["QLKH"]
    assert login(client, office).status_code == 302
    stolen = client.get_cookie("session").value
    assert client.post("/van-phong/dang-xuat").status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/van-phong/").status_code == 302  # to the sign-in page: the cookie is stale
    assert login(client, office).status_code == 302  # signing in again works

    other = app.test_client()
    assert login(other, unit).status_code == 302 and other.get("/don-vi/").status_code == 200
    admin = app.test_client()
    login(admin, seeded["admin"])
    changed = admin.post(f"/quan-tri/nguoi-dung/{unit.id}", data={
        "email": unit.email, "full_name": unit.full_name, "role": "unit", "unit": unit.unit.code,
        "title": unit.title or "", "active": "y", "password": "new-secret-pass"})
    assert changed.status_code == 302
    assert other.get("/don-vi/").status_code == 302  # the new password signed that browser out
    assert client.get("/van-phong/").status_code == 200  # nobody else's session moved


def test_passwords_are_stored_hashed_and_a_next_url_elsewhere_is_ignored(app, client, seeded):
    assert "secret-pass" not in seeded["office"].password_hash
    for target in ("//evil.example/x", "/%09/evil.example", "/%0A/evil.example", "/%5Cevil.example",
                   "https://evil.example/", "/%20/evil.example"):
        response = client.post(f"/van-phong/dang-nhap?next={target}",
                               data={"email": seeded["office"].email, "password": "secret-pass"})
        assert response.status_code == 302 and response.headers["Location"] == "/van-phong/", target
        client.post("/van-phong/dang-xuat")
    response = client.post("/van-phong/dang-nhap?next=/van-phong/qua-han%3Fpage%3D2",
                           data={"email": seeded["office"].email, "password": "secret-pass"})
    assert response.headers["Location"] == "/van-phong/qua-han?page=2"  # a path here is kept


def test_pages_are_closed_to_the_wrong_roles(app, client, seeded):
    assert client.get("/van-phong/").status_code == 302  # anonymous: to the sign-in page
    matrix = {"office": {"/van-phong/": 200, "/don-vi/": 403, "/quan-tri/don-vi": 403},
              "leader": {"/van-phong/": 200, "/don-vi/": 403, "/quan-tri/nguoi-dung": 403},
              "QLKH": {"/van-phong/": 403, "/don-vi/": 200, "/quan-tri/don-vi": 403},
              "admin": {"/van-phong/": 403, "/don-vi/": 403, "/quan-tri/don-vi": 200, "/quan-tri/nguoi-dung": 200}}
    for key, pages in matrix.items():
        login(client, seeded[key])
        got = {url: client.get(url).status_code for url in pages}
        assert got == pages, key
        client.post("/van-phong/dang-xuat")


def test_intake_queue_lists_new_cases_oldest_first_with_time_left_to_classify(app, client, clock, seeded):
    first = receive(SUBMISSION)
    clock.advance(days=1)
    second = receive(Submission(**{**SUBMISSION.__dict__, "title": "Học phí khóa đào tạo ISO"}))
    classified = receive(Submission(**{**SUBMISSION.__dict__, "title": "Đã phân loại rồi"}))
    apply_event(classified, "classify", seeded["office"], {"category": "TTHC"})
    clock.set("2024-03-12T09:00:00+07:00")  # first is due Mon 11 Mar: one working day late
    login(client, seeded["office"])
    page = text(client.get("/van-phong/"))
    assert page.index(first.code) < page.index(second.code)
    assert classified.code not in page
    assert "Quá hạn 1 ngày làm việc" in page and "Hết hạn hôm nay" in page
    assert classified.code in text(client.get("/van-phong/?tab=classified"))


def test_a_case_due_on_friday_is_overdue_on_the_saturday_after_not_due_today(app, client, clock, seeded):
    """No working day separates Saturday from the Friday due date (0 working days left), yet the date is gone."""
    clock.set("2024-03-08T09:00:00+07:00")
    case = receive(SUBMISSION)
    assert case.due_date == date(2024, 3, 15)
    clock.set("2024-03-16T09:00:00+07:00")
    login(client, seeded["office"])
    queue = client.get("/van-phong/").get_data(as_text=True)
    row = re.search(r'<tr([^>]*)>(?:(?!</tr>).)*' + re.escape(case.code) + r'.*?</tr>', queue, re.S)
    assert 'class="overdue"' in row.group(1) and "Quá hạn" in row.group(0) and "Hết hạn hôm nay" not in row.group(0)
    due = re.search(r'<dd id="due-date">(.*?)</dd>', client.get(f"/van-phong/ho-so/{case.code}").get_data(as_text=True),
                    re.S).group(1)
    assert "Quá hạn" in due and "Hết hạn hôm nay" not in due


def test_case_page_shows_what_the_citizen_sent_the_due_basis_and_only_the_allowed_actions(app, client, clock, seeded):
    case = receive(SUBMISSION)
    db.session.add(Attachment(feedback=case, kind="submission", original_name="to-trinh.pdf",
                              stored_name="abc123.pdf", content_type="application/pdf", size=len(PDF)))
    db.session.commit()
    uploads = Path(app.config["UPLOAD_DIR"])
    uploads.mkdir(parents=True, exist_ok=True)
    (uploads / "abc123.pdf").write_bytes(PDF)
    login(client, seeded["office"])
    page = text(client.get(f"/van-phong/ho-so/{case.code}"))
    for fact in ("Nguyễn Văn An", "0905123456", "an@example.com", "Điều 9.1d", "to-trinh.pdf",
                 '<span class="event">Tiếp nhận</span>', "Cổng thông tin điện tử"):
        assert fact in page
    forms = set(re.findall(r'id="form-(\w+)"', page))
    assert forms == {"request_info", "classify", "refuse", "transfer_out"}
    english = text(client.get(f"/van-phong/ho-so/{case.code}?lang=en"))
    assert "Decree 20/2008/NĐ-CP, Art 9.1d: classify and forward within 5 working days" in english
    # the actions read as actions ("Refuse"), the trail as what happened ("Refused")
    assert "<h3>Refuse</h3>" in english and 'value="Refuse"' in english and "<h3>Refused</h3>" not in english
    assert 'value="Request more information"' in english and 'value="Không tiếp nhận"' not in english
    client.get("/van-phong/?lang=vi")
    # the refusal form offers the legal reasons and tells where to go instead
    assert "Luật Khiếu nại" in page and 'value="complaint_or_denunciation"' in page
    download = client.get(re.search(r'href="(/van-phong/tep/\d+)"', page).group(1))
    assert download.status_code == 200 and download.data == PDF
    assert "to-trinh.pdf" in download.headers["Content-Disposition"]
    client.post("/van-phong/dang-xuat")
    assert client.get(download.request.path).status_code == 302  # not for the public
    login(client, seeded["QLKH"])
    assert client.get(download.request.path).status_code == 404  # not forwarded to this unit


def test_leader_sees_no_intake_actions_and_cannot_classify(app, client, seeded):
    case = receive(SUBMISSION)
    login(client, seeded["leader"])
    page = text(client.get(f"/van-phong/ho-so/{case.code}"))
    assert 'id="form-' not in page
    response = post_event(client, "van-phong", case, "classify", category="TTHC")
    assert response.status_code == 403 and state_of(case) == "received"


def test_office_classifies_and_forwards_through_the_forms_with_an_audit_row_each(app, client, seeded):
    case = receive(SUBMISSION)
    login(client, seeded["office"])
    response = post_event(client, "van-phong", case, "classify", category="TTHC", note="thủ tục")
    assert response.status_code == 302 and state_of(case) == "classified"
    response = post_event(client, "van-phong", case, "forward", unit="QLKH", note="Đề nghị trả lời")
    assert response.status_code == 302 and state_of(case) == "forwarded"
    rows = db.session.execute(select(Transition.event, Transition.actor_id)
                              .where(Transition.feedback_id == case.id).order_by(Transition.id)).all()
    assert rows == [("receive", None), ("classify", seeded["office"].id), ("forward", seeded["office"].id)]


def test_a_form_without_its_required_argument_is_shown_again_with_the_error(app, client, seeded):
    case = receive(SUBMISSION)
    login(client, seeded["office"])
    response = post_event(client, "van-phong", case, "refuse", reason="", note="x")
    assert response.status_code == 422 and "Vui lòng chọn lý do không tiếp nhận." in text(response)  # what to do
    response = post_event(client, "van-phong", case, "classify", category="NOPE")
    assert response.status_code == 422 and state_of(case) == "received"


def test_refusal_records_the_legal_reason_and_mails_where_to_go_instead(app, client, seeded):
    case = receive(SUBMISSION)
    login(client, seeded["office"])
    post_event(client, "van-phong", case, "refuse", reason="complaint_or_denunciation", note="Khiếu nại")
    assert state_of(case) == "refused"
    page = text(client.get(f"/van-phong/ho-so/{case.code}"))
    assert "Là khiếu nại, tố cáo" in page and "NĐ 20/2008/NĐ-CP, Điều 1" in page


def test_a_stale_form_changes_nothing_and_comes_back_as_typed(app, client, seeded):
    case = receive(SUBMISSION)
    old = case.version
    apply_event(case, "classify", seeded["office"], {"category": "TTHC"})
    login(client, seeded["office"])
    response = post_event(client, "van-phong", case, "forward", version=old, unit="QLKH", note="Ghi chú đã gõ")
    assert response.status_code == 409
    page = text(response)
    assert "Nội dung bạn vừa nhập vẫn còn trong biểu mẫu" in page and "Ghi chú đã gõ" in page
    assert state_of(case) == "classified"
    assert db.session.execute(select(func.count()).select_from(Transition)
                              .where(Transition.feedback_id == case.id)).scalar_one() == 2


def test_a_form_sent_twice_says_the_action_was_recorded_not_that_someone_else_changed_the_case(
        app, client, clock, seeded):
    case = receive(SUBMISSION)
    version = case.version
    login(client, seeded["office"])
    first = post_event(client, "van-phong", case, "classify", version=version, category="TTHC")
    again = post_event(client, "van-phong", case, "classify", version=version, category="TTHC")  # a double click
    assert (first.status_code, again.status_code) == (302, 302) and state_of(case) == "classified"
    page = text(client.get(again.headers["Location"]))
    assert "Thao tác này đã được ghi nhận (Phân loại, tiếp nhận, lúc 04/03/2024 09:00) theo lần gửi trước" in page
    assert "kể từ khi trang được mở" not in page and "người khác" not in page
    assert [t.event for t in db.session.get(Feedback, case.id).transitions] == ["receive", "classify"]
    # another change since the page was read (by the leader, or this user's other tab): reload
    stale = post_event(client, "van-phong", case, "refuse", version=version, reason="complaint_or_denunciation")
    page = text(client.get(stale.headers["Location"]))
    assert "đã được cập nhật kể từ khi trang được mở" in page and "đã được ghi nhận" not in page


def test_a_draft_saved_twice_says_it_was_saved_and_a_file_removed_twice_says_it_was_removed(
        app, client, clock, seeded):
    from deadline_helpers import sign_in
    case = forwarded(seeded)
    sign_in(client, seeded["QLKH"])
    version = case.version
    data = {"submit_draft-reply": "Dự thảo: thời hạn giải quyết là 30 ngày.", "submit_draft-version": version}
    client.post(f"/don-vi/ho-so/{case.code}/du-thao", data=dict(data))
    page = text(client.post(f"/don-vi/ho-so/{case.code}/du-thao", data=dict(data), follow_redirects=True))
    assert "Thao tác này đã được ghi nhận; biểu mẫu gửi lại không thay đổi gì thêm." in page
    changed = {**data, "submit_draft-reply": "Một dự thảo khác, viết ở thẻ khác."}
    page = text(client.post(f"/don-vi/ho-so/{case.code}/du-thao", data=changed, follow_redirects=True))
    assert "đã được cập nhật kể từ khi trang được mở" in page
    assert db.session.get(Feedback, case.id).reply_text == "Dự thảo: thời hạn giải quyết là 30 ngày."
    with_file = lambda: {"submit_draft-reply": "Dự thảo kèm tệp.", "submit_draft-version": version,  # noqa: E731
                         "submit_draft-attachments": (io.BytesIO(PDF), "nham.pdf")}
    version = db.session.get(Feedback, case.id).version
    for _ in range(2):  # with its file, sent twice (a double click, Back then save): the file is kept once
        page = text(client.post(f"/don-vi/ho-so/{case.code}/du-thao", content_type="multipart/form-data",
                                data=with_file(), follow_redirects=True))
    assert "Thao tác này đã được ghi nhận; biểu mẫu gửi lại không thay đổi gì thêm." in page
    (attachment,) = db.session.get(Feedback, case.id).attachments
    version = db.session.get(Feedback, case.id).version
    url = f"/don-vi/ho-so/{case.code}/du-thao/tep/{attachment.id}/xoa"
    client.post(url, data={"version": version})
    page = text(client.post(url, data={"version": version}, follow_redirects=True))
    assert "Thao tác này đã được ghi nhận; biểu mẫu gửi lại không thay đổi gì thêm." in page


def test_a_draft_sent_for_approval_twice_says_it_was_recorded(app, client, clock, seeded):
    """The second tab, or the form's data sent again: the state the first sending made must not be the
    refusal the second one reads."""
    from deadline_helpers import sign_in
    case = forwarded(seeded)
    sign_in(client, seeded["QLKH"])
    version = case.version
    first = post_event(client, "don-vi", case, "submit_draft", version=version, reply="Trả lời: thời hạn là 30 ngày.")
    again = post_event(client, "don-vi", case, "submit_draft", version=version, reply="Trả lời: thời hạn là 30 ngày.")
    assert (first.status_code, again.status_code) == (302, 302) and state_of(case) == "under_review"
    page = text(client.get(again.headers["Location"]))
    assert "Thao tác này đã được ghi nhận (Trình dự thảo" in page and "không cho phép" not in page
    assert [t.event for t in db.session.get(Feedback, case.id).transitions].count("submit_draft") == 1


def forwarded(seeded, unit="QLKH", submission=SUBMISSION):
    case = receive(submission)
    apply_event(case, "classify", seeded["office"], {"category": "TTHC"})
    apply_event(case, "forward", seeded["office"], {"unit": unit})
    return case


def test_a_unit_sees_only_its_own_cases_and_another_units_case_is_a_404(app, client, seeded):
    mine = forwarded(seeded, "QLKH")
    theirs = forwarded(seeded, "QLCN", Submission(**{**SUBMISSION.__dict__, "title": "Giấy phép X-quang"}))
    login(client, seeded["QLKH"])
    workspace = text(client.get("/don-vi/"))
    assert mine.code in workspace and theirs.code not in workspace
    assert client.get(f"/don-vi/ho-so/{theirs.code}").status_code == 404
    assert post_event(client, "don-vi", theirs, "submit_draft", reply="x").status_code == 404
    assert state_of(theirs) == "forwarded"
    page = text(client.get(f"/don-vi/ho-so/{mine.code}"))
    assert set(re.findall(r'id="form-(\w+)"', page)) == {"return_to_office", "submit_draft", "extend",
                                                         "collect_basis"}


def test_unit_workspace_lists_overdue_cases_first(app, client, clock, seeded):
    late = forwarded(seeded)
    clock.advance(days=14)
    fresh = forwarded(seeded, submission=Submission(**{**SUBMISSION.__dict__, "title": "Mới chuyển"}))
    clock.advance(days=14)  # late's 15 working days are over, fresh's are not
    login(client, seeded["QLKH"])
    page = text(client.get("/don-vi/"))
    assert page.index(late.code) < page.index(fresh.code)
    assert "Quá hạn" in page


def test_a_unit_saves_a_draft_with_an_attachment_then_submits_it(app, client, seeded):
    case = forwarded(seeded)
    login(client, seeded["QLKH"])
    db.session.refresh(case)
    response = client.post(f"/don-vi/ho-so/{case.code}/du-thao", content_type="multipart/form-data", data={
        "submit_draft-version": case.version, "submit_draft-reply": "Dự thảo: thời hạn là 10 ngày.",
        "submit_draft-attachments": [(io.BytesIO(PDF), "cong-van.pdf")]})
    assert response.status_code == 302 and state_of(case) == "forwarded"
    case = db.session.get(Feedback, case.id)
    assert case.reply_text.startswith("Dự thảo") and [a.kind for a in case.attachments] == ["reply"]
    page = text(client.get(f"/don-vi/ho-so/{case.code}"))
    assert "cong-van.pdf" in page and "Dự thảo: thời hạn là 10 ngày." in page
    draft_files = re.search(r'<input[^>]*name="submit_draft-attachments"[^>]*>', page).group(0)
    assert 'accept=".doc,.docx,.gif,.heic,.jpeg,.jpg,.ods,.odt,.pdf,.png,.rtf,.webp,.xls,.xlsx"' in draft_files
    assert "Tối đa 5 tệp, mỗi tệp không quá 10 MB: PDF, ảnh (JPG, PNG, GIF, WebP, HEIC)" in page  # the rule, told
    fake = client.post(f"/don-vi/ho-so/{case.code}/du-thao", content_type="multipart/form-data", data={
        "submit_draft-version": case.version, "submit_draft-reply": "Dự thảo có tệp lạ.",
        "submit_draft-attachments": [(io.BytesIO(b"MZ not a pdf"), "virus.pdf")]})
    # the page comes back with the reply as typed, the error at the files (nothing typed is lost)
    assert fake.status_code == 422 and "Tệp virus.pdf không đúng định dạng" in text(fake)
    assert re.search(r'<textarea[^>]*name="submit_draft-reply"[^>]*>\s*Dự thảo có tệp lạ\.</textarea>', text(fake))
    assert db.session.get(Feedback, case.id).reply_text == "Dự thảo: thời hạn là 10 ngày."
    response = post_event(client, "don-vi", case, "submit_draft", reply="Thời hạn là 10 ngày làm việc.")
    assert response.status_code == 302 and state_of(case) == "under_review"


def test_a_unit_returns_a_wrongly_forwarded_case_and_extends_once(app, client, seeded):
    case = forwarded(seeded)
    login(client, seeded["QLKH"])
    response = post_event(client, "don-vi", case, "extend", reason="x")  # would stand in the letter
    assert response.status_code == 422 and "ít nhất 10 ký tự" in text(response)
    assert db.session.get(Feedback, case.id).extension_count == 0 and not case.letters
    response = post_event(client, "don-vi", case, "extend", reason="Cần lấy ý kiến Sở Tài chính")
    assert response.status_code == 302
    case = db.session.get(Feedback, case.id)
    assert case.extension_count == 1 and len(case.letters) == 1
    response = post_event(client, "don-vi", case, "extend", reason="Gia hạn lần thứ hai")
    assert response.status_code == 409 and "một lần" in text(response)
    returned = post_event(client, "don-vi", case, "return_to_office", reason="Không thuộc lĩnh vực của phòng")
    assert state_of(case) == "classified"
    assert returned.headers["Location"] == "/don-vi/"  # the workspace, not the case it no longer sees
    assert client.get(f"/don-vi/ho-so/{case.code}").status_code == 404  # no longer the unit's
    # HCTH is told, by mail and on its list and the case page, who returned it and why
    from feedback_app.models import OutboxMail
    mail = db.session.execute(select(OutboxMail).where(OutboxMail.kind == "office_return_to_office")).scalars().all()
    assert mail and all(m.subject.startswith(f"Phòng Quản lý Khoa học trả lại phản ánh, kiến nghị {case.code}")
                        for m in mail)
    assert "hcth@skhcn.example.gov.vn" in {m.recipients for m in mail}
    assert "Không thuộc lĩnh vực của phòng" in mail[0].body_text and f"/van-phong/ho-so/{case.code}" in mail[0].body_text
    from deadline_helpers import sign_in
    sign_in(client, seeded["office"])
    row = re.search(rf"{re.escape(case.code)}</a>.*?</tr>", text(client.get("/van-phong/?tab=classified")), re.S)
    assert "Đơn vị trả lại" in row.group(0)
    page = text(client.get(f"/van-phong/ho-so/{case.code}"))
    card = re.search(r'<section class="card returned" aria-labelledby="h-handed-back".*?</section>', page, re.S).group(0)
    assert "Không thuộc lĩnh vực của phòng" in card and "Phòng Quản lý Khoa học" in card
    post_event(client, "van-phong", case, "forward", unit="QLCN")
    assert 'id="handed-back"' not in text(client.get(f"/van-phong/ho-so/{case.code}"))


def test_leader_requests_changes_then_approves(app, client, seeded):
    case = forwarded(seeded)
    apply_event(case, "submit_draft", seeded["QLKH"], {"reply": "Trả lời: thời hạn là 10 ngày."})
    login(client, seeded["leader"])
    assert case.code in text(client.get("/van-phong/?tab=review"))
    post_event(client, "van-phong", case, "request_changes", note="Ghi rõ căn cứ pháp lý")
    assert state_of(case) == "forwarded"
    apply_event(db.session.get(Feedback, case.id), "submit_draft", seeded["QLKH"], {"reply": "Theo QĐ 31/2021, trả lời"})
    post_event(client, "van-phong", case, "approve")
    assert state_of(case) == "answered"


def test_the_leader_extends_a_case_whose_draft_waits_for_approval(app, client, seeded):
    """NĐ 61/2018 Art 19.9: the letter goes at least a day before the due date from whoever holds the case;
    with the draft at the leader, the unit can no longer send it, so the leader does, from the case page."""
    case = forwarded(seeded)
    apply_event(case, "submit_draft", seeded["QLKH"], {"reply": "Trả lời: thời hạn là 10 ngày."})
    login(client, seeded["leader"])
    page = text(client.get(f"/van-phong/ho-so/{case.code}"))
    assert f'action="/van-phong/ho-so/{case.code}/su-kien/extend"' in page  # the form is offered
    response = post_event(client, "van-phong", case, "extend", reason="Cần lấy ý kiến Sở Tài chính về mức phí")
    assert response.status_code == 302
    case = db.session.get(Feedback, case.id)
    assert (case.state, case.extension_count, len(case.letters)) == ("under_review", 1, 1)
    assert case.letters[0].reason == "Cần lấy ý kiến Sở Tài chính về mức phí"


def test_office_publishes_exactly_the_masked_preview_it_reviewed(app, client, seeded):
    case = forwarded(seeded)
    apply_event(case, "submit_draft", seeded["QLKH"], {"reply": "Kính gửi ông Nguyễn Văn An, thời hạn là 10 ngày. "
                                                                 "Cán bộ phụ trách: chị Lê Thị Hoa."})
    apply_event(case, "approve", seeded["leader"])
    login(client, seeded["office"])
    page = text(client.get(f"/van-phong/ho-so/{case.code}"))
    form = re.search(r'<form[^>]+id="form-publish".*?</form>', page, re.S).group(0)
    assert "[đã ẩn]" in form and "0905123456" not in form and "Nguyễn Văn An" not in form
    answer = re.search(r'name="publish-answer"[^>]*>(.*?)</textarea>', form, re.S).group(1)
    answer = html.unescape(answer).strip().replace("thời hạn là 10 ngày", "thời hạn là [đã ẩn] ngày")
    response = post_event(client, "van-phong", case, "publish", title="Thời hạn giải quyết thủ tục",
                          question="Đề nghị cho biết thời hạn. Gọi 0905123456.", answer=answer)
    assert response.status_code == 302 and state_of(case) == "published"
    case = db.session.get(Feedback, case.id)
    assert case.public_question == "Đề nghị cho biết thời hạn. Gọi [đã ẩn]."  # masked once more on save
    assert "thời hạn là [đã ẩn] ngày" in case.public_answer
    client.post("/van-phong/dang-xuat")
    public = client.get(f"/api/v1/feedback/{case.code}").get_json()
    assert (public["title"], public["question"], public["answer"]) == (
        case.public_title, case.public_question, case.public_answer)
    assert "Nguyễn Văn An" not in str(public) and "an@example.com" not in str(public)


def test_publication_is_refused_when_the_citizen_did_not_agree(app, client, seeded):
    case = forwarded(seeded, submission=Submission(**{**SUBMISSION.__dict__, "consent_publish": False}))
    apply_event(case, "submit_draft", seeded["QLKH"], {"reply": "Trả lời: thời hạn là 10 ngày."})
    apply_event(case, "approve", seeded["leader"])
    login(client, seeded["office"])
    assert 'id="form-publish"' not in text(client.get(f"/van-phong/ho-so/{case.code}"))
    response = post_event(client, "van-phong", case, "publish", title="t", question="q", answer="a")
    assert response.status_code == 409 and state_of(case) == "answered"
    # nothing left to do: finished, not waiting for a publication that cannot come
    consented = forwarded(seeded)
    apply_event(consented, "submit_draft", seeded["QLKH"], {"reply": "Trả lời: thời hạn là 10 ngày."})
    apply_event(consented, "approve", seeded["leader"])
    to_publish, finished = text(client.get("/van-phong/?tab=answered")), text(client.get("/van-phong/?tab=closed"))
    assert consented.code in to_publish and case.code not in to_publish
    assert case.code in finished and consented.code not in finished


def test_a_reply_sent_after_the_session_ended_is_given_back_on_the_sign_in_page(app, client, seeded):
    """Signed out in another tab (or the session gone with the browser): the unit's reply is not lost on a
    redirect; the sign-in page shows it to copy back, and signing in goes back to the case page."""
    from deadline_helpers import sign_in
    case = forwarded(seeded)
    reply = "Dự thảo: thời hạn giải quyết thủ tục là 30 ngày kể từ ngày nhận đủ hồ sơ hợp lệ."
    sign_in(client, seeded["QLKH"])
    page_url = f"http://localhost/don-vi/ho-so/{case.code}"
    client.post("/van-phong/dang-xuat")  # the other tab
    response = client.post(f"/don-vi/ho-so/{case.code}/su-kien/submit_draft", headers={"Referer": page_url},
                           data={"submit_draft-reply": reply, "submit_draft-version": case.version})
    page = text(response)
    assert response.status_code == 401 and 'id="kept-text"' in page and reply in page
    assert f'action="/van-phong/dang-nhap?next=/don-vi/ho-so/{case.code}"' in page.replace("%2F", "/")
    assert state_of(case) == "forwarded"
    # the session gone with its cookie: the CSRF check fails first, and the text comes back all the same
    app.config["WTF_CSRF_ENABLED"] = True
    client.delete_cookie("session")
    expired = client.post(f"/don-vi/ho-so/{case.code}/su-kien/submit_draft", headers={"Referer": page_url},
                          data={"csrf_token": "the-page's-token", "submit_draft-reply": reply,
                                "submit_draft-version": case.version, "submit_draft-submit": "Trình dự thảo trả lời"})
    assert expired.status_code == 401 and reply in text(expired)
    assert "Trình dự thảo" not in re.search(r"<textarea readonly.*?</textarea>", text(expired), re.S).group(0)
    # another site's form, with a token of its choosing: refused as ever, its text never shown
    foreign = client.post(f"/don-vi/ho-so/{case.code}/su-kien/submit_draft",
                          headers={"Origin": "https://evil.example", "Referer": "https://evil.example/x"},
                          data={"csrf_token": "x", "submit_draft-reply": "Mật khẩu của bạn đã hết hạn, nhập lại ở dưới."})
    assert foreign.status_code == 400 and "Mật khẩu của bạn" not in text(foreign)


@pytest.mark.parametrize("role", ["office", "leader", "QLKH", "admin"])
def test_signing_out_ends_the_staff_menu_and_hcth_s_menu_has_its_notices(app, client, seeded, role):
    login(client, seeded[role])
    nav = re.search(r'<nav id="site-nav".*?</nav>', text(client.get(HOME[role])), re.S).group(0)
    items = re.findall(r"<li>(.*?)</li>", nav, re.S)
    assert "Đăng xuất" in items[-1] and not any("Đăng xuất" in item for item in items[:-1])
    assert ('href="/van-phong/thong-bao-nguoi-dan"' in nav) == (role == "office")


def test_the_finished_cases_come_newest_first(app, client, clock, seeded):
    """The list of finished cases grows for ever: what has just ended is on its first page."""
    older = receive(SUBMISSION)
    clock.advance(days=3)
    newer = receive(SUBMISSION)
    for case in (older, newer):
        apply_event(case, "refuse", seeded["office"], {"reason": "unclear_content", "note": "Không rõ"})
    login(client, seeded["office"])
    page = text(client.get("/van-phong/?tab=closed"))
    assert page.index(newer.code) < page.index(older.code) and "Mới tiếp nhận trước." in page


def test_likely_duplicates_are_suggested_and_a_case_is_linked_to_the_earlier_one(app, client, clock, seeded):
    earlier = receive(SUBMISSION)
    other = receive(Submission(**{**SUBMISSION.__dict__, "title": "Kiểm định cân tại chợ Thu Lộ",
                                  "content": "Nhiều cân ở chợ không có tem kiểm định."}))
    clock.advance(days=2)
    again = receive(Submission(**{**SUBMISSION.__dict__, "title": "Thoi han giai quyet thu tuc dang ky ket qua",
                                  "content": "De nghi cho biet thoi han giai quyet thu tuc dang ky ket qua "
                                             "nhiem vu khoa hoc va cong nghe."}))
    login(client, seeded["office"])
    page = text(client.get(f"/van-phong/ho-so/{again.code}"))
    similar = re.search(r'<ul id="similar">(.*?)</ul>', page, re.S).group(1)
    assert earlier.code in similar and other.code not in similar
    response = client.post(f"/van-phong/ho-so/{again.code}/trung-lap",
                           data={"duplicate_of": earlier.code, "version": again.version})
    assert response.status_code == 302
    again = db.session.get(Feedback, again.id)
    assert again.duplicate_of_id == earlier.id and again.state == "received"
    assert again.transitions[-1].event == "mark_duplicate" and earlier.code in again.transitions[-1].note
    response = client.post(f"/van-phong/ho-so/{earlier.code}/trung-lap",
                           data={"duplicate_of": again.code, "version": earlier.version})
    assert response.status_code == 422 and "nhận trước" in text(response)
    assert re.search(rf'name="duplicate_of"[^>]*value="{again.code}"', text(response))  # as typed, not the proposal
    response = client.post(f"/van-phong/ho-so/{earlier.code}/trung-lap",
                           data={"duplicate_of": earlier.code, "version": earlier.version})
    assert response.status_code == 422 and "mã của chính phản ánh, kiến nghị này" in text(response)
    assert db.session.get(Feedback, earlier.id).duplicate_of_id is None
    response = client.post(f"/van-phong/ho-so/{other.code}/trung-lap", data={"duplicate_of": earlier.code})
    assert response.status_code == 422 and "Vui lòng nhập mã" in text(response)  # no version: nothing done
    assert db.session.get(Feedback, other.id).duplicate_of_id is None


def test_likely_duplicates_rank_by_subject_not_by_the_words_every_letter_shares(app, client, clock, seeded):
    from feedback_app.services.staff import words
    """Two letters about different matters share the petition's formulas ("Tôi đề nghị Sở cho biết", "thủ
    tục", "hồ sơ"); those do not count, so the X-ray licence ranks first."""
    def sent(title: str, content: str):
        return receive(Submission(**{**SUBMISSION.__dict__, "title": title, "content": content}))
    x_ray = sent("Thủ tục cấp giấy phép sử dụng thiết bị X-quang y tế",
                 "Phòng khám tư nhân của chúng tôi cần biết hồ sơ và thời hạn cấp giấy phép tiến hành công việc "
                 "bức xạ đối với thiết bị X-quang chẩn đoán y tế.")
    sent("Thời hạn giải quyết thủ tục đăng ký kết quả nhiệm vụ khoa học và công nghệ",
                          "Tôi đề nghị Sở cho biết thời hạn giải quyết thủ tục đăng ký kết quả thực hiện nhiệm vụ "
                          "khoa học và công nghệ không sử dụng ngân sách nhà nước, vì hồ sơ nộp đã lâu mà chưa có "
                          "kết quả.")
    unrelated = sent("Kiểm định cân tại chợ Thu Lộ", "Nhiều cân tại chợ Thu Lộ không có tem kiểm định, người mua "
                                                    "bị thiếu cân. Đề nghị Chi cục kiểm tra.")
    clock.advance(days=2)
    again = sent("Thủ tục cấp phép X-quang quá chậm",
                 "Tôi là Nguyễn Thị Mai. Hồ sơ xin cấp giấy phép X-quang của phòng khám nộp từ tháng trước nhưng "
                 "chưa có kết quả. Đề nghị Sở cho biết lý do và thời hạn giải quyết.")
    login(client, seeded["office"])
    similar = re.search(r'<ul id="similar">(.*?)</ul>', text(client.get(f"/van-phong/ho-so/{again.code}")), re.S)
    listed = re.findall(r"PAKN\.\d{8}\.\d{4}", similar.group(1))
    assert listed[0] == x_ray.code and unrelated.code not in listed, listed
    # the common words are told apart by their marks: "đăng ký", "đo lường", "chợ" are what a letter is about
    assert words("Vi phạm đo lường tại chợ, đăng ký sở hữu") == {"vi", "pham", "do", "luong", "cho", "dang", "ky",
                                                                  "huu"}


def test_after_classification_the_duplicate_card_keeps_its_form_but_claims_no_verdict(app, client, clock, seeded):
    """Similar cases are looked for at intake only: later the card must not say that none was found."""
    earlier = receive(SUBMISSION)
    again = receive(SUBMISSION)
    login(client, seeded["office"])
    intake = text(client.get(f"/van-phong/ho-so/{again.code}"))
    assert earlier.code in re.search(r'<ul id="similar">(.*?)</ul>', intake, re.S).group(1)
    apply_event(again, "classify", seeded["office"], {"category": "SHTT"})
    page = text(client.get(f"/van-phong/ho-so/{again.code}"))
    card = page[page.index('id="h-dup"'):]
    card = card[:card.index("</section>")]
    assert "Không thấy phản ánh, kiến nghị tương tự" not in card and 'id="similar"' not in card
    assert 'name="duplicate_of"' in card  # HCTH may still link it to an earlier case


@pytest.mark.parametrize("typed", ["pakn.20240304.0001", " PAKN.20240304.0001 ", "Pakn. 20240304. 0001",
                                   "PAKN.20240304.0001\u00a0"])
def test_a_duplicate_is_linked_whatever_the_case_and_spaces_of_the_code_typed(app, client, clock, seeded, typed):
    earlier = receive(SUBMISSION)
    assert earlier.code == "PAKN.20240304.0001"
    again = receive(SUBMISSION)
    login(client, seeded["office"])
    response = client.post(f"/van-phong/ho-so/{again.code}/trung-lap", data={"duplicate_of": typed,
                                                                            "version": again.version})
    assert "Đã đánh dấu trùng với PAKN.20240304.0001." in text(client.get(response.headers["Location"]))
    assert db.session.get(Feedback, again.id).duplicate_of_id == earlier.id


def test_admin_creates_edits_and_deactivates_units_and_users(app, client, seeded):
    login(client, seeded["admin"])
    response = client.post("/quan-tri/don-vi/moi", data={"code": "ktt", "name": "Phòng Kế hoạch - Tài chính",
                                                         "email": "ktt@example.gov.vn", "active": "y"})
    assert response.status_code == 302
    unit = db.session.execute(select(Unit).where(Unit.code == "KTT")).scalar_one()
    assert unit.active
    response = client.post("/quan-tri/don-vi/moi", data={"code": "KTT", "name": "Trùng mã", "active": "y"})
    assert response.status_code == 422 and "đã tồn tại" in text(response)
    response = client.post("/quan-tri/nguoi-dung/moi", data={
        "email": "ktt@skhcn.example.gov.vn", "full_name": "Ngô Văn Tài", "role": "unit", "unit": "KTT",
        "password": "mat-khau-moi", "active": "y"})
    assert response.status_code == 302
    user = db.session.execute(select(User).where(User.email == "ktt@skhcn.example.gov.vn")).scalar_one()
    assert user.unit.code == "KTT" and user.check_password("mat-khau-moi")
    response = client.post("/quan-tri/nguoi-dung/moi", data={
        "email": "x@skhcn.example.gov.vn", "full_name": "X", "role": "unit", "unit": "", "password": "12345678"})
    assert response.status_code == 422 and "phải thuộc một đơn vị" in text(response)
    response = client.post(f"/quan-tri/nguoi-dung/{user.id}", data={
        "email": user.email, "full_name": "Ngô Văn Tài", "role": "unit", "unit": "KTT", "password": ""})
    assert response.status_code == 302  # "active" unchecked: deactivated
    db.session.refresh(user)
    assert not user.active and user.check_password("mat-khau-moi")
    client.post("/van-phong/dang-xuat")
    assert login(client, user, "mat-khau-moi").status_code == 401
    login(client, seeded["admin"])
    response = client.post(f"/quan-tri/don-vi/{unit.id}", data={"code": "KTT", "name": unit.name})
    assert response.status_code == 302 and not db.session.get(Unit, unit.id).active


def test_a_unit_with_open_cases_cannot_be_deactivated(app, client, seeded):
    forwarded(seeded)
    login(client, seeded["admin"])
    unit = db.session.execute(select(Unit).where(Unit.code == "QLKH")).scalar_one()
    response = client.post(f"/quan-tri/don-vi/{unit.id}", data={"code": "QLKH", "name": unit.name})
    assert response.status_code == 422 and db.session.get(Unit, unit.id).active


def test_users_command_creates_an_account_and_prints_a_token_stored_only_as_its_hash(app, seeded):
    from feedback_app.auth import token_hash
    from feedback_app.models import ApiToken
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "moi@skhcn.example.gov.vn", "--role", "unit", "--unit", "tdc",
                                 "--name", "Cán bộ mới", "--password", "mat-khau-dai"])
    assert result.exit_code == 0, result.output
    user = db.session.execute(select(User).where(User.email == "moi@skhcn.example.gov.vn")).scalar_one()
    assert user.unit.code == "TDC" and user.check_password("mat-khau-dai")
    result = runner.invoke(args=["users", "create", "bad@skhcn.example.gov.vn", "--role", "unit"])
    assert result.exit_code != 0 and "phải thuộc một đơn vị" in result.output
    result = runner.invoke(args=["users", "token", "moi@skhcn.example.gov.vn"])
    token = result.output.strip()
    assert result.exit_code == 0 and len(token) >= 32
    stored = db.session.execute(select(ApiToken.token_hash).where(ApiToken.user_id == user.id)).scalar_one()
    assert stored == token_hash(token) and token not in stored


def test_pages_switch_to_english(app, client, seeded):
    from flask_babel import refresh
    case = receive(SUBMISSION)
    refresh()  # the test's app context outlives requests: forget the locale the receipt mail used
    login(client, seeded["office"])
    page = text(client.get("/van-phong/?lang=en"))
    assert "Intake and classification" in page and "Tiếp nhận, phân loại" not in page
    page = text(client.get(f"/van-phong/ho-so/{case.code}"))
    assert "Classify (accept)" in page and "complaint or a denunciation" in page and "Audit trail" in page


def test_with_csrf_protection_on_the_forms_still_work_and_a_forged_post_is_refused(app, client, seeded):
    app.config["WTF_CSRF_ENABLED"] = True
    case = receive(SUBMISSION)
    page = text(client.get("/van-phong/dang-nhap"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/van-phong/dang-nhap", data={"email": seeded["office"].email,
                                                         "password": "secret-pass", "csrf_token": token})
    assert response.status_code == 302
    page = text(client.get(f"/van-phong/ho-so/{case.code}"))
    token = re.search(r'name="classify-csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    forged = client.post(f"/van-phong/ho-so/{case.code}/su-kien/classify",
                         data={"classify-category": "TTHC", "classify-version": case.version})
    assert forged.status_code == 400 and state_of(case) == "received"
    response = client.post(f"/van-phong/ho-so/{case.code}/su-kien/classify", data={
        "classify-category": "TTHC", "classify-version": case.version, "classify-csrf_token": token})
    assert response.status_code == 302 and state_of(case) == "classified"


def test_a_staff_form_refuses_control_characters_at_the_field_and_keeps_line_breaks(app, client, clock, seeded):
    case = receive(SUBMISSION)
    login(client, seeded["office"])
    response = post_event(client, "van-phong", case, "transfer_out", agency="Sở Y tế\x00", note="Thẩm quyền")
    assert response.status_code == 422 and state_of(case) == "received"
    assert ('<a href="#transfer_out-agency">Cơ quan có thẩm quyền</a>: '
            'Có ký tự không hợp lệ (ký tự điều khiển); vui lòng nhập lại.') in text(response)
    response = post_event(client, "van-phong", case, "transfer_out", agency="Sở Y tế", note="Thẩm quyền:\r\n\tSở Y tế")
    assert response.status_code == 302 and state_of(case) == "transferred"


def test_a_case_forms_unreadable_version_has_a_vietnamese_message(app, client, clock, seeded):
    from werkzeug.datastructures import MultiDict
    from feedback_app.office.forms import event_form
    case = receive(SUBMISSION)
    with app.test_request_context(headers={"Accept-Language": "vi"}):
        form = event_form("classify", case, formdata=MultiDict({"classify-version": "abc", "classify-category": "SHTT"}))
        assert not form.validate()
        assert [str(e) for e in form.version.errors] == ["Phiên bản của hồ sơ không hợp lệ; vui lòng tải lại trang."]
        form = event_form("classify", case, formdata=MultiDict({"classify-category": "SHTT"}))
        assert not form.validate()
        assert [str(e) for e in form.version.errors] == ["Thiếu phiên bản của hồ sơ; vui lòng tải lại trang."]
    login(client, seeded["office"])
    response = post_event(client, "van-phong", case, "classify", version="abc", category="SHTT")
    assert response.status_code == 422 and state_of(case) == "received"
    assert "Not a valid integer value" not in text(response)


def test_a_units_workspace_page_beyond_the_last_goes_to_the_last_page(app, client, clock, seeded):
    from deadline_helpers import forwarded_case, sign_in
    made = [forwarded_case(seeded), forwarded_case(seeded)]
    sign_in(client, seeded["QLKH"])
    response = client.get("/don-vi/?page=2")
    assert response.status_code == 302 and response.headers["Location"] == "/don-vi/"
    page = text(client.get(response.headers["Location"]))
    assert "Tổng số: 2" in page and all(case.code in page for case in made)
    assert "Đơn vị chưa có phản ánh, kiến nghị nào cần xử lý" not in page
    app.config["PER_PAGE"] = 1
    response = client.get("/don-vi/?page=7")
    assert response.status_code == 302 and response.headers["Location"] == "/don-vi/?page=2"
    page = text(client.get(response.headers["Location"]))
    assert "Trang 2 / 2" in page and sum(case.code in page for case in made) == 1
    assert client.get("/don-vi/?page=2").status_code == 200
    sign_in(client, seeded["QLCN"])  # a unit without cases: page 1 says so
    response = client.get("/don-vi/?page=2")
    assert response.status_code == 302 and response.headers["Location"] == "/don-vi/"
    assert "Đơn vị chưa có phản ánh, kiến nghị nào cần xử lý" in text(client.get("/don-vi/"))


def test_wrong_passwords_sent_at_the_same_instant_are_each_counted(app, clock, seeded):
    from feedback_app.models import SignInFailure
    from feedback_app.services.accounts import authenticate
    from tests.deadline_helpers import in_parallel
    email = seeded["office"].email
    answers = in_parallel(app, lambda: authenticate(email, "wrong-pass", "198.51.100.7").error, n=5)
    assert len(answers) == 5
    db.session.expire_all()
    (row,) = db.session.execute(select(SignInFailure)).scalars().all()
    assert row.failures == 5 and row.locked_until is not None  # five at once lock as five in a row do
    assert authenticate(email, "secret-pass", "198.51.100.7").user is None


def test_the_sign_in_limits_count_an_ipv6_network_not_each_of_its_addresses():
    from feedback_app.services.accounts import client_key
    assert client_key("2001:db8:1:2::a") == client_key("2001:db8:1:2:ffff::1") == "2001:db8:1:2::/64"
    assert client_key("2001:db8:1:3::a") != client_key("2001:db8:1:2::a")
    # a dual-stack socket's IPv4-mapped address is its IPv4 client, not one /64 for every IPv4 client
    assert client_key("::ffff:203.0.113.5") == "203.0.113.5" != client_key("::ffff:203.0.113.6")
    assert client_key("198.51.100.7") == "198.51.100.7" and client_key(None) == "unknown"


def test_a_page_refused_to_a_member_of_staff_leads_back_to_their_own_work(app, client, seeded):
    login(client, seeded["QLKH"])
    refused = client.get("/van-phong/so-tiep-nhan")
    assert refused.status_code == 403
    assert '<a href="/don-vi/">Về trang làm việc</a>' in text(refused)
    client.post("/van-phong/dang-xuat")
    assert 'Về trang chủ' in text(client.get("/khong-co-trang-nay"))


def test_many_wrong_passwords_for_one_account_from_many_addresses_alert_its_owner_and_the_admins(app, clock, seeded):
    from feedback_app.models import OutboxMail
    from feedback_app.services.accounts import authenticate
    office, admin = seeded["office"], seeded["admin"]
    for i in range(4):  # 4 addresses x 5 tries: each address locked, the account never
        for _ in range(5):
            authenticate(office.email, "wrong-pass", f"198.51.100.{i}")
    (alert,) = db.session.execute(select(OutboxMail).where(OutboxMail.kind == "sign_in_alert")).scalars().all()
    assert alert.recipients == f"{office.email}, {admin.email}"
    assert "20 lần nhập sai mật khẩu" in alert.body_text and "từ 4 địa chỉ mạng" in alert.body_text
    assert authenticate(office.email, "secret-pass", "203.0.113.9").user == office  # the owner still signs in
    for _ in range(3):
        authenticate(office.email, "wrong-pass", "198.51.100.200")
    authenticate("khong-co@skhcn.example.gov.vn", "x", "198.51.100.1")
    assert db.session.execute(select(func.count()).select_from(OutboxMail)
                              .where(OutboxMail.kind == "sign_in_alert")).scalar_one() == 1  # once an hour


def test_wtforms_own_messages_are_in_vietnamese_on_vietnamese_pages_and_in_english_on_english_ones(
        app, client, seeded):
    """WTForms ships no Vietnamese: a value it refuses itself (a choice not offered, an unreadable
    date) was explained in English on a Vietnamese page."""
    case = receive(SUBMISSION)
    login(client, seeded["office"])
    response = post_event(client, "van-phong", case, "classify", category="TTHC", subject="NOPE")
    assert response.status_code == 422
    assert "Lựa chọn không hợp lệ; vui lòng chọn một mục trong danh sách." in text(response)
    assert "Not a valid choice" not in text(response)
    # a field not offered is the service's to refuse, in its own words (a field switched off says so)
    unknown = post_event(client, "van-phong", case, "classify", category="NOPE", subject="regulation")
    assert unknown.status_code == 422 and "Không có lĩnh vực phân loại này." in text(unknown)
    client.get("/van-phong/?lang=en")
    response = post_event(client, "van-phong", case, "classify", category="TTHC", subject="NOPE")
    assert response.status_code == 422 and "Not a valid choice." in text(response)
    assert "Lựa chọn không hợp lệ" not in text(response)
    from deadline_helpers import sign_in
    case = forwarded(seeded)
    sign_in(client, seeded["QLKH"])
    client.get("/don-vi/?lang=vi")
    response = post_event(client, "don-vi", case, "extend", reason="Cần lấy ý kiến Sở Tài chính", new_date="31/02")
    assert response.status_code == 422 and "Ngày không hợp lệ." in text(response)
    assert "Not a valid date value" not in text(response) and db.session.get(Feedback, case.id).extension_count == 0


def test_a_form_with_a_missing_or_stale_csrf_token_says_to_reload_the_page_in_the_pages_language(app, client, seeded):
    from deadline_helpers import sign_in
    app.config["WTF_CSRF_ENABLED"] = True
    case = receive(SUBMISSION)
    sign_in(client, seeded["office"])
    client.get(f"/van-phong/ho-so/{case.code}")
    response = post_event(client, "van-phong", case, "classify", category="TTHC", csrf_token="stale")
    assert response.status_code == 400 and state_of(case) == "received"
    assert "Trang đã hết hạn" in text(response) and "Vui lòng tải lại trang rồi gửi lại." in text(response)
    assert "CSRF" not in text(response)
    client.get(f"/van-phong/ho-so/{case.code}?lang=en")
    response = post_event(client, "van-phong", case, "classify", category="TTHC")
    assert response.status_code == 400 and "The page has expired" in text(response)
    assert state_of(case) == "received"


def test_reloading_the_page_an_action_form_came_back_on_leads_to_the_case_page(app, client, seeded):
    case = receive(SUBMISSION)
    login(client, seeded["office"])
    assert post_event(client, "van-phong", case, "request_info", missing="").status_code == 422
    reload = client.get(f"/van-phong/ho-so/{case.code}/su-kien/request_info")  # the address bar's URL
    assert reload.status_code == 303 and reload.headers["Location"].endswith(f"/van-phong/ho-so/{case.code}")
    assert state_of(case) == "received"


def test_only_a_close_match_is_proposed_as_the_duplicate(app, client, seeded):
    from feedback_app.services.staff import Similar
    earlier, case = receive(SUBMISSION), receive(SUBMISSION)
    login(client, seeded["office"])
    page = text(client.get(f"/van-phong/ho-so/{case.code}"))
    assert f'value="{earlier.code}"' in page  # the same words: proposed
    assert not Similar(earlier, 0.3).strong and Similar(earlier, 0.5).strong
    weak = receive(Submission(full_name="Trần Thị Bình", address="Số 3 đường Hùng Vương", phone="0905999888",
                              title="Thời hạn giải quyết thủ tục cấp giấy phép tiến hành công việc bức xạ",
                              content="Đề nghị cho biết thời hạn giải quyết thủ tục cấp giấy phép tiến hành công việc "
                                      "bức xạ y tế và hồ sơ cần nộp."))
    page = text(client.get(f"/van-phong/ho-so/{weak.code}"))
    listed = re.search(r'<ul id="similar">(.*?)</ul>', page, re.S)
    field = re.search(r'<input[^>]*name="duplicate_of"[^>]*>', page)
    assert field and 'value="PAKN' not in field.group(0), (listed.group(1) if listed else None)


def test_a_reload_or_the_language_link_on_a_form_that_came_back_leads_to_the_forms_page(app, client, seeded):
    """A form that came back with its errors leaves the browser on its POST-only URL."""
    case = forwarded(seeded)
    login(client, seeded["QLKH"])
    response = client.get(f"/don-vi/ho-so/{case.code}/du-thao?lang=en")
    assert response.status_code == 303 and response.headers["Location"] == f"/don-vi/ho-so/{case.code}?lang=en"
    login(client, seeded["admin"])
    response = client.get("/quan-tri/lich-lam-viec/7/xoa")
    assert response.status_code == 303 and response.headers["Location"] == "/quan-tri/lich-lam-viec"
    # a machine's wrong method keeps its answer
    assert client.get("/api/v1/feedback/PAKN.20240304.0001/events/archive").status_code == 405
