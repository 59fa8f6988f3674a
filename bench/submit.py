#!/usr/bin/env python3
"""Submit throughput and latency under concurrent load: pakn served by gunicorn on loopback, and side
by side in the same run a bare Flask app (bench/_bare_app.py: one INSERT into the same ``feedback``
table of the same database) under the same gunicorn settings and the same load, the two loaded in
turn in rounds of alternating order. The figure is the
ratio pakn/bare of the throughputs (target >= 0.5).

    python bench/submit.py [--json] [--database URL] [--workers N] [--connections 16] [--seconds 12] [--rounds 4]

The gunicorn settings are the deployment's (deploy/gunicorn.conf.py: sync workers, one per CPU and at
least 2, unless ``WEB_CONCURRENCY`` says otherwise); ``--workers`` overrides the count for both apps.

Both apps get POST /api/v1/feedback with valid Vietnamese JSON bodies (the demo's topics, varied names
and phones). pakn runs with production settings (PAKN_ENV=production, a random SECRET_KEY) except that
the rate limit is off (a load generator is one IP) and the scheduler does not run in the web process
(SCHEDULER_IN_APP=false, as in deploy/). The schema comes from ``flask db upgrade``. The load comes
from ``wrk`` (Debian package ``wrk``) with a Lua script when it is installed, else from a pool of
Python threads; the load generator shares the machine's CPUs with the servers. Both apps' rows stay
in the database (the bare ones with codes ``BARE.…``). Also reported: the peak RSS of each gunicorn
(master and workers together), and the CPU time (user + system) its processes spent per request;
with PostgreSQL on the same machine, the CPU time its server spent per request of each app too.
"""
from __future__ import annotations

import http.client
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT))

from _common import arguments, database_label, figure, log, percentile  # noqa: E402
from generate import SURNAMES, GIVEN, MIDDLE, PLACES, ensure_filled  # noqa: E402

PATH = "/api/v1/feedback"
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
# pakn as deployed, but for the rate limit (a load generator is one address) and the scheduler (its own
# process, deploy/); with DATABASE_URL and SECRET_KEY, the environment every submit benchmark runs it in
APP_SETTINGS = {"PAKN_ENV": "production", "RATELIMIT_ENABLED": "false", "SCHEDULER_IN_APP": "false"}


def deployed_workers() -> int:
    """The number of workers the deployment starts on this machine (deploy/gunicorn.conf.py)."""
    import runpy
    return runpy.run_path(str(GUNICORN_CONF))["workers"]


def upgrade(env: dict[str, str]) -> None:
    """The schema of ``env``'s DATABASE_URL, by ``flask db upgrade`` as an installation makes it."""
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   stdout=sys.stderr, stderr=sys.stderr)


def bodies(count: int = 50) -> list[str]:
    from feedback_app.demo import TOPICS
    out = []
    for i in range(count):
        topic = TOPICS[i % len(TOPICS)]
        out.append(json.dumps({
            "full_name": f"{SURNAMES[i % len(SURNAMES)]} {MIDDLE[i % len(MIDDLE)]} {GIVEN[i % len(GIVEN)]}",
            "address": f"Số {i + 1} đường Quang Trung, {PLACES[i % len(PLACES)]}, Quảng Ngãi",
            "phone": f"0905{i:06d}", "email": f"congdan{i}@example.com", "title": topic[2], "content": topic[3],
            "consent_publish": i % 2 == 0}, ensure_ascii=False))
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tree_stats(pid: int):
    """The /proc status and stat of a process and of its children (gunicorn's master and workers)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status, stat = (entry / "status").read_text(), (entry / "stat").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if int(entry.name) == pid or fields.get("PPid", "").strip() == str(pid):
            yield fields, stat.rsplit(")", 1)[1].split()


def tree_rss_mib(pid: int) -> float:
    """The resident memory of a process and its children."""
    return sum(int(fields.get("VmRSS", "0 kB").split()[0]) for fields, _ in _tree_stats(pid)) / 1024


def tree_cpu_seconds(pid: int) -> float:
    """The CPU time (user + system) a process and its living children have used."""
    return sum(int(stat[11]) + int(stat[12]) for _, stat in _tree_stats(pid)) / os.sysconf("SC_CLK_TCK")


def postgres_server_pid(engine) -> int | None:
    """The PostgreSQL server's first process (the postmaster) when it runs on this machine, whose CPU a
    request then costs too; None for SQLite (its work is in gunicorn's processes) or a server elsewhere."""
    if engine.dialect.name != "postgresql":
        return None
    from sqlalchemy import text
    with engine.connect() as conn:
        backend = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    try:
        comm, _, rest = Path(f"/proc/{backend}/stat").read_text().rpartition(")")
    except OSError:
        return None
    return int(rest.split()[1]) if comm.endswith("(postgres") else None  # a process of that number, not ours


def server_cpu_seconds(pid: int) -> float:
    """The CPU time of a server's processes: its living ones, and those it has reaped (PostgreSQL's
    backends of connections closed meanwhile)."""
    reaped = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[13:15]
    return tree_cpu_seconds(pid) + sum(int(t) for t in reaped) / os.sysconf("SC_CLK_TCK")


class Server:
    """A gunicorn on a free loopback port; samples its memory while it runs."""

    def __init__(self, app: str, env: dict[str, str], workers: int, extra: list[str] = ()):
        self.port = free_port()
        cmd = [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF), "-w", str(workers),
               "-b", f"127.0.0.1:{self.port}", "--log-level", "error", *extra, app]
        self.process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=sys.stderr, stderr=sys.stderr)
        self.peak = 0.0
        self._stop = threading.Event()
        deadline = time.monotonic() + 60
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/healthz")
                conn.getresponse().read()
                break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"gunicorn {app} did not start")
                time.sleep(0.2)
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self):
        while not self._stop.wait(0.25):
            self.peak = max(self.peak, tree_rss_mib(self.process.pid))

    def stop(self):
        self._stop.set()
        self.process.terminate()
        self.process.wait(30)


