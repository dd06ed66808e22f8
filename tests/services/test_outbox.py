"""The transactional outbox: queued with the change, delivered once, retried with back-off, never repeated."""

import threading
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from tests.conftest import PG_URL, T0, database_url_for, on_postgres
from web.transaction import unit_of_work
from workflow.db import db
from workflow.models import Notice, OutboxMessage
from workflow.services import outbox


class SimulatedCrash(BaseException):
    """The worker dies (power cut, OOM kill): nothing after this point runs."""


class Receiver:
    """A receiving gateway that keeps each message once by its idempotency key, and fails when told to."""

    def __init__(self) -> None:
        self.kept: dict[str, dict] = {}
        self.calls = 0
        self.failures: list[Exception] = []
        self.gave_up: list[str] = []

    def __call__(self, message: OutboxMessage, now) -> None:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        self.kept.setdefault(message.key, message.payload)

    def give_up(self, message: OutboxMessage, now) -> None:
        self.gave_up.append(message.key)


def queue(key: str, kind: str = "sms", at=T0, **fields) -> OutboxMessage:
    message = outbox.enqueue(kind, key, {"text": f"pesan {key}"}, at, **fields)
    db.session.commit()
    return message


def message(key: str) -> OutboxMessage:
    db.session.expire_all()
    return db.session.scalar(select(OutboxMessage).filter_by(key=key))


def deliver(senders: dict, at=T0, **kwargs):
    return outbox.deliver_due(at, senders, unit_of_work=unit_of_work, **kwargs)


# --- queueing -------------------------------------------------------------------------------------


def test_a_message_exists_only_if_the_change_that_queued_it_commits(app):
    outbox.enqueue("email", "rolled-back", {"text": "x"}, T0)
    db.session.rollback()
    queue("kept", kind="email", recipient="warga@example.id")

    assert message("rolled-back") is None
    kept = message("kept")
    assert (kept.status, kept.attempts, kept.next_attempt_at, kept.recipient) == ("pending", 0, T0,
                                                                                  "warga@example.id")


def test_queueing_the_same_key_twice_keeps_the_first_message(app):
    first = queue("same-key")
    again = outbox.enqueue("sms", "same-key", {"text": "another"}, T0 + timedelta(hours=1))
    db.session.commit()

    assert again.id == first.id and again.payload == {"text": "pesan same-key"}
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


# --- delivering -----------------------------------------------------------------------------------


def test_each_due_message_is_delivered_and_marked_once(app):
    queue("a")
    queue("b")
    receiver = Receiver()

    report = deliver({"sms": receiver})
    again = deliver({"sms": receiver})

    assert report["delivered"] == 2 and not again
    assert set(receiver.kept) == {"a", "b"} and receiver.calls == 2
    assert (message("a").status, message("a").delivered_at, message("a").attempts) == ("delivered", T0, 1)


def test_the_worker_goes_on_while_its_rounds_come_back_full(app, staff):
    # 25 notices due and rounds of 10: one `flask outbox deliver` delivers them all, not one round's worth.
    app.config["NOTIFICATIONS_ENABLED"] = True
    user_id = staff["admin"].actor.user_id
    for number in range(25):
        outbox.enqueue("inapp", f"notice-{number}", {"user_id": user_id, "notice": "new_complaint",
                                                     "text": f"pemberitahuan {number}", "at": T0.isoformat()}, T0)
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["outbox", "deliver", "--limit", "10", "--now", T0.isoformat()])

    assert result.exit_code == 0 and "delivered=25" in result.output, result.output
    assert db.session.scalar(select(func.count()).select_from(Notice)) == 25


