"""Property-based tests (hypothesis) on the pure code every deadline, search and publication relies on:
the working-day calendar with an admin's overrides, the deadline rules, diacritic folding and the
masking of personal data. tests/test_calendar.py checks the plain calendar; here the calendar is
random too. Examples are bounded so that the file runs in a few seconds.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta, timezone

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from feedback_app import create_app
from feedback_app.redaction import MASK, redact
from feedback_app.text import fold, search_terms
from workflows.calendar import WorkingCalendar
from workflows.deadlines import CaseClock, Deadlines, Due, Rules, Step

bounded = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- the calendar, with random overrides by an admin --------------------------------------------

FIRST, LAST = date(2024, 1, 1), date(2026, 12, 31)
dates = st.dates(min_value=FIRST, max_value=LAST)
weekend_dates = dates.map(lambda d: d + timedelta(days=(5 - d.weekday()) % 7))  # the next Saturday

_APP = create_app("testing")  # the Babel settings (Asia/Ho_Chi_Minh); no database is opened


@st.composite
def calendars(draw) -> WorkingCalendar:
    """A calendar with days off announced later and Saturdays worked in exchange, as an admin keeps them."""
    off = draw(st.sets(dates, max_size=25))
    worked = draw(st.sets(weekend_dates, max_size=6)) - off
    return WorkingCalendar(days_off={d: "Nghỉ theo thông báo" for d in off},
                           working_days={d: "Ngày làm bù" for d in worked})


counts = st.integers(min_value=0, max_value=45)


@bounded
@given(calendars(), dates, counts)
def test_counting_the_working_days_to_a_due_date_gives_back_the_days_added(cal, start, n):
    assert cal.count_working_days(start, cal.add_working_days(start, n)) == n


@bounded
@given(calendars(), dates, st.integers(min_value=1, max_value=45))
def test_a_due_date_is_never_a_weekend_or_a_day_off(cal, start, n):
    due = cal.add_working_days(start, n)
    assert due > start and cal.is_working_day(due) and cal.day_off_name(due) is None
    if due.weekday() >= 5:  # only a Saturday or Sunday worked in exchange
        assert due in {note.date for note in cal.make_up_working_days(due.year)}


@bounded
@given(calendars(), dates, st.booleans())
def test_the_next_working_day_is_a_working_day_with_only_days_off_before_it(cal, day, include_self):
    following = cal.next_working_day(day, include_self=include_self)
    assert cal.is_working_day(following)
    assert following >= day if include_self else following > day
    first_candidate = day if include_self else day + timedelta(days=1)
    between = [first_candidate + timedelta(k) for k in range((following - first_candidate).days)]
    assert not any(cal.is_working_day(d) for d in between)


EVENTS = ("request_info", "provide_info", "forward", "return_to_office", "approve", "extend", "classify")


@bounded
@given(calendars(), dates, st.integers(min_value=0, max_value=10), st.sampled_from(EVENTS), st.booleans())
def test_every_deadline_the_rules_set_falls_on_a_working_day(cal, received, waited, event, consent):
    rules = Deadlines(cal, Rules())
    received = cal.next_working_day(received)
    due = rules.on_receipt(received)
    if event == "provide_info":  # the clock was stopped by a request for information first
        due = Due.counted(Step.CITIZEN_INFO, received, 5, cal)
    elif event == "extend":
        due = Due.counted(Step.ANSWER, received, 15, cal)
    today = cal.add_working_days(received, waited) if event != "extend" else due.date
    clock = CaseClock(received_on=received, due=due, paused_days=0, consent_publish=consent)
    change = rules.after(event, clock, today)
    if change.due is not None:
        assert cal.is_working_day(change.due.date), (event, change.due)
        if event != "classify":  # classify keeps the step's date, even an overdue one; the others set a new one
            assert change.due.date >= today


# --- folding for search ---------------------------------------------------------------------------

VOWELS = "aăâeêioôơuưy"
TONES = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")  # huyền, sắc, hỏi, ngã, nặng
LETTERS = sorted({unicodedata.normalize("NFC", v + t) for v in VOWELS for t in TONES} | set("bcdđghklmnpqrstvx"))
vietnamese_letters = st.sampled_from(LETTERS + [c.upper() for c in LETTERS])
vietnamese_words = st.text(vietnamese_letters, min_size=1, max_size=8)
vietnamese_text = st.lists(st.one_of(vietnamese_words, st.sampled_from([" ", "  ", "\t", "\n", ", ", ". ", "0", "42",
                                                                        "?", "-", "%", "_"])),
                           max_size=25).map("".join)
decomposed = vietnamese_text.map(lambda s: unicodedata.normalize("NFD", s))


@bounded
@given(st.one_of(vietnamese_text, decomposed))
def test_folding_vietnamese_text_gives_plain_lowercase_ascii(text):
    folded = fold(text)
    assert folded.isascii()
    assert folded == folded.lower() and folded == folded.strip() and "  " not in folded


@bounded
@given(st.one_of(vietnamese_text, decomposed, st.text(max_size=40)))
def test_folding_is_idempotent_for_any_text(text):
    assert fold(fold(text)) == fold(text)


@bounded
@given(vietnamese_text)
def test_composed_and_decomposed_spellings_fold_alike(text):
    assert fold(unicodedata.normalize("NFD", text)) == fold(unicodedata.normalize("NFC", text))


@bounded
@given(st.one_of(vietnamese_text, decomposed, st.text(max_size=60)))
def test_folding_each_distinct_character_gives_the_letters_of_the_folded_text(text):
    """is_clear_content counts the letters of the folded text by folding each distinct character once."""
    assert set(fold("".join(set(text))).replace(" ", "")) == set(fold(text).replace(" ", ""))


@bounded
@given(st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2090, 12, 31),
                    timezones=st.sampled_from([None, timezone.utc, timezone(timedelta(hours=7)),
                                               timezone(timedelta(hours=-5, minutes=-30))])))
def test_dates_in_digits_read_as_babel_writes_them(value):
    """The pages' |dt and |d filters skip Babel for digits-only patterns; the text must not change."""
    from flask_babel import format_date, format_datetime

    from feedback_app.views_common import local_d, local_dt
    with _APP.test_request_context():
        for pattern in ("dd/MM/yyyy HH:mm", "dd/MM/yyyy"):
            assert local_dt(value, pattern) == format_datetime(value, pattern)
        assert local_d(value) == format_date(value, "dd/MM/yyyy")
        assert local_d(value.date()) == format_date(value.date(), "dd/MM/yyyy")


