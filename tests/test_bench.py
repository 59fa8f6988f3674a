"""``make bench``: the harness runs every figure script, keeps their figures, the peak memory and the
machine, and reports a script that fails; bench/pages.py follows the convention."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import run_all  # noqa: E402
from feedback_app.demo import PAST_QUARTER  # noqa: E402

GOOD = '''import json, os, sys
assert sys.argv[1:] == ["--json"]
print("warming up", file=sys.stderr)
print("a line that is not a figure")
n = int(os.environ.get("BENCH_N", 10))
print(json.dumps({"name": "sweep time", "value": 1.5, "unit": "s", "n": n, "database": "sqlite 3.40",
                  "target": 60}))
print(json.dumps({"name": "cases swept", "value": n, "unit": "cases", "n": n, "database": "sqlite 3.40"}))
'''
BROKEN = '''print('{"name": "half a figure", "value": "fast"}')
raise SystemExit(3)
'''
HELPER = '''open(__file__ + ".ran", "w").write("helpers are not benchmarks")
'''


def test_the_harness_collects_figures_adds_peak_memory_and_reports_a_failing_script(tmp_path, capsys):
    (tmp_path / "sweep.py").write_text(GOOD)
    (tmp_path / "zeta.py").write_text(BROKEN)
    (tmp_path / "_helper.py").write_text(HELPER)
    out = tmp_path / "results.json"

    status = run_all.main(["--scripts-dir", str(tmp_path), "--out", str(out), "--n", "1000", "--timeout", "30"])

    assert status == 1  # zeta.py failed
    results = json.loads(out.read_text())
    assert results["machine"]["cpu_count"] >= 1 and results["timestamp"].endswith("+00:00")
    figures = {f["name"]: f for f in results["results"]}
    assert figures["sweep time"] == {"script": "sweep", "name": "sweep time", "value": 1.5, "unit": "s",
                                     "n": 1000, "database": "sqlite 3.40", "target": 60}
    assert figures["cases swept"]["value"] == 1000
    memory = figures["sweep peak memory (RSS)"]
    assert memory["unit"] == "MiB" and 1 < memory["value"] < 1000 and memory["n"] == 1000
    [failure] = results["failures"]
    assert failure["script"] == "zeta" and failure["returncode"] == 3
    assert "numeric value" in failure["problems"][0]
    assert not (tmp_path / "_helper.py.ran").exists()
    table = capsys.readouterr().out
    assert "sweep time" in table and "1,000" in table and "CPUs" in table


def test_the_harness_stops_a_script_that_runs_past_its_timeout(tmp_path):
    (tmp_path / "slow.py").write_text("import time\ntime.sleep(60)\n")
    out = tmp_path / "results.json"
    assert run_all.main(["--scripts-dir", str(tmp_path), "--out", str(out), "--timeout", "0.5"]) == 1
    [failure] = json.loads(out.read_text())["failures"]
    assert failure["timed_out"] is True


def test_the_pages_benchmark_measures_every_page_it_can_fill_in(tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "pages.py"), "--json", "--n", "3",
                             "--requests", "5"], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    figures, problems = run_all.parse_figures(result.stdout, "pages")
    assert not problems
    names = {f["name"] for f in figures}
    # the home page, the health check and the public case lookup (filled with a real case's code)
    assert {"GET / p95", "GET /healthz p95", "GET /api/v1/feedback/<code> p95"} <= names
    # staff pages as a signed-in user of their role, staff API reads with a token: HCTH's queue, the
    # leader's dashboard, the unit's list, the admin's pages, the staff API's list
    assert {"GET /van-phong/ p95 (office)", "GET /van-phong/tong-quan p95 (office)", "GET /don-vi/ p95 (unit)",
            "GET /quan-tri/nguoi-dung p95 (admin)", "GET /api/v1/feedback p95 (office)"} <= names
    assert "HTTP 302 as office" not in result.stderr and "HTTP 401" not in result.stderr
    # a redirect is not a page: the status page without its lookup sends the browser to the lookup
    assert "GET /tra-cuu/<code> p95" not in names and "skipped /tra-cuu/<code>: HTTP 302" in result.stderr
    # N: the cases stored, the demo's three and its closed quarter's
    assert all(f["unit"] == "ms" and f["value"] > 0 and f["n"] == 3 + len(PAST_QUARTER)
               and f["database"].startswith("sqlite") for f in figures)


def test_append_keeps_the_figures_of_the_other_database_and_skips_the_filler(tmp_path):
    figure = 'import json\nprint(json.dumps({"name": "t", "value": 1, "unit": "s", "n": 1, "database": "%s"}))\n'
    out = tmp_path / "results.json"
    (tmp_path / "generate.py").write_text("raise SystemExit(5)\n")  # the filler is imported, never run
    (tmp_path / "one.py").write_text(figure % "sqlite 3.40")
    assert run_all.main(["--scripts-dir", str(tmp_path), "--out", str(out)]) == 0
    (tmp_path / "one.py").write_text(figure % "postgresql 15.8")
    assert run_all.main(["--scripts-dir", str(tmp_path), "--out", str(out), "--append"]) == 0
    results = json.loads(out.read_text())
    assert sorted({f["database"] for f in results["results"]}) == ["postgresql 15.8", "sqlite 3.40"]
    assert len(results["results"]) == 4 and results["failures"] == []  # a figure and the peak memory each


def _figures(script: str, *args: str, log: list[str] | None = None) -> dict[str, dict]:
    """The figures a benchmark printed; its progress lines are appended to ``log`` if given."""
    result = subprocess.run([sys.executable, str(ROOT / "bench" / script), "--json", *args], cwd=ROOT,
                            capture_output=True, text=True, timeout=180,
                            env={"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr[-3000:]
    figures, problems = run_all.parse_figures(result.stdout, script)
    assert not problems
    if log is not None:
        log.extend(result.stderr.splitlines())
    return {f["name"]: f for f in figures}


def test_the_lookup_benchmark_times_the_status_page_after_a_real_lookup_and_the_search():
    figures = _figures("lookup.py", "--n", "300", "--requests", "5")
    status = figures["status page GET /tra-cuu/<code> p95"]
    assert status["unit"] == "ms" and status["n"] == 300 and status["target"] == 30 and status["value"] > 0
    assert figures["published search GET /cong-khai?q=… p95"]["target"] == 50


def test_the_submit_benchmark_compares_pakn_with_a_bare_insert_under_the_same_load():
    log: list[str] = []
    figures = _figures("submit.py", "--n", "300", "--seconds", "2", "--rounds", "2", "--warmup", "0.3",
                       "--workers", "2", "--connections", "2", log=log)
    pakn, bare = figures["submit (pakn) throughput"], figures["submit (bare Flask, one INSERT) throughput"]
    assert pakn["value"] > 0 and bare["value"] > 0 and pakn["errors"] == bare["errors"] == 0
    rounds = [line.split(":")[0].split("round ")[1] for line in log if " round " in line]
    assert rounds == ["1 pakn", "1 bare", "2 bare", "2 pakn"]  # loaded in turn, the order alternating
    assert pakn["seconds"] >= 1.5 and abs(pakn["value"] * pakn["seconds"] / pakn["requests"] - 1) < 0.05
    ratio = figures["submit throughput ratio pakn/bare"]
    assert ratio["unit"] == "ratio" and abs(ratio["value"] - pakn["value"] / bare["value"]) < 0.01
    assert figures["submit (pakn) gunicorn peak memory (RSS, master + workers)"]["value"] > 20
    cpu = {app: figures[f"submit ({app}) gunicorn CPU per request (user + system, master + workers)"]
           for app in ("pakn", "bare Flask, one INSERT")}
    assert all(f["unit"] == "ms" and 0 < f["value"] < 1000 for f in cpu.values())


def test_the_instruction_count_helper_makes_real_submissions_in_one_process(tmp_path):
    """bench/_instructions.py's measured part, without valgrind: each of its submissions is answered 201
    and stored (a harness that failed quietly would count the instructions of an error page)."""
    import sqlite3

    database = tmp_path / "i.sqlite3"
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), "DATABASE_URL": f"sqlite:///{database}",
           "UPLOAD_DIR": str(tmp_path / "uploads")}
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env,
                   check=True, capture_output=True, timeout=120)
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "_instructions.py"), "--inner", f"sqlite:///{database}", "3"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT count(*) FROM feedback WHERE code LIKE 'PAKN.%'").fetchone()[0] == 200 + 3
        assert conn.execute("SELECT count(*) FROM outbox WHERE kind = 'received'").fetchone()[0] == 200 + 3


def children_of(pid: int):
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "stat").read_text().rpartition(")")[2].split()[1] == str(pid):
                yield int(entry.name)
        except OSError:  # gone meanwhile
            continue


def test_the_submit_benchmark_counts_the_postgresql_servers_cpu_when_it_runs_here(app):
    """On PostgreSQL (CI starts one on loopback) bench/submit.py finds the server's processes and reads
    the CPU a request costs them; on SQLite that work is in gunicorn's processes and counted there."""
    from sqlalchemy import text

    from feedback_app.extensions import db
    from submit import postgres_server_pid, server_cpu_seconds
    pid = postgres_server_pid(db.engine)
    if db.engine.dialect.name != "postgresql":
        assert pid is None
        return
    assert Path(f"/proc/{pid}/stat").read_text().split()[1] == "(postgres)"
    with db.engine.connect() as conn:
        backends = set(conn.execute(text("SELECT pid FROM pg_stat_activity WHERE backend_type = 'client backend'")).scalars())
    assert backends <= set(children_of(pid))  # every session's backend is the server's child, counted with it
    before = server_cpu_seconds(pid)
    with db.engine.connect() as conn:  # about 0.1 s of the server's CPU
        conn.execute(text("SELECT count(*) FROM generate_series(1, 3000000)")).scalar_one()
    assert server_cpu_seconds(pid) - before > 0.03


