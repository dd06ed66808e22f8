"""Merge the branches written in parallel: SLA sweep, attachments, Open311, outbox, received_at index.

No schema change: the branches touch different tables and columns, so their order does not matter.

Revision ID: 1d8e816f380b
Revises: f5a6b7c8d9e0, c2d3e4f5a6b7, b1c2d3e4f5a6, d3e4f5a6b7c8, e4f5a6b7c8d9
Create Date: 2026-11-29 05:30:33.451550

"""

revision = '1d8e816f380b'
down_revision = ('f5a6b7c8d9e0', 'c2d3e4f5a6b7', 'b1c2d3e4f5a6', 'd3e4f5a6b7c8', 'e4f5a6b7c8d9')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
