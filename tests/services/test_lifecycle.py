"""The lifecycle use cases end to end on a real database: states, clocks, audit, guards."""

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError, IntegrityError

from tests.conftest import T0, VERIFY, new_complaint
from workflow.db import db
from workflow.domain.errors import (
    IdempotencyConflict,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    VersionConflict,
)
from workflow.domain.rules import Actor
from workflow.models import Complaint, ComplaintEvent
from workflow.services.calendars import add_override
from workflow.services.intake import file_complaint
from workflow.services.queries import ComplaintFilter, complaint_detail, list_complaints
from workflow.services.tracking import reporter_for

WITA = ZoneInfo("Asia/Makassar")


def wita(year, month, day, hour=10, minute=0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=WITA).astimezone(UTC)


def end_of(year, month, day) -> datetime:
    return datetime(year, month, day, 23, 59, 59, tzinfo=WITA).astimezone(UTC)


def clock(complaint_id: int, kind: str):
    complaint = db.session.get(Complaint, complaint_id)
    db.session.refresh(complaint)
    return next(c for c in complaint.clocks if c.kind == kind)


def events(complaint_id: int, prefix: str = "") -> list[str]:
    rows = db.session.scalars(select(ComplaintEvent.action).filter_by(complaint_id=complaint_id)
                              .order_by(ComplaintEvent.id))
    return [a for a in rows if a.startswith(prefix)]


def state_of(complaint_id: int) -> str:
    return db.session.scalar(select(Complaint.state).filter_by(id=complaint_id))


# --- filing -------------------------------------------------------------------------------------


def test_filing_gives_an_unambiguous_code_a_pin_and_a_verification_deadline(file):
    filed = file()
    complaint = filed.complaint
    assert re.fullmatch(r"KLK-26-[23456789ABCDEFGHJKMNPQRSTVWXYZ]{6}", complaint.tracking_code)
    assert re.fullmatch(r"\d{6}", filed.pin)
    assert filed.pin not in complaint.pin_hash and len(complaint.pin_hash) == 64
    # Tue 17 Mar 2026: Nyepi and the Idul Fitri leave close 18–24 Mar, so 3 working days end Fri 27 Mar.
    assert clock(complaint.id, "verification").due_at == end_of(2026, 3, 27)
    assert events(complaint.id) == ["file", "clock_start"]


def test_reporter_proves_identity_with_code_and_pin_only(file):
    filed = file()
    actor, complaint = reporter_for(filed.complaint.tracking_code.lower(), filed.pin)
    assert complaint.id == filed.complaint.id and actor.complaint_id == complaint.id
    with pytest.raises(Exception, match="PIN"):
        reporter_for(filed.complaint.tracking_code, "000000" if filed.pin != "000000" else "111111")


def test_public_caller_cannot_backdate_or_pick_a_channel(app):
    with pytest.raises(InvalidInput) as error:
        file_complaint(new_complaint(channel="sms"), None, T0)
    assert "channel" in error.value.details
    assert db.session.scalar(select(func.count(Complaint.id))) == 0


def test_staff_enter_an_offline_complaint_with_its_real_receipt_time(app, staff):
    received = wita(2026, 6, 15, 9)
    filed = file_complaint(new_complaint(channel="letter", received_at=received.isoformat()),
                           staff["admin"].actor, wita(2026, 6, 19))
    assert filed.complaint.received_at == received
    # Mon 15 Jun: Islamic New Year, Galungan and Umanis Galungan close 16–18 Jun → due Tue 23 Jun.
    assert clock(filed.complaint.id, "verification").due_at == end_of(2026, 6, 23)


def test_receipt_in_the_future_is_refused(app, staff):
    with pytest.raises(InvalidInput) as error:
        file_complaint(new_complaint(channel="phone", received_at=(T0 + timedelta(hours=1)).isoformat()),
                       staff["admin"].actor, T0)
    assert "received_at" in error.value.details


def test_unknown_category_is_refused_and_nothing_is_stored(app):
    with pytest.raises(InvalidInput) as error:
        file_complaint(new_complaint(category="tidak-ada"), None, T0)
    assert "category" in error.value.details
    assert db.session.scalar(select(func.count(Complaint.id))) == 0


