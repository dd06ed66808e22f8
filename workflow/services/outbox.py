"""The transactional outbox: messages written with the change that caused them, sent after commit.

Writers call :func:`enqueue` inside the use case's transaction (flush only), so a message exists
if and only if its change was committed, and nothing leaves the system before that. A worker
(``flask outbox deliver``) calls :func:`deliver_due`, which claims one due message at a time, hands
it to the sender registered for its kind, and marks it delivered or schedules a retry with
exponential back-off; after ``OUTBOX_MAX_ATTEMPTS`` it marks the message failed (kept, never
deleted: ``flask outbox retry`` puts failed messages back in the queue).

Exactly once at the receiver: a message's ``key`` travels with it as the ``Idempotency-Key``. If
the worker dies after the receiver accepted a message but before the mark was committed, the
message is still pending and is sent again under the same key; the receiver recognises the key
and answers as the first time, so it keeps the message once (at-least-once sending plus an
idempotent receiver). A mail server knows no key: a worker that lost the database after the server
accepted an e-mail remembers it and marks it when the database is back instead of sending it again;
only a worker killed in that moment resends it, with the same ``Message-ID``.

Transactions: :func:`deliver_due` is given the edge's ``unit_of_work`` and runs each message in a
unit of its own: the claim, the send and the mark commit together before the next message is
claimed, so a crash loses at most the mark of the message in flight. On PostgreSQL the claim is
``SELECT … FOR UPDATE SKIP LOCKED``: the row stays locked while it is sent, and workers running at
the same time take different messages. Messages of one kind to one recipient about one complaint
leave in the order they were written (a status update never overtakes the one before it).
"""

from collections import Counter
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from workflow.db import db
from workflow.models import OutboxMessage

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
MAX_ERROR_LENGTH = 2000


class Sender(Protocol):
    """Sends one message (passing ``message.key`` on as the idempotency key) or raises.

    A sender may write what the delivery means to the database (a reference, an audit event); that
    work commits with the mark. It may also have ``give_up(message, now)``, called once when the
    message is marked failed, and ``keyless = True`` when its receiver cannot recognise a key (SMTP).
    """

    def __call__(self, message: OutboxMessage, now: datetime) -> None: ...


# Keys of messages a keyless receiver (SMTP) accepted from this process whose mark was never committed: the
# database went away in between. When such a message comes round again it is marked, not handed over twice.
# Only a worker killed in that moment, or another worker claiming the message first, can still send it again.
_HANDED_OVER: dict[str, datetime] = {}

SenderFactory = Callable[[Mapping[str, Any]], dict[str, Sender]]
UnitOfWork = Callable[[], AbstractContextManager]
_SENDER_FACTORIES: list[SenderFactory] = []


class Undeliverable(Exception):
    """The receiver refused the message for good (an invalid payload, say): retrying cannot help."""


@dataclass(frozen=True)
class RetryPolicy:
    """How long to wait after each failed attempt, and when to give up."""

    base_seconds: float = 60
    cap_seconds: float = 6 * 3600
    max_attempts: int = 12

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "RetryPolicy":
        """Return the policy set by ``OUTBOX_BACKOFF_BASE_SECONDS``, ``…_CAP_SECONDS`` and ``OUTBOX_MAX_ATTEMPTS``."""
        return cls(base_seconds=float(config.get("OUTBOX_BACKOFF_BASE_SECONDS", cls.base_seconds)),
                   cap_seconds=float(config.get("OUTBOX_BACKOFF_CAP_SECONDS", cls.cap_seconds)),
                   max_attempts=int(config.get("OUTBOX_MAX_ATTEMPTS", cls.max_attempts)))

    def delay(self, attempts: int) -> timedelta:
        """Return the wait after the ``attempts``-th failed attempt: base·2^(attempts−1), at most the cap."""
        return timedelta(seconds=min(self.cap_seconds, self.base_seconds * 2 ** max(attempts - 1, 0)))


def enqueue(kind: str, key: str, payload: dict, now: datetime, complaint_id: int | None = None,
            recipient: str | None = None) -> OutboxMessage:
    """Queue a message in the current transaction (flush only); a second call with ``key`` returns the first."""
    # INSERT … ON CONFLICT DO NOTHING: a concurrent writer of the same key waits, then finds the first
    # message, and no savepoint is needed (SQLite's driver would commit one opened as the first write).
    insert = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    db.session.execute(insert(OutboxMessage).values(
        kind=kind, key=key, payload=payload, complaint_id=complaint_id, recipient=recipient, status=PENDING,
        attempts=0, next_attempt_at=now, created_at=now).on_conflict_do_nothing(index_elements=["key"]))
    return db.session.scalar(select(OutboxMessage).filter_by(key=key))


