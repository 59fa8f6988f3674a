"""The header on a phone, in headless Chromium: every page's navigation (the public portal's, HCTH's, a
unit's, the admin's) folds behind the menu button (templates/base.html, static/menu.js, pakn.css), which
the keyboard opens and closes; so does a staff member's long navigation on a tablet, up to 1000 px wide;
on a wide screen, or without script, every link is shown as before."""
from __future__ import annotations

import pytest

from test_accessibility import page_opener, violations

pytestmark = [pytest.mark.browser, pytest.mark.layout]

PHONE = {"width": 375, "height": 667}
WIDE = {"width": 1280, "height": 800}
# (who, a page of theirs); None: the public, not signed in
PAGES = [(None, "/"), ("office", "/van-phong/"), ("QLKH", "/don-vi/"), ("admin", "/quan-tri/nguoi-dung")]
# a staff member's navigation is long wherever they are, on the public portal's pages too
STAFF_PAGES = [page for page in PAGES if page[0]] + [("office", "/")]
TABLET_HEIGHT = 1024


@pytest.fixture
def open_page(app, seeded, live_server, browser):
    """``open_page(viewport, who, path, script=True)``: test_accessibility.page_opener, as ``seeded``'s users."""
    with page_opener(app, live_server, browser, seeded) as open_:
        yield open_


def links(page):
    found = page.locator("#site-nav a")
    assert found.count() >= 3
    return [found.nth(i) for i in range(found.count())]


def sign_out(page):
    """A staff member's "Đăng xuất", a button in the navigation, beside its links (their name before it)."""
    return page.locator("#site-nav button")


def opens_and_closes_with_the_keyboard(page) -> None:
    """The menu button is reached by Tab; Enter opens the menu, the links come next; Escape folds it again
    and leaves the focus on the button; Space opens it."""
    button = page.locator("#menu-button")
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


@pytest.mark.parametrize("who, path", PAGES)
def test_on_a_phone_the_header_is_compact_and_the_keyboard_opens_its_menu(open_page, who, path):
    page = open_page(PHONE, who, path)
    button = page.get_by_role("button", name="Danh mục")
    header = page.locator("header.site").bounding_box()
    assert header["height"] < 0.25 * PHONE["height"], header
    assert button.get_attribute("aria-expanded") == "false" and button.get_attribute("aria-controls") == "site-nav"
    assert not any(link.is_visible() for link in links(page))
    assert page.locator("#lang-switch").is_visible()  # the language stays one tap away
    opens_and_closes_with_the_keyboard(page)
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


def test_on_a_tablet_the_open_and_the_folded_staff_menu_pass_axe(open_page):
    from axe_playwright_python.sync_playwright import Axe
    axe = Axe()
    page = open_page({"width": 768, "height": TABLET_HEIGHT}, "admin", "/quan-tri/nguoi-dung?lang=en")
    assert violations(axe, page) == []
    page.get_by_role("button", name="Menu").click()
    assert violations(axe, page) == []


