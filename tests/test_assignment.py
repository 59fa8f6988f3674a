"""A unit picks the officer who handles a case (services.assignment): the case page's form, the mail to a
colleague made its handler, the workspace's "mine" and "unassigned" lists, the other roles' view, the
register's handler, the staff API; cleared when the case leaves the unit or the officer the unit's work."""
from __future__ import annotations

import html
import re

import pytest
from deadline_helpers import forwarded_case, sign_in
from sqlalchemy import select
from test_public_status import text_of
from test_return_answer import page_of, stored, under_review
from test_unit_notices import body, mails, unit_user

from feedback_app.extensions import db
from feedback_app.models import Transition
from feedback_app.services import accounts, assignment, outbox
from feedback_app.services.accounts import new_token
from feedback_app.services.cases import apply_event
from feedback_app.services.register import Lines
from feedback_app.services.staff import StaffInputError


def assign_on_page(client, case, assignee: str, version: int | None = None):
    """Send the case page's Phân công form as the browser would: its CSRF token and version."""
    page = page_of(client, f"/don-vi/ho-so/{case.code}")
    form = re.search(r'<section[^>]*id="assign".*?</form>', page, re.S)
    assert form is not None, "no assignment form on the unit's page"
    fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form.group(0)))
    fields = {k: html.unescape(v) for k, v in fields.items()}
    if version is not None:
        fields["version"] = str(version)
    return client.post(f"/don-vi/ho-so/{case.code}/phan-cong", data={**fields, "assignee": assignee})


def audit_notes(case) -> list[str]:
    return [t.note for t in db.session.execute(select(Transition).where(
        Transition.feedback_id == case.id, Transition.event == "assign").order_by(Transition.id)).scalars()]


def test_a_unit_assigns_a_colleague_who_is_mailed_and_finds_it_in_their_list(app, client, clock, seeded, smtp):
    app.config["WTF_CSRF_ENABLED"] = True
    app.config["PUBLIC_BASE_URL"] = "https://pakn.skhcn.example.gov.vn"
    colleague = unit_user("khoa2@skhcn.example.gov.vn", "QLKH")
    case = forwarded_case(seeded)
    version = case.version
    sign_in(client, seeded["QLKH"])
    page = text_of(page_of(client, f"/don-vi/ho-so/{case.code}"))
    assert "Phân công xử lý" in page and "khoa2" in page and "Người xử lý: " not in page

    response = assign_on_page(client, case, str(colleague.id))
    assert response.status_code == 302
    case = stored(case)
    assert case.assignee_id == colleague.id and case.state == "forwarded" and case.version == version + 1
    assert audit_notes(case) == ["Phân công: khoa2"]

    # the colleague alone is told, with the case, its due date and the link
    (row,) = mails("unit_assign")
    assert row.recipients == "khoa2@skhcn.example.gov.vn"
    assert outbox.flush().failed == 0
    (message,) = [m for m in smtp.inbox.wait_for(1) if "phân công" in m["Subject"]]
    assert message["Subject"] == f"Ông/Bà được phân công xử lý phản ánh, kiến nghị {case.code} (hạn 25/03/2024)"
    text = body(message)
    assert text.startswith("Kính gửi Ông/Bà khoa2,")
    assert f"{seeded['QLKH'].full_name} (Phòng Quản lý Khoa học) đã phân công" in text
    assert "Người xử lý: khoa2" in text and "Hạn: 25/03/2024" in text
    assert f"Mở hồ sơ: https://pakn.skhcn.example.gov.vn/don-vi/ho-so/{case.code}" in text

    page = page_of(client, f"/don-vi/ho-so/{case.code}")
    assert "Đã phân công khoa2 xử lý." in page and re.search(r'id="case-assignee">khoa2<', page)
    assert case.code not in page_of(client, "/don-vi/?cua=toi")  # the one who assigned it
    assert case.code not in page_of(client, "/don-vi/?cua=chua")
    assert "khoa2" in text_of(page_of(client, "/don-vi/"))  # the list's Người xử lý column
    sign_in(client, colleague)
    assert case.code in page_of(client, "/don-vi/?cua=toi")

    # HCTH and the leader see who handles it; the staff API says so
    for role in ("office", "leader"):
        sign_in(client, seeded[role])
        assert re.search(r'id="case-assignee">khoa2<', page_of(client, f"/van-phong/ho-so/{case.code}"))
        assert 'action="/don-vi/ho-so/' not in page_of(client, f"/van-phong/ho-so/{case.code}")
    token = {"Authorization": f"Bearer {new_token(seeded['office'])}"}
    assert client.get(f"/api/v1/feedback/{case.code}", headers=token).get_json()["assignee"] == {
        "id": colleague.id, "name": "khoa2"}


