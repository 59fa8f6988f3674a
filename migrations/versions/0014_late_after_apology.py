"""Answers sent after an apology letter were judged against the letter's new date, so a case whose
first date was missed could count as answered early or on time. Judge the stored answers again
against the first date, as ``services.cases.first_answer_due_date`` now does when the leader approves:
the earliest ``missed_due_date`` of the case's letters for the answer step (NĐ 61/2018 Art 19.9).
Only answered cases with such a letter are read. The downgrade leaves the corrected figures.

Revision ID: 0014
Revises: 0013
"""
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
feedback = sa.table("feedback", sa.column("id", sa.Integer), sa.column("answered_at", sa.DateTime(timezone=True)),
                    sa.column("answered_due_date", sa.Date), sa.column("answered_on_time", sa.Boolean))
letters = sa.table("apology_letters", sa.column("feedback_id", sa.Integer), sa.column("step", sa.String),
                   sa.column("missed_due_date", sa.Date))


def _end_of_local_day(day):
    return datetime.combine(day + timedelta(days=1), time(0), LOCAL_TZ).astimezone(timezone.utc)


def upgrade():
    conn = op.get_bind()
    first = sa.func.min(letters.c.missed_due_date)
    rows = conn.execute(
        sa.select(feedback.c.id, feedback.c.answered_at, feedback.c.answered_due_date, feedback.c.answered_on_time,
                  first)
        .join(letters, sa.and_(letters.c.feedback_id == feedback.c.id, letters.c.step == "answer"))
        .where(feedback.c.answered_at.is_not(None))
        .group_by(feedback.c.id, feedback.c.answered_at, feedback.c.answered_due_date, feedback.c.answered_on_time)
    ).all()
    changes = []
    for case_id, answered_at, due, on_time, first_due in rows:
        if answered_at.tzinfo is None:  # SQLite hands back the stored UTC without its zone
            answered_at = answered_at.replace(tzinfo=timezone.utc)
        if first_due is None or (due is not None and due <= first_due):
            continue
        changes.append({"case_id": case_id, "due": first_due, "on_time": answered_at < _end_of_local_day(first_due)})
    if changes:
        conn.execute(feedback.update().where(feedback.c.id == sa.bindparam("case_id"))
                     .values(answered_due_date=sa.bindparam("due"), answered_on_time=sa.bindparam("on_time")),
                     changes)


def downgrade():
    pass  # the figures before were wrong; nothing to restore
