"""WSGI entry point: ``flask --app wsgi …`` and ``gunicorn wsgi:app``."""
import sys

from config import ConfigError
from feedback_app import create_app

try:
    app = create_app()
except ConfigError as refused:
    # the one line that says which setting, then gunicorn's "worker failed to boot" exit code: the
    # server stops instead of starting workers that exit, forever
    print(refused.code, file=sys.stderr)
    raise SystemExit(3) from None
