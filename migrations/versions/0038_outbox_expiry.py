"""A staff mail that is only worth reading by a time (a reminder of a due date, the leader's digest of a day,
the request to write an automatic letter's reason before its mail leaves, the report reminder) carries that
time (``outbox.expires_at``); a mail server down past it leaves the mail ``expired``, not sent days late
(the outbox now waits for a server that cannot be reached, however long, instead of failing every mail).
The status constraint (``ck_outbox_status``) changes as ``feedback_app.migration_tools.change_check`` says;
the downgrade counts an expired mail as failed.

Revision ID: 0038
Revises: 0037
"""
import sqlalchemy as sa
from alembic import op

from feedback_app.migration_tools import change_check

revision = "0038"
down_revision = "0037"
branch_labels = None
depends_on = None

CONSTRAINT = "ck_outbox_status"
BEFORE = "status IN ('pending', 'sent', 'failed')"
AFTER = "status IN ('pending', 'sent', 'failed', 'expired')"


def upgrade():
    op.add_column("outbox", sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    change_check("outbox", CONSTRAINT, BEFORE, AFTER)


def downgrade():
    op.execute("UPDATE outbox SET status = 'failed' WHERE status = 'expired'")
    change_check("outbox", CONSTRAINT, AFTER, BEFORE)
    op.drop_column("outbox", "expires_at")
