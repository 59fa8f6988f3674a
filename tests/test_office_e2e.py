"""One case from intake to publication in headless Chromium, by three people: HCTH classifies and
forwards it, the unit drafts and submits the reply, the leader approves, HCTH publishes the masked
copy. With PAKN_SCREENSHOTS=1 it also refreshes the screenshots in docs/."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from feedback_app.extensions import db
from feedback_app.models import Feedback
from feedback_app.services.cases import Submission, apply_event, receive

pytestmark = pytest.mark.browser
DOCS = Path(__file__).resolve().parent.parent / "docs"
SHOTS = os.environ.get("PAKN_SCREENSHOTS") == "1"


def shot(page, name):
    if SHOTS:
        page.screenshot(path=str(DOCS / name), full_page=True)


def sign_in(page, base, user):
    page.goto(f"{base}/van-phong/dang-nhap")
    page.get_by_label("Thư điện tử").fill(user.email)
    page.get_by_label("Mật khẩu").fill("secret-pass")
    page.get_by_role("button", name="Đăng nhập").click()


def sign_out(page):
    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_url("**/dang-nhap")


def test_one_case_goes_from_intake_to_publication_by_three_users(app, clock, seeded, live_server, page):
    # a few older cases, so that the queues show late and nearly late ones
    office, qlcn = seeded["office"], seeded["QLCN"]
    clock.set("2024-02-19T08:30:00+07:00")
    old = receive(Submission(full_name="Hoàng Minh Đức", address="Số 7 đường Hùng Vương", phone="0987654321",
                             title="Thủ tục cấp giấy phép sử dụng thiết bị X-quang y tế",
                             content="Phòng khám cần biết hồ sơ cấp giấy phép tiến hành công việc bức xạ."))
    apply_event(old, "classify", office, {"category": "ATBX"})
    apply_event(old, "forward", office, {"unit": "QLCN"})
    clock.set("2024-02-26T10:00:00+07:00")
    receive(Submission(full_name="Trần Thị Bình", address="Thôn An Hội, xã Tịnh Sơn", phone="0912345678",
                       title="Truy cập cơ sở dữ liệu thông tin khoa học và công nghệ",
                       content="Đề nghị hướng dẫn cách đăng ký tài khoản tra cứu cơ sở dữ liệu."))
    clock.set("2024-03-04T09:00:00+07:00")
    case = receive(Submission(full_name="Lê Hoàng Cường", address="Số 45 đường Phan Đình Phùng, Quảng Ngãi",
                              phone="0935111222", email="cuong@example.com",
                              title="Hỗ trợ đăng ký nhãn hiệu cho sản phẩm OCOP",
                              content="Tôi là Lê Hoàng Cường, đề nghị hướng dẫn hỗ trợ kinh phí đăng ký nhãn hiệu "
                                      "cho sản phẩm tỏi Lý Sơn. Điện thoại 0935111222.", consent_publish=True))
    receive(Submission(full_name="Phạm Thị Dung", address="Tổ 3, phường Trương Quang Trọng", phone="0978222333",
                       title="Kiểm định cân tại chợ", content="Nhiều cân không có tem kiểm định."))
    code = case.code

    # 1. HCTH: the intake queue, then classify and forward
    sign_in(page, live_server, seeded["office"])
    page.wait_for_url("**/van-phong/")
    shot(page, "office-intake.png")
    page.get_by_role("link", name=code).click()
    assert "Điều 9.1d" in page.locator("#due-basis").inner_text()
    shot(page, "office-case.png")
    form = page.locator("#form-classify")
    form.get_by_label("Lĩnh vực").select_option("SHTT")
    form.get_by_role("button", name="Phân loại, tiếp nhận").click()
    assert page.locator("#case-state").inner_text() == "Đã phân loại"
    form = page.locator("#form-forward")
    form.get_by_label("Đơn vị xử lý").select_option("QLCN")
    form.get_by_label("Ghi chú").fill("Đề nghị Phòng QLCN trả lời.")
    form.get_by_role("button", name="Chuyển đơn vị xử lý").click()
    assert page.locator("#case-state").inner_text() == "Đang xử lý tại đơn vị"
    sign_out(page)

    # 2. the unit: its workspace, draft and submit the reply
    sign_in(page, live_server, seeded["QLCN"])
    page.wait_for_url("**/don-vi/")
    shot(page, "unit-workspace.png")
    page.get_by_role("link", name=code).click()
    assign = page.locator("#assign")  # the unit's officer takes the case (services.assignment)
    assign.get_by_label("Người xử lý").select_option(str(qlcn.id))
    assign.get_by_role("button", name="Phân công").click()
    assert page.locator("#case-assignee").inner_text() == qlcn.full_name
    assert page.locator("#assign").get_by_label("Người xử lý").input_value() == str(qlcn.id)
    form = page.locator("#form-submit_draft")
    assert qlcn.unit.code == "QLCN"
    form.get_by_label("Nội dung trả lời").fill(
        "Kính gửi ông Lê Hoàng Cường: hợp tác xã thuộc đối tượng hỗ trợ; đề nghị nộp hồ sơ trước ngày 30/6.")
    form.get_by_role("button", name="Trình dự thảo trả lời").click()
    assert page.locator("#case-state").inner_text() == "Chờ lãnh đạo duyệt"
    sign_out(page)

    # 3. the leader approves
    sign_in(page, live_server, seeded["leader"])
    page.get_by_role("link", name=code).click()
    page.locator("#form-approve").get_by_role("button", name="Duyệt và gửi trả lời").click()
    assert page.locator("#case-state").inner_text() == "Đã trả lời"
    sign_out(page)

    # 4. HCTH reviews the masked preview, masks one more detail, publishes
    sign_in(page, live_server, seeded["office"])
    page.goto(f"{live_server}/van-phong/ho-so/{code}")
    form = page.locator("#form-publish")
    question = form.get_by_label("Nội dung công khai")
    assert "[đã ẩn]" in question.input_value() and "0935111222" not in question.input_value()
    question.fill(question.input_value().replace("tỏi Lý Sơn", "[đã ẩn]"))
    form.get_by_role("button", name="Công khai", exact=True).click()
    assert page.locator("#case-state").inner_text() == "Đã công khai"

    db.session.expire_all()
    published = db.session.query(Feedback).filter_by(code=code).one()
    assert published.state == "published" and "tỏi Lý Sơn" not in published.public_question
    assert [t.event for t in published.transitions] == ["receive", "classify", "forward", "assign", "submit_draft",
                                                        "approve", "publish"]
    assert published.assignee_id == qlcn.id
    public = page.request.get(f"{live_server}/api/v1/feedback/{code}").json()
    assert public["question"] == published.public_question and "Lê Hoàng Cường" not in str(public)
