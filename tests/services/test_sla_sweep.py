"""The SLA sweep replayed day by day over real 2026 dates: each threshold fires once, on the right day."""

import threading
from collections.abc import Callable
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import and_, delete, event, func, select, text
from sqlalchemy.orm import Session

from tests.conftest import T0, VERIFY, on_postgres
from tests.services.test_lifecycle import clock, end_of, wita
from web.cli import sweep_until_done
from workflow.db import db
from workflow.domain.errors import VersionConflict
from workflow.models import Clock, Complaint, ComplaintEvent, OutboxMessage, SlaMark
from workflow.services import audit, hooks, indicators, outbox
from workflow.services.actions import take_action
from workflow.services.sla import sweep


def sweep_at(moment):
    report = sweep(moment)
    db.session.commit()
    return report


def actions(complaint_id: int) -> list[str]:
    return list(db.session.scalars(select(ComplaintEvent.action).filter_by(complaint_id=complaint_id)
                                   .order_by(ComplaintEvent.id)))


def sla_events(complaint_id: int) -> list[str]:
    keep = {"sla_warning", "sla_breach", "sla_level2", "escalate", "ombudsman_notice", "info_reminder"}
    return [a for a in actions(complaint_id) if a in keep]


def test_an_unhandled_complaint_warns_breaches_and_climbs_the_ladder_once_each(file):
    complaint = file().complaint  # Tue 17 Mar 2026; verification due Fri 27 Mar 23:59:59 WITA
    assert clock(complaint.id, "verification").due_at == end_of(2026, 3, 27)
    day = wita(2026, 3, 17, 9)
    log = {}
    while day < wita(2026, 4, 15):
        day += timedelta(days=1)
        for _ in range(2):  # a second pass the same day finds nothing new
            sweep_at(day)
        log[day.astimezone(end_of(2026, 3, 27).tzinfo).date().isoformat()] = sla_events(complaint.id)
    events = sla_events(complaint.id)
    assert events == ["sla_warning", "sla_breach", "escalate", "sla_level2", "escalate", "ombudsman_notice"]
    first_seen = {}
    for day_seen, seen in log.items():
        for name in seen:
            first_seen.setdefault(name, day_seen)
    # Warning once at most a quarter is left (after Thu 26 Mar), breach after Fri 27 Mar, level 2 after
    # three more working days (Mon 30, Tue 31 Mar, Wed 1 Apr).
    assert first_seen["sla_warning"] == "2026-03-27"
    assert first_seen["sla_breach"] == "2026-03-28"
    assert first_seen["sla_level2"] == "2026-04-02"
    escalated = db.session.get(Complaint, complaint.id)
    assert escalated.escalation_level == 2
    assert clock(complaint.id, "verification").breached_at == end_of(2026, 3, 27)
    assert db.session.scalar(select(func.count(SlaMark.id))) == 3


@pytest.mark.skipif(not on_postgres(), reason="HOT updates are PostgreSQL's")
def test_the_sweeps_escalation_is_written_beside_the_row_and_moves_no_index(file):
    complaint = file().complaint  # verification due Fri 27 Mar 2026

    report = sweep(wita(2026, 3, 28, 9))
    updated, hot = db.session.execute(text(
        "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE relname = 'complaints'")).one()
    db.session.commit()

    assert report["breach"] == 1 and db.session.get(Complaint, complaint.id).escalation_level == 1
    assert (updated, hot) == (1, 1)


def test_a_paused_complaint_does_not_breach(file, act, staff):
    complaint = file().complaint
    act(complaint.id, "request_info", staff["admin"].actor, T0, comment="Di mana lokasinya?")
    sweep_at(wita(2026, 3, 30))  # past the verification deadline the pause suspended
    assert "sla_breach" not in actions(complaint.id)
    assert clock(complaint.id, "verification").status == "paused"


