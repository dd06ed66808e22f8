"""The reporter adds information: supplied when it was asked for, otherwise a note that changes nothing."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import T0, VERIFY
from workflow.db import db
from workflow.domain.errors import InvalidInput, InvalidTransition, NotFound
from workflow.domain.rules import Actor
from workflow.models import Complaint, ComplaintEvent
from workflow.services.notes import add_information
from workflow.services.queries import reporter_view


def actions_of(complaint_id: int) -> list[str]:
    return list(db.session.scalars(select(ComplaintEvent.action).filter_by(complaint_id=complaint_id)
                                   .where(ComplaintEvent.internal.is_(False)).order_by(ComplaintEvent.id)))


def test_information_given_any_time_is_a_note_without_a_state_change(file):
    complaint = file().complaint
    version = complaint.version
    add_information(complaint.id, Actor.reporter(complaint.id), T0 + timedelta(hours=1),
                    "  Lubangnya makin besar setelah hujan.  ")
    db.session.commit()
    stored = db.session.get(Complaint, complaint.id)
    assert (stored.state, stored.version) == ("received", version)
    note = db.session.scalar(select(ComplaintEvent).filter_by(complaint_id=complaint.id, action="note"))
    assert (note.comment, note.actor_role, note.internal, note.to_state) == (
        "Lubangnya makin besar setelah hujan.", "reporter", False, None)
    # The reporter sees their own note in their timeline.
    view = reporter_view(stored, Actor.reporter(complaint.id), T0)
    assert any(e["action"] == "note" and e["comment"] == "Lubangnya makin besar setelah hujan."
               for e in view["events"])


def test_information_asked_for_is_supplied_and_the_complaint_resumes(file, act, staff):
    complaint = file().complaint
    act(complaint.id, "request_info", staff["admin"].actor, T0, comment="Di depan pura mana?")
    add_information(complaint.id, Actor.reporter(complaint.id), T0 + timedelta(hours=1), "Pura Dalem Gelgel.")
    db.session.commit()
    assert db.session.get(Complaint, complaint.id).state == "received"
    assert actions_of(complaint.id)[-2:] == ["request_info", "supply_info"]


def test_a_finished_complaint_takes_no_more_information(file, act, staff):
    complaint = file().complaint
    act(complaint.id, "archive", staff["admin"].actor, reason="spam")
    with pytest.raises(InvalidTransition, match="pengaduan baru"):
        add_information(complaint.id, Actor.reporter(complaint.id), T0, "Masih rusak.")
    assert "note" not in actions_of(complaint.id)


def test_empty_or_overlong_information_names_the_field(file):
    complaint = file().complaint
    reporter = Actor.reporter(complaint.id)
    for text in ("   ", None, "x" * 4001):
        with pytest.raises(InvalidInput) as error:
            add_information(complaint.id, reporter, T0, text)
        assert "information" in error.value.details


def test_only_the_reporter_of_the_complaint_adds_information(file, staff):
    complaint, other = file().complaint, file().complaint
    for actor in (Actor.reporter(other.id), staff["admin"].actor):
        with pytest.raises(NotFound):
            add_information(complaint.id, actor, T0, "Tambahan")


def test_the_next_step_and_its_deadline_follow_the_state(file, act, staff):
    complaint = file().complaint
    reporter = Actor.reporter(complaint.id)
    view = reporter_view(complaint, reporter, T0)
    # Filed Tue 17 Mar 2026: verification due Fri 27 Mar (Nyepi and Idul Fitri leave in between).
    assert view["next_step"] == {"step": "verify", "due": "2026-03-27T23:59:59+08:00"}
    act(complaint.id, "verify", staff["admin"].actor, T0, **VERIFY)
    assert reporter_view(db.session.get(Complaint, complaint.id), reporter, T0)["next_step"]["step"] == "respond"
    act(complaint.id, "acknowledge", staff["pupr"].actor, T0)
    act(complaint.id, "respond", staff["penghubung_pupr"].actor, T0, comment="Sudah ditambal.")
    assert reporter_view(db.session.get(Complaint, complaint.id), reporter, T0)["next_step"]["step"] == "answer"
    act(complaint.id, "confirm", reporter, T0)
    assert reporter_view(db.session.get(Complaint, complaint.id), reporter, T0)["next_step"] is None
