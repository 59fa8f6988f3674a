"""The dashboard in headless Chromium: the SVG charts are drawn and readable at 360 px.
With PAKN_SCREENSHOT_DIR=docs the screenshot for the README is written there."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from report_seed import seed_quarter

pytestmark = [pytest.mark.browser, pytest.mark.layout]


def _sign_in(page, app, live_server, user):
    cookie = app.session_interface.get_signing_serializer(app).dumps({"_user_id": user.get_id(), "_fresh": True})
    page.context.add_cookies([{"name": app.config["SESSION_COOKIE_NAME"], "value": cookie, "url": live_server}])


def test_dashboard_charts_render_in_chromium(app, clock, seeded, live_server, page, tmp_path):
    seed_quarter(seeded)
    _sign_in(page, app, live_server, seeded["leader"])
    page.goto(f"{live_server}/van-phong/tong-quan")
    assert page.locator("h1").inner_text().startswith("Tổng quan")
    charts = page.locator(".chart svg")
    assert charts.count() == 3
    for i in range(3):
        box = charts.nth(i).bounding_box()
        assert box["width"] > 250 and box["height"] > 60
    assert page.locator("#chart-rates-title").text_content() == "Tỷ lệ trả lời đúng hạn theo đơn vị và quý"
    assert page.locator("#overdue-table tbody tr").count() == 5
    out = Path(os.environ.get("PAKN_SCREENSHOT_DIR") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(out / "dashboard.png"), full_page=True)
    page.set_viewport_size({"width": 360, "height": 800})
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 380  # no sideways scrolling of the page itself at 360 px (tables scroll inside)
    # the charts keep their drawn size there (they scroll inside their region): no label under its 9px
    heights = page.evaluate("""[...document.querySelectorAll('.chart svg text')]
        .map(t => t.getBoundingClientRect().height).filter(h => h > 0)""")
    assert heights and min(heights) >= 9, min(heights)
