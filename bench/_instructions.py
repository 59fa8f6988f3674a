#!/usr/bin/env python3
"""Instructions per submission, counted by valgrind (cachegrind): the same count for the same build on a
busy machine or an idle one, where bench/submit.py's req/s move by ±20%. Not run by ``make bench`` (a
helper: it needs valgrind, and a minute or two):

    python bench/_instructions.py [--json] [--database sqlite:///FILE] [--n 20000] [--submissions 300] [--bare]

It runs itself under ``valgrind --tool=cachegrind --cache-sim=no`` twice, on two copies of one filled
SQLite file: each run makes 200 submissions to warm up, then 0 or ``--submissions`` more, and the
difference over their number is the figure. A submission is the WSGI app called directly with
bench/submit.py's bodies and settings (production, no rate limit), no server and no load generator;
the garbage collector is off, so that when it happens to run does not move the count. ``--bare``:
the same for bench/_bare_app.py.
"""
from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT))
WARM_UP = 200


def submit_in_process(database: str, count: int, bare: bool) -> None:
    """The measured part, run under valgrind: WARM_UP + ``count`` submissions through the WSGI app."""
    import gc
    gc.disable()
    from submit import APP_SETTINGS, PATH, bodies
    os.environ.update({**APP_SETTINGS, "DATABASE_URL": database, "SECRET_KEY": "x" * 64})  # one key: the same count
    if bare:
        from _bare_app import app
    else:
        from wsgi import app
    payloads = [b.encode() for b in bodies()]
    for i in range(WARM_UP + count):
        body, status = payloads[i % len(payloads)], []
        environ = {"REQUEST_METHOD": "POST", "PATH_INFO": PATH, "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000",
                   "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
                   "CONTENT_LENGTH": str(len(body)), "CONTENT_TYPE": "application/json",
                   "REMOTE_ADDR": "127.0.0.1", "wsgi.errors": sys.stderr, "wsgi.multithread": False,
                   "wsgi.multiprocess": True, "wsgi.run_once": False, "wsgi.version": (1, 0)}
        b"".join(app(environ, lambda s, headers, exc=None: status.append(s)))
        if not status[0].startswith("201"):
            raise SystemExit(f"submission {i} answered {status[0]}")


def instructions(source: Path, count: int, bare: bool, folder: Path) -> int:
    copy = folder / f"copy-{count}.sqlite3"
    shutil.copy(source, copy)
    env = {**os.environ, "PYTHONHASHSEED": "0", "UPLOAD_DIR": str(folder / "uploads")}
    run = subprocess.run(["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
                          sys.executable, __file__, "--inner", f"sqlite:///{copy}", str(count)]
                         + (["--bare"] if bare else []), cwd=ROOT, env=env, capture_output=True, text=True)
    counted = re.search(r"I\s+refs:\s+([\d,]+)", run.stderr)
    if run.returncode or not counted:
        raise SystemExit(f"valgrind failed ({run.returncode}): {run.stderr[-1500:]}")
    return int(counted.group(1).replace(",", ""))


def main() -> int:
    if sys.argv[1:2] == ["--inner"]:
        submit_in_process(sys.argv[2], int(sys.argv[3]), "--bare" in sys.argv)
        return 0
    from _common import arguments, figure, log
    from generate import ensure_filled
    bare = "--bare" in sys.argv
    if bare:
        sys.argv.remove("--bare")
    args = arguments(__doc__.split("\n")[0], 20_000, submissions=300)
    if not shutil.which("valgrind"):
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    if not args.database.startswith("sqlite:///"):
        raise SystemExit("--database must be an SQLite file: each run gets a copy of it")
    ensure_filled(args.database, args.n, progress=log)
    from submit import upgrade
    upgrade({**os.environ, "DATABASE_URL": args.database})
    source = Path(args.database.removeprefix("sqlite:///"))
    with tempfile.TemporaryDirectory(prefix="pakn-instructions-") as folder:
        counts = [instructions(source, c, bare, Path(folder)) for c in (0, args.submissions)]
    app = "bare Flask, one INSERT" if bare else "pakn"
    figure(args.json, f"submit ({app}) instructions per submission, in-process", round((counts[1] - counts[0]) / args.submissions),
           "instructions", args.n, "sqlite", submissions=args.submissions, warm_up=WARM_UP)
    return 0


if __name__ == "__main__":
    sys.exit(main())
