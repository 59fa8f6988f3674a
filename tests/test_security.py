"""Security checks generated from the route table, so that a route added later cannot be missed:
the authorisation matrix (every page x every role), the staff API behind a bearer token, CSRF on
every form POST, security headers, escaping of script payloads, and the production start checks.

The matrix reads what each view declares: ``roles_required`` sets ``view.pakn_roles`` and
``token_required`` sets ``view.pakn_token_roles`` (feedback_app/auth.py); the OpenAPI document
declares which API operations are public (``security`` contains ``{}``).
"""
from __future__ import annotations

import logging
import re
import secrets
from pathlib import Path

import pytest
from flask import Blueprint, render_template, render_template_string, request, session
from sqlalchemy import func, select
from werkzeug.routing import IntegerConverter

from config import SAMPLE_AGENCY, ConfigError
from feedback_app import create_app
from feedback_app.api.openapi import PATHS
from feedback_app.auth import roles_required, token_hash, token_required
from feedback_app.extensions import db
from feedback_app.security import CSP_DIRECTIVES
from workflows.lifecycle import STAFF_ROLES

ROOT = Path(__file__).resolve().parent.parent
STAFF_BLUEPRINTS = ("office", "unit", "admin")
NOT_HTML = ("api",)  # the JSON API: bearer tokens, no cookies, no CSRF
ROLES = ("anonymous", "office", "unit", "leader", "admin")
PAYLOAD = '<script>alert("pakn-xss")</script>'


# --- the route table ------------------------------------------------------------------------------

def blueprint_of(endpoint: str) -> str | None:
    return endpoint.rsplit(".", 1)[0] if "." in endpoint else None


def html_rules(app, method: str):
    """Rules of the HTML blueprints (everything but the API and static files) that answer ``method``."""
    return sorted((r for r in app.url_map.iter_rules()
                   if method in r.methods and r.endpoint != "static" and blueprint_of(r.endpoint) not in NOT_HTML),
                  key=lambda r: r.rule)


def api_rules(app):
    return sorted((r for r in app.url_map.iter_rules() if blueprint_of(r.endpoint) == "api"), key=lambda r: r.rule)


def sample_url(app, rule, method: str = "GET") -> str:
    """A URL of ``rule`` with made-up arguments: the checks below must answer before any lookup."""
    values = {name: 1 if isinstance(rule._converters.get(name), IntegerConverter) else "PAKN.20240304.0001"
              for name in rule.arguments}
    return app.url_map.bind("localhost").build(rule.endpoint, values, method=method)


EVERYONE = frozenset({"anonymous", *(r.value for r in STAFF_ROLES)})


def declared_roles(app, endpoint: str) -> frozenset[str] | None:
    view = app.view_functions[endpoint]
    return EVERYONE if getattr(view, "pakn_public", False) else getattr(view, "pakn_roles", None)


def undeclared_staff_views(app, staff_blueprints=STAFF_BLUEPRINTS) -> list[str]:
    return sorted({r.endpoint for r in app.url_map.iter_rules()
                   if blueprint_of(r.endpoint) in staff_blueprints and declared_roles(app, r.endpoint) is None})


def call(app, client, method: str, url: str, **kwargs):
    """One request in its own app context: the test's context would otherwise share ``g`` (and with it
    Flask-Login's and api_user()'s per-request cache) between requests."""
    with app.app_context():
        return client.open(url, method=method, **kwargs)


def login(client, user) -> None:
    """Signed in the way Flask-Login remembers a user between requests."""
    if user is None:
        return
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


def users_by_role(seeded) -> dict:
    return {"anonymous": None, "office": seeded["office"], "unit": seeded["QLKH"],
            "leader": seeded["leader"], "admin": seeded["admin"]}


def login_path(app) -> str | None:
    from feedback_app.extensions import login_manager
    if not login_manager.login_view:
        return None
    with app.test_request_context():
        from flask import url_for
        return url_for(login_manager.login_view)


