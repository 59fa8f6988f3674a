"""The state ``collecting`` (CHUA_DU_CO_SO, NĐ 20/2008 Art 14.2b): a unit judged there is not enough
basis yet and collects more before handling the PAKN. It joins the allowed values of ``feedback.state``
(``ck_feedback_state``), changed as ``feedback_app.migration_tools.change_check`` says. The downgrade
puts a case still collecting back to ``forwarded``, the state it came from and goes back to.

Revision ID: 0020
Revises: 0019
"""
from alembic import op

from feedback_app.migration_tools import change_check

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

CONSTRAINT = "ck_feedback_state"
BEFORE = "state IN ('received', 'awaiting_info', 'classified', 'refused', 'transferred', 'forwarded', 'under_review', 'answered', 'published')"
AFTER = "state IN ('received', 'awaiting_info', 'classified', 'refused', 'transferred', 'forwarded', 'collecting', 'under_review', 'answered', 'published')"


def upgrade():
    change_check("feedback", CONSTRAINT, BEFORE, AFTER)


def downgrade():
    op.execute("UPDATE feedback SET state = 'forwarded' WHERE state = 'collecting'")
    change_check("feedback", CONSTRAINT, AFTER, BEFORE)
