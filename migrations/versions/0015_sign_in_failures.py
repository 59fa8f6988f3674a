"""Sign-in security: wrong passwords are counted per e-mail as typed and client address
(``sign_in_failures``) instead of on the account, so that nobody can lock a member of staff out from
elsewhere and the lock does not tell which e-mails are accounts; and each user gets a session version,
part of every session cookie's id, which signing out or a new password moves on (a copied cookie no
longer signs anyone in). Everyone signs in again after this upgrade.

Revision ID: 0015
Revises: 0014
"""
import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sign_in_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_failures")),
        sa.UniqueConstraint("email", "address", name="uq_sign_in_failure"),
    )
    op.create_index(op.f("ix_sign_in_failures_locked_until"), "sign_in_failures", ["locked_until"])
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("session_version", sa.Integer(), server_default=sa.text("0"), nullable=False))
        batch.drop_column("failed_logins")
        batch.drop_column("locked_until")


def downgrade():
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("failed_logins", sa.Integer(), server_default=sa.text("0"), nullable=False))
        batch.drop_column("session_version")
    op.drop_index(op.f("ix_sign_in_failures_locked_until"), table_name="sign_in_failures")
    op.drop_table("sign_in_failures")
