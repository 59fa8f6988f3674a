"""gunicorn's settings for pakn: ``gunicorn -c deploy/gunicorn.conf.py wsgi:app`` (deploy/pakn-web.service,
deploy/Procfile, and bench/submit.py, which measures what is deployed). Options given on the command
line (``-b``, ``-w``) win over these.

Workers: one per CPU this process may use (its CPU affinity, within a container's CPU quota), at least
two, or ``WEB_CONCURRENCY``. A submission is CPU work for Python, so more workers than CPUs only take
turns on them, and each turn costs the next one its caches: on 2 CPUs, 2 workers served about a third
more submissions than 4 on PostgreSQL (docs/performance.md, "Fourth stop of 2026-12-07"). At least two,
so that a long request (a year's register as XLSX: up to half a minute) never holds the only worker.
Raise ``WEB_CONCURRENCY`` where staff often download large registers while the portal is busy, or where
PostgreSQL is on another host, whose round trips leave workers waiting.
"""
import math
import os


def _cpus() -> int:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:  # cgroup v2: "max 100000", or "150000 100000" for 1.5 CPUs (docker --cpus=1.5)
        quota, period = open("/sys/fs/cgroup/cpu.max").read().split()
        if quota != "max":
            cpus = min(cpus, math.ceil(int(quota) / int(period)))
    except (OSError, ValueError):
        pass
    return cpus


def _workers(setting: str | None) -> int:
    if not setting:
        return max(2, _cpus())
    if not setting.strip().isdigit() or int(setting) < 1:
        raise SystemExit(f"pakn: WEB_CONCURRENCY={setting!r} is not a number of workers (1 or more)")
    return int(setting)


workers = _workers(os.environ.get("WEB_CONCURRENCY"))
bind = "127.0.0.1:8000"  # loopback: nginx is the one door from outside
timeout = 60  # a large report export
graceful_timeout = 30  # a restart lets the requests in hand finish
# gunicorn 24+ opens a control socket under $HOME, which for the service user is the root-owned
# checkout (/srv/pakn): it logs an ERROR at every start; pakn is managed by systemd, not through it
control_socket_disable = True
