"""The audit trail is tamper-evident: every event is chained by hash, and an edit made behind the
application's back is found at the exact event."""

import pytest
from sqlalchemy import select, text

from tests.conftest import T0, VERIFY, on_postgres
from workflow.db import db
from workflow.domain.audit import GENESIS, event_hash
from workflow.models import ComplaintEvent
from workflow.services import audit


def chain(complaint_id: int) -> list[ComplaintEvent]:
    return list(db.session.scalars(select(ComplaintEvent).filter_by(complaint_id=complaint_id)
                                   .order_by(ComplaintEvent.seq)))


def tamper(sql: str, **params) -> None:
    """Change a row as someone with database access would: around the append-only trigger."""
    if on_postgres():
        db.session.execute(text("ALTER TABLE complaint_events DISABLE TRIGGER complaint_events_append_only"))
        db.session.execute(text(sql), params)
        db.session.execute(text("ALTER TABLE complaint_events ENABLE TRIGGER complaint_events_append_only"))
    else:
        db.session.execute(text("DROP TRIGGER complaint_events_no_update"))
        db.session.execute(text(sql), params)
    db.session.commit()
    db.session.expire_all()


def test_each_complaint_has_an_unbroken_chain(file, act, staff):
    complaint = file().complaint
    act(complaint.id, "verify", staff["admin"].actor, **VERIFY)
    act(complaint.id, "acknowledge", staff["pupr"].actor)
    events = chain(complaint.id)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    previous = GENESIS
    for row in events:
        assert row.hash == event_hash(previous, audit.fields_of(row))
        previous = row.hash
    assert audit.verify() == (len(events), None)


def test_an_edited_comment_is_caught_at_its_event(file, act, staff):
    first, second = file().complaint, file().complaint
    act(second.id, "request_info", staff["admin"].actor, comment="Di mana lokasinya?")
    target = next(e for e in chain(second.id) if e.action == "request_info")
    tamper("UPDATE complaint_events SET comment = 'Tidak perlu ditindaklanjuti' WHERE id = :id", id=target.id)
    checked, broken = audit.verify()
    assert (broken.complaint_id, broken.event_id) == (second.id, target.id)
    assert checked == len(chain(first.id)) + target.seq - 1


def test_a_deleted_event_breaks_the_chain(file, act, staff):
    complaint = file().complaint
    act(complaint.id, "verify", staff["admin"].actor, **VERIFY)
    victim = chain(complaint.id)[1]
    victim_id, victim_seq = victim.id, victim.seq
    if on_postgres():
        tamper("DELETE FROM complaint_events WHERE id = :id", id=victim_id)
    else:
        db.session.execute(text("DROP TRIGGER complaint_events_no_delete"))
        db.session.execute(text("DELETE FROM complaint_events WHERE id = :id"), {"id": victim_id})
        db.session.commit()
    _, broken = audit.verify()
    assert broken is not None and broken.complaint_id == complaint.id and broken.seq == victim_seq + 1


def test_two_writers_cannot_fork_a_chain(file):
    complaint = file().complaint
    last = chain(complaint.id)[-1]
    db.session.add(ComplaintEvent(complaint_id=complaint.id, at=T0, actor_role="system", action="note",
                                  seq=last.seq, hash="f" * 64))
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
        db.session.flush()
    db.session.rollback()


def test_the_cli_reports_the_first_broken_link(app, file):
    complaint = file().complaint
    runner = app.test_cli_runner()
    assert "intact: 2 events" in runner.invoke(args=["audit", "verify"]).output
    tamper("UPDATE complaint_events SET actor_role = 'admin_instansi' WHERE complaint_id = :id AND seq = 1",
           id=complaint.id)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and "BROKEN" in result.output and f"complaint {complaint.id}" in result.output
