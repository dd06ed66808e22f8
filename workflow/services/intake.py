"""Filing a complaint from any channel: tracking code, PIN, first clock, first audit event.

No wrong door: every channel goes through :func:`file_complaint`, and every complaint starts in
``received`` with its verification clock running from the moment it was received.

Filing is the hottest write (a campaign brings thousands an hour), so the new complaint, its clock and its
first two audit events are written past the ORM's unit of work (:func:`_store`: one statement on PostgreSQL)
and then join the session as if a flush had written them; whatever happens to the complaint afterwards in
the same transaction (an automatic disposition, a listener's read) is ordinary ORM work.
"""

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flask import current_app
from sqlalchemy import Table, TextClause, bindparam, event, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, SessionTransaction, make_transient, make_transient_to_detached

from workflow.db import db
from workflow.domain import clocks
from workflow.domain.errors import IdempotencyConflict, InvalidInput
from workflow.domain.rules import Actor
from workflow.domain.states import STAFF_ROLES, Channel, ClockKind, Role, State
from workflow.models import Clock, Complaint, ComplaintEvent, IdempotencyRecord
from workflow.services import audit, hooks, indicators, routing, sla
from workflow.services.calendars import calendar_for
from workflow.services.inputs import NewComplaint
from workflow.services.sop import active_sop

# Channels whose external_ref is the source system's id, stored once (uq_complaints_channel_external_ref).
IMPORTED_CHANNELS = (Channel.lapor.value, Channel.mesadu.value)

# No 0/O, 1/I/L or U: a code read aloud over the phone or copied from paper stays unambiguous.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 6
PIN_DIGITS = 6
MAX_KEY_LENGTH = 200
MAX_BACKDATE = timedelta(days=366)


@dataclass(frozen=True)
class Filed:
    """A filed complaint, the reporter's PIN (shown once), and whether this was a replay."""

    complaint: Complaint
    pin: str
    replayed: bool = False


