"""A member of staff changes their own password (/van-phong/doi-mat-khau): the admin no longer knows it, the
other browsers are signed out, the holder is mailed and the change is on the administration's trail."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from feedback_app.extensions import db
from feedback_app.models import AdminEvent, ApiToken, OutboxMail, User
from feedback_app.services.accounts import new_token

from test_office import login, text

URL = "/van-phong/doi-mat-khau"


def change(client, current="secret-pass", new="Hoa-sen-nở-2026", confirm=None):
    return client.post(URL, data={"current_password": current, "new_password": new,
                                  "confirm": new if confirm is None else confirm})


@pytest.mark.parametrize("role", ["QLKH", "office", "admin"])
def test_staff_change_their_own_password_and_every_other_browser_is_signed_out(app, seeded, role):
    user = seeded[role]
    token = new_token(user, tell_holder=False)
    mine, other = app.test_client(), app.test_client()
    login(mine, user), login(other, user)
    assert 'href="/van-phong/doi-mat-khau"' in text(mine.get(URL))  # in the menu, the page itself too
    response = change(mine)
    assert response.status_code == 302
    assert mine.get(URL).status_code == 200  # this browser stays signed in
    assert other.get(URL).status_code in (302, 401)  # the other is signed out
    assert login(app.test_client(), user, "secret-pass").status_code == 401
    assert login(app.test_client(), user, "Hoa-sen-nở-2026").status_code == 302
    assert db.session.get(ApiToken, db.session.execute(select(ApiToken.id)).scalar()).revoked_at is None  # tokens stay
    mail = db.session.execute(select(OutboxMail).where(OutboxMail.kind == "password_changed")).scalar_one()
    assert mail.recipients == user.email and "quản trị hệ thống" in mail.body_text and user.email in mail.subject
    event = db.session.execute(select(AdminEvent).where(AdminEvent.action == "password_changed")).scalar_one()
    assert (event.subject, event.actor_id) == (user.email, user.id)
    assert token


def test_a_wrong_current_password_a_mismatch_or_an_easy_one_is_refused_at_its_field(app, client, seeded):
    user = seeded["QLKH"]
    login(client, user)
    before = db.session.get(User, user.id).password_hash
    for sent, field, message in [
            (dict(current="wrong-pass"), "current_password", "Mật khẩu hiện tại không đúng."),
            (dict(confirm="Khác-hẳn-2026"), "confirm", "Hai lần nhập mật khẩu mới không khớp."),
            (dict(new="password123"), "new_password", "quá dễ đoán"),
            (dict(new="secret-pass"), "new_password", "Mật khẩu mới phải khác mật khẩu hiện tại."),
            (dict(new="ngắn"), "new_password", "ít nhất 8 ký tự")]:
        response = change(client, **sent)
        page = text(response)
        assert response.status_code == 422, sent
        error = page[page.index(f'id="{field}-error"'):]
        assert message in error[:400], (sent, error[:400])
        assert "secret-pass" not in page and "wrong-pass" not in page  # passwords are never sent back
    db.session.expire_all()
    assert db.session.get(User, user.id).password_hash == before
    assert db.session.execute(select(OutboxMail).where(OutboxMail.kind == "password_changed")).first() is None


def test_the_page_needs_a_signed_in_member_of_staff(client, seeded):
    response = client.get(URL)
    assert response.status_code == 302 and "/van-phong/dang-nhap" in response.headers["Location"]
    assert change(client).status_code in (302, 400, 401)
    assert login(client, seeded["QLKH"], "Hoa-sen-nở-2026").status_code == 401  # nothing changed


def test_a_new_password_longer_than_the_admins_form_allows_is_refused(client, seeded):
    login(client, seeded["QLKH"])
    response = change(client, new="Abcdefgh12!" * 12)  # 132 characters
    assert response.status_code == 422 and "từ 8 đến 128 ký tự" in text(response)


def test_wrong_current_passwords_are_limited_a_mistyped_confirmation_is_not(app_with):
    from feedback_app.demo import seed
    app = app_with(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per hour", LOGIN_MAX_FAILURES=100)
    seed(0, "secret-pass", progress=lambda *_: None)
    user = db.session.execute(select(User).where(User.role == "unit")).scalars().first()
    client = app.test_client()
    login(client, user)
    for _ in range(5):  # typing errors in the new password cost nothing
        assert change(client, confirm="Khác-hẳn-2026").status_code == 422
    for _ in range(3):
        assert change(client, current="wrong-pass").status_code == 422
    assert change(client, current="wrong-pass").status_code == 429
    assert change(client).status_code == 429  # the right one too, until the hour is over
