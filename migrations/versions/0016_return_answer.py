"""HCTH returns an unsuitable answer to the unit before publication (QĐ 31/2021/QĐ-TTg Art 46):

- ``feedback.answer_text``: the answer the citizen holds, as last approved and mailed; ``reply_text`` is
  the unit's draft again while a returned answer is revised. Filled from ``reply_text`` for the cases
  already answered (their draft is their answer).
- ``feedback.revised_at``: when a revised answer was approved (``answered_at`` stays the first answer's,
  which the reports read).
- the step ``revise_answer`` joins the allowed values of ``feedback.due_step`` (``ck_feedback_due_step``).

The CHECK constraint changes as ``feedback_app.migration_tools.change_check`` says (no batch copy on SQLite).
The downgrade moves a case being revised back to the answer step before the older constraint returns.

Revision ID: 0016
Revises: 0015
"""
import sqlalchemy as sa
from alembic import op

from feedback_app.migration_tools import change_check

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

CONSTRAINT = "ck_feedback_due_step"
BEFORE = "due_step IS NULL OR due_step IN ('classify', 'citizen_info', 'answer', 'publish')"
AFTER = "due_step IS NULL OR due_step IN ('classify', 'citizen_info', 'answer', 'publish', 'revise_answer')"


def _check(old: str, new: str) -> None:
    change_check("feedback", CONSTRAINT, old, new)


def upgrade():
    op.add_column("feedback", sa.Column("answer_text", sa.Text(), nullable=True))
    op.add_column("feedback", sa.Column("revised_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE feedback SET answer_text = reply_text WHERE answered_at IS NOT NULL")
    _check(BEFORE, AFTER)


def downgrade():
    op.execute("UPDATE feedback SET due_step = 'answer' WHERE due_step = 'revise_answer'")
    _check(AFTER, BEFORE)
    # ALTER TABLE … DROP COLUMN, also on SQLite (3.35 and later): a batch copy would lose the triggers of 0009
    op.drop_column("feedback", "revised_at")
    op.drop_column("feedback", "answer_text")
