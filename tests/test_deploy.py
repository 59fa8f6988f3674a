"""The deployment files in deploy/ agree with the app: the same commands, the same upload limit,
only known settings in the environment file, a valid nginx site, and the web process as the
Procfile starts it (gunicorn, several workers, production settings) actually serving."""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from config import SAMPLE_AGENCY, Config, ProductionConfig
from feedback_app.security import content_security_policy

from conftest import ON_POSTGRES, _fresh_database, free_port

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
# Variables read outside config.py's class attributes of the same name (WEB_CONCURRENCY: by gunicorn,
# deploy/gunicorn.conf.py).
ENV_ONLY = {"PAKN_ENV", "DATABASE_URL", "WEB_CONCURRENCY"}


def procfile() -> dict[str, str]:
    lines = [line for line in (DEPLOY / "Procfile").read_text().splitlines() if line and not line.startswith("#")]
    return dict(line.split(": ", 1) for line in lines)


def env_example_settings() -> dict[str, list[str]]:
    """The example environment file's settings: those set, and those listed commented out (``#NAME=``)."""
    settings: dict[str, list[str]] = {}
    for line in (DEPLOY / "pakn.env.example").read_text().splitlines():
        if match := re.fullmatch(r"(#?)([A-Z][A-Z0-9_]*)=(.*)", line):
            settings.setdefault(match.group(1) + match.group(2), []).append(match.group(3))
    return settings


def unit_setting(name: str, key: str) -> list[str]:
    text = (DEPLOY / name).read_text().replace("\\\n", " ")
    return [m.strip() for m in re.findall(rf"^{key}=(.*)$", text, re.M)]


def test_the_procfile_runs_gunicorn_workers_on_loopback_and_one_scheduler():
    processes = procfile()
    assert processes == {"web": "gunicorn -c deploy/gunicorn.conf.py -b 127.0.0.1:${PORT:-8000} wsgi:app",
                         "scheduler": "flask --app wsgi scheduler"}


@pytest.mark.parametrize("concurrency,workers", [(None, "cpus"), ("3", 3), ("1", 1)])
def test_gunicorn_s_settings_give_one_worker_per_cpu_unless_web_concurrency_says(monkeypatch, concurrency, workers):
    """deploy/gunicorn.conf.py, which the Procfile, the web unit and bench/submit.py start gunicorn with:
    one worker per CPU, at least two, unless WEB_CONCURRENCY says."""
    import runpy

    if concurrency is None:
        monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    else:
        monkeypatch.setenv("WEB_CONCURRENCY", concurrency)
    settings = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    assert settings["workers"] == (max(2, settings["_cpus"]()) if workers == "cpus" else workers)
    assert settings["_cpus"]() <= len(os.sched_getaffinity(0))
    assert (settings["bind"], settings["timeout"], settings["graceful_timeout"]) == ("127.0.0.1:8000", 60, 30)


@pytest.mark.parametrize("concurrency", ["0", "four", "-2"])
def test_gunicorn_s_settings_refuse_a_web_concurrency_that_is_no_number_of_workers(monkeypatch, concurrency):
    import runpy

    monkeypatch.setenv("WEB_CONCURRENCY", concurrency)
    with pytest.raises(SystemExit, match=f"WEB_CONCURRENCY='{concurrency}' is not a number of workers"):
        runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))


