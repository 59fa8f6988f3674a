"""Open data and sync: the public history, the staff bulk export (JSON lines), Open311 GeoReport v2,
the signed state-change webhook against a real HTTP server, and the quarterly reminder to HCTH."""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from flask import g
from sqlalchemy import select

from feedback_app.auth import token_hash
from feedback_app.extensions import db
from feedback_app.models import ApiToken, OutboxMail, WebhookDelivery
from feedback_app.services.cases import apply_event, find
from feedback_app.services.reports import remind_quarterly_report
from feedback_app.services.webhooks import deliver_webhooks
from workflows.clock import LOCAL_TZ

from report_seed import seed_quarter


def get(client, url: str, headers: dict | None = None):
    """A request with its own token: the test's app context (and so ``g``, where the API caches the
    token's user) outlives a single request."""
    g.pop("api_user", None)
    return client.get(url, headers=headers or {})


def _token(user, secret: str) -> dict:
    db.session.add(ApiToken(user=user, token_hash=token_hash(secret)))
    db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def quarter(app, clock, seeded):
    seed_quarter(seeded)
    return seeded


def _published_codes():
    from feedback_app.models import Feedback
    return db.session.execute(select(Feedback.code).where(Feedback.state == "published")
                              .order_by(Feedback.received_at, Feedback.id)).scalars().all()


def test_public_history_shows_events_and_dates_but_no_names_or_notes(quarter, client):
    code = _published_codes()[0]
    data = get(client, f"/api/v1/feedback/{code}/history").get_json()
    # the draft's submission to the leader is a hand-off among staff, not a step of the citizen's
    assert [h["to"] for h in data["history"]] == ["received", "classified", "forwarded", "answered", "published"]
    assert all(set(h) == {"event", "from", "to", "at"} for h in data["history"])
    assert "Trần Thị Bình" not in json.dumps(data, ensure_ascii=False)
    staff = get(client, f"/api/v1/feedback/{code}/history", _token(quarter["office"], "office-tok")).get_json()
    assert staff["history"][2]["note"].startswith("Chuyển đến: Phòng Quản lý Khoa học")
    assert staff["history"][3]["to"] == "under_review" and staff["history"][4]["actor"] == quarter["leader"].full_name
    assert get(client, "/api/v1/feedback/PAKN.20240101.9999/history").status_code == 404


def test_export_streams_json_lines_of_cases_changed_since_for_staff_only(quarter, client):
    assert get(client, "/api/v1/export").status_code == 401
    assert get(client, "/api/v1/export", _token(quarter["QLKH"], "unit-tok")).status_code == 403
    headers = _token(quarter["office"], "office-tok")
    bad = get(client, "/api/v1/export?since=hôm-qua", headers)
    assert bad.status_code == 400 and "ISO 8601" in bad.get_json()["error"]
    everything = get(client, "/api/v1/export", headers)
    assert everything.mimetype == "application/x-ndjson" and everything.is_streamed
    lines = [json.loads(line) for line in everything.get_data(as_text=True).splitlines()]
    assert len(lines) == 15
    published = [c for c in lines if c["state"] == "published"]
    assert len(published) == 3 and all(c["answer"] for c in published)
    assert all(c["history"][0]["event"] == "receive" for c in lines)
    assert "Trần Thị Bình" not in everything.get_data(as_text=True)
    recent = get(client, "/api/v1/export?since=2024-06-15T00:00:00+07:00", headers).get_data(as_text=True)
    # I and J were answered after the quarter, K received: only they changed since
    assert len(recent.splitlines()) == 3



