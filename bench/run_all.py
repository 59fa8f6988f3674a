#!/usr/bin/env python3
"""``make bench``: run every benchmark script in bench/, print one table, write bench/results.json.

The convention (bench/README.md): a script ``bench/<name>.py`` run with ``--json`` prints one JSON
object per line on stdout for each figure it measured::

    {"name": "status page p95", "value": 12.4, "unit": "ms", "n": 1000000, "database": "postgresql 15.8"}

(more keys are kept, e.g. "target"); everything else goes to stderr. It reads the database and the
size from ``BENCH_DATABASE_URL`` and ``BENCH_N`` when the harness is given ``--database``/``--n``.
Files whose name starts with ``_`` are helpers, not run. The harness adds the peak memory (RSS) of
each script's own process, and records the machine: CPU count, platform, Python, the time.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import threading
from datetime import datetime, timezone
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
ORDER = ("sweep", "report", "submit", "pages")
NOT_BENCHMARKS = ("run_all", "generate")  # the harness itself, and the filler the scripts import  # first these, when they exist, then the rest alphabetically
REQUIRED = ("name", "value", "unit", "n", "database")


def scripts(folder: Path = BENCH, only: list[str] | None = None) -> list[Path]:
    found = {p.stem: p for p in folder.glob("*.py") if p.stem not in NOT_BENCHMARKS and not p.stem.startswith("_")}
    names = [n for n in ORDER if n in found] + sorted(n for n in found if n not in ORDER)
    if only:
        unknown = sorted(set(only) - set(found))
        if unknown:
            raise SystemExit(f"no such bench script: {', '.join(unknown)} (have: {', '.join(names) or 'none'})")
        names = [n for n in names if n in only]
    return [found[n] for n in names]


def parse_figures(stdout: str, script: str) -> tuple[list[dict], list[str]]:
    """The figure lines of a script's output, and what was wrong with the lines that looked like one."""
    figures, problems = [], []
    for line in stdout.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            figure = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"not JSON ({exc}): {line[:80]}")
            continue
        missing = [k for k in REQUIRED if k not in figure]
        if missing or not isinstance(figure.get("value"), (int, float)):
            problems.append(f"needs {', '.join(REQUIRED)} with a numeric value: {line[:80]}")
            continue
        figures.append({"script": script, **figure})
    return figures, problems


def run_script(path: Path, env: dict[str, str], timeout: float) -> dict:
    """Run one script; its output, exit status and the peak RSS of its own process (os.wait4)."""
    process = subprocess.Popen([sys.executable, str(path), "--json"], cwd=ROOT, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out: dict[str, str] = {}

    def drain(name, stream, echo):
        chunks = []
        for line in stream:
            chunks.append(line)
            if echo:  # progress lines, so that a long run shows it is alive
                print(f"  [{path.stem}] {line.rstrip()}", file=sys.stderr)
        out[name] = "".join(chunks)

    readers = [threading.Thread(target=drain, args=("stdout", process.stdout, False)),
               threading.Thread(target=drain, args=("stderr", process.stderr, True))]
    for reader in readers:
        reader.start()
    killed = threading.Event()

    def kill():
        killed.set()
        process.kill()

    timer = threading.Timer(timeout, kill)
    timer.start()
    try:
        _, status, usage = os.wait4(process.pid, 0)
    finally:
        timer.cancel()
    process.returncode = os.waitstatus_to_exitcode(status)
    for reader in readers:
        reader.join()
    # ru_maxrss is in KiB on Linux, in bytes on macOS
    peak_mib = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return {"returncode": process.returncode, "stdout": out.get("stdout", ""), "stderr": out.get("stderr", ""),
            "peak_rss_mib": round(peak_mib, 1), "timed_out": killed.is_set()}


def machine() -> dict:
    return {"cpu_count": os.cpu_count(), "platform": platform.platform(), "machine": platform.machine(),
            "processor": platform.processor() or platform.machine(), "python": platform.python_version()}


def table(figures: list[dict]) -> str:
    rows = [("script", "figure", "value", "unit", "n", "database")]
    rows += [(f["script"], str(f["name"]), f"{f['value']:,.2f}".rstrip("0").rstrip(".") if isinstance(f["value"], float)
              else f"{f['value']:,}", str(f["unit"]), f"{f['n']:,}" if isinstance(f["n"], int) else str(f["n"]),
              str(f["database"])) for f in figures]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    right = {2, 4}
    lines = ["  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip()
             for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", help="BENCH_DATABASE_URL for every script (default: each script's own)")
    parser.add_argument("--n", type=int, help="BENCH_N, the number of cases, for every script")
    parser.add_argument("--only", help="comma-separated script names, e.g. pages,sweep")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per script (default 3600)")
    parser.add_argument("--out", type=Path, default=BENCH / "results.json")
    parser.add_argument("--append", action="store_true",
                        help="keep the figures already in --out except those of the scripts run now on the same database "
                             "(one file for SQLite and PostgreSQL)")
    parser.add_argument("--scripts-dir", type=Path, default=BENCH, help=argparse.SUPPRESS)  # for the tests
    args = parser.parse_args(argv)

    env = dict(os.environ)
    if args.database:
        env["BENCH_DATABASE_URL"] = args.database
    if args.n is not None:
        env["BENCH_N"] = str(args.n)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))

    started = datetime.now(timezone.utc)
    figures, failures = [], []
    todo = scripts(args.scripts_dir, args.only.split(",") if args.only else None)
    if not todo:
        print("no benchmark scripts in bench/ yet (bench/<name>.py, see bench/README.md)", file=sys.stderr)
    for path in todo:
        print(f"== {path.name}", file=sys.stderr)
        run = run_script(path, env, args.timeout)
        found, problems = parse_figures(run["stdout"], path.stem)
        if run["returncode"] != 0 or not found or problems:
            failures.append({"script": path.stem, "returncode": run["returncode"], "timed_out": run["timed_out"],
                             "problems": problems or ([] if found else ["no figure lines on stdout"]),
                             "stderr_tail": run["stderr"][-2000:]})
        if found:
            figures += found
            figures.append({"script": path.stem, "name": f"{path.stem} peak memory (RSS)",
                            "value": run["peak_rss_mib"], "unit": "MiB",
                            "n": max((f["n"] for f in found if isinstance(f["n"], int)), default=found[0]["n"]),
                            "database": found[0]["database"]})

    if args.append and args.out.exists():
        mine = {(f["script"], f["database"]) for f in figures}
        earlier = json.loads(args.out.read_text())
        figures = [f for f in earlier.get("results", []) if (f["script"], f["database"]) not in mine] + figures
    results = {"timestamp": started.isoformat(timespec="seconds"),
               "duration_seconds": round((datetime.now(timezone.utc) - started).total_seconds(), 1),
               "machine": machine(), "results": figures, "failures": failures}
    tmp = args.out.with_name(args.out.name + ".tmp")
    tmp.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
    tmp.replace(args.out)

    print(table(figures) if figures else "(no figures)")
    print(f"\n{machine()['cpu_count']} CPUs, {platform.platform()}, Python {platform.python_version()}; "
          f"written to {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    for failure in failures:
        print(f"FAILED {failure['script']} (exit {failure['returncode']}): {'; '.join(failure['problems'])}",
              file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
