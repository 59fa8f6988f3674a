"""The administration's own trail (nhật ký quản trị, services.admin_log): who changed an account, an API
token, a unit, a field or the working-day calendar, when, and what changed.

Revision ID: 0032
Revises: 0031
"""
import sqlalchemy as sa
from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "admin_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), sa.ForeignKey("users.id", name=op.f("fk_admin_events_actor_id_users"),
                                                          ondelete="SET NULL"), nullable=True),
        sa.Column("actor_label", sa.String(200), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("details", sa.Text(), nullable=True),
    )
    op.create_index(op.f("ix_admin_events_at"), "admin_events", ["at"])
    op.create_index(op.f("ix_admin_events_action"), "admin_events", ["action"])


def downgrade():
    op.drop_index(op.f("ix_admin_events_action"), table_name="admin_events")
    op.drop_index(op.f("ix_admin_events_at"), table_name="admin_events")
    op.drop_table("admin_events")