LUA = r'''
local bodies = {%s}
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  i = i %% #bodies + 1
  return wrk.format(nil, nil, nil, bodies[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRK {"requests": %%d, "seconds": %%f, "bad_status": %%d, "socket_errors": %%d, ' ..
    '"p50": %%d, "p95": %%d, "p99": %%d}\n', summary.requests, summary.duration / 1e6, e.status,
    e.connect + e.read + e.write + e.timeout, latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
'''


def load_wrk(port: int, payloads: list[str], connections: int, seconds: float, lua: Path) -> dict:
    lua.write_text(LUA % ", ".join(f"[==[{b}]==]" for b in payloads), encoding="utf-8")
    # wrk takes whole seconds, and no more threads than connections
    out = subprocess.run(["wrk", "-t", str(min(2, connections)), "-c", str(connections), "-d",
                          f"{max(1, round(seconds))}s", "--timeout", "30s",
                          "-s", str(lua), f"http://127.0.0.1:{port}{PATH}"],
                         capture_output=True, text=True)
    lines = [line[4:] for line in out.stdout.splitlines() if line.startswith("WRK ")]
    if out.returncode or not lines:
        raise SystemExit(f"wrk failed ({out.returncode}): {out.stdout[-500:]} {out.stderr[-500:]}")
    raw = json.loads(lines[0])
    return {"requests": raw["requests"], "rps": raw["requests"] / raw["seconds"], "seconds": raw["seconds"],
            "errors": raw["bad_status"] + raw["socket_errors"],
            **{f"p{p}": raw[f"p{p}"] / 1000 for p in (50, 95, 99)}}


def load_threads(port: int, payloads: list[str], connections: int, seconds: float) -> dict:
    """The fallback without wrk: one thread per connection, each posting as fast as it is answered."""
    samples, errors = [], [0]
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def worker(k: int):
        mine, bad, i, conn = [], 0, k, None
        while time.perf_counter() < stop_at:
            body = payloads[i % len(payloads)].encode()
            i += 1
            started = time.perf_counter()
            try:
                conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                conn.request("POST", PATH, body, {"Content-Type": "application/json"})
                response = conn.getresponse()
                response.read()
                if response.status != 201:
                    bad += 1
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except OSError:
                bad, conn = bad + 1, None
            mine.append((time.perf_counter() - started) * 1000)
        with lock:
            samples.extend(mine)
            errors[0] += bad

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    return {"requests": len(samples), "rps": len(samples) / elapsed, "seconds": elapsed, "errors": errors[0],
            **{f"p{p}": percentile(samples, p) for p in (50, 95, 99)}}


def combined(rounds: list[dict]) -> dict:
    """The rounds of one app as one figure: the requests over the seconds of all of them, and for each
    latency percentile the median of the rounds' (wrk reports percentiles per run, which do not add
    up)."""
    return {"requests": sum(r["requests"] for r in rounds), "errors": sum(r["errors"] for r in rounds),
            "seconds": sum(r["seconds"] for r in rounds), "cpu": sum(r["cpu"] for r in rounds),
            "database_cpu": sum(r.get("database_cpu", 0.0) for r in rounds),
            "rps": sum(r["requests"] for r in rounds) / sum(r["seconds"] for r in rounds),
            **{f"p{p}": statistics.median(r[f"p{p}"] for r in rounds) for p in (50, 95, 99)}}


