"""Configuration classes. Every setting can be overridden by an environment variable of the same name."""
from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from workflows.clock import LOCAL_TZ

BASE_DIR = Path(__file__).resolve().parent


class ConfigError(SystemExit):
    """A setting the app cannot start with: the message, printed without a traceback (flask, gunicorn)."""

    def __init__(self, message: str):
        super().__init__(f"pakn: {message}")


YES = ("1", "true", "yes", "on")
NO = ("0", "false", "no", "off")


def env(name: str, default=None, cast=str):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if cast is bool:  # a typo (MAIL_USE_TLS=ture) must not quietly mean "no"
        word = value.strip().lower()
        if word in YES or word in NO:
            return word in YES
        raise ConfigError(f"{name}={value!r} is not yes or no ({'/'.join(YES)} or {'/'.join(NO)})")
    try:
        return json.loads(value) if cast is dict else cast(value)
    except ValueError as exc:  # a JSON error is a ValueError too
        expected = "JSON" if cast is dict else {int: "a whole number", float: "a number"}.get(cast, cast.__name__)
        raise ConfigError(f"{name}={value!r} is not {expected} ({exc})") from None


# The demo's department, the defaults of the AGENCY_* settings: a real department sets its own, or its
# letters and the public notice board (/thong-bao) give this address and phone; production warns at
# start while any is left (feedback_app/security.py).
SAMPLE_AGENCY = {
    "AGENCY_NAME": "Sở Khoa học và Công nghệ tỉnh Quảng Ngãi",
    "AGENCY_PARENT": "UBND TỈNH QUẢNG NGÃI",
    "AGENCY_ADDRESS": "Số 02 Hai Bà Trưng, phường Cẩm Thành, tỉnh Quảng Ngãi",
    "AGENCY_POSTAL_ADDRESS": "Số 02 Hai Bà Trưng, phường Cẩm Thành, tỉnh Quảng Ngãi",
    "AGENCY_PHONE": "0255 3822 123",
    "AGENCY_EMAIL": "pakn@skhcn.example.gov.vn",
    "AGENCY_WEBSITE": "https://skhcn.example.gov.vn",
    "AGENCY_PLACE": "Quảng Ngãi",
}


def _default_database_url() -> str:
    return f"sqlite:///{BASE_DIR / 'instance' / 'pakn.sqlite3'}"


