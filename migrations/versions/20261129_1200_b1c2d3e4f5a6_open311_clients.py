"""Open311 clients: one row per GeoReport v2 client allowed to file requests, its API key kept as sha256.

Revision ID: b1c2d3e4f5a6
Revises: dafa5cdf4df0
Create Date: 2026-11-29 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b1c2d3e4f5a6'
down_revision = 'dafa5cdf4df0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('open311_clients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_open311_clients')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_open311_clients_key_hash')),
    sa.UniqueConstraint('name', name=op.f('uq_open311_clients_name'))
    )


def downgrade():
    op.drop_table('open311_clients')
