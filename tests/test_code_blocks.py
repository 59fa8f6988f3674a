"""Tracking codes from blocks (services/sequences.py): each worker reserves CODE_BLOCK_SIZE numbers of
the day at a time and hands them out from memory. Codes stay unique across workers, a new day starts
at 1 again, and a submission inside a transaction that already writes on SQLite does not wait for
itself."""
from __future__ import annotations

import signal

from sqlalchemy import select

from feedback_app import create_app
from feedback_app.extensions import db
from feedback_app.models import Counter, Feedback
from feedback_app.services import sequences
from feedback_app.services.cases import receive
from tests.test_cases_service import SUBMISSION


def _number(code: str) -> int:
    return int(code.rsplit(".", 1)[1])


def test_two_workers_take_their_own_blocks_and_never_share_a_code(app, clock, tmp_path):
    app.config["CODE_BLOCK_SIZE"] = 3
    other = create_app("testing", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                       UPLOAD_DIR=str(tmp_path / "other-uploads"), CODE_BLOCK_SIZE=3)
    codes = []
    for i in range(8):
        if i % 2:  # the other worker
            with other.app_context():
                codes.append(receive(SUBMISSION).code)
                db.session.remove()
                db.engine.dispose()
        else:
            codes.append(receive(SUBMISSION).code)
    assert [_number(c) for c in codes] == [1, 4, 2, 5, 3, 6, 7, 10]
    assert all(c.startswith("PAKN.20240304.") for c in codes)
    stored = db.session.execute(select(Feedback.code)).scalars().all()
    assert sorted(stored) == sorted(codes) and len(set(stored)) == 8
    assert db.session.execute(select(Counter.value).where(Counter.name == "code:20240304")).scalar_one() == 12


def test_a_new_day_starts_at_one_and_a_day_back_goes_on_from_its_own_block(app, clock):
    app.config["CODE_BLOCK_SIZE"] = 5
    assert receive(SUBMISSION).code == "PAKN.20240304.0001"
    clock.set("2024-03-05T08:00:00+07:00")
    assert receive(SUBMISSION).code == "PAKN.20240305.0001"
    assert receive(SUBMISSION).code == "PAKN.20240305.0002"
    clock.set("2024-03-04T16:00:00+07:00")  # the demo back-dates its cases
    assert receive(SUBMISSION).code == "PAKN.20240304.0002"


def test_only_a_few_blocks_are_kept():
    blocks = sequences.Blocks()
    for day in range(40):
        assert blocks.take(f"code:{day}", 10, lambda name, size: size) == 1
    assert len(blocks._blocks) == sequences.KEPT_BLOCKS and "code:39" in blocks._blocks


def test_a_submission_in_a_transaction_that_already_writes_does_not_wait_for_itself(app, clock):
    """On SQLite a second connection could not reserve a block while this session writes (one writer
    per file): the number is then taken in the session's own transaction."""
    def hung(*_):
        raise TimeoutError("the second submission waited for the first one's lock")

    app.config["CODE_BLOCK_SIZE"] = 1  # the second submission must reserve
    first = receive(SUBMISSION, commit=False)
    previous = signal.signal(signal.SIGALRM, hung)  # a wait here would never end: fail instead
    signal.alarm(20)
    try:
        second = receive(SUBMISSION, commit=False)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    db.session.commit()
    codes = db.session.execute(select(Feedback.code)).scalars().all()
    assert sorted(codes) == sorted([first.code, second.code]) and len(set(codes)) == 2


def test_a_forked_worker_never_reuses_its_parents_block(monkeypatch):
    blocks, reserved = sequences.Blocks(), []

    def reserve(name, size):
        reserved.append(size)
        return 10 * len(reserved)

    assert [blocks.take("code:x", 10, reserve) for _ in range(2)] == [1, 2]
    monkeypatch.setattr(sequences.os, "getpid", lambda: -1)  # as in a child after fork()
    assert blocks.take("code:x", 10, reserve) == 11
    assert reserved == [10, 10]