def test_idempotency_key_replays_the_first_complaint_and_its_pin(app):
    first = file_complaint(new_complaint(), None, T0, idempotency_key="abc-123")
    db.session.commit()
    again = file_complaint(new_complaint(), None, T0 + timedelta(minutes=1), idempotency_key="abc-123")
    db.session.commit()
    assert again.replayed and again.complaint.id == first.complaint.id and again.pin == first.pin
    assert db.session.scalar(select(func.count(Complaint.id))) == 1
    with pytest.raises(IdempotencyConflict):
        file_complaint(new_complaint(title="Lain"), None, T0, idempotency_key="abc-123")


# --- the happy path and the audit trail ---------------------------------------------------------


def test_complaint_goes_from_receipt_to_confirmed_closure(file, act, staff):
    complaint = file().complaint
    act(complaint.id, "verify", staff["admin"].actor, T0 + timedelta(hours=2), **VERIFY)
    act(complaint.id, "acknowledge", staff["pupr"].actor, wita(2026, 3, 25))
    act(complaint.id, "respond", staff["penghubung_pupr"].actor, wita(2026, 3, 26), comment="Sudah ditambal.")
    reporter = Actor.reporter(complaint.id)
    act(complaint.id, "confirm", reporter, wita(2026, 3, 27), comment="Terima kasih.")
    done = db.session.get(Complaint, complaint.id)
    assert (done.state, done.closure, done.closed_at) == ("closed", "confirmed", wita(2026, 3, 27))
    assert [e for e in events(complaint.id) if not e.startswith("clock")] == [
        "file", "verify", "acknowledge", "respond", "confirm"]
    assert clock(complaint.id, "verification").status == "met"
    assert clock(complaint.id, "response").status == "met"
    assert clock(complaint.id, "resolution").status == "met"
    event = db.session.scalar(select(ComplaintEvent).filter_by(complaint_id=complaint.id, action="verify"))
    assert (event.actor_role, event.from_state, event.to_state) == ("admin_instansi", "received", "dispositioned")
    assert event.details["unit"] == "PUPRKP" and event.details["sop_version"] == "2026.1"


def test_verify_requires_an_explicit_confidentiality_decision(file, act, staff):
    complaint = file().complaint
    body = {k: v for k, v in VERIFY.items() if k != "anonymous"}
    with pytest.raises(InvalidInput) as error:
        act(complaint.id, "verify", staff["admin"].actor, T0, **body)
    assert error.value.details == {"anonymous": "wajib diisi / required"}
    assert state_of(complaint.id) == "received"


def test_resolution_limit_follows_class_and_nusa_penida_adjustment(file, act, staff):
    complaint = file(location={"desa": "Ped", "kecamatan": "Nusa Penida"}).complaint
    act(complaint.id, "verify", staff["admin"].actor, T0, **VERIFY)
    resolution = clock(complaint.id, "resolution")
    assert resolution.limit_working_days == 14 + 5


# --- guards: state, role, scope, versions -------------------------------------------------------


def test_an_action_not_allowed_in_this_state_changes_nothing(file, act, staff):
    complaint = file().complaint
    before = events(complaint.id)
    with pytest.raises(InvalidTransition):
        act(complaint.id, "close", staff["admin"].actor, comment="Selesai.")
    assert state_of(complaint.id) == "received" and events(complaint.id) == before


def test_roles_outside_the_rule_are_refused(file, act, staff):
    complaint = file().complaint
    with pytest.raises(PermissionDenied):
        act(complaint.id, "verify", staff["inspector"].actor, **VERIFY)
    act(complaint.id, "verify", staff["admin"].actor, **VERIFY)
    with pytest.raises(PermissionDenied):
        act(complaint.id, "acknowledge", staff["admin"].actor)
    assert state_of(complaint.id) == "dispositioned"


def test_another_units_complaint_is_not_found(file, act, staff):
    complaint = file().complaint
    act(complaint.id, "verify", staff["admin"].actor, **VERIFY)
    with pytest.raises(NotFound):
        act(complaint.id, "acknowledge", staff["pdam"].actor)
    with pytest.raises(NotFound):
        complaint_detail(complaint.id, staff["penghubung_pdam"].actor, T0)