def test_taking_a_case_oneself_sends_no_mail_and_clearing_it_lists_it_as_unassigned(app, client, clock, seeded):
    case = forwarded_case(seeded)
    me = seeded["QLKH"]
    assignment.assign(case, me, me.id, case.version)
    assert stored(case).assignee_id == me.id and mails("unit_assign") == []
    sign_in(client, me)
    assert case.code in page_of(client, "/don-vi/?cua=toi")
    version = stored(case).version
    assignment.assign(case, me, me.id, version)  # the same choice again changes nothing
    assert stored(case).version == version and len(audit_notes(case)) == 1

    assert assign_on_page(client, case, "").status_code == 302
    assert stored(case).assignee_id is None
    assert audit_notes(case)[-1] == f"Bỏ phân công ({me.full_name})"
    assert case.code in page_of(client, "/don-vi/?cua=chua") and case.code not in page_of(client, "/don-vi/?cua=toi")


@pytest.mark.parametrize("who", ["other_unit", "inactive", "leader", "nonsense", "huge", "superscript"])
def test_only_an_active_user_of_the_unit_can_be_assigned(app, client, clock, seeded, who):
    case = forwarded_case(seeded)
    chosen = {"other_unit": lambda: str(seeded["QLCN"].id),
              "inactive": lambda: str(unit_user("nghihuu@skhcn.example.gov.vn", "QLKH", active=False).id),
              "leader": lambda: str(seeded["leader"].id), "nonsense": lambda: "ai-do",
              "huge": lambda: "9" * 40, "superscript": lambda: "²"}[who]()
    version = stored(case).version
    sign_in(client, seeded["QLKH"])
    response = assign_on_page(client, case, chosen)
    assert response.status_code == 422
    assert "Chỉ phân công được cho người dùng đang hoạt động của đơn vị." in response.get_data(as_text=True)
    assert stored(case).assignee_id is None and stored(case).version == version and audit_notes(case) == []


def test_a_form_older_than_another_change_is_not_applied_but_shown_again(app, client, clock, seeded):
    colleague = unit_user("khoa2@skhcn.example.gov.vn", "QLKH")
    case = forwarded_case(seeded)
    old = stored(case).version
    assignment.assign(case, seeded["QLKH"], colleague.id, old)
    sign_in(client, seeded["QLKH"])
    response = assign_on_page(client, case, "", version=old)  # a second tab read before the assignment
    assert response.status_code == 409 and "Nội dung bạn vừa nhập vẫn còn" in response.get_data(as_text=True)
    assert stored(case).assignee_id == colleague.id


def test_the_assignment_ends_when_the_case_leaves_the_unit_and_stays_with_the_answer(app, clock, seeded):
    case = forwarded_case(seeded)
    assignment.assign(case, seeded["QLKH"], seeded["QLKH"].id, case.version)
    apply_event(case, "return_to_office", seeded["QLKH"], {"reason": "Không thuộc lĩnh vực của phòng"})
    assert stored(case).assignee_id is None
    apply_event(case, "forward", seeded["office"], {"unit": "QLKH"})
    assignment.assign(case, seeded["QLKH"], seeded["QLKH"].id, stored(case).version)
    apply_event(stored(case), "return_to_office", seeded["QLKH"], {"reason": "Thuộc phòng khác"})
    apply_event(stored(case), "forward", seeded["office"], {"unit": "QLCN"})
    assert stored(case).assignee_id is None
    with pytest.raises(StaffInputError):  # QLKH no longer holds it
        assignment.assign(stored(case), seeded["QLKH"], seeded["QLKH"].id, stored(case).version)

    answered = under_review(seeded)
    officer = seeded["QLKH"]
    assignment.assign(answered, officer, officer.id, stored(answered).version)
    apply_event(stored(answered), "approve", seeded["leader"])
    assert stored(answered).assignee_id == officer.id  # who handled it stays on the record
    with pytest.raises(StaffInputError):
        assignment.assign(stored(answered), officer, None, stored(answered).version)
    lines = Lines()
    entry = next(lines.entry(1, c) for c in [stored(answered)])
    assert entry.unit == f"Phòng Quản lý Khoa học ({officer.full_name})"


