"""The lifecycle, tested from the machine's own definition: every allowed (state, event) moves the case
where the definition says, every other pair is refused with a clear domain error. A new state or event
is covered without touching this file."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

import pytest

from workflows import lifecycle
from workflows.lifecycle import (EVENTS, ActorNotAllowed, InvalidEventArguments, Role, State, TransitionNotAllowed,
                                 UnknownEvent)

TODAY = date(2024, 3, 4)
UNIT_ID = 7

VALID_ARGS = {
    "request_info": {"missing": "số điện thoại"}, "provide_info": {"note": "đã bổ sung"},
    "classify": {"category": "TTHC"}, "refuse": {"reason": "unclear_content", "note": "không rõ nội dung"},
    "transfer_out": {"agency": "Sở Tài chính"}, "forward": {"unit": "QLKH"},
    "return_to_office": {"reason": "không thuộc thẩm quyền"}, "submit_draft": {"reply": "Trả lời ..."},
    "request_changes": {"note": "bổ sung căn cứ"}, "approve": {}, "publish": {},
    "return_answer": {"reason": "câu trả lời còn nêu họ tên cán bộ"}, "extend": {"reason": "cần lấy ý kiến"},
    "collect_basis": {"reason": "chờ ý kiến Sở Tư pháp"}, "resume_handling": {},
    "archive": {"reference": "12/PAKN-2024"}, "direct": {"instruction": "Phòng QLKH trả lời trước ngày 15"},
}


@dataclass
class FakeCase:
    state: str
    unit_id: int | None = UNIT_ID
    extension_count: int = 0
    consent_publish: bool = True
    due_step: str | None = "answer"
    due_date: date | None = date(2024, 3, 20)
    answered_at: datetime | None = None
    archived_at: datetime | None = None
    escalated_at: datetime | None = None
    email: str | None = None
    phone: str | None = "0905123456"
    address: str | None = None


# what a case must be for an event to be allowed beyond its state: an answered case is archived only
# when it waits for no publication
CASE_FOR = {"archive": {"consent_publish": False},
            "direct": {"escalated_at": datetime(2024, 3, 1, 1, 0, tzinfo=timezone.utc)}}


def fake(source: str, event: str) -> FakeCase:
    return FakeCase(state=source, **CASE_FOR.get(event, {}))


@dataclass(frozen=True)
class FakeActor:
    role: str
    unit_id: int | None = None


def actor_for(event: str, source: str | None = None) -> FakeActor:
    """An actor of a role that may fire ``event``; from ``source``, the one holding the case then where
    two roles share an event by state (extend: the leader while the draft waits for approval)."""
    role = sorted(EVENTS[event].roles)[0]
    if event == "extend" and source is not None:
        role = Role.LEADER if source == State.UNDER_REVIEW.value else Role.UNIT
    return FakeActor(role.value, UNIT_ID if role == Role.UNIT else None)


ALLOWED = {(source, event): dest for source, event, dest in lifecycle.transitions_table()}
ALL_PAIRS = [(state.value, event) for state in State for event in EVENTS]


def test_every_event_and_state_is_in_the_definition():
    assert set(VALID_ARGS) == set(EVENTS), "give the new event its valid arguments here"
    reachable = {State.RECEIVED.value} | set(ALLOWED.values())
    assert reachable == {s.value for s in State}, "every state must be reachable"
    assert set(lifecycle.MACHINE.states) == {s.value for s in State}


@pytest.mark.parametrize("source,event", sorted(ALLOWED))
def test_allowed_transition_moves_the_case(source, event):
    case = fake(source, event)
    move = lifecycle.fire(case, event, actor_for(event, source), VALID_ARGS[event], TODAY)
    assert case.state == ALLOWED[(source, event)] == move.dest
    assert move.source == source and move.event == event


@pytest.mark.parametrize("state,event", [p for p in ALL_PAIRS if p not in ALLOWED])
def test_other_pairs_are_refused_and_leave_the_state(state, event):
    case = FakeCase(state=state)
    with pytest.raises(TransitionNotAllowed) as info:
        lifecycle.fire(case, event, actor_for(event, state), VALID_ARGS[event], TODAY)
    assert case.state == state
    err = info.value
    assert err.status == 409 and err.event == event and err.state == state
    assert event in str(err) and state in str(err)


@pytest.mark.parametrize("source,event", sorted(ALLOWED))
def test_every_other_role_is_refused(source, event):
    for role in Role:
        if role in EVENTS[event].roles:
            continue
        case = fake(source, event)
        with pytest.raises(ActorNotAllowed) as info:
            lifecycle.fire(case, event, FakeActor(role.value, UNIT_ID), VALID_ARGS[event], TODAY)
        assert info.value.status == 403 and case.state == source


@pytest.mark.parametrize("state,event", [p for p in ALL_PAIRS if p not in ALLOWED])
def test_a_role_that_never_fires_the_event_is_told_so_whatever_the_state(state, event):
    """403 (the role), not 409 (the state): HCTH's ``approve`` on a classified case is never HCTH's to do."""
    for role in Role:
        if role in EVENTS[event].roles:
            continue
        with pytest.raises(ActorNotAllowed) as info:
            lifecycle.fire(FakeCase(state=state), event, FakeActor(role.value, UNIT_ID), VALID_ARGS[event], TODAY)
        assert info.value.status == 403


@pytest.mark.parametrize("source,event", sorted((s, e) for s, e in ALLOWED if EVENTS[e].required))
def test_missing_arguments_are_refused(source, event):
    case = fake(source, event)
    with pytest.raises(InvalidEventArguments) as info:
        lifecycle.fire(case, event, actor_for(event, source), {}, TODAY)
    assert info.value.status == 422 and case.state == source
    assert set(info.value.errors) == set(EVENTS[event].required)


@pytest.mark.parametrize("source,event", sorted((s, e) for s, e in ALLOWED if EVENTS[e].explained))
def test_an_explanation_that_says_nothing_is_refused_at_its_field(source, event):
    # the reason of an apology letter, what the citizen must add, why a unit hands a case back
    # and one a page shows as (next to) nothing: zero-width spaces, direction marks
    for placeholder in ("x", "  sai   \n ", "." * 9, "\u200b" * 15, "sai\u200b\u200b\u200b\u200b\u200b\u202e\u200b"):
        case = fake(source, event)
        args = {**VALID_ARGS[event], **{name: placeholder for name in EVENTS[event].explained}}
        with pytest.raises(InvalidEventArguments) as info:
            lifecycle.fire(case, event, actor_for(event, source), args, TODAY)
        assert set(info.value.errors) == set(EVENTS[event].explained)
        assert set(info.value.errors.values()) <= {lifecycle.TOO_SHORT, lifecycle.UNSAFE_TEXT}
        assert case.state == source
    case = fake(source, event)
    args = {**VALID_ARGS[event], **{name: "Sai đơn vị" for name in EVENTS[event].explained}}  # 10: enough
    assert lifecycle.fire(case, event, actor_for(event, source), args, TODAY).dest == ALLOWED[(source, event)]


def test_every_free_text_someone_acts_on_must_say_something():
    assert {name: spec.explained for name, spec in EVENTS.items() if spec.explained} == {
        "request_info": ("missing",), "return_to_office": ("reason",), "submit_draft": ("reply",),
        "request_changes": ("note",), "return_answer": ("reason",), "extend": ("reason",),
        "collect_basis": ("reason",), "direct": ("instruction",)}


def test_unknown_event_is_404():
    with pytest.raises(UnknownEvent) as info:
        lifecycle.fire(FakeCase(state="received"), "teleport", FakeActor("office"), {}, TODAY)
    assert info.value.status == 404


def test_unit_acts_only_on_its_own_cases():
    case = FakeCase(state="forwarded", unit_id=UNIT_ID)
    with pytest.raises(ActorNotAllowed):
        lifecycle.fire(case, "submit_draft", FakeActor("unit", UNIT_ID + 1), {"reply": "x"}, TODAY)
    assert case.state == "forwarded"


def test_refusal_needs_a_legal_reason():
    case = FakeCase(state="received")
    with pytest.raises(InvalidEventArguments):
        lifecycle.fire(case, "refuse", FakeActor("office"), {"reason": "because"}, TODAY)
    for reason in set(lifecycle.REFUSAL_REASONS) - {"no_answer_to_info_request"}:
        case = FakeCase(state="received")
        lifecycle.fire(case, "refuse", FakeActor("office"), {"reason": reason}, TODAY)
        assert case.state == "refused"


def test_no_answer_to_a_request_for_information_is_a_reason_only_once_the_citizen_had_the_time():
    """Brief: the citizen has 5 working days to answer before the case may be refused for it, counted
    from the day the request reached them (the service's fact ``info_answer_due``)."""
    office, reason = FakeActor("office"), {"reason": "no_answer_to_info_request"}
    waiting = dict(state="awaiting_info", due_step="citizen_info", due_date=date(2024, 3, 1))
    for case, due, why in ((FakeCase(state="received", due_step="classify"), date(2024, 3, 1), lifecycle.NOT_ASKED),
                           (FakeCase(**waiting), None, lifecycle.NOT_REACHED),  # never delivered, never told
                           (FakeCase(**waiting), TODAY, lifecycle.STILL_IN_TIME)):  # the last day
        with pytest.raises(InvalidEventArguments) as refused:
            lifecycle.fire(case, "refuse", office, reason, TODAY, facts={"info_answer_due": due})
        assert refused.value.why == why and case.state in ("received", "awaiting_info")
    with pytest.raises(InvalidEventArguments):  # a caller that read nothing: not reached
        lifecycle.fire(FakeCase(**waiting), "refuse", office, reason, TODAY)
    case = FakeCase(**waiting)
    lifecycle.fire(case, "refuse", office, reason, TODAY, facts={"info_answer_due": date(2024, 3, 1)})
    assert case.state == "refused"


def test_extend_only_once_and_before_the_due_date():
    unit = FakeActor("unit", UNIT_ID)
    case = FakeCase(state="forwarded", extension_count=1)
    with pytest.raises(TransitionNotAllowed, match="extend"):
        lifecycle.fire(case, "extend", unit, {"reason": "Cần lấy thêm ý kiến"}, TODAY)
    case = FakeCase(state="forwarded", due_date=TODAY)
    with pytest.raises(TransitionNotAllowed):
        lifecycle.fire(case, "extend", unit, {"reason": "Cần lấy thêm ý kiến"}, TODAY)
    case = FakeCase(state="forwarded", due_date=date(2024, 3, 5))
    lifecycle.fire(case, "extend", unit, {"reason": "Cần lấy thêm ý kiến"}, TODAY)
    assert case.state == "forwarded"


def test_the_holder_extends_the_unit_at_the_unit_the_leader_while_the_draft_waits_for_approval():
    """NĐ 61/2018 Art 19.9: the letter goes before the due date from whoever holds the case."""
    unit, leader = FakeActor("unit", UNIT_ID), FakeActor("leader")
    args = {"reason": "Cần lấy thêm ý kiến"}
    reviewed = FakeCase(state="under_review", due_date=date(2024, 3, 5))
    assert "extend" in lifecycle.allowed_events(reviewed, leader, TODAY)
    assert "extend" not in lifecycle.allowed_events(reviewed, unit, TODAY)
    with pytest.raises(ActorNotAllowed, match="Lãnh đạo Sở gia hạn"):
        lifecycle.fire(reviewed, "extend", unit, args, TODAY)
    lifecycle.fire(reviewed, "extend", leader, args, TODAY)
    assert reviewed.state == "under_review"
    handled = FakeCase(state="forwarded", due_date=date(2024, 3, 5))
    assert "extend" not in lifecycle.allowed_events(handled, leader, TODAY)
    with pytest.raises(ActorNotAllowed, match="Đơn vị đang xử lý"):
        lifecycle.fire(handled, "extend", leader, args, TODAY)
    with pytest.raises(ActorNotAllowed):  # another unit's case stays another unit's
        lifecycle.fire(handled, "extend", FakeActor("unit", UNIT_ID + 1), args, TODAY)
    lifecycle.fire(handled, "extend", unit, args, TODAY)


def test_publish_needs_the_citizens_consent():
    case = FakeCase(state="answered", consent_publish=False)
    with pytest.raises(TransitionNotAllowed):
        lifecycle.fire(case, "publish", FakeActor("office"), {}, TODAY)
    assert case.state == "answered"


def test_allowed_events_lists_what_the_buttons_show():
    assert lifecycle.allowed_events(FakeCase(state="received"), FakeActor("office"), TODAY) == [
        e for e in EVENTS if ("received", e) in ALLOWED and Role.OFFICE in EVENTS[e].roles]
    assert lifecycle.allowed_events(FakeCase(state="received"), FakeActor("unit", UNIT_ID), TODAY) == []
    assert set(lifecycle.allowed_events(FakeCase(state="forwarded"), FakeActor("unit", UNIT_ID), TODAY)) == {
        "return_to_office", "submit_draft", "extend", "collect_basis"}
    assert lifecycle.allowed_events(FakeCase(state="forwarded"), FakeActor("unit", UNIT_ID + 1), TODAY) == []


def test_diagram_sources_cover_every_transition():
    mermaid, dot = lifecycle.mermaid(), lifecycle.graphviz_dot()
    for source, event, dest in lifecycle.transitions_table():
        assert f"{source} --> {dest} : {event}" in mermaid
        assert f'{source} -> {dest} [label="{event}"]' in dot


def test_the_committed_diagram_is_the_machine_s_own():
    """docs/lifecycle.mmd (and the .svg drawn with it by `make diagram`) is redrawn when the machine changes."""
    from pathlib import Path
    committed = (Path(__file__).resolve().parent.parent / "docs" / "lifecycle.mmd").read_text("utf-8")
    assert committed == lifecycle.mermaid(), "the lifecycle changed: run `make diagram` and commit docs/lifecycle.*"


ANSWERED_AT = datetime(2024, 3, 15, 3, 0, tzinfo=timezone.utc)


def test_hcth_returns_an_answer_only_before_publication_only_as_office_and_only_with_a_reason():
    """QĐ 31/2021/QĐ-TTg Art 46: an unsuitable answer goes back to the unit that wrote it before publication."""
    office, reason = FakeActor("office"), {"reason": "Câu trả lời còn nêu họ tên cán bộ, chưa dẫn căn cứ."}
    case = FakeCase(state="answered", answered_at=ANSWERED_AT)
    move = lifecycle.fire(case, "return_answer", office, reason, TODAY)
    assert (move.source, move.dest, case.state, case.unit_id) == ("answered", "forwarded", "forwarded", UNIT_ID)
    assert move.args == reason
    for state in set(State) - {State.ANSWERED}:  # published above all: too late
        case = FakeCase(state=state.value, answered_at=ANSWERED_AT)
        with pytest.raises(TransitionNotAllowed):
            lifecycle.fire(case, "return_answer", office, reason, TODAY)
        assert case.state == state.value
    for role in set(Role) - {Role.OFFICE}:
        case = FakeCase(state="answered", answered_at=ANSWERED_AT)
        with pytest.raises(ActorNotAllowed):
            lifecycle.fire(case, "return_answer", FakeActor(role.value, UNIT_ID), reason, TODAY)
        assert case.state == "answered"
    for blank in ({}, {"reason": "   "}):
        case = FakeCase(state="answered", answered_at=ANSWERED_AT)
        with pytest.raises(InvalidEventArguments) as info:
            lifecycle.fire(case, "return_answer", office, blank, TODAY)
        assert info.value.errors == {"reason": "Trường này là bắt buộc."} and case.state == "answered"
    # without the citizen's consent there is no publication to review the answer for
    case = FakeCase(state="answered", answered_at=ANSWERED_AT, consent_publish=False)
    with pytest.raises(TransitionNotAllowed):
        lifecycle.fire(case, "return_answer", office, reason, TODAY)


def test_a_returned_answer_is_revised_not_handed_back_to_hcth_nor_extended():
    unit = FakeActor("unit", UNIT_ID)
    returned = FakeCase(state="forwarded", answered_at=ANSWERED_AT)
    assert lifecycle.allowed_events(returned, unit, TODAY) == ["submit_draft"]
    with pytest.raises(TransitionNotAllowed, match="return_to_office") as info:
        lifecycle.fire(returned, "return_to_office", unit, {"reason": "không thuộc thẩm quyền"}, TODAY)
    assert "Người gửi đã nhận câu trả lời" in info.value.why and "không trả lại Văn phòng" in info.value.why
    with pytest.raises(TransitionNotAllowed, match="extend") as info:
        lifecycle.fire(returned, "extend", unit, {"reason": "cần thêm thời gian"}, TODAY)
    assert "không gửi phiếu xin lỗi" in info.value.why and "Điều 19.9" in info.value.why
    with pytest.raises(TransitionNotAllowed, match="collect_basis") as info:
        lifecycle.fire(returned, "collect_basis", unit, {"reason": "chờ ý kiến Sở Tư pháp"}, TODAY)
    assert "không chuyển sang thu thập thêm cơ sở" in info.value.why
    assert returned.state == "forwarded"
    lifecycle.fire(returned, "submit_draft", unit, {"reply": "Câu trả lời đã hoàn thiện."}, TODAY)
    assert lifecycle.allowed_events(returned, FakeActor("leader"), TODAY) == ["request_changes", "approve"]
    lifecycle.fire(returned, "request_changes", FakeActor("leader"), {"note": "thêm căn cứ"}, TODAY)
    lifecycle.fire(returned, "submit_draft", unit, {"reply": "Câu trả lời đã hoàn thiện, có căn cứ."}, TODAY)
    lifecycle.fire(returned, "approve", FakeActor("leader"), {}, TODAY)
    assert returned.state == "answered"
    # a case never answered keeps both ways out
    assert set(lifecycle.allowed_events(FakeCase(state="forwarded"), unit, TODAY)) == {
        "return_to_office", "submit_draft", "extend", "collect_basis"}


def test_a_unit_without_enough_basis_collects_more_then_handles_it_with_the_deadline_running():
    """NĐ 20/2008 Art 14.2b (CHUA_DU_CO_SO): not a pause; while collecting, the unit may still send an
    apology letter or hand the case back, but drafts only once it goes on handling it."""
    unit = FakeActor("unit", UNIT_ID)
    case = FakeCase(state="forwarded")
    lifecycle.fire(case, "collect_basis", unit, {"reason": "chờ ý kiến Sở Tư pháp"}, TODAY)
    assert case.state == "collecting"
    assert set(lifecycle.allowed_events(case, unit, TODAY)) == {"resume_handling", "extend", "return_to_office"}
    with pytest.raises(TransitionNotAllowed):
        lifecycle.fire(case, "submit_draft", unit, {"reply": "Trả lời ..."}, TODAY)
    assert lifecycle.allowed_events(case, FakeActor("unit", UNIT_ID + 1), TODAY) == []
    lifecycle.fire(case, "resume_handling", unit, {}, TODAY)
    assert case.state == "forwarded" and State.COLLECTING in lifecycle.OPEN_STATES


def test_a_closed_case_is_archived_once_and_an_answer_waiting_for_publication_not_yet():
    case = FakeCase(state="published")
    move = lifecycle.fire(case, "archive", FakeActor("office"), {"reference": "12/PAKN-2024"}, TODAY)
    assert (move.source, move.dest, case.state) == ("published", "published", "published")  # stays public
    case.archived_at = datetime(2024, 3, 4, 2, tzinfo=timezone.utc)
    with pytest.raises(TransitionNotAllowed) as twice:
        lifecycle.fire(case, "archive", FakeActor("office"), {"reference": "13/PAKN-2024"}, TODAY)
    assert twice.value.why == "Hồ sơ đã được lưu trữ."
    waiting = FakeCase(state="answered", consent_publish=True)
    with pytest.raises(TransitionNotAllowed) as early:
        lifecycle.fire(waiting, "archive", FakeActor("office"), {"reference": "14/PAKN-2024"}, TODAY)
    assert "sau khi công khai" in early.value.why
    for state in ("received", "forwarded", "under_review"):  # still owed an answer
        with pytest.raises(TransitionNotAllowed):
            lifecycle.fire(FakeCase(state=state), "archive", FakeActor("office"), {"reference": "1"}, TODAY)
    assert EVENTS["archive"].public is False  # the records are HCTH's, not a step the citizen follows


@pytest.mark.parametrize("event,name,most", [("archive", "reference", 100), ("transfer_out", "agency", 300)])
def test_a_short_text_longer_than_its_column_is_refused_at_its_field(event, name, most):
    source = next(s for s, e in ALLOWED if e == event)
    args = {**VALID_ARGS[event], name: "x" * (most + 1)}
    with pytest.raises(InvalidEventArguments) as info:
        lifecycle.fire(fake(source, event), event, actor_for(event, source), args, TODAY)
    assert info.value.errors == {name: lifecycle.TOO_LONG}
    assert lifecycle.fire(fake(source, event), event, actor_for(event, source), {**args, name: "x" * most}, TODAY)


def test_information_is_not_requested_of_a_sender_who_left_no_way_to_be_reached():
    """Art 7.1: an anonymous letter without phone, e-mail or address is refused on that ground; a
    request for information would reach nobody and leave the case waiting."""
    nobody = FakeCase(state=State.RECEIVED.value, phone=None)
    with pytest.raises(TransitionNotAllowed) as refused:
        lifecycle.fire(nobody, "request_info", actor_for("request_info"), VALID_ARGS["request_info"], TODAY)
    assert "không gửi được đề nghị bổ sung" in refused.value.why and nobody.state == State.RECEIVED.value
    for way in ({"address": "Thôn Đông, xã Tịnh Ấn Tây"}, {"email": "a@example.com"}, {"phone": " 0905123456 "}):
        case = FakeCase(state=State.RECEIVED.value, **{"phone": None, **way})
        lifecycle.fire(case, "request_info", actor_for("request_info"), VALID_ARGS["request_info"], TODAY)
        assert case.state == State.AWAITING_INFO.value


def test_the_leader_directs_only_a_case_escalated_to_them():
    """Brief, second miss: the leader decides on an escalated case; a case that was not escalated
    takes no direction (its unit answers as usual), and the state never moves."""
    case = FakeCase(state=State.FORWARDED.value)
    with pytest.raises(TransitionNotAllowed) as refused:
        lifecycle.fire(case, "direct", actor_for("direct"), VALID_ARGS["direct"], TODAY)
    assert "quá ngày hẹn lại" in refused.value.why
    case.escalated_at = datetime(2024, 3, 1, 1, 0, tzinfo=timezone.utc)
    for _ in range(2):  # as often as the leader needs
        lifecycle.fire(case, "direct", actor_for("direct"), VALID_ARGS["direct"], TODAY)
        assert case.state == State.FORWARDED.value



def test_text_of_fillers_and_blank_patterns_alone_is_refused_and_visible_text_with_them_is_kept():
    for nothing in ("\u3164" * 12, "\u2800" * 12, "\u115f\u1160" * 6, "\ufe0f" * 12, "\U000e0041" * 12):
        assert lifecycle.has_unsafe_chars(nothing), repr(nothing)
    assert not lifecycle.has_unsafe_chars("Cần thêm ý kiến ❤️ của Sở Tài chính")
    assert lifecycle.visible("Sai\u200b đơn\u3164 vị") == "Sai đơn vị"