def file_complaint(new: NewComplaint, actor: Actor | None, now: datetime,
                   idempotency_key: str | None = None, integration: str | None = None) -> Filed:
    """File ``new`` for ``actor`` (None for a citizen on the public form) and start its clock.

    With an ``idempotency_key`` a retry returns the first complaint instead of filing a second.
    ``integration`` names a trusted integration that files for a citizen without a staff account
    (``open311:<client>``, a connector): like staff it may set the channel, ``received_at`` and
    ``external_ref``; it acts as the system, and the filing event records its name.
    """
    actor = actor or (Actor.system() if integration else Actor(role=Role.reporter, name="public"))
    received_at = _received_at(new, actor, now, trusted=integration is not None)
    version, sop = active_sop()
    if sop.category(new.category) is None:
        raise InvalidInput("Kategori tidak dikenal. / Unknown category.",
                           {"category": f"'{new.category}' tidak ada; lihat GET /api/v1/sop"})
    scope = f"user:{actor.user_id}" if actor.user_id else (f"integration:{integration}" if integration else "public")
    record = None
    if idempotency_key:
        _check_key(idempotency_key)
        replay = _replay(scope, idempotency_key, _fingerprint(new))
        if replay:
            return replay
        record = _claim(scope, idempotency_key, _fingerprint(new))
        if isinstance(record, Filed):
            return record
    if new.external_ref and new.channel.value in IMPORTED_CHANNELS and db.session.scalar(
            select(Complaint.id).filter_by(channel=new.channel.value, external_ref=new.external_ref)):
        # A source system's complaint is stored once (a unique index); staff typing it in again are told so.
        raise InvalidInput("Pengaduan dari sumber ini sudah tercatat. / This source's complaint is already filed.",
                           {"external_ref": f"'{new.external_ref}' sudah ada di kanal {new.channel.value} / "
                                            f"already filed on this channel"})

    code, complaint_id = _new_tracking_code(sop.sop.tracking_prefix, received_at)
    pin = _pin_for(scope, idempotency_key) if idempotency_key else _random_pin()
    calendar = calendar_for(sop, None, received_at)
    # Every column's value, defaults included: the row is written as it is (see _store).
    row = _COMPLAINT_DEFAULTS | {
        "id": complaint_id, "tracking_code": code, "pin_hash": pin_hash(code, pin), "state": State.received.value,
        "channel": new.channel.value, "title": new.title, "description": new.description,
        "category_code": new.category, "occurred_on": new.occurred_on,
        "desa": new.location.desa, "kecamatan": new.location.kecamatan, "address": new.location.address,
        "lat": new.location.lat, "lng": new.location.lng,
        "reporter_name": new.reporter.name, "reporter_phone": new.reporter.phone,
        "reporter_email": new.reporter.email, "anonymous": new.anonymous, "confidential": new.confidential,
        "needs_assistance": new.needs_assistance, "gesi_gender": new.gesi.gender,
        "gesi_disability": new.gesi.disability, "gesi_marginal_group": new.gesi.marginal_group,
        "sop_version_id": version.id, "entered_by_id": actor.user_id, "external_ref": new.external_ref,
        "received_at": received_at, "created_at": now, "updated_at": now,
    }
    # Not added to the session yet: the clock list is set without a load, and nothing is flushed half-way.
    complaint = Complaint(**row)
    clock = Clock(id=None, complaint_id=complaint_id, kind=ClockKind.verification.value, next_check_at=None)
    clocks.start(clock, received_at, sop.clocks.verification_working_days, calendar)
    complaint.clocks = [clock]
    sla.schedule(clock, complaint, sop, calendar)
    events = [
        {"complaint_id": complaint_id, "at": now, "actor_id": actor.user_id, "actor_role": actor.role.value,
         "action": "file", "from_state": None, "to_state": State.received.value, "comment": None, "internal": False,
         "details": {"channel": new.channel.value, "received_at": received_at.isoformat(),
                     "sop_version": version.version, **({"integration": integration} if integration else {})}},
        {"complaint_id": complaint_id, "at": now, "actor_id": None, "actor_role": Role.system.value,
         "action": "clock_start", "from_state": None, "to_state": None, "comment": None, "internal": True,
         "details": {"clock": clock.kind, "limit_working_days": clock.limit_working_days,
                     "due_at": clock.due_at.isoformat()}},
    ]
    filed_event = _store(complaint, row, clock, events)
    if record is not None:
        record.complaint_id = complaint.id
    hooks.changed(complaint, filed_event)
    db.session.flush()
    # Where the SOP allows it, a routing rule it marks certain dispositions the complaint at once.
    routing.dispose_if_certain(complaint, now)
    return Filed(complaint, pin)


def pin_hash(tracking_code: str, pin: str) -> str:
    """Return the keyed hash of a PIN; the plain PIN is never stored."""
    return hmac.new(_secret(), f"{tracking_code}:{pin}".encode(), hashlib.sha256).hexdigest()


def _received_at(new: NewComplaint, actor: Actor, now: datetime, trusted: bool = False) -> datetime:
    staff = trusted or actor.role in STAFF_ROLES
    if not staff and (new.channel is not Channel.web or new.received_at or new.external_ref):
        raise InvalidInput("Hanya petugas yang dapat mengisi kanal dan waktu terima. / Only staff may set "
                           "the channel and time of receipt.",
                           {"channel": "kanal 'web' saja untuk pengaduan publik / only 'web' without a token"})
    if new.received_at is None:
        return now
    if new.received_at.tzinfo is None:
        raise InvalidInput("Waktu terima perlu zona waktu. / received_at needs a time zone.",
                           {"received_at": "contoh / e.g. 2026-03-17T10:00:00+08:00"})
    if new.received_at > now:
        raise InvalidInput("Waktu terima tidak boleh di masa depan. / received_at must not be in the future.",
                           {"received_at": "tidak boleh di masa depan / must not be in the future"})
    if new.received_at < now - MAX_BACKDATE:
        # An old letter is still filed, but with the day it reaches the regency: deadlines of years ago
        # would only produce breaches nobody could have prevented.
        raise InvalidInput("Waktu terima lebih dari setahun yang lalu. / received_at is more than a year ago.",
                           {"received_at": "paling lama 366 hari yang lalu / at most 366 days ago"})
    return new.received_at


def _check_key(key: str) -> None:
    if len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise InvalidInput("Idempotency-Key tidak valid. / Invalid Idempotency-Key.",
                           {"Idempotency-Key": f"1–{MAX_KEY_LENGTH} karakter cetak / printable characters"})


