"""The public JSON API: POST /api/v1/feedback with the portal's rules, and what GET shows without a token."""
from __future__ import annotations

from sqlalchemy import func, select

from feedback_app.extensions import db
from feedback_app.models import Feedback

BODY = {"full_name": "Nguyễn Văn An", "address": "Số 12 đường Lê Lợi, Quảng Ngãi", "phone": "0905123456",
        "email": "an@example.com", "title": "Thời hạn giải quyết thủ tục",
        "content": "Đề nghị cho biết thời hạn giải quyết thủ tục đăng ký kết quả nhiệm vụ khoa học và công nghệ.",
        "procedure": "Đăng ký kết quả nhiệm vụ KH&CN"}


def cases() -> int:
    return db.session.execute(select(func.count()).select_from(Feedback)).scalar_one()


def test_a_valid_json_submission_answers_201_with_code_and_classify_date(client, clock):
    clock.set("2024-02-07T10:00:00+07:00")
    response = client.post("/api/v1/feedback", json=BODY)
    assert response.status_code == 201
    assert response.json == {"code": "PAKN.20240207.0001", "state": "received",
                             "received_at": "2024-02-07T03:00:00+00:00", "due_date": "2024-02-21"}
    case = db.session.execute(select(Feedback)).scalar_one()
    assert (case.channel, case.procedure, case.consent_publish) == ("api", "Đăng ký kết quả nhiệm vụ KH&CN", False)


def test_bad_fields_answer_422_with_a_message_per_field(client, clock):
    response = client.post("/api/v1/feedback", json={**BODY, "full_name": "", "phone": "123", "email": None,
                                                     "content": "Please answer my question in English, thanks a lot."})
    assert response.status_code == 422
    errors = response.json["errors"]
    assert set(errors) == {"full_name", "phone", "content"}
    assert errors["full_name"] == "Vui lòng nhập họ và tên."
    assert "tiếng Việt" in errors["content"]
    english = client.post("/api/v1/feedback?lang=en", json={**BODY, "phone": None, "email": None})
    assert "phone number or an e-mail address" in english.json["errors"]["phone"]
    wrong_types = client.post("/api/v1/feedback", json={**BODY, "title": 12, "consent_publish": "yes"})
    assert wrong_types.status_code == 422 and set(wrong_types.json["errors"]) == {"title", "consent_publish"}
    assert cases() == 0



def test_a_key_that_is_no_field_answers_422_naming_it_and_makes_no_case(client, clock):
    response = client.post("/api/v1/feedback", json={**BODY, "consent": True, "procedure_name": "Đăng ký",
                                                     "attachments": ["giay-phep.pdf"]})
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"consent", "procedure_name", "attachments"}
    assert "consent_publish" in response.json["errors"]["consent"]  # the fields it could have meant
    assert cases() == 0
    spec = client.get("/api/v1/openapi.json").json
    assert spec["components"]["schemas"]["NewFeedback"]["additionalProperties"] is False



def test_a_body_too_large_answers_413_in_words_for_a_program_not_for_a_browser(app_with, clock):
    client = app_with(MAX_CONTENT_LENGTH=4 * 1024).test_client()
    response = client.post("/api/v1/feedback", json={**BODY, "content": "Nội dung dài. " * 1000})
    assert response.status_code == 413 and response.is_json and cases() == 0
    message = response.json["message"]
    assert "gửi lại với nội dung nhỏ hơn" in message and "không có gì được lưu" in message
    assert "trình duyệt" not in message and "Quay lại" not in message
    english = client.post("/api/v1/feedback?lang=en", json={**BODY, "content": "Nội dung dài. " * 1000})
    assert "browser" not in english.json["message"] and "again with a smaller body" in english.json["message"]


def test_a_body_that_is_not_json_answers_415_and_a_json_list_400(client, clock):
    assert client.post("/api/v1/feedback", data="full_name=An").status_code == 415
    assert client.post("/api/v1/feedback", data="{not json", content_type="application/json").status_code == 400
    assert client.post("/api/v1/feedback", json=[1, 2]).status_code == 400
    assert cases() == 0


