"""Drop the (complaint_id, id) index of the audit events: (complaint_id, seq) already leads with the complaint.

Every audit event written paid for two entries keyed by its complaint, each on a random page at a million
complaints: the SLA sweep's 20,000 events spent a third of their COPY there. A complaint's events are found
through the unique (complaint_id, seq) index of its hash chain and put in order among themselves (a few
dozen rows at most); the drafted follow-ups keep their own small partial index.

Revision ID: 2b6d8e0a4c17
Revises: 7e1f0c2b9d43
Create Date: 2026-11-30 10:00:00

"""
from alembic import op


revision = '2b6d8e0a4c17'
down_revision = '7e1f0c2b9d43'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('complaint_events', schema=None) as batch_op:
        batch_op.drop_index('ix_complaint_events_complaint_id_id')


def downgrade():
    with op.batch_alter_table('complaint_events', schema=None) as batch_op:
        batch_op.create_index('ix_complaint_events_complaint_id_id', ['complaint_id', 'id'], unique=False)
