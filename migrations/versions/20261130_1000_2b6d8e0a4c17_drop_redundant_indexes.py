"""Drop two indexes another already serves: audit events by (complaint_id, id), clocks by (status, due_at).

Every row written pays for each of its table's indexes, at a million complaints on a random page: the SLA
sweep's 20,000 audit events spent a third of their COPY on the (complaint_id, id) entries, and each clock it
reschedules wrote five index entries. A complaint's events are found through the unique (complaint_id, seq)
index of its hash chain and put in order among themselves (a few dozen rows at most); the drafted
follow-ups keep their own small partial index. Every read of clocks by deadline asks for running clocks,
which the partial index of running clocks answers; the breach audit reads a period of all clocks by scan.

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
    with op.batch_alter_table('clocks', schema=None) as batch_op:
        batch_op.drop_index('ix_clocks_status_due_at')


def downgrade():
    with op.batch_alter_table('clocks', schema=None) as batch_op:
        batch_op.create_index('ix_clocks_status_due_at', ['status', 'due_at'], unique=False)
    with op.batch_alter_table('complaint_events', schema=None) as batch_op:
        batch_op.create_index('ix_complaint_events_complaint_id_id', ['complaint_id', 'id'], unique=False)
