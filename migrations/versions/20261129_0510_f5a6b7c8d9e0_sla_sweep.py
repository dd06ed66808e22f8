"""SLA sweep: when each clock is next due for a look, and the thresholds already recorded.

Revision ID: f5a6b7c8d9e0
Revises: dafa5cdf4df0
Create Date: 2026-11-29 05:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'f5a6b7c8d9e0'
down_revision = 'dafa5cdf4df0'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('clocks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_check_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_clocks_status_next_check_at', ['status', 'next_check_at'], unique=False)
    op.create_table('sla_marks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('clock_id', sa.Integer(), nullable=False),
    sa.Column('threshold', sa.String(length=16), nullable=False),
    sa.Column('cycle', sa.DateTime(timezone=True), nullable=False),
    sa.Column('fired_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("threshold IN ('warning', 'breach', 'level2', 'reminder')", name=op.f('ck_sla_marks_threshold')),
    sa.ForeignKeyConstraint(['clock_id'], ['clocks.id'], name=op.f('fk_sla_marks_clock_id_clocks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_marks')),
    sa.UniqueConstraint('clock_id', 'threshold', 'cycle', name=op.f('uq_sla_marks_clock_id_threshold_cycle'))
    )


def downgrade():
    op.drop_table('sla_marks')
    with op.batch_alter_table('clocks', schema=None) as batch_op:
        batch_op.drop_index('ix_clocks_status_next_check_at')
        batch_op.drop_column('next_check_at')
