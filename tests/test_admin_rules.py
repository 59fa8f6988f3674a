"""The admin forms refuse what would make the data inconsistent (a user in a unit their role has none of,
two units or two fields of the same name) and say why in Vietnamese, next to the field, storing nothing."""
from __future__ import annotations

from sqlalchemy import func, select

from feedback_app.extensions import db
from feedback_app.models import Category, Unit, User
from tests.test_office import login, text

NEW_USER = {"email": "moi@skhcn.example.gov.vn", "full_name": "Cán bộ mới", "password": "mat-khau-moi", "active": "y"}


def users_named(email: str) -> int:
    return db.session.execute(select(func.count()).select_from(User).where(User.email == email)).scalar_one()


def test_an_office_user_cannot_be_put_in_a_unit_and_a_leader_cannot_have_one(app, client, seeded):
    login(client, seeded["admin"])
    in_a_unit = client.post("/quan-tri/nguoi-dung/moi", data={**NEW_USER, "role": "office", "unit": "QLKH"})
    assert in_a_unit.status_code == 422 and "không thuộc đơn vị xử lý" in text(in_a_unit)
    leader = client.post("/quan-tri/nguoi-dung/moi", data={**NEW_USER, "role": "leader", "unit": "QLKH"})
    assert leader.status_code == 422 and "Lãnh đạo và quản trị không thuộc đơn vị nào" in text(leader)
    assert users_named(NEW_USER["email"]) == 0

    in_the_office = client.post("/quan-tri/nguoi-dung/moi", data={**NEW_USER, "role": "office", "unit": "HCTH"})
    assert in_the_office.status_code == 302
    user = db.session.execute(select(User).where(User.email == NEW_USER["email"])).scalar_one()
    assert user.unit.code == "HCTH"
    moved = client.post(f"/quan-tri/nguoi-dung/{user.id}", data={**NEW_USER, "role": "office", "unit": "TDC"})
    assert moved.status_code == 422
    made_leader = client.post(f"/quan-tri/nguoi-dung/{user.id}", data={**NEW_USER, "role": "leader", "unit": "HCTH"})
    assert made_leader.status_code == 422
    db.session.expire_all()
    assert (user.role, user.unit.code) == ("office", "HCTH")
    assert client.post(f"/quan-tri/nguoi-dung/{user.id}", data={**NEW_USER, "role": "leader", "unit": ""}).status_code == 302


def test_a_unit_name_taken_in_other_case_or_spacing_is_refused_on_create_and_on_edit(app, client, seeded):
    login(client, seeded["admin"])
    twin = client.post("/quan-tri/don-vi/moi", data={"code": "QLKH2", "name": "  phòng QUẢN LÝ   khoa học ",
                                                     "active": "y"})
    assert twin.status_code == 422 and "Tên đơn vị này đã tồn tại." in text(twin)
    assert db.session.execute(select(Unit).where(Unit.code == "QLKH2")).scalar() is None
    tdc = db.session.execute(select(Unit).where(Unit.code == "TDC")).scalar_one()
    renamed = client.post(f"/quan-tri/don-vi/{tdc.id}", data={"code": "TDC", "name": "Phòng Quản lý Khoa học",
                                                              "active": "y"})
    assert renamed.status_code == 422
    db.session.expire_all()
    assert db.session.get(Unit, tdc.id).name == "Chi cục Tiêu chuẩn Đo lường Chất lượng"
    # its own name, re-spaced, is not a duplicate of itself; runs of spaces are stored as one
    same = client.post(f"/quan-tri/don-vi/{tdc.id}", data={"code": "TDC", "active": "y",
                                                           "name": "Chi cục  Tiêu chuẩn Đo lường Chất lượng "})
    assert same.status_code == 302
    db.session.expire_all()
    assert db.session.get(Unit, tdc.id).name == "Chi cục Tiêu chuẩn Đo lường Chất lượng"


