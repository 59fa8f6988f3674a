"""The deployment files in deploy/ agree with the app: the same commands, the same upload limit,
only known settings in the environment file, a valid nginx site, and the web process as the
Procfile starts it (gunicorn, several workers, production settings) actually serving."""
from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from config import Config, ProductionConfig

from conftest import free_port

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
# Variables read outside config.py's class attributes of the same name.
ENV_ONLY = {"PAKN_ENV", "DATABASE_URL"}


def procfile() -> dict[str, str]:
    lines = [line for line in (DEPLOY / "Procfile").read_text().splitlines() if line and not line.startswith("#")]
    return dict(line.split(": ", 1) for line in lines)


def unit_setting(name: str, key: str) -> list[str]:
    text = (DEPLOY / name).read_text().replace("\\\n", " ")
    return [m.strip() for m in re.findall(rf"^{key}=(.*)$", text, re.M)]


def test_the_procfile_runs_gunicorn_workers_and_one_scheduler():
    processes = procfile()
    assert processes == {"web": "gunicorn -w 4 wsgi:app", "scheduler": "flask --app wsgi scheduler"}


def test_the_systemd_units_run_the_procfile_commands_with_the_environment_file():
    for name, process in (("pakn-web.service", "web"), ("pakn-scheduler.service", "scheduler")):
        assert unit_setting(name, "EnvironmentFile") == ["/etc/pakn/pakn.env"]
        command = shlex.split(unit_setting(name, "ExecStart")[0])
        wanted = shlex.split(procfile()[process])
        assert Path(command[0]).name == wanted[0]
        assert all(arg in command for arg in wanted[1:]), (command, wanted)
    # the backup unit runs the command this repository's tests run (tests/test_backup.py), nightly
    assert unit_setting("pakn-backup.service", "EnvironmentFile") == ["/etc/pakn/pakn.env"]
    assert shlex.split(unit_setting("pakn-backup.service", "ExecStart")[0])[1:] == ["--app", "wsgi", "backup"]
    assert unit_setting("pakn-backup.timer", "OnCalendar") == ["*-*-* 02:30"]
    backup_dir = [line.split("=", 1)[1] for line in (DEPLOY / "pakn.env.example").read_text().splitlines()
                  if line.startswith("BACKUP_DIR=")]
    assert backup_dir and backup_dir[0] in unit_setting("pakn-backup.service", "ReadWritePaths")[0].split()
    # gunicorn listens on loopback only: nginx is the one door from outside
    assert "127.0.0.1:8000" in unit_setting("pakn-web.service", "ExecStart")[0]


def test_nginx_accepts_exactly_the_upload_size_the_app_accepts():
    size = re.search(r"client_max_body_size\s+(\d+)([kmg]?);", (DEPLOY / "nginx-pakn.conf").read_text())
    factor = {"": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}[size.group(2)]
    assert int(size.group(1)) * factor == Config.MAX_CONTENT_LENGTH


def test_the_environment_file_sets_only_settings_the_app_knows():
    names = [line.split("=", 1)[0] for line in (DEPLOY / "pakn.env.example").read_text().splitlines()
             if line and not line.startswith("#")]
    unknown = [n for n in names if n not in ENV_ONLY and not hasattr(ProductionConfig, n)]
    assert not unknown
    assert {"PAKN_ENV", "SECRET_KEY", "DATABASE_URL", "UPLOAD_DIR"} <= set(names)


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed (apt-get install nginx-light)")
def test_the_nginx_site_is_valid_configuration(tmp_path):
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=pakn.test",
                    "-keyout", key, "-out", cert, "-days", "1"], check=True, capture_output=True)
    site = (DEPLOY / "nginx-pakn.conf").read_text()
    site = re.sub(r"ssl_certificate\s+\S+;", f"ssl_certificate {cert};", site)
    site = re.sub(r"ssl_certificate_key\s+\S+;", f"ssl_certificate_key {key};", site)
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(f"pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log;\n"
                                         f"events {{}}\nhttp {{ access_log off; include {tmp_path}/site.conf; }}\n")
    result = subprocess.run(["nginx", "-t", "-c", tmp_path / "nginx.conf", "-p", tmp_path],
                            capture_output=True, text=True)
    assert result.returncode == 0 and "syntax is ok" in result.stderr, result.stderr


def test_gunicorn_as_the_procfile_starts_it_serves_the_app_with_production_settings(tmp_path):
    port = free_port()
    env = {**os.environ, "PAKN_ENV": "production", "SECRET_KEY": "x" * 64, "PORT": str(port),
           "DATABASE_URL": os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'prod.sqlite3'}",
           "UPLOAD_DIR": str(tmp_path / "uploads")}
    env.pop("PAKN_NOW", None)
    # the Procfile's own command; gunicorn binds to $PORT when no -b is given
    command = [str(Path(sys.executable).with_name("gunicorn")), *shlex.split(procfile()["web"])[1:]]
    command[command.index("-w") + 1] = "2"
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline, response = time.monotonic() + 20, None
        while response is None and time.monotonic() < deadline and server.poll() is None:
            try:
                request = urllib.request.Request(f"http://127.0.0.1:{port}/healthz",
                                                 headers={"X-Forwarded-Proto": "https"})
                response = urllib.request.urlopen(request, timeout=2)
            except OSError:
                time.sleep(0.2)
        assert response is not None, server.stderr.read1().decode() if server.poll() is not None else "no answer"
        assert response.read() == b'{"status":"ok"}\n'
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    finally:
        server.terminate()
        server.wait(10)


@pytest.mark.parametrize("setting,says", [
    ({"PAKN_ENV": "prod"}, "pakn: PAKN_ENV='prod' is not one of development, testing, production"),
    ({"PAKN_DEADLINES": "{answer_days: 10}"}, "pakn: PAKN_DEADLINES='{answer_days: 10}' is not JSON"),
    ({"PAKN_DEADLINES": '{"answr_days": 10}'}, "pakn: PAKN_DEADLINES: unknown deadline settings: answr_days"),
    ({"PAKN_NOW": "yesterday"}, "pakn: PAKN_NOW='yesterday' is not an ISO 8601 time"),
    ({"PER_PAGE": "twenty"}, "pakn: PER_PAGE='twenty' is not a whole number"),
    ({"MAIL_USE_TLS": "ture"}, "pakn: MAIL_USE_TLS='ture' is not yes or no"),
    ({"LOG_LEVEL": "verbose"}, "pakn: LOG_LEVEL='verbose' is not one of DEBUG, INFO"),
    ({"PAKN_ENV": "production", "SECRET_KEY": ""}, "pakn: SECRET_KEY is not set"),
    ({"PAKN_ENV": "production", "SECRET_KEY": "change-me"}, "pakn: SECRET_KEY is a placeholder"),
])
def test_a_mistyped_setting_stops_the_app_with_its_name_not_a_traceback(tmp_path, setting, says):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cfg.sqlite3'}", "PAKN_ENV": "development",
           "SCHEDULER_IN_APP": "false", **setting}
    run = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "calendar", "list", "2026"], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 1 and says in run.stderr and "Traceback" not in run.stderr, run.stderr
