"""The admin keeps the fields (lĩnh vực) and their internal targets: never longer than the law's
working days, and a changed target moves the internal target of the field's open cases."""
from __future__ import annotations

import pytest
from sqlalchemy import select, text as sql_text

from feedback_app.extensions import db
from feedback_app.models import Category, Feedback
from feedback_app.services.calendar import load_calendar
from feedback_app.services.cases import apply_event, receive
from tests.deadline_helpers import sign_in
from tests.test_office import SUBMISSION, login, post_event, text


def test_admin_adds_a_field_with_targets_and_bad_values_are_refused_with_the_reason(app, client, seeded):
    login(client, seeded["admin"])
    page = text(client.get("/quan-tri/linh-vuc"))
    assert "SHTT" in page and "theo quy định" in page and "phân loại: 5, trả lời: 15" in page
    response = client.post("/quan-tri/linh-vuc/moi", data={
        "code": "ktcn", "name": "Kỹ thuật công nghệ", "classify_target_days": "3", "answer_target_days": "10",
        "active": "y"})
    assert response.status_code == 302
    field = db.session.execute(select(Category).where(Category.code == "KTCN")).scalar_one()
    assert (field.name, field.classify_target_days, field.answer_target_days, field.active) == (
        "Kỹ thuật công nghệ", 3, 10, True)

    too_long = client.post(f"/quan-tri/linh-vuc/{field.id}", data={
        "code": "KTCN", "name": "Kỹ thuật công nghệ", "classify_target_days": "3", "answer_target_days": "16"})
    assert too_long.status_code == 422 and "phải từ 1 đến 15" in text(too_long)
    zero = client.post(f"/quan-tri/linh-vuc/{field.id}", data={
        "code": "KTCN", "name": "Kỹ thuật công nghệ", "classify_target_days": "0"})
    assert zero.status_code == 422 and "phải lớn hơn 0" in text(zero)
    twice = client.post("/quan-tri/linh-vuc/moi", data={"code": "SHTT", "name": "Trùng mã"})
    assert twice.status_code == 422 and "đã tồn tại" in text(twice)
    accented = client.post("/quan-tri/linh-vuc/moi", data={"code": "KHÁC2", "name": "Có dấu"})
    assert accented.status_code == 422 and "không dấu" in text(accented)
    db.session.expire_all()
    assert db.session.get(Category, field.id).answer_target_days == 10  # nothing changed by the refusals


def test_a_shorter_answer_target_moves_the_open_cases_of_the_field(app, client, clock, seeded):
    case = receive(SUBMISSION)
    apply_event(case, "classify", seeded["office"], {"category": "SHTT"})
    apply_event(case, "forward", seeded["office"], {"unit": "QLCN"})
    assert case.due_step == "answer" and case.target_date == case.due_date  # no target of its own yet
    login(client, seeded["admin"])
    shtt = db.session.execute(select(Category).where(Category.code == "SHTT")).scalar_one()
    response = client.post(f"/quan-tri/linh-vuc/{shtt.id}", data={
        "code": "SHTT", "name": shtt.name, "answer_target_days": "5", "active": "y"}, follow_redirects=True)
    assert "1 phản ánh, kiến nghị đang xử lý được tính lại hạn nội bộ." in text(response)
    db.session.expire_all()
    case = db.session.get(Feedback, case.id)
    assert case.target_date == load_calendar().add_working_days(case.due_start, 5) < case.due_date


def test_only_the_admin_keeps_the_fields(app, client, seeded):
    login(client, seeded["office"])
    assert client.get("/quan-tri/linh-vuc").status_code == 403
    assert client.post("/quan-tri/linh-vuc/moi", data={"code": "X", "name": "X"}).status_code == 403
    assert db.session.execute(select(Category).where(Category.code == "X")).scalar() is None


