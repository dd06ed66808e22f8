"""Klungkung Mesadu: complaints pushed to ``POST /webhooks/mesadu``, signed with a shared secret.

Mesadu signs each delivery: ``X-Mesadu-Timestamp`` (unix seconds) and ``X-Mesadu-Signature``, the
hex HMAC-SHA256 of ``timestamp + "." + raw body`` under ``MESADU_SECRET``. A delivery older or newer
than five minutes is refused, so a captured request cannot be replayed later.

Within the window a delivery may still arrive twice (Mesadu retries when it missed our answer).
Every event id is kept (``idempotency_records``, scope ``webhook:mesadu``) with the sha256 of its
body: the same event again is answered as the first time (200, the same tracking code and PIN),
the same event id with another body is refused (409). A complaint is filed once per Mesadu id,
whatever event carries it.

The payload (JSON, UTF-8)::

    {"event_id": "evt-…", "event": "complaint.created",
     "complaint": {"id": "MSD-2026-00042", "title": "…", "description": "…", "category": "jalan-rusak",
                   "created_at": "2026-03-17T09:30:00+08:00", "occurred_on": "2026-03-16",
                   "location": {"desa": "…", "kecamatan": "…", "address": "…", "lat": -8.5, "lng": 115.4},
                   "reporter": {"name": "…", "phone": "…", "email": "…"},
                   "anonymous": false, "confidential": false}}
"""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, StringConstraints
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from workflow.connectors.common import noting_source_category, sop_category
from workflow.db import db
from workflow.domain.errors import AuthenticationRequired, IdempotencyConflict
from workflow.domain.states import Channel
from workflow.models import Complaint, IdempotencyRecord
from workflow.services.inputs import Code, Input, Line, Location, NewComplaint, Reporter, Text, parse
from workflow.services.intake import file_complaint

SOURCE = "Klungkung Mesadu"
INTEGRATION = "mesadu"
EVENT_SCOPE = "webhook:mesadu"
MAX_SKEW_SECONDS = 300


class MesaduComplaint(Input):
    """A complaint as Mesadu sends it."""

    id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    title: Line
    description: Text
    category: Code
    created_at: AwareDatetime
    occurred_on: date | None = None
    location: Location = Field(default_factory=Location)
    reporter: Reporter = Field(default_factory=Reporter)
    anonymous: bool = False
    confidential: bool = False


class MesaduEvent(Input):
    """One webhook delivery."""

    event_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    event: Literal["complaint.created"]
    complaint: MesaduComplaint


@dataclass(frozen=True)
class Received:
    """The complaint a delivery filed (or had filed before), its PIN, and whether this was a replay."""

    complaint: Complaint
    pin: str
    replayed: bool


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """Return the hex HMAC-SHA256 Mesadu sends for ``body`` at ``timestamp``."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def authenticate(secret: str, timestamp: str | None, signed: str | None, body: bytes, now: datetime) -> None:
    """Raise :class:`AuthenticationRequired` unless the delivery is signed with ``secret`` and fresh."""
    if not timestamp or not signed:
        raise AuthenticationRequired("Tanda tangan Mesadu tidak ada. / The Mesadu signature is missing.",
                                     {"headers": "X-Mesadu-Timestamp dan/and X-Mesadu-Signature wajib / required"})
    if not timestamp.isdigit():
        raise AuthenticationRequired("Stempel waktu tidak valid. / Invalid timestamp.",
                                     {"X-Mesadu-Timestamp": "detik Unix / Unix seconds"})
    if not hmac.compare_digest(signature(secret, timestamp, body), signed.strip().lower()):
        raise AuthenticationRequired("Tanda tangan Mesadu tidak cocok. / The Mesadu signature does not match.",
                                     {"X-Mesadu-Signature": "HMAC-SHA256(secret, timestamp + '.' + body), hex"})
    if abs(now.timestamp() - int(timestamp)) > MAX_SKEW_SECONDS:
        raise AuthenticationRequired(
            "Kiriman kedaluwarsa atau diputar ulang. / The delivery is stale or replayed.",
            {"X-Mesadu-Timestamp": f"lebih dari {MAX_SKEW_SECONDS // 60} menit dari sekarang / more than "
                                   f"{MAX_SKEW_SECONDS // 60} minutes from now"})


def receive(data: object, body: bytes, now: datetime) -> Received:
    """File the complaint a verified delivery carries, once per event and once per Mesadu id (flush only)."""
    event: MesaduEvent = parse(MesaduEvent, data)  # type: ignore[assignment]
    body_hash = hashlib.sha256(body).hexdigest()
    record = _claim(event.event_id, body_hash, now)
    try:
        filed = file_complaint(_new_complaint(event.complaint, now), None, now,
                               idempotency_key=event.complaint.id, integration=INTEGRATION)
    except IdempotencyConflict:
        raise IdempotencyConflict(
            f"Pengaduan Mesadu {event.complaint.id} sudah diterima dengan isi lain. / Mesadu complaint "
            f"{event.complaint.id} was already received with different content.",
            {"complaint.id": event.complaint.id}) from None
    record.complaint_id = filed.complaint.id
    db.session.flush()
    return Received(filed.complaint, filed.pin, replayed=filed.replayed)


def _claim(event_id: str, body_hash: str, now: datetime) -> IdempotencyRecord:
    # INSERT … ON CONFLICT DO NOTHING: the same event arriving at this moment waits for the first delivery,
    # which decides; no savepoint (SQLite's driver would commit one opened as the first write).
    insert = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    db.session.execute(insert(IdempotencyRecord).values(
        scope=EVENT_SCOPE, key=event_id, request_hash=body_hash, created_at=now)
        .on_conflict_do_nothing(index_elements=["scope", "key"]))
    record = db.session.scalar(select(IdempotencyRecord).filter_by(scope=EVENT_SCOPE, key=event_id))
    if record.request_hash != body_hash:
        raise IdempotencyConflict("Event Mesadu ini sudah diterima dengan isi lain. / This Mesadu event was "
                                  "already received with a different body.", {"event_id": event_id})
    return record


def _new_complaint(complaint: MesaduComplaint, now: datetime) -> NewComplaint:
    category, known = sop_category(complaint.category)
    description = (complaint.description if known
                   else noting_source_category(complaint.description, complaint.category, SOURCE))
    return parse(NewComplaint, {  # type: ignore[return-value]
        "title": complaint.title, "description": description, "category": category,
        "location": complaint.location.model_dump(), "occurred_on": complaint.occurred_on,
        "reporter": complaint.reporter.model_dump(), "anonymous": complaint.anonymous,
        "confidential": complaint.confidential, "channel": Channel.mesadu.value,
        # The legal clock starts when the citizen filed in Mesadu, the regency's own channel.
        "received_at": min(complaint.created_at, now).astimezone(UTC), "external_ref": complaint.id,
    })