def test_export_is_taken_in_parts_that_together_give_every_line_once_and_the_last_says_there_is_no_next(
        quarter, client):
    headers = _token(quarter["office"], "office-tok")
    whole = get(client, "/api/v1/export", headers)  # 15 cases: one part of the default size
    codes = [json.loads(line)["code"] for line in whole.get_data(as_text=True).splitlines()]
    assert (whole.headers["X-Export-Count"], whole.headers["X-Export-More"]) == ("15", "false")
    assert "Link" not in whole.headers and "X-Next-After" not in whole.headers
    url, parts = "/api/v1/export?limit=4", []
    while url:
        part = get(client, url, headers)
        lines = part.get_data(as_text=True).splitlines()
        assert part.status_code == 200 and int(part.headers["X-Export-Count"]) == len(lines)
        parts.append([json.loads(line)["code"] for line in lines])
        more = part.headers["X-Export-More"] == "true"
        assert more == ("Link" in part.headers) == ("X-Next-After" in part.headers)
        url = part.headers["Link"].split(">;")[0].lstrip("<") if more else None
        if more:
            assert part.headers["Link"].endswith('>; rel="next"') and "limit=4" in url
            assert f"after={part.headers['X-Next-After']}" in url
    assert [len(p) for p in parts] == [4, 4, 4, 3]
    assert [c for p in parts for c in p] == codes and len(set(codes)) == 15
    # since is kept from part to part: the 3 cases changed since 15/6, two at a time
    first = get(client, "/api/v1/export?since=2024-06-15T00:00:00%2B07:00&limit=2", headers)
    assert first.headers["X-Export-More"] == "true" and "since=2024-06-15T00:00:00%2B07:00" in first.headers["Link"]
    assert len(first.get_data(as_text=True).splitlines()) == 2
    second = get(client, first.headers["Link"].split(">;")[0].lstrip("<"), headers)
    assert (second.headers["X-Export-Count"], second.headers["X-Export-More"]) == ("1", "false")
    assert len(second.get_data(as_text=True).splitlines()) == 1
    # exactly divided: the last full part already says there is none after it, no empty part to ask for
    three = get(client, "/api/v1/export?since=2024-06-15T00:00:00%2B07:00&limit=3", headers)
    assert (three.headers["X-Export-Count"], three.headers["X-Export-More"]) == ("3", "false")
    assert len(three.get_data(as_text=True).splitlines()) == 3
    for bad in ("after=-1", "after=x", "limit=0", "limit=50001", "limit=", "after="):
        refused = get(client, f"/api/v1/export?{bad}", headers)
        assert refused.status_code == 400 and bad.split("=")[0] in refused.get_json()["errors"], bad


def test_openapi_documents_history_and_export(client):
    paths = get(client, "/api/v1/openapi.json").get_json()["paths"]
    assert "/api/v1/feedback/{code}/history" in paths
    export = paths["/api/v1/export"]["get"]
    assert export["security"] == [{"bearer": []}] and "application/x-ndjson" in export["responses"]["200"]["content"]


def test_open311_offers_published_cases_with_expected_datetime_from_the_due_date(quarter, client):
    services = client.get("/open311/v2/services.json").get_json()
    tthc = next(s for s in services if s["service_code"] == "TTHC")
    assert tthc["metadata"] is False and tthc["type"] == "realtime" and tthc["service_name"]
    requests = client.get("/open311/v2/requests.json?start_date=2024-01-01T00:00:00Z").get_json()
    codes = _published_codes()
    assert sorted(r["service_request_id"] for r in requests) == sorted(codes)
    one = client.get(f"/open311/v2/requests/{codes[0]}.json").get_json()
    assert client.get(f"/open311/v2/requests/{codes[0].lower()}.json").get_json() == one  # as typed, as elsewhere
    typed = client.get(f"/open311/v2/requests.json?service_request_id={codes[0].lower().replace('.', '-')}")
    assert [r["service_request_id"] for r in typed.get_json()] == [codes[0]]
    assert len(one) == 1 and one[0]["status"] == "closed" and one[0]["service_code"] == "TTHC"
    case = find(codes[0])
    assert one[0]["expected_datetime"] == f"{case.answered_due_date.isoformat()}T23:59:59+07:00"
    assert one[0]["address"] is None and "Trần Thị Bình" not in json.dumps(one, ensure_ascii=False)
    # the default window is the last 90 days: all three were received before it
    assert client.get("/open311/v2/requests.json").get_json() == []
    assert client.get("/open311/v2/requests.json?status=open&start_date=2024-01-01").get_json() == []
    assert db.session.execute(select(WebhookDelivery)).first() is None  # webhooks off: nothing stored
    from feedback_app.models import Feedback
    forwarded = db.session.execute(select(Feedback.code).where(Feedback.state == "forwarded")).scalars().first()
    assert client.get(f"/open311/v2/requests/{forwarded}.json").status_code == 404
    assert client.get("/open311/v2/requests.json?page_size=0").status_code == 400
    for odd in ("page=%D9%A1", "page_size=1_0", "page=%EF%BC%92", "page=-1", "page=1e3"):  # Arabic-Indic, full-width
        refused = client.get(f"/open311/v2/requests.json?{odd}")
        assert refused.status_code == 400 and "page" in refused.get_json()[0]["description"], odd
    assert client.get("/open311/v2/requests.json?page=%201%20&page_size=5").status_code == 200
    # an end_date without a time takes in that whole day (Vietnamese local)
    last = max(codes, key=lambda c: find(c).received_at)
    day = find(last).received_at.astimezone(LOCAL_TZ).date()
    ids = lambda url: [r["service_request_id"] for r in client.get(url).get_json()]  # noqa: E731
    assert last in ids(f"/open311/v2/requests.json?start_date=2024-01-01&end_date={day.isoformat()}")
    assert last not in ids(f"/open311/v2/requests.json?start_date=2024-01-01&end_date={(day - timedelta(days=1)).isoformat()}")


