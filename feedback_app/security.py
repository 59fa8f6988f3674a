"""HTTP hardening shared by every page and API response: security headers, the client address
behind the reverse proxy (and whom rate limits count), and the checks that stop an insecure production start
(a missing, short or placeholder ``SECRET_KEY``) or warn of an unfinished one (SQLite, the sample agency).

Headers (set on every response unless a view set its own value first):
- Content-Security-Policy: only this origin's scripts, styles and images (plus ``data:`` images);
  an inline ``<script>`` must carry ``nonce="{{ csp_nonce() }}"``, inline ``style=""`` attributes are
  not allowed at all (put the rule in static/pakn.css);
- X-Content-Type-Options, X-Frame-Options and ``frame-ancestors 'none'``: no MIME sniffing, no framing
  (click-jacking of the staff pages);
- Referrer-Policy ``same-origin``: a tracking code in a URL never leaks to another site;
- Permissions-Policy: no camera, microphone, geolocation, payment or USB;
- Strict-Transport-Security only when ``HSTS_MAX_AGE`` > 0 (ProductionConfig), since a development
  server on http:// must not teach the browser to refuse plain HTTP on localhost;
- Cache-Control ``no-store`` on what is one person's: every answer to a signed-in member of staff or
  to a staff token, the citizen's status page and files (``/tra-cuu/…``), every answer to a POST (a form
  that comes back with its errors shows what was typed: name, phone, e-mail, address) and the pages a view
  marks ``@no_store`` (the page after a submission: its code and e-mail), so that a shared computer's
  cache or a proxy keeps no citizen's name, phone or answer.
"""
from __future__ import annotations

import ipaddress
import secrets
from functools import wraps
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, request
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy.engine import make_url

from config import SAMPLE_AGENCY, ConfigError

# Directives without the per-request script nonce; order kept stable for readers of the header.
CSP_DIRECTIVES: dict[str, str] = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


def csp_nonce() -> str:
    """The nonce of this response's Content-Security-Policy, made on first use in a template."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def content_security_policy(nonce: str | None = None) -> str:
    directives = dict(CSP_DIRECTIVES)
    if nonce:
        directives["script-src"] += f" 'nonce-{nonce}'"
    return "; ".join(f"{name} {value}" for name, value in directives.items())


# The headers every response gets, worked out once; the policy without a nonce (most responses: the
# API, redirects, pages without an inline script).
_STATIC_HEADERS = (("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"),
                   ("Referrer-Policy", "same-origin"), ("Permissions-Policy", PERMISSIONS_POLICY),
                   ("Cross-Origin-Opener-Policy", "same-origin"))
_CSP_WITHOUT_NONCE = content_security_policy()


def set_security_headers(response: Response) -> Response:
    headers = response.headers
    # one pass over what the view set (its own value wins), instead of a search of the headers for
    # each one (Headers.setdefault): this runs on every response
    present = {name.lower() for name, _ in headers.items()}
    nonce = g.get("csp_nonce")
    wanted = [("Content-Security-Policy", content_security_policy(nonce) if nonce else _CSP_WITHOUT_NONCE),
              *_STATIC_HEADERS]
    max_age = int(current_app.config.get("HSTS_MAX_AGE") or 0)
    if max_age > 0:
        wanted.append(("Strict-Transport-Security", f"max-age={max_age}; includeSubDomains"))
    headers.extend([(name, value) for name, value in wanted if name.lower() not in present])
    if _personal():
        headers["Cache-Control"] = "no-store"
    return response


def no_store(view):
    """A page that shows one citizen's data outside ``/tra-cuu/``: never kept by a cache either."""
    @wraps(view)
    def marked(*args, **kwargs):
        g.no_store = True
        return view(*args, **kwargs)
    return marked


def _personal() -> bool:
    # Flask-Login keeps the user it loaded for this request on g; reading it here loads nobody
    user = g.get("_login_user")
    return (request.method == "POST" or g.get("no_store", False) or request.path.startswith("/tra-cuu/")
            or "Authorization" in request.headers or (user is not None and user.is_authenticated))


def client_key(address: str | None) -> str:
    """Whom a limit counts (every rate limit, and the sign-in lockout): an IPv4 address, or the /64
    network of an IPv6 one (one line or host is given a whole /64, so counting single addresses would
    let it send or guess without end)."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return (address or "unknown")[:64]
    if ip.version == 6 and ip.ipv4_mapped:  # "::ffff:203.0.113.5" from a dual-stack socket: that IPv4 client
        return str(ip.ipv4_mapped)
    return str(ipaddress.ip_network(f"{ip}/64", strict=False)) if ip.version == 6 else str(ip)


def rate_limit_key() -> str:
    """The Limiter's key for every limit of the app: the client of this request (``client_key``)."""
    return client_key(request.remote_addr)