def test_a_unit_code_with_accents_is_refused_as_its_message_says(app, client, seeded):
    login(client, seeded["admin"])
    accented = client.post("/quan-tri/don-vi/moi", data={"code": "ĐV1", "name": "Đơn vị thử", "active": "y"})
    assert accented.status_code == 422 and "chỉ gồm chữ cái không dấu" in text(accented)
    assert db.session.execute(select(Unit).where(Unit.name == "Đơn vị thử")).scalar() is None
    plain = client.post("/quan-tri/don-vi/moi", data={"code": "dv_1", "name": "Đơn vị thử", "active": "y"})
    assert plain.status_code == 302
    assert db.session.execute(select(Unit.code).where(Unit.name == "Đơn vị thử")).scalar() == "DV_1"


def test_a_field_name_taken_is_refused_on_create_and_on_edit(app, client, seeded):
    login(client, seeded["admin"])
    twin = client.post("/quan-tri/linh-vuc/moi", data={"code": "SHTT2", "name": "sở hữu trí tuệ,  chuyển giao công nghệ"})
    assert twin.status_code == 422 and "Tên lĩnh vực này đã tồn tại." in text(twin)
    khac = db.session.execute(select(Category).where(Category.code == "KHAC")).scalar_one()
    renamed = client.post(f"/quan-tri/linh-vuc/{khac.id}", data={"code": "KHAC", "name": "VẤN ĐỀ KHÁC "})
    assert renamed.status_code == 302  # its own name
    renamed = client.post(f"/quan-tri/linh-vuc/{khac.id}", data={"code": "KHAC", "name": "An toàn bức xạ và hạt nhân"})
    assert renamed.status_code == 422
    db.session.expire_all()
    names = db.session.execute(select(Category.name)).scalars().all()
    assert len(names) == len(set(n.casefold() for n in names)) == 7 and "SHTT2" not in names


def test_the_admin_forms_speak_vietnamese_where_wtforms_would_speak_english(app, client, seeded):
    login(client, seeded["admin"])
    short = client.post("/quan-tri/nguoi-dung/moi", data={**NEW_USER, "role": "unit", "unit": "QLKH", "password": "ngan"})
    assert short.status_code == 422 and "Mật khẩu phải có từ 8 đến 128 ký tự." in text(short)
    not_a_number = client.post("/quan-tri/linh-vuc/moi", data={"code": "KTCN", "name": "Kỹ thuật",
                                                               "answer_target_days": "mười"})
    assert not_a_number.status_code == 422 and "Vui lòng nhập một số nguyên." in text(not_a_number)
    assert "phải lớn hơn 0" not in text(not_a_number)  # one message for one mistake
    too_long = client.post("/quan-tri/don-vi/moi", data={"code": "X" * 40, "name": "Phòng mới"})
    assert too_long.status_code == 422 and "Tối đa 32 ký tự." in text(too_long)
    bad_role = client.post("/quan-tri/nguoi-dung/moi", data={**NEW_USER, "role": "citizen", "unit": ""})
    assert bad_role.status_code == 422 and "Vai trò không hợp lệ." in text(bad_role)
    for page in (short, not_a_number, too_long, bad_role):
        body = text(page)
        assert "Field must" not in body and "Not a valid" not in body and "Field cannot" not in body
    assert users_named(NEW_USER["email"]) == 0


def test_a_password_a_guesser_tries_first_is_refused_on_the_form_and_by_the_command(app, client, seeded):
    login(client, seeded["admin"])
    for easy in ("password", "Password", "12345678", "matkhau123", "aaaaaaaa", "abababab", "moi@skhcn.example.gov.vn"):
        refused = client.post("/quan-tri/nguoi-dung/moi", data={**NEW_USER, "role": "unit", "unit": "QLKH", "password": easy})
        assert refused.status_code == 422 and "Mật khẩu này quá dễ đoán" in text(refused), easy
    assert users_named(NEW_USER["email"]) == 0
    leader = seeded["leader"]
    kept = client.post(f"/quan-tri/nguoi-dung/{leader.id}", data={"email": leader.email, "full_name": leader.full_name,
                                                                  "role": "leader", "unit": "", "active": "y",
                                                                  "password": "qwertyuiop"})
    assert kept.status_code == 422 and "quá dễ đoán" in text(kept)
    db.session.expire_all()
    assert db.session.get(User, leader.id).check_password("secret-pass")
    command = app.test_cli_runner().invoke(args=["users", "create", "moi2@skhcn.example.gov.vn", "--role", "leader",
                                                 "--password", "iloveyou"])
    assert command.exit_code != 0 and "quá dễ đoán" in command.output
    assert client.post("/quan-tri/nguoi-dung/moi", data={**NEW_USER, "role": "unit", "unit": "QLKH"}).status_code == 302


