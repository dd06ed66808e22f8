"""Transactional outbox, and each connector-imported complaint stored once per source id.

outbox_messages holds what must leave the system (SP4N-LAPOR! deliveries, later e-mail, SMS,
WhatsApp, in-app notices), written in the transaction of the change that caused it. The partial
unique index on complaints (channel, external_ref) makes a LAPOR! or Mesadu import idempotent even
when two pulls or webhook deliveries race.

Revision ID: d3e4f5a6b7c8
Revises: dafa5cdf4df0
Create Date: 2026-11-29 13:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'd3e4f5a6b7c8'
down_revision = 'dafa5cdf4df0'
branch_labels = None
depends_on = None

IMPORTED_REF = "external_ref IS NOT NULL AND channel IN ('lapor', 'mesadu')"


def upgrade():
    op.create_table('outbox_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=True),
    sa.Column('recipient', sa.String(length=254), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'delivered', 'failed')", name=op.f('ck_outbox_messages_status')),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_outbox_messages_attempts')),
    sa.CheckConstraint("status <> 'pending' OR next_attempt_at IS NOT NULL",
                       name=op.f('ck_outbox_messages_pending_has_next_attempt')),
    sa.CheckConstraint("(status = 'delivered') = (delivered_at IS NOT NULL)",
                       name=op.f('ck_outbox_messages_delivered_has_time')),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'],
                            name=op.f('fk_outbox_messages_complaint_id_complaints')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_messages')),
    sa.UniqueConstraint('key', name=op.f('uq_outbox_messages_key'))
    )
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_messages_complaint_id'), ['complaint_id'], unique=False)
        batch_op.create_index('ix_outbox_messages_status_next_attempt_at', ['status', 'next_attempt_at'],
                              unique=False)

    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.create_index('uq_complaints_channel_external_ref', ['channel', 'external_ref'], unique=True,
                              sqlite_where=sa.text(IMPORTED_REF), postgresql_where=sa.text(IMPORTED_REF))


def downgrade():
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_index('uq_complaints_channel_external_ref', sqlite_where=sa.text(IMPORTED_REF),
                            postgresql_where=sa.text(IMPORTED_REF))

    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_messages_status_next_attempt_at')
        batch_op.drop_index(batch_op.f('ix_outbox_messages_complaint_id'))

    op.drop_table('outbox_messages')
