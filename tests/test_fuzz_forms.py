"""Hypothesis on the citizen's submission: the portal form (``POST /gui-phan-anh``) and the JSON API
(``POST /api/v1/feedback``) fed random Unicode, control characters, lone surrogates, wrong types and
sizes next to valid values. Whatever arrives, the answer is either a stored, complete case (its code,
its audit row, its due date) or field errors with nothing stored: never a 5xx, never half a case.
"""
from __future__ import annotations

import json
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from feedback_app.api.public import FIELDS
from feedback_app.extensions import db
from feedback_app.models import Feedback, Transition
from feedback_app.services.cases import normalise_code

EXAMPLES = int(os.environ.get("PAKN_FUZZ_EXAMPLES", "25")) * 3
VALID = {"full_name": "Nguyễn Văn An", "address": "Số 12 đường Lê Lợi, Quảng Ngãi", "phone": "0905123456",
         "email": "an@example.com", "title": "Thời hạn giải quyết thủ tục",
         "content": "Đề nghị cho biết thời hạn giải quyết thủ tục đăng ký kết quả nhiệm vụ khoa học.",
         "procedure": "Đăng ký kết quả nhiệm vụ KH&CN"}
ODD_TEXT = st.one_of(
    st.text(max_size=60),  # any code point, the control characters and NUL included
    st.text(alphabet=st.characters(codec="utf-8"), min_size=0, max_size=400),
    st.sampled_from(["", " ", "\x00", "a\x00b", "\ud800", "\u202e", "Ω" * 301, "'; DROP TABLE feedback;--",
                     "<script>alert(1)</script>", "0" * 40, "+84", "@", "a@b", "null", "\r\n\t"]),
    st.builds(lambda v, extra: v + extra, st.sampled_from(list(VALID.values())), st.text(max_size=10)),
)




def spoilt(changes: dict, dropped: set) -> dict:
    return {name: value for name, value in {**VALID, **changes}.items() if name not in dropped}


# A valid submission with a few fields replaced by odd text or left out (none: a valid one).
SUBMISSION = st.builds(spoilt, st.dictionaries(st.sampled_from(list(VALID)), ODD_TEXT, max_size=3),
                       st.sets(st.sampled_from(list(VALID)), max_size=2))
JSON_VALUE = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), ODD_TEXT,
                       st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(),
                                                                            max_size=2))
JSON_BODY = st.one_of(
    SUBMISSION.flatmap(lambda body: st.fixed_dictionaries(
        {}, optional={"consent_publish": JSON_VALUE, "extra": JSON_VALUE}).map(lambda more: {**body, **more})),
    st.fixed_dictionaries({}, optional={name: JSON_VALUE for name in FIELDS}),
    JSON_VALUE,
)


def in_a_form(strategy):
    """What a browser can send: a form is encoded as UTF-8, which has no lone surrogates."""
    return strategy.map(lambda text: text.encode("utf-8", "replace").decode("utf-8"))


def stored() -> tuple[int, int]:
    cases = db.session.execute(select(func.count()).select_from(Feedback)).scalar_one()
    receipts = db.session.execute(select(func.count()).select_from(Transition)
                                  .where(Transition.event == "receive")).scalar_one()
    return cases, receipts


def complete(code: str) -> Feedback:
    """The stored case is whole: code, state, due date and its one receipt in the audit trail."""
    db.session.expire_all()
    case = db.session.execute(select(Feedback).where(Feedback.code == code)).scalar_one()
    assert case.state == "received" and case.due_date is not None and case.submitter_name and case.content
    assert [t.event for t in case.transitions] == ["receive"]
    return case


def fuzz_settings(test):
    return settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))(test)


def test_random_json_submissions_get_a_whole_case_or_field_errors_never_a_server_error(app, clock, seeded):
    client = app.test_client()
    outcomes = set()

    @given(body=JSON_BODY)
    @fuzz_settings
    def submit(body):
        before = stored()
        with app.app_context():
            response = client.post("/api/v1/feedback", data=json.dumps(body), content_type="application/json")
        answer = response.get_json()
        assert response.status_code in (201, 400, 422), (response.status_code, body, answer)
        if response.status_code == 201:
            complete(answer["code"])
            assert stored() == (before[0] + 1, before[1] + 1)
        else:
            assert answer["error"] and stored() == before
            if response.status_code == 422:
                assert answer["errors"] and set(answer["errors"]) <= set(FIELDS) | set(body)
        unknown = set(body) - set(FIELDS) if isinstance(body, dict) else set()
        if unknown:  # a key that is no field ("extra") is refused and named, never dropped unseen
            assert response.status_code == 422 and unknown <= set(answer["errors"])
        outcomes.add(response.status_code)

    submit()
    assert outcomes == {201, 400, 422}  # the generator reaches every kind of answer


def test_random_form_submissions_get_a_whole_case_or_messages_next_to_the_fields(app, clock, seeded):
    outcomes = set()

    @given(form=SUBMISSION, consent=st.sampled_from([None, "y", "\x00", "không"]))
    @fuzz_settings
    def submit(form, consent):
        # a browser per example: one browser sending the same text again gets the case it made
        client = app.test_client()
        data = {name: value.encode("utf-8", "replace").decode() for name, value in form.items()}
        if consent is not None:
            data["consent_publish"] = consent
        before = stored()
        with app.app_context():
            response = client.post("/gui-phan-anh", data=data)
        assert response.status_code in (303, 422), (response.status_code, data)
        if response.status_code == 303:
            with client.session_transaction() as session:
                complete(session["submitted_code"])
            assert stored() == (before[0] + 1, before[1] + 1)
        else:
            html = response.get_data(as_text=True)
            assert 'class="field-error"' in html, data
            assert stored() == before
        outcomes.add(response.status_code)

    submit()
    assert outcomes == {303, 422}


def test_control_characters_and_lone_surrogates_are_refused_with_a_message_on_the_field(app, clock, seeded):
    client = app.test_client()
    for name, value in (("full_name", "Nguyễn\x00Văn An"), ("content", VALID["content"] + "\ud800"),
                        ("address", "Số 12\x1b[31m Lê Lợi")):
        response = client.post("/api/v1/feedback", json={**VALID, name: value})
        assert response.status_code == 422
        assert response.get_json()["errors"] == {name: "Có ký tự không hợp lệ (ký tự điều khiển); vui lòng nhập lại."}
    assert stored() == (0, 0)
    ok = client.post("/api/v1/feedback", json={**VALID, "content": VALID["content"] + "\n\tCảm ơn."})
    assert ok.status_code == 201 and complete(ok.get_json()["code"]).content.endswith("Cảm ơn.")


def test_random_lookups_find_the_case_only_with_its_code_and_contact_and_never_fail(app, clock, seeded):
    client = app.test_client()
    with app.app_context():
        code = client.post("/api/v1/feedback", json=VALID).get_json()["code"]
    contacts = ["0905123456", "+84 905 123 456", "an@example.com"]

    @given(typed_code=st.one_of(st.just(code), st.just(code.lower()), in_a_form(ODD_TEXT)),
           contact=st.one_of(st.sampled_from(contacts), in_a_form(ODD_TEXT)))
    @fuzz_settings
    def look_up(typed_code, contact):
        with app.app_context():
            response = client.post("/tra-cuu", data={"code": typed_code, "contact": contact})
        assert response.status_code in (303, 422), (response.status_code, typed_code, contact)
        if response.status_code == 303:
            assert response.headers["Location"].endswith(f"/tra-cuu/{code}")
            assert normalise_code(typed_code) == code and contact.strip() in contacts

    look_up()