def test_the_information_window_reminds_at_half_and_expires_on_its_day(file, act, staff):
    complaint = file().complaint
    act(complaint.id, "request_info", staff["admin"].actor, T0, comment="Di mana lokasinya?")
    due = clock(complaint.id, "info").due_at
    sweep_at(due - timedelta(minutes=1))
    assert actions(complaint.id).count("info_reminder") == 1
    assert db.session.get(Complaint, complaint.id).state == "pending_info"
    sweep_at(due + timedelta(minutes=1))
    archived = db.session.get(Complaint, complaint.id)
    assert (archived.state, archived.archive_reason) == ("archived", "incomplete")
    assert actions(complaint.id).count("expire_info") == 1


def test_silence_after_a_response_closes_on_the_right_day(file, act, staff):
    complaint = file().complaint
    act(complaint.id, "verify", staff["admin"].actor, **VERIFY)
    act(complaint.id, "acknowledge", staff["pupr"].actor)
    act(complaint.id, "respond", staff["penghubung_pupr"].actor, wita(2026, 3, 25), comment="Sudah ditambal.")
    # 10 working days from Wed 25 Mar: 26, 27, 30, 31 Mar, 1, 2 Apr, (3 Apr Good Friday), 6, 7, (8 Pagerwesi), 9, 10.
    assert clock(complaint.id, "confirmation").due_at == end_of(2026, 4, 10)
    sweep_at(wita(2026, 4, 10, 23, 59))
    assert db.session.get(Complaint, complaint.id).state == "responded"
    sweep_at(wita(2026, 4, 11, 0, 1))
    closed = db.session.get(Complaint, complaint.id)
    assert (closed.state, closed.closure) == ("closed", "auto")


def test_a_restarted_response_clock_is_watched_afresh(file, act, staff):
    complaint = file().complaint
    act(complaint.id, "verify", staff["admin"].actor, **VERIFY)
    sweep_at(clock(complaint.id, "response").due_at + timedelta(hours=1))
    assert actions(complaint.id).count("sla_breach") == 1
    act(complaint.id, "return", staff["penghubung_pupr"].actor, wita(2026, 3, 30), comment="Urusan PDAM.")
    act(complaint.id, "redispose", staff["admin"].actor, wita(2026, 3, 30), unit="PDAM")
    sweep_at(clock(complaint.id, "response").due_at + timedelta(hours=1))
    assert actions(complaint.id).count("sla_breach") == 2  # the new unit's own breach


def test_a_pass_reads_only_what_is_due(file):
    for _ in range(3):
        file()
    assert sweep_at(T0 + timedelta(hours=1))["clocks"] == 0
    assert sweep_at(wita(2026, 3, 27, 12))["clocks"] == 3


def test_the_cli_replays_a_date(app, file):
    complaint = file().complaint
    result = app.test_cli_runner().invoke(args=["sla", "sweep", "--now", "2026-03-28T08:00:00+08:00"])
    assert result.exit_code == 0, result.output
    assert "breach=1" in result.output and "warning=1" in result.output
    assert sla_events(complaint.id) == ["sla_warning", "sla_breach", "escalate"]
    again = app.test_cli_runner().invoke(args=["sla", "sweep", "--now", "2026-03-28T08:00:00+08:00"])
    assert "nothing due" in again.output


@pytest.mark.skipif(not on_postgres(), reason="parallel sweeps need PostgreSQL's row locks (TEST_DATABASE_URL)")
def test_two_sweeps_at_once_record_each_threshold_once(app, file):
    ids = [file().complaint.id for _ in range(40)]
    moment = wita(2026, 4, 3)
    start = threading.Barrier(2)
    errors = []

    def run():
        with app.app_context():
            try:
                start.wait(timeout=30)
                sweep_until_done(moment, 5)
            except Exception as error:
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    db.session.expire_all()
    for complaint_id in ids:
        assert sla_events(complaint_id) == ["sla_warning", "sla_breach", "escalate", "sla_level2", "escalate",
                                            "ombudsman_notice"]
    assert db.session.scalar(select(func.count(SlaMark.id))) == 3 * len(ids)
    assert all(db.session.get(Complaint, i).escalation_level == 2 for i in ids)


