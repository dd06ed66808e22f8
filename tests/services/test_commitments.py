"""Complaint data into policy: what failed, tagged with the follow-up, answered by improvement commitments."""

from datetime import date

import pytest
from sqlalchemy import select

from tests.conftest import T0, VERIFY
from workflow.db import db
from workflow.domain.errors import InvalidInput, PermissionDenied
from workflow.domain.rules import Actor
from workflow.models import ComplaintEvent, ComplaintFinding
from workflow.services import commitments
from workflow.services.indicators import Period


@pytest.fixture
def answered(app, staff, file, act):
    """Return a function that takes a complaint to PUPRKP's follow-up, with the tags given."""
    def follow_up(**tags):
        complaint_id = file().complaint.id
        act(complaint_id, "verify", staff["admin"].actor, T0, **VERIFY)
        act(complaint_id, "acknowledge", staff["pupr"].actor, T0)
        act(complaint_id, "respond", staff["penghubung_pupr"].actor, T0, comment="Ditindaklanjuti.", **tags)
        return complaint_id

    return follow_up


def test_the_follow_up_records_what_failed_in_its_event_and_in_the_finding(answered):
    complaint_id = answered(failures=["facilities", "procedure"], substantiated=True)
    finding = db.session.get(ComplaintFinding, complaint_id)
    assert (finding.procedure, finding.facilities, finding.cost, finding.staff) == (True, True, False, False)
    assert finding.substantiated is True and finding.unit_id is not None
    event = db.session.scalar(select(ComplaintEvent).filter_by(complaint_id=complaint_id, action="respond"))
    assert event.details == {"failures": ["procedure", "facilities"], "substantiated": True}


def test_a_follow_up_without_tags_records_nothing_and_a_later_one_updates(app, staff, act, answered):
    complaint_id = answered()
    assert db.session.get(ComplaintFinding, complaint_id) is None
    act(complaint_id, "dispute", Actor.reporter(complaint_id), T0, comment="Belum diperbaiki.")
    act(complaint_id, "respond", staff["penghubung_pupr"].actor, T0, comment="Sudah.", failures=["cost"],
        substantiated=False)
    finding = db.session.get(ComplaintFinding, complaint_id)
    assert (finding.cost, finding.substantiated) == (True, False)


def test_an_unknown_failure_tag_is_refused_and_nothing_changes(app, staff, act, answered):
    with pytest.raises(InvalidInput) as error:
        answered(failures=["weather"])
    assert "failures.0" in error.value.details
    assert db.session.scalar(select(ComplaintFinding.complaint_id)) is None


def test_commitments_answer_the_failures_of_an_opd_and_are_tracked_to_completion(app, staff, answered):
    answered(failures=["facilities"], substantiated=True)
    answered(failures=["staff"], substantiated=True)
    coordinator = staff["coordinator"].actor
    promise = commitments.create_commitment(
        coordinator, T0, "PUPRKP", 2026, "Rambu dan penutup lubang sementara dalam 2 hari", "Kepala Bidang Bina Marga",
        date(2026, 3, 31), failure_kind="facilities")
    db.session.commit()
    summary = commitments.summary(Period.year(2026), T0)
    row = next(r for r in summary["rows"] if r["unit"] == "PUPRKP")
    assert (row["tagged"], row["failures"]["facilities"], row["failures"]["staff"]) == (2, 1, 1)
    assert row["unanswered"] == ["staff"]
    assert (row["commitments"], row["open"], row["done"]) == (1, 1, 0)
    later = T0.replace(month=4, day=6)
    assert commitments.list_commitments(later, 2026)[0]["overdue"] is True
    commitments.update_commitment(promise.id, staff["penghubung_pupr"].actor, later, "done", "Rambu terpasang.")
    done = commitments.list_commitments(later, 2026)[0]
    assert (done["status"], done["done_on"], done["overdue"], done["progress_note"]) == (
        "done", "2026-04-06", False, "Rambu terpasang.")
    assert commitments.summary(Period.year(2026), later)["percent_done"] == 100.0


def test_only_the_coordination_team_or_the_opds_penghubung_keep_its_commitments(app, staff):
    with pytest.raises(PermissionDenied):
        commitments.create_commitment(staff["penghubung_pdam"].actor, T0, "PUPRKP", 2026, "Janji", "Kabid",
                                      date(2026, 6, 1))
    with pytest.raises(PermissionDenied):
        commitments.create_commitment(staff["leader"].actor, T0, "PUPRKP", 2026, "Janji", "Kabid", date(2026, 6, 1))
    made = commitments.create_commitment(staff["penghubung_pupr"].actor, T0, "PUPRKP", 2026, "Janji", "Kabid",
                                         date(2026, 6, 1))
    assert made.unit.code == "PUPRKP"


def test_a_bad_commitment_names_every_field(app, staff):
    with pytest.raises(InvalidInput) as error:
        commitments.create_commitment(staff["coordinator"].actor, T0, "PKM-KLK1", 2026, "", "", None, "weather")
    assert set(error.value.details) == {"unit", "title", "owner", "due_on", "failure_kind"}
