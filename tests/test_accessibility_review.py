"""What an accessibility review of the pages found beyond axe's rules, each checked in headless Chromium:
forms fit a 320 px window (WCAG 1.4.10), fields have a 3:1 outline (1.4.11), a form sent back after a
fragment in its URL still moves the focus to its error list, the staff sign-in says why it refused and
where, the charts' figures are in words, and Vietnamese text on an English page is marked as such."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from feedback_app.extensions import db
from feedback_app.models import Feedback
from tests.test_accessibility import demo, sign_in  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.layout]


def _luminance(css: str) -> float:
    r, g, b = (int(v) / 255 for v in re.findall(r"\d+", css)[:3])
    return sum(w * (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4)
               for w, c in zip((0.2126, 0.7152, 0.0722), (r, g, b)))


def contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_forms_and_the_dashboard_fit_a_320px_window_and_fields_are_outlined_at_3_to_1(
        app, live_server, page, demo):  # noqa: F811
    page.set_viewport_size({"width": 320, "height": 640})  # 1280 px at 400% zoom
    page.goto(f"{live_server}/gui-phan-anh")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    border = page.evaluate("getComputedStyle(document.querySelector('#full_name')).borderTopColor")
    assert contrast(border, "rgb(255, 255, 255)") >= 3, border
    sign_in(app, page, live_server, demo["users"]["office"])
    for path in ("/van-phong/tiep-nhan-moi", "/van-phong/tong-quan", f"/van-phong/ho-so/{demo['received']}"):
        page.goto(f"{live_server}{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, path


def look_up_published(live_server, page, demo, lang: str = "vi") -> Feedback:  # noqa: F811
    """Open the demo's published case's status page as its sender would: code and phone (or e-mail)."""
    case = db.session.execute(select(Feedback).where(Feedback.code == demo["published"])).scalar_one()
    page.goto(f"{live_server}/tra-cuu?lang={lang}")
    page.fill("#code", case.code)
    page.fill("#contact", case.phone or case.email)
    page.locator("#lookup-form button[type=submit]").click()
    page.wait_for_load_state()
    return case


def test_a_rating_sent_without_a_score_puts_the_focus_on_the_error_list(live_server, page, demo):  # noqa: F811
    case = look_up_published(live_server, page, demo)
    page.goto(page.url + "#danh-gia")  # as the page's own link to the rating would leave it
    page.locator("#rating-form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.title().startswith("Lỗi: Tình trạng phản ánh, kiến nghị " + case.code)
    assert page.evaluate("document.activeElement.id") == "form-errors"


def test_a_refused_sign_in_is_told_in_the_focused_error_list_and_the_title(live_server, page, demo):  # noqa: F811
    page.goto(f"{live_server}/van-phong/dang-nhap")
    page.fill("#email", demo["users"]["office"].email)
    page.fill("#password", "not-the-password")
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    page.wait_for_load_state()
    assert page.title().startswith("Lỗi: ")
    assert page.evaluate("document.activeElement.id") == "form-errors"
    assert page.locator("#form-alert").inner_text().strip()


def test_the_charts_say_their_figures_and_an_english_page_marks_vietnamese_text(
        app, client, live_server, page, demo):  # noqa: F811
    sign_in(app, page, live_server, demo["users"]["leader"])
    page.goto(f"{live_server}/van-phong/tong-quan")
    described = page.evaluate("""[...document.querySelectorAll('.chart svg')].map(svg =>
        document.getElementById(svg.getAttribute('aria-describedby')).textContent)""")
    assert len(described) == 3 and all(re.search(r": \d", text) for text in described), described
    assert page.locator("figure[role=region]").count() == 0  # the scrolling region is the figure's box
    case = look_up_published(live_server, page, demo, lang="en")
    assert page.locator("p.lead").get_attribute("lang") == "vi" and page.locator("html").get_attribute("lang") == "en"
    page.goto(f"{live_server}/cong-khai/{case.code}?lang=en")
    assert page.locator("#public-title").get_attribute("lang") == "vi"


def test_the_intake_form_does_not_offer_the_clerks_own_details(app, client, demo):  # noqa: F811
    from tests.test_office import login
    portal = client.get("/gui-phan-anh").get_data(as_text=True)
    assert re.search(r'<input[^>]*autocomplete="name"[^>]*id="full_name"|<input[^>]*id="full_name"[^>]*autocomplete="name"',
                     portal)
    login(client, demo["users"]["office"], "secret-pass")
    intake = client.get("/van-phong/tiep-nhan-moi").get_data(as_text=True)
    for name in ("full_name", "address", "phone", "email"):
        tag = re.search(rf'<input[^>]*id="{name}"[^>]*>', intake).group(0)
        assert 'autocomplete="off"' in tag, tag
