"""The public copy of an answered case: pakn's masked proposal, HCTH's reviewed copy stored as HCTH
wrote it (with the citizen's own data still masked), and no publication with a blank part."""
from __future__ import annotations

import re

import pytest

from feedback_app.extensions import db
from feedback_app.models import Feedback
from feedback_app.redaction import MASK
from feedback_app.services import publication
from feedback_app.services.cases import Submission, apply_event
from workflows.lifecycle import InvalidEventArguments

from deadline_helpers import SUBMISSION, forwarded_case
from test_office import login, post_event, state_of, text

CONSENTING = Submission(**{**SUBMISSION.__dict__, "consent_publish": True})
REPLY = ("Kính gửi ông Nguyễn Văn An. Theo Nghị định số 20/2008/NĐ-CP, chuyên viên phụ trách là "
         "ông Trần Văn Bình; đường dây nóng 0255 3822 123.")


@pytest.fixture
def answered(app, clock, seeded) -> Feedback:
    case = forwarded_case(seeded, submission=CONSENTING)
    apply_event(case, "submit_draft", seeded["QLKH"], {"reply": REPLY})
    apply_event(case, "approve", seeded["leader"])
    return case


def stored(case) -> Feedback:
    db.session.expire_all()
    return db.session.get(Feedback, case.id)


def test_pakns_proposal_masks_the_citizen_but_not_the_departments_hotline(app, answered):
    assert publication.preview(answered)["answer"] == (
        f"Kính gửi ông {MASK}. Theo Nghị định số 20/2008/NĐ-CP, chuyên viên phụ trách là "
        f"ông {MASK}; đường dây nóng 0255 3822 123.")


def test_hcth_un_masks_what_pakn_only_guessed_and_the_saved_copy_keeps_it(app, client, answered, seeded):
    login(client, seeded["office"])
    reviewed = f"Kính gửi ông {MASK}. Chuyên viên phụ trách là ông Trần Văn Bình."
    response = client.post(f"/van-phong/ho-so/{answered.code}/ban-cong-khai", data={
        "publish-title": "Thời hạn giải quyết thủ tục", "publish-version": answered.version,
        "publish-question": "Ông Nguyễn Văn An (0905 123 456, an@example.com) hỏi thời hạn.",
        "publish-answer": reviewed})
    assert response.status_code == 302
    case = stored(answered)
    assert case.public_answer == reviewed  # saved again: still as HCTH wrote it
    assert case.public_question == f"Ông {MASK} ({MASK}) hỏi thời hạn."  # the citizen's own data never comes back
    assert publication.preview(case)["answer"] == reviewed
    assert post_event(client, "van-phong", case, "publish", title=case.public_title,
                      question=case.public_question, answer=reviewed).status_code == 302
    case = stored(answered)
    assert case.state == "published" and case.public_answer == reviewed


def test_publishing_with_a_blank_public_answer_is_refused_with_a_field_error(app, client, answered, seeded):
    login(client, seeded["office"])
    response = post_event(client, "van-phong", answered, "publish", title="Thời hạn giải quyết thủ tục",
                          question="Đề nghị cho biết thời hạn.", answer="  \n ")
    assert response.status_code == 422 and state_of(answered) == "answered"
    page = text(response)
    assert "Bản công khai phải có tiêu đề, nội dung và câu trả lời." in page
    answer_field = re.search(r'<div class="field has-error">\s*<label for="publish-answer".*?</div>', page, re.S)
    assert answer_field and "Trường này là bắt buộc." in answer_field.group(0)
    assert stored(answered).public_answer is None and stored(answered).published_at is None


def test_a_blank_public_copy_cannot_be_saved_either(app, client, answered, seeded):
    login(client, seeded["office"])
    response = client.post(f"/van-phong/ho-so/{answered.code}/ban-cong-khai", data={
        "publish-title": " ", "publish-question": "Đề nghị cho biết thời hạn.", "publish-answer": "Trả lời.",
        "publish-version": answered.version}, follow_redirects=True)
    assert "Bản công khai phải có tiêu đề, nội dung và câu trả lời." in text(response)
    case = stored(answered)
    assert (case.public_title, case.public_question, case.public_answer) == (None, None, None)