def test_unit_admin_may_respond_only_where_the_sop_allows(file, act, staff):
    complaint = file().complaint
    act(complaint.id, "verify", staff["admin"].actor, **VERIFY)
    act(complaint.id, "acknowledge", staff["pupr"].actor)
    with pytest.raises(PermissionDenied):
        act(complaint.id, "respond", staff["pupr"].actor, comment="Sudah diperbaiki.")
    act(complaint.id, "respond", staff["penghubung_pupr"].actor, comment="Sudah diperbaiki.")
    assert state_of(complaint.id) == "responded"


def test_a_stale_expected_version_is_a_conflict(file, act, staff):
    complaint = file().complaint
    with pytest.raises(VersionConflict):
        act(complaint.id, "verify", staff["admin"].actor, expected_version=complaint.version + 1, **VERIFY)
    act(complaint.id, "verify", staff["admin"].actor, expected_version=complaint.version, **VERIFY)
    assert state_of(complaint.id) == "dispositioned"


def test_a_concurrent_change_loses_cleanly(app, file, act, staff):
    """A session that read the complaint before someone else changed it gets a conflict, not a lost update."""
    complaint = file().complaint
    act(complaint.id, "verify", staff["admin"].actor, **VERIFY)
    stale = db.session.get(Complaint, complaint.id)  # session A holds version 2
    assert stale.version == 2
    with app.app_context():  # session B acts and commits first
        act(complaint.id, "acknowledge", staff["pupr"].actor)
    with pytest.raises(VersionConflict):
        act(complaint.id, "return", staff["penghubung_pupr"].actor, comment="Bukan kewenangan kami.")
    db.session.expire_all()
    assert state_of(complaint.id) == "in_progress"
    assert events(complaint.id).count("return") == 0


# --- pending information ------------------------------------------------------------------------


def test_pending_information_pauses_the_clock_and_resumes_with_what_was_left(file, act, staff):
    complaint = file().complaint  # verification due Fri 27 Mar: 3 working days left on Tue 17 Mar
    act(complaint.id, "request_info", staff["admin"].actor, T0 + timedelta(hours=1), comment="Di mana lokasinya?")
    paused = clock(complaint.id, "verification")
    assert (paused.status, paused.remaining_working_days) == ("paused", 3)
    assert clock(complaint.id, "info").status == "running"
    act(complaint.id, "supply_info", Actor.reporter(complaint.id), wita(2026, 4, 6), comment="Depan pura.")
    assert state_of(complaint.id) == "received"
    resumed = clock(complaint.id, "verification")
    # From Mon 6 Apr: Tue 7, (Wed 8 Pagerwesi is a Bali day), Thu 9, Fri 10.
    assert (resumed.status, resumed.due_at) == ("running", end_of(2026, 4, 10))
    assert clock(complaint.id, "info").status == "met"
    assert events(complaint.id, "clock_") == ["clock_start", "clock_pause", "clock_start", "clock_stop",
                                              "clock_resume"]


def test_pending_information_from_the_unit_resumes_to_in_progress(file, act, staff):
    complaint = file().complaint
    act(complaint.id, "verify", staff["admin"].actor, **VERIFY)
    act(complaint.id, "acknowledge", staff["pupr"].actor)
    act(complaint.id, "request_info", staff["pupr"].actor, comment="Mohon foto lokasi.")
    assert clock(complaint.id, "resolution").status == "paused"
    act(complaint.id, "supply_info", Actor.reporter(complaint.id), T0 + timedelta(days=1), comment="Terlampir.")
    assert state_of(complaint.id) == "in_progress"
    assert clock(complaint.id, "resolution").status == "running"


def test_unanswered_request_is_archived_as_incomplete_after_the_window(file, act, staff):
    complaint = file().complaint
    act(complaint.id, "request_info", staff["admin"].actor, comment="Di mana lokasinya?")
    due = clock(complaint.id, "info").due_at
    with pytest.raises(InvalidTransition):
        act(complaint.id, "expire_info", Actor.system(), due - timedelta(minutes=1))
    act(complaint.id, "expire_info", Actor.system(), due + timedelta(minutes=1))
    done = db.session.get(Complaint, complaint.id)
    assert (done.state, done.archive_reason) == ("archived", "incomplete")
    assert clock(complaint.id, "info").status == "expired"


# --- redisposition, windows, reopen, escalation -------------------------------------------------


