"""Let the sweep's escalation and the indicator facts' updates stay on their page (HOT updates).

At a million complaints the SLA sweep's escalation of 10,000 complaints was its costliest statement: each
change of ``escalation_level`` (in the open complaints' index) wrote a new entry into every index of the
table. The open complaints' index now leaves ``escalation_level`` out (the escalated queue reads it from the
row: few complaints are open), and on PostgreSQL ``complaints`` and ``indicator_facts`` keep a tenth of
each page free, so a change that touches no indexed column is written beside the old row and no index moves.
The free space applies to pages written from now on (``VACUUM FULL`` or ``pg_repack`` repacks old ones).

Revision ID: 7e1f0c2b9d43
Revises: 626eacb6a7dc
Create Date: 2026-11-30 09:00:00

"""
import sqlalchemy as sa
from alembic import op


revision = '7e1f0c2b9d43'
down_revision = '626eacb6a7dc'
branch_labels = None
depends_on = None

OPEN = "state IN ('dispositioned', 'in_progress', 'pending_info', 'received', 'responded', 'returned')"
FILLED = ('complaints', 'indicator_facts')


def upgrade():
    _open_index(['received_at', 'unit_id', 'updated_at', 'state'])
    if op.get_bind().dialect.name == 'postgresql':
        for table in FILLED:
            op.execute(f'ALTER TABLE {table} SET (fillfactor = 90)')


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for table in FILLED:
            op.execute(f'ALTER TABLE {table} RESET (fillfactor)')
    _open_index(['received_at', 'unit_id', 'escalation_level', 'updated_at', 'state'])


def _open_index(columns):
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_index('ix_complaints_open_received_at')
        batch_op.create_index('ix_complaints_open_received_at', columns, unique=False,
                              sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))
