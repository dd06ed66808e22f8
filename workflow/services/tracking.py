"""Reporters prove who they are with a tracking code and PIN, and act on their own complaint.

A six-digit PIN is guessable by brute force, so every tracking code counts wrong PINs in a row:
after ``PIN_MAX_FAILURES`` the code refuses every PIN, the right one too, for ``PIN_LOCK_MINUTES``.
Only the right PIN resets the count; a wrong PIN after a lock has run out locks the code again at
once, so a guesser gets one try per lock period from then on.

A wrong PIN fails the request, and the edge rolls a failed request back — yet the attempt must
count. So :func:`reporter_for` writes the attempt to the session like any service, and the edge
commits it at once, *before* the request does anything else and *also when it raises* (see
``web.api.auth.reporter``). Checking the code first keeps that commit to the attempt alone. A
separate transaction on a second connection was the alternative, and was dropped: a caller whose
session already holds the complaint's row (or, on SQLite, any open transaction) would wait on
itself, and every look-up would need two pooled connections at once. The attempt reads the row
``FOR UPDATE`` (PostgreSQL), so parallel guesses queue up and cannot slip past the limit together.
"""

import hmac
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from workflow.db import db, utcnow
from workflow.domain.errors import AuthenticationRequired, DomainError
from workflow.domain.rules import Actor
from workflow.models import Complaint
from workflow.services.intake import pin_hash
from workflow.services.queries import local, zone_of

WRONG = "Kode pelacakan atau PIN salah. / Wrong tracking code or PIN."


class TrackingLocked(DomainError):
    """Too many wrong PINs: the tracking code refuses every PIN until ``details["locked_until"]``."""

    code = "tracking_locked"


def reporter_for(tracking_code: str, pin: str | None, now: datetime | None = None) -> tuple[Actor, Complaint]:
    """Return the reporter actor and their complaint, or raise :class:`AuthenticationRequired`.

    Raises :class:`TrackingLocked` while the code is locked after too many wrong PINs. The attempt
    is flushed, not committed: the caller commits it, whether this returns or raises. Edges pass
    their ``now``; without one the real clock decides when a lock ends.
    """
    now = now or utcnow()
    code = (tracking_code or "").strip().upper()
    pin = (pin or "").strip()
    table = Complaint.__table__
    row = db.session.execute(
        select(table.c.id, table.c.pin_hash, table.c.pin_failures, table.c.pin_locked_until)
        .where(table.c.tracking_code == code).with_for_update()).one_or_none() if pin else None
    # One answer for an unknown code, a missing PIN and a wrong PIN, so codes cannot be probed.
    if row is None:
        raise AuthenticationRequired(WRONG, {"tracking_code": code})
    complaint_id, stored_hash, failures, locked_until = row
    if locked_until is not None and now < locked_until:
        raise _locked(code, complaint_id, locked_until, now)
    if hmac.compare_digest(stored_hash, pin_hash(code, pin)):
        if failures or locked_until is not None:
            _count(complaint_id, 0, None)
        return Actor.reporter(complaint_id), db.session.get(Complaint, complaint_id)
    failures += 1
    if failures < current_app.config["PIN_MAX_FAILURES"]:
        _count(complaint_id, failures, None)
        raise AuthenticationRequired(WRONG, {"tracking_code": code})
    until = now + timedelta(minutes=current_app.config["PIN_LOCK_MINUTES"])
    _count(complaint_id, failures, until)
    raise _locked(code, complaint_id, until, now)


def _count(complaint_id: int, failures: int, locked_until: datetime | None) -> None:
    table = Complaint.__table__
    # A PIN attempt is not a change to the complaint: its version and updated_at stay as they were.
    db.session.execute(update(table).where(table.c.id == complaint_id).values(
        pin_failures=failures, pin_locked_until=locked_until, updated_at=table.c.updated_at))


def _locked(code: str, complaint_id: int, until: datetime, now: datetime) -> TrackingLocked:
    at = local(until, zone_of(db.session.get(Complaint, complaint_id)))
    seconds = max(1, int((until - now).total_seconds()))
    return TrackingLocked(
        f"Terlalu banyak PIN salah; kode pelacakan ini dikunci sampai {at}. Coba lagi setelah itu. / Too many "
        f"wrong PINs; this tracking code is locked until {at}. Try again after that.",
        {"tracking_code": code, "locked_until": at, "retry_after_seconds": seconds})