@pytest.mark.parametrize("width", [768, 900, 1000])
@pytest.mark.parametrize("who, path", STAFF_PAGES)
def test_on_a_tablet_a_staff_header_is_one_row_and_its_menu_opens_to_every_link(open_page, who, path, width):
    """pakn.css: up to 1000 px wide a staff member's long navigation (header.site.long-nav) folds as on a
    phone: it took three or four rows there (HCTH's header 178 px high at 768-852 px, the admin's up to
    952 px, a unit's 138 px up to 992 px). The language link stays on the agency's row, one tap away;
    without script every link is shown."""
    page = open_page({"width": width, "height": TABLET_HEIGHT}, who, path)
    button = page.get_by_role("button", name="Danh mục")
    header = page.locator("header.site").bounding_box()
    brand, lang = page.locator("header.site .brand").bounding_box(), page.locator("#lang-switch").bounding_box()
    assert header["height"] <= 70, header  # one row, as on a phone (58 px)
    for box in (button.bounding_box(), lang):  # on the agency's row, right of its name
        assert brand["y"] <= box["y"] + box["height"] / 2 <= brand["y"] + brand["height"]
        assert box["x"] >= brand["x"] + brand["width"]
    assert not _overlap(button.bounding_box(), lang)
    assert button.get_attribute("aria-expanded") == "false" and button.get_attribute("aria-controls") == "site-nav"
    assert not any(link.is_visible() for link in links(page)) and sign_out(page).is_hidden()

    opens_and_closes_with_the_keyboard(page)  # and leaves it open
    button.click()
    assert button.get_attribute("aria-expanded") == "false"
    assert not any(link.is_visible() for link in links(page)) and sign_out(page).is_hidden()
    button.click()
    assert button.get_attribute("aria-expanded") == "true"
    assert all(link.is_visible() for link in links(page)) and sign_out(page).is_visible()
    # signing out is as easy a target to tap as a link (WCAG 2.5.8)
    assert sign_out(page).bounding_box()["height"] >= min(link.bounding_box()["height"] for link in links(page))
    assert page.blocked == []

    without_script = open_page({"width": width, "height": TABLET_HEIGHT}, who, path, script=False)
    assert without_script.locator("#menu-button").is_hidden()
    assert all(link.is_visible() for link in links(without_script)) and sign_out(without_script).is_visible()


@pytest.mark.parametrize("width", [768, 1000])
@pytest.mark.parametrize("path", ["/", "/?lang=en"])
def test_on_a_tablet_the_public_s_few_links_stay_shown_on_two_rows_at_most(open_page, path, width):
    """The public portal's navigation (seven links) is not folded on a tablet: it takes two rows there at
    most (its header 138 px high), and a citizen sees at once what the portal offers. (A stylesheet folding
    every navigation up to 1000 px would fail here.)"""
    page = open_page({"width": width, "height": TABLET_HEIGHT}, None, path)
    assert page.locator("#menu-button").is_hidden()
    shown = links(page)
    assert all(link.is_visible() for link in shown)
    assert len({round(link.bounding_box()["y"]) for link in shown}) <= 2
    assert page.locator("header.site").bounding_box()["height"] <= 140
    assert page.blocked == []


@pytest.mark.parametrize("width", [1024, WIDE["width"]])
@pytest.mark.parametrize("who, path", PAGES)
def test_on_a_wide_screen_the_header_is_as_without_script_every_link_shown_and_no_button(open_page, who, path, width):
    """From 1024 px (a tablet held landscape) a staff member's navigation too is shown whole: it folds only
    up to 1000 px."""
    viewport = {"width": width, "height": WIDE["height"]}
    page = open_page(viewport, who, path)
    assert page.locator("#menu-button").is_hidden()
    assert all(link.is_visible() for link in links(page))
    assert not who or sign_out(page).is_visible()
    without_script = open_page(viewport, who, path, script=False)
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


@pytest.mark.parametrize("width", [768, 1024, 1280])
@pytest.mark.parametrize("who, path", [*PAGES, (None, "/?lang=en"), ("office", "/van-phong/?lang=en")])
def test_on_a_tablet_or_a_wide_screen_the_language_link_sits_beside_the_agency_s_name(open_page, who, path, width):
    """pakn.css: above the phone's breakpoint the language link is at the top right, on the agency's row,
    instead of on a row of its own under a long staff navigation (HCTH's header was 182 px high at 1280 px,
    its fourth row holding "English" alone); it covers neither the name, nor a link shown, nor the menu
    button (a staff navigation folds up to 1000 px). No header is more than 140 px high (178 at 768 px, a
    staff navigation's four rows, before it folded there)."""
    page = open_page({"width": width, "height": 900}, who, path)
    header = page.locator("header.site").bounding_box()
    lang, brand = page.locator("#lang-switch").bounding_box(), page.locator("header.site .brand").bounding_box()
    assert header["height"] <= 140, header
    assert brand["y"] <= lang["y"] + lang["height"] / 2 <= brand["y"] + brand["height"]  # on the name's row
    assert lang["x"] > brand["x"] + brand["width"]
    shown = [item for item in [*links(page), page.locator("#menu-button")] if item.is_visible()]
    assert not any(_overlap(lang, item.bounding_box()) for item in shown)
    assert page.blocked == []
