"""reports and webhooks: answered_due_date and closed_at on feedback, report indexes, webhook deliveries

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa

revision = '0005'
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.add_column(sa.Column('answered_due_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))
    # closed_at of the cases refused or transferred before this revision, from the audit trail
    op.execute("UPDATE feedback SET closed_at = (SELECT MIN(t.at) FROM transitions t WHERE t.feedback_id = feedback.id "
               "AND t.to_state = feedback.state AND t.from_state <> t.to_state) "
               "WHERE state IN ('refused', 'transferred')")
    op.create_index('ix_feedback_settled', 'feedback', [sa.text('coalesce(answered_at, closed_at)')], unique=False)
    op.create_index('ix_feedback_published_at', 'feedback', ['published_at'], unique=False)
    op.create_index(op.f('ix_apology_letters_issued_on'), 'apology_letters', ['issued_on'], unique=False)
    op.create_index(op.f('ix_ratings_created_at'), 'ratings', ['created_at'], unique=False)

    op.create_table('webhook_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('transition_id', sa.Integer(), nullable=False),
    sa.Column('feedback_id', sa.Integer(), nullable=True),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'sent', 'failed')", name=op.f('ck_webhook_deliveries_status')),
    sa.ForeignKeyConstraint(['feedback_id'], ['feedback.id'], name=op.f('fk_webhook_deliveries_feedback_id_feedback'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['transition_id'], ['transitions.id'], name=op.f('fk_webhook_deliveries_transition_id_transitions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_deliveries')),
    sa.UniqueConstraint('transition_id', name=op.f('uq_webhook_deliveries_transition_id'))
    )
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_webhook_deliveries_feedback_id'), ['feedback_id'], unique=False)


def downgrade():
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_deliveries_feedback_id'))
        batch_op.drop_index('ix_webhook_due')
    op.drop_table('webhook_deliveries')
    op.drop_index(op.f('ix_ratings_created_at'), table_name='ratings')
    op.drop_index(op.f('ix_apology_letters_issued_on'), table_name='apology_letters')
    op.drop_index('ix_feedback_published_at', table_name='feedback')
    op.drop_index('ix_feedback_settled', table_name='feedback')
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.drop_column('closed_at')
        batch_op.drop_column('answered_due_date')
