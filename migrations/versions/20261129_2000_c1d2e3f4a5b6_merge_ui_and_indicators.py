"""Merge the branches written in parallel: notices, staff sign-in, ratings, indicators, audit hash chain.

No schema change: the branches touch different tables and columns, so their order does not matter.

Revision ID: c1d2e3f4a5b6
Revises: 88a5c008742b, 5f1a2b3c4d5e, a7b8c9d0e1f2, 3c8d2e7f9a41, b9c0d1e2f3a4
Create Date: 2026-11-29 20:00:00

"""

revision = 'c1d2e3f4a5b6'
down_revision = ('88a5c008742b', '5f1a2b3c4d5e', 'a7b8c9d0e1f2', '3c8d2e7f9a41', 'b9c0d1e2f3a4')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