def test_an_officer_deactivated_or_moved_leaves_their_open_cases_to_the_unit(app, clock, seeded):
    officer = unit_user("khoa2@skhcn.example.gov.vn", "QLKH")
    open_case = forwarded_case(seeded)
    assignment.assign(open_case, officer, officer.id, open_case.version)
    done = under_review(seeded)
    assignment.assign(done, officer, officer.id, stored(done).version)
    apply_event(stored(done), "approve", seeded["leader"])

    assert accounts.update_user(officer, email=officer.email, full_name=officer.full_name, role="unit",
                                unit_code="QLCN", title=None, active=True) == 1  # the admin is told how many
    assert stored(open_case).assignee_id is None
    assert audit_notes(stored(open_case))[-1] == "Bỏ phân công (khoa2): chuyển công tác"
    assert stored(done).assignee_id == officer.id  # an answered case keeps its handler

    assignment.assign(stored(open_case), seeded["QLKH"], seeded["QLKH"].id, stored(open_case).version)
    other = unit_user("khoa3@skhcn.example.gov.vn", "QLKH")  # someone stays in the unit
    accounts.update_user(seeded["QLKH"], email=seeded["QLKH"].email, full_name=seeded["QLKH"].full_name, role="unit",
                         unit_code="QLKH", title=None, active=False)
    assert stored(open_case).assignee_id is None
    assert audit_notes(stored(open_case))[-1].endswith(": tài khoản ngừng hoạt động")
    assert other.active


def test_the_units_reminder_names_the_officer_handling_the_case(app, clock, seeded):
    from feedback_app.models import OutboxMail
    from feedback_app.services.sweep import sweep
    from workflows.clock import parse_instant
    officer = unit_user("khoa2@skhcn.example.gov.vn", "QLKH")
    case = forwarded_case(seeded)  # answer due 25/03/2024: reminded 2 working days before
    assignment.assign(case, seeded["QLKH"], officer.id, case.version)
    assert sweep(parse_instant("2024-03-21T09:00:00+07:00")).reminders == 1
    mail = db.session.execute(select(OutboxMail).where(OutboxMail.kind == "reminder")).scalar_one()
    assert "Người xử lý: khoa2" in mail.body_text and "khoa2@skhcn.example.gov.vn" in mail.recipients