class Config:
    ENV_NAME = "base"
    SECRET_KEY = env("SECRET_KEY")  # production: 32 characters at least, never a placeholder (security.py)
    # The level of the app's own log (stderr: journald under systemd): INFO has the sweep's and the
    # outbox's summaries and every case's transition.
    LOG_LEVEL = env("LOG_LEVEL", "INFO")
    SQLALCHEMY_DATABASE_URI = env("DATABASE_URL", _default_database_url())
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # PostgreSQL's JIT compilation of costly queries, off by default (feedback_app/postgres.py).
    POSTGRES_JIT = env("POSTGRES_JIT", False, bool)
    # A pooled connection idle for longer than this is pinged before use (feedback_app/pool.py).
    POOL_PING_IDLE_SECONDS = env("POOL_PING_IDLE_SECONDS", 10.0, float)
    SQLALCHEMY_TRACK_MODIFICATIONS = False

    # Mail: real SMTP through Flask-Mail; every mail goes through the stored outbox first.
    MAIL_SERVER = env("MAIL_SERVER", "localhost")
    MAIL_PORT = env("MAIL_PORT", 25, int)
    MAIL_USE_TLS = env("MAIL_USE_TLS", False, bool)
    MAIL_USE_SSL = env("MAIL_USE_SSL", False, bool)
    MAIL_USERNAME = env("MAIL_USERNAME")
    MAIL_PASSWORD = env("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = env("MAIL_DEFAULT_SENDER", "PAKN Sở KH&CN <pakn@skhcn.example.gov.vn>")
    MAIL_TIMEOUT = env("MAIL_TIMEOUT", 10, int)
    OUTBOX_MAX_ATTEMPTS = env("OUTBOX_MAX_ATTEMPTS", 12, int)
    OUTBOX_BACKOFF_SECONDS = env("OUTBOX_BACKOFF_SECONDS", 60, int)
    # The files of an answer are attached to its mail up to this size in all (many mail servers refuse
    # more than 10–25 MB); beyond it the mail names them and the citizen downloads them from the status page.
    MAIL_MAX_ATTACHMENT_BYTES = env("MAIL_MAX_ATTACHMENT_BYTES", 10 * 1024 * 1024, int)

    # Languages: Vietnamese by default, English switchable (Flask-Babel).
    BABEL_DEFAULT_LOCALE = env("BABEL_DEFAULT_LOCALE", "vi")
    BABEL_DEFAULT_TIMEZONE = LOCAL_TZ.key  # the one zone pakn counts days and shows times in
    LANGUAGES = ("vi", "en")

    # The agency, shown on the public notice board (NĐ 20/2008 Art 10.3, 13) and on letters.
    AGENCY_NAME = env("AGENCY_NAME", SAMPLE_AGENCY["AGENCY_NAME"])
    AGENCY_PARENT = env("AGENCY_PARENT", SAMPLE_AGENCY["AGENCY_PARENT"])
    AGENCY_ADDRESS = env("AGENCY_ADDRESS", SAMPLE_AGENCY["AGENCY_ADDRESS"])
    AGENCY_POSTAL_ADDRESS = env("AGENCY_POSTAL_ADDRESS", SAMPLE_AGENCY["AGENCY_POSTAL_ADDRESS"])
    AGENCY_PHONE = env("AGENCY_PHONE", SAMPLE_AGENCY["AGENCY_PHONE"])
    AGENCY_EMAIL = env("AGENCY_EMAIL", SAMPLE_AGENCY["AGENCY_EMAIL"])
    AGENCY_WEBSITE = env("AGENCY_WEBSITE", SAMPLE_AGENCY["AGENCY_WEBSITE"])
    # the national PAKN system (QĐ 31/2021/QĐ-TTg Art 41), a channel the notice board names; set empty,
    # left off (not the default, as for the other settings: a department may not take part in it)
    AGENCY_NATIONAL_PORTAL = os.environ.get("AGENCY_NATIONAL_PORTAL", "https://dichvucong.gov.vn").strip() or None
    AGENCY_SIGNER_TITLE = env("AGENCY_SIGNER_TITLE", "GIÁM ĐỐC")
    PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", "http://127.0.0.1:5000")

    # Deadlines: overrides of workflows.deadlines.Rules, e.g. PAKN_DEADLINES='{"answer_days": 10}'.
    PAKN_DEADLINES = env("PAKN_DEADLINES", {}, dict)
    # A fixed "now" (ISO 8601 with offset) for demos and black-box tests; ignored in production.
    PAKN_NOW = env("PAKN_NOW")

    # Uploads: outside the web root, on a directory several web hosts can share.
    UPLOAD_DIR = env("UPLOAD_DIR", str(BASE_DIR / "instance" / "uploads"))
    MAX_ATTACHMENTS = env("MAX_ATTACHMENTS", 5, int)
    MAX_ATTACHMENT_BYTES = env("MAX_ATTACHMENT_BYTES", 10 * 1024 * 1024, int)
    MAX_CONTENT_LENGTH = env("MAX_CONTENT_LENGTH", 60 * 1024 * 1024, int)
    # Files of a form that came back (an error to correct) are held in UPLOAD_DIR/held this long, and
    # all such holds together take at most this much (services/held_uploads.py).
    HELD_UPLOAD_HOURS = env("HELD_UPLOAD_HOURS", 6, int)
    HELD_UPLOADS_MAX_BYTES = env("HELD_UPLOADS_MAX_BYTES", 1024 * 1024 * 1024, int)
    # one client's share (an IPv4 address or an IPv6 /64): two full forms (MAX_ATTACHMENTS x MAX_ATTACHMENT_BYTES)
    HELD_UPLOADS_CLIENT_MAX_BYTES = env("HELD_UPLOADS_CLIENT_MAX_BYTES", 100 * 1024 * 1024, int)
    HELD_UPLOADS_SWEEP_SECONDS = env("HELD_UPLOADS_SWEEP_SECONDS", 3600, int)

    # flask backup: where the database copy and the uploads' tar go, and how many runs are kept.
    BACKUP_DIR = env("BACKUP_DIR", str(BASE_DIR / "instance" / "backups"))
    BACKUP_KEEP = env("BACKUP_KEEP", 14, int)
    PG_DUMP = env("PG_DUMP", "pg_dump")  # the client of the server's major version or newer

    # How far back HCTH may date a PAKN it enters from paper, phone, e-mail or in person (calendar days;
    # QĐ 31/2021/QĐ-TTg Art 43.2b). A month covers a letter held up in internal mail or a backlog after
    # Tết, while a wrong month or year typed by mistake is refused rather than making a case that is
    # born months overdue and counted in a report period long sent.
    INTAKE_MAX_BACKDATE_DAYS = env("INTAKE_MAX_BACKDATE_DAYS", 30, int)

    # Tracking codes: each worker reserves this many numbers of the day at a time (services/sequences.py);
    # 1 makes them consecutive in the order received, at one more short transaction per submission.
    CODE_BLOCK_SIZE = env("CODE_BLOCK_SIZE", 10, int)

    RATELIMIT_STORAGE_URI = env("RATELIMIT_STORAGE_URI", "memory://")
    SUBMIT_RATE_LIMIT = env("SUBMIT_RATE_LIMIT", "10 per hour")
    LOOKUP_RATE_LIMIT = env("LOOKUP_RATE_LIMIT", "30 per hour")  # failed /tra-cuu lookups per IP
    CODE_RATE_LIMIT = env("CODE_RATE_LIMIT", "120 per hour")  # public views by tracking code alone, per IP
    LOGIN_RATE_LIMIT = env("LOGIN_RATE_LIMIT", "30 per hour")  # wrong staff passwords per IP, any e-mail
    RATELIMIT_ENABLED = env("RATELIMIT_ENABLED", True, bool)
    # X-RateLimit-Limit/-Remaining/-Reset on the limited routes and Retry-After on a 429: a program
    # (the provincial portal, a kiosk) learns when to send again instead of guessing
    RATELIMIT_HEADERS_ENABLED = True

    # The scheduler runs inside the web process in development, as its own process in production.
    SCHEDULER_IN_APP = env("SCHEDULER_IN_APP", False, bool)
    SWEEP_INTERVAL_SECONDS = env("SWEEP_INTERVAL_SECONDS", 300, int)
    # How long a process keeps the working-day calendar it read (services/calendar.load_calendar).
    CALENDAR_CACHE_SECONDS = env("CALENDAR_CACHE_SECONDS", 10.0, float)
    OUTBOX_FLUSH_SECONDS = env("OUTBOX_FLUSH_SECONDS", 30, int)
    # Hours after an automatic apology letter during which staff may still set its reason; its mail
    # leaves only after them (then with the default reason if nobody wrote one).
    # counted in office hours: from the letter when a working day's office is open, else from its next
    # opening (OFFICE_OPENS, local "HH:MM"; OFFICE_CLOSES), so that the hours are hours at work
    APOLOGY_GRACE_HOURS = env("APOLOGY_GRACE_HOURS", 4, float)
    OFFICE_OPENS = env("OFFICE_OPENS", "07:30")
    OFFICE_CLOSES = env("OFFICE_CLOSES", "17:00")
    DIGEST_HOUR = env("DIGEST_HOUR", 7, int)  # the leader's daily overdue digest, from this local hour
    AGENCY_PLACE = env("AGENCY_PLACE", SAMPLE_AGENCY["AGENCY_PLACE"])  # "<place>, ngày … tháng … năm …" on letters
    # The DejaVu Serif faces of the letters' and the report's PDFs (feedback_app/pdf.py); unset: Debian's folder
    LETTER_FONT_DIR = env("LETTER_FONT_DIR")

    # State changes POSTed to the national-system bridge, signed with HMAC-SHA256 (X-Pakn-Signature).
    WEBHOOK_URL = env("WEBHOOK_URL")
    WEBHOOK_SECRET = env("WEBHOOK_SECRET")
    WEBHOOK_MAX_ATTEMPTS = env("WEBHOOK_MAX_ATTEMPTS", 10, int)
    WEBHOOK_BACKOFF_SECONDS = env("WEBHOOK_BACKOFF_SECONDS", 60, int)
    WEBHOOK_TIMEOUT = env("WEBHOOK_TIMEOUT", 10, int)
    # HCTH is reminded this many working days (department's choice) before the 15th of each quarter's
    # last month, the date by which units report under the department's 2024 plan, chapter III.1.
    REPORT_REMINDER_WORKING_DAYS = env("REPORT_REMINDER_WORKING_DAYS", 3, int)
    # The register's XLSX from the page: at most this many lines (about 30 s on a 2-core server, inside
    # gunicorn's 60 s timeout); a larger range is written by ``flask register export``.
    REGISTER_DOWNLOAD_MAX_ROWS = env("REGISTER_DOWNLOAD_MAX_ROWS", 60000, int)

    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # wrong passwords for one e-mail from one address that lock that pair (services.accounts.authenticate)
    LOGIN_MAX_FAILURES = env("LOGIN_MAX_FAILURES", 5, int)
    # wrong passwords for one account from all addresses within LOGIN_LOCKOUT_MINUTES that alert its
    # owner and the admins (no lock: services.accounts._alert_if_guessed)
    LOGIN_ALERT_FAILURES = env("LOGIN_ALERT_FAILURES", 20, int)
    PASSWORD_HASH_METHOD = env("PASSWORD_HASH_METHOD", "scrypt")  # werkzeug's strong default
    LOGIN_LOCKOUT_MINUTES = env("LOGIN_LOCKOUT_MINUTES", 15, int)
    PER_PAGE = env("PER_PAGE", 20, int)

    # Security headers (feedback_app/security.py): HSTS only where the site is served over HTTPS.
    HSTS_MAX_AGE = 0
    # How many reverse proxies (nginx) stand in front of the app and set X-Forwarded-For/-Proto.
    TRUSTED_PROXIES = env("TRUSTED_PROXIES", 0, int)


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    DEBUG = env("FLASK_DEBUG", False, bool)
    SECRET_KEY = Config.SECRET_KEY or secrets.token_hex(32)
    SCHEDULER_IN_APP = env("SCHEDULER_IN_APP", True, bool)
    MAIL_PORT = env("MAIL_PORT", 8025, int)


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-not-secret"
    SQLALCHEMY_DATABASE_URI = env("TEST_DATABASE_URL", "sqlite://")
    WTF_CSRF_ENABLED = False
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # fast for tests only; real configs keep scrypt
    RATELIMIT_ENABLED = False
    SCHEDULER_IN_APP = False
    MAIL_SERVER = "127.0.0.1"
    MAIL_PORT = 1  # tests that send mail start a real SMTP server and point the app at it


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    PREFERRED_URL_SCHEME = "https"
    PAKN_NOW = None  # production always reads the real time
    HSTS_MAX_AGE = env("HSTS_MAX_AGE", 31536000, int)  # one year, served only over TLS (deploy/nginx-pakn.conf)
    TRUSTED_PROXIES = env("TRUSTED_PROXIES", 1, int)  # nginx on the same host


CONFIGS = {c.ENV_NAME: c for c in (DevelopmentConfig, TestingConfig, ProductionConfig)}