def test_the_generator_writes_what_the_app_would_refusals_with_a_reason_and_letters_behind_promised_dates(tmp_path):
    """bench/generate.py: a refused case names its reason, a transferred one its agency, a case with an
    extension its apology letter (the promised date its due date), numbered so that the sweep's next
    letter of that year follows them."""
    import generate
    from sqlalchemy import create_engine, text
    url = f"sqlite:///{tmp_path / 'gen.sqlite3'}"
    # in its own process, as it is run: the migrations' logging set-up would silence this one's loggers
    subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), "--url", url, "--n", "4000",
                    "--newly-overdue", "50"], check=True, cwd=ROOT, capture_output=True, timeout=300)
    with create_engine(url).connect() as conn:
        q = lambda sql: conn.execute(text(sql)).scalar_one()  # noqa: E731
        assert q("SELECT count(*) FROM feedback WHERE state = 'refused' AND refusal_reason IS NULL") == 0
        assert q("SELECT count(*) FROM feedback WHERE state = 'transferred' AND transferred_to IS NULL") == 0
        extended = q("SELECT count(*) FROM feedback WHERE extension_count > 0")
        assert extended > 0 and q(
            "SELECT count(*) FROM feedback f JOIN apology_letters l ON l.feedback_id = f.id "
            "WHERE f.extension_count > 0 AND l.new_due_date = f.due_date") == extended
        last = q("SELECT max(number) FROM apology_letters WHERE year = 2025")
        assert q("SELECT value FROM counters WHERE name = 'letter:2025'") == last
    app = generate._app(url)
    with app.app_context():
        from feedback_app.services.sweep import sweep
        assert sweep(generate.BENCH_NOW).letters == 50  # numbered after the generated ones, no clash