# --- one batch, many complaints: the set-based pass ---------------------------------------------------

SWEPT = {"sla_warning", "sla_breach", "sla_level2", "escalate", "ombudsman_notice", "info_reminder"}


@pytest.fixture
def mixed_batch(app, file, act, staff):
    """File complaints whose thresholds all fall due in one pass on Fri 17 Apr 2026, of every kind."""
    app.config.update(NOTIFICATIONS_ENABLED=True, NOTIFY_REPORTER_PHONE_CHANNEL="sms",
                      PUBLIC_BASE_URL="https://pengaduan.klungkungkab.go.id")
    waiting = file(reporter={"name": "Ni Luh Sukerti", "phone": "081234567002", "email": "niluh@example.id"})
    ignored = file()  # verified, then nobody acts: response and resolution both fall due
    act(ignored.complaint.id, "verify", staff["admin"].actor, **VERIFY)
    hidden = file(title="Jalan rusak, dilaporkan I Wayan Rahasia", anonymous=True,
                  reporter={"name": "I Wayan Rahasia", "phone": "081377770001"})
    act(hidden.complaint.id, "verify", staff["admin"].actor, **(VERIFY | {"anonymous": True}))
    paused = file()  # information requested: its work clocks wait, its window runs out
    act(paused.complaint.id, "verify", staff["admin"].actor, **VERIFY)
    act(paused.complaint.id, "acknowledge", staff["pupr"].actor)
    act(paused.complaint.id, "request_info", staff["pupr"].actor, comment="Di mana tepatnya?")
    answered = file()  # answered, the reporter stays silent: the confirmation window closes it
    act(answered.complaint.id, "verify", staff["admin"].actor, **VERIFY)
    act(answered.complaint.id, "acknowledge", staff["pupr"].actor)
    act(answered.complaint.id, "respond", staff["penghubung_pupr"].actor, comment="Sudah ditambal.")
    return {"waiting": waiting.complaint.id, "ignored": ignored.complaint.id, "hidden": hidden.complaint.id,
            "paused": paused.complaint.id, "answered": answered.complaint.id}


def test_one_pass_over_many_complaints_records_each_threshold_once_in_a_sound_audit_trail(mixed_batch, staff):
    ids = mixed_batch
    versions = {name: db.session.get(Complaint, cid).version for name, cid in ids.items()}
    moment = wita(2026, 4, 17)

    report = sweep_at(moment)

    climbed = ["sla_warning", "sla_breach", "escalate", "sla_level2", "escalate", "ombudsman_notice"]
    assert sla_events(ids["waiting"]) == climbed
    # The response clock first (its threshold came first), then the resolution clock's warning and breach,
    # which raise nothing more: the complaint is at level 2 already.
    assert sla_events(ids["ignored"]) == sla_events(ids["hidden"]) == [*climbed, "sla_warning", "sla_breach"]
    assert sla_events(ids["paused"]) == ["info_reminder"]  # its work clocks are paused: no breach
    assert db.session.get(Complaint, ids["paused"]).state == "archived" and "expire_info" in actions(ids["paused"])
    assert db.session.get(Complaint, ids["answered"]).closure == "auto"
    assert report["clocks"] == 7 and report["breach"] == 5 and report["level2"] == 3
    assert (report["info_expired"], report["confirmation_expired"]) == (1, 1)
    db.session.expire_all()
    for name in ("waiting", "ignored", "hidden"):
        complaint = db.session.get(Complaint, ids[name])
        # One version-checked UPDATE per complaint and batch, however many of its clocks were due.
        assert (complaint.escalation_level, complaint.version) == (2, versions[name] + 1)
    assert [c.breached_at for c in db.session.get(Complaint, ids["paused"]).clocks] == [None] * 4
    assert db.session.scalar(select(func.count(SlaMark.id))) == 3 + 5 + 5 + 1
    # Each mark names its clock's run as the database stores and compares it (the escalation inbox joins on it).
    assert db.session.scalar(select(func.count(SlaMark.id)).join(Clock, and_(
        Clock.id == SlaMark.clock_id, Clock.started_at == SlaMark.cycle))) == 3 + 5 + 5 + 1
    assert clock(ids["ignored"], "resolution").breached_at == clock(ids["ignored"], "resolution").due_at
    checked, broken = audit.verify()
    assert broken is None and checked == db.session.scalar(select(func.count(ComplaintEvent.id)))
    # The facts the pass moved without a recount equal a recount, and the roll-ups their sum.
    assert indicators.check(deep=True) == []
    figures = indicators.indicators(indicators.Period.year(2026), moment)["figures"]
    assert figures["escalations"]["level2"] == 3 and figures["overdue_now"] == 3
    assert sweep_at(moment)["clocks"] == 0