class NoticeWriter(Receiver):
    """A receiver that can take many messages at once, as the in-app notices do; counts its batches."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[int] = []
        self.refuse_batches = False

    def many(self, messages: list[OutboxMessage], now) -> None:
        if self.refuse_batches:
            raise RuntimeError("batch refused")
        self.batches.append(len(messages))
        for message in messages:
            self.kept.setdefault(message.key, message.payload)


def test_notices_are_delivered_many_at_a_time(app):
    for number in range(1200):
        outbox.enqueue("inapp", f"n-{number}", {"text": str(number)}, T0)
    db.session.commit()
    writer = NoticeWriter()

    report = deliver({"inapp": writer}, limit=2000)

    assert report["delivered"] == 1200 and len(writer.kept) == 1200
    assert writer.batches == [outbox.MANY, outbox.MANY, 200]  # three transactions, not 1,200
    assert {m.status for m in db.session.scalars(select(OutboxMessage))} == {"delivered"}


def test_a_batch_keeps_each_conversation_in_order(app, file):
    complaint_id = file().complaint.id
    queue("other", kind="inapp")
    queue("first", kind="inapp", complaint_id=complaint_id, recipient="user:1", at=T0 + timedelta(minutes=5))
    queue("second", kind="inapp", complaint_id=complaint_id, recipient="user:1")  # due, but after "first"
    writer = NoticeWriter()

    deliver({"inapp": writer})
    assert list(writer.kept) == ["other"]  # "second" waits for the earlier notice of its conversation
    deliver({"inapp": writer}, at=T0 + timedelta(minutes=5))

    assert list(writer.kept) == ["other", "first", "second"]


def test_a_failed_batch_is_tried_one_message_at_a_time(app):
    for key in ("a", "b", "c"):
        queue(key, kind="inapp")
    writer = NoticeWriter()
    writer.refuse_batches = True
    writer.failures = [RuntimeError("a is broken")]  # the first single attempt fails, the others go through

    report = deliver({"inapp": writer})

    assert report == {"delivered": 2, "retried": 1}
    assert message("a").status == "pending" and message("a").attempts == 1
    assert {message("b").status, message("c").status} == {"delivered"}


def test_a_message_is_not_sent_before_it_is_due(app):
    queue("later", at=T0 + timedelta(minutes=5))
    receiver = Receiver()

    deliver({"sms": receiver})
    assert receiver.calls == 0
    deliver({"sms": receiver}, at=T0 + timedelta(minutes=5))
    assert message("later").status == "delivered"


def test_only_kinds_with_a_sender_are_claimed(app):
    queue("hub", kind="lapor_transfer")
    queue("text")
    receiver = Receiver()

    deliver({"sms": receiver})

    assert set(receiver.kept) == {"text"}
    assert message("hub").status == "pending" and message("hub").attempts == 0


def test_failures_back_off_exponentially_up_to_the_cap_then_the_message_fails(app):
    app.config.update(OUTBOX_BACKOFF_BASE_SECONDS=60, OUTBOX_BACKOFF_CAP_SECONDS=300, OUTBOX_MAX_ATTEMPTS=5)
    queue("flaky")
    receiver = Receiver()
    receiver.failures = [ConnectionError(f"gateway down #{n}") for n in range(1, 6)]

    waits, at = [], T0
    for _ in range(4):
        deliver({"sms": receiver}, at=at)
        waits.append(message("flaky").next_attempt_at - at)
        deliver({"sms": receiver}, at=message("flaky").next_attempt_at - timedelta(seconds=1))  # not yet due
        at = message("flaky").next_attempt_at
    deliver({"sms": receiver}, at=at)

    assert waits == [timedelta(seconds=60), timedelta(seconds=120), timedelta(seconds=240), timedelta(seconds=300)]
    failed = message("flaky")
    assert (failed.status, failed.attempts, failed.next_attempt_at) == ("failed", 5, None)
    assert failed.last_error == "ConnectionError: gateway down #5"
    assert receiver.calls == 5 and receiver.gave_up == ["flaky"]
    assert not deliver({"sms": receiver}, at=at + timedelta(days=30))


def test_a_refusal_fails_the_message_at_once(app):
    queue("refused")
    receiver = Receiver()
    receiver.failures = [outbox.Undeliverable("nomor tidak valid")]

    report = deliver({"sms": receiver})

    assert report["failed"] == 1
    refused = message("refused")
    assert (refused.status, refused.attempts, refused.last_error) == ("failed", 1, "Undeliverable: nomor tidak valid")


def test_a_failed_message_can_be_put_back_in_the_queue(app):
    queue("refused")
    receiver = Receiver()
    receiver.failures = [outbox.Undeliverable("gateway misconfigured")]
    deliver({"sms": receiver})

    assert outbox.requeue_failed(T0 + timedelta(hours=1)) == 1
    db.session.commit()
    deliver({"sms": receiver}, at=T0 + timedelta(hours=1))

    assert message("refused").status == "delivered" and list(receiver.kept) == ["refused"]
    assert outbox.counts() == {("sms", "delivered"): 1}


def test_a_crash_between_sending_and_marking_does_not_repeat_at_the_receiver(app):
    queue("once")
    receiver = Receiver()

    def send_then_crash(message, now):
        receiver(message, now)
        raise SimulatedCrash

    with pytest.raises(SimulatedCrash):
        deliver({"sms": send_then_crash})
    assert message("once").status == "pending" and message("once").attempts == 0  # the mark never committed

    deliver({"sms": receiver})

    assert message("once").status == "delivered"
    assert receiver.calls == 2 and list(receiver.kept) == ["once"]  # sent twice, kept once


class MailServer(Receiver):
    """A receiver that knows no idempotency key, as SMTP: each message handed over is kept again."""

    keyless = True

    def __call__(self, message: OutboxMessage, now) -> None:
        self.calls += 1
        self.kept[f"{message.key}#{self.calls}"] = message.payload


def test_an_email_accepted_while_the_database_went_away_is_marked_not_sent_again(app):
    queue("mail", kind="email")
    server = MailServer()

    @contextmanager
    def database_lost_at_commit():
        with unit_of_work():
            yield
            raise OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"))

    with pytest.raises(OperationalError):
        outbox.deliver_due(T0, {"email": server}, unit_of_work=database_lost_at_commit)
    assert message("mail").status == "pending"  # the server has it; the mark was lost

    deliver({"email": server}, at=T0 + timedelta(minutes=1))

    assert message("mail").status == "delivered" and message("mail").delivered_at == T0
    assert server.calls == 1 and len(server.kept) == 1


def test_each_message_commits_on_its_own(app):
    queue("first")
    queue("second")
    receiver = Receiver()

    def crash_on_second(message, now):
        if message.key == "second":
            raise SimulatedCrash
        receiver(message, now)

    with pytest.raises(SimulatedCrash):
        deliver({"sms": crash_on_second})

    assert message("first").status == "delivered"
    assert message("second").status == "pending"


def test_messages_about_one_complaint_to_one_recipient_leave_in_order(app, file):
    complaint_id = file().complaint.id
    queue("status-1", complaint_id=complaint_id, recipient="hub")
    queue("status-2", complaint_id=complaint_id, recipient="hub")
    queue("other-recipient", complaint_id=complaint_id, recipient="warga")
    receiver = Receiver()
    receiver.failures = [ConnectionError("down")]

    deliver({"sms": receiver})
    assert list(receiver.kept) == ["other-recipient"]  # status-2 waits behind the failed status-1
    deliver({"sms": receiver}, at=T0 + timedelta(minutes=1))

    assert list(receiver.kept) == ["other-recipient", "status-1", "status-2"]


def test_the_retry_policy_comes_from_the_configuration(app):
    app.config.update(OUTBOX_BACKOFF_BASE_SECONDS=10, OUTBOX_BACKOFF_CAP_SECONDS=3600, OUTBOX_MAX_ATTEMPTS=3)
    policy = outbox.RetryPolicy.from_config(app.config)

    assert policy.max_attempts == 3
    assert [policy.delay(n).total_seconds() for n in (1, 2, 3, 10)] == [10, 20, 40, 3600]
    assert outbox.RetryPolicy().delay(12) == timedelta(hours=6)  # the defaults: 1 minute doubling to 6 hours


@pytest.mark.skipif(not on_postgres(), reason="SKIP LOCKED between sessions needs PostgreSQL "
                                                "(set TEST_DATABASE_URL; .ci/run does)")
def test_two_workers_at_once_take_different_messages(app):
    from sqlalchemy import create_engine, text

    queue("slow-one")
    queue("quick-one", at=T0 + timedelta(seconds=1))
    receiver = Receiver()
    first_sending, second_done = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def hold_while_sending(message, now):
        first_sending.set()
        assert second_done.wait(timeout=60), "the second worker waited for the first one's lock"
        receiver(message, now)

    def worker(name: str, sender, limit: int) -> None:
        with app.app_context():
            try:
                outcome[name] = deliver({"sms": sender}, at=T0 + timedelta(minutes=1), limit=limit)
            except Exception as error:
                outcome[name] = error
            finally:
                db.session.remove()

    first = threading.Thread(target=worker, args=("first", hold_while_sending, 1))
    first.start()
    assert first_sending.wait(timeout=60)
    worker("second", receiver, 5)  # runs here while the first worker holds "slow-one"
    second_done.set()
    first.join(timeout=60)

    assert outcome["first"]["delivered"] == 1 and outcome["second"]["delivered"] == 1
    assert sorted(receiver.kept) == ["quick-one", "slow-one"] and receiver.calls == 2
    observer = create_engine(database_url_for(PG_URL))
    with observer.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM outbox_messages WHERE status = 'delivered'")) == 2
    observer.dispose()