def test_the_english_interface_translates_the_new_messages(app, client, seeded):
    login(client, seeded["admin"])
    client.get("/quan-tri/don-vi?lang=en")
    refused = client.post("/quan-tri/nguoi-dung/moi", data={**NEW_USER, "role": "leader", "unit": "QLKH"})
    assert "Leaders and admins belong to no unit" in text(refused)
    empty = text(client.post("/quan-tri/nguoi-dung/moi", data={**NEW_USER, "email": ""}))
    assert "Please enter the user's e-mail address." in empty and "your e-mail" not in empty


def test_the_last_active_admin_cannot_stop_or_demote_themselves_and_hcth_cannot_stop(app, client, seeded):
    admin = seeded["admin"]
    login(client, admin)
    me = {"email": admin.email, "full_name": admin.full_name, "role": "admin", "unit": ""}
    for change in ({**me}, {**me, "role": "leader", "active": "y"}):  # no "active": unticked
        refused = client.post(f"/quan-tri/nguoi-dung/{admin.id}", data=change)
        assert refused.status_code == 422 and "tài khoản quản trị duy nhất" in text(refused)
    db.session.expire_all()
    assert (db.session.get(User, admin.id).active, db.session.get(User, admin.id).role) == (True, "admin")
    client.post("/quan-tri/nguoi-dung/moi", data={**NEW_USER, "role": "admin", "unit": ""})
    assert client.post(f"/quan-tri/nguoi-dung/{admin.id}", data=me).status_code == 302  # another admin now
    db.session.expire_all()
    assert db.session.get(User, admin.id).active is False

    hcth = db.session.execute(select(Unit).where(Unit.is_office)).scalar_one()
    client = app.test_client()
    login(client, db.session.execute(select(User).where(User.email == NEW_USER["email"])).scalar_one(),
          NEW_USER["password"])
    stopped = client.post(f"/quan-tri/don-vi/{hcth.id}", data={"code": hcth.code, "name": hcth.name})
    assert stopped.status_code == 422 and "không thể ngừng hoạt động" in text(stopped)
    db.session.expire_all()
    assert db.session.get(Unit, hcth.id).active is True