def test_the_admin_forms_show_every_field_with_its_label(app, client, seeded):
    login(client, seeded["admin"])
    pages = {"/quan-tri/linh-vuc/moi": ["code", "name", "classify_target_days", "answer_target_days"],
             "/quan-tri/don-vi/moi": ["code", "name", "email", "active"],
             "/quan-tri/nguoi-dung/moi": ["email", "full_name", "title", "role", "unit", "password", "active"]}
    for url, names in pages.items():
        page = text(client.get(url))
        for name in names:  # a checkbox sits inside its label, the other inputs are named by for=
            assert f'name="{name}"' in page and (name == "active" or f'for="{name}"' in page), (url, name)
        assert 'name="csrf_token"' not in page or page.count('name="csrf_token"') == 1
    assert 'autocomplete="new-password"' in text(client.get("/quan-tri/nguoi-dung/moi"))


def test_a_target_shortened_below_today_is_today_so_the_reminder_still_goes(app, client, clock, seeded):
    """Reminders look at targets from today on: a running case whose new target would already be past
    gets today, and the case page shows the internal target beside the legal due date."""
    from datetime import date
    from feedback_app.services.sweep import sweep
    from workflows.clock import parse_instant
    case = receive(SUBMISSION)
    apply_event(case, "classify", seeded["office"], {"category": "SHTT"})
    apply_event(case, "forward", seeded["office"], {"unit": "QLCN"})
    clock.set("2024-03-15T09:00:00+07:00")
    login(client, seeded["admin"])
    shtt = db.session.execute(select(Category).where(Category.code == "SHTT")).scalar_one()
    client.post(f"/quan-tri/linh-vuc/{shtt.id}", data={"code": "SHTT", "name": shtt.name, "answer_target_days": "3"})
    db.session.expire_all()
    case = db.session.get(Feedback, case.id)
    assert case.target_date == date(2024, 3, 15) < case.due_date
    client.post("/van-phong/dang-xuat")
    login(client, seeded["office"])
    page = text(client.get(f"/van-phong/ho-so/{case.code}"))
    assert '<dd id="target-date">15/03/2024' in page
    result = sweep(parse_instant("2024-03-15T09:05:00+07:00"))
    assert result.reminders == 1
    # the field's name saved again later: the targets (and the reminder given) stay as they are
    clock.set("2024-03-18T09:00:00+07:00")
    client.post("/van-phong/dang-xuat")
    login(client, seeded["admin"])
    saved = client.post(f"/quan-tri/linh-vuc/{shtt.id}", data={"code": "SHTT", "name": shtt.name + " (mới)",
                                                               "answer_target_days": "3"}, follow_redirects=True)
    assert "được tính lại hạn nội bộ" not in text(saved)
    db.session.expire_all()
    assert db.session.get(Feedback, case.id).target_date == date(2024, 3, 15)
    assert sweep(parse_instant("2024-03-18T09:05:00+07:00")).reminders == 0


def test_the_english_badge_counts_one_working_day_in_the_singular(app, client, clock, seeded):
    case = receive(SUBMISSION)  # Monday 4 March: classification due Monday 11 March
    clock.set("2024-03-08T09:00:00+07:00")
    login(client, seeded["office"])
    page = text(client.get(f"/van-phong/ho-so/{case.code}?lang=en"))
    assert "1 working day left" in page and "1 working days" not in page
    clock.set("2024-03-12T09:00:00+07:00")
    assert "1 working day late" in text(client.get(f"/van-phong/ho-so/{case.code}?lang=en"))
    assert "Quá hạn 1 ngày làm việc" in text(client.get(f"/van-phong/ho-so/{case.code}?lang=vi"))