def test_the_systemd_units_run_the_procfile_commands_with_the_environment_file():
    for name, process in (("pakn-web.service", "web"), ("pakn-scheduler.service", "scheduler")):
        assert unit_setting(name, "EnvironmentFile") == ["/etc/pakn/pakn.env"]
        command = shlex.split(unit_setting(name, "ExecStart")[0])
        wanted = shlex.split(re.sub(r"\$\{PORT:-(\d+)\}", r"\1", procfile()[process]))  # the port the unit binds
        assert Path(command[0]).name == wanted[0]
        assert all(arg in command for arg in wanted[1:]), (command, wanted)
    # the backup unit runs the command this repository's tests run (tests/test_backup.py), nightly
    assert unit_setting("pakn-backup.service", "EnvironmentFile") == ["/etc/pakn/pakn.env"]
    assert shlex.split(unit_setting("pakn-backup.service", "ExecStart")[0])[1:] == ["--app", "wsgi", "backup"]
    backup_dir = [line.split("=", 1)[1] for line in (DEPLOY / "pakn.env.example").read_text().splitlines()
                  if line.startswith("BACKUP_DIR=")]
    assert backup_dir and backup_dir[0] in unit_setting("pakn-backup.service", "ReadWritePaths")[0].split()
    # gunicorn listens on loopback only: nginx is the one door from outside
    assert "127.0.0.1:8000" in unit_setting("pakn-web.service", "ExecStart")[0]


def test_the_backup_runs_at_night_in_vietnam_whatever_the_hosts_time_zone():
    (when,) = unit_setting("pakn-backup.timer", "OnCalendar")
    assert when == "*-*-* 02:30 Asia/Ho_Chi_Minh"
    if shutil.which("systemd-analyze"):
        run = subprocess.run(["systemd-analyze", "calendar", when], capture_output=True, text=True,
                             env={**os.environ, "TZ": "UTC"})
        assert run.returncode == 0 and "19:30:00 UTC" in run.stdout, run.stdout + run.stderr


def test_the_services_write_no_file_for_every_user_and_wait_for_the_upload_share():
    for name in ("pakn-web.service", "pakn-scheduler.service", "pakn-backup.service"):
        assert unit_setting(name, "UMask") == ["0027"], name
    # the share (the parent of UPLOAD_DIR) must be mounted before any of them runs, as for the backup
    share, backups = unit_setting("pakn-backup.service", "RequiresMountsFor")
    (upload_dir,) = env_example_settings()["UPLOAD_DIR"]
    assert Path(upload_dir).is_relative_to(share)
    assert [backups] == env_example_settings()["BACKUP_DIR"]  # a share mounted there: waited for, not filled
    for name in ("pakn-web.service", "pakn-scheduler.service"):
        assert unit_setting(name, "RequiresMountsFor") == [share], name
        assert upload_dir in unit_setting(name, "ReadWritePaths")[0].split()


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


def test_the_environment_file_ships_no_secret_key_and_every_agency_setting_commented_out():
    settings = env_example_settings()
    assert settings["SECRET_KEY"] == [""]  # production refuses to start until one is made
    assert "python -c 'import secrets; print(secrets.token_hex(32))'" in (DEPLOY / "pakn.env.example").read_text()
    agency = [name for name in dir(Config) if name.startswith("AGENCY_")]
    assert set(SAMPLE_AGENCY) <= set(agency)
    for name in agency:  # the letterhead and the notice board: a department sees each one it must set
        assert f"#{name}" in settings and name not in settings, name
        assert shlex.split(settings[f"#{name}"][0]) == [SAMPLE_AGENCY.get(name, getattr(Config, name))], name


# --- nginx ---------------------------------------------------------------------------------------

def nginx_servers() -> list[str]:
    """The text of each top-level ``server { … }`` block of the site."""
    text, servers = re.sub(r"#.*", "", (DEPLOY / "nginx-pakn.conf").read_text()), []
    for start in (m.start() for m in re.finditer(r"^server\s*\{", text, re.M)):
        depth = 0
        for end in range(text.index("{", start), len(text)):
            depth += {"{": 1, "}": -1}.get(text[end], 0)
            if depth == 0:
                servers.append(text[start:end + 1])
                break
    return servers


def directives(block: str, name: str) -> list[str]:
    return [" ".join(value.split()) for value in re.findall(rf"^\s*{name}\s+([^;]*);", block, re.M)]


MOZILLA_INTERMEDIATE = ("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
                        "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
                        "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305")