def test_the_last_active_leader_hcth_clerk_or_user_of_a_unit_with_open_cases_cannot_be_stopped(app, client, seeded):
    """Nobody would approve an answer, receive a PAKN, or handle the unit's open cases: refused until
    another account does that work; a unit with nothing open may lose its last user."""
    from feedback_app.services.accounts import create_user
    from feedback_app.services.cases import apply_event, receive
    from tests.test_public_status import SUBMISSION
    case = receive(SUBMISSION)
    apply_event(case, "classify", seeded["office"], {"category": "TTHC"})
    apply_event(case, "forward", seeded["office"], {"unit": "QLKH"})
    login(client, seeded["admin"])

    def save(user, **change):
        form = {"email": user.email, "full_name": user.full_name, "role": user.role,
                "unit": user.unit.code if user.unit else "", "active": "y", **change}
        return client.post(f"/quan-tri/nguoi-dung/{user.id}", data={k: v for k, v in form.items() if v is not None})

    for who, change, why in (("leader", {"active": None}, "tài khoản Lãnh đạo duy nhất"),
                             ("leader", {"role": "office"}, "tài khoản Lãnh đạo duy nhất"),
                             ("office", {"active": None}, "tài khoản Văn phòng duy nhất"),
                             ("QLKH", {"active": None}, "người dùng duy nhất còn hoạt động của đơn vị QLKH, đơn vị còn 1"),
                             ("QLKH", {"unit": "QLCN"}, "người dùng duy nhất còn hoạt động của đơn vị QLKH")):
        refused = save(seeded[who], **change)
        assert refused.status_code == 422 and why in text(refused), (who, change)
    db.session.expire_all()
    assert all(db.session.get(User, seeded[who].id).active for who in ("leader", "office", "QLKH"))
    assert db.session.get(User, seeded["QLKH"].id).unit.code == "QLKH"

    # a unit with nothing open: its last user may go
    assert save(seeded["QLCN"], active=None).status_code == 302
    # another account doing the same work: then each may go
    create_user("pho.giam.doc@skhcn.example.gov.vn", "leader", full_name="Phó Giám đốc")
    create_user("vanthu@skhcn.example.gov.vn", "office", full_name="Văn thư")
    create_user("qlkh2@skhcn.example.gov.vn", "unit", full_name="Chuyên viên QLKH", unit_code="QLKH")
    for who in ("leader", "office", "QLKH"):
        assert save(db.session.get(User, seeded[who].id), active=None).status_code == 302, who
    db.session.expire_all()
    assert not any(db.session.get(User, seeded[who].id).active for who in ("leader", "office", "QLKH", "QLCN"))


def test_a_refused_staff_form_links_each_error_to_its_field(app, client, seeded):
    """A screen reader announces why a field was refused: aria-invalid and aria-describedby."""
    import re
    login(client, seeded["admin"])
    page = text(client.post("/quan-tri/nguoi-dung/moi", data={**NEW_USER, "role": "office", "unit": "QLKH"}))
    field = re.search(r'<select[^>]*id="unit"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in field and 'aria-describedby="unit-hint unit-error"' in field
    assert re.search(r'<div class="field-error" id="unit-error" role="alert"><p>[^<]*không thuộc đơn vị xử lý', page)


def page_form(client, url: str) -> dict:
    """The fields of the page's form as a browser sends them back untouched: a box only when ticked."""
    import html
    import re
    page = client.get(url).get_data(as_text=True)
    form = re.search(r'<form method="post" class="card narrow".*?</form>', page, re.S).group(0)
    data = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
        if name and ('type="checkbox"' not in tag or " checked" in tag):
            data[name.group(1)] = html.unescape(value.group(1)) if value else ""
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = next((o for o in re.findall(r"<option[^>]*>", options) if " selected" in o), None)
        data[name] = html.unescape(re.search(r'value="([^"]*)"', chosen).group(1)) if chosen else ""
    return data


def test_a_save_from_a_page_older_than_another_admins_save_is_refused_and_shows_the_newer(app, client, seeded):
    """Two tabs (or two admins) on one account: A switches it off; B, read before, changes the title. B
    must not switch the account back on: its save is refused and the page shows the account as stored."""
    login(client, seeded["admin"])
    officer = seeded["QLKH"]
    url = f"/quan-tri/nguoi-dung/{officer.id}"
    other = User(email="khoa2@skhcn.example.gov.vn", full_name="Cán bộ khác", role="unit", unit=officer.unit)
    other.set_password("secret-pass-2")
    db.session.add(other)
    db.session.commit()
    tab_a, tab_b = page_form(client, url), page_form(client, url)
    assert tab_a["read_as"] and tab_a["active"] == "y" and tab_a["unit"] == "QLKH"

    switched_off = {k: v for k, v in tab_a.items() if k != "active"}
    assert client.post(url, data=switched_off).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, officer.id).active is False

    stale = client.post(url, data={**tab_b, "title": "Chuyên viên chính"})
    assert stale.status_code == 409 and "đã được lưu thay đổi ở nơi khác" in text(stale)
    db.session.expire_all()
    assert (db.session.get(User, officer.id).active, db.session.get(User, officer.id).title) == (False, tab_b["title"])
    fresh = page_form(client, url)
    assert "active" not in fresh and fresh["read_as"] != tab_b["read_as"]
    assert client.post(url, data={**fresh, "title": "Chuyên viên chính"}).status_code == 302  # read anew: saved
    db.session.expire_all()
    assert db.session.get(User, officer.id).title == "Chuyên viên chính"

    unit = db.session.execute(select(Unit).where(Unit.code == "QLCN")).scalar_one()
    unit_url = f"/quan-tri/don-vi/{unit.id}"
    tab_a, tab_b = page_form(client, unit_url), page_form(client, unit_url)
    assert client.post(unit_url, data={**tab_a, "name": "Phòng Quản lý Công nghệ và Thị trường"}).status_code == 302
    assert client.post(unit_url, data={**tab_b, "email": "qlcn2@skhcn.example.gov.vn"}).status_code == 409
    db.session.expire_all()
    assert db.session.get(Unit, unit.id).name == "Phòng Quản lý Công nghệ và Thị trường"


