"""The reference stamp: a new random value whenever the SOP versions, calendar overrides, units or staff change.

Filing a complaint read the active SOP version, the calendar overrides and the staff it tells in three of its
nine statements, and each answered what the filing before was told. Each process now keeps those answers
while one cheap read per transaction finds the stamp unchanged (services.reference). Triggers, not the
application, write the stamp, so every writer is covered: the CLI, another process, a hand-typed UPDATE. It is
random, never a counter: a rolled-back change puts the old stamp back, and a counter would then hand the next
change the number the rolled-back one had, which a process may have kept the rolled-back rows under.

The migration writes the first stamp, so the data already there is kept from the start. Staff sign-ins
update ``users`` too (attempts, last sign-in); only a change of role, unit or active flag
moves the stamp.

Revision ID: cdfca1295169
Revises: 2b6d8e0a4c17
Create Date: 2026-11-30 11:00:00

"""
import sqlalchemy as sa
from alembic import op


revision = 'cdfca1295169'
down_revision = '2b6d8e0a4c17'
branch_labels = None
depends_on = None

# Each table, and the columns whose update moves the stamp (None: any update).
WATCHED = {'sop_versions': None, 'calendar_overrides': None, 'units': None, 'users': ('role', 'unit_id', 'active')}


def upgrade():
    op.create_table(
        'reference_stamp',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('stamp', sa.String(length=36), nullable=False),
        sa.CheckConstraint('id = 1', name=op.f('ck_reference_stamp_single_row')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reference_stamp')),
    )
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("INSERT INTO reference_stamp (id, stamp) VALUES (1, gen_random_uuid()::text)")
        op.execute("""
            CREATE FUNCTION aduflow_new_reference_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO reference_stamp (id, stamp) VALUES (1, gen_random_uuid()::text)
                ON CONFLICT (id) DO UPDATE SET stamp = excluded.stamp;
                RETURN NULL;
            END $$
        """)
        for table, columns in WATCHED.items():
            update = f"UPDATE OF {', '.join(columns)}" if columns else "UPDATE"
            # Once per statement, not per row: a bulk change writes the stamp once.
            op.execute(f"CREATE TRIGGER {table}_reference_stamp AFTER INSERT OR DELETE OR TRUNCATE OR {update} "
                       f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION aduflow_new_reference_stamp()")
        return
    op.execute("INSERT INTO reference_stamp (id, stamp) VALUES (1, lower(hex(randomblob(16))))")
    # SQLite has row triggers only.
    for table, columns in WATCHED.items():
        for operation in ('INSERT', 'DELETE', f"UPDATE OF {', '.join(columns)}" if columns else 'UPDATE'):
            op.execute(f"CREATE TRIGGER {_sqlite_trigger(table, operation)} AFTER {operation} ON {table} BEGIN "
                       "INSERT OR REPLACE INTO reference_stamp (id, stamp) VALUES (1, lower(hex(randomblob(16)))); "
                       "END")


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for table in WATCHED:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_reference_stamp ON {table}")
        op.execute("DROP FUNCTION IF EXISTS aduflow_new_reference_stamp()")
    else:
        for table in WATCHED:
            for operation in ('INSERT', 'DELETE', 'UPDATE'):
                op.execute(f"DROP TRIGGER IF EXISTS {_sqlite_trigger(table, operation)}")
    op.drop_table('reference_stamp')


def _sqlite_trigger(table: str, operation: str) -> str:
    return f"{table}_reference_stamp_{operation.split()[0].lower()}"
