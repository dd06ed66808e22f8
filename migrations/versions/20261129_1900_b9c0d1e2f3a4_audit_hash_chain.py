"""Tamper-evident audit trail: each event's position in its complaint's chain and its sha256.

Existing events are sealed in id order per complaint. The append-only triggers are lifted for that
one backfill and put back, exactly as the initial revision defined them.

Revision ID: b9c0d1e2f3a4
Revises: 1d8e816f380b
Create Date: 2026-11-29 19:00:00

"""
import hashlib
import json
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa


revision = 'b9c0d1e2f3a4'
down_revision = '1d8e816f380b'
branch_labels = None
depends_on = None

GENESIS = "0" * 64
HASHED = ("complaint_id", "seq", "at", "actor_id", "actor_role", "action", "from_state", "to_state", "comment",
          "internal", "details")


def _plain(value):
    # A frozen copy of workflow.domain.audit at this revision: migrations must not change with the code.
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
    raise TypeError(type(value).__name__)


def _hash(previous, fields):
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain)
    return hashlib.sha256(f"{previous}\n{canonical}".encode()).hexdigest()


def upgrade():
    with op.batch_alter_table('complaint_events', schema=None, recreate='never') as batch_op:
        batch_op.add_column(sa.Column('seq', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=False, server_default=GENESIS))
    bind = op.get_bind()
    _lift_triggers(bind)
    rows = bind.execute(sa.text(
        "SELECT id, complaint_id, at, actor_id, actor_role, action, from_state, to_state, comment, internal, details "
        "FROM complaint_events ORDER BY complaint_id, id")).mappings().all()
    chain, previous, seq = None, GENESIS, 0
    for row in rows:
        if row["complaint_id"] != chain:
            chain, previous, seq = row["complaint_id"], GENESIS, 0
        seq += 1
        at = row["at"] if isinstance(row["at"], datetime) else datetime.fromisoformat(str(row["at"]))
        details = row["details"] if isinstance(row["details"], dict) else json.loads(row["details"] or "{}")
        fields = dict(row) | {"seq": seq, "at": at, "details": details, "internal": bool(row["internal"])}
        fields.pop("id")
        previous = _hash(previous, {k: fields[k] for k in HASHED})
        bind.execute(sa.text("UPDATE complaint_events SET seq = :seq, hash = :hash WHERE id = :id"),
                     {"seq": seq, "hash": previous, "id": row["id"]})
    _restore_triggers(bind)
    with op.batch_alter_table('complaint_events', schema=None, recreate='never') as batch_op:
        batch_op.create_index('uq_complaint_events_complaint_id_seq', ['complaint_id', 'seq'], unique=True)


def downgrade():
    with op.batch_alter_table('complaint_events', schema=None, recreate='never') as batch_op:
        batch_op.drop_index('uq_complaint_events_complaint_id_seq')
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.drop_column('complaint_events', 'hash')
        op.drop_column('complaint_events', 'seq')
    else:
        # SQLite drops a column in place (3.35+); the append-only triggers do not mention it.
        op.execute("ALTER TABLE complaint_events DROP COLUMN hash")
        op.execute("ALTER TABLE complaint_events DROP COLUMN seq")


def _lift_triggers(bind):
    if bind.dialect.name == "postgresql":
        op.execute("ALTER TABLE complaint_events DISABLE TRIGGER complaint_events_append_only")
    else:
        op.execute("DROP TRIGGER IF EXISTS complaint_events_no_update")


def _restore_triggers(bind):
    if bind.dialect.name == "postgresql":
        op.execute("ALTER TABLE complaint_events ENABLE TRIGGER complaint_events_append_only")
    else:
        op.execute("""
            CREATE TRIGGER complaint_events_no_update BEFORE UPDATE ON complaint_events
            BEGIN SELECT RAISE(ABORT, 'complaint_events is append-only (UPDATE refused)'); END
        """)