def test_a_staff_address_with_accents_before_the_at_is_refused(app, client, seeded):
    login(client, seeded["admin"])
    response = client.post("/quan-tri/nguoi-dung/moi", data={**NEW_USER, "email": "ngườidùng@skhcn.example.gov.vn",
                                                             "role": "leader", "unit": ""})
    assert response.status_code == 422 and "Địa chỉ thư điện tử không hợp lệ." in text(response)
    assert users_named("ngườidùng@skhcn.example.gov.vn") == 0


def test_a_unit_keeps_running_while_an_answer_may_come_back_and_while_it_has_active_users(app, client, seeded):
    """An answer the citizen agreed to publish may be returned to its unit for revision (return_answer):
    the unit and its last user stay until it is published. A unit whose users are still active is not
    stopped under them, and nobody is put into a stopped unit."""
    from feedback_app.services.cases import apply_event, receive
    from tests.test_public_status import SUBMISSION
    from dataclasses import replace
    case = receive(replace(SUBMISSION, consent_publish=True))
    apply_event(case, "classify", seeded["office"], {"category": "TTHC"})
    apply_event(case, "forward", seeded["office"], {"unit": "QLKH"})
    apply_event(case, "submit_draft", seeded["QLKH"], {"reply": "Trả lời: thời hạn giải quyết là 15 ngày làm việc."})
    apply_event(case, "approve", seeded["leader"], {})
    assert case.state == "answered"
    login(client, seeded["admin"])
    qlkh = db.session.execute(select(Unit).where(Unit.code == "QLKH")).scalar_one()
    unit_form = {"code": "QLKH", "name": qlkh.name, "email": qlkh.email or ""}
    user = seeded["QLKH"]
    refused = client.post(f"/quan-tri/nguoi-dung/{user.id}", data={
        "email": user.email, "full_name": user.full_name, "role": "unit", "unit": "QLKH"})
    assert refused.status_code == 422 and "có thể được trả lại để hoàn thiện câu trả lời" in text(refused)
    refused = client.post(f"/quan-tri/don-vi/{qlkh.id}", data=unit_form)
    assert refused.status_code == 422 and "Đơn vị còn 1 phản ánh, kiến nghị" in text(refused)
    # said once: at the field and in the summary, not a third time in a flash message
    assert text(refused).count("Đơn vị còn 1 phản ánh, kiến nghị") == 2

    apply_event(case, "publish", seeded["office"], {})
    refused = client.post(f"/quan-tri/don-vi/{qlkh.id}", data=unit_form)
    assert refused.status_code == 422 and "Đơn vị còn 1 người dùng đang hoạt động" in text(refused)
    assert client.post(f"/quan-tri/nguoi-dung/{user.id}", data={
        "email": user.email, "full_name": user.full_name, "role": "unit", "unit": "QLKH"}).status_code == 302
    assert client.post(f"/quan-tri/don-vi/{qlkh.id}", data=unit_form).status_code == 302
    db.session.expire_all()
    assert not db.session.get(Unit, qlkh.id).active
    # the stopped user's page names the unit they were in, and nobody is put back into it active
    page = text(client.get(f"/quan-tri/nguoi-dung/{user.id}"))
    assert f'<option selected value="QLKH">{qlkh.name} (đã ngừng hoạt động)</option>' in page
    refused = client.post(f"/quan-tri/nguoi-dung/{user.id}", data={
        "email": user.email, "full_name": user.full_name, "role": "unit", "unit": "QLKH", "active": "y"})
    assert refused.status_code == 422 and "Đơn vị QLKH đã ngừng hoạt động" in text(refused)
    refused = client.post("/quan-tri/nguoi-dung/moi", data={**NEW_USER, "role": "unit", "unit": "QLKH"})
    assert refused.status_code == 422 and "Đơn vị QLKH đã ngừng hoạt động" in text(refused)


