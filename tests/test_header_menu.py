"""The header on a phone, in headless Chromium: every page's navigation (the public portal's, HCTH's, a
unit's, the admin's) folds behind the menu button (templates/base.html, static/menu.js, pakn.css), which
the keyboard opens and closes; on a wide screen, or without script, every link is shown as before."""
from __future__ import annotations

import pytest

from test_accessibility import page_opener, violations

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 667}
WIDE = {"width": 1280, "height": 800}
# (who, a page of theirs); None: the public, not signed in
PAGES = [(None, "/"), ("office", "/van-phong/"), ("QLKH", "/don-vi/"), ("admin", "/quan-tri/nguoi-dung")]


@pytest.fixture
def open_page(app, seeded, live_server, browser):
    """``open_page(viewport, who, path, script=True)``: test_accessibility.page_opener, as ``seeded``'s users."""
    with page_opener(app, live_server, browser, seeded) as open_:
        yield open_


def links(page):
    found = page.locator("#site-nav a")
    assert found.count() >= 3
    return [found.nth(i) for i in range(found.count())]


@pytest.mark.parametrize("who, path", PAGES)
def test_on_a_phone_the_header_is_compact_and_the_keyboard_opens_its_menu(open_page, who, path):
    page = open_page(PHONE, who, path)
    button = page.get_by_role("button", name="Danh mục")
    header = page.locator("header.site").bounding_box()
    assert header["height"] < 0.25 * PHONE["height"], header
    assert button.get_attribute("aria-expanded") == "false" and button.get_attribute("aria-controls") == "site-nav"
    assert not any(link.is_visible() for link in links(page))
    assert page.locator("#lang-switch").is_visible()  # the language stays one tap away

    for _ in range(3):  # the skip link, the agency's name, the button
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "menu-button"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"  # the focus is seen
    page.keyboard.press("Enter")
    assert button.get_attribute("aria-expanded") == "true"
    assert all(link.is_visible() for link in links(page))
    page.keyboard.press("Tab")  # the links come next, in the order they are shown
    assert page.evaluate("document.activeElement.closest('nav') && document.activeElement.closest('nav').id") == "site-nav"
    assert page.evaluate("document.activeElement.textContent") == "Trang chủ"

    page.keyboard.press("Escape")  # folds it again, the focus back on the button rather than on a hidden link
    assert button.get_attribute("aria-expanded") == "false"
    assert page.evaluate("document.activeElement.id") == "menu-button"
    assert not any(link.is_visible() for link in links(page))
    page.keyboard.press("Space")
    assert button.get_attribute("aria-expanded") == "true" and links(page)[0].is_visible()
    assert page.blocked == []


def test_on_a_phone_the_open_and_the_folded_menu_pass_axe(open_page):
    from axe_playwright_python.sync_playwright import Axe
    axe = Axe()
    page = open_page(PHONE, "office", "/van-phong/")
    assert violations(axe, page) == []
    page.get_by_role("button", name="Danh mục").click()
    assert violations(axe, page) == []
    page = open_page(PHONE, None, "/?lang=en")
    button = page.get_by_role("button", name="Menu")
    button.click()
    assert button.get_attribute("aria-expanded") == "true" and violations(axe, page) == []


@pytest.mark.parametrize("who, path", PAGES)
def test_on_a_wide_screen_the_header_is_as_without_script_every_link_shown_and_no_button(open_page, who, path):
    page = open_page(WIDE, who, path)
    assert page.locator("#menu-button").is_hidden()
    assert all(link.is_visible() for link in links(page))
    without_script = open_page(WIDE, who, path, script=False)
    assert page.locator("header.site").bounding_box() == without_script.locator("header.site").bounding_box()
    assert page.blocked == []


@pytest.mark.parametrize("who, path", PAGES)
def test_on_a_phone_without_script_every_link_is_shown_and_reached_by_the_keyboard(open_page, who, path):
    page = open_page(PHONE, who, path, script=False)
    assert page.locator("#menu-button").is_hidden()  # a button without its script would do nothing
    shown = links(page)
    assert all(link.is_visible() for link in shown)
    for _ in range(3):  # the skip link, the agency's name, then the first link
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Trang chủ"


def _overlap(a, b) -> bool:
    return not (a["x"] >= b["x"] + b["width"] or a["x"] + a["width"] <= b["x"]
                or a["y"] >= b["y"] + b["height"] or a["y"] + a["height"] <= b["y"])


@pytest.mark.parametrize("width, most", [(768, 180), (1024, 140), (1280, 140)])
@pytest.mark.parametrize("who, path", [*PAGES, (None, "/?lang=en"), ("office", "/van-phong/?lang=en")])
def test_on_a_tablet_or_a_wide_screen_the_language_link_sits_beside_the_agency_s_name(open_page, who, path, width, most):
    """pakn.css: above the phone's breakpoint the language link is at the top right, on the agency's row,
    instead of on a row of its own under a long staff navigation (HCTH's header was 182 px high at 1280 px,
    its fourth row holding "English" alone); it covers neither the name nor a link."""
    page = open_page({"width": width, "height": 900}, who, path)
    header = page.locator("header.site").bounding_box()
    lang, brand = page.locator("#lang-switch").bounding_box(), page.locator("header.site .brand").bounding_box()
    assert header["height"] <= most, header
    assert brand["y"] <= lang["y"] + lang["height"] / 2 <= brand["y"] + brand["height"]  # on the name's row
    assert lang["x"] > brand["x"] + brand["width"]
    assert not any(_overlap(lang, link.bounding_box()) for link in links(page))
    assert page.blocked == []
