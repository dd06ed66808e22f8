"""Seal every audit event into its complaint's hash chain on flush, and verify the chains.

Sealing happens in a ``before_flush`` listener, so every writer of events (intake, actions, the
sweep, connectors, ratings …) is covered without remembering to call anything. Each complaint has
its own chain (``seq`` 1, 2, …); the unique key on (complaint, seq) makes two concurrent writers
collide instead of forking the chain.
"""

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import and_, event, func, select, tuple_
from sqlalchemy.orm import Session

from workflow.db import db
from workflow.domain.audit import GENESIS, event_hash
from workflow.models import ComplaintEvent

HASHED = ("complaint_id", "seq", "at", "actor_id", "actor_role", "action", "from_state", "to_state", "comment",
          "internal", "details")


def fields_of(row) -> dict:
    """Return the content an event's hash covers."""
    return {name: getattr(row, name) for name in HASHED}


@event.listens_for(Session, "before_flush")
def _seal(session: Session, flush_context, instances) -> None:
    pending = [obj for obj in session.new if isinstance(obj, ComplaintEvent) and obj.hash is None]
    if not pending:
        return
    by_complaint = defaultdict(list)
    for row in pending:
        if row.complaint_id is None and row.complaint is not None:
            row.complaint_id = row.complaint.id
        by_complaint[row.complaint_id].append(row)
    latest = (select(ComplaintEvent.complaint_id, func.max(ComplaintEvent.seq).label("seq"))
              .where(ComplaintEvent.complaint_id.in_(by_complaint)).group_by(ComplaintEvent.complaint_id).subquery())
    with session.no_autoflush:
        last = {complaint_id: (seq, digest) for complaint_id, seq, digest in session.execute(
            select(ComplaintEvent.complaint_id, ComplaintEvent.seq, ComplaintEvent.hash)
            .join(latest, and_(latest.c.complaint_id == ComplaintEvent.complaint_id,
                               latest.c.seq == ComplaintEvent.seq)))}
    for complaint_id, rows in by_complaint.items():
        seq, previous = last.get(complaint_id, (0, GENESIS))
        # session.new has no order; rows are inserted (and numbered) in the order they were added.
        for row in sorted(rows, key=lambda r: r._sa_instance_state.insert_order or 0):
            seq += 1
            row.seq, row.details, row.internal = seq, row.details or {}, bool(row.internal)
            row.hash = event_hash(previous, fields_of(row))
            previous = row.hash


@dataclass(frozen=True)
class Break:
    """The first event whose hash does not match its content and its predecessor."""

    complaint_id: int
    event_id: int
    seq: int
    problem: str


def verify(batch: int = 5_000) -> tuple[int, Break | None]:
    """Recompute every chain in (complaint, seq) order; return events checked and the first broken link."""
    checked, position = 0, (0, 0)
    complaint_id, previous, expected = None, GENESIS, 1
    while True:
        # Plain rows, not ORM objects: memory stays flat over millions of events.
        rows = db.session.execute(
            select(ComplaintEvent.id, ComplaintEvent.hash, *(getattr(ComplaintEvent, name) for name in HASHED))
            .where(tuple_(ComplaintEvent.complaint_id, ComplaintEvent.seq) > position)
            .order_by(ComplaintEvent.complaint_id, ComplaintEvent.seq).limit(batch)).all()
        if not rows:
            return checked, None
        for row in rows:
            if row.complaint_id != complaint_id:
                complaint_id, previous, expected = row.complaint_id, GENESIS, 1
            if row.seq != expected:
                return checked, Break(row.complaint_id, row.id, row.seq, f"expected event {expected} of the chain")
            if row.hash != event_hash(previous, fields_of(row)):
                return checked, Break(row.complaint_id, row.id, row.seq, "content or predecessor changed")
            checked, previous, expected = checked + 1, row.hash, expected + 1
        position = (rows[-1].complaint_id, rows[-1].seq)



