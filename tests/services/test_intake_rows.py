"""Filing writes its rows past the ORM's unit of work: the same rows, chains and counts as the ORM would."""

from contextlib import suppress
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import event, inspect, select, text

from tests.conftest import T0, VERIFY, new_complaint, on_postgres
from workflow.db import db
from workflow.domain.audit import GENESIS, event_hash
from workflow.models import Clock, Complaint, ComplaintEvent, IndicatorFact
from workflow.services import audit, indicators
from workflow.services.intake import file_complaint


def stored(table: str, **where) -> list[dict]:
    condition = " AND ".join(f"{name} = :{name}" for name in where) or "1 = 1"
    return [dict(row) for row in db.session.execute(
        text(f"SELECT * FROM {table} WHERE {condition} ORDER BY 1"), where).mappings()]  # nosec B608


def test_filing_stores_every_column_with_the_models_defaults(app, staff):
    received = datetime(2026, 3, 16, 9, 30, 15, 123456, tzinfo=UTC)
    filed = file_complaint(new_complaint(
        channel="letter", received_at=received.isoformat(), occurred_on="2026-03-10",
        location={"desa": "Gelgel", "kecamatan": "Klungkung", "address": "Jl. Raya Gelgel 7", "lat": -8.5541234567,
                  "lng": 115.4012345678},
        reporter={"name": "I Komang Sutama", "phone": "081234567001", "email": "komang@example.org"},
        anonymous=True, gesi={"gender": "female", "disability": True, "marginal_group": "Nelayan"}),
        staff["admin"].actor, T0)
    db.session.commit()
    complaint_id = filed.complaint.id
    db.session.expunge_all()
    row = stored("complaints", id=complaint_id)[0]
    row["occurred_on"] = _date(row["occurred_on"])
    assert {key: value for key, value in row.items() if key not in ("id", "pin_hash", "tracking_code")} == {
        "state": "received", "resume_to": None, "closure": None, "archive_reason": None, "channel": "letter",
        "title": "Jalan berlubang di Jalan Raya Gelgel",
        "description": "Lubang besar di depan pura, dua motor jatuh minggu ini.", "category_code": "jalan-rusak",
        "class_code": None, "occurred_on": date(2026, 3, 10),
        "desa": "Gelgel", "kecamatan": "Klungkung", "address": "Jl. Raya Gelgel 7", "lat": -8.5541234567,
        "lng": 115.4012345678, "reporter_name": "I Komang Sutama", "reporter_phone": "081234567001",
        "reporter_email": "komang@example.org", "anonymous": True, "confidential": False,
        "confidentiality_confirmed": False, "needs_assistance": False, "gesi_gender": "female",
        "gesi_disability": True, "gesi_marginal_group": "Nelayan", "unit_id": None,
        "sop_version_id": row["sop_version_id"], "entered_by_id": staff["admin"].actor.user_id,
        "duplicate_of_id": None, "transfer_target": None, "external_ref": None, "escalation_level": 0,
        "bounce_count": 0, "reopen_count": 0, "received_at": row["received_at"], "verified_at": None,
        "closed_at": None, "created_at": row["created_at"], "updated_at": row["updated_at"], "version": 1,
        "pin_failures": 0, "pin_locked_until": None}
    # Read back through the ORM, the times are the same instants (SQLite keeps naive UTC).
    complaint = db.session.get(Complaint, complaint_id)
    assert (complaint.received_at, complaint.created_at, complaint.updated_at) == (received, T0, T0)
    clock = db.session.scalars(select(Clock).filter_by(complaint_id=complaint_id)).one()
    assert (clock.kind, clock.status, clock.limit_working_days, clock.started_at) == ("verification", "running", 3,
                                                                                     received)
    assert clock.due_at is not None and clock.next_check_at is not None
    assert (clock.paused_at, clock.remaining_working_days, clock.breached_at, clock.stopped_at) == (None,) * 4


def test_the_filing_events_are_numbered_hashed_and_written_in_order(app, staff):
    filed = file_complaint(new_complaint(), None, T0)
    db.session.commit()
    rows = db.session.scalars(select(ComplaintEvent).filter_by(complaint_id=filed.complaint.id)
                              .order_by(ComplaintEvent.id)).all()
    assert [(e.action, e.seq, e.actor_role, e.internal) for e in rows] == [
        ("file", 1, "reporter", False), ("clock_start", 2, "system", True)]
    assert rows[0].details == {"channel": "web", "received_at": T0.isoformat(), "sop_version": rows[0].details[
        "sop_version"]}
    previous = GENESIS
    for row in rows:
        assert row.hash == event_hash(previous, audit.fields_of(row))
        previous = row.hash
    assert audit.verify() == (2, None)