def outcome(app, response) -> str:
    """``allowed``, ``denied`` (401, 403, or sent to the sign-in page) or ``error`` (5xx)."""
    if response.status_code >= 500:
        return "error"
    if response.status_code in (401, 403):
        return "denied"
    if response.status_code in (301, 302, 303, 307, 308):
        target = login_path(app)
        if target and response.headers.get("Location", "").split("?")[0].endswith(target):
            return "denied"
    return "allowed"


def authorization_mismatches(app, users: dict, role: str) -> tuple[int, list[str]]:
    """For every GET page without URL arguments: does ``role`` get in exactly when it should?"""
    checked, wrong = 0, []
    for rule in html_rules(app, "GET"):
        if rule.arguments:
            continue
        roles = declared_roles(app, rule.endpoint)
        expected = "allowed" if roles is None or role in roles else "denied"
        client = app.test_client()
        login(client, users[role])
        got = outcome(app, call(app, client, "GET", rule.rule))
        checked += 1
        if got != expected:
            wrong.append(f"{rule.rule} ({rule.endpoint}) as {role}: expected {expected}, got {got}")
    return checked, wrong


def add_probe_routes(app) -> None:
    """A throw-away staff blueprint with one correct, one wrong and one undeclared page."""
    probe = Blueprint("probe", __name__, url_prefix="/probe")

    @probe.get("/leader")
    @roles_required("leader")
    def for_the_leader():
        return "leader page"

    @probe.get("/staff")
    @roles_required()
    def for_any_staff():
        return "staff page"

    @probe.get("/leaky")
    def leaky():  # declares the leader, checks nobody: the matrix must catch it
        return "leaky page"
    leaky.pakn_roles = frozenset({"leader"})

    @probe.get("/undeclared")
    def undeclared():
        return "nobody said who may see this"

    app.register_blueprint(probe)


# --- the authorisation matrix ---------------------------------------------------------------------

def test_roles_required_declares_its_roles_on_the_view():
    assert roles_required("leader", "office")(lambda: None).pakn_roles == {"leader", "office"}
    assert roles_required()(lambda: None).pakn_roles == set(STAFF_ROLES)
    assert token_required("office")(lambda: None).pakn_token_roles == {"office"}
    assert token_required()(lambda: None).pakn_token_roles == set(STAFF_ROLES)


def test_every_page_of_the_office_unit_and_admin_areas_declares_who_may_see_it(app):
    missing = undeclared_staff_views(app)
    assert not missing, f"decorate these views with @roles_required(...): {missing}"


def test_a_page_that_declares_no_roles_is_reported_by_the_check(app):
    add_probe_routes(app)
    assert undeclared_staff_views(app, staff_blueprints=("probe",)) == ["probe.undeclared"]


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_the_pages_declared_for_it(app, seeded, role):
    checked, wrong = authorization_mismatches(app, users_by_role(seeded), role)
    # the public portal is in the table at least (home page, health check); others add their pages
    assert checked >= 2
    assert not wrong, "\n".join(wrong + ["(a staff-only page outside office/unit/admin needs @roles_required too)"])


def test_the_matrix_catches_a_page_that_lets_the_wrong_role_in(app, seeded):
    add_probe_routes(app)
    users = users_by_role(seeded)
    found = {role: authorization_mismatches(app, users, role)[1] for role in ROLES}
    leaky = {role: [w for w in wrong if w.startswith("/probe/leaky")] for role, wrong in found.items()}
    assert leaky["leader"] == []
    for role in ("anonymous", "office", "unit", "admin"):
        assert leaky[role] == [f"/probe/leaky (probe.leaky) as {role}: expected denied, got allowed"]
    # the correct probe pages raise nothing for anybody
    assert not [w for wrong in found.values() for w in wrong if w.startswith(("/probe/leader", "/probe/staff"))]


