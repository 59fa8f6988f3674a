"""Accessibility, checked by axe-core in headless Chromium: every page each audience uses (the public
portal, HCTH, the leader, a unit, the admin), in Vietnamese and in English, forms showing their errors
included, has no violation of axe's WCAG 2.0/2.1 A and AA rules and its best practices.

axe-core comes inside the ``axe-playwright-python`` package (no download at run time) and is injected by
Playwright, which the Content-Security-Policy does not stop (it governs the page's own scripts)."""
from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import select

from feedback_app.demo import seed
from feedback_app.extensions import db
from feedback_app.models import ApologyLetter, CitizenNotice, Feedback, User
from feedback_app.reports.periods import quarter_of
from workflows.clock import CLOCK

pytestmark = [pytest.mark.browser, pytest.mark.layout]


@pytest.fixture(scope="module")
def axe():
    from axe_playwright_python.sync_playwright import Axe
    return Axe()


def violations(axe, page) -> list[str]:
    """Each violation as "impact rule: help (the first elements)", so that a failure says what to fix."""
    found = axe.run(page).response["violations"]
    return [f"{v['impact']} {v['id']}: {v['help']} ({', '.join(str(n['target']) for n in v['nodes'][:3])})"
            for v in found]


def sign_in(app, page, live_server, user) -> None:
    cookie = app.session_interface.get_signing_serializer(app).dumps({"_user_id": user.get_id(), "_fresh": True})
    page.context.clear_cookies()
    page.context.add_cookies([{"name": app.config["SESSION_COOKIE_NAME"], "value": cookie, "url": live_server}])


@contextmanager
def page_opener(app, live_server, browser, users):
    """For a fixture: ``open_page(viewport, who, path, script=True)``, the page at ``path`` in a
    fresh browser context of that size, signed in as ``users[who]`` (no one when ``who`` is None), with
    the Content-Security-Policy's complaints in the console kept in ``page.blocked``; the page's
    response in ``page.response``. The contexts are closed on leaving."""
    contexts = []

    def open_page(viewport, who, path, script=True):
        context = browser.new_context(viewport=viewport, locale="vi-VN", java_script_enabled=script)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.blocked = []
        page.on("console", lambda m: page.blocked.append(m.text) if "Content Security Policy" in m.text else None)
        if who:
            sign_in(app, page, live_server, users[who])
        page.response = page.goto(f"{live_server}{path}")
        return page
    try:
        yield open_page
    finally:
        for context in contexts:
            context.close()


@pytest.fixture
def demo(app, clock):
    """The demo's department with cases in every state (as ``make run`` shows it)."""
    seed(30, "secret-pass", progress=lambda *_: None)

    def code(state: str, **where) -> str:
        query = select(Feedback.code).where(Feedback.state == state, *[getattr(Feedback, k) == v for k, v in where.items()])
        return db.session.execute(query.order_by(Feedback.id)).scalars().first()

    users = {u.role if u.role != "unit" else u.unit.code: u for u in db.session.execute(select(User)).scalars()}
    forwarded = db.session.execute(select(Feedback).where(Feedback.state == "forwarded")).scalars().first()
    unit_user = next(u for u in users.values() if u.role == "unit" and u.unit_id == forwarded.unit_id)
    letter = db.session.execute(select(ApologyLetter.id)).scalars().first()
    notice = db.session.execute(select(CitizenNotice.id).order_by(CitizenNotice.id)).scalars().first()
    assert notice is not None  # the demo's citizens without an e-mail are owed notices
    return {"users": users, "unit_user": unit_user, "published": code("published"), "forwarded": forwarded.code,
            "received": code("received"), "answered": code("answered"), "letter": letter, "notice": notice,
            "period": quarter_of(CLOCK.today()).label}


