"""The published search no longer indexes the mask "[đã ẩn]" as words of a case: searching "đã ẩn" (or
"da an") listed every published case with personal data masked. The published cases whose public copy has
a mask get their ``search_text`` again without it (the triggers of 0009 update the search index).

Revision ID: 0035
Revises: 0034
"""
import sqlalchemy as sa
from alembic import op

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None

BATCH = 5000


def upgrade():
    from feedback_app.redaction import MASK, search_words

    bind = op.get_bind()
    feedback = sa.table("feedback", sa.column("id", sa.Integer), sa.column("code", sa.String),
                        sa.column("state", sa.String), sa.column("public_title", sa.String),
                        sa.column("public_question", sa.Text), sa.column("public_answer", sa.Text),
                        sa.column("search_text", sa.Text))
    texts = (feedback.c.public_title, feedback.c.public_question, feedback.c.public_answer)
    masked = sa.or_(*(t.contains(MASK, autoescape=True) for t in texts))
    last = 0
    while True:
        rows = bind.execute(sa.select(feedback.c.id, feedback.c.code, *texts)
                            .where(feedback.c.state == "published", masked, feedback.c.id > last)
                            .order_by(feedback.c.id).limit(BATCH)).all()
        if not rows:
            return
        bind.execute(feedback.update().where(feedback.c.id == sa.bindparam("row_id"))
                     .values(search_text=sa.bindparam("words")),
                     [{"row_id": r.id, "words": search_words(r.code, r.public_title, r.public_question,
                                                             r.public_answer)} for r in rows])
        last = rows[-1].id


def downgrade():
    pass  # the words without the mask serve the code before this revision as well