def test_hcth_cannot_forward_to_a_unit_nobody_can_sign_in_to(app, client, seeded):
    from feedback_app.services.accounts import save_unit
    from feedback_app.services.cases import apply_event, receive
    from workflows.lifecycle import InvalidEventArguments
    from tests.test_public_status import SUBMISSION
    import pytest
    save_unit(None, code="DVMOI", name="Trung tâm mới thành lập", email=None)
    case = receive(SUBMISSION)
    apply_event(case, "classify", seeded["office"], {"category": "TTHC"})
    login(client, seeded["office"])
    page = text(client.get(f"/van-phong/ho-so/{case.code}"))
    assert 'value="QLKH"' in page and 'value="DVMOI"' not in page
    with pytest.raises(InvalidEventArguments) as refused:
        apply_event(case, "forward", seeded["office"], {"unit": "DVMOI"})
    assert "chưa có người dùng nào đang hoạt động" in refused.value.errors["unit"]
    # sent from a page read before its last user left: the page says why, not "not a valid choice"
    from tests.test_office import post_event
    response = post_event(client, "van-phong", case, "forward", unit="DVMOI")
    assert response.status_code == 422 and "chưa có người dùng nào đang hoạt động" in text(response)
    assert case.state == "classified"


def test_the_setup_and_users_commands_check_what_the_pages_check(app, seeded):
    """A command is no back door past the forms' rules: a name blank or longer than its column, a mailbox
    that is not one."""
    runner = app.test_cli_runner()
    for args, why in ((["setup", "unit", "--code", "DV9", "--name", "   "], "Vui lòng nhập tên."),
                      (["setup", "unit", "--code", "DV9", "--name", "Đ" * 201], "Tối đa 200 ký tự."),
                      (["setup", "unit", "--code", "DV9", "--name", "Đơn vị 9", "--email", "khong-phai-thu"],
                       "thư điện tử không hợp lệ"),
                      (["setup", "category", "--code", "LV9", "--name", "  "], "Vui lòng nhập tên."),
                      (["users", "create", "a b@skhcn.example.gov.vn", "--role", "leader"], "thư điện tử không hợp lệ"),
                      (["users", "create", "x@", "--role", "admin"], "thư điện tử không hợp lệ")):
        result = runner.invoke(args=args)
        assert result.exit_code != 0 and why in result.output, (args, result.output)
    assert db.session.execute(select(func.count()).select_from(Unit).where(Unit.code == "DV9")).scalar_one() == 0
    assert users_named("x@") == 0


def test_a_staff_address_pasted_with_spaces_around_it_is_taken(app, client, seeded):
    login(client, seeded["admin"])
    response = client.post("/quan-tri/nguoi-dung/moi", data={**NEW_USER, "email": " moi@skhcn.example.gov.vn ",
                                                             "role": "leader"})
    assert response.status_code == 302 and users_named("moi@skhcn.example.gov.vn") == 1