# --- the webhook, against a real HTTP server on loopback -----------------------------------------

class Hook(BaseHTTPRequestHandler):
    received: list = []
    fail_next = 0

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if Hook.fail_next:
            Hook.fail_next -= 1
            self.send_response(503)
        else:
            Hook.received.append((dict(self.headers), body))
            self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def hook_server(app):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    Hook.received, Hook.fail_next = [], 0
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config.update(WEBHOOK_URL=f"http://127.0.0.1:{server.server_address[1]}/pakn",
                      WEBHOOK_SECRET="s3cret", WEBHOOK_BACKOFF_SECONDS=60, WEBHOOK_MAX_ATTEMPTS=3)
    yield Hook
    server.shutdown()
    thread.join(5)


def test_each_state_change_is_posted_signed_with_retries_and_backoff(app, clock, seeded, hook_server):
    from report_seed import _new
    case = _new("2024-03-04")
    apply_event(case, "classify", seeded["office"], {"category": "TTHC"})
    rows = db.session.execute(select(WebhookDelivery).order_by(WebhookDelivery.id)).scalars().all()
    assert [json.loads(r.payload)["to"] for r in rows] == ["received", "classified"]
    now = clock.now()
    hook_server.fail_next = 1  # the first POST meets a 503: the case's next change waits behind it
    assert deliver_webhooks(now) == {"sent": 0, "retry": 1, "failed": 0}
    retry, waiting = db.session.execute(select(WebhookDelivery).where(WebhookDelivery.status == "pending")
                                        .order_by(WebhookDelivery.id)).scalars().all()
    assert retry.attempts == 1 and "503" in retry.last_error and retry.next_attempt_at == now + timedelta(seconds=60)
    assert waiting.attempts == 0
    assert deliver_webhooks(now + timedelta(seconds=59)) == {"sent": 0, "retry": 0, "failed": 0}
    assert deliver_webhooks(now + timedelta(seconds=60)) == {"sent": 2, "retry": 0, "failed": 0}
    assert [json.loads(body)["to"] for _, body in hook_server.received] == ["received", "classified"]  # in order
    for headers, body in hook_server.received:
        expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
        assert headers["X-Pakn-Signature"] == expected
    bodies = sorted((json.loads(body) for _, body in hook_server.received), key=lambda b: b["to"] != "received")
    assert bodies[1] == {"event": "classify", "code": case.code, "from": "received", "to": "classified",
                         "at": bodies[1]["at"], "unit": None, "due_date": case.due_date.isoformat()}
    # a receiver that stays down: the backoff doubles, then the delivery is given up
    apply_event(case, "forward", seeded["office"], {"unit": "QLKH"})
    hook_server.fail_next = 99
    at = clock.now()
    assert deliver_webhooks(at)["retry"] == 1
    assert deliver_webhooks(at + timedelta(seconds=60))["retry"] == 1
    third = db.session.execute(select(WebhookDelivery).where(WebhookDelivery.status == "pending")).scalar_one()
    assert third.next_attempt_at == at + timedelta(seconds=60 + 120)
    assert deliver_webhooks(at + timedelta(seconds=180)) == {"sent": 0, "retry": 0, "failed": 1}


