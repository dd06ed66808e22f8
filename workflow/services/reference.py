"""Keep the reference data each transaction asks for (active SOP, calendar overrides, staff) per process.

Filing a complaint read the active SOP version, the calendar overrides and the staff it tells in three of its
nine statements, each answering what the filing before it was told; reading the stamp instead (seven
statements) took 15.8 % more filings a second (bench/analysis.md). What a process read stays usable while the
reference stamp is the one it was read under: database triggers (migration ``cdfca1295169``) write a new
random stamp in any transaction that changes ``sop_versions``, ``calendar_overrides``, ``units``, or a user's
role, unit or active flag, so a transaction that reads stamp S reads the same rows as the one that kept them
under S. The stamp is read once per transaction, and again after this session flushes a change to those
tables. Without a stamp row (a database emptied without its triggers, as the PostgreSQL tests do) nothing is
kept.
"""

from collections.abc import Callable, Hashable
from itertools import chain
from typing import TypeVar

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from workflow.db import db
from workflow.models import CalendarOverride, ReferenceStamp, SopVersion, Unit, User

T = TypeVar("T")
WATCHED_MODELS = (SopVersion, CalendarOverride, Unit, User)
# Per session: (root transaction, stamp it read).
_STAMP = "aduflow.reference.stamp"
_READ_STAMP = select(ReferenceStamp.stamp)
# Per process: key -> (stamp, value). Keys are few (the SOPs, the units asked about, the roles told).
_KEPT: dict[Hashable, tuple[str, object]] = {}
_MAX_KEPT = 1024


def kept(key: Hashable, load: Callable[[], T]) -> T:
    """Return what ``load()`` reads in this transaction, from this process's copy while the stamp holds.

    ``load`` must read only the watched tables, and its value must never be changed by a caller.
    """
    stamp = _stamp()
    if stamp is None:
        return load()
    found = _KEPT.get(key)
    if found is not None and found[0] == stamp:
        return found[1]
    value = load()
    if len(_KEPT) >= _MAX_KEPT:  # a long-lived worker's memory stays bounded
        _KEPT.clear()
    _KEPT[key] = (stamp, value)
    return value


def _stamp() -> str | None:
    session = db.session()
    connection = session.connection()  # begins the transaction the memo belongs to
    transaction = session.get_transaction()
    memo = session.info.get(_STAMP)
    if memo is None or memo[0] is not transaction:
        memo = session.info[_STAMP] = (transaction, connection.execute(_READ_STAMP).scalar())
    return memo[1]


@event.listens_for(Session, "after_flush")
def _read_again_after_change(session: Session, flush_context) -> None:
    # This transaction changed reference data: its triggers wrote a new stamp, which the next read finds. (A bulk
    # UPDATE past the unit of work is seen from the next transaction, as the staff and SOP memos always had it.)
    if any(isinstance(obj, WATCHED_MODELS) for obj in chain(session.new, session.dirty, session.deleted)):
        session.info.pop(_STAMP, None)