def test_redisposition_never_restarts_the_resolution_clock(file, act, staff):
    complaint = file().complaint
    act(complaint.id, "verify", staff["admin"].actor, **VERIFY)
    resolution_due = clock(complaint.id, "resolution").due_at
    act(complaint.id, "return", staff["penghubung_pupr"].actor, wita(2026, 3, 25), comment="Ini urusan PDAM.")
    assert clock(complaint.id, "response").status == "cancelled"
    act(complaint.id, "redispose", staff["admin"].actor, wita(2026, 3, 26), unit="PDAM")
    redisposed = db.session.get(Complaint, complaint.id)
    assert (redisposed.state, redisposed.unit.code, redisposed.bounce_count) == ("dispositioned", "PDAM", 1)
    assert clock(complaint.id, "resolution").due_at == resolution_due
    response = clock(complaint.id, "response")
    assert response.status == "running" and response.started_at == wita(2026, 3, 26)


def test_dispute_sends_it_back_and_the_resolution_clock_runs_on(file, act, staff):
    complaint = file().complaint
    act(complaint.id, "verify", staff["admin"].actor, **VERIFY)
    act(complaint.id, "acknowledge", staff["pupr"].actor)
    act(complaint.id, "respond", staff["penghubung_pupr"].actor, wita(2026, 3, 25), comment="Sudah.")
    assert clock(complaint.id, "resolution").status == "paused"
    act(complaint.id, "dispute", Actor.reporter(complaint.id), wita(2026, 3, 26), comment="Belum diperbaiki.")
    assert state_of(complaint.id) == "in_progress"
    assert clock(complaint.id, "resolution").status == "running"
    assert clock(complaint.id, "confirmation").status == "met"


def test_silence_closes_automatically_only_after_the_confirmation_window(file, act, staff):
    complaint = file().complaint
    act(complaint.id, "verify", staff["admin"].actor, **VERIFY)
    act(complaint.id, "acknowledge", staff["pupr"].actor)
    act(complaint.id, "respond", staff["penghubung_pupr"].actor, comment="Sudah.")
    due = clock(complaint.id, "confirmation").due_at
    with pytest.raises(InvalidTransition):
        act(complaint.id, "auto_close", Actor.system(), due)
    with pytest.raises(InvalidTransition):
        act(complaint.id, "dispute", Actor.reporter(complaint.id), due + timedelta(seconds=1), comment="Belum.")
    act(complaint.id, "auto_close", Actor.system(), due + timedelta(seconds=1))
    done = db.session.get(Complaint, complaint.id)
    assert (done.state, done.closure) == ("closed", "auto")
    assert clock(complaint.id, "confirmation").status == "expired"


def test_reopen_only_within_the_window_and_it_is_counted(file, act, staff):
    complaint = file().complaint
    act(complaint.id, "verify", staff["admin"].actor, **VERIFY)
    act(complaint.id, "acknowledge", staff["pupr"].actor)
    act(complaint.id, "respond", staff["penghubung_pupr"].actor, comment="Sudah.")
    act(complaint.id, "close", staff["admin"].actor, wita(2026, 4, 1), comment="Sudah diperiksa di lapangan.")
    with pytest.raises(InvalidTransition):
        act(complaint.id, "reopen", staff["coordinator"].actor, wita(2026, 6, 1), comment="Rusak lagi.")
    act(complaint.id, "reopen", staff["coordinator"].actor, wita(2026, 4, 6), comment="Rusak lagi.")
    reopened = db.session.get(Complaint, complaint.id)
    assert (reopened.state, reopened.reopen_count, reopened.closed_at) == ("in_progress", 1, None)
    assert clock(complaint.id, "resolution").status == "running"


def test_escalation_climbs_to_the_leader_and_stops_there(file, act, staff):
    complaint = file().complaint
    for level in (1, 2, 3):
        act(complaint.id, "escalate", staff["coordinator"].actor, comment="Belum ada tindak lanjut.")
        assert db.session.get(Complaint, complaint.id).escalation_level == level
    with pytest.raises(InvalidTransition):
        act(complaint.id, "escalate", staff["coordinator"].actor, comment="Lagi.")
    assert state_of(complaint.id) == "received"