def test_a_refusal_to_stop_the_last_leader_is_said_at_the_field_that_would_stop_them(app, client, seeded):
    leader = seeded["leader"]
    login(client, seeded["admin"])
    form = {"email": leader.email, "full_name": leader.full_name, "role": "office", "unit": "", "active": "y"}
    refused = text(client.post(f"/quan-tri/nguoi-dung/{leader.id}", data=form))
    assert '<a href="#role">Vai trò</a>: Đây là tài khoản Lãnh đạo duy nhất' in refused
    refused = text(client.post(f"/quan-tri/nguoi-dung/{leader.id}", data={k: v for k, v in form.items() if k != "active"} | {"role": "leader"}))
    assert '<a href="#active">Đang hoạt động</a>: Đây là tài khoản Lãnh đạo duy nhất' in refused


def test_the_admin_finds_a_user_by_name_without_accents_by_e_mail_and_by_role(app, client, seeded):
    import re
    login(client, seeded["admin"])

    def listed(query: str) -> list[str]:
        page = text(client.get(f"/quan-tri/nguoi-dung?{query}"))
        return re.findall(r'/quan-tri/nguoi-dung/\d+(?:\?[^"]*)?">([^<]+)</a>', page)

    assert listed("q=nguyen+hong") == ["hcth@skhcn.example.gov.vn"]  # "Nguyễn Thị Hồng", typed without marks
    assert listed("q=ĐỖ") == ["tdc@skhcn.example.gov.vn"]  # "Đỗ Thị Lan": đ folds to d, in any case
    assert listed("q=qlkh%40") == ["qlkh@skhcn.example.gov.vn"]  # part of an e-mail
    assert listed("role=unit") == ["qlcn@skhcn.example.gov.vn", "qlkh@skhcn.example.gov.vn", "tdc@skhcn.example.gov.vn",
                                   "tttt@skhcn.example.gov.vn", "ttud@skhcn.example.gov.vn"]
    assert listed("role=unit&q=thi") == ["tdc@skhcn.example.gov.vn", "tttt@skhcn.example.gov.vn"]
    assert "5 người dùng khớp." in text(client.get("/quan-tri/nguoi-dung?role=unit"))
    nobody = text(client.get("/quan-tri/nguoi-dung?q=khong+co+ai"))
    assert "Không có người dùng nào khớp." in nobody and 'id="users"' not in nobody
    assert len(listed("role=nope")) == len(seeded)  # a role that is none: every account, not an error
    page = text(client.get("/quan-tri/nguoi-dung?q=nguyen"))
    assert 'value="nguyen"' in page  # the box keeps what was typed


def test_the_users_list_pages_keep_the_search(app, client, seeded):
    from feedback_app.services.accounts import create_user
    for i in range(25):
        create_user(f"canbo{i:02d}@skhcn.example.gov.vn", "unit", full_name=f"Nguyễn Văn Cán Bộ {i}", unit_code="QLKH",
                    password="mat-khau-du-dai-12")
    login(client, seeded["admin"])
    first = text(client.get("/quan-tri/nguoi-dung?q=can+bo&role=unit"))
    assert "25 người dùng khớp." in first and "Trang 1 / 2" in first
    assert "/quan-tri/nguoi-dung?page=2&amp;q=can+bo&amp;role=unit" in first
    second = text(client.get("/quan-tri/nguoi-dung?page=2&q=can+bo&role=unit"))
    assert second.count("canbo") == 5


def test_saving_or_leaving_a_user_found_by_a_search_returns_to_the_search(app, client, seeded):
    import re
    login(client, seeded["admin"])
    found = text(client.get("/quan-tri/nguoi-dung?q=nguyen&role=office"))
    edit = re.search(r'href="(/quan-tri/nguoi-dung/\d+\?[^"]+)">hcth@', found).group(1).replace("&amp;", "&")
    assert "q=nguyen" in edit and "role=office" in edit
    page = text(client.get(edit))
    assert 'href="/quan-tri/nguoi-dung?q=nguyen&amp;role=office">' in page  # Hủy
    user = seeded["office"]
    saved = client.post(edit, data={"email": user.email, "full_name": user.full_name, "role": "office", "unit": "HCTH",
                                    "title": "Chánh Văn phòng", "active": "y"})
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/quan-tri/nguoi-dung?q=nguyen&role=office")
    db.session.expire_all()
    assert db.session.get(User, user.id).title == "Chánh Văn phòng"