def test_a_field_no_longer_used_is_offered_to_hcth_no_more_and_its_cases_keep_it(app, client, clock, seeded):
    from feedback_app.models import AdminEvent
    from feedback_app.services.cases import InvalidEventArguments
    classified = receive(SUBMISSION)
    apply_event(classified, "classify", seeded["office"], {"category": "SHTT"})
    shtt = db.session.execute(select(Category).where(Category.code == "SHTT")).scalar_one()
    login(client, seeded["admin"])
    form = {"code": "SHTT", "name": shtt.name}
    assert client.post(f"/quan-tri/linh-vuc/{shtt.id}", data=form).status_code == 302  # "Đang sử dụng" unticked
    listing = text(client.get("/quan-tri/linh-vuc"))
    assert listing.index("Ngừng sử dụng") > listing.index("Đang sử dụng")  # listed after the fields in use
    trail = db.session.execute(select(AdminEvent).order_by(AdminEvent.id.desc())).scalars().first()
    assert (trail.action, trail.details) == ("category_changed", "đang sử dụng: có → không")

    waiting = receive(SUBMISSION)
    sign_in(client, seeded["office"])
    page = text(client.get(f"/van-phong/ho-so/{waiting.code}"))
    assert 'value="SHTT"' not in page and 'value="TTHC"' in page  # HCTH's classify form
    stale = post_event(client, "van-phong", waiting, "classify", category="SHTT", subject="regulation")
    assert stale.status_code == 422 and "Lĩnh vực này đã ngừng sử dụng" in text(stale)  # a page read before
    with pytest.raises(InvalidEventArguments) as refused:  # the API and a tampered form alike
        apply_event(waiting, "classify", seeded["office"], {"category": "SHTT"})
    assert refused.value.errors == {"category": "Lĩnh vực này đã ngừng sử dụng: hãy chọn lĩnh vực khác."}
    db.session.rollback()
    assert db.session.get(Feedback, classified.id).category.code == "SHTT"  # classified before: kept

    sign_in(client, seeded["admin"])
    assert client.post(f"/quan-tri/linh-vuc/{shtt.id}", data={**form, "active": "y"}).status_code == 302
    apply_event(db.session.get(Feedback, waiting.id), "classify", seeded["office"], {"category": "SHTT"})
    assert db.session.get(Feedback, waiting.id).category.code == "SHTT"


def test_the_last_field_in_use_cannot_be_switched_off(app, client, seeded):
    from feedback_app.services.categories import save_category
    fields = db.session.execute(select(Category).order_by(Category.code)).scalars().all()
    for field in fields[1:]:
        save_category(field, code=field.code, name=field.name, classify_target_days=field.classify_target_days,
                      answer_target_days=field.answer_target_days, active=False)
    last = fields[0]
    login(client, seeded["admin"])
    refused = client.post(f"/quan-tri/linh-vuc/{last.id}", data={"code": last.code, "name": last.name})
    assert refused.status_code == 422 and "Đây là lĩnh vực duy nhất đang sử dụng" in text(refused)
    db.session.expire_all()
    assert db.session.get(Category, last.id).active
    api = client.get("/api/v1/categories", headers={"Authorization": "Bearer x"})
    assert api.status_code == 401  # the list's "active" flag: tests/test_staff_api.py


@pytest.mark.postgres_only
def test_two_admins_switching_off_the_last_two_fields_at_once_leave_one_in_use(app, seeded):
    """Admin A has switched off one of the last two fields, not yet committed; admin B's switching off the
    other waits for A's lock, then sees A's change and is refused."""
    import threading

    from feedback_app.services.accounts import AccountError
    from feedback_app.services.categories import save_category
    fields = db.session.execute(select(Category).order_by(Category.id)).scalars().all()
    for field in fields[2:]:
        save_category(field, code=field.code, name=field.name, classify_target_days=None, answer_target_days=None,
                      active=False)
    first, second = fields[0].id, fields[1].id
    db.session.remove()
    admin_a = db.engine.connect()
    transaction = admin_a.begin()
    admin_a.execute(sql_text("SELECT id FROM categories WHERE active ORDER BY id FOR UPDATE"))
    admin_a.execute(sql_text("UPDATE categories SET active = false WHERE id = :id"), {"id": first})
    outcome = []

    def admin_b():
        with app.app_context():
            field = db.session.get(Category, second)
            try:
                save_category(field, code=field.code, name=field.name, classify_target_days=None,
                              answer_target_days=None, active=False)
                outcome.append("saved")
            except AccountError as exc:
                outcome.append(exc.message)
            db.session.remove()

    b = threading.Thread(target=admin_b)
    b.start()
    waiting = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%FOR UPDATE%'"
    with db.engine.connect() as watcher:  # B is blocked on A's lock: not a deadline, a state to reach
        for _ in range(500):
            if watcher.execute(sql_text(waiting)).scalar():
                break
            threading.Event().wait(0.01)
    transaction.commit()
    admin_a.close()
    b.join(30)
    assert outcome and outcome[0].startswith("Đây là lĩnh vực duy nhất đang sử dụng")
    assert db.session.execute(select(Category.active).where(Category.id == second)).scalar_one() is True
