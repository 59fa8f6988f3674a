"""Notices owed to citizens without an e-mail address (``citizen_notices``): NĐ 20/2008 Art 7.1 lets a
PAKN give a phone number or a postal address only, so what the others read in their mail HCTH tells by
phone or sends by post, and records how, when and who. ``feedback.info_request_key`` names the mail or
notice that carried the latest request for information: a case is refused for "no answer" only once
that request reached the citizen and their time to answer is over. The cases waiting for the citizen
now get the key of their latest request's mail.

Revision ID: 0021
Revises: 0020
"""
import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "citizen_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("feedback_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("attachment_ref", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("owed_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("given_how", sa.String(length=8), nullable=True),
        sa.Column("given_on", sa.Date(), nullable=True),
        sa.Column("given_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("given_by_id", sa.Integer(), nullable=True),
        sa.Column("given_by_label", sa.String(length=200), nullable=True),
        sa.CheckConstraint("given_how IN ('phone', 'post')", name=op.f("ck_citizen_notices_given_how")),
        sa.CheckConstraint("(given_how IS NULL) = (given_on IS NULL)",
                           name=op.f("ck_citizen_notices_given_together")),
        sa.ForeignKeyConstraint(["feedback_id"], ["feedback.id"], name=op.f("fk_citizen_notices_feedback_id_feedback"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["given_by_id"], ["users.id"], name=op.f("fk_citizen_notices_given_by_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen_notices")),
        sa.UniqueConstraint("key", name=op.f("uq_citizen_notices_key")),
    )
    op.create_index(op.f("ix_citizen_notices_feedback_id"), "citizen_notices", ["feedback_id"])
    op.create_index("ix_citizen_notices_owed", "citizen_notices", ["given_at", "owed_from"])
    op.add_column("feedback", sa.Column("info_request_key", sa.String(length=200), nullable=True))
    op.execute("UPDATE feedback SET info_request_key = (SELECT o.key FROM outbox o WHERE o.feedback_id = feedback.id "
               "AND o.kind = 'request_info' ORDER BY o.id DESC LIMIT 1) WHERE state = 'awaiting_info'")


def downgrade():
    # ALTER TABLE … DROP COLUMN, also on SQLite (3.35 and later): a batch copy would lose the triggers of 0009
    op.drop_column("feedback", "info_request_key")
    op.drop_index("ix_citizen_notices_owed", table_name="citizen_notices")
    op.drop_index(op.f("ix_citizen_notices_feedback_id"), table_name="citizen_notices")
    op.drop_table("citizen_notices")
