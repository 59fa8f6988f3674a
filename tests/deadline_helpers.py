"""Helpers shared by the deadline, letter and outbox tests (not a test module)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from feedback_app.extensions import db
from feedback_app.models import Feedback
from feedback_app.services.cases import Submission, apply_event, receive

SUBMISSION = Submission(full_name="Nguyễn Văn An", address="Số 12 đường Lê Lợi, Quảng Ngãi", phone="0905123456",
                        email="an@example.com", title="Thời hạn giải quyết thủ tục đăng ký kết quả nhiệm vụ",
                        content="Đề nghị cho biết thời hạn giải quyết thủ tục đăng ký kết quả nhiệm vụ KH&CN.")


def forwarded_case(seeded, unit="QLKH", submission=SUBMISSION) -> Feedback:
    """Received and forwarded on Monday 4 March 2024: the answer is due Monday 25 March 2024."""
    case = receive(submission)
    apply_event(case, "classify", seeded["office"], {"category": "TTHC"})
    apply_event(case, "forward", seeded["office"], {"unit": unit})
    assert case.due_date == date(2024, 3, 25)
    return case


def sign_in(client, user) -> None:
    from flask import g
    g.pop("_login_user", None)  # the test's app context outlives requests: forget the last user
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()


def count(model, *where) -> int:
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()




def in_parallel(app, work, n: int = 3) -> list:
    """Run ``work()`` in ``n`` threads at once, each in its own app context; their results."""
    import threading
    results, errors = [], []
    barrier = threading.Barrier(n)

    def run():
        try:
            with app.app_context():
                barrier.wait()
                results.append(work())
                db.session.remove()
        except Exception as exc:  # pragma: no cover - shown by the assertion
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert len(results) == n
    return results
