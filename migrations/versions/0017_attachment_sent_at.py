"""A unit's file records when the approval that mailed it to the citizen was given
(``attachments.sent_at``). Which files the citizen holds was inferred from the time a file was added
against the time of the answer, which a frozen clock (PAKN_NOW) or a file added in the same instant
got wrong: a file of a revision's draft could count as sent. The files of the answers already given
are filled in from their case's answer (its revision's approval when there was one).

Revision ID: 0017
Revises: 0016
"""
import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("attachments") as batch:
        batch.add_column(sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True))
    # the answer the citizen holds: its time, and the reply files added up to it
    sent = "(SELECT COALESCE(f.revised_at, f.answered_at) FROM feedback f WHERE f.id = attachments.feedback_id)"
    op.execute(f"UPDATE attachments SET sent_at = {sent} WHERE kind = 'reply' AND created_at <= {sent}")


def downgrade():
    with op.batch_alter_table("attachments") as batch:
        batch.drop_column("sent_at")