@bounded
@given(st.text(max_size=300))
def test_search_terms_are_bounded_whatever_is_typed(query):
    terms = search_terms(query)
    assert len(terms) <= 10 and all(0 < len(t) <= 100 for t in terms) and len(set(terms)) == len(terms)


# --- masking personal data before publication -----------------------------------------------------

SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Võ", "Đặng", "Bùi", "Đỗ"]
GIVEN = ["Văn An", "Thị Bình", "Minh Cường", "Thị Dung", "Hữu Đức", "Quốc Bảo", "Thị Hồng", "Ngọc Lan"]
names = st.builds(lambda s, g: f"{s} {g}", st.sampled_from(SURNAMES), st.sampled_from(GIVEN))
phones = st.builds(lambda prefix, rest: prefix + rest,
                   st.sampled_from(["09", "03", "08", "07", "05", "02"]),
                   st.text("0123456789", min_size=8, max_size=9))
emails = st.builds(lambda local, host: f"{local}@{host}",
                   st.from_regex(r"[a-z][a-z0-9._]{1,12}[a-z0-9]", fullmatch=True),
                   st.sampled_from(["gmail.com", "yahoo.com.vn", "quangngai.gov.vn", "fpt.vn"]))
filler = st.lists(vietnamese_words, max_size=8).map(" ".join)


def spaced(phone: str, draw) -> str:
    """The phone as a citizen writes it: grouped with spaces, dots or dashes, or not at all."""
    sep = draw(st.sampled_from(["", " ", ".", "-"]))
    return sep.join(re.findall(r".{1,4}", phone)) if sep else phone


@st.composite
def letters_with_contacts(draw):
    name, phone, email = draw(names), draw(phones), draw(emails)
    written_phone = spaced(phone, draw)
    parts = [draw(filler), f"Tôi là {name}", draw(filler), f"SĐT: {written_phone}", draw(filler),
             f"email {email}.", draw(filler), f"liên hệ {phone} hoặc {email.upper()}", draw(filler)]
    return " ".join(parts), {"name": name, "phone": phone, "email": email, "written_phone": written_phone}


@bounded
@given(letters_with_contacts())
def test_masking_never_leaves_the_senders_phone_or_email_in_the_text(case):
    text, known = case
    masked = redact(text, [known["name"], known["phone"], known["email"]])
    for value in (known["phone"], known["written_phone"], known["email"]):
        assert value.lower() not in masked.lower(), value
    assert fold(known["name"]) not in fold(masked)
    assert MASK in masked


@bounded
@given(letters_with_contacts())
def test_masking_is_idempotent(case):
    text, known = case
    values = [known["name"], known["phone"], known["email"]]
    once = redact(text, values)
    assert redact(once, values) == once


@bounded
@given(vietnamese_text)
def test_text_without_personal_data_or_known_values_is_left_alone(text):
    assume(not re.search(r"\d", text))  # digits could form a phone or ID number
    assume(not re.search(r"(?i)\b(?:tôi|ông|bà|anh|chị|em|số|nhà|tổ|thôn|xóm|ấp|ngõ|ngách|hẻm|kiệt)\b", text))
    assert redact(text) == text


@bounded
@given(calendars(), dates, st.integers(min_value=0, max_value=10), st.booleans())
def test_the_moves_the_report_reads_across_keep_the_step_and_its_date_and_the_others_do_not(cal, received, waited, consent):
    """``SAME_STEP_MOVES``: an overdue mark stays in force across them (the report's overdue at a period's
    end), so each must leave the step and its due date as they were, and every other move of the
    lifecycle between states must not."""
    from workflows.deadlines import SAME_STEP_MOVES
    from workflows.lifecycle import EVENTS as LIFECYCLE

    rules = Deadlines(cal, Rules())
    received = cal.next_working_day(received)
    today = cal.add_working_days(received, waited)
    for event, spec in LIFECYCLE.items():
        if spec.dest is None:
            continue  # an internal event: no change of state, never read as a move
        step = Step.CITIZEN_INFO if event == "provide_info" else Step.ANSWER if event in (
            "submit_draft", "request_changes", "collect_basis", "resume_handling", "return_to_office", "approve") \
            else Step.PUBLISH if event in ("return_answer", "publish") else Step.CLASSIFY
        due = Due.counted(step, received, 5, cal)
        clock = CaseClock(received_on=received, due=due, paused_days=0, consent_publish=consent)
        after = rules.after(event, clock, today).due
        same = after is not None and (after.step, after.date) == (due.step, due.date)
        assert same == (event in SAME_STEP_MOVES), (event, due, after)