def _fingerprint(new: NewComplaint) -> str:
    body = json.dumps(new.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(body.encode()).hexdigest()


def _replay(scope: str, key: str, fingerprint: str) -> Filed | None:
    record = db.session.scalar(select(IdempotencyRecord).filter_by(scope=scope, key=key))
    if record is None:
        return None
    if record.request_hash != fingerprint:
        raise IdempotencyConflict("Idempotency-Key ini sudah dipakai untuk permintaan lain. / This "
                                  "Idempotency-Key was used for a different request.", {"idempotency_key": key})
    complaint = db.session.get(Complaint, record.complaint_id)
    return Filed(complaint, _pin_for(scope, key), replayed=True)


def _claim(scope: str, key: str, fingerprint: str) -> IdempotencyRecord | Filed:
    # Claiming the key before filing makes a concurrent retry wait on the unique index, then replay.
    record = IdempotencyRecord(scope=scope, key=key, request_hash=fingerprint)
    try:
        with db.session.begin_nested():
            db.session.add(record)
    except IntegrityError:
        return _replay(scope, key, fingerprint)
    return record


def _new_tracking_code(prefix: str, received_at: datetime) -> tuple[str, int | None]:
    """Return a free tracking code and, on PostgreSQL, the new complaint's id, drawn in the same round trip."""
    session = db.session()
    session.flush()  # whatever the caller added before is written before the complaint, as the ORM would order it
    connection = session.connection()
    postgres = connection.dialect.name == "postgresql"
    while True:
        suffix = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        code = f"{prefix}-{received_at:%y}-{suffix}"
        if postgres:
            # The id is taken even when the code is: a gap in the ids, as a rolled-back filing leaves one.
            complaint_id, taken = connection.execute(_CODE_TAKEN_AND_ID, {"code": code}).one()
            if not taken:
                return code, complaint_id
        elif connection.execute(_CODE_TAKEN, {"code": code}).first() is None:
            return code, None


# Built once: every filing asks them.
_CODE_TAKEN = select(Complaint.id).where(Complaint.tracking_code == bindparam("code"))
_CODE_TAKEN_AND_ID = text("SELECT nextval(pg_get_serial_sequence('complaints', 'id')), "
                          "EXISTS (SELECT 1 FROM complaints WHERE tracking_code = :code)")


def _defaults(table: Table) -> dict:
    # What the ORM would insert for a column left unset: its scalar default, else NULL (callables are set by hand).
    return {column.name: column.default.arg if column.default is not None and column.default.is_scalar else None
            for column in table.columns}


_COMPLAINT_DEFAULTS = _defaults(Complaint.__table__)
_CLOCK_COLUMNS = tuple(column.name for column in Clock.__table__.columns if column.name != "id")
_EVENT_COLUMNS = tuple(column.name for column in ComplaintEvent.__table__.columns if column.name != "id")


def _store(complaint: Complaint, row: dict, clock: Clock, events: list[dict]) -> ComplaintEvent:
    """Write a new complaint, its clock and its first events in as few statements as the database allows.

    The ORM's unit of work is a third of a filing's work for rows whose every value is known here, so they
    are written through Core; the objects then join the session as loaded, as if a flush had written them
    (later changes, e.g. an automatic disposition, are flushed as updates). The events are sealed here, as
    the flush listener would seal them, and the indicators are told of the complaint. Returns the filing event.
    """
    session = db.session()
    connection = session.connection()
    if complaint.id is not None:
        # PostgreSQL, the id drawn with the tracking code: the three tables in one statement.
        audit.seal_new_chain(events)
        clock_row = {name: getattr(clock, name) for name in _CLOCK_COLUMNS}
        params = {"complaint": _as_json(row), "clock": _as_json(clock_row), "events": _as_json(events)}
        clock.id, event_ids = connection.execute(_WRITE_FILING, params).one()
    else:
        values = {name: value for name, value in row.items() if name != "id"}
        complaint.id = connection.execute(_INSERT_COMPLAINT, values).inserted_primary_key[0]
        clock.complaint_id = complaint.id
        for event in events:
            event["complaint_id"] = complaint.id
        audit.seal_new_chain(events)
        clock.id = connection.execute(
            _INSERT_CLOCK, {name: getattr(clock, name) for name in _CLOCK_COLUMNS}).inserted_primary_key[0]
        event_ids = connection.execute(_INSERT_EVENTS, events).scalars().all()
    written = [ComplaintEvent(id=event_id, **event) for event_id, event in zip(event_ids, events, strict=True)]
    objects = (complaint, clock, *written)
    for obj in objects:
        make_transient_to_detached(obj)
    session.add(complaint)
    session.add_all(written)
    _remember(session, objects)
    indicators.note_filed(session, complaint.id)
    return written[0]


def _remember(session: Session, objects: tuple) -> None:
    # Objects a flush inserted leave the session when their (sub)transaction rolls back; these did not go
    # through a flush, so they are noted with the transaction that wrote them (see _forget_rolled_back).
    root = session.get_transaction()
    noted = session.info.get(_WRITTEN)
    if noted is None or noted[0] is not root:  # what an earlier, finished transaction wrote stays
        noted = session.info[_WRITTEN] = (root, [])
    noted[1].append((session.get_nested_transaction() or root, objects))


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    # As the ORM does with rows it inserted: what a rolled-back (sub)transaction wrote becomes transient
    # again, so no stale complaint stays in the identity map (to be counted, or to clash with a reused id).
    noted = session.info.get(_WRITTEN)
    if not noted:
        return
    kept = []
    for transaction, objects in noted[1]:
        if _within(transaction, previous_transaction):
            for obj in objects:
                make_transient(obj)
        else:
            kept.append((transaction, objects))
    noted[1][:] = kept


def _within(transaction: SessionTransaction | None, outer: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False


# Per session: the rows filings wrote past the ORM in the current transaction, by the (sub)transaction.
_WRITTEN = "aduflow.intake.written"


_INSERT_COMPLAINT = insert(Complaint.__table__)
_INSERT_CLOCK = insert(Clock.__table__)
_INSERT_EVENTS = insert(ComplaintEvent.__table__).returning(ComplaintEvent.__table__.c.id,
                                                             sort_by_parameter_order=True)


def _as_json(value) -> str:
    # Times in UTC with their offset, as UTCDateTime binds them; PostgreSQL reads them back to the same instant.
    return json.dumps(value, default=_plain)


def _plain(value):
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware datetime (UTC)")
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__}")


def _write_filing() -> TextClause:
    """Return PostgreSQL's one statement for a complaint, its clock and its events (the ids given back)."""
    def rows(table: Table, names, function: str, param: str) -> str:
        listed = ", ".join(names)
        return (f"INSERT INTO {table.name} ({listed}) SELECT {listed} "  # nosec B608
                f"FROM {function}(NULL::{table.name}, CAST(:{param} AS json))")

    complaint = rows(Complaint.__table__, list(_COMPLAINT_DEFAULTS), "json_populate_record", "complaint")
    clock = rows(Clock.__table__, _CLOCK_COLUMNS, "json_populate_record", "clock")
    events = rows(ComplaintEvent.__table__, _EVENT_COLUMNS, "json_populate_recordset", "events")
    # Each row as one JSON parameter: a statement of a hundred parameters would be parsed again by the driver
    # on every filing and could not be prepared. Only our own table and column names are formatted in
    # (bandit B608 below: justified); every value is bound.
    return text(f"WITH c AS ({complaint}), k AS ({clock} RETURNING id), e AS ({events} RETURNING id, seq) "  # nosec B608
                "SELECT (SELECT id FROM k), ARRAY(SELECT id FROM e ORDER BY seq)")


_WRITE_FILING = _write_filing()


def _random_pin() -> str:
    return f"{secrets.randbelow(10 ** PIN_DIGITS):0{PIN_DIGITS}d}"


def _pin_for(scope: str, key: str) -> str:
    # Derived, not stored: a replay can hand back the same PIN without keeping it in plain text.
    digest = hmac.new(_secret(), f"pin:{scope}:{key}".encode(), hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 10 ** PIN_DIGITS:0{PIN_DIGITS}d}"


def _secret() -> bytes:
    return current_app.config["SECRET_KEY"].encode()