def test_the_pass_queues_the_same_messages_as_one_event_at_a_time(mixed_batch, staff):
    sweep_at(wita(2026, 4, 17))
    swept = db.session.scalars(select(ComplaintEvent).where(
        ComplaintEvent.action.in_(SWEPT), ComplaintEvent.complaint_id.in_(
            [mixed_batch["waiting"], mixed_batch["ignored"], mixed_batch["hidden"]])).order_by(ComplaintEvent.id)).all()
    assert len(swept) == 6 + 8 + 8
    swept_ids = {e.id for e in swept}

    def queued() -> dict:
        """Return the messages keyed by the swept events (notify:<event id>:…)."""
        return {m.key: (m.kind, m.recipient, m.payload) for m in db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.key.like("notify:%")))
            if int(m.key.split(":")[1]) in swept_ids}

    by_the_pass = queued()
    assert by_the_pass, "the pass queued no message"
    # Queue the same events again through the listener one at a time, with the complaints as ORM objects.
    db.session.execute(delete(OutboxMessage).where(OutboxMessage.key.in_(by_the_pass)))
    for written in swept:
        hooks.changed(db.session.get(Complaint, written.complaint_id), written)
    db.session.flush()
    one_by_one = queued()
    db.session.rollback()
    assert one_by_one == by_the_pass
    # Reporters hear only of the Ombudsman route (every other event of the pass is internal), once each.
    to_reporters = [(kind, payload["tracking_code"]) for kind, recipient, payload in by_the_pass.values()
                    if kind != "inapp"]
    assert {payload["notice"] for kind, _, payload in by_the_pass.values() if kind != "inapp"} == {"ombudsman"}
    assert sorted(to_reporters) == sorted(set(to_reporters)) and len(to_reporters) == 4  # 3 SMS, 1 e-mail
    unit_staff = {staff[name].actor.user_id for name in ("pupr", "penghubung_pupr")}
    to_unit_staff = [payload for kind, _, payload in by_the_pass.values()
                     if kind == "inapp" and unit_staff & set(payload["user_ids"])]
    assert any(payload["complaint_id"] == mixed_batch["hidden"] for payload in to_unit_staff)
    assert not any("Rahasia" in payload["text"] for payload in to_unit_staff)


def test_an_action_on_the_version_before_an_escalation_is_a_conflict(file, act, staff):
    complaint_id = file().complaint.id
    act(complaint_id, "verify", staff["admin"].actor, **VERIFY)
    seen = db.session.get(Complaint, complaint_id).version  # what a person's screen shows
    sweep_at(clock(complaint_id, "response").due_at + timedelta(hours=1))  # breach → escalation level 1
    with pytest.raises(VersionConflict):
        act(complaint_id, "acknowledge", staff["pupr"].actor, expected_version=seen)
    act(complaint_id, "acknowledge", staff["pupr"].actor, expected_version=seen + 1)
    assert db.session.get(Complaint, complaint_id).escalation_level == 1