def test_the_public_get_never_shows_personal_data(client, clock):
    code = client.post("/api/v1/feedback", json={**BODY, "consent_publish": True}).json["code"]
    data = client.get(f"/api/v1/feedback/{code}").json
    assert data["code"] == code and data["state"] == "received" and data["state_label"] == "Mới tiếp nhận"
    text = str(data)
    for secret in ("Nguyễn Văn An", "0905123456", "an@example.com", "Lê Lợi", BODY["content"]):
        assert secret not in text


def test_openapi_describes_both_public_operations(client):
    spec = client.get("/api/v1/openapi.json").json
    post = spec["paths"]["/api/v1/feedback"]["post"]
    assert set(post["responses"]) >= {"201", "415", "422"}
    assert "get" in spec["paths"]["/api/v1/feedback/{code}"]
    assert spec["components"]["schemas"]["NewFeedback"]["required"] == ["full_name", "address", "title", "content"]


def test_the_public_get_lists_apology_letters_without_personal_data(client, clock, seeded):
    from feedback_app.services.cases import apply_event, find
    code = client.post("/api/v1/feedback", json=BODY).json["code"]
    case = find(code)
    apply_event(case, "classify", seeded["office"], {"category": "TTHC"})
    apply_event(case, "forward", seeded["office"], {"unit": "QLKH"})
    apply_event(case, "extend", seeded["QLKH"], {"reason": "Cần lấy ý kiến Sở Tài chính; đã báo ông Nguyễn Văn An."})
    [letter] = client.get(f"/api/v1/feedback/{code}").json["letters"]
    assert letter["number"].endswith("/PXL") and letter["new_due_date"] > letter["missed_due_date"]
    assert "Sở Tài chính" in letter["reason"] and "Nguyễn Văn An" not in letter["reason"]


def test_a_retry_with_the_same_idempotency_key_answers_with_the_first_case_and_stores_nothing_more(client, clock):
    """A client unsure whether its submission arrived (a timeout, a 503) sends it again with the same
    Idempotency-Key: one case, one receipt mail, and the answer names that case."""
    from feedback_app.models import OutboxMail, Transition

    clock.set("2024-02-07T10:00:00+07:00")
    key = {"Idempotency-Key": "8f14e45f-ceea-467f-a0e6-4b7e9d3a5c21"}
    first = client.post("/api/v1/feedback", json=BODY, headers=key)
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    clock.set("2024-02-07T10:05:00+07:00")
    again = client.post("/api/v1/feedback", json={**BODY, "title": f"  {BODY['title']} "}, headers=key)
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json == first.json  # the same code, the time it was received, its due date
    other_key = client.post("/api/v1/feedback", json=BODY, headers={"Idempotency-Key": "another-key"})
    no_key = client.post("/api/v1/feedback", json=BODY)
    assert (other_key.status_code, no_key.status_code) == (201, 201)
    assert len({first.json["code"], other_key.json["code"], no_key.json["code"]}) == 3
    assert cases() == 3
    for model in (Transition, OutboxMail):
        assert db.session.execute(select(func.count()).select_from(model)).scalar_one() == 3


def test_an_idempotency_key_reused_for_another_submission_or_malformed_is_refused(client, clock):
    key = {"Idempotency-Key": "k-1"}
    assert client.post("/api/v1/feedback", json=BODY, headers=key).status_code == 201
    changed = client.post("/api/v1/feedback", json={**BODY, "content": BODY["content"] + " Xin cảm ơn."}, headers=key)
    assert changed.status_code == 422 and "đã được dùng" in changed.json["error"]
    english = client.post("/api/v1/feedback?lang=en", json={**BODY, "consent_publish": True}, headers=key)
    assert english.status_code == 422 and english.json["error"] == "This Idempotency-Key was used for a different submission."
    for bad in ("x" * 101, "có dấu", "two words"):
        malformed = client.post("/api/v1/feedback", json=BODY, headers={"Idempotency-Key": bad})
        assert malformed.status_code == 400 and "Idempotency-Key" in malformed.json["error"]
    assert cases() == 1


