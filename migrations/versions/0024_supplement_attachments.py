"""Files the citizen sends with the supplementary information HCTH asked for (``provide_info``): the kind
``supplement`` joins the allowed values of ``attachments.kind`` (``ck_attachments_kind``), so that staff
tell them from the files sent with the PAKN; ``created_at`` dates them. The constraint changes as
``feedback_app.migration_tools.change_check`` says. The downgrade keeps such files as the citizen's
(``submission``) before the older constraint returns.

Revision ID: 0024
Revises: 0023
"""
from alembic import op

from feedback_app.migration_tools import change_check

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

CONSTRAINT = "ck_attachments_kind"
BEFORE = "kind IN ('submission', 'reply')"
AFTER = "kind IN ('submission', 'supplement', 'reply')"


def upgrade():
    change_check("attachments", CONSTRAINT, BEFORE, AFTER)


def downgrade():
    op.execute("UPDATE attachments SET kind = 'submission' WHERE kind = 'supplement'")
    change_check("attachments", CONSTRAINT, AFTER, BEFORE)
