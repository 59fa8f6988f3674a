"""WSGI entry point: ``flask --app wsgi …`` and ``gunicorn wsgi:app``."""
import sys

try:
    from feedback_app import create_app
    app = create_app()
except SystemExit as refused:  # config.ConfigError, at import or in the factory: a setting it cannot use
    # the one line that says which setting, then gunicorn's "worker failed to boot" exit code: the
    # server stops instead of starting workers that exit, forever (and a command exits 3 as well)
    print(refused.code, file=sys.stderr)
    raise SystemExit(3) from None
