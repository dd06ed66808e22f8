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
claimed, so a crash loses at most the mark of the message in flight. A sender that writes only to
this database (the in-app notices) takes up to ``MANY`` messages in one unit instead: its writes and
their marks commit together just the same. :func:`deliver_until_drained` (the worker) goes on with the
next round at once while rounds come back full, so a burst drains at the senders' speed. On PostgreSQL the claim is
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
from sqlalchemy import exists, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased

from workflow.db import db
from workflow.models import OutboxMessage

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
MAX_ERROR_LENGTH = 2000
# Messages per transaction for a sender that delivers many at once: one sweep can queue 40,000 notices.
MANY = 500


class Sender(Protocol):
    """Sends one message (passing ``message.key`` on as the idempotency key) or raises.

    A sender may write what the delivery means to the database (a reference, an audit event); that
    work commits with the mark. It may also have ``give_up(message, now)``, called once when the
    message is marked failed, ``keyless = True`` when its receiver cannot recognise a key (SMTP), and
    ``many(messages, now)`` when it can deliver a batch at once (the in-app notices: rows in this database).
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

    Each message — or, for a sender with ``many``, each batch of up to ``MANY`` — is claimed, sent and
    marked inside one ``unit_of_work()`` (the job edge passes ``web.transaction.unit_of_work``, which
    commits after each). Without one, nothing is committed here and the caller commits once at the end.
    """
    policy = policy or RetryPolicy.from_config(current_app.config)
    unit = unit_of_work or nullcontext
    report: Counter = Counter()
    if not senders:
        return report
    left = limit
    while left > 0:
        with unit():
            message = _claim(now, sorted(senders))
            if message is None:
                break
            sender = senders[message.kind]
            if getattr(sender, "many", None) is None:
                outcomes = Counter([_attempt(message, sender, now, policy)])
            else:
                outcomes = _attempt_many([message, *_claim_more(message, now, min(left, MANY) - 1)], sender, now,
                                         policy)
        _HANDED_OVER.pop(message.key, None)  # its mark is committed (or, without a unit, the caller's to commit)
        report.update(outcomes)
        left -= sum(outcomes.values())
    return report


def deliver_until_drained(clock: Callable[[], datetime], senders: Mapping[str, Sender], batch: int = 100, *,
                          unit_of_work: UnitOfWork | None = None, max_rounds: int = 1000) -> Counter:
    """Deliver rounds of up to ``batch`` messages, at ``clock()`` each, until a round finds fewer; sum them.

    A worker that waited between rounds of a fixed size would fall behind any burst (100 messages every
    30 seconds is 12,000 an hour, and one sweep can queue 40,000 notices): a full round means more are
    due, so the next one starts at once; ``max_rounds`` bounds one call.
    """
    total: Counter = Counter()
    for _ in range(max_rounds):
        report = deliver_due(clock(), senders, batch, unit_of_work=unit_of_work)
        total.update(report)
        if sum(report.values()) < batch:
            break
    return total


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


def _claim_more(first: OutboxMessage, now: datetime, count: int) -> list[OutboxMessage]:
    # The next due messages of the first one's kind, for a sender that delivers many at once; a message
    # whose chain has an earlier one pending outside the batch is left for a later round (order is kept).
    if count <= 0:
        return []
    query = (select(OutboxMessage.id)
             .where(OutboxMessage.status == PENDING, OutboxMessage.next_attempt_at <= now,
                    OutboxMessage.kind == first.kind, OutboxMessage.id != first.id)
             .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(count))
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = [first.id, *db.session.scalars(query)]
    earlier = aliased(OutboxMessage)
    waiting = set(db.session.scalars(select(OutboxMessage.id).where(OutboxMessage.id.in_(ids), exists().where(
        earlier.status == PENDING, earlier.kind == OutboxMessage.kind,
        earlier.complaint_id == OutboxMessage.complaint_id, earlier.recipient == OutboxMessage.recipient,
        earlier.id < OutboxMessage.id, earlier.id.not_in(ids)))))
    wanted = [i for i in ids[1:] if i not in waiting]
    found = {m.id: m for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(wanted)))}
    return [found[i] for i in wanted]


def _attempt_many(messages: list[OutboxMessage], sender: Sender, now: datetime, policy: RetryPolicy) -> Counter:
    try:
        with db.session.begin_nested():
            sender.many(messages, now)
    except Exception:
        # One of them is at fault, or the receiver failed: each is tried on its own, with its own retries.
        return Counter(_attempt(message, sender, now, policy) for message in messages)
    for message in messages:
        message.attempts += 1
        message.status, message.delivered_at, message.next_attempt_at = DELIVERED, now, None
    db.session.flush()
    return Counter({DELIVERED: len(messages)})


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