def test_a_signed_in_user_sees_the_page_and_an_anonymous_visitor_is_refused(app, seeded):
    add_probe_routes(app)
    client = app.test_client()
    refused = call(app, client, "GET", "/probe/staff")  # sent to the sign-in page
    assert refused.status_code == 302 and refused.headers["Location"].split("?")[0].endswith(login_path(app))
    login(client, seeded["QLKH"])
    assert call(app, client, "GET", "/probe/staff").get_data(as_text=True) == "staff page"
    assert call(app, client, "GET", "/probe/leader").status_code == 403
    login(client, seeded["leader"])
    assert call(app, client, "GET", "/probe/leader").get_data(as_text=True) == "leader page"


# --- the API: staff-only operations need a bearer token -------------------------------------------

def openapi_operation(rule, method: str) -> dict | None:
    path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
    return PATHS.get(path, {}).get(method.lower())


def api_operations(app):
    for rule in api_rules(app):
        if rule.endpoint == "api.openapi_json":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def is_staff_only(app, rule, method: str) -> bool:
    operation = openapi_operation(rule, method) or {}
    declared_public = {} in operation.get("security", [{}])
    return hasattr(app.view_functions[rule.endpoint], "pakn_token_roles") or not declared_public


def test_every_api_operation_is_in_the_openapi_document(app):
    undocumented = [f"{method} {rule.rule}" for rule, method in api_operations(app)
                    if openapi_operation(rule, method) is None]
    assert not undocumented, f"add these to the OpenAPI document (api.openapi.document): {undocumented}"