def test_nginx_offers_mozillas_intermediate_tls_on_every_https_server():
    https = [block for block in nginx_servers() if any("443" in v for v in directives(block, "listen"))]
    assert len(https) == 2  # the site and the catch-all
    for block in https:
        assert directives(block, "ssl_protocols") == ["TLSv1.2 TLSv1.3"]
        assert directives(block, "ssl_ciphers") == [MOZILLA_INTERMEDIATE]
        assert directives(block, "ssl_prefer_server_ciphers") == ["off"]
    # nginx (before 1.29.2) takes the protocols and the session cache from the port's default server
    settings = [sorted(re.findall(r"^\s*(ssl_\w+\s+[^;]*);", block, re.M)) for block in https]
    assert settings[0] == settings[1]


def test_nginx_closes_a_request_for_any_other_host_before_it_reaches_the_app():
    servers = nginx_servers()
    for port in ("80", "443"):
        (catch_all,) = [b for b in servers if any(v.split()[0].endswith(port) and "default_server" in v.split()
                                                  for v in directives(b, "listen"))]
        assert {v.split()[0] for v in directives(catch_all, "listen")} == {port, f"[::]:{port}"}
        assert directives(catch_all, "return") == ["444"] and "proxy_pass" not in catch_all
    for block in servers:  # every other server is the site's own name
        if "default_server" not in block:
            assert directives(block, "server_name") == ["pakn.skhcn.example.gov.vn"]


def test_nginx_answers_a_too_large_body_with_the_apps_vietnamese_page():
    (site,) = [b for b in nginx_servers() if "proxy_pass" in b]
    assert directives(site, "error_page") == ["413 $pakn_too_large", "502 503 504 =503 $pakn_unavailable"]
    page_location = re.search(r"location ~ \^/413\\\.\(html\|json\)\$ \{([^}]*)\}", site).group(1)
    assert directives(page_location, "root") == ["/srv/pakn/feedback_app/static"] and "internal;" in page_location
    # the checkout's static folder, as /static/ is
    assert directives(site, "alias") == ["/srv/pakn/feedback_app/static/"]

    page = (ROOT / "feedback_app" / "static" / "413.html").read_text()
    assert '<html lang="vi">' in page
    from feedback_app.views_common import ERROR_PAGES
    (title, message) = next((t, m) for code, t, m in ERROR_PAGES if code == 413)
    assert f"<h1>{title}</h1>" in page and message in page  # the app's own words for it
    # the API's clients get the API's words, as the app answers them (no browser's Back button)
    from feedback_app.views_common import API_MESSAGES
    assert "~^/api/  /413.json;" in (DEPLOY / "nginx-pakn.conf").read_text()
    answer = json.loads((ROOT / "feedback_app" / "static" / "413.json").read_text())
    assert answer["error"] == title and answer["message"] == API_MESSAGES[413]
    english = (ROOT / "translations" / "common" / "en" / "LC_MESSAGES" / "messages.po").read_text()
    assert f'msgid "{API_MESSAGES[413]}"\nmsgstr "{answer["message_en"]}"' in english
    mb = {name: f"{getattr(Config, name) / 2 ** 20:g} MB" for name in ("MAX_ATTACHMENT_BYTES", "MAX_CONTENT_LENGTH")}
    limits = re.search(r'<p id="limits">(.*?)</p>', page).group(1)
    assert limits == (f"Giới hạn: tối đa {Config.MAX_ATTACHMENTS} tệp, mỗi tệp không quá {mb['MAX_ATTACHMENT_BYTES']}; "
                      f"cả lần gửi không quá {mb['MAX_CONTENT_LENGTH']}.")


needs_nginx = pytest.mark.skipif(shutil.which("nginx") is None,
                                 reason="nginx is not installed (apt-get install nginx-light)")


