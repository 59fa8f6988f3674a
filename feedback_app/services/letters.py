"""Apology letters (phiếu xin lỗi và hẹn lại ngày trả kết quả, TT 01/2018/TT-VPCP Mẫu 04) under
NĐ 61/2018/NĐ-CP Art 19.9: stored with a sequential number per year, e-mailed to the citizen."""
from __future__ import annotations

from datetime import date

from flask import current_app

from workflows.clock import CLOCK
from workflows.deadlines import Due

from ..extensions import db
from ..models import ApologyLetter, Feedback
from . import outbox
from .sequences import next_value

DEFAULT_REASON = ("Do nội dung phản ánh, kiến nghị cần thêm thời gian nghiên cứu, phối hợp với các cơ quan, "
                  "đơn vị liên quan nên chưa trả lời được đúng hạn.")


def issue_letter(case: Feedback, *, missed_due_date: date, new_due: Due, reason: str | None,
                 automatic: bool) -> ApologyLetter:
    """Create the letter and queue its mail, inside the caller's transaction (no commit)."""
    today = CLOCK.today()
    letter = ApologyLetter(feedback=case, year=today.year, number=next_value(f"letter:{today.year}"),
                           step=new_due.step.value, issued_on=today, missed_due_date=missed_due_date,
                           new_due_date=new_due.date, reason=(reason or DEFAULT_REASON).strip(),
                           signer_title=current_app.config["AGENCY_SIGNER_TITLE"], automatic=automatic)
    db.session.add(letter)
    db.session.flush()
    if case.email:
        outbox.enqueue(f"letter:{letter.id}", "apology", case.email,
                       f"Phiếu xin lỗi và hẹn lại ngày trả kết quả - {case.code}", "apology",
                       feedback=case, attachment_ref=f"letter:{letter.id}", letter=letter)
    return letter
