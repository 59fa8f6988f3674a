"""What staff print and where the keyboard lands, in headless Chromium: a printed case page is the
record without its action forms; a notice prints as one portrait letter from its first page; a case
form sent back with errors puts the focus on the list of what to correct."""
from __future__ import annotations

import io
from dataclasses import replace

import pytest
from pypdf import PdfReader

from feedback_app.services.cases import receive

from deadline_helpers import SUBMISSION
from test_office_e2e import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.layout]


def test_a_printed_case_page_has_no_forms_and_a_notice_prints_on_one_portrait_page(
        app, clock, seeded, live_server, page):
    case = receive(replace(SUBMISSION, email=None, phone=None, channel="post"), actor=seeded["office"])
    notice = case.citizen_notices[0]  # its receipt, owed by post
    sign_in(page, live_server, seeded["office"])
    page.goto(f"{live_server}/van-phong/ho-so/{case.code}")
    assert page.locator("#form-classify").is_visible()
    page.emulate_media(media="print")
    assert page.locator("h1").is_visible() and page.locator("#case-content").is_visible()
    for form in ("#form-classify", "#form-refuse", "#form-correct-intake", "#h-dup"):
        assert page.locator(form).is_hidden(), form

    page.goto(f"{live_server}/van-phong/thong-bao-nguoi-dan/{notice.id}")  # still in print media, as page.pdf
    pdf = PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True)))
    assert len(pdf.pages) == 1, [(pg.mediabox, pg.extract_text()[:200]) for pg in pdf.pages]
    first = pdf.pages[0]
    assert float(first.mediabox.width) < float(first.mediabox.height)  # A4 portrait
    assert notice.subject in " ".join(first.extract_text().split())


def test_a_case_form_sent_back_with_errors_puts_the_focus_on_what_to_correct(
        app, clock, seeded, live_server, page):
    case = receive(SUBMISSION)
    sign_in(page, live_server, seeded["office"])
    page.goto(f"{live_server}/van-phong/ho-so/{case.code}")
    page.locator("#form-request_info").get_by_role("button").click()  # nothing typed
    page.wait_for_url("**/su-kien/request_info")
    assert page.title().startswith("Lỗi: ")
    assert page.evaluate("document.activeElement.id") == "form-errors"
    assert page.locator(".flash.error").count() == 1  # one list of what to correct, not a second box above it
    page.locator("#form-errors a").first.click()
    assert page.evaluate("document.activeElement.id") == "request_info-missing"


def test_a_printed_status_page_is_the_citizens_record_on_portrait_pages_without_forms(
        app, clock, seeded, live_server, page):
    from feedback_app.services.cases import apply_event

    from deadline_helpers import forwarded_case
    case = forwarded_case(seeded)
    apply_event(case, "submit_draft", seeded["QLKH"], {"reply": "Trả lời: thời hạn là 10 ngày làm việc."})
    apply_event(case, "approve", seeded["leader"])
    page.goto(f"{live_server}/tra-cuu?code={case.code}")
    page.fill("input[name=contact]", "0905123456")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(f"**/tra-cuu/{case.code}")
    assert page.locator("#rating-form").is_visible() and page.locator("#print-agency").is_hidden()
    page.emulate_media(media="print")
    pdf = PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True)))
    assert all(float(p.mediabox.width) < float(p.mediabox.height) for p in pdf.pages)  # A4 portrait
    text = " ".join(" ".join(p.extract_text() for p in pdf.pages).split())
    assert app.config["AGENCY_NAME"] in text  # the site's header is not printed: the department is named
    assert SUBMISSION.content in text  # "what you sent", folded on the screen, printed open
    assert "Trả lời: thời hạn là 10 ngày làm việc." in text
    for form_text in ("Gửi đánh giá", "Tra cứu phản ánh, kiến nghị khác"):
        assert form_text not in text, form_text
