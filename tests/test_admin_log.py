"""The administration's own trail (nhật ký quản trị): every change to an account, an API token, a unit,
a field or the calendar says who made it, when and what changed, on the page and from a command."""
from __future__ import annotations

import re

from sqlalchemy import select

from feedback_app.extensions import db
from feedback_app.models import AdminEvent, Category, User
from tests.test_admin_rules import NEW_USER
from tests.test_office import login, text


def events() -> list[tuple[str, str, str, str | None]]:
    return [(e.action, e.subject, e.actor_label, e.details)
            for e in db.session.execute(select(AdminEvent).order_by(AdminEvent.id)).scalars()]


def test_each_admin_change_is_on_the_trail_with_who_when_and_what(app, client, clock, seeded):
    admin = seeded["admin"]
    login(client, admin)
    assert client.post("/quan-tri/nguoi-dung/moi", data={**NEW_USER, "role": "unit", "unit": "QLKH"}).status_code == 302
    user = db.session.execute(select(User).where(User.email == NEW_USER["email"])).scalar_one()
    client.post(f"/quan-tri/nguoi-dung/{user.id}", data={"email": user.email, "full_name": user.full_name,
                                                          "role": "unit", "unit": "QLCN", "active": "y",
                                                          "password": "mat-khau-khac-7"})
    client.post(f"/quan-tri/nguoi-dung/{user.id}/ma-api")
    token_id = user.tokens[0].id
    client.post(f"/quan-tri/nguoi-dung/{user.id}/ma-api/{token_id}/thu-hoi")
    client.post("/quan-tri/don-vi/moi", data={"code": "ttdl", "name": "Trung tâm Dữ liệu", "email": "", "active": "y"})
    shtt = db.session.execute(select(Category).where(Category.code == "SHTT")).scalar_one()
    client.post(f"/quan-tri/linh-vuc/{shtt.id}", data={"code": "SHTT", "name": shtt.name, "answer_target_days": "10",
                                                       "active": "y"})
    client.post("/quan-tri/lich-lam-viec", data={"day": "2024-03-08", "kind": "off", "name": "Nghỉ đột xuất"})
    name = admin.full_name
    assert events() == [
        ("user_created", NEW_USER["email"], name, "vai trò: — → Đơn vị xử lý; đơn vị: — → QLKH"),
        ("user_changed", NEW_USER["email"], name, "đơn vị: QLKH → QLCN; đặt mật khẩu mới"),
        ("token_issued", NEW_USER["email"], name, f"mã số {token_id}"),
        ("token_revoked", NEW_USER["email"], name, f"mã số {token_id}"),
        ("unit_created", "TTDL", name, "mã: — → TTDL; tên: — → Trung tâm Dữ liệu; đang hoạt động: — → có; "
                                       "là Văn phòng: — → không"),
        ("category_changed", "SHTT", name, "hạn nội bộ trả lời (ngày làm việc): — → 10"),
        ("calendar_set", "08/03/2024", name, "08/03/2024: Nghỉ đột xuất (nghỉ); 0 hồ sơ đang xử lý được tính lại hạn"),
    ]
    # a command acts for nobody signed in
    result = app.test_cli_runner().invoke(args=["users", "create", "vanthu2@skhcn.example.gov.vn", "--role", "office"])
    assert result.exit_code == 0, result.output
    assert events()[-1][:3] == ("user_created", "vanthu2@skhcn.example.gov.vn", "dòng lệnh (flask)")

    page = text(client.get("/quan-tri/nhat-ky"))
    assert "Nhật ký quản trị" in page and "Cấp mã truy cập API" in page and "đơn vị: QLKH → QLCN; đặt mật khẩu mới" in page
    calendar_only = text(client.get("/quan-tri/nhat-ky?nhom=calendar"))
    assert "Nghỉ đột xuất" in calendar_only and "Cấp mã truy cập API" not in calendar_only
    assert re.search(r'<option value="calendar" selected>', calendar_only)
    english = text(client.get("/quan-tri/nhat-ky?lang=en"))
    assert "Administration log" in english and "API token issued" in english


def test_the_trail_pages_keep_the_filter_and_only_the_admin_reads_it(app, client, clock, seeded):
    from feedback_app.services import admin_log
    for i in range(35):
        admin_log.record("calendar_set", f"ngày {i}", None, "thử")
    admin_log.record("unit_changed", "QLKH", None, "tên")
    db.session.commit()
    login(client, seeded["admin"])
    first = text(client.get("/quan-tri/nhat-ky?nhom=calendar"))
    assert "Trang 1 / 2" in first and 'href="/quan-tri/nhat-ky?nhom=calendar&amp;page=2"' in first
    assert "ngày 34" in first and "QLKH" not in first  # newest first, one group
    # a query argument named like one of url_for's own is only a query argument
    odd = client.get("/quan-tri/nhat-ky?nhom=calendar&endpoint=x&_method=DELETE&_external=1")
    assert odd.status_code == 200 and 'href="/quan-tri/nhat-ky?nhom=calendar&amp;endpoint=x' in text(odd)
    client.post("/van-phong/dang-xuat")
    login(client, seeded["office"])
    assert client.get("/quan-tri/nhat-ky").status_code == 403


def test_an_account_made_inactive_is_one_row_and_tokens_revoked_by_a_change_are_named(app, client, clock, seeded):
    from feedback_app.services.accounts import new_token
    login(client, seeded["admin"])
    form = {k: v for k, v in NEW_USER.items() if k != "active"}
    assert client.post("/quan-tri/nguoi-dung/moi", data={**form, "role": "leader"}).status_code == 302
    user = db.session.execute(select(User).where(User.email == NEW_USER["email"])).scalar_one()
    assert not user.active
    assert [e[0] for e in events()] == ["user_created"] and "đang hoạt động: — → không" in events()[0][3]
    qlkh = seeded["QLKH"]
    new_token(qlkh, tell_holder=False)
    token_id = qlkh.tokens[0].id
    client.post(f"/quan-tri/nguoi-dung/{qlkh.id}", data={"email": qlkh.email, "full_name": qlkh.full_name,
                                                          "role": "unit", "unit": "QLKH", "active": "y",
                                                          "password": "mat-khau-khac-7"})
    assert events()[-1][:2] == ("user_changed", qlkh.email)
    assert events()[-1][3] == f"đặt mật khẩu mới; thu hồi mã truy cập API số {token_id}"
