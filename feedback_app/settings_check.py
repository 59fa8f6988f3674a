"""The settings read from the environment that a typo would otherwise break later, quietly or with a
traceback: checked when the app is made (``create_app``), each refused with one ``pakn:`` line naming
the variable (README: Configuration), as ``config.env`` does for a value of the wrong type."""
from __future__ import annotations

from datetime import time

from config import ConfigError

# Counts and intervals that must be at least 1: 0 or less would spin a job, hide a list, or allow nothing.
POSITIVE = ("SWEEP_INTERVAL_SECONDS", "OUTBOX_FLUSH_SECONDS", "WEBHOOK_FLUSH_SECONDS", "REPORT_REMINDER_CHECK_SECONDS",
            "HELD_UPLOADS_SWEEP_SECONDS", "CODE_BLOCK_SIZE", "PER_PAGE", "LOGIN_MAX_FAILURES", "LOGIN_LOCKOUT_MINUTES")
RATE_LIMITS = ("SUBMIT_RATE_LIMIT", "LOOKUP_RATE_LIMIT", "CODE_RATE_LIMIT", "LOGIN_RATE_LIMIT")


def check(config) -> None:
    _database(config["SQLALCHEMY_DATABASE_URI"])
    for name in POSITIVE:
        value = config.get(name)
        if value is not None and (not isinstance(value, int) or value < 1):
            raise ConfigError(f"{name}={value!r} is not a whole number of 1 or more")
    _rate_limits(config)
    opens, closes = (_hour(config, name) for name in ("OFFICE_OPENS", "OFFICE_CLOSES"))
    if opens >= closes:
        raise ConfigError(f"OFFICE_OPENS={config['OFFICE_OPENS']!r} is not before OFFICE_CLOSES={config['OFFICE_CLOSES']!r}")
    if config.get("WEBHOOK_URL") and not (config.get("WEBHOOK_SECRET") or "").strip():
        # signed with an empty key, a post anyone can forge would read as pakn's to the receiver
        raise ConfigError("WEBHOOK_URL is set and WEBHOOK_SECRET is not: the receiver could not tell pakn's "
                          "posts from forged ones")


# UPDATE … RETURNING (services.sequences, accounts) came with SQLite 3.35 (2021); NULLS LAST (the staff
# lists) with 3.30
MIN_SQLITE = (3, 35)


def _database(uri: str) -> None:
    import sqlite3

    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError
    try:
        dialect = make_url(uri).get_dialect()
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        hint = " (write postgresql+psycopg://user:password@host/database)" if uri.startswith("postgres:") else ""
        raise ConfigError(f"DATABASE_URL is not a database address SQLAlchemy can use{hint}: {exc}") from None
    version = sqlite3.sqlite_version_info
    if dialect.name == "sqlite" and version < MIN_SQLITE:
        raise ConfigError(f"DATABASE_URL is an SQLite file, and this Python's SQLite is "
                          f"{'.'.join(map(str, version))}: pakn needs {'.'.join(map(str, MIN_SQLITE))} or later "
                          f"(Debian 12 has 3.40), or PostgreSQL")


def _rate_limits(config) -> None:
    from limits import parse_many
    from limits.errors import ConfigurationError
    from limits.storage import storage_from_string
    for name in RATE_LIMITS:
        try:
            parse_many(str(config.get(name) or ""))
        except ValueError:
            raise ConfigError(f"{name}={config.get(name)!r} is not a rate such as '10 per hour' or '5/minute'") from None
    uri = config.get("RATELIMIT_STORAGE_URI") or "memory://"
    try:
        storage_from_string(uri)  # the client only: nothing is connected yet
    except ConfigurationError as exc:
        raise ConfigError(f"RATELIMIT_STORAGE_URI={uri!r}: {exc}") from None


def _hour(config, name: str) -> time:
    value = config.get(name)
    try:
        hour = time.fromisoformat(str(value))
    except ValueError:
        hour = None
    if hour is None or hour.tzinfo is not None:  # local time: the office's zone is Vietnam's
        raise ConfigError(f"{name}={value!r} is not a local time of day such as 07:30")
    return hour
