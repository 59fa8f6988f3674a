"""The report counts a case overdue at the end of a period by the sweep's overdue mark of the step it
was at then (``deadline_notices`` of kind ``overdue``), also after the case moved on: an index on
(kind, due_date) reads the marks due by the period's last day instead of every notice.

Revision ID: 0027
Revises: 0026
"""
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_deadline_notices_kind_due", "deadline_notices", ["kind", "due_date"])


def downgrade():
    op.drop_index("ix_deadline_notices_kind_due", table_name="deadline_notices")
