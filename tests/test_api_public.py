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
