"""Index complaints by receipt time: duplicate suggestions read a window of receipts before scoring.

Revision ID: e4f5a6b7c8d9
Revises: dafa5cdf4df0
Create Date: 2026-11-29 14:00:00

"""
from alembic import op


revision = 'e4f5a6b7c8d9'
down_revision = 'dafa5cdf4df0'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.create_index('ix_complaints_received_at', ['received_at'], unique=False)


def downgrade():
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_index('ix_complaints_received_at')
