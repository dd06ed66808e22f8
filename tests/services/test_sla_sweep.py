"""The SLA sweep replayed day by day over real 2026 dates: each threshold fires once, on the right day."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import T0, VERIFY, on_postgres
from tests.services.test_lifecycle import clock, end_of, wita
from web.cli import sweep_until_done
from workflow.db import db
from workflow.models import Complaint, ComplaintEvent, SlaMark
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
