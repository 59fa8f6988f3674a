"""The unit's officer who handles a case (chuyên viên xử lý, services.assignment.assign): ``feedback.assignee_id``,
indexed for the unit's list of an officer's own cases.

Revision ID: 0031
Revises: 0030
"""
import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


# plain ALTER TABLE, also on SQLite: a batch copy of ``feedback`` would lose the triggers of 0009 (see 0016).
# SQLite adds a foreign key only inside the column's definition, which Alembic does not write.
def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE feedback ADD COLUMN assignee_id INTEGER "
                   "CONSTRAINT fk_feedback_assignee_id_users REFERENCES users (id)")
    else:
        op.add_column("feedback", sa.Column("assignee_id", sa.Integer(),
                                            sa.ForeignKey("users.id", name=op.f("fk_feedback_assignee_id_users")),
                                            nullable=True))
    op.create_index(op.f("ix_feedback_assignee_id"), "feedback", ["assignee_id"])


def downgrade():
    op.drop_index(op.f("ix_feedback_assignee_id"), table_name="feedback")
    op.drop_column("feedback", "assignee_id")
