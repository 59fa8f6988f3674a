"""The forms' script (static/pakn.js) in headless Chromium: on the case page an action that cannot be
taken back asks first, and nothing is sent when the person says no; sending one form while another
holds text not saved asks first, and the text stays when the person says no; leaving the portal's
form half filled (the language link) asks first."""
from __future__ import annotations

import pytest

from feedback_app.extensions import db
from feedback_app.services.cases import find, receive

from deadline_helpers import SUBMISSION, forwarded_case
from test_office_e2e import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.layout]


@pytest.fixture
def answers(browser):
    """A page whose dialogs are answered from ``page.replies`` (True: OK), each message kept."""
    context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.replies, page.asked = [], []

    def answer(dialog):
        page.asked.append(dialog.type if dialog.type == "beforeunload" else dialog.message)
        dialog.accept() if page.replies and page.replies.pop(0) else dialog.dismiss()  # unexpected: no
    page.on("dialog", answer)
    yield page
    context.close()


def on_the_units_case_page(page, live_server, seeded):
    """A case forwarded to QLCN, its page open for a QLCN user."""
    case = forwarded_case(seeded, unit="QLCN")
    sign_in(page, live_server, seeded["QLCN"])
    page.goto(f"{live_server}/don-vi/ho-so/{case.code}")
    return case


def test_refusing_asks_first_and_a_no_sends_nothing(app, clock, seeded, live_server, answers):
    page = answers
    case = receive(SUBMISSION)
    sign_in(page, live_server, seeded["office"])
    page.goto(f"{live_server}/van-phong/ho-so/{case.code}")
    form = page.locator("#form-refuse")
    form.get_by_label("Lý do").select_option("unclear_content")
    page.replies.append(False)
    form.get_by_role("button", name="Không tiếp nhận").click()
    page.wait_for_timeout(300)  # a dialog said no: the page stays, nothing to wait for
    assert page.asked == ["Không tiếp nhận phản ánh, kiến nghị này? Người gửi sẽ được thông báo lý do; "
                          "không hoàn tác được."]
    db.session.expire_all()
    assert find(case.code).state == "received"
    page.replies.append(True)
    form.get_by_role("button", name="Không tiếp nhận").click()
    page.locator("#case-state").filter(has_text="Không tiếp nhận").wait_for()
    db.session.expire_all()
    assert find(case.code).state == "refused" and len(page.asked) == 2


def test_a_draft_reply_not_saved_is_not_lost_to_another_form_without_asking(app, clock, seeded, live_server, answers):
    page, case = answers, on_the_units_case_page(answers, live_server, seeded)
    reply = "Sở trả lời: hồ sơ đăng ký nhãn hiệu được hỗ trợ theo Nghị quyết của tỉnh."
    page.locator("#form-submit_draft textarea").first.fill(reply)
    extend = page.locator("#form-extend")
    extend.locator("textarea").first.fill("Cần ý kiến của Sở Tài chính về mức hỗ trợ.")
    page.replies.append(False)
    extend.get_by_role("button").first.click()
    page.wait_for_timeout(300)
    assert page.asked == ["Nội dung đã nhập ở một biểu mẫu khác trên trang này chưa được lưu và sẽ mất. "
                          "Vẫn gửi biểu mẫu này?"]
    assert page.locator("#form-submit_draft textarea").first.input_value() == reply
    db.session.expire_all()
    assert find(case.code).extension_count == 0
    # saving the draft (a secondary button of its own form), the other form emptied again, asks nothing
    extend.locator("textarea").first.fill("")
    page.get_by_role("button", name="Lưu dự thảo").click()
    page.wait_for_load_state()
    assert len(page.asked) == 1
    db.session.expire_all()
    assert find(case.code).reply_text == reply


def test_leaving_a_half_filled_form_by_the_language_link_asks_first(app, clock, live_server, answers):
    page = answers
    page.goto(f"{live_server}/gui-phan-anh")
    page.get_by_label("Tiêu đề").fill("Thời hạn cấp giấy chứng nhận doanh nghiệp khoa học")
    page.replies.append(False)
    page.locator("#lang-switch").click()
    page.wait_for_timeout(300)
    assert page.asked == ["beforeunload"] and "lang=" not in page.url
    assert page.get_by_label("Tiêu đề").input_value() == "Thời hạn cấp giấy chứng nhận doanh nghiệp khoa học"
    page.get_by_label("Tiêu đề").fill("")  # nothing typed: it leaves without asking
    page.locator("#lang-switch").click()
    page.wait_for_url("**lang=en**")
    assert page.asked == ["beforeunload"]


def test_an_incomplete_action_is_not_confirmed_and_a_form_that_came_back_with_text_is_kept(
        app, clock, seeded, live_server, answers):
    page, case = answers, on_the_units_case_page(answers, live_server, seeded)
    extend = page.locator("#form-extend")
    extend.get_by_role("button").first.click()  # no reason: refused by the server, nothing to confirm
    page.locator("#form-extend .field-error").first.wait_for()
    assert page.asked == []
    page.locator("#form-extend textarea").first.fill("x")  # too short: confirmed, then sent back with it
    page.replies.append(True)
    page.locator("#form-extend").get_by_role("button").first.click()
    page.locator("#form-extend .field-error").first.wait_for()
    assert page.locator("#form-extend textarea").first.input_value() == "x" and len(page.asked) == 1
    page.locator("#form-submit_draft textarea").first.fill("Sở trả lời như sau: đã đủ điều kiện hỗ trợ.")
    page.replies.append(False)
    page.get_by_role("button", name="Lưu dự thảo").click()  # the extension's text came back, not saved
    page.wait_for_timeout(300)
    assert page.asked[1] == ("Nội dung đã nhập ở một biểu mẫu khác trên trang này chưa được lưu và sẽ mất. "
                             "Vẫn gửi biểu mẫu này?")


def test_another_form_on_the_page_does_not_silence_the_prompt_for_an_unsaved_draft(
        app, clock, seeded, live_server, answers):
    page, case = answers, on_the_units_case_page(answers, live_server, seeded)
    page.locator("#form-submit_draft textarea").first.fill("Sở trả lời như sau: hồ sơ đã đủ điều kiện.")
    page.replies.append(False)
    page.get_by_role("button", name="Đăng xuất").click()  # a form of its own, not the draft's
    page.wait_for_timeout(300)
    assert page.asked == ["beforeunload"]
    assert page.locator("#form-submit_draft textarea").first.input_value().startswith("Sở trả lời")