def test_the_filed_complaint_is_in_the_session_as_loaded_and_later_changes_are_updates(app, staff, act):
    filed = file_complaint(new_complaint(), None, T0)
    complaint = filed.complaint
    state = inspect(complaint)
    assert state.persistent and complaint not in db.session.new and complaint not in db.session.dirty
    assert not state.expired_attributes and "clocks" in state.dict
    assert [clock.id for clock in complaint.clocks] == [db.session.scalar(
        select(Clock.id).filter_by(complaint_id=complaint.id))]
    assert db.session.get(Complaint, complaint.id) is complaint
    db.session.commit()
    verified = act(complaint.id, "verify", staff["admin"].actor, T0 + timedelta(hours=1), **VERIFY)
    assert (verified.state, verified.version) == ("dispositioned", 2)
    checked, broken = audit.verify()
    assert broken is None and checked > 2


def test_several_filings_in_one_transaction_each_start_their_own_chain_and_fact(app):
    ids = [file_complaint(new_complaint(title=f"Keluhan {n}"), None, T0 + timedelta(minutes=n)).complaint.id
           for n in range(3)]
    db.session.commit()
    assert len(set(ids)) == 3
    assert [seq for (seq,) in db.session.execute(
        select(ComplaintEvent.seq).where(ComplaintEvent.complaint_id.in_(ids))
        .order_by(ComplaintEvent.complaint_id, ComplaintEvent.id))] == [1, 2] * 3
    assert audit.verify() == (6, None)
    assert sorted(db.session.scalars(select(IndicatorFact.complaint_id))) == sorted(ids)
    assert indicators.check(deep=True) == []


def test_a_filing_rolled_back_leaves_no_row_behind(app):
    file_complaint(new_complaint(), None, T0)
    db.session.rollback()
    for table in ("complaints", "clocks", "complaint_events", "indicator_facts", "indicator_rollups"):
        assert stored(table) == [], table
    filed = file_complaint(new_complaint(), None, T0)
    db.session.commit()
    assert audit.verify() == (2, None) and indicators.check(deep=True) == []
    assert db.session.get(Complaint, filed.complaint.id).state == "received"


def test_a_filing_in_a_rolled_back_savepoint_leaves_the_session_as_the_orm_would(app):
    # An importer files each report in a savepoint and goes on with the next when one fails.
    with suppress(RuntimeError), db.session.begin_nested():
        failed = file_complaint(new_complaint(title="Gagal"), None, T0)
        raise RuntimeError("the report could not be finished")
    assert all(inspect(obj).transient for obj in (failed.complaint, *failed.complaint.clocks))
    kept = file_complaint(new_complaint(title="Berhasil"), None, T0)
    db.session.commit()
    assert [row["title"] for row in stored("complaints")] == ["Berhasil"]
    assert inspect(kept.complaint).persistent
    assert audit.verify() == (2, None) and indicators.check(deep=True) == []
    assert db.session.scalars(select(IndicatorFact.complaint_id)).all() == [kept.complaint.id]


def test_a_filing_kept_past_a_released_savepoint_goes_with_the_transactions_rollback(app):
    with db.session.begin_nested():
        filed = file_complaint(new_complaint(), None, T0)
    db.session.rollback()
    assert inspect(filed.complaint).transient
    again = file_complaint(new_complaint(), None, T0)  # SQLite may give the same id again
    db.session.commit()
    assert db.session.get(Complaint, again.complaint.id) is again.complaint
    assert audit.verify() == (2, None) and indicators.check(deep=True) == []


def test_roll_ups_add_up_over_filings_in_separate_transactions(app):
    for n in range(3):
        file_complaint(new_complaint(category="sampah" if n else "jalan-rusak"), None, T0 + timedelta(days=n))
        db.session.commit()
    assert indicators.check(deep=True) == []
    figures = indicators.indicators(indicators.Period.year(2026), T0 + timedelta(days=3))["figures"]
    assert (figures["received"], figures["open"]) == (3, 3)


def test_the_complaint_clock_and_events_are_one_statement_on_postgresql(app):
    inserts = []

    def note(conn, cursor, statement, parameters, context, executemany):
        tables = [name for name in ("complaints", "clocks", "complaint_events") if f"INSERT INTO {name} " in statement]
        if tables:
            inserts.append(tables)

    file_complaint(new_complaint(), None, T0)  # the first filing of a process builds its statements
    db.session.commit()
    event.listen(db.engine, "before_cursor_execute", note)
    try:
        file_complaint(new_complaint(), None, T0)
        db.session.commit()
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    if on_postgres():
        assert inserts == [["complaints", "clocks", "complaint_events"]]
    else:  # SQLite has no statements that write several tables: the complaint first, for its id
        assert inserts[:2] == [["complaints"], ["clocks"]] and {t for (t,) in inserts[2:]} == {"complaint_events"}


def _date(value):
    # SQLite hands back a DATE column as text when read without the ORM.
    return value if isinstance(value, date) else date.fromisoformat(value)
