"""Filing a complaint from any channel: tracking code, PIN, first clock, first audit event.

No wrong door: every channel goes through :func:`file_complaint`, and every complaint starts in
``received`` with its verification clock running from the moment it was received.
"""

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from workflow.db import db
from workflow.domain import clocks
from workflow.domain.errors import IdempotencyConflict, InvalidInput
from workflow.domain.rules import Actor
from workflow.domain.states import STAFF_ROLES, Channel, ClockKind, Role, State
from workflow.models import Clock, Complaint, ComplaintEvent, IdempotencyRecord
from workflow.services import hooks, routing, sla
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

    code = _new_tracking_code(sop.sop.tracking_prefix, received_at)
    pin = _pin_for(scope, idempotency_key) if idempotency_key else _random_pin()
    # Read before the complaint joins the session: no flush half-way, no load of its (empty) clock list.
    calendar = calendar_for(sop, None, received_at)
    complaint = Complaint(
        tracking_code=code, pin_hash=pin_hash(code, pin), state=State.received.value,
        channel=new.channel.value, title=new.title, description=new.description,
        category_code=new.category, occurred_on=new.occurred_on,
        desa=new.location.desa, kecamatan=new.location.kecamatan, address=new.location.address,
        lat=new.location.lat, lng=new.location.lng,
        reporter_name=new.reporter.name, reporter_phone=new.reporter.phone, reporter_email=new.reporter.email,
        anonymous=new.anonymous, confidential=new.confidential, needs_assistance=new.needs_assistance,
        gesi_gender=new.gesi.gender, gesi_disability=new.gesi.disability,
        gesi_marginal_group=new.gesi.marginal_group,
        sop_version_id=version.id, entered_by_id=actor.user_id, external_ref=new.external_ref,
        received_at=received_at, created_at=now, updated_at=now,
    )
    db.session.add(complaint)
    clock = Clock(kind=ClockKind.verification.value)
    clocks.start(clock, received_at, sop.clocks.verification_working_days, calendar)
    complaint.clocks.append(clock)
    sla.schedule(clock, complaint, sop, calendar)
    db.session.flush()
    filed_event = ComplaintEvent(
        complaint_id=complaint.id, at=now, actor_id=actor.user_id, actor_role=actor.role.value,
        action="file", from_state=None, to_state=State.received.value,
        details={"channel": new.channel.value, "received_at": received_at.isoformat(),
                 "sop_version": version.version, **({"integration": integration} if integration else {})},
    )
    db.session.add(filed_event)
    db.session.add(ComplaintEvent(
        complaint_id=complaint.id, at=now, actor_id=None, actor_role=Role.system.value, action="clock_start",
        internal=True, details={"clock": clock.kind, "limit_working_days": clock.limit_working_days,
                                "due_at": clock.due_at.isoformat()},
    ))
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


def _new_tracking_code(prefix: str, received_at: datetime) -> str:
    while True:
        suffix = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        code = f"{prefix}-{received_at:%y}-{suffix}"
        if db.session.scalar(_CODE_TAKEN, {"code": code}) is None:
            return code


# Built once: every filing asks it.
_CODE_TAKEN = select(Complaint.id).where(Complaint.tracking_code == bindparam("code"))


def _random_pin() -> str:
    return f"{secrets.randbelow(10 ** PIN_DIGITS):0{PIN_DIGITS}d}"


def _pin_for(scope: str, key: str) -> str:
    # Derived, not stored: a replay can hand back the same PIN without keeping it in plain text.
    digest = hmac.new(_secret(), f"pin:{scope}:{key}".encode(), hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 10 ** PIN_DIGITS:0{PIN_DIGITS}d}"


def _secret() -> bytes:
    return current_app.config["SECRET_KEY"].encode()