def main() -> int:
    args = arguments(__doc__.split("\n")[0], 20_000, workers=deployed_workers(), connections=16,
                     seconds=12.0, warmup=2.0, rounds=4)
    ensure_filled(args.database, args.n, progress=log)
    tmp = tempfile.TemporaryDirectory(prefix="pakn-submit-")
    env = {**os.environ, **APP_SETTINGS, "DATABASE_URL": args.database, "SECRET_KEY": secrets.token_hex(32),
           "UPLOAD_DIR": f"{tmp.name}/uploads",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    upgrade(env)

    from sqlalchemy import create_engine, text
    engine = create_engine(args.database)
    database = database_label(engine)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT count(*) FROM feedback")).scalar_one()
    postgres = postgres_server_pid(engine)
    payloads = bodies()
    use_wrk = shutil.which("wrk") is not None
    driver = "wrk" if use_wrk else "python threads"
    log(f"{database}, {stored:,} cases; gunicorn -w {args.workers}; {args.connections} connections by {driver}, "
        f"{args.seconds:g} s each in {args.rounds} alternating rounds after {args.warmup:g} s of warm-up")

    def load(port: int, seconds: float) -> dict:
        if use_wrk:
            return load_wrk(port, payloads, args.connections, seconds, Path(tmp.name) / "post.lua")
        return load_threads(port, payloads, args.connections, seconds)

    # Both servers run side by side and are loaded in turn, in rounds of alternating order (pakn,
    # bare, bare, pakn, …): a machine that gets slower or faster during the run (other work on it)
    # weighs on both apps alike instead of on whichever went second.
    apps = {"pakn": ("wsgi:app", []), "bare": ("_bare_app:app", ["--pythonpath", str(BENCH)])}
    servers: dict[str, Server] = {}
    rounds: dict[str, list[dict]] = {name: [] for name in apps}
    try:
        for name, (app, extra) in apps.items():
            servers[name] = Server(app, env, args.workers, extra)
            load(servers[name].port, args.warmup)
        for i in range(args.rounds):
            for name in (list(apps) if i % 2 == 0 else list(apps)[::-1]):
                cpu = tree_cpu_seconds(servers[name].process.pid)
                database_cpu = server_cpu_seconds(postgres) if postgres else 0.0
                m = load(servers[name].port, args.seconds / args.rounds)
                m["cpu"] = tree_cpu_seconds(servers[name].process.pid) - cpu
                m["database_cpu"] = server_cpu_seconds(postgres) - database_cpu if postgres else 0.0
                rounds[name].append(m)
                log(f"  round {i + 1} {name}: {m['rps']:.0f} req/s, p50 {m['p50']:.1f} ms, p95 {m['p95']:.1f} ms, "
                    f"p99 {m['p99']:.1f} ms, {m['errors']} errors of {m['requests']:,}")
    finally:
        for server in servers.values():
            server.stop()
        # the bare app's rows (codes BARE.…) stay, like pakn's: deleting thousands of cases from a
        # million checks the self-reference feedback.duplicate_of_id, which has no index, row by row
        engine.dispose()
        tmp.cleanup()
    measured = {name: combined(ms) for name, ms in rounds.items()}
    memory = {name: server.peak for name, server in servers.items()}
    for name, m in measured.items():
        log(f"  {name}: {m['rps']:.0f} req/s, p50 {m['p50']:.1f} ms, p95 {m['p95']:.1f} ms, "
            f"p99 {m['p99']:.1f} ms, {m['errors']} errors of {m['requests']:,}")

    common = {"workers": args.workers, "connections": args.connections, "rounds": args.rounds, "driver": driver}
    for name, label in (("pakn", "submit (pakn)"), ("bare", "submit (bare Flask, one INSERT)")):
        m = measured[name]
        figure(args.json, f"{label} throughput", round(m["rps"], 1), "req/s", stored, database,
               requests=m["requests"], errors=m["errors"], seconds=round(m["seconds"], 1), **common)
        for p in (50, 95, 99):
            figure(args.json, f"{label} p{p}", round(m[f"p{p}"], 2), "ms", stored, database)
        # what a request costs the server's CPUs, whatever else the machine was doing meanwhile
        figure(args.json, f"{label} gunicorn CPU per request (user + system, master + workers)",
               round(1000 * m["cpu"] / max(m["requests"], 1), 3), "ms", stored, database, workers=args.workers)
        if postgres:  # on this machine, so on the same CPUs as gunicorn and the load generator
            figure(args.json, f"{label} PostgreSQL server CPU per request (all its processes)",
                   round(1000 * m["database_cpu"] / max(m["requests"], 1), 3), "ms", stored, database)
        figure(args.json, f"{label} gunicorn peak memory (RSS, master + workers)", round(memory[name], 1), "MiB",
               stored, database, workers=args.workers)
    figure(args.json, "submit throughput ratio pakn/bare", round(measured["pakn"]["rps"] / measured["bare"]["rps"], 3),
           "ratio", stored, database, target=0.5)
    failed = [n for n, m in measured.items() if m["errors"] > 0.01 * max(m["requests"], 1)]
    if failed:
        log(f"more than 1% of the requests failed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
