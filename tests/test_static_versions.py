"""Static files are linked with a version of their content (feedback_app/static_files.py): nginx lets
browsers keep /static/ for 7 days, so a changed stylesheet or script must come under a new URL."""
from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def linked(page: str, name: str) -> str:
    (url,) = re.findall(rf'(?:href|src)="(/static/{re.escape(name)}[^"]*)"', page)
    return url


def version(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def test_pages_link_the_stylesheet_and_script_by_the_hash_of_their_content(app, client):
    static = Path(app.static_folder)
    page = client.get("/gui-phan-anh").get_data(as_text=True)
    assert linked(page, "pakn.css") == f"/static/pakn.css?v={version(static / 'pakn.css')}"
    assert linked(page, "pakn.js") == f"/static/pakn.js?v={version(static / 'pakn.js')}"
    assert linked(page, "menu.js") == f"/static/menu.js?v={version(static / 'menu.js')}"  # on every page
    assert linked(page, "lists.js") == f"/static/lists.js?v={version(static / 'lists.js')}"  # on every page too
    assert linked(page, "favicon.svg") == f"/static/favicon.svg?v={version(static / 'favicon.svg')}"
    # the versioned URL is the file itself, and the page's policy allows it (same origin, 'self')
    served = client.get(linked(page, "pakn.css"))
    assert served.status_code == 200 and served.data == (static / "pakn.css").read_bytes()
    served.close()
    policy = client.get("/gui-phan-anh").headers["Content-Security-Policy"]
    assert "style-src 'self'" in policy and "script-src 'self'" in policy


def test_a_changed_file_is_linked_under_a_new_url(app, client, tmp_path):
    before = linked(client.get("/").get_data(as_text=True), "pakn.css")
    deployed = tmp_path / "static"
    shutil.copytree(app.static_folder, deployed)
    with open(deployed / "pakn.css", "a") as css:
        css.write("\n.new-rule { color: #000; }\n")
    # a new deploy is a new process: a fresh app reading the new files
    from feedback_app import create_app
    fresh = create_app("testing", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                       UPLOAD_DIR=app.config["UPLOAD_DIR"])
    fresh.static_folder = str(deployed)
    after = linked(fresh.test_client().get("/").get_data(as_text=True), "pakn.css")
    assert after == f"/static/pakn.css?v={version(deployed / 'pakn.css')}" and after != before


def test_a_file_that_is_not_there_keeps_its_plain_url(app):
    from flask import url_for
    with app.test_request_context():
        assert url_for("static", filename="missing.css") == "/static/missing.css"
        assert url_for("static", filename="../config.py") == "/static/../config.py"  # never read outside static/
