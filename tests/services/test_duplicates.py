"""Duplicate suggestions on a real database, marking a duplicate, and statistics that count a problem once."""

from datetime import timedelta

import pytest

from tests.conftest import T0, VERIFY
from workflow.db import db
from workflow.domain.errors import InvalidInput, NotFound
from workflow.domain.rules import Actor
from workflow.models import Complaint
from workflow.services.duplicates import problem_counts, suggest_duplicates
from workflow.services.queries import reporter_view

SAME_POTHOLE = {"title": "Lubang di Jalan Raya Gelgel", "description": "Jalan berlubang besar di depan pura Gelgel.",
                "reporter": {"name": "I Komang Sutama", "phone": "+62 812-3456-7001"}}
STREET_LIGHT = {"title": "Lampu jalan mati", "description": "Lampu PJU mati di depan balai banjar.",
                "category": "lampu-jalan", "location": {"desa": "Tojan"},
                "reporter": {"name": "Ni Luh Sari", "phone": "081299990000"}}


def found(matches) -> dict[int, tuple[float, list[str]]]:
    return {m.complaint["id"]: (m.score, m.reasons) for m in matches}


def test_the_administrator_sees_the_same_reporters_earlier_complaint_and_why(file, staff):
    original = file(at=T0 - timedelta(days=3)).complaint
    file(at=T0 - timedelta(days=2), **STREET_LIGHT)
    repeat = file(**SAME_POTHOLE).complaint

    matches = suggest_duplicates(repeat.id, staff["admin"].actor, T0)

    assert list(found(matches)) == [original.id]
    score, reasons = found(matches)[original.id]
    assert score >= 0.8
    assert "Kontak pelapor sama (telepon / phone): 081234567001 / same reporter contact" in reasons
    summary = matches[0].complaint
    assert summary["tracking_code"] == original.tracking_code
    assert summary["received_at"] == "2026-03-14T10:00:00+08:00"
    assert not {"reporter", "reporter_name", "reporter_phone"} & set(summary)


def test_other_roles_are_told_the_contact_matched_but_not_the_contact(file, staff):
    original = file(at=T0 - timedelta(days=3)).complaint
    repeat = file(**SAME_POTHOLE).complaint
    [match] = suggest_duplicates(repeat.id, staff["coordinator"].actor, T0)
    assert match.complaint["id"] == original.id
    assert "Kontak pelapor sama (telepon / phone) / same reporter contact" in match.reasons
    assert "0812" not in repr(match) and "Sutama" not in repr(match)


def test_an_anonymous_complaint_is_never_tied_to_a_reporter_by_contact_outside_the_administrators_view(file, staff):
    # Same phone and category, different words: only the contact makes it a likely duplicate.
    original = file(at=T0 - timedelta(days=3), anonymous=True).complaint
    other = file(title="Trotoar rusak", description="Trotoar di pasar ambles.", location={"desa": "Tojan"}).complaint

    assert original.id in found(suggest_duplicates(other.id, staff["admin"].actor, T0))
    assert found(suggest_duplicates(other.id, staff["coordinator"].actor, T0)) == {}


def test_complaints_outside_the_window_are_not_suggested(file, staff):
    old = file(at=T0 - timedelta(days=35)).complaint
    repeat = file(**SAME_POTHOLE).complaint
    assert suggest_duplicates(repeat.id, staff["admin"].actor, T0) == []
    assert old.id in found(suggest_duplicates(repeat.id, staff["admin"].actor, T0, window_days=40))


def test_a_later_complaint_is_suggested_at_verification_of_an_earlier_one(file, staff):
    first = file(at=T0 - timedelta(days=1)).complaint
    later = file(**SAME_POTHOLE).complaint
    assert later.id in found(suggest_duplicates(first.id, staff["admin"].actor, T0))


def test_a_unit_sees_only_duplicates_among_the_complaints_it_holds(file, act, staff):
    held = file(at=T0 - timedelta(days=2)).complaint
    act(held.id, "verify", staff["admin"].actor, T0 - timedelta(days=2), **VERIFY)
    waiting = file(at=T0 - timedelta(days=1), **SAME_POTHOLE).complaint
    third = file(title="Jalan Raya Gelgel berlubang", description="Lubang di depan pura Gelgel makin besar.",
                 reporter={"phone": "081277770000"}).complaint
    act(third.id, "verify", staff["admin"].actor, T0, **VERIFY)

    matches = found(suggest_duplicates(third.id, staff["pupr"].actor, T0))
    assert held.id in matches and waiting.id not in matches
    with pytest.raises(NotFound):
        suggest_duplicates(waiting.id, staff["pupr"].actor, T0)


def test_complaints_already_marked_as_duplicates_are_not_suggested_again(file, act, staff):
    original = file(at=T0 - timedelta(days=3)).complaint
    repeat = file(at=T0 - timedelta(days=1), **SAME_POTHOLE).complaint
    act(repeat.id, "mark_duplicate", staff["admin"].actor, T0, duplicate_of=original.tracking_code)
    third = file(**SAME_POTHOLE).complaint

    assert list(found(suggest_duplicates(third.id, staff["admin"].actor, T0))) == [original.id]


def test_the_duplicates_reporter_is_told_the_originals_tracking_code(file, act, staff):
    original = file(at=T0 - timedelta(days=3)).complaint
    repeat = file(**SAME_POTHOLE).complaint
    act(repeat.id, "mark_duplicate", staff["admin"].actor, T0 + timedelta(hours=1), duplicate_of=str(original.id),
        comment="Sudah dilaporkan warga lain.")

    marked = db.session.get(Complaint, repeat.id)
    assert (marked.state, marked.archive_reason, marked.duplicate_of_id) == ("archived", "duplicate", original.id)
    view = reporter_view(marked, Actor.reporter(repeat.id), T0 + timedelta(hours=1))
    [event] = [e for e in view["events"] if e["action"] == "mark_duplicate"]
    assert event["comment"].startswith("Sudah dilaporkan warga lain.\n")
    assert f"sama dengan pengaduan {original.tracking_code}" in event["comment"]


def test_a_wrong_original_still_refuses_the_mark_and_writes_nothing(file, act, staff):
    repeat = file().complaint
    with pytest.raises(InvalidInput, match="Original complaint not found"):
        act(repeat.id, "mark_duplicate", staff["admin"].actor, T0, duplicate_of=str(repeat.id))
    assert db.session.get(Complaint, repeat.id).state == "received"


def test_statistics_count_a_repeated_problem_once(file, act, staff):
    original = file(at=T0 - timedelta(days=3)).complaint
    repeat = file(at=T0 - timedelta(days=1), **SAME_POTHOLE).complaint
    file(at=T0 - timedelta(days=1), **STREET_LIGHT)
    act(repeat.id, "mark_duplicate", staff["admin"].actor, T0, duplicate_of=original.tracking_code)

    assert problem_counts(T0 - timedelta(days=30), T0 + timedelta(seconds=1)) == {
        "received": 3, "problems": 2, "duplicates": 1}
    assert problem_counts(T0 - timedelta(days=2), T0) == {"received": 2, "problems": 1, "duplicates": 1}
