"""The lists on a phone, in headless Chromium (WCAG 1.4.10, Reflow): at 320 px wide no page that shows a
table scrolls sideways. A list (table.stack: static/lists.js, pakn.css) shows each row as a block, each cell
after its column's name, and stays a table with rows, column headers and cells in Chromium's accessibility
tree; a cross table (the report form, the dashboard's) scrolls in its own focusable region, the exception
WCAG makes for them. On a wide screen, and without script, every table is as before.

The pages are found, not listed: every page of the app (each route, its arguments filled from the demo's
department, and the queue's tabs), as the public and as each role; those that answer with a <table> are
checked, so a new list is checked as soon as it has a route."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask import url_for
from sqlalchemy import select

from feedback_app.extensions import db
from feedback_app.models import Attachment, Category, Feedback, OutboxMail, Unit
from feedback_app.services.cases import apply_event
from test_accessibility import demo, page_opener, violations  # noqa: F401 (demo: the fixture)
from workflows.clock import CLOCK

pytestmark = [pytest.mark.browser, pytest.mark.layout]

PHONE = {"width": 320, "height": 640}
WIDE = {"width": 1280, "height": 800}
# tables read across their rows and columns, left to scroll sideways in their region
CROSS_TABLES = {"report-table", "state-matrix", "rates-table"}
VISITORS = (None, "office", "leader", "unit", "admin")  # None: the public, not signed in


@pytest.fixture
def lists(app, demo):  # noqa: F811 (demo: the fixture imported above)
    """The demo's department with two rows at least in every list the demo leaves short (API tokens, days
    off, failing mails, answers awaiting publication), and the pages that show a table: [(who, path)], who
    being None on a public page."""
    from feedback_app.office.routes import QUEUES
    from feedback_app.services import accounts, calendar
    users = dict(demo["users"], unit=demo["unit_user"])
    office = users["office"]
    accounts.new_token(office)
    accounts.revoke_token(office, office.tokens[0].id)
    accounts.new_token(office)
    monday = date(CLOCK.today().year + 1, 6, 1)
    monday += timedelta(days=-monday.weekday() % 7)  # the first Monday of June next year
    calendar.set_day(monday, "off", "Nghỉ bù sự kiện của tỉnh", users["admin"])
    calendar.set_day(monday + timedelta(days=5), "work", "Làm bù ngày thứ Hai, ngày nghỉ hằng tuần được chuyển thành ngày làm việc",
                     users["admin"])
    for n, mail in enumerate(db.session.execute(select(OutboxMail).order_by(OutboxMail.id).limit(2)).scalars()):
        mail.status, mail.attempts = ("failed", 8) if n else ("pending", 3)
        mail.last_error = "SMTPRecipientsRefused: 550 5.1.1 <nguoi.dan@example.vn>: Recipient address rejected: User unknown in virtual mailbox table"
    db.session.commit()
    # the demo has one answer awaiting publication, two awaiting the leader: two and two
    of = lambda state, *where: db.session.execute(select(Feedback).where(Feedback.state == state, *where)  # noqa: E731
                                                  .order_by(Feedback.id.desc())).scalars().first()
    apply_event(of("under_review", Feedback.consent_publish.is_(True)), "approve", users["leader"])
    drafted = of("forwarded")
    apply_event(drafted, "submit_draft", next(u for u in drafted.unit.users if u.role == "unit"),
                {"reply": "Sở đã kiểm tra và trả lời như sau: đường dây hạ thế trên tuyến đường đã được di dời."})

    first = lambda model: db.session.execute(select(model.id).order_by(model.id)).scalars().first()  # noqa: E731
    samples = {"code": demo["forwarded"], "user_id": office.id, "unit_id": first(Unit), "category_id": first(Category),
               "notice_id": demo["notice"], "letter_id": demo["letter"], "attachment_id": first(Attachment) or 0}
    with app.test_request_context():
        paths = {url_for("office.queue", tab=tab) for tab in QUEUES}
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or rule.endpoint == "static":
                continue
            assert rule.arguments <= samples.keys(), f"{rule.rule}: give the test a sample of {rule.arguments - samples.keys()}"
            paths.add(url_for(rule.endpoint, **{name: samples[name] for name in rule.arguments}))

    found = []
    for path in sorted(paths):
        for who in VISITORS:
            client = app.test_client()
            if who:
                with client.session_transaction() as session:
                    session.update(_user_id=users[who].get_id(), _fresh=True)
            response = client.get(path)
            if response.status_code == 200 and response.mimetype == "text/html" and b"<table" in response.data:
                found.append((who, path))
                if who is None:
                    break  # a public page: the same for everyone
            response.close()
    # the lists the review named are among them, with the leader's, the unit's and the admin's
    for who, path in [("office", "/van-phong/"), ("office", "/van-phong/?tab=closed"), ("leader", "/van-phong/?tab=review"),
                      ("unit", "/don-vi/"), ("office", "/van-phong/so-tiep-nhan"), ("office", "/van-phong/qua-han"),
                      ("admin", "/quan-tri/nguoi-dung"), ("admin", "/quan-tri/don-vi"), ("admin", "/quan-tri/linh-vuc"),
                      ("admin", "/quan-tri/thu-di"), ("admin", "/quan-tri/lich-lam-viec"), ("admin", f"/quan-tri/nguoi-dung/{office.id}")]:
        assert (who, path) in found, (who, path, found)
    return {"users": users, "pages": found}


@pytest.fixture
def open_page(app, live_server, browser, lists):
    """``open_page(viewport, who, path, script=True)``: test_accessibility.page_opener, as the lists' users,
    and the page must have been served (200)."""
    with page_opener(app, live_server, browser, lists["users"]) as open_:
        def served(*args, **kwargs):
            page = open_(*args, **kwargs)
            assert page.response.status == 200, args
            return page
        yield served


# What a page shows of its tables: for each, its rows (the cells' boxes, the name shown before each, their
# column's header) and whether its region scrolls; and whether the page itself scrolls sideways.
LAYOUT = """() => {
  const box = (el) => { const r = el.getBoundingClientRect(); return {x: r.left, y: r.top, right: r.right, bottom: r.bottom, w: r.width, h: r.height}; };
  const label = (cell) => {
    const content = getComputedStyle(cell, '::before').content;
    return content === 'none' || content === 'normal' ? null : content;
  };
  return {
    page: {scroll: document.documentElement.scrollWidth, width: window.innerWidth},
    tables: Array.from(document.querySelectorAll('main table')).map((table) => {
      const head = table.tHead ? Array.from(table.tHead.rows[table.tHead.rows.length - 1].cells) : [];
      const wrap = table.closest('.table-wrap');
      return {
        id: table.id || table.className || table.getAttribute('role') || '?', stack: table.classList.contains('stack'),
        display: getComputedStyle(table).display, head: table.tHead ? box(table.tHead) : null,
        headers: head.map((th) => th.textContent.replace(/\\s+/g, ' ').trim()),
        region: wrap && {focusable: wrap.tabIndex === 0, scrolls: wrap.scrollWidth > wrap.clientWidth},
        rows: Array.from(table.tBodies).flatMap((body) => Array.from(body.rows)).map((tr) => ({
          box: box(tr), display: getComputedStyle(tr).display,
          cells: Array.from(tr.cells).map((cell) => ({box: box(cell), label: label(cell), labelled: cell.dataset.label || null,
                                                     text: cell.textContent.replace(/\\s+/g, ' ').trim()})),
        })),
      };
    }),
  };
}"""


def ax_tables(page) -> list[dict]:
    """What Chromium's own accessibility tree (not Playwright's reading of the DOM) holds of each list (in
    the order of LAYOUT's tables, the lists only): its role, how many rows, column headers and cells, and
    the names it gives the cells."""
    session = page.context.new_cdp_session(page)
    found = []
    for index in range(page.evaluate("document.querySelectorAll('main table').length")):
        table = session.send("Runtime.evaluate", {"expression": f"document.querySelectorAll('main table')[{index}]"})["result"]
        if not page.evaluate(f"document.querySelectorAll('main table')[{index}].classList.contains('stack')"):
            found.append(None)
            continue
        (own, *_) = session.send("Accessibility.getPartialAXTree", {"objectId": table["objectId"], "fetchRelatives": False})["nodes"]

        def having(role):
            nodes = session.send("Accessibility.queryAXTree", {"objectId": table["objectId"], "role": role})["nodes"]
            return [n for n in nodes if not n.get("ignored")]
        cells = having("cell") + having("rowheader")
        found.append({"role": own["role"]["value"], "rows": len(having("row")), "headers": len(having("columnheader")),
                      "cells": len(cells), "names": [n.get("name", {}).get("value", "") for n in cells]})
    session.detach()
    return found


def test_at_320_px_no_list_scrolls_sideways_each_row_a_block_each_cell_after_its_column_name(open_page, lists):
    problems = []
    stacked_rows = 0
    for who, path in lists["pages"]:
        page = open_page(PHONE, who, path)
        where = f"{who or 'public'} {path}"
        shown = page.evaluate(LAYOUT)
        if shown["page"]["scroll"] > shown["page"]["width"]:
            problems.append(f"{where}: the page scrolls sideways ({shown['page']['scroll']} px for {shown['page']['width']})")
        if page.blocked:
            problems.append(f"{where}: {page.blocked}")
        for table in shown["tables"]:
            if not table["stack"]:
                if table["id"] not in CROSS_TABLES:
                    problems.append(f"{where}: table {table['id']} is neither a list (class stack) nor a cross table")
                elif not (table["region"] and table["region"]["focusable"]):
                    problems.append(f"{where}: cross table {table['id']} scrolls outside a focusable region")
                continue
            name = f"{where}: list {table['id']}"
            if len(table["rows"]) < 2:
                problems.append(f"{name} shows {len(table['rows'])} row(s): the test should see several")
            if table["region"]["scrolls"]:
                problems.append(f"{name} scrolls sideways in its region")
            if table["region"]["focusable"]:
                problems.append(f"{name}: its region does not scroll but is still a tab stop")
            if table["head"]["h"] > 1:
                problems.append(f"{name}: its header row is still shown ({table['head']})")
            for row in table["rows"]:
                stacked_rows += 1
                if row["display"] != "block" or row["box"]["right"] > PHONE["width"]:
                    problems.append(f"{name}: a row is not a block within the screen ({row})")
                    break
                column = 0
                for cell in row["cells"]:
                    header = table["headers"][column]
                    if cell["label"] != f'"{header}: " / ""' or cell["labelled"] != header:
                        problems.append(f"{name}: the cell {cell['text']!r} is not shown after {header!r} ({cell['label']})")
                    if cell["box"]["x"] != row["cells"][0]["box"]["x"] or cell["box"]["right"] > row["box"]["right"]:
                        problems.append(f"{name}: the cell {cell['text']!r} is not stacked in its row ({cell['box']}, {row['box']})")
                    column += 1
                # one above the other, in the order of the columns
                boxes = [cell["box"] for cell in row["cells"]]
                if any(below["y"] < above["bottom"] - 0.5 for above, below in zip(boxes, boxes[1:])):
                    problems.append(f"{name}: the cells of a row are not one above the other ({boxes})")
        # still a table for a screen reader: in Chromium's tree a list is a table with a row per row, a column
        # header per header cell (hidden from sight only), a cell per cell, and a cell's name is its value,
        # without the column's name shown before it (a screen reader says that from the header)
        for table, ax in zip(shown["tables"], ax_tables(page), strict=True):
            if not table["stack"]:
                continue
            expected = {"role": "table", "rows": len(table["rows"]) + 1, "headers": len(table["headers"]),
                        "cells": sum(len(row["cells"]) for row in table["rows"])}
            if {k: ax[k] for k in expected} != expected:
                problems.append(f"{where}: list {table['id']} in the accessibility tree: {ax} instead of {expected}")
            if any(name.startswith(f"{header}: ") for name in ax["names"] for header in table["headers"]):
                problems.append(f"{where}: list {table['id']}: a cell's name repeats its column's name")
        page.context.close()
    assert problems == [], "\n".join(problems)
    assert stacked_rows >= 100, stacked_rows


def test_at_320_px_the_lists_pass_axe(open_page, lists):
    from axe_playwright_python.sync_playwright import Axe
    axe = Axe()
    for who, path in lists["pages"]:
        page = open_page(PHONE, who, path)
        assert violations(axe, page) == [], (who, path)
        page.context.close()


def test_on_a_wide_screen_and_without_script_every_table_is_as_before(open_page, lists):
    """At 1280 px a list is a table with its header row, no name before its cells, laid out as without
    the script (which gives it only its roles and labels); on a phone without script it is the table
    as before, scrolling in its own region, the page not."""
    for who, path in lists["pages"]:
        page = open_page(WIDE, who, path)
        shown = page.evaluate(LAYOUT)
        without_script = open_page(WIDE, who, path, script=False)
        before = without_script.evaluate(LAYOUT)
        assert shown["page"]["scroll"] <= WIDE["width"], (who, path)
        for table, old in zip(shown["tables"], before["tables"], strict=True):
            assert table["display"] == "table" and table["head"]["h"] > 20, (who, path, table["id"])
            assert all(row["display"] == "table-row" and all(cell["label"] is None for cell in row["cells"])
                       for row in table["rows"]), (who, path, table["id"])
            assert table["head"] == old["head"] and [r["box"] for r in table["rows"]] == [r["box"] for r in old["rows"]], \
                (who, path, table["id"])
            assert table["region"] is None or table["region"]["focusable"], (who, path, table["id"])  # a keyboard scrolls it
        assert page.blocked == []
        page.context.close()
        without_script.context.close()
        if any(t["stack"] for t in shown["tables"]):
            phone = open_page(PHONE, who, path, script=False)
            shown = phone.evaluate(LAYOUT)
            assert shown["page"]["scroll"] <= PHONE["width"], (who, path)
            assert all(t["display"] == "table" and t["head"]["h"] > 20 and t["region"]["focusable"] for t in shown["tables"]), (who, path)
            phone.context.close()


def test_a_list_s_region_is_a_tab_stop_only_while_it_can_scroll(open_page):
    """static/lists.js: the region around a list is a tab stop on a wide screen, where a keyboard scrolls a
    wide table in it, and not while the list is stacked; turning a tablet or resizing a window switches it."""
    page = open_page(WIDE, "office", "/van-phong/")
    focusable = "() => Array.from(document.querySelectorAll('.table-wrap')).map((r) => r.getAttribute('tabindex'))"
    assert page.evaluate(focusable) == ["0"]
    page.set_viewport_size(PHONE)
    page.wait_for_function("() => !document.querySelector('.table-wrap').hasAttribute('tabindex')")
    page.set_viewport_size(WIDE)
    page.wait_for_function("() => document.querySelector('.table-wrap').getAttribute('tabindex') === '0'")
    page.context.close()
