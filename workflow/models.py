"""Persistence: units, users, tokens, SOP versions, complaints, clocks and the audit trail.

Database constraints back the workflow rules, so a bug in a service cannot store an impossible
complaint (a closed complaint without ``closed_at``, an archived one without a reason …).
"""

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.db import UTCDateTime, db, utcnow
from workflow.domain.states import (
    UNIT_STATES,
    ArchiveReason,
    Channel,
    ClockKind,
    ClockStatus,
    Closure,
    Role,
    State,
    values,
)


def _in(column: str, allowed: list[str]) -> str:
    quoted = ", ".join(f"'{v}'" for v in allowed)
    return f"{column} IN ({quoted})"


def _repr(obj, *fields: str) -> str:
    inner = ", ".join(f"{f}={getattr(obj, f)!r}" for f in fields)
    return f"<{type(obj).__name__} {inner}>"


class Unit(db.Model):
    """A unit of the regency's tree: the regency (instansi), an OPD, or a service unit (UPPP)."""

    __tablename__ = "units"
    __table_args__ = (CheckConstraint(_in("kind", ["regency", "opd", "uppp"]), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    timezone: Mapped[str] = mapped_column(String(64))
    working_days: Mapped[str] = mapped_column(String(32), default="mon,tue,wed,thu,fri")
    observes_regional_days: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    parent: Mapped["Unit | None"] = relationship(remote_side=[id])

    def __repr__(self) -> str:
        return _repr(self, "id", "code")


class User(db.Model):
    """A staff account with one role and, for unit roles, one unit."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(_in("role", sorted(values(Role))), name="role"),
        CheckConstraint("role NOT IN ('unit_admin', 'penghubung') OR unit_id IS NOT NULL", name="unit_role_has_unit"),
        CheckConstraint("role NOT IN ('reporter', 'system')", name="staff_role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(32))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    unit: Mapped[Unit | None] = relationship()

    def __repr__(self) -> str:
        return _repr(self, "id", "username", "role")


class ApiToken(db.Model):
    """A bearer token for the API; only its sha256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return _repr(self, "id", "user_id")


class SopVersion(db.Model):
    """One stored version of an SOP; exactly one version of each SOP is active."""

    __tablename__ = "sop_versions"
    __table_args__ = (
        UniqueConstraint("code", "version"),
        Index("uq_sop_versions_active_code", "code", unique=True,
              sqlite_where=db.text("active"), postgresql_where=db.text("active")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(32))
    checksum: Mapped[str] = mapped_column(String(64))
    # Large and immutable: loaded only when a version is parsed the first time (see services.sop.parsed).
    document: Mapped[dict] = mapped_column(JSON, deferred=True)
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    loaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    def __repr__(self) -> str:
        return _repr(self, "id", "code", "version", "active")


class CalendarOverride(db.Model):
    """A day an administrator declares off (or working) for everyone or for one unit."""

    __tablename__ = "calendar_overrides"
    __table_args__ = (UniqueConstraint("day", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    working: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(String(300))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return _repr(self, "day", "unit_id", "working")


_UNIT_STATES = sorted(s.value for s in UNIT_STATES)
# Complaints imported by a connector carry the source system's id in external_ref (unique per channel).
_IMPORTED_REF = "external_ref IS NOT NULL AND channel IN ('lapor', 'mesadu')"


class Complaint(db.Model):
    """A complaint, its reporter, its place in the lifecycle, and the unit that holds it."""

    __tablename__ = "complaints"
    __table_args__ = (
        CheckConstraint(_in("state", values(State)), name="state"),
        CheckConstraint(_in("channel", values(Channel)), name="channel"),
        CheckConstraint("(state = 'closed') = (closed_at IS NOT NULL)", name="closed_has_closed_at"),
        CheckConstraint("(state = 'closed') = (closure IS NOT NULL)", name="closed_has_closure"),
        CheckConstraint("closure IS NULL OR " + _in("closure", values(Closure)), name="closure"),
        CheckConstraint("(state = 'archived') = (archive_reason IS NOT NULL)", name="archived_has_reason"),
        CheckConstraint("archive_reason IS NULL OR " + _in("archive_reason", values(ArchiveReason)),
                        name="archive_reason"),
        CheckConstraint("duplicate_of_id IS NULL OR archive_reason = 'duplicate'", name="duplicate_is_archived"),
        CheckConstraint("(state = 'pending_info') = (resume_to IS NOT NULL)", name="pending_has_resume_to"),
        CheckConstraint("resume_to IS NULL OR resume_to IN ('received', 'in_progress')", name="resume_to"),
        CheckConstraint(f"NOT ({_in('state', _UNIT_STATES)}) OR unit_id IS NOT NULL", name="held_by_unit"),
        CheckConstraint(f"NOT ({_in('state', _UNIT_STATES)}) OR class_code IS NOT NULL", name="verified_has_class"),
        CheckConstraint("(state = 'transferred') = (transfer_target IS NOT NULL)", name="transferred_has_target"),
        CheckConstraint("escalation_level BETWEEN 0 AND 3", name="escalation_level"),
        CheckConstraint("bounce_count >= 0 AND reopen_count >= 0", name="counters"),
        CheckConstraint("lat IS NULL OR (lat BETWEEN -90 AND 90)", name="lat"),
        CheckConstraint("lng IS NULL OR (lng BETWEEN -180 AND 180)", name="lng"),
        Index("ix_complaints_state_received_at", "state", "received_at"),
        Index("ix_complaints_unit_id_state", "unit_id", "state"),
        # Duplicate suggestions read a window of receipt times before they score anything.
        Index("ix_complaints_received_at", "received_at"),
        # A connector imports each hub or Mesadu complaint once, even when two pulls or deliveries race.
        Index("uq_complaints_channel_external_ref", "channel", "external_ref", unique=True,
              sqlite_where=db.text(_IMPORTED_REF), postgresql_where=db.text(_IMPORTED_REF)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_code: Mapped[str] = mapped_column(String(20), unique=True)
    pin_hash: Mapped[str] = mapped_column(String(64))
    # Wrong PINs in a row, and until when the code refuses every PIN (workflow/services/tracking.py).
    pin_failures: Mapped[int] = mapped_column(Integer, default=0)
    pin_locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(16), default=State.received.value)
    resume_to: Mapped[str | None] = mapped_column(String(16))
    closure: Mapped[str | None] = mapped_column(String(16))
    archive_reason: Mapped[str | None] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))

    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    category_code: Mapped[str] = mapped_column(String(64), index=True)
    class_code: Mapped[str | None] = mapped_column(String(64))
    occurred_on: Mapped[date | None] = mapped_column(Date)
    desa: Mapped[str | None] = mapped_column(String(100))
    kecamatan: Mapped[str | None] = mapped_column(String(100))
    address: Mapped[str | None] = mapped_column(String(300))
    lat: Mapped[float | None] = mapped_column(Float)
    lng: Mapped[float | None] = mapped_column(Float)

    reporter_name: Mapped[str | None] = mapped_column(String(200))
    reporter_phone: Mapped[str | None] = mapped_column(String(32))
    reporter_email: Mapped[str | None] = mapped_column(String(254))
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    confidentiality_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    # A reporter who needs help to follow up (elderly, disabled, no phone): a facilitator stays in the loop.
    needs_assistance: Mapped[bool] = mapped_column(Boolean, default=False)
    gesi_gender: Mapped[str | None] = mapped_column(String(16))
    gesi_disability: Mapped[bool | None] = mapped_column(Boolean)
    gesi_marginal_group: Mapped[str | None] = mapped_column(String(64))

    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    sop_version_id: Mapped[int] = mapped_column(ForeignKey("sop_versions.id"))
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"))
    transfer_target: Mapped[str | None] = mapped_column(String(200))
    external_ref: Mapped[str | None] = mapped_column(String(100))

    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    bounce_count: Mapped[int] = mapped_column(Integer, default=0)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)

    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    unit: Mapped[Unit | None] = relationship()
    sop_version: Mapped[SopVersion] = relationship()
    clocks: Mapped[list["Clock"]] = relationship(back_populates="complaint", order_by="Clock.id",
                                                 cascade="all, delete-orphan")
    events: Mapped[list["ComplaintEvent"]] = relationship(back_populates="complaint",
                                                          order_by="ComplaintEvent.id")

    # Optimistic locking: an UPDATE that finds another version raises StaleDataError.
    __mapper_args__ = {"version_id_col": version}

    def clock(self, kind: ClockKind) -> "Clock | None":
        """Return this complaint's clock of ``kind``, if it ever started."""
        return next((c for c in self.clocks if c.kind == kind.value), None)

    def __repr__(self) -> str:
        return _repr(self, "id", "tracking_code", "state")


class Clock(db.Model):
    """One working-day clock of a complaint (verification, response, resolution, windows)."""

    __tablename__ = "clocks"
    __table_args__ = (
        UniqueConstraint("complaint_id", "kind"),
        CheckConstraint(_in("kind", values(ClockKind)), name="kind"),
        CheckConstraint(_in("status", values(ClockStatus)), name="status"),
        CheckConstraint("status <> 'running' OR due_at IS NOT NULL", name="running_has_due"),
        CheckConstraint("status <> 'paused' OR (paused_at IS NOT NULL AND remaining_working_days IS NOT NULL)",
                        name="paused_keeps_remaining"),
        CheckConstraint("status IN ('running', 'paused') OR stopped_at IS NOT NULL", name="stopped_has_time"),
        CheckConstraint("limit_working_days > 0", name="limit_positive"),
        # The sweep reads running clocks by deadline: its cost follows what is due, not what is open.
        Index("ix_clocks_status_due_at", "status", "due_at"),
        Index("ix_clocks_status_next_check_at", "status", "next_check_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    limit_working_days: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    remaining_working_days: Mapped[int | None] = mapped_column(Integer)
    breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the SLA sweep must next look at this clock (its next unfired threshold); None while paused
    # or stopped. The sweep reads only clocks whose moment has come, through the index above.
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    complaint: Mapped[Complaint] = relationship(back_populates="clocks")

    def __repr__(self) -> str:
        return _repr(self, "complaint_id", "kind", "status", "due_at")


class ComplaintEvent(db.Model):
    """One append-only audit event: who did what to a complaint, when, from which state to which."""

    __tablename__ = "complaint_events"
    __table_args__ = (
        CheckConstraint(_in("actor_role", values(Role)), name="actor_role"),
        Index("ix_complaint_events_complaint_id_id", "complaint_id", "id"),
        # The hash chain of each complaint has one link per position: two writers cannot fork it.
        Index("uq_complaint_events_complaint_id_seq", "complaint_id", "seq", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_role: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str | None] = mapped_column(String(16))
    comment: Mapped[str | None] = mapped_column(Text)
    internal: Mapped[bool] = mapped_column(Boolean, default=False)
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    # Tamper evidence: the event's position in its complaint's chain and the sha256 over its content
    # and the previous event's hash (set on flush by workflow.services.audit).
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))

    complaint: Mapped[Complaint] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return _repr(self, "complaint_id", "action", "from_state", "to_state")


class IdempotencyRecord(db.Model):
    """A request sent with an ``Idempotency-Key`` and the complaint it filed, replayed on retries."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("scope", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    # Claimed before the complaint exists, so a concurrent retry waits on the unique key.
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return _repr(self, "scope", "key", "complaint_id")


class SlaMark(db.Model):
    """One SLA threshold a clock crossed (warning, breach, level 2, reminder), recorded exactly once.

    The unique key makes the sweep idempotent: a second pass, or a second sweep running at the same
    time, cannot record the same threshold of the same clock run twice.
    """

    __tablename__ = "sla_marks"
    __table_args__ = (
        UniqueConstraint("clock_id", "threshold", "cycle"),
        CheckConstraint(_in("threshold", ["warning", "breach", "level2", "reminder"]), name="threshold"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clock_id: Mapped[int] = mapped_column(ForeignKey("clocks.id", ondelete="CASCADE"))
    threshold: Mapped[str] = mapped_column(String(16))
    # The clock run the mark belongs to (its start time): a restarted clock is watched afresh.
    cycle: Mapped[datetime] = mapped_column(UTCDateTime)
    fired_at: Mapped[datetime] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return _repr(self, "clock_id", "threshold", "cycle")


class Open311Client(db.Model):
    """An Open311 GeoReport v2 client allowed to file requests; only the sha256 of its API key is kept."""

    __tablename__ = "open311_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return _repr(self, "id", "name", "revoked_at")


OUTBOX_STATUSES = ["pending", "delivered", "failed"]


class OutboxMessage(db.Model):
    """One message that must leave the system (hub delivery, e-mail, SMS …), written in the same
    transaction as the change that caused it and delivered after commit by ``flask outbox deliver``.

    ``key`` is the idempotency key: unique here, and sent to the receiver so a retry after a crash
    between sending and marking is recognised there instead of delivered twice.
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint(_in("status", OUTBOX_STATUSES), name="status"),
        CheckConstraint("attempts >= 0", name="attempts"),
        CheckConstraint("status <> 'pending' OR next_attempt_at IS NOT NULL", name="pending_has_next_attempt"),
        CheckConstraint("(status = 'delivered') = (delivered_at IS NOT NULL)", name="delivered_has_time"),
        # The worker reads due messages by status and time: its cost follows what is due, not the backlog.
        Index("ix_outbox_messages_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(200), unique=True)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"), index=True)
    recipient: Mapped[str | None] = mapped_column(String(254))
    payload: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return _repr(self, "id", "kind", "key", "status", "attempts")


class Attachment(db.Model):
    """A photo or document attached to a complaint, stored outside the web root under a random name.

    Images are stored re-encoded without their metadata (GPS, device); ``public_safe`` marks a file
    whose content may be shown beyond the complaint's handlers (documents keep their author metadata).
    """

    __tablename__ = "attachments"
    __table_args__ = (
        CheckConstraint(_in("uploaded_by_role", values(Role)), name="uploaded_by_role"),
        CheckConstraint("size > 0", name="size_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    sha256: Mapped[str] = mapped_column(String(64))
    original_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    public_safe: Mapped[bool] = mapped_column(Boolean, default=False)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_by_role: Mapped[str] = mapped_column(String(32))

    complaint: Mapped[Complaint] = relationship()

    def __repr__(self) -> str:
        return _repr(self, "id", "complaint_id", "content_type", "size")