def test_two_requests_with_one_key_at_once_make_one_case(app, client, clock, monkeypatch):
    """The race: both looked for the key before either stored it. The unique index lets one case in;
    the other request's INSERT fails, and it answers with that case."""
    from feedback_app.services import submissions

    looked = []
    real = submissions._made_with_key

    def not_there_yet(submission):  # the second request's first look came before the first one's commit
        looked.append(submission.key)
        earlier = real(submission)  # the query runs, as it does for real (a keyed submission reads first)
        return None if len(looked) == 1 else earlier
    key = {"Idempotency-Key": "race"}
    first = client.post("/api/v1/feedback", json=BODY, headers=key)
    monkeypatch.setattr(submissions, "_made_with_key", not_there_yet)
    second = client.post("/api/v1/feedback", json=BODY, headers=key)
    assert looked == ["race", "race"]  # its look before the INSERT, and after the INSERT failed
    assert (first.status_code, second.status_code) == (201, 200) and second.json == first.json
    assert cases() == 1


def test_a_retry_after_hcth_corrected_the_case_is_still_the_same_submission(client, clock, seeded):
    """Sent again with its key after HCTH corrected the address, the submission gets its receipt (200), not a
    422 that would make its client send it under a new key, a second case."""
    from feedback_app.services.cases import Submission, find
    from feedback_app.services.corrections import correct_intake
    key = {"Idempotency-Key": "sua-dia-chi-1"}
    first = client.post("/api/v1/feedback", json=BODY, headers=key)
    case = find(first.get_json()["code"])
    fields = {"full_name": case.submitter_name, "address": "Số 5 đường Phan Đình Phùng, Quảng Ngãi",
              "phone": case.phone, "email": case.email, "title": case.title, "content": case.content,
              "procedure": case.procedure, "consent_publish": case.consent_publish}
    assert correct_intake(case, seeded["office"], Submission(**fields), None, case.version) == ["address"]
    again = client.post("/api/v1/feedback", json=BODY, headers=key)
    assert (first.status_code, again.status_code) == (201, 200) and again.get_json()["code"] == case.code
    changed = client.post("/api/v1/feedback", json={**BODY, "title": "Một tiêu đề khác hẳn"}, headers=key)
    assert changed.status_code == 422 and cases() == 1


def test_reading_cases_by_code_alone_is_limited_per_address_and_a_staff_token_is_not(app_with):
    from feedback_app.demo import seed
    from feedback_app.models import User
    from feedback_app.services.accounts import new_token
    app = app_with(RATELIMIT_ENABLED=True, CODE_RATE_LIMIT="2 per hour", SUBMIT_RATE_LIMIT="10 per hour")
    seed(0, "secret-pass", progress=lambda *_: None)
    client = app.test_client()
    code = client.post("/api/v1/feedback", json=BODY).get_json()["code"]
    assert client.get(f"/api/v1/feedback/{code}").status_code == 200
    assert client.get(f"/api/v1/feedback/{code}/history").status_code == 200
    refused = client.get(f"/api/v1/feedback/{code}")  # one budget for the case, its history and letters
    assert refused.status_code == 429 and refused.is_json
    assert client.get(f"/tra-cuu/{code}/phieu-xin-loi/1.pdf").status_code == 429
    office = db.session.execute(select(User).where(User.role == "office")).scalars().first()
    staff = {"Authorization": f"Bearer {new_token(office)}"}
    assert client.get(f"/api/v1/feedback/{code}", headers=staff).status_code == 200
    assert client.get(f"/api/v1/feedback/{code}", headers={"Authorization": "Bearer forged"}).status_code == 429
    # an admin's token reads the public view (the admin takes no part in the workflow): the public's budget
    admin = db.session.execute(select(User).where(User.role == "admin")).scalars().first()
    assert client.get(f"/api/v1/feedback/{code}", headers={"Authorization": f"Bearer {new_token(admin)}"}
                      ).status_code == 429


def test_reading_cases_by_code_from_one_ipv6_network_shares_one_budget(app_with):
    app = app_with(RATELIMIT_ENABLED=True, CODE_RATE_LIMIT="2 per hour", SUBMIT_RATE_LIMIT="10 per hour")
    client = app.test_client()
    code = client.post("/api/v1/feedback", json=BODY).get_json()["code"]
    for address, status in (("2001:db8:1:1::1", 200), ("2001:db8:1:1::2", 200), ("2001:db8:1:1:ffff::3", 429),
                            ("2001:db8:1:2::1", 200)):  # the last from another /64
        client.environ_base["REMOTE_ADDR"] = address
        assert client.get(f"/api/v1/feedback/{code}").status_code == status, address