def test_every_public_page_and_its_forms_with_errors_pass_axe(live_server, page, axe, demo):
    from datetime import timedelta

    from feedback_app.reports.periods import between
    from feedback_app.services.reports import close_report
    today = CLOCK.today()  # the results page with a closed period of the demo's weeks
    close_report(between(today - timedelta(days=40), today - timedelta(days=1)), demo["users"]["office"])
    pages = ["/", "/gui-phan-anh", "/tra-cuu", "/cong-khai", "/cong-khai?q=học phí", f"/cong-khai/{demo['published']}", "/ket-qua-xu-ly",
             "/thong-bao", "/van-phong/dang-nhap", "/khong-co-trang-nay"]
    for lang in ("vi", "en"):
        for path in pages:
            page.goto(f"{live_server}{path}{'&' if '?' in path else '?'}lang={lang}")
            assert violations(axe, page) == [], (lang, path)
    page.goto(f"{live_server}/gui-phan-anh?lang=vi")
    page.locator("#submit-form button[type=submit]").click()  # empty: every field's error at the field
    page.wait_for_load_state()
    assert page.locator(".field-error").count() >= 3
    assert violations(axe, page) == [], "the form with its errors"
    page.goto(f"{live_server}/tra-cuu")
    page.fill("#code", demo["published"])
    page.fill("#contact", "0000000000")
    page.locator("#lookup-form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(".field-error").count() == 1
    assert violations(axe, page) == [], "the lookup refused"


def test_the_citizens_status_page_passes_axe(live_server, page, axe, demo):
    case = db.session.execute(select(Feedback).where(Feedback.code == demo["answered"])).scalar_one()
    page.goto(f"{live_server}/tra-cuu")
    page.fill("#code", case.code)
    page.fill("#contact", case.phone or case.email)
    page.locator("#lookup-form button[type=submit]").click()
    page.wait_for_url(f"**/tra-cuu/{case.code}")
    assert violations(axe, page) == [], "the status page with its answer and rating form"


@pytest.mark.parametrize("who", ["office", "leader", "unit", "admin"])
def test_every_staff_page_passes_axe(app, live_server, page, axe, demo, who):
    forwarded, received = demo["forwarded"], demo["received"]
    pages = {
        "office": ["/van-phong/", "/van-phong/?tab=classified", "/van-phong/?tab=answered", "/van-phong/?tab=closed",
                   f"/van-phong/ho-so/{received}", f"/van-phong/ho-so/{demo['answered']}", "/van-phong/tiep-nhan-moi",
                   "/van-phong/qua-han", "/van-phong/bao-cao",
                   "/van-phong/tong-quan", "/van-phong/so-tiep-nhan?period=" + demo["period"],
                   "/van-phong/thong-bao-nguoi-dan", f"/van-phong/thong-bao-nguoi-dan/{demo['notice']}", "/van-phong/doi-mat-khau"],
        "leader": ["/van-phong/?tab=review", "/van-phong/bao-cao", "/van-phong/tong-quan", "/van-phong/qua-han"],
        "unit": ["/don-vi/", f"/don-vi/ho-so/{forwarded}"],
        "admin": ["/quan-tri/nguoi-dung", "/quan-tri/nguoi-dung/moi", "/quan-tri/don-vi", "/quan-tri/don-vi/moi",
                  "/quan-tri/linh-vuc", "/quan-tri/lich-lam-viec", "/quan-tri/thu-di"],
    }[who]
    user = demo["unit_user"] if who == "unit" else demo["users"][who]
    sign_in(app, page, live_server, user)
    for lang in ("vi", "en"):
        for path in pages:
            response = page.goto(f"{live_server}{path}{'&' if '?' in path else '?'}lang={lang}")
            assert response.status == 200, (who, path)
            assert violations(axe, page) == [], (who, lang, path)
    if who == "office":  # a form sent back with its errors
        page.goto(f"{live_server}/van-phong/tiep-nhan-moi?lang=vi")
        page.locator("#intake-form [type=submit]").click()
        page.wait_for_load_state()
        assert page.locator(".field-error").count() >= 1
        assert violations(axe, page) == [], "the intake form with its errors"


def test_a_returned_answer_the_units_draft_files_and_a_refused_register_filter_pass_axe(app, live_server, page, axe,
                                                                                         demo):
    """The pages of today's additions in their less common states."""
    import io

    from werkzeug.datastructures import FileStorage

    from feedback_app.services import staff
    returned = db.session.execute(select(Feedback).where(Feedback.state == "forwarded",
                                                         Feedback.answered_at.is_not(None))).scalars().first()
    assert returned is not None and returned.answer_returned
    unit_user = db.session.execute(select(User).where(User.role == "unit", User.unit_id == returned.unit_id)
                                   ).scalars().first()
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    staff.save_draft(returned, unit_user, "Dự thảo đã bổ sung căn cứ pháp lý.",
                     [FileStorage(io.BytesIO(pdf), "cong-van-bo-sung.pdf", content_type="application/pdf")],
                     returned.version)
    sign_in(app, page, live_server, unit_user)
    page.goto(f"{live_server}/don-vi/ho-so/{returned.code}")
    assert page.get_by_role("button", name="Xóa tệp cong-van-bo-sung.pdf khỏi dự thảo").count() == 1
    assert violations(axe, page) == [], "the unit's page of a returned answer, a draft file it may remove"
    sign_in(app, page, live_server, demo["users"]["office"])
    for path in (f"/van-phong/ho-so/{returned.code}", "/van-phong/so-tiep-nhan?from=31/02/2024&to=01/03/2024"):
        page.goto(f"{live_server}{path}")
        assert violations(axe, page) == [], path
    assert page.locator(".field-error").count() >= 1  # the register's filter refused at its field
    page.context.clear_cookies()
    page.goto(f"{live_server}/tra-cuu")
    page.fill("#code", returned.code)
    page.fill("#contact", returned.phone or returned.email)
    page.locator("#lookup-form button[type=submit]").click()
    page.wait_for_url(f"**/tra-cuu/{returned.code}")
    assert "đang được hoàn thiện" in page.locator("main").inner_text()
    assert violations(axe, page) == [], "the citizen's page while the answer is revised"