def test_a_stored_blank_copy_is_not_published_by_the_api_path_either(app, answered, seeded):
    answered.public_answer = ""
    with pytest.raises(InvalidEventArguments) as refused:
        apply_event(answered, "publish", seeded["office"])
    assert refused.value.errors == {"answer": "Trường này là bắt buộc."}
    db.session.rollback()
    assert stored(answered).state == "answered"


def test_a_public_title_longer_than_the_column_gets_a_field_error_and_changes_nothing(app, client, answered, seeded):
    login(client, seeded["office"])
    before = answered.version
    response = post_event(client, "van-phong", answered, "publish", title="Thời hạn " + "x" * 292,
                          question="Đề nghị cho biết thời hạn.", answer="Trả lời.")
    assert len("Thời hạn " + "x" * 292) == 301
    assert response.status_code == 422
    title_field = re.search(r'<div class="field has-error">\s*<label for="publish-title".*?</div>', text(response), re.S)
    assert title_field and "Tiêu đề công khai không được dài quá 300 ký tự." in title_field.group(0)
    case = stored(answered)
    assert (case.state, case.version, case.public_title, case.published_at) == ("answered", before, None, None)
    # 300 characters are accepted
    assert post_event(client, "van-phong", case, "publish", title="Thời hạn " + "x" * 291,
                      question="Đề nghị cho biết thời hạn.", answer="Trả lời.").status_code == 302
    assert stored(answered).public_title == "Thời hạn " + "x" * 291


def test_the_publish_hint_says_hcth_may_also_restore_what_pakn_hid(app, client, answered, seeded):
    login(client, seeded["office"])
    page = text(client.get(f"/van-phong/ho-so/{answered.code}"))
    assert "khôi phục chữ bị ẩn nhầm" in page and "luôn được ẩn lại khi lưu" in page
    assert "kiểm tra và ẩn thêm nếu cần" not in page


def test_saving_the_public_copy_by_its_own_button_refuses_a_title_too_long_for_its_column(app, client, seeded):
    """'Lưu bản công khai' posts past the publish form's own check: the service refuses it as well."""
    from test_office import forwarded, login, text
    from feedback_app.services.cases import apply_event
    case = forwarded(seeded)
    apply_event(case, "submit_draft", seeded["QLKH"], {"reply": "Trả lời: thủ tục gồm các bước sau."})
    apply_event(case, "approve", seeded["leader"])
    login(client, seeded["office"])
    page = client.post(f"/van-phong/ho-so/{case.code}/ban-cong-khai", follow_redirects=True,
                       data={"publish-title": "T" * 301, "publish-question": "Câu hỏi", "publish-answer": "Trả lời",
                             "publish-version": case.version})
    assert "không được dài quá 300 ký tự" in text(page)
    db.session.expire_all()
    assert db.session.get(type(case), case.id).public_title is None


def test_the_citizens_street_and_given_name_written_otherwise_are_masked_in_hcths_copy_too(
        app, client, answered, seeded):
    """HCTH may restore what pakn only guessed, never the citizen's own data, however written."""
    login(client, seeded["office"])
    client.post(f"/van-phong/ho-so/{answered.code}/ban-cong-khai", data={
        "publish-title": "Thời hạn giải quyết thủ tục", "publish-version": answered.version,
        "publish-question": "Đề nghị cho biết thời hạn.",
        "publish-answer": "Kính gửi anh An, nhà ở số 12 Lê Lợi: Sở trả lời như sau."})
    assert stored(answered).public_answer == f"Kính gửi anh {MASK}, nhà ở {MASK}: Sở trả lời như sau."


def test_a_refused_save_of_the_public_copy_gives_the_form_back_as_typed(app, client, answered, seeded):
    login(client, seeded["office"])
    rewritten = "Câu trả lời đã được viết lại cẩn thận."
    response = client.post(f"/van-phong/ho-so/{answered.code}/ban-cong-khai", data={
        "publish-title": " ", "publish-question": "Đề nghị cho biết thời hạn.", "publish-answer": rewritten,
        "publish-version": answered.version})
    assert response.status_code == 422
    page = text(response)
    assert rewritten in page  # nothing typed is lost
    assert re.search(r'<div class="field has-error">\s*<label for="publish-title"', page)
    assert stored(answered).public_answer is None
