"""Ratings: a reporter's satisfaction with the handling of their complaint, 1–5, once per complaint.

Revision ID: a7b8c9d0e1f2
Revises: 1d8e816f380b
Create Date: 2026-11-29 17:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'a7b8c9d0e1f2'
down_revision = '1d8e816f380b'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('ratings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('rated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('score BETWEEN 1 AND 5', name=op.f('ck_ratings_score')),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'], name=op.f('fk_ratings_complaint_id_complaints')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_ratings_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ratings')),
    sa.UniqueConstraint('complaint_id', name=op.f('uq_ratings_complaint_id'))
    )
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ratings_unit_id'), ['unit_id'], unique=False)


def downgrade():
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ratings_unit_id'))

    op.drop_table('ratings')