def test_an_operation_behind_a_token_is_not_documented_as_public(app):
    behind_a_token = [(rule, method) for rule, method in api_operations(app)
                      if hasattr(app.view_functions[rule.endpoint], "pakn_token_roles")]
    assert len(behind_a_token) >= 5  # the staff API's events, lists and assignment declare it (token_required)
    wrong = [f"{method} {rule.rule}" for rule, method in behind_a_token
             if {} in (openapi_operation(rule, method) or {}).get("security", [])]
    assert not wrong, f"these need a token but the OpenAPI document says anyone may call them: {wrong}"


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-real-token", "Basic cGFrbjpwYWtu"])
def test_every_staff_only_api_operation_answers_401_without_a_valid_token(app, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    client = app.test_client()
    checked, wrong = 0, []
    for rule, method in api_operations(app):
        if not is_staff_only(app, rule, method):
            continue
        response = call(app, client, method, sample_url(app, rule, method), json={}, headers=headers)
        checked += 1
        if response.status_code != 401 or "error" not in (response.get_json(silent=True) or {}):
            wrong.append(f"{method} {rule.rule}: {response.status_code}")
    public = sum(1 for rule, method in api_operations(app) if not is_staff_only(app, rule, method))
    assert checked + public == len(list(api_operations(app)))
    assert not wrong, wrong


def test_the_public_lookup_answers_without_a_token_and_is_not_mistaken_for_staff_only(app):
    rule = next(r for r in api_rules(app) if r.endpoint == "api.get_feedback")
    assert not is_staff_only(app, rule, "GET")
    response = app.test_client().get("/api/v1/feedback/PAKN.20240304.0001")
    assert response.status_code == 404 and response.get_json()["error"]


def make_token(user) -> str:
    from feedback_app.models import ApiToken
    token = secrets.token_urlsafe(24)
    db.session.add(ApiToken(user_id=user.id, token_hash=token_hash(token)))
    db.session.commit()
    return token


def test_token_required_refuses_no_token_then_a_wrong_role_and_admits_the_right_one(app, seeded):
    @app.get("/api/v1/probe-leader")
    @token_required("leader")
    def probe_leader():
        return {"ok": True}

    client = app.test_client()
    no_token = call(app, client, "GET", "/api/v1/probe-leader")
    assert no_token.status_code == 401 and no_token.headers["WWW-Authenticate"] == 'Bearer realm="pakn"'
    office = {"Authorization": f"Bearer {make_token(seeded['office'])}"}
    assert call(app, client, "GET", "/api/v1/probe-leader", headers=office).status_code == 403
    leader = {"Authorization": f"Bearer {make_token(seeded['leader'])}"}
    assert call(app, client, "GET", "/api/v1/probe-leader", headers=leader).get_json() == {"ok": True}


# --- CSRF: every form POST without a token is refused ---------------------------------------------

def row_counts() -> dict[str, int]:
    return {t.name: db.session.execute(select(func.count()).select_from(t)).scalar_one()
            for t in db.metadata.sorted_tables}


def add_csrf_probe(app) -> list[str]:
    """A form page and its POST target, to show the check refuses without and accepts with a token."""
    posted: list[str] = []

    @app.get("/csrf-probe")
    def csrf_probe_form():
        return render_template_string('<form method="post"><input name="csrf_token" value="{{ csrf_token() }}">'
                                      '</form>')

    @app.post("/csrf-probe")
    def csrf_probe_post():
        posted.append(request.form.get("note", ""))
        return "posted"

    return posted


def test_every_form_post_without_a_csrf_token_is_refused_and_changes_nothing(app, seeded):
    app.config["WTF_CSRF_ENABLED"] = True
    posted = add_csrf_probe(app)
    rules = html_rules(app, "POST")
    assert "/csrf-probe" in [r.rule for r in rules]  # the generator sees every POST route, the probe included
    before = row_counts()
    refused = []
    for role, user in users_by_role(seeded).items():
        client = app.test_client()
        login(client, user)
        for rule in rules:
            response = call(app, client, "POST", sample_url(app, rule, "POST"), data={"note": "no token"})
            if response.status_code == 400:
                refused.append((role, rule.rule))
    assert len(refused) == len(rules) * len(ROLES), sorted(set(r.rule for r in rules) - {r for _, r in refused})
    assert posted == [] and row_counts() == before


def test_the_csrf_probe_accepts_a_post_that_carries_its_token(app):
    app.config["WTF_CSRF_ENABLED"] = True
    posted = add_csrf_probe(app)
    client = app.test_client()
    token = re.search(r'value="([^"]+)"', client.get("/csrf-probe").get_data(as_text=True)).group(1)
    assert client.post("/csrf-probe", data={"csrf_token": token, "note": "with token"}).data == b"posted"
    assert posted == ["with token"]


# --- escaping of script payloads ------------------------------------------------------------------

def test_a_script_payload_in_a_template_value_comes_back_escaped(app):
    with app.test_request_context("/"):
        assert app.jinja_env.autoescape("error.html") is True
        html = render_template("error.html", code=400, title=PAYLOAD, message=PAYLOAD)
    assert PAYLOAD not in html
    assert "&lt;script&gt;alert(&#34;pakn-xss&#34;)&lt;/script&gt;" in html


def templates() -> list[Path]:
    return sorted((ROOT / "templates").rglob("*.html"))


def test_no_template_turns_autoescaping_off():
    offending = [str(p.relative_to(ROOT)) for p in templates() if re.search(r"autoescape\s+false", p.read_text())]
    assert not offending


def test_no_template_has_inline_script_or_style_that_the_content_security_policy_would_block():
    inline = re.compile(r"<script(?![^>]*\b(?:src|nonce)=)[^>]*>|<style\b|\sstyle\s*=|\son[a-z]+\s*=", re.I)
    # templates/letters/ are documents that WeasyPrint turns into PDF on the server, never pages
    offending = {str(p.relative_to(ROOT)): inline.findall(p.read_text()) for p in templates()
                 if "letters" not in p.relative_to(ROOT / "templates").parts}
    assert templates() and not {k: v for k, v in offending.items() if v}, \
        "move styles to static/pakn.css, scripts to static/ (or <script nonce=\"{{ csp_nonce() }}\">)"


@pytest.mark.parametrize("role", ["anonymous", "office"])
def test_a_script_payload_in_the_query_string_is_never_reflected_raw(app, seeded, role):
    params = {name: PAYLOAD for name in ("q", "code", "page", "state", "unit", "category", "next", "from", "to",
                                         "year", "period", "email", "phone", "lang", "sort")}
    client = app.test_client()
    login(client, users_by_role(seeded)[role])
    reflected = [rule.rule for rule in html_rules(app, "GET") if not rule.arguments
                 and PAYLOAD in call(app, client, "GET", rule.rule, query_string=params).get_data(as_text=True)]
    assert not reflected


# --- security headers -----------------------------------------------------------------------------

def assert_security_headers(response) -> dict[str, str]:
    csp = dict(d.strip().split(" ", 1) for d in response.headers["Content-Security-Policy"].split(";"))
    assert csp["default-src"] == "'self'" and csp["style-src"] == "'self'" and csp["img-src"] == "'self' data:"
    assert csp["frame-ancestors"] == "'none'" and csp["object-src"] == "'none'"
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response.headers["Permissions-Policy"]
    return csp


def test_pages_json_static_files_and_error_pages_carry_the_security_headers(app, client):
    home = client.get("/")
    assert "Phản ánh, kiến nghị" in home.get_data(as_text=True)
    for response in (home, client.get("/api/v1/openapi.json"), client.get("/static/pakn.css"),
                     client.get("/khong-co-trang-nay"), client.post("/")):
        assert_security_headers(response)
        assert "Strict-Transport-Security" not in response.headers  # plain HTTP outside production
    assert client.get("/khong-co-trang-nay").status_code == 404


def test_an_inline_script_runs_only_with_the_nonce_of_its_own_response(app, client):
    @app.get("/nonce-probe")
    def nonce_probe():
        return render_template_string('<script nonce="{{ csp_nonce() }}">1</script>'
                                      '<script nonce="{{ csp_nonce() }}">2</script>')

    first, second = call(app, client, "GET", "/nonce-probe"), call(app, client, "GET", "/nonce-probe")
    nonces = [re.findall(r'nonce="([^"]+)"', r.get_data(as_text=True)) for r in (first, second)]
    assert nonces[0][0] == nonces[0][1] and nonces[0][0] != nonces[1][0]
    assert assert_security_headers(first)["script-src"] == f"'self' 'nonce-{nonces[0][0]}'"
    assert CSP_DIRECTIVES["script-src"] == "'self'"  # a page without inline scripts gets no nonce


def test_a_view_may_set_its_own_frame_policy(app, client):
    @app.get("/framable-probe")
    def framable_probe():
        return "embeddable", {"x-frame-options": "SAMEORIGIN"}  # header names are case-insensitive

    assert client.get("/framable-probe").headers.getlist("X-Frame-Options") == ["SAMEORIGIN"]


def test_the_session_cookie_is_read_with_the_secret_keys_of_the_moment(app, client):
    """security.SignedCookieSessions builds its signer once, not per request, but anew when the keys
    change: a new SECRET_KEY refuses the cookies signed with the old one unless SECRET_KEY_FALLBACKS
    keeps it."""
    @app.get("/session-probe")
    def session_probe():
        return session.get("probe", "none")

    with client.session_transaction() as stored:
        stored["probe"] = "signed with the first key"

    def seen() -> str:
        return call(app, client, "GET", "/session-probe").get_data(as_text=True)

    assert seen() == "signed with the first key"
    first = app.config["SECRET_KEY"]
    app.config["SECRET_KEY"] = secrets.token_hex(32)
    assert seen() == "none"
    app.config["SECRET_KEY_FALLBACKS"] = [first]
    assert seen() == "signed with the first key"


# --- production start checks ----------------------------------------------------------------------

def production_app(tmp_path, **overrides):
    settings = {"SECRET_KEY": secrets.token_hex(32),
                "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://pakn@db.internal/pakn"} | overrides
    return create_app("production", **settings)


@pytest.mark.parametrize("key,says", [
    (None, "pakn: SECRET_KEY is not set"),
    ("", "pakn: SECRET_KEY is not set"),
    ("change-me", "pakn: SECRET_KEY is a placeholder"),
    ("change-me-to-a-long-random-string-of-hex-digits", "pakn: SECRET_KEY is a placeholder"),
    ("a" * 31, "pakn: SECRET_KEY has 31 characters, production needs 32 or more"),
    ("correct horse battery staple", "pakn: SECRET_KEY has 28 characters"),
])
def test_production_refuses_to_start_with_a_missing_short_or_placeholder_secret_key(tmp_path, key, says):
    with pytest.raises(ConfigError) as refused:
        production_app(tmp_path, SECRET_KEY=key)
    message = str(refused.value)
    assert message.startswith(says) and "\n" not in message, message
    assert "secrets.token_hex(32)" in message  # how to make a good one
    if key:
        assert key not in message  # a key, even a bad one, is never printed


def test_the_example_environment_files_secret_key_does_not_start_production(tmp_path):
    example = (ROOT / "deploy" / "pakn.env.example").read_text()
    (key,) = re.findall(r"^SECRET_KEY=(.*)$", example, re.M)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        production_app(tmp_path, SECRET_KEY=key.strip("\"'"))
    assert production_app(tmp_path, SECRET_KEY=secrets.token_hex(32)).config["ENV_NAME"] == "production"


def test_development_and_tests_start_without_a_secret_key_in_the_environment(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'dev.sqlite3'}"
    assert len(create_app("development", SQLALCHEMY_DATABASE_URI=url).config["SECRET_KEY"]) >= 32  # made at random
    assert create_app("testing", SQLALCHEMY_DATABASE_URI=url).config["SECRET_KEY"]


@pytest.mark.parametrize("url, warned", [(None, True),  # config.py's default, http://127.0.0.1:5000
                                          ("https://pakn.skhcn.example.gov.vn", True),  # the example's
                                          ("http://pakn.skhcn.quangngai.gov.vn", True),
                                          ("https://pakn.skhcn.quangngai.gov.vn", False)])
def test_production_warns_while_public_base_url_is_not_the_sites_address(tmp_path, caplog, url, warned):
    with caplog.at_level(logging.WARNING):
        production_app(tmp_path, **({"PUBLIC_BASE_URL": url} if url else {}))
    assert any("PUBLIC_BASE_URL" in r.getMessage() for r in caplog.records) is warned


def test_production_warns_while_the_agency_is_still_the_sample_department(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        production_app(tmp_path)
    (warning,) = [r for r in caplog.records if "sample department" in r.getMessage()]
    assert warning.levelno == logging.WARNING
    assert all(name in warning.getMessage() for name in SAMPLE_AGENCY)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        production_app(tmp_path, AGENCY_ADDRESS="Số 1 đường Trần Hưng Đạo, phường Nghĩa Chánh", AGENCY_PHONE="0255 3000 000")
    (warning,) = [r for r in caplog.records if "sample department" in r.getMessage()]
    assert "AGENCY_NAME" in warning.getMessage() and "AGENCY_PHONE" not in warning.getMessage()
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        production_app(tmp_path, **{name: f"{value} (thật)" for name, value in SAMPLE_AGENCY.items()})
        create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'test.sqlite3'}")
    assert not [r for r in caplog.records if "sample department" in r.getMessage()]


def test_production_on_sqlite_starts_with_a_warning_to_use_postgresql(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        production_app(tmp_path, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'prod.sqlite3'}")
    assert any("PostgreSQL" in r.getMessage() for r in caplog.records)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        production_app(tmp_path)
    assert not any("PostgreSQL" in r.getMessage() for r in caplog.records)


def test_production_sends_hsts_and_sees_the_client_address_behind_nginx(tmp_path):
    app = production_app(tmp_path)

    @app.get("/whoami-probe")
    def whoami_probe():
        return {"addr": request.remote_addr, "scheme": request.scheme}

    client = app.test_client()
    static = client.get("/static/pakn.css")
    assert_security_headers(static)
    assert static.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    seen = client.get("/whoami-probe", headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"})
    assert seen.get_json() == {"addr": "203.0.113.7", "scheme": "https"}


def test_behind_nginx_on_another_port_the_pages_own_origin_passes_the_csrf_check(tmp_path):
    """An intranet site at https://pakn.example:8443: nginx passes the port (X-Forwarded-Port), so a form
    sent from its own page is not taken for another origin's ("the page has expired")."""
    import re
    app = production_app(tmp_path)
    client = app.test_client()
    proxied = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "pakn.example",
               "X-Forwarded-Port": "8443"}
    page = client.get("/van-phong/dang-nhap", headers=proxied).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    sent = client.post("/van-phong/dang-nhap", data={"csrf_token": token, "email": "ai@example.gov.vn", "password": "x" * 8},
                       headers={**proxied, "Referer": "https://pakn.example:8443/van-phong/dang-nhap"})
    assert sent.status_code != 400, sent.get_data(as_text=True)[:300]
    other = client.post("/van-phong/dang-nhap", data={"csrf_token": token, "email": "ai@example.gov.vn", "password": "x" * 8},
                        headers={**proxied, "Referer": "https://evil.example/van-phong/dang-nhap"})
    assert other.status_code == 400


def test_what_is_one_persons_is_never_stored_by_a_cache_and_public_pages_may_be(app, client, seeded):
    assert "no-store" not in client.get("/cong-khai").headers.get("Cache-Control", "")
    assert client.get("/tra-cuu/PAKN.20240304.0001").headers["Cache-Control"] == "no-store"  # the status page
    login(client, seeded["office"])
    assert client.get("/van-phong/").headers["Cache-Control"] == "no-store"
    login(client, seeded["admin"])
    assert client.get("/quan-tri/nguoi-dung").headers["Cache-Control"] == "no-store"
    assert client.get("/api/v1/units", headers={"Authorization": "Bearer x"}).headers["Cache-Control"] == "no-store"


SUBMISSION_FORM = {"full_name": "Nguyễn Văn An", "address": "Số 12 đường Lê Lợi, Quảng Ngãi", "phone": "0905123456",
                   "email": "an@example.com", "title": "Thời hạn giải quyết thủ tục",
                   "content": "Đề nghị cho biết thời hạn giải quyết thủ tục đăng ký kết quả nhiệm vụ khoa học."}


def test_a_form_sent_back_with_its_errors_and_the_page_after_a_submission_are_never_stored(app, client, clock, seeded):
    assert "no-store" not in client.get("/gui-phan-anh").headers.get("Cache-Control", "")  # the empty form
    refused = client.post("/gui-phan-anh", data={**SUBMISSION_FORM, "title": ""})
    assert refused.status_code == 422 and "an@example.com" in refused.get_data(as_text=True)
    assert refused.headers.get("Cache-Control") == "no-store"
    assert client.post("/gui-phan-anh", data=SUBMISSION_FORM).status_code == 303
    sent = client.get("/gui-phan-anh/da-gui")
    page = sent.get_data(as_text=True)
    assert re.search(r"PAKN\.\d{8}\.\d{4}", page) and "an@example.com" in page
    assert sent.headers.get("Cache-Control") == "no-store"


def test_the_language_link_stays_on_this_site_whatever_the_path(app, client):
    page = client.get("/%5Cevil.example/x").get_data(as_text=True)  # a 404 page, its path "/\evil.example/x"
    (link,) = re.findall(r'<a href="([^"]*)"[^>]*id="lang-switch"', page)
    assert link == "?lang=en" and "evil" not in link
