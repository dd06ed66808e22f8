"""Index the running clocks, the open complaints and the drafted follow-ups: what the staff queues read.

At a million complaints the queues read the running clocks (a few in a hundred: only open complaints run
one) through (status, due_at) and the table behind it; the escalated, stuck and open queues counted open
complaints through (state, received_at) and the table; the penghubung's "awaiting approval" queue read
every event of each complaint in progress to find a drafted follow-up. Three small partial indexes hold
what those reads need, so most are answered from the index alone; the open complaints' index is ordered
by receipt, so Open311 and the public list of open complaints read the newest first.

Revision ID: 626eacb6a7dc
Revises: 3382d6e51c85
Create Date: 2026-11-29 22:00:00

"""
import sqlalchemy as sa
from alembic import op


revision = '626eacb6a7dc'
down_revision = '3382d6e51c85'
branch_labels = None
depends_on = None

OPEN = "state IN ('dispositioned', 'in_progress', 'pending_info', 'received', 'responded', 'returned')"
RUNNING = "status = 'running'"
DRAFTS = "action = 'draft_response'"


def upgrade():
    with op.batch_alter_table('clocks', schema=None) as batch_op:
        batch_op.create_index('ix_clocks_running_due_at', ['due_at', 'kind', 'limit_working_days', 'complaint_id'],
                              unique=False, sqlite_where=sa.text(RUNNING), postgresql_where=sa.text(RUNNING))
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.create_index('ix_complaints_open_received_at',
                              ['received_at', 'unit_id', 'escalation_level', 'updated_at', 'state'],
                              unique=False, sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))
    with op.batch_alter_table('complaint_events', schema=None) as batch_op:
        batch_op.create_index('ix_complaint_events_drafts', ['complaint_id', 'id'],
                              unique=False, sqlite_where=sa.text(DRAFTS), postgresql_where=sa.text(DRAFTS))


def downgrade():
    with op.batch_alter_table('complaint_events', schema=None) as batch_op:
        batch_op.drop_index('ix_complaint_events_drafts')
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_index('ix_complaints_open_received_at')
    with op.batch_alter_table('clocks', schema=None) as batch_op:
        batch_op.drop_index('ix_clocks_running_due_at')