def test_duplicate_is_linked_to_its_original_never_deleted(file, act, staff):
    original, duplicate = file().complaint, file().complaint
    act(duplicate.id, "mark_duplicate", staff["admin"].actor, duplicate_of=original.tracking_code)
    marked = db.session.get(Complaint, duplicate.id)
    assert (marked.state, marked.archive_reason, marked.duplicate_of_id) == ("archived", "duplicate", original.id)
    with pytest.raises(InvalidInput):
        act(original.id, "mark_duplicate", staff["admin"].actor, duplicate_of=original.tracking_code)


def test_transfer_out_keeps_the_target_and_stops_the_clock(file, act, staff):
    complaint = file().complaint
    act(complaint.id, "transfer_out", staff["admin"].actor, target="Dinas Pendidikan Provinsi Bali",
        external_ref="LAPOR-123")
    moved = db.session.get(Complaint, complaint.id)
    assert (moved.state, moved.transfer_target, moved.external_ref) == (
        "transferred", "Dinas Pendidikan Provinsi Bali", "LAPOR-123")
    assert clock(complaint.id, "verification").status == "met"


# --- calendars ----------------------------------------------------------------------------------


def test_an_administrator_day_off_moves_the_deadline(app, file):
    add_override(date(2026, 3, 25), working=False, reason="SE Bupati: hari libur fakultatif")
    db.session.commit()
    complaint = file().complaint
    assert clock(complaint.id, "verification").due_at == end_of(2026, 3, 30)


def test_a_hospital_working_saturdays_gets_its_own_response_deadline(file, act, staff):
    complaint = file(category="layanan-rsud").complaint
    act(complaint.id, "verify", staff["admin"].actor, wita(2026, 4, 24),
        **(VERIFY | {"unit": "RSUD"}))
    # From Fri 24 Apr, Mon–Sat: Sat 25, Mon 27, Tue 28, Wed 29, Thu 30.
    assert clock(complaint.id, "response").due_at == end_of(2026, 4, 30)


# --- identity and the database's own guards -----------------------------------------------------


def test_hidden_identity_is_seen_only_by_the_administrator(file, act, staff):
    complaint = file(anonymous=True).complaint
    act(complaint.id, "verify", staff["admin"].actor, **(VERIFY | {"anonymous": True}))
    assert complaint_detail(complaint.id, staff["admin"].actor, T0)["reporter"]["name"] == "I Komang Sutama"
    for who in ("pupr", "penghubung_pupr", "coordinator", "inspector", "leader"):
        seen = complaint_detail(complaint.id, staff[who].actor, T0)
        assert seen["reporter"] is None and "Sutama" not in str(seen)


def test_the_database_refuses_a_closed_complaint_without_closing_time(file):
    complaint = file().complaint
    with pytest.raises(IntegrityError):
        db.session.execute(text("UPDATE complaints SET state = 'closed', closure = 'admin' WHERE id = :id"),
                           {"id": complaint.id})
        db.session.flush()
    db.session.rollback()


def test_the_audit_trail_is_append_only(file):
    complaint = file().complaint
    with pytest.raises(DatabaseError, match="append-only"):
        db.session.execute(text("UPDATE complaint_events SET comment = 'x' WHERE complaint_id = :id"),
                           {"id": complaint.id})
    db.session.rollback()
    with pytest.raises(DatabaseError, match="append-only"):
        db.session.execute(text("DELETE FROM complaint_events WHERE complaint_id = :id"), {"id": complaint.id})
    db.session.rollback()


def test_receipt_more_than_a_year_back_is_refused(app, staff):
    with pytest.raises(InvalidInput) as error:
        file_complaint(new_complaint(channel="letter", received_at=wita(2025, 3, 1).isoformat()),
                       staff["admin"].actor, T0)
    assert "received_at" in error.value.details


def test_search_treats_percent_and_underscore_as_text(file, staff):
    file(title="Diskon 50% retribusi pasar")
    file(title="Jalan rusak")
    admin = staff["admin"].actor
    assert list_complaints(admin, ComplaintFilter(q="%"), T0)["total"] == 1
    assert list_complaints(admin, ComplaintFilter(q="_"), T0)["total"] == 0
    assert list_complaints(admin, ComplaintFilter(q="rusak"), T0)["total"] == 1
