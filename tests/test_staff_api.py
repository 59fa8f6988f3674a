"""The staff JSON API with bearer tokens: each role fires exactly the events it may (200/403), a state
that does not allow an event is 409, bad arguments 422, a stale version 409, another unit's case 404;
lists filter by state, unit and overdue and a unit token sees only its unit; all documented."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import event as sql_event, func, select

from feedback_app.extensions import db
from feedback_app.models import Category, Feedback, Transition, User
from feedback_app.services.accounts import new_token
from feedback_app.services.cases import StaleCase, Submission, apply_event, receive
from workflows.lifecycle import EVENTS

SUBMISSION = Submission(full_name="Trần Thị Bình", address="Thôn An Hội, xã Tịnh Sơn", phone="0912345678",
                        email="binh@example.com", title="Thủ tục cấp giấy phép X-quang",
                        content="Đề nghị hướng dẫn hồ sơ cấp giấy phép tiến hành công việc bức xạ.",
                        consent_publish=True)


@pytest.fixture
def tokens(seeded):
    return {key: {"Authorization": f"Bearer {new_token(user)}"} for key, user in seeded.items()}


def fire(client, headers, case, event, **body):
    return client.post(f"/api/v1/feedback/{case.code}/events/{event}", json=body, headers=headers)


# (event, the state to bring the case to, the arguments) for every lifecycle event
SETUP = {
    "request_info": ([], {"missing": "Số điện thoại"}),
    "provide_info": (["request_info"], {"note": "Đã bổ sung"}),
    "classify": ([], {"category": "ATBX"}),
    "refuse": ([], {"reason": "unclear_content", "note": "Không rõ"}),
    "transfer_out": ([], {"agency": "Sở Y tế", "note": "Thẩm quyền Sở Y tế"}),
    "forward": (["classify"], {"unit": "QLCN", "note": "Xử lý"}),
    "return_to_office": (["classify", "forward"], {"reason": "Không thuộc phòng"}),
    "submit_draft": (["classify", "forward"], {"reply": "Hồ sơ gồm ..."}),
    "request_changes": (["classify", "forward", "submit_draft"], {"note": "Bổ sung căn cứ"}),
    "approve": (["classify", "forward", "submit_draft"], {}),
    "publish": (["classify", "forward", "submit_draft", "approve"], {}),
    "return_answer": (["classify", "forward", "submit_draft", "approve"], {"reason": "Chưa dẫn căn cứ"}),
    "extend": (["classify", "forward"], {"reason": "Cần ý kiến Cục An toàn bức xạ"}),
    "collect_basis": (["classify", "forward"], {"reason": "Chờ ý kiến Cục An toàn bức xạ"}),
    "resume_handling": (["classify", "forward", "collect_basis"], {}),
    "archive": (["refuse"], {"reference": "12/PAKN-2024"}),
    "direct": (["classify", "forward"], {"instruction": "Trình dự thảo trả lời trước thứ Sáu"}),  # escalated
}
WHO = {"office": {"request_info", "provide_info", "classify", "refuse", "transfer_out", "forward",
                  "request_changes", "publish", "return_answer", "archive"},
       "leader": {"request_changes", "approve", "direct"},
       "QLCN": {"return_to_office", "submit_draft", "extend", "collect_basis", "resume_handling"},
       "admin": set()}


def prepared(seeded, event):
    case = receive(SUBMISSION)
    actors = {"request_info": "office", "classify": "office", "forward": "office", "submit_draft": "QLCN",
              "approve": "leader", "collect_basis": "QLCN", "refuse": "office"}
    for step in SETUP[event][0]:
        apply_event(case, step, seeded[actors[step]], SETUP[step][1])
    if event == "direct":  # as the sweep leaves a case whose promised date passed
        case.escalated_at = case.received_at
        db.session.commit()
    return case


def test_every_role_fires_exactly_the_events_it_may(app, client, clock, seeded, tokens):
    assert set(SETUP) == set(EVENTS)
    for role, allowed in WHO.items():
        for event, (_, args) in SETUP.items():
            case = prepared(seeded, event)
            before = case.state
            response = fire(client, tokens[role], case, event, **args)
            if event in allowed:
                assert response.status_code == 200, (role, event, response.get_json())
                body = response.get_json()
                assert body["code"] == case.code and body["event"] == event and body["from"] == before
                assert body["version"] == db.session.get(Feedback, case.id).version
            else:
                # a unit never learns of a case not forwarded to it, the admin of none: 404, not 403
                hidden = role == "admin" or (role == "QLCN" and case.unit_id != seeded["QLCN"].unit_id)
                assert response.status_code == (404 if hidden else 403), (role, event, response.get_json())
                assert db.session.get(Feedback, case.id).state == before


def test_an_event_the_state_does_not_allow_is_409_and_unknown_ones_404(app, client, seeded, tokens):
    case = receive(SUBMISSION)
    response = fire(client, tokens["leader"], case, "approve")
    assert response.status_code == 409 and response.get_json()["state"] == "received"
    assert fire(client, tokens["office"], case, "forward", unit="QLCN").status_code == 409
    assert fire(client, tokens["office"], case, "explode").status_code == 404
    assert client.post("/api/v1/feedback/PAKN.20990101.0001/events/classify", json={},
                       headers=tokens["office"]).status_code == 404


def test_bad_arguments_are_422_with_the_field_named(app, client, seeded, tokens):
    case = receive(SUBMISSION)
    response = fire(client, tokens["office"], case, "classify")
    assert response.status_code == 422 and "category" in response.get_json()["errors"]
    response = fire(client, tokens["office"], case, "classify", category="NOPE")
    assert response.status_code == 422 and "category" in response.get_json()["errors"]
    response = fire(client, tokens["office"], case, "refuse", reason="because")
    assert response.status_code == 422 and "reason" in response.get_json()["errors"]
    assert fire(client, tokens["office"], case, "classify", category="ATBX", version="one").status_code == 422
    assert fire(client, tokens["office"], case, "classify", category=["ATBX"]).status_code == 422
    response = fire(client, tokens["office"], case, "classify", category="ATBX", subject="nonsense")
    assert response.status_code == 422 and list(response.get_json()["errors"]) == ["subject"]
    # a misspelt optional argument is named, not dropped unseen
    response = fire(client, tokens["office"], case, "classify", category="ATBX", notes="ghi chú")
    assert response.status_code == 422 and list(response.get_json()["errors"]) == ["notes"]
    assert case.state == "received"
    # a body that is no JSON object is answered as the public API answers it
    for body, content_type, status in (("[1, 2]", "application/json", 400), ("{nope", "application/json", 400),
                                       ("category=ATBX", "text/plain", 415)):
        response = client.post(f"/api/v1/feedback/{case.code}/events/classify", data=body,
                               headers={**tokens["office"], "Content-Type": content_type})
        assert response.status_code == status, body
        public = client.post("/api/v1/feedback", data=body, headers={"Content-Type": content_type})
        assert (public.status_code, public.get_json()["error"]) == (status, response.get_json()["error"])
    assert db.session.get(Feedback, case.id).state == "received"
    # the scheme in any case (RFC 9110 11.1); a unit's code in any case, as the list's filter takes it
    lower = {"Authorization": tokens["office"]["Authorization"].replace("Bearer", "bearer")}
    response = client.post(f"/api/v1/feedback/{case.code}/events/classify", json={"category": "ATBX"}, headers=lower)
    assert response.status_code == 200 and response.get_json()["state"] == "classified"
    assert fire(client, tokens["office"], case, "forward", unit="qlkh").get_json()["unit_code"] == "QLKH"


UNSAFE = "Có ký tự không hợp lệ (ký tự điều khiển); vui lòng nhập lại."


def test_characters_nobody_types_in_an_events_text_are_422_with_the_field_named(app, client, seeded, tokens):
    """A lone surrogate failed at the flush (UnicodeEncodeError, a 500) and PostgreSQL refuses NUL."""
    case = receive(SUBMISSION)
    for args, field in (({"agency": "\ud800\ud800", "note": "x"}, "agency"),
                        ({"agency": "Sở Y tế", "note": "Thẩm quyền\x00 Sở Y tế"}, "note"),
                        ({"agency": "Sở Y tế\x1b[31m"}, "agency")):
        response = fire(client, tokens["office"], case, "transfer_out", version=case.version, **args)
        assert response.status_code == 422, args
        assert response.get_json()["error"] == UNSAFE and response.get_json()["errors"] == {field: UNSAFE}
    response = fire(client, tokens["office"], case, "classify", category="\ud800")  # looked up in no table
    assert response.status_code == 422 and response.get_json()["errors"] == {"category": UNSAFE}
    assert db.session.get(Feedback, case.id).state == "received"
    assert db.session.execute(select(func.count()).select_from(Transition)).scalar_one() == 1  # the receipt
    # a note of several lines keeps its line breaks and tabs
    ok = fire(client, tokens["office"], case, "transfer_out", agency="Sở Y tế", note="Thẩm quyền:\n\tSở Y tế")
    assert ok.status_code == 200 and db.session.get(Feedback, case.id).state == "transferred"


def test_a_stale_version_is_409_and_changes_nothing(app, client, seeded, tokens):
    case = receive(SUBMISSION)
    version = case.version
    assert fire(client, tokens["office"], case, "classify", category="ATBX", version=version).status_code == 200
    response = fire(client, tokens["office"], case, "refuse", reason="unclear_content", version=version)
    assert response.status_code == 409 and response.get_json()["stale"] is True
    assert db.session.get(Feedback, case.id).state == "classified"
    # what a client of the API does: read the case again and resend with its version, no page to reload
    message = response.get_json()["error"]
    assert f"GET /api/v1/feedback/{case.code}" in message and "version hiện tại" in message
    assert "tải lại trang" not in message


def test_without_a_token_the_staff_api_is_401_and_a_revoked_token_too(app, client, seeded, tokens):
    case = receive(SUBMISSION)
    for method, url in (("post", f"/api/v1/feedback/{case.code}/events/classify"), ("get", "/api/v1/feedback"),
                        ("get", "/api/v1/units"), ("get", "/api/v1/categories")):
        response = getattr(client, method)(url, json={} if method == "post" else None)
        assert response.status_code == 401 and response.headers["WWW-Authenticate"] == 'Bearer realm="pakn"'
        assert response.get_json()["error"].startswith("Cần mã truy cập")
        wrong = getattr(client, method)(url, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401 and 'error="invalid_token"' in wrong.headers["WWW-Authenticate"]
        assert wrong.get_json()["error"].startswith("Mã truy cập không hợp lệ")  # sent, but no good: said so
    user = seeded["office"]
    user.active = False
    db.session.commit()
    deactivated = client.get("/api/v1/export", headers=tokens["office"])
    assert deactivated.status_code == 401 and "ngừng hoạt động" in deactivated.get_json()["error"]
    # the case's own answer too: a token no good is not served the public view instead
    assert client.get(f"/api/v1/feedback/{case.code}", headers=tokens["office"]).status_code == 401
    assert client.get(f"/api/v1/feedback/{case.code}").status_code == 200  # without a token: the public's


def test_a_unit_token_cannot_see_or_act_on_another_units_case(app, client, seeded, tokens):
    case = prepared(seeded, "submit_draft")  # forwarded to QLCN
    assert client.get(f"/api/v1/feedback/{case.code}", headers=tokens["QLKH"]).status_code == 404
    assert fire(client, tokens["QLKH"], case, "submit_draft", reply="x").status_code == 404
    staff_view = client.get(f"/api/v1/feedback/{case.code}", headers=tokens["QLCN"]).get_json()
    assert staff_view["allowed_events"] == ["collect_basis", "return_to_office", "submit_draft", "extend"]
    assert staff_view["submitter"]["phone"] == "0912345678"


def test_the_list_filters_by_state_unit_and_overdue_and_paginates(app, client, clock, seeded, tokens):
    new = [receive(SUBMISSION) for _ in range(3)]
    waiting = receive(SUBMISSION)  # the citizen's 5 days to complete it pass: their delay, not the department's
    apply_event(waiting, "request_info", seeded["office"], {"missing": "Bản sao giấy phép đã cấp"})
    forwarded = prepared(seeded, "submit_draft")
    other = receive(SUBMISSION)
    apply_event(other, "classify", seeded["office"], {"category": "TTHC"})
    apply_event(other, "forward", seeded["office"], {"unit": "QLKH"})
    office = tokens["office"]
    listing = client.get("/api/v1/feedback?state=received&per_page=2", headers=office).get_json()
    assert listing["total"] == 3 and listing["pages"] == 2 and len(listing["items"]) == 2
    assert {i["code"] for i in client.get("/api/v1/feedback?state=received&per_page=2&page=2",
                                          headers=office).get_json()["items"]} <= {c.code for c in new}
    assert [i["code"] for i in client.get("/api/v1/feedback?unit=QLCN", headers=office).get_json()["items"]] == \
        [forwarded.code]
    assert client.get("/api/v1/feedback?overdue=true", headers=office).get_json()["total"] == 0
    clock.advance(days=10)  # the 3 new cases' 5 working days to classify are over
    overdue = client.get("/api/v1/feedback?overdue=true", headers=office).get_json()
    assert {i["code"] for i in overdue["items"]} == {c.code for c in new} and all(i["overdue"] for i in overdue["items"])
    on_time = client.get("/api/v1/feedback?overdue=false&state=awaiting_info", headers=office).get_json()["items"]
    assert [(i["code"], i["overdue"]) for i in on_time] == [(waiting.code, False)]
    unit = client.get("/api/v1/feedback", headers=tokens["QLKH"]).get_json()
    assert [i["code"] for i in unit["items"]] == [other.code]
    detail = client.get(f"/api/v1/feedback/{other.code}", headers=tokens["QLKH"]).get_json()
    assert unit["items"][0]["unit_code"] == detail["unit_code"] == "QLKH"  # one name for the code everywhere
    assert client.get("/api/v1/feedback?unit=QLCN", headers=tokens["QLKH"]).get_json()["total"] == 0
    for bad in ("state=nope", "unit=NOPE", "overdue=maybe", "page=0", "per_page=1000"):
        response = client.get(f"/api/v1/feedback?{bad}", headers=office)
        assert response.status_code == 422, bad
        assert bad.split("=")[0] in response.get_json()["errors"]


def test_the_list_shows_the_overdue_first_then_the_nearest_due_date_then_the_cases_without_one(
        app, client, clock, seeded, tokens):
    forwarded = receive(SUBMISSION)  # Monday 4/3: classify by 11/3
    apply_event(forwarded, "classify", seeded["office"], {"category": "TTHC"})
    apply_event(forwarded, "forward", seeded["office"], {"unit": "QLKH"})  # the answer by 25/3
    refused = receive(SUBMISSION)
    apply_event(refused, "refuse", seeded["office"], {"reason": "unclear_content", "note": "Không rõ"})  # no due date
    clock.set("2024-03-06T09:00:00+07:00")
    late, later = receive(SUBMISSION), receive(SUBMISSION)  # classify by 13/3, both
    clock.set("2024-03-14T09:00:00+07:00")  # the two new ones are a day late
    listing = client.get("/api/v1/feedback", headers=tokens["office"]).get_json()
    assert [i["code"] for i in listing["items"]] == [late.code, later.code, forwarded.code, refused.code]
    assert [i["overdue"] for i in listing["items"]] == [True, True, False, False]



def test_the_office_filter_lists_the_cases_no_unit_holds_as_the_register_counts_them(app, client, clock, seeded,
                                                                                        tokens):
    new, refused, forwarded = receive(SUBMISSION), receive(SUBMISSION), prepared(seeded, "submit_draft")
    apply_event(refused, "refuse", seeded["office"], {"reason": "unclear_content", "note": "Không rõ"})
    back = prepared(seeded, "return_to_office")
    apply_event(back, "return_to_office", seeded["QLCN"], {"reason": "Không thuộc phòng"})
    hcth = client.get("/api/v1/feedback?unit=HCTH", headers=tokens["office"]).get_json()
    assert hcth["total"] == 3 and {i["code"] for i in hcth["items"]} == {new.code, refused.code, back.code}
    assert all(i["unit_code"] is None for i in hcth["items"])
    assert [i["code"] for i in client.get("/api/v1/feedback?unit=QLCN", headers=tokens["office"])
            .get_json()["items"]] == [forwarded.code]
    # a unit's token still sees only its own cases, HCTH's among them none
    assert client.get("/api/v1/feedback?unit=HCTH", headers=tokens["QLCN"]).get_json()["total"] == 0


def test_a_page_sorts_the_ids_alone_and_a_page_beyond_the_last_reads_no_case(app, client, clock, seeded, tokens):
    cases = [receive(SUBMISSION) for _ in range(5)]
    apply_event(cases[1], "refuse", seeded["office"], {"reason": "unclear_content", "note": "Không rõ"})
    clock.advance(days=10)  # the others are overdue: the order mixes overdue, due dates and none
    whole = [i["code"] for i in client.get("/api/v1/feedback?per_page=100", headers=tokens["office"])
             .get_json()["items"]]
    assert sorted(whole) == sorted(c.code for c in cases) and whole[-1] == cases[1].code
    statements = []
    listen = ("before_cursor_execute",
              lambda conn, cursor, statement, *_: statements.append(" ".join(statement.split())))
    sql_event.listen(db.engine, *listen)
    try:
        pages = [client.get(f"/api/v1/feedback?per_page=2&page={n}", headers=tokens["office"]).get_json()
                 for n in (1, 2, 3, 4)]
    finally:
        sql_event.remove(db.engine, *listen)
    assert [i["code"] for page in pages for i in page["items"]] == whole
    assert [page["total"] for page in pages] == [5] * 4 and pages[3]["items"] == []
    sorted_reads = [s for s in statements if "FROM feedback" in s and "OFFSET" in s]
    assert len(sorted_reads) == 3  # pages 1 to 3; the fourth, beyond the count, reads no case
    assert all(s.startswith("SELECT feedback.id FROM feedback") for s in sorted_reads), sorted_reads
    assert not [s for s in statements if "feedback.content" in s and "ORDER BY" in s]


def test_units_and_categories_list_the_codes_forward_and_classify_take(app, client, seeded, tokens):
    units = client.get("/api/v1/units", headers=tokens["QLKH"]).get_json()["items"]
    targets = {u["code"] for u in units if u["forward_target"]}
    assert targets == {"QLKH", "QLCN", "TDC", "TTUD", "TTTT"}
    from feedback_app.models import Unit
    db.session.add(Unit(code="MOI", name="Đơn vị mới, chưa có người dùng"))
    db.session.commit()
    units = {u["code"]: u for u in client.get("/api/v1/units", headers=tokens["QLKH"]).get_json()["items"]}
    assert "MOI" in units and not units["MOI"]["forward_target"]  # nobody to answer: forward refuses it
    categories = {c["code"] for c in client.get("/api/v1/categories", headers=tokens["office"]).get_json()["items"]}
    assert categories == {"TTHC", "NVKH", "SHTT", "TDC", "ATBX", "DVKH", "KHAC"}
    from feedback_app.services.categories import save_category
    khac = db.session.execute(select(Category).where(Category.code == "KHAC")).scalar_one()
    save_category(khac, code="KHAC", name=khac.name, classify_target_days=None, answer_target_days=None, active=False)
    listed = {c["code"]: c["active"] for c in client.get("/api/v1/categories", headers=tokens["office"]).get_json()["items"]}
    assert listed["KHAC"] is False and listed["TTHC"] is True  # still listed: cases classified in it keep its code
    case = receive(SUBMISSION)
    refused = fire(client, tokens["office"], case, "classify", category="KHAC")
    assert refused.status_code == 422 and "category" in refused.get_json()["errors"]


def test_openapi_describes_the_staff_api(app, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    post = spec["paths"]["/api/v1/feedback/{code}/events/{event}"]["post"]
    assert set(post["responses"]) == {"200", "400", "401", "403", "404", "409", "413", "415", "422", "503"}
    assert post["parameters"][1]["schema"]["enum"] == list(EVENTS)
    assert {"missing", "category", "reason", "unit", "reply", "new_date", "version"} <= set(
        spec["components"]["schemas"]["EventArguments"]["properties"])
    for path in ("/api/v1/feedback", "/api/v1/units", "/api/v1/categories"):
        assert "get" in spec["paths"][path]


def together(target, *calls):
    """Run ``target(*args)`` for each ``args`` in its own thread, and wait for all."""
    threads = [threading.Thread(target=target, args=args) for args in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)


@pytest.mark.postgres_only
def test_two_conflicting_events_at_once_one_wins_the_other_is_409_and_one_transition_is_audited(
        app, client, seeded, tokens):
    """Two threads read the same version and fire conflicting events (classify, refuse) at the same moment."""
    case = receive(SUBMISSION)
    code, version, office_id = case.code, case.version, seeded["office"].id
    barrier = threading.Barrier(2)
    results: dict[str, str] = {}

    def worker(event, args):
        with app.app_context():
            from feedback_app.services.cases import find
            mine = find(code)
            user = db.session.get(User, office_id)
            barrier.wait()
            try:
                apply_event(mine, event, user, args, expected_version=version)
                results[event] = "ok"
            except StaleCase:
                results[event] = "stale"
            finally:
                db.session.remove()

    together(worker, ("classify", {"category": "ATBX"}), ("refuse", {"reason": "unclear_content"}))
    assert sorted(results.values()) == ["ok", "stale"]
    db.session.expire_all()
    winner = next(e for e, r in results.items() if r == "ok")
    rows = db.session.execute(select(Transition.event).where(Transition.feedback_id == case.id)
                              .order_by(Transition.id)).scalars().all()
    assert rows == ["receive", winner]
    assert db.session.get(Feedback, case.id).state == {"classify": "classified", "refuse": "refused"}[winner]

    # the same race through the API: both requests carry the version they read
    case = receive(SUBMISSION)
    code, version = case.code, case.version
    statuses = []
    barrier = threading.Barrier(2)

    def api_worker(event, body):
        c = app.test_client()
        barrier.wait()
        statuses.append(c.post(f"/api/v1/feedback/{code}/events/{event}", json={**body, "version": version},
                               headers=tokens["office"]).status_code)

    together(api_worker, ("classify", {"category": "ATBX"}), ("transfer_out", {"agency": "Sở Y tế"}))
    assert sorted(statuses) == [200, 409]
    db.session.expire_all()
    assert db.session.execute(select(func.count()).select_from(Transition)
                              .where(Transition.feedback_id == case.id)).scalar_one() == 2


def test_the_admin_sees_no_case_on_the_api_as_on_the_pages(app, client, clock, seeded, tokens):
    """The admin keeps users, units and the calendar: its token gets the public view of a case, an empty
    list, no export, and its session no letter (the pages refuse it the case page and files already)."""
    case = prepared(seeded, "extend")
    apply_event(case, "extend", seeded["QLCN"], {"reason": "Cần ý kiến Cục An toàn bức xạ"})
    admin = tokens["admin"]
    one = client.get(f"/api/v1/feedback/{case.code}", headers=admin).get_json()
    assert "submitter" not in one and one == client.get(f"/api/v1/feedback/{case.code}").get_json()
    listed = client.get("/api/v1/feedback", headers=admin).get_json()
    assert (listed["items"], listed["total"]) == ([], 0)
    assert client.get("/api/v1/feedback", headers=tokens["office"]).get_json()["total"] == 1
    assert client.get("/api/v1/export?since=2024-01-01T00:00:00Z", headers=admin).status_code == 403
    assert client.get("/api/v1/export?since=2024-01-01T00:00:00Z", headers=tokens["office"]).status_code == 200
    (letter,) = case.letters
    with client.session_transaction() as session:
        session["_user_id"] = seeded["admin"].get_id()
    assert client.get(f"/van-phong/phieu-xin-loi/{letter.id}.pdf").status_code == 404
    with client.session_transaction() as session:
        session["_user_id"] = seeded["office"].get_id()
    assert client.get(f"/van-phong/phieu-xin-loi/{letter.id}.pdf").status_code == 200