def _loopback(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return ip.is_loopback or bool(ip.version == 6 and ip.ipv4_mapped and ip.ipv4_mapped.is_loopback)


def from_this_host() -> bool:
    """Whether the request came from this machine by loopback all the way: the peer of gunicorn's socket
    (as it was before ProxyFix) and every address in X-Forwarded-For. ``request.remote_addr`` alone
    will not do: with ``TRUSTED_PROXIES`` it is what the header says, which a client that reaches
    gunicorn directly writes itself, and with 0 behind nginx it is nginx, 127.0.0.1, for everyone.
    nginx appends the address it was reached from, so a request from elsewhere always leaves one that
    is not loopback, whatever the client put in front of it."""
    peer = request.environ.get("werkzeug.proxy_fix.orig", request.environ).get("REMOTE_ADDR") or ""
    forwarded = [part for value in request.headers.getlist("X-Forwarded-For") for part in value.split(",")]
    return all(_loopback(address) for address in (peer, *forwarded))


# Words of a key that was never replaced (the example file once shipped SECRET_KEY=change-me).
PLACEHOLDER_KEY_WORDS = ("change-me", "changeme", "change_me", "replace-me", "not-secret")
MIN_SECRET_KEY_LENGTH = 32
GENERATE_KEY = "python -c 'import secrets; print(secrets.token_hex(32))'"


def check_secret_key(app: Flask) -> None:
    """Refuse to start without a key, and in production with one that anybody could know or guess:
    whoever has the key signs a session cookie of any member of staff, the admin's too."""
    key = app.config.get("SECRET_KEY")
    if not key:
        raise ConfigError(f"SECRET_KEY is not set; make one with {GENERATE_KEY}")
    if app.config.get("ENV_NAME") != "production":
        return  # development makes a random key; the tests' fixed one signs nothing real
    text = key.decode(errors="replace") if isinstance(key, bytes) else str(key)  # never printed
    if any(word in text.lower() for word in PLACEHOLDER_KEY_WORDS):
        raise ConfigError(f"SECRET_KEY is a placeholder, not a secret; make one with {GENERATE_KEY}")
    if len(text) < MIN_SECRET_KEY_LENGTH:
        raise ConfigError(f"SECRET_KEY has {len(text)} characters, production needs {MIN_SECRET_KEY_LENGTH} "
                          f"or more; make one with {GENERATE_KEY}")


def check_production(app: Flask) -> None:
    """Warn about settings that are fine on a laptop and wrong on a server (``check_secret_key``
    refuses to start with a weak key)."""
    if app.config.get("ENV_NAME") != "production":
        return
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        app.logger.warning(
            "DATABASE_URL is SQLite in production: use PostgreSQL (postgresql+psycopg://…) so that several "
            "gunicorn workers, the scheduler and more than one host can share the database safely.")
    # A warning, not a refusal: the department's own values may wait for its letterhead to be settled.
    samples = [name for name, value in SAMPLE_AGENCY.items() if app.config.get(name) == value]
    if samples:
        app.logger.warning(
            "%s still hold the sample department of config.py (%s): set them in the environment "
            "(/etc/pakn/pakn.env), or letters and the notice board /thong-bao show that address and phone.",
            ", ".join(samples), SAMPLE_AGENCY["AGENCY_NAME"])
    # every mail's links (the receipt's lookup, the staff's case pages) start with it
    base = urlsplit(app.config.get("PUBLIC_BASE_URL") or "")
    if base.scheme != "https" or base.hostname in (None, "localhost", "127.0.0.1", "::1") \
            or (base.hostname or "").endswith(".example.gov.vn"):
        app.logger.warning(
            "PUBLIC_BASE_URL=%s is not the site's public https address: the links in every mail (the "
            "receipt's tracking page, the staff's case pages) lead there. Set it in /etc/pakn/pakn.env.",
            app.config.get("PUBLIC_BASE_URL"))


class SignedCookieSessions(SecureCookieSessionInterface):
    """Flask's signed session cookie, whose signer is built once per set of keys instead of twice a
    request (opening and saving the session): 1.3% of a submission's instructions
    (bench/_instructions.py)."""

    def __init__(self):
        self._signer: tuple[tuple, object] | None = None

    def get_signing_serializer(self, app: Flask):
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        signer = self._signer  # read once: another thread of a gthread worker may replace it meanwhile
        if signer is None or signer[0] != keys:
            signer = self._signer = (keys, super().get_signing_serializer(app))
        return signer[1]


def init_app(app: Flask) -> None:
    check_production(app)
    app.session_interface = SignedCookieSessions()
    # Behind nginx the client's address and scheme arrive in X-Forwarded-*; trust exactly as many
    # proxies as are configured (0 = none), or rate limits would count every citizen as 127.0.0.1.
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.after_request(set_security_headers)