def test_webhooks_flush_command_delivers_what_is_due(app, clock, seeded, hook_server):
    from report_seed import _new
    _new("2024-03-04")
    result = app.test_cli_runner().invoke(args=["webhooks", "flush"])
    assert result.exit_code == 0 and "sent 1" in result.output
    app.config.update(WEBHOOK_MAX_ATTEMPTS=1)
    hook_server.fail_next = 1
    _new("2024-03-05")
    given_up = app.test_cli_runner().invoke(args=["webhooks", "flush"])
    assert given_up.exit_code == 1 and "failed 1" in given_up.output
    assert json.loads(hook_server.received[0][1])["event"] == "receive"


# --- the quarterly reminder ---------------------------------------------------------------------

def test_hcth_is_reminded_once_three_working_days_before_the_15th(app, clock, seeded):
    # Q2 2024 ends Fri 14/06; the report is due Sat 15/06; three working days before: Wed 12/06
    clock.set("2024-06-11T08:00:00+07:00")
    assert remind_quarterly_report() is None
    clock.set("2024-06-12T08:00:00+07:00")
    mail = remind_quarterly_report()
    assert mail is not None and "quý II năm 2024 và 6 tháng đầu năm 2024" in mail.subject and "15/06/2024" in mail.subject
    assert "hcth@skhcn.example.gov.vn" in mail.recipients and seeded["office"].email in mail.recipients
    assert "14/06/2024" in mail.body_text and "bao-cao?period=2024-Q2" in mail.body_text
    assert "- 6 tháng đầu năm 2024: http" in mail.body_text and "bao-cao?period=2024-H1" in mail.body_text
    clock.set("2024-06-14T16:00:00+07:00")
    assert remind_quarterly_report() is None  # once per quarter
    clock.set("2024-06-15T08:00:00+07:00")  # already the next quarter: its window is in September
    assert remind_quarterly_report() is None
    result = app.test_cli_runner().invoke(args=["report", "remind", "--now", "2024-09-11T09:00:00+07:00"])
    assert result.exit_code == 0 and "quý III năm 2024" in result.output
    keys = db.session.execute(select(OutboxMail.key).where(OutboxMail.kind == "report_reminder")).scalars().all()
    assert sorted(keys) == ["report-reminder:2024-Q2", "report-reminder:2024-Q3"]
    third = db.session.execute(select(OutboxMail).where(OutboxMail.key == "report-reminder:2024-Q3")).scalar_one()
    assert "Nhắc lập báo cáo PAKN quý III năm 2024 (hạn" in third.subject  # no half-year or year ends with it
    clock.set("2024-12-11T08:00:00+07:00")  # the fourth quarter ends with the second half and the year
    last = remind_quarterly_report()
    assert "quý IV năm 2024, 6 tháng cuối năm 2024 và năm 2024 (hạn" in last.subject
    assert "- năm 2024: http" in last.body_text and "bao-cao?period=2024\n" in last.body_text


@pytest.mark.parametrize("url, description", [
    ("/open311/v2/requests/PAKN.20240101.9999.json", "Không có phản ánh, kiến nghị đã công khai mã PAKN.20240101.9999."),
    ("/open311/v2/services/NOPE.json", "Không có dịch vụ (lĩnh vực) mã NOPE."),
    ("/open311/v2/requests/PAKN.20240101.9999", "Không tìm thấy trang hoặc phản ánh, kiến nghị cần tìm."),
    ("/open311/v2/nothing.json", "Không tìm thấy trang hoặc phản ánh, kiến nghị cần tìm."),
])
def test_open311_answers_an_unknown_id_or_path_with_its_json_error_not_an_html_page(client, seeded, url, description):
    response = client.get(url)
    assert response.status_code == 404 and response.mimetype == "application/json"
    assert response.get_json() == [{"code": 404, "description": description}]


def test_open311_defines_a_known_service_without_attributes(client, seeded):
    assert client.get("/open311/v2/services/TTHC.json").get_json() == {"service_code": "TTHC", "attributes": []}
    english = client.get("/open311/v2/services/NOPE.json?lang=en").get_json()
    assert english == [{"code": 404, "description": "There is no service (field) with the code NOPE."}]
