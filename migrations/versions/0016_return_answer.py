"""HCTH returns an unsuitable answer to the unit before publication (QĐ 31/2021/QĐ-TTg Art 46):

- ``feedback.answer_text``: the answer the citizen holds, as last approved and mailed; ``reply_text`` is
  the unit's draft again while a returned answer is revised. Filled from ``reply_text`` for the cases
  already answered (their draft is their answer).
- ``feedback.revised_at``: when a revised answer was approved (``answered_at`` stays the first answer's,
  which the reports read).
- the step ``revise_answer`` joins the allowed values of ``feedback.due_step`` (``ck_feedback_due_step``).

Changing a CHECK constraint: PostgreSQL drops and adds it. SQLite cannot alter one, and a batch copy of
the table would drop the published-search triggers (0009) and the expression index of 0005/0008, and
rewrite a million rows; the constraint only accepts one value more, which every stored row already
satisfies, so its text is edited in the schema as SQLite documents for removing a CHECK constraint
(https://www.sqlite.org/lang_altertable.html, "Making Other Kinds Of Table Schema Changes").
The downgrade moves a case being revised back to the answer step before the older constraint returns.

Revision ID: 0016
Revises: 0015
"""
import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

CONSTRAINT = "ck_feedback_due_step"
BEFORE = "due_step IS NULL OR due_step IN ('classify', 'citizen_info', 'answer', 'publish')"
AFTER = "due_step IS NULL OR due_step IN ('classify', 'citizen_info', 'answer', 'publish', 'revise_answer')"


def _check(old: str, new: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(f"ALTER TABLE feedback DROP CONSTRAINT {CONSTRAINT}, ADD CONSTRAINT {CONSTRAINT} CHECK ({new})")
        return
    if bind.dialect.name != "sqlite":
        raise NotImplementedError(bind.dialect.name)
    sql = bind.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'feedback'").scalar_one()
    if sql.count(old) != 1:
        raise RuntimeError(f"{CONSTRAINT}: expected ({old}) once in the table's definition")
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    try:
        bind.exec_driver_sql("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'feedback'",
                             (sql.replace(old, new),))
        bind.exec_driver_sql(f"PRAGMA schema_version = {version + 1}")  # every connection reads the schema again
    finally:
        bind.exec_driver_sql("PRAGMA writable_schema = OFF")
    problems = bind.exec_driver_sql("PRAGMA quick_check").scalars().all()
    if problems != ["ok"]:
        raise RuntimeError(f"the database after changing {CONSTRAINT}: {problems}")


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