def test_a_person_acting_while_the_pass_escalates_gets_a_conflict(app, file, act, staff):
    """The person read the complaint before the pass escalated it and writes after: their write loses."""
    complaint_id = file().complaint.id
    act(complaint_id, "verify", staff["admin"].actor, **VERIFY)
    moment = clock(complaint_id, "response").due_at + timedelta(hours=1)
    has_read, swept = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def hold_before_writing(session, flush_context, instances) -> None:
        if threading.current_thread() is person:
            has_read.set()
            swept.wait(timeout=60)

    def acknowledge() -> None:
        with app.app_context():
            try:
                take_action(complaint_id, "acknowledge", staff["pupr"].actor, moment, {})
                db.session.commit()
                outcome["person"] = "committed"
            except Exception as error:
                db.session.rollback()
                outcome["person"] = error
            finally:
                has_read.set()
                db.session.remove()

    person = threading.Thread(target=acknowledge)
    event.listen(Session, "before_flush", hold_before_writing)
    try:
        person.start()
        assert has_read.wait(timeout=60)
        report = sweep_until_done(moment, 10)
    finally:
        swept.set()
        person.join(timeout=60)
        event.remove(Session, "before_flush", hold_before_writing)
    assert report["breach"] == 1
    assert isinstance(outcome["person"], VersionConflict)
    db.session.expire_all()
    escalated = db.session.get(Complaint, complaint_id)
    assert (escalated.state, escalated.escalation_level) == ("dispositioned", 1)
    assert actions(complaint_id).count("escalate") == 1 and "acknowledge" not in actions(complaint_id)


@contextmanager
def held_open(app, write: Callable[[], None], finish: Callable[[], None]):
    """Run ``write`` in another session and keep its transaction open (its locks held) while the block runs."""
    written, release = threading.Event(), threading.Event()

    def other_session() -> None:
        with app.app_context():
            try:
                write()
                db.session.flush()
                written.set()
                release.wait(timeout=60)
                finish()
            finally:
                written.set()
                db.session.remove()

    other = threading.Thread(target=other_session)
    other.start()
    try:
        assert written.wait(timeout=60)
        yield
    finally:
        release.set()
        other.join(timeout=60)


def two_overdue(file, act, staff) -> tuple[int, int, object]:
    """Return two verified complaints and the moment their response clocks are an hour past due."""
    first, second = file().complaint.id, file().complaint.id
    for complaint_id in (first, second):
        act(complaint_id, "verify", staff["admin"].actor, **VERIFY)
    return first, second, clock(first, "response").due_at + timedelta(hours=1)


@pytest.mark.skipif(not on_postgres(), reason="row locks between sessions need PostgreSQL (TEST_DATABASE_URL)")
def test_a_complaint_a_person_is_changing_waits_for_the_next_pass(app, file, act, staff):
    busy, other, moment = two_overdue(file, act, staff)
    # The complaint's row is locked until the person's action commits.
    with held_open(app, lambda: take_action(busy, "acknowledge", staff["pupr"].actor, moment, {}),
                   db.session.commit):
        first = sweep_until_done(moment, 10)
    assert first["breach"] == 1 and sla_events(other) == ["sla_warning", "sla_breach", "escalate"]
    assert sla_events(busy) == []  # skipped, not waited for
    assert sweep_until_done(moment, 10)["breach"] == 1
    db.session.expire_all()
    assert sla_events(busy) == ["sla_warning", "sla_breach", "escalate"]
    assert db.session.get(Complaint, busy).state == "in_progress"


@pytest.mark.skipif(not on_postgres(), reason="row locks between sessions need PostgreSQL (TEST_DATABASE_URL)")
def test_a_message_being_written_about_a_complaint_does_not_hold_up_its_sweep(app, file, act, staff):
    noticed, other, moment = two_overdue(file, act, staff)
    # The outbox worker or another use case queues a message about the complaint and has not committed yet.
    with held_open(app, lambda: outbox.enqueue("email", "held-open", {}, moment, complaint_id=noticed,
                                                recipient="x@example.org"), db.session.rollback):
        report = sweep_until_done(moment, 10)
    assert report["breach"] == 2
    assert sla_events(noticed) == sla_events(other) == ["sla_warning", "sla_breach", "escalate"]