def test_the_staff_api_assigns_as_the_page_does(app, client, clock, seeded):
    colleague = unit_user("khoa2@skhcn.example.gov.vn", "QLKH")
    case = forwarded_case(seeded)
    url = f"/api/v1/feedback/{case.code}/assignee"
    token = {role: {"Authorization": f"Bearer {new_token(seeded[role])}"} for role in ("QLKH", "QLCN", "leader")}

    read = case.version
    done = client.put(url, json={"assignee_id": colleague.id, "version": read}, headers=token["QLKH"])
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["assignee"] == {"id": colleague.id, "name": "khoa2"}
    assert stored(case).assignee_id == colleague.id and audit_notes(case) == ["Phân công: khoa2"]
    assert mails("unit_assign")[0].recipients == "khoa2@skhcn.example.gov.vn"

    stale = client.put(url, json={"assignee_id": None, "version": read}, headers=token["QLKH"])
    assert stale.status_code == 409 and stale.get_json()["stale"] is True
    assert client.put(url, json={"assignee_id": None}, headers=token["leader"]).status_code == 403
    assert client.put(url, json={"assignee_id": None}, headers=token["QLCN"]).status_code == 404
    wrong = client.put(url, json={"assignee_id": seeded["QLCN"].id}, headers=token["QLKH"])
    assert wrong.status_code == 422 and "assignee_id" in wrong.get_json()["errors"]
    assert client.put(url, json={"assignee_id": "khoa2"}, headers=token["QLKH"]).status_code == 422
    for body in ({}, {"version": 99}, {"assigneeId": None}, {"assignee": colleague.id}):  # never a silent clear
        missing = client.put(url, json=body, headers=token["QLKH"])
        assert missing.status_code == 422, body
    assert client.put(url, data="khoa2", headers={**token["QLKH"], "Content-Type": "text/plain"}).status_code == 415
    assert stored(case).assignee_id == colleague.id

    # the list: the officer on each case, and the cases of one officer or of none
    other = forwarded_case(seeded)
    listed = client.get("/api/v1/feedback", headers=token["QLKH"]).get_json()["items"]
    assert {i["code"]: i["assignee"] for i in listed} == {case.code: {"id": colleague.id, "name": "khoa2"},
                                                          other.code: None}
    mine = client.get(f"/api/v1/feedback?assignee={colleague.id}", headers=token["QLKH"]).get_json()["items"]
    assert [i["code"] for i in mine] == [case.code]
    assert [i["code"] for i in client.get("/api/v1/feedback?assignee=none", headers=token["QLKH"]).get_json()[
        "items"]] == [other.code]
    for bad in ("ai", "²", "9" * 30):
        assert client.get(f"/api/v1/feedback?assignee={bad}", headers=token["QLKH"]).status_code == 422, bad

    apply_event(stored(case), "return_to_office", seeded["QLKH"], {"reason": "Không thuộc lĩnh vực của phòng"})
    gone = client.put(url, json={"assignee_id": colleague.id}, headers=token["QLKH"])
    assert gone.status_code == 404  # no longer the unit's case: it does not see it


def test_an_answer_returned_after_its_officer_left_the_unit_waits_for_a_new_one(app, client, clock, seeded):
    officer = unit_user("khoa2@skhcn.example.gov.vn", "QLKH")
    case = under_review(seeded)
    assignment.assign(stored(case), officer, officer.id, stored(case).version)
    apply_event(stored(case), "approve", seeded["leader"])
    accounts.update_user(officer, email=officer.email, full_name=officer.full_name, role="unit", unit_code="QLCN",
                         title=None, active=True)
    assert stored(case).assignee_id == officer.id  # answered: the record keeps who answered
    apply_event(stored(case), "return_answer", seeded["office"],
                {"reason": "Câu trả lời chưa dẫn căn cứ pháp lý; đề nghị hoàn thiện trước khi công khai."})
    case = stored(case)
    assert (case.state, case.assignee_id) == ("forwarded", None)
    assert audit_notes(case)[-1] == "Bỏ phân công (khoa2): không còn làm việc tại đơn vị"
    sign_in(client, seeded["QLKH"])
    assert case.code in page_of(client, "/don-vi/?cua=chua")
    assert "Người xử lý: khoa2" not in mails("unit_return_answer")[0].body_text


def test_a_refused_choice_shows_the_officer_the_case_has_not_the_first_option(app, client, clock, seeded):
    colleague = unit_user("khoa2@skhcn.example.gov.vn", "QLKH")
    case = forwarded_case(seeded)
    assignment.assign(case, seeded["QLKH"], colleague.id, case.version)
    sign_in(client, seeded["QLKH"])
    refused = assign_on_page(client, case, str(seeded["QLCN"].id))  # someone moved to QLCN meanwhile
    assert refused.status_code == 422
    select = re.search(r'<select[^>]*name="assignee".*?</select>', refused.get_data(as_text=True), re.S).group(0)
    (chosen,) = [o for o in re.findall(r"<option[^>]*>", select) if " selected" in o]
    assert f'value="{colleague.id}"' in chosen  # sent again, it keeps khoa2 rather than clearing the officer
