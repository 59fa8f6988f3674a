"""gunicorn's settings for pakn: ``gunicorn -c deploy/gunicorn.conf.py wsgi:app`` (deploy/pakn-web.service,
deploy/Procfile, and bench/submit.py, which measures what is deployed). Options given on the command
line (``-b``, ``-w``) win over these.

Workers: one per CPU this process may run on, or ``WEB_CONCURRENCY``. A submission is CPU work for
Python (its database writes take a fraction of a millisecond on the same host), so more workers than
CPUs only take turns on them, and each turn costs the next one its caches: bench/submit.py on 2 CPUs,
sync workers, PostgreSQL on the same host, gave 737 submissions/s with 2 workers against 509–554 with 4,
and on SQLite 570–594 against 461–466 (docs/performance.md). With PostgreSQL on another host, each
round trip leaves a worker waiting: there, measure with a higher ``WEB_CONCURRENCY`` (twice the CPUs).
"""
import os

_cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
workers = int(os.environ.get("WEB_CONCURRENCY") or _cpus)
bind = "127.0.0.1:8000"  # loopback: nginx is the one door from outside
timeout = 60  # a large report export
graceful_timeout = 30  # a restart lets the requests in hand finish
