"""End to end in headless Chromium (Debian's /usr/bin/chromium): send feedback, read the code, look it
up, switch to English, read a published answer; readable on a 360-px-wide screen.

Screenshots go to a temporary folder; ``scripts/public-screenshots.sh`` runs this test with
``PAKN_SCREENSHOTS=docs`` to refresh docs/public-form.png, docs/public-status.png, docs/public-answer.png.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from feedback_app.services.cases import Submission, apply_event, find, receive
from tests.test_public_submit import PDF, VALID

pytestmark = pytest.mark.browser


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("PAKN_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def fits_360(page) -> bool:
    page.wait_for_load_state()  # after a click the next page may still be on its way (no document yet)
    page.set_viewport_size({"width": 360, "height": 740})
    fits = page.evaluate("document.documentElement.scrollWidth <= 360")
    page.set_viewport_size({"width": 1200, "height": 900})
    return fits


def test_a_citizen_sends_feedback_follows_it_and_reads_a_published_answer(live_server, page, clock, seeded, shots):
    clock.set("2024-02-07T10:00:00+07:00")  # the day before Tết: the due date skips the holidays
    page.goto(f"{live_server}/")
    page.get_by_role("link", name="Gửi phản ánh, kiến nghị").first.click()
    page.wait_for_url("**/gui-phan-anh")
    assert fits_360(page)
    # keyboard: the first Tab reaches the skip link, which leads to the form; the honeypot is never reached
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Bỏ qua đến nội dung chính"
    assert page.locator("#website").get_attribute("tabindex") == "-1"

    # a first try without a contact: the message stands next to the field and what was typed stays
    page.get_by_label("Họ và tên").fill(VALID["full_name"])
    page.get_by_label(re.compile(r"^Địa chỉ")).fill(VALID["address"])
    page.get_by_label("Tiêu đề").fill(VALID["title"])
    page.get_by_label("Nội dung phản ánh, kiến nghị").fill(VALID["content"])
    page.get_by_label("Thủ tục hành chính hoặc quy định liên quan (nếu có)").fill(VALID["procedure"])
    page.locator("#attachments").set_input_files([{"name": "cong-van.pdf", "mimeType": "application/pdf",
                                                   "buffer": PDF}])
    page.get_by_role("button", name="Gửi phản ánh, kiến nghị").click()
    assert "số điện thoại hoặc thư điện tử" in page.locator("#phone-error").inner_text()
    assert page.evaluate("document.activeElement.id") == "form-errors"  # the list of what to correct, first
    assert page.get_by_label("Họ và tên").input_value() == VALID["full_name"]
    # the browser empties the file box of a page it gets back; the file sent is kept, and named
    assert page.locator("#held-files").inner_text().startswith("Đã đính kèm: cong-van.pdf (1 KB)")
    page.screenshot(path=str(shots / "public-form.png"), full_page=True)

    page.get_by_label("Số điện thoại").fill("0905 123 456")
    page.get_by_label("Thư điện tử").fill(VALID["email"])
    page.get_by_label(re.compile("Tôi đồng ý")).check()
    page.get_by_role("button", name="Gửi phản ánh, kiến nghị").click()

    code = page.locator("#tracking-code").inner_text()
    assert re.fullmatch(r"PAKN\.20240207\.\d{4}", code)
    assert page.locator("#classify-due").inner_text() == "21/02/2024"

    # the office moves it on meanwhile
    case = find(code)
    assert [(a.original_name, a.size) for a in case.attachments] == [("cong-van.pdf", len(PDF))]
    apply_event(case, "classify", seeded["office"], {"category": "TTHC"})
    apply_event(case, "forward", seeded["office"], {"unit": "QLKH"})

    # look it up from a fresh browser session: the code alone is not enough
    page.context.clear_cookies()
    page.goto(f"{live_server}/tra-cuu")
    page.get_by_label("Mã số phản ánh, kiến nghị").fill(code)
    page.get_by_label("Số điện thoại hoặc thư điện tử đã khai khi gửi").fill("0905000000")
    page.get_by_role("button", name="Tra cứu").click()
    assert "Không tìm thấy" in page.locator("#contact-error").inner_text()
    page.get_by_label("Số điện thoại hoặc thư điện tử đã khai khi gửi").fill("0905123456")
    page.get_by_role("button", name="Tra cứu").click()
    assert page.locator("#state").inner_text() == "Đang xử lý tại đơn vị"
    assert page.locator("#unit").inner_text() == "Phòng Quản lý Khoa học"
    assert "Chuyển đơn vị xử lý" in page.locator("#steps").inner_text()
    assert fits_360(page)
    page.screenshot(path=str(shots / "public-status.png"), full_page=True)

    # English on the same page
    page.locator("#lang-switch").click()
    assert page.locator("#state").inner_text() == "Being handled by a unit"
    assert "working days after" in page.locator("#due-how").inner_text()
    assert page.locator("html").get_attribute("lang") == "en"
    page.locator("#lang-switch").click()  # and back

    # a published answer, found without diacritics
    published = receive(Submission(
        full_name="Trần Thị Bình", address="Thôn Đông, xã Tịnh Ấn Tây", phone="0912345678",
        title="Học phí lớp tập huấn sở hữu trí tuệ",
        content="Tôi là Trần Thị Bình, điện thoại 0912 345 678. Đề nghị cho biết học phí lớp tập huấn "
                "về sở hữu trí tuệ cho doanh nghiệp nhỏ năm 2024.", consent_publish=True))
    apply_event(published, "classify", seeded["office"], {"category": "SHTT"})
    apply_event(published, "forward", seeded["office"], {"unit": "QLCN"})
    apply_event(published, "submit_draft", seeded["QLCN"], {"reply": (
        "Sở Khoa học và Công nghệ trả lời bà Trần Thị Bình như sau:\n"
        "Lớp tập huấn về sở hữu trí tuệ cho doanh nghiệp nhỏ và vừa năm 2024 không thu học phí; "
        "kinh phí do Chương trình phát triển tài sản trí tuệ của tỉnh bảo đảm.\n"
        "Đăng ký tại Phòng Quản lý Công nghệ và Chuyên ngành trước ngày 15/3/2024.")})
    apply_event(published, "approve", seeded["leader"])
    apply_event(published, "publish", seeded["office"])
    page.goto(f"{live_server}/cong-khai")
    page.get_by_label("Tìm kiếm").fill("hoc phi")
    page.get_by_role("button", name="Tìm").click()
    page.get_by_role("link", name="Học phí lớp tập huấn sở hữu trí tuệ").click()
    answer = page.locator("#public-answer").inner_text()
    assert "không thu học phí" in answer and "Trần Thị Bình" not in answer and "[đã ẩn]" in answer
    assert "0912" not in page.locator("#public-question").inner_text()
    assert fits_360(page)
    page.screenshot(path=str(shots / "public-answer.png"), full_page=True)
