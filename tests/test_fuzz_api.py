"""The JSON API fuzzed from its own OpenAPI document (schemathesis): every documented operation,
called anonymously and with each staff role's token, with requests that follow the schema and
requests that break it, on a database with real cases in several states. No answer may be a 5xx,
and every answer must match what the document declares (status code, content type, body schema).
Bounded: ``PAKN_FUZZ_EXAMPLES`` examples per operation and role (default 25, about 15 s).

Not checked, on purpose:
- ``positive_data_acceptance`` (a schema-valid request must be accepted): the schema cannot say
  everything the law asks: content in Vietnamese with diacritics (NĐ 20/2008 Art 7.4), a unit code
  that exists, an event the case's state allows. Those answers are 409/422 with the field named.
- ``negative_data_rejection`` (a schema-breaking request must be refused): unknown query parameters
  are ignored and an empty filter (``?overdue=``, as an HTML form sends it) means "no filter". What
  is refused is refused with a 4xx naming the field, which the checks above verify.
"""
from __future__ import annotations

import os

import schemathesis
from schemathesis import GenerationMode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import negative_data_rejection, positive_data_acceptance

from feedback_app.services.accounts import new_token
from feedback_app.services.cases import Submission, apply_event, receive

LENIENT = [positive_data_acceptance, negative_data_rejection]  # see the module's docstring
EXAMPLES = int(os.environ.get("PAKN_FUZZ_EXAMPLES", "25"))
ROLES = ("anonymous", "office", "QLKH", "leader", "admin")
SENDER = dict(full_name="Nguyễn Văn An", address="Số 12 đường Lê Lợi, Quảng Ngãi", phone="0905123456",
              email="an@example.com", consent_publish=True)


def cases_in_every_kind_of_state(seeded) -> list[str]:
    """A received, a forwarded, an answered and a published case: the codes the fuzzer may use."""
    def new(title):
        return receive(Submission(title=title, content="Đề nghị cho biết thủ tục đăng ký kết quả nhiệm vụ "
                                                       "khoa học và công nghệ cấp tỉnh.", **SENDER))
    received = new("Thủ tục đăng ký kết quả")
    forwarded = new("Hồ sơ đăng ký kết quả")
    for event, who, args in (("classify", "office", {"category": "TTHC"}), ("forward", "office", {"unit": "QLKH"})):
        apply_event(forwarded, event, seeded[who], args)
    published = new("Thời hạn giải quyết")
    for event, who, args in (("classify", "office", {"category": "TTHC"}), ("forward", "office", {"unit": "QLKH"}),
                             ("submit_draft", "QLKH", {"reply": "Thời hạn là 15 ngày làm việc."}),
                             ("approve", "leader", {}), ("publish", "office", {})):
        apply_event(published, event, seeded[who], args)
    return [received.code, forwarded.code, published.code]


def fuzz_operation(app, operation, headers: dict, codes: list[str]) -> None:
    """``EXAMPLES`` generated requests to one operation, valid and invalid by its schema (the invalid
    ones must be refused with a 4xx); a real case's code in half of them."""
    code_parameter = any(p.name == "code" for p in operation.path_parameters)
    requests = st.one_of(operation.as_strategy(), operation.as_strategy(GenerationMode.NEGATIVE))

    @given(case=requests, code=st.one_of(st.none(), st.sampled_from(codes)))
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    def run(case, code):
        if code is not None and code_parameter:
            case.path_parameters["code"] = code
        with app.app_context():
            case.call_and_validate(headers=headers, excluded_checks=LENIENT)

    run()


def test_every_api_operation_answers_as_documented_and_never_with_a_server_error(app, clock, seeded):
    codes = cases_in_every_kind_of_state(seeded)
    tokens = {role: {"Authorization": f"Bearer {new_token(seeded[role])}"} for role in ROLES if role != "anonymous"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8  # every operation of the document, the staff ones included
    failures = []
    for operation in operations:
        for role in ROLES:
            try:
                fuzz_operation(app, operation, tokens.get(role, {}), codes)
            except (Exception, BaseExceptionGroup) as exc:  # collected, so that one run shows every finding
                failures.append(f"{operation.label} as {role}:\n{exc}")
    assert not failures, "\n\n".join(failures)