def deliver_due(now: datetime, senders: Mapping[str, Sender], limit: int = 100, *,
                unit_of_work: UnitOfWork | None = None, policy: RetryPolicy | None = None) -> Counter:
    """Deliver up to ``limit`` due messages of the kinds in ``senders``; return what happened to them.

    Each message is claimed, sent and marked inside one ``unit_of_work()`` (the job edge passes
    ``web.transaction.unit_of_work``, which commits after each message). Without one, nothing is
    committed here and the caller commits once at the end.
    """
    policy = policy or RetryPolicy.from_config(current_app.config)
    unit = unit_of_work or nullcontext
    report: Counter = Counter()
    if not senders:
        return report
    for _ in range(limit):
        with unit():
            message = _claim(now, sorted(senders))
            if message is None:
                break
            report[_attempt(message, senders[message.kind], now, policy)] += 1
        _HANDED_OVER.pop(message.key, None)  # its mark is committed (or, without a unit, the caller's to commit)
    return report


def requeue_failed(now: datetime, kind: str | None = None) -> int:
    """Put failed messages (of ``kind``, or all) back in the queue with fresh attempts; return how many."""
    query = select(OutboxMessage).where(OutboxMessage.status == FAILED)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    messages = db.session.scalars(query).all()
    for message in messages:
        message.status, message.attempts, message.next_attempt_at = PENDING, 0, now
    db.session.flush()
    return len(messages)


def counts() -> dict[tuple[str, str], int]:
    """Return the number of messages per (kind, status)."""
    rows = db.session.execute(select(OutboxMessage.kind, OutboxMessage.status, func.count())
                              .group_by(OutboxMessage.kind, OutboxMessage.status))
    return {(kind, status): number for kind, status, number in rows}


def register_senders(factory: SenderFactory) -> SenderFactory:
    """Register ``factory(config) -> {kind: sender}``, asked by :func:`senders_from` (decorator)."""
    if factory not in _SENDER_FACTORIES:
        _SENDER_FACTORIES.append(factory)
    return factory


def senders_from(config: Mapping[str, Any]) -> dict[str, Sender]:
    """Return the senders every registered connector offers under ``config`` (unconfigured ones offer none)."""
    senders: dict[str, Sender] = {}
    for factory in _SENDER_FACTORIES:
        senders.update(factory(config))
    return senders


def _claim(now: datetime, kinds: list[str]) -> OutboxMessage | None:
    # Two short steps, not one query with the ordering rule inside it: take the first due message in queue
    # order (locked; other workers skip it), then ask whether an earlier message of its chain is still
    # pending. With the rule inside one query, PostgreSQL checked every pending message against every other
    # whenever its statistics lagged behind a burst: seconds per claim with thousands of messages queued.
    passed: list[int] = []
    while True:
        query = (select(OutboxMessage.id)
                 .where(OutboxMessage.status == PENDING, OutboxMessage.next_attempt_at <= now,
                        OutboxMessage.kind.in_(kinds))
                 .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(1))
        if passed:
            query = query.where(OutboxMessage.id.not_in(passed))
        if db.session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        message_id = db.session.scalar(query)
        if message_id is None:
            return None
        message = db.session.get(OutboxMessage, message_id)
        earlier = _earliest_before(message)
        if earlier is None:
            return message
        # It waits for the earlier message of its chain: no use looking at it again before that one's next try.
        message.next_attempt_at = max(message.next_attempt_at, earlier)
        passed.append(message.id)


def _earliest_before(message: OutboxMessage) -> datetime | None:
    # Messages of one kind to one recipient about one complaint leave in the order they were written.
    if message.complaint_id is None or message.recipient is None:
        return None
    return db.session.scalar(select(func.min(OutboxMessage.next_attempt_at)).where(
        OutboxMessage.status == PENDING, OutboxMessage.kind == message.kind,
        OutboxMessage.complaint_id == message.complaint_id, OutboxMessage.recipient == message.recipient,
        OutboxMessage.id < message.id))


def _attempt(message: OutboxMessage, sender: Sender, now: datetime, policy: RetryPolicy) -> str:
    keyless = getattr(sender, "keyless", False)
    if keyless and message.key in _HANDED_OVER:
        return _mark_delivered(message, _HANDED_OVER[message.key])
    message.attempts += 1
    try:
        # The sender's own writes (a reference, an audit event) are undone if it fails half-way.
        with db.session.begin_nested():
            sender(message, now)
    except Undeliverable as error:
        message.last_error = _describe(error)
        return _give_up(message, sender, now)
    except Exception as error:
        message.last_error = _describe(error)
        if message.attempts >= policy.max_attempts:
            return _give_up(message, sender, now)
        message.next_attempt_at = now + policy.delay(message.attempts)
        return "retried"
    if keyless:
        _HANDED_OVER[message.key] = now
    return _mark_delivered(message, now)


def _mark_delivered(message: OutboxMessage, at: datetime) -> str:
    message.status, message.delivered_at, message.next_attempt_at = DELIVERED, at, None
    db.session.flush()
    return DELIVERED


def _give_up(message: OutboxMessage, sender: Sender, now: datetime) -> str:
    message.status, message.next_attempt_at = FAILED, None
    give_up = getattr(sender, "give_up", None)
    if give_up is not None:
        try:
            with db.session.begin_nested():
                give_up(message, now)
        except Exception as error:
            message.last_error = f"{message.last_error}; give_up: {_describe(error)}"[:MAX_ERROR_LENGTH]
    db.session.flush()
    return FAILED


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:MAX_ERROR_LENGTH]
