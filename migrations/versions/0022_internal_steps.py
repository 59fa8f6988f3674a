"""The hand-offs among HCTH, the unit and the leader (``submit_draft``, ``request_changes``,
``return_to_office``) are no step of the citizen's: their audit rows, written public before, are not
shown on the status page or in the public API any more (``EventSpec.public``).

Revision ID: 0022
Revises: 0021
"""
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

INTERNAL = "('submit_draft', 'request_changes', 'return_to_office')"


def upgrade():
    op.execute(f"UPDATE transitions SET public = false WHERE event IN {INTERNAL}")


def downgrade():
    op.execute(f"UPDATE transitions SET public = true WHERE event IN {INTERNAL}")