def local_nginx(tmp_path, http_port: int = 80, https_port: int = 443) -> Path:
    """The site with a self-signed certificate, the checkout's static files and the given ports on
    loopback, in an nginx.conf of its own; returns that file."""
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=pakn.test",
                    "-keyout", key, "-out", cert, "-days", "1"], check=True, capture_output=True)
    site = (DEPLOY / "nginx-pakn.conf").read_text()
    site = re.sub(r"ssl_certificate\s+\S+;", f"ssl_certificate {cert};", site)
    site = re.sub(r"ssl_certificate_key\s+\S+;", f"ssl_certificate_key {key};", site)
    site = site.replace("/srv/pakn/feedback_app/static", str(ROOT / "feedback_app" / "static"))
    site = site.replace("/srv/pakn/deploy", str(DEPLOY))
    site = re.sub(r"listen \[::\]:\d+[^;]*;", "", site)
    site = re.sub(r"listen 80\b", f"listen 127.0.0.1:{http_port}", site)
    site = re.sub(r"listen 443\b", f"listen 127.0.0.1:{https_port}", site)
    (tmp_path / "site.conf").write_text(site)
    temp = " ".join(f"{kind}_temp_path {tmp_path}/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    # started by root, nginx's workers would run as nobody, who cannot read a checkout in a private
    # directory (a CI's mktemp -d): they run as root then, as the master; otherwise as the user anyway
    user = "user root;\n" if os.geteuid() == 0 else ""
    (tmp_path / "nginx.conf").write_text(f"{user}pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log;\n"
                                         f"events {{}}\nhttp {{ access_log off; {temp}\n"
                                         f"include {tmp_path}/site.conf; }}\n")
    return tmp_path / "nginx.conf"


@needs_nginx
def test_the_nginx_site_is_valid_configuration(tmp_path):
    result = subprocess.run(["nginx", "-t", "-c", local_nginx(tmp_path), "-p", tmp_path],
                            capture_output=True, text=True)
    assert result.returncode == 0 and "syntax is ok" in result.stderr, result.stderr


def ask(port: int, request: str, tls: bool) -> bytes:
    """A raw request to nginx on loopback (TLS with the site's name in SNI); b"" when it closes the
    connection without an answer."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    if tls:
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        sock = context.wrap_socket(sock, server_hostname=SITE)
    with sock:
        sock.sendall(request.encode())
        answer = b""
        try:  # up to the end of the answer's body: a refused upload is then left to nginx's lingering close
            while not re.search(rb"\r\n\r\n", answer) or len(answer.partition(b"\r\n\r\n")[2]) < int(
                    (re.search(rb"Content-Length: (\d+)", answer) or [0, b"0"])[1]):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                answer += chunk
        except (ConnectionResetError, ssl.SSLError):
            pass
        return answer


SITE = "pakn.skhcn.example.gov.vn"


@needs_nginx
def test_nginx_as_configured_closes_foreign_hosts_and_shows_the_vietnamese_page_for_a_too_large_upload(tmp_path):
    http_port, https_port = free_port(), free_port()
    nginx = subprocess.Popen(["nginx", "-c", local_nginx(tmp_path, http_port, https_port), "-p", tmp_path,
                              "-g", "daemon off;"], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and nginx.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", https_port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        assert nginx.poll() is None, nginx.stderr.read().decode()

        get = "GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        assert ask(http_port, get.format(host="evil.example"), tls=False) == b""
        assert ask(https_port, get.format(host="evil.example"), tls=True) == b""
        assert ask(http_port, get.format(host=SITE), tls=False).startswith(b"HTTP/1.1 301")
        # on to the app, which is not running (a deploy's restart): the app's words and a 503 to retry, a page
        # for a browser and JSON for the API, not nginx's English 502
        head, _, page = ask(https_port, get.format(host=SITE), tls=True).partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 503") and b"Retry-After: 30" in head and b"text/html" in head
        assert page == (ROOT / "feedback_app" / "static" / "503.html").read_bytes()
        api = ask(https_port, f"POST /api/v1/feedback HTTP/1.1\r\nHost: {SITE}\r\nContent-Type: application/json\r\n"
                              "Content-Length: 2\r\nConnection: close\r\n\r\n{}", tls=True)
        api_head, _, api_body = api.partition(b"\r\n\r\n")
        assert api_head.startswith(b"HTTP/1.1 503") and b"application/json" in api_head and b"Retry-After: 30" in api_head
        assert "thử lại sau ít phút" in json.loads(api_body)["error"]
        assert b"Server: nginx\r\n" in ask(http_port, get.format(host=SITE), tls=False)  # no version, on port 80 too

        too_large = (f"POST /gui-phan-anh HTTP/1.1\r\nHost: {SITE}\r\nContent-Type: multipart/form-data; boundary=x\r\n"
                     f"Content-Length: {Config.MAX_CONTENT_LENGTH + 1}\r\nConnection: close\r\n\r\n")
        head, _, body = ask(https_port, too_large, tls=True).partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 413")
        assert body == (ROOT / "feedback_app" / "static" / "413.html").read_bytes()
        assert "Tệp quá lớn" in body.decode()
        api_too_large = too_large.replace("POST /gui-phan-anh", "POST /api/v1/feedback").replace(
            "multipart/form-data; boundary=x", "application/json")
        json_head, _, json_body = ask(https_port, api_too_large, tls=True).partition(b"\r\n\r\n")
        assert json_head.startswith(b"HTTP/1.1 413") and b"application/json" in json_head
        assert "gửi lại với nội dung nhỏ hơn" in json.loads(json_body)["message"]
        versioned = ask(https_port, get.format(host=SITE).replace("GET / ", "GET /static/pakn.css?v=0123456789ab "),
                        tls=True)
        assert versioned.startswith(b"HTTP/1.1 200")
        # what nginx serves itself carries the app's security headers: the 413 page and the static files
        for response in (head, versioned.partition(b"\r\n\r\n")[0], api_head, json_head):
            text = response.decode("latin-1")
            for header in ("Strict-Transport-Security: max-age=", "X-Frame-Options: DENY",
                           f"Content-Security-Policy: {content_security_policy()}"):
                assert header in text, (header, text)
    finally:
        nginx.terminate()
        nginx.wait(10)


def test_gunicorn_as_the_procfile_starts_it_serves_the_app_with_production_settings(tmp_path):
    port = free_port()
    # a database of its own, migrated as README's First install does: /healthz is 503 before
    database = _fresh_database(os.environ["TEST_DATABASE_URL"], "deploy") if ON_POSTGRES else f"sqlite:///{tmp_path / 'prod.sqlite3'}"
    env = {**os.environ, "PAKN_ENV": "production", "SECRET_KEY": "x" * 64, "PORT": str(port),
           "DATABASE_URL": database, "UPLOAD_DIR": str(tmp_path / "uploads"), "WEB_CONCURRENCY": "2"}
    env.pop("PAKN_NOW", None)
    upgrade = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=120)
    assert upgrade.returncode == 0, upgrade.stderr
    # the Procfile's own command, through a shell as Procfile runners start it (it binds to ${PORT:-8000})
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    command = procfile()["web"]
    server = subprocess.Popen(["sh", "-c", f"exec {command}"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE)
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
        assert json.loads(response.read())["status"] == "ok"
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
    ({"WEBHOOK_URL": "https://lgsp.example.gov.vn/pakn"}, "pakn: WEBHOOK_URL is set and WEBHOOK_SECRET is not"),
    ({"WEBHOOK_URL": "https://lgsp.example.gov.vn/pakn", "WEBHOOK_SECRET": "  "}, "WEBHOOK_SECRET is not"),
])
def test_a_mistyped_setting_stops_the_app_with_its_name_not_a_traceback(tmp_path, setting, says):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cfg.sqlite3'}", "PAKN_ENV": "development",
           "SCHEDULER_IN_APP": "false", **setting}
    run = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "calendar", "list", "2026"], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 3 and says in run.stderr and "Traceback" not in run.stderr, run.stderr  # 3: gunicorn's "worker failed to boot" (wsgi.py)


@pytest.mark.parametrize("database,args,says", [
    # nothing listens on the port: PostgreSQL down, or a wrong DATABASE_URL
    ("postgresql+psycopg://pakn:s3cret@127.0.0.1:{port}/pakn", ["db", "upgrade"], "Connection refused"),
    ("sqlite:///{tmp}/no-such-dir/pakn.sqlite3", ["users", "create", "a@skhcn.example.gov.vn", "--role", "admin"],
     "unable to open database file"),
])
def test_a_command_that_cannot_reach_its_database_says_which_one_in_a_line_not_a_traceback(
        tmp_path, database, args, says):
    url = database.format(port=free_port(), tmp=tmp_path)
    env = {**os.environ, "DATABASE_URL": url, "PAKN_ENV": "development", "SCHEDULER_IN_APP": "false"}
    run = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60)
    shown = url.replace(":s3cret@", ":***@")
    assert run.returncode == 1 and "Traceback" not in run.stderr, run.stderr
    assert run.stderr.count("\n") == 1 and run.stderr.startswith(f"Error: the database {shown} failed: ")
    assert says in run.stderr and "s3cret" not in run.stderr


def test_a_database_without_its_tables_says_how_to_make_them_and_another_failure_keeps_its_traceback(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}", "PAKN_ENV": "development",
           "SCHEDULER_IN_APP": "false"}
    run = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "calendar", "list", "2026"], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 1 and "Traceback" not in run.stderr, run.stderr
    assert "has no table calendar_days: make its tables with `flask --app wsgi db upgrade`" in run.stderr
    # a statement that fails otherwise (here a bug: SQL the code never sends) is told where, with its traceback
    script = ("from sqlalchemy import text\nfrom feedback_app import create_app\n"
              "from feedback_app.extensions import db\napp = create_app()\n"
              "@app.cli.command('broken')\ndef broken():\n    db.session.execute(text('SELEC 1'))\n"
              "from feedback_app.cli import _say_when_the_database_fails\n"
              "_say_when_the_database_fails(app.cli.commands['broken'], True)\n"
              "app.cli.main(['broken'], standalone_mode=True)\n")
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 1 and "Traceback" in run.stderr and "SELEC" in run.stderr, run.stderr


def test_the_headers_nginx_adds_to_its_own_files_are_the_apps():
    """deploy/nginx-pakn-headers.conf: checked without nginx too (CI has none), against feedback_app/security.py."""
    from feedback_app.security import _STATIC_HEADERS
    added = dict(re.findall(r'add_header (\S+) "([^"]*)" always;', (DEPLOY / "nginx-pakn-headers.conf").read_text()))
    assert added["Content-Security-Policy"] == content_security_policy()
    assert added["Strict-Transport-Security"] == f"max-age={ProductionConfig.HSTS_MAX_AGE}; includeSubDomains"
    app_headers = dict(_STATIC_HEADERS)
    for name in ("X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy"):
        assert added[name] == app_headers[name], name
    site = (DEPLOY / "nginx-pakn.conf").read_text()
    # /static/, /413.html, and /503.html and /503.json
    assert site.count("include /srv/pakn/deploy/nginx-pakn-headers.conf;") == 3


@pytest.mark.postgres_only
def test_a_database_user_without_rights_on_the_tables_is_said_in_one_line():
    """A restore made as postgres leaves tables DATABASE_URL's role may not read: one line saying so and
    what to do, not a traceback ending in "permission denied for table alembic_version"."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    owned = _fresh_database(os.environ["TEST_DATABASE_URL"], "rights")
    env = {**os.environ, "DATABASE_URL": owned, "PAKN_ENV": "development", "SCHEDULER_IN_APP": "false"}
    assert subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env,
                          capture_output=True, timeout=120).returncode == 0
    engine = create_engine(owned, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP ROLE IF EXISTS pakn_reader"))
        connection.execute(text("CREATE ROLE pakn_reader LOGIN"))
    engine.dispose()
    env["DATABASE_URL"] = make_url(owned).set(username="pakn_reader").render_as_string(hide_password=False)
    run = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "setup", "check"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 1 and "Traceback" not in run.stderr, run.stderr
    assert "refused its user: permission denied for table" in run.stderr and "DATABASE_URL's role" in run.stderr
