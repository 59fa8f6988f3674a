"""The admin issues and revokes staff API tokens on the user's page: a new token is shown once (its hash
alone is stored), works at once against the API, and stops working the moment it is revoked."""
from __future__ import annotations

import re

from flask import g
from sqlalchemy import select

from feedback_app.auth import token_hash
from feedback_app.extensions import db
from feedback_app.models import ApiToken
from tests.test_office import login, text


def api_status(app, token: str) -> int:
    with app.app_context():  # a request of its own, as a client program would make it
        g.pop("_login_user", None)
        return app.test_client().get("/api/v1/feedback", headers={"Authorization": f"Bearer {token}"}).status_code


def test_admin_issues_a_token_shown_once_then_revokes_it(app, client, seeded):
    unit_user = seeded["QLKH"]
    login(client, seeded["admin"])
    assert "Chưa có mã truy cập API." in text(client.get(f"/quan-tri/nguoi-dung/{unit_user.id}"))

    issued = client.post(f"/quan-tri/nguoi-dung/{unit_user.id}/ma-api")
    assert issued.status_code == 200 and issued.headers["Cache-Control"] == "no-store"
    assert "Authorization: Bearer &lt;mã&gt;" in issued.get_data(as_text=True)  # shown, not taken for a tag
    token = re.search(r'id="token" type="text" readonly value="([^"]+)"', text(issued)).group(1)
    stored = db.session.execute(select(ApiToken).where(ApiToken.user_id == unit_user.id)).scalar_one()
    assert stored.token_hash == token_hash(token) and token not in stored.token_hash
    assert api_status(app, token) == 200

    page = text(client.get(f"/quan-tri/nguoi-dung/{unit_user.id}"))
    assert token not in page and "Đang dùng" in page and f"Thu hồi mã số {stored.id}" in page
    response = client.post(f"/quan-tri/nguoi-dung/{unit_user.id}/ma-api/{stored.id}/thu-hoi", follow_redirects=True)
    assert "Đã thu hồi mã truy cập API." in text(response) and "Đã thu hồi lúc" in text(response)
    assert api_status(app, token) == 401


def test_a_token_is_not_issued_to_an_inactive_account_nor_revoked_through_another_user(app, client, seeded):
    login(client, seeded["admin"])
    office, unit_user = seeded["office"], seeded["QLKH"]
    client.post(f"/quan-tri/nguoi-dung/{office.id}/ma-api")
    token = db.session.execute(select(ApiToken).where(ApiToken.user_id == office.id)).scalar_one()
    response = client.post(f"/quan-tri/nguoi-dung/{unit_user.id}/ma-api/{token.id}/thu-hoi", follow_redirects=True)
    assert "Không tìm thấy mã truy cập này." in text(response)
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).revoked_at is None

    unit_user.active = False
    db.session.commit()
    response = client.post(f"/quan-tri/nguoi-dung/{unit_user.id}/ma-api", follow_redirects=True)
    assert "ngừng hoạt động" in text(response)
    assert db.session.execute(select(ApiToken).where(ApiToken.user_id == unit_user.id)).first() is None


def test_only_the_admin_issues_tokens(app, client, seeded):
    login(client, seeded["office"])
    assert client.post(f"/quan-tri/nguoi-dung/{seeded['office'].id}/ma-api").status_code == 403
    assert db.session.execute(select(ApiToken)).first() is None


def test_the_holder_is_mailed_when_the_admin_issues_a_token_for_their_account(app, client, seeded):
    """The token acts as its account: an admin cannot act as the leader through the API unseen."""
    from feedback_app.models import OutboxMail
    leader, admin = seeded["leader"], seeded["admin"]
    login(client, admin)
    client.post(f"/quan-tri/nguoi-dung/{leader.id}/ma-api")
    token = db.session.execute(select(ApiToken).where(ApiToken.user_id == leader.id)).scalar_one()
    (mail,) = db.session.execute(select(OutboxMail).where(OutboxMail.kind == "token_issued")).scalars().all()
    assert mail.recipients == leader.email and f"mã truy cập API số {token.id}" in mail.subject
    assert admin.full_name in mail.body_text and admin.email in mail.body_text and "thu hồi" in mail.body_text
    client.post(f"/quan-tri/nguoi-dung/{admin.id}/ma-api")  # the admin's own: nobody else to tell
    assert db.session.execute(select(OutboxMail).where(OutboxMail.kind == "token_issued")).scalars().all() == [mail]


def test_a_new_password_another_role_or_a_deactivation_ends_every_session_and_token(app, client, seeded):
    """What the account could do stops with the credential: a reset after a theft, a move, a departure."""
    from feedback_app.models import User
    from feedback_app.services.accounts import create_user, new_token
    user, _ = create_user("cb@skhcn.example.gov.vn", "unit", full_name="Cán bộ", unit_code="QLKH",
                          password="mat-khau-cu-1")
    create_user("cb2@skhcn.example.gov.vn", "unit", full_name="Cán bộ 2", unit_code="QLKH", password="mat-khau-cu-2")
    login(client, seeded["admin"])
    form = {"email": user.email, "full_name": user.full_name, "role": "unit", "unit": "QLKH", "active": "y"}
    for change in ({"password": "mat-khau-moi-9"}, {"role": "office", "unit": ""}, {"active": None}):
        db.session.expire_all()
        user = db.session.get(User, user.id)
        token, version = new_token(user) if user.active else None, user.session_version
        sent = {**form, **change}
        response = client.post(f"/quan-tri/nguoi-dung/{user.id}", data={k: v for k, v in sent.items() if v is not None})
        assert response.status_code == 302, change
        db.session.expire_all()
        user = db.session.get(User, user.id)
        assert user.session_version > (version or 0), change
        if token:
            assert api_status(app, token) == 401, change
        form = {**form, **{k: v for k, v in change.items() if k != "password"}}


def test_a_token_made_by_command_is_mailed_to_its_holder_too(app, seeded):
    from feedback_app.models import OutboxMail
    result = app.test_cli_runner().invoke(args=["users", "token", seeded["QLKH"].email])
    assert result.exit_code == 0, result.output
    (mail,) = db.session.execute(select(OutboxMail).where(OutboxMail.kind == "token_issued")).scalars().all()
    assert mail.recipients == seeded["QLKH"].email and "một lệnh trên máy chủ (flask users token)" in mail.body_text


def test_a_lost_password_is_replaced_by_command_and_the_old_sessions_and_tokens_end(app, client, seeded):
    """The only admin forgot the password: ``users password`` prints a new one; the browsers signed in with
    the old one and its API tokens stop, and the account signs in with the new one."""
    from feedback_app.models import User
    admin = seeded["admin"]
    token = app.test_cli_runner().invoke(args=["users", "token", admin.email]).output.strip().splitlines()[-1]
    login(client, admin)
    assert client.get("/quan-tri/nguoi-dung").status_code == 200
    result = app.test_cli_runner().invoke(args=["users", "password", admin.email.upper()])
    assert result.exit_code == 0, result.output
    new = re.search(r"^password: (\S+)$", result.output, re.M).group(1)
    assert client.get("/quan-tri/nguoi-dung").status_code == 302  # signed out
    assert api_status(app, token) == 401
    db.session.expire_all()
    assert db.session.get(User, admin.id).check_password(new)
    login(client, admin, password=new)
    assert client.get("/quan-tri/nguoi-dung").status_code == 200
    unknown = app.test_cli_runner().invoke(args=["users", "password", "nobody@skhcn.example.gov.vn"])
    assert unknown.exit_code == 1 and "no user nobody@skhcn.example.gov.vn" in unknown.output
