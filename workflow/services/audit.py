"""Seal every audit event into its complaint's hash chain on flush, and verify the chains.

Sealing happens in a ``before_flush`` listener, so every writer of events (intake, actions, the
connectors, ratings …) is covered without remembering to call anything; a writer that inserts many
events in one statement (the SLA sweep) seals them with :func:`seal_rows`, the same way. Each complaint has
its own chain (``seq`` 1, 2, …); the unique key on (complaint, seq) makes two concurrent writers
collide instead of forking the chain.
"""

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import and_, event, func, select, text, tuple_
from sqlalchemy.orm import Session

from workflow.db import db
from workflow.domain.audit import GENESIS, event_hash
from workflow.models import Complaint, ComplaintEvent
from workflow.services import bulk

# Per session: complaints inserted by the current transaction that have no sealed event yet (their chain is empty).
_FRESH = "aduflow.audit.fresh"
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
    # A complaint filed in this transaction starts its chain here: no query for its last link (filing's hot path).
    fresh = session.info.get(_FRESH, set())
    known = [complaint_id for complaint_id in by_complaint if complaint_id not in fresh]
    fresh.difference_update(by_complaint)
    last = {}
    if known:
        with session.no_autoflush:
            last = chain_heads(session, known)
    for complaint_id, rows in by_complaint.items():
        seq, previous = last.get(complaint_id, (0, GENESIS))
        # session.new has no order; rows are inserted (and numbered) in the order they were added.
        for row in sorted(rows, key=lambda r: r._sa_instance_state.insert_order or 0):
            seq += 1
            row.seq, row.details, row.internal = seq, row.details or {}, bool(row.internal)
            row.hash = event_hash(previous, fields_of(row))
            previous = row.hash


def chain_heads(session: Session, complaint_ids: list[int]) -> dict[int, tuple[int, str]]:
    """Return the last link (seq, hash) of each of these complaints' chains; a complaint without events is absent."""
    if session.get_bind().dialect.name == "postgresql":
        # One backward probe of the (complaint, seq) index per complaint: a join with a grouped subquery
        # lets the planner choose a scan of every event once the batch is large.
        return {complaint_id: (seq, digest) for complaint_id, seq, digest in session.execute(text(
            "SELECT last.complaint_id, last.seq, last.hash FROM unnest(CAST(:ids AS INTEGER[])) AS wanted(id) "
            "CROSS JOIN LATERAL (SELECT complaint_id, seq, hash FROM complaint_events "
            "WHERE complaint_id = wanted.id ORDER BY seq DESC LIMIT 1) AS last"),
            {"ids": bulk.array_literal(complaint_ids)})}
    latest = (select(ComplaintEvent.complaint_id, func.max(ComplaintEvent.seq).label("seq"))
              .where(ComplaintEvent.complaint_id.in_(complaint_ids)).group_by(ComplaintEvent.complaint_id).subquery())
    return {complaint_id: (seq, digest) for complaint_id, seq, digest in session.execute(
        select(ComplaintEvent.complaint_id, ComplaintEvent.seq, ComplaintEvent.hash)
        .join(latest, and_(latest.c.complaint_id == ComplaintEvent.complaint_id,
                           latest.c.seq == ComplaintEvent.seq)))}


def seal_rows(session: Session, rows: list[dict]) -> None:
    """Number and hash event rows (dicts, in the order they will be written) onto their complaints' chains.

    For writers that insert many events in one statement instead of through the ORM (the SLA sweep):
    the same numbering and the same hash as :func:`_seal`, with one query for every chain's last link.
    """
    _seal_dicts(rows, chain_heads(session, sorted({row["complaint_id"] for row in rows})))


def seal_new_chain(rows: list[dict]) -> None:
    """Number and hash the first events (dicts, in writing order) of a complaint this transaction inserts.

    Its chain is empty, as nobody else can see the complaint yet: the same links as :func:`seal_rows`, no query.
    """
    _seal_dicts(rows, {})


def _seal_dicts(rows: list[dict], heads: dict[int, tuple[int, str]]) -> None:
    for row in rows:
        seq, previous = heads.get(row["complaint_id"], (0, GENESIS))
        row["seq"], row["details"], row["internal"] = seq + 1, row.get("details") or {}, bool(row.get("internal"))
        row["hash"] = event_hash(previous, {name: row.get(name) for name in HASHED})
        heads[row["complaint_id"]] = (row["seq"], row["hash"])


@event.listens_for(Session, "after_flush")
def _note_fresh(session: Session, flush_context) -> None:
    # Complaints this flush inserted without events: nobody else can have written their chain yet.
    inserted = {obj.id for obj in session.new if isinstance(obj, Complaint)}
    if inserted:
        chained = {obj.complaint_id for obj in session.new if isinstance(obj, ComplaintEvent)}
        session.info.setdefault(_FRESH, set()).update(inserted - chained)


@event.listens_for(Session, "after_transaction_end")
def _forget_fresh(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_FRESH, None)


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



