"""pakn: the app factory."""
from __future__ import annotations

import functools
import os
from pathlib import Path

from babel import Locale
from flask import Flask, request, session

from config import CONFIGS, ConfigError
from workflows.clock import CLOCK
from workflows.deadlines import Rules

from . import pool, postgres, sqlite
from .extensions import babel, csrf, db, limiter, login_manager, mail, migrate

ROOT = Path(__file__).resolve().parent.parent
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


@functools.cache
def _locale(code: str) -> Locale:
    return Locale.parse(code)


def select_locale() -> Locale:
    """The page's language: ``?lang=`` (kept in the session), else the session's, else the default. As
    a parsed Locale, which Flask-Babel takes as it is, instead of parsing the code on every request."""
    from flask import current_app, has_request_context
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # commands, jobs: mails go out in the default language
        return _locale(current_app.config["BABEL_DEFAULT_LOCALE"])
    wanted = request.args.get("lang")
    if wanted in languages:
        session["lang"] = wanted
        return _locale(wanted)
    return _locale(session.get("lang") if session.get("lang") in languages else current_app.config["BABEL_DEFAULT_LOCALE"])


def create_app(config_name: str | None = None, **overrides) -> Flask:
    config_name = config_name or os.environ.get("PAKN_ENV", "development")
    if config_name not in CONFIGS:
        raise ConfigError(f"PAKN_ENV={config_name!r} is not one of {', '.join(CONFIGS)}")
    app = Flask(__name__, template_folder=str(ROOT / "templates"), instance_path=str(ROOT / "instance"))
    app.config.from_object(CONFIGS[config_name])
    app.config.update(overrides)
    from . import request_text, security, settings_check
    request_text.init_app(app)  # what people send is read in NFC
    security.check_secret_key(app)
    # Flask leaves its logger at the root's WARNING: the routine INFO lines (the sweep's and the outbox's
    # summaries, each transition) would never reach stderr, which is journald under systemd.
    level = str(app.config.get("LOG_LEVEL") or "INFO").strip().upper()
    if level not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL={app.config.get('LOG_LEVEL')!r} is not one of {', '.join(LOG_LEVELS)}")
    app.logger.setLevel(level)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    # One clock for every deadline: a fixed "now" for demos and black-box tests, never in production.
    if app.config.get("PAKN_NOW") and config_name != "production":
        try:
            CLOCK.set(app.config["PAKN_NOW"])
        except ValueError as exc:
            raise ConfigError(f"PAKN_NOW={app.config['PAKN_NOW']!r} is not an ISO 8601 time with its offset ({exc})") from None
    try:  # checked now, not on the first deadline a request computes
        Rules.from_mapping(app.config.get("PAKN_DEADLINES"))
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"PAKN_DEADLINES: {exc}") from None
    settings_check.check(app.config)

    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    options = sqlite.engine_options(uri, app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}))
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = postgres.engine_options(uri, options, app.config.get("POSTGRES_JIT", False))
    db.init_app(app)
    with app.app_context():
        pool.ping_when_idle(db.engine, app.config["POOL_PING_IDLE_SECONDS"])
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    mail.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    # One catalogue folder per area (translations/<area>/<lang>/LC_MESSAGES); Flask-Babel merges them.
    # translations/wtforms holds WTForms' own messages in Vietnamese (feedback_app/forms.py), not the app's.
    catalogues = sorted(str(p) for p in (ROOT / "translations").glob("*") if p.is_dir() and p.name != "wtforms")
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=";".join(catalogues) or str(ROOT / "translations"))
    if not str(app.config.get("RATELIMIT_STORAGE_URI", "memory://")).startswith("memory://"):
        app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)  # a shared store down stops nobody
        app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    limiter.init_app(app)
    security.init_app(app)
    from . import static_files
    static_files.init_app(app)

    from . import views_common
    views_common.init_app(app)

    from .admin import bp as admin_bp
    from .api import bp as api_bp
    from .office import bp as office_bp
    from .public import bp as public_bp
    from .unit import bp as unit_bp
    for blueprint in (public_bp, office_bp, unit_bp, admin_bp, api_bp):
        app.register_blueprint(blueprint)
    from .api.open311 import bp as open311_bp; app.register_blueprint(open311_bp)  # Open311 GeoReport v2

    from . import cli
    cli.init_app(app)

    from . import jobs
    jobs.init_app(app)  # the in-app scheduler of development (SCHEDULER_IN_APP)
    return app
