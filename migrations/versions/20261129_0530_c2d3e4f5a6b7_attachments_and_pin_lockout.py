"""Attachments, and the wrong-PIN counter and lock of each tracking code.

Revision ID: c2d3e4f5a6b7
Revises: dafa5cdf4df0
Create Date: 2026-11-29 05:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c2d3e4f5a6b7'
down_revision = 'dafa5cdf4df0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('original_name', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('public_safe', sa.Boolean(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_by_role', sa.String(length=32), nullable=False),
    sa.CheckConstraint('size > 0', name=op.f('ck_attachments_size_positive')),
    sa.CheckConstraint("uploaded_by_role IN ('reporter', 'facilitator', 'admin_instansi', 'unit_admin', "
                       "'penghubung', 'coordinator', 'inspector', 'leader', 'sysadmin', 'system')",
                       name=op.f('ck_attachments_uploaded_by_role')),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'], name=op.f('fk_attachments_complaint_id_complaints')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_attachments_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachments')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_attachments_stored_name'))
    )
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachments_complaint_id'), ['complaint_id'], unique=False)

    # Existing complaints start with no wrong PINs; the default only fills them and is dropped after.
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pin_failures', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('pin_locked_until', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.alter_column('pin_failures', server_default=None)


def downgrade():
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_column('pin_locked_until')
        batch_op.drop_column('pin_failures')
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachments_complaint_id'))
    op.drop_table('attachments')
