"""Two people act on one complaint at the same moment: exactly one wins, the other gets a conflict."""

import threading

import pytest
from sqlalchemy import create_engine, func, select, text

from tests.conftest import PG_URL, T0, VERIFY, database_url_for, on_postgres
from workflow.db import db
from workflow.domain.errors import VersionConflict
from workflow.models import Complaint, ComplaintEvent
from workflow.services.actions import take_action

pytestmark = pytest.mark.skipif(not on_postgres(), reason="row locks between sessions need PostgreSQL "
                                                          "(set TEST_DATABASE_URL; .ci/run does)")


def _waiting_on_a_lock(engine) -> bool:
    with engine.connect() as connection:
        return connection.scalar(text(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND datname = current_database()")) > 0


def test_two_concurrent_actions_exactly_one_wins(app, file, act, staff):
    complaint_id = file().complaint.id
    act(complaint_id, "verify", staff["admin"].actor, **VERIFY)
    first_flushed, release_first = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def run(name: str, action: str, actor, body: dict, hold: bool) -> None:
        with app.app_context():
            try:
                take_action(complaint_id, action, actor, T0, body)
                if hold:  # keep the row locked, uncommitted, until the other session is blocked on it
                    first_flushed.set()
                    release_first.wait(timeout=60)
                db.session.commit()
                outcome[name] = "committed"
            except Exception as error:
                db.session.rollback()
                outcome[name] = error
            finally:
                first_flushed.set()
                db.session.remove()

    first = threading.Thread(target=run, args=("first", "acknowledge", staff["pupr"].actor, {}, True))
    second = threading.Thread(target=run, args=("second", "return", staff["penghubung_pupr"].actor,
                                                {"comment": "Bukan kewenangan kami."}, False))
    first.start()
    assert first_flushed.wait(timeout=60)
    second.start()
    observer = create_engine(database_url_for(PG_URL))
    try:
        for _ in range(100_000):
            if _waiting_on_a_lock(observer):
                break
        else:
            pytest.fail("the second session never waited for the first one's row lock")
    finally:
        release_first.set()
        first.join(timeout=60)
        second.join(timeout=60)
        observer.dispose()

    assert outcome["first"] == "committed"
    assert isinstance(outcome["second"], VersionConflict)
    db.session.expire_all()
    assert db.session.get(Complaint, complaint_id).state == "in_progress"
    actions = db.session.scalars(select(ComplaintEvent.action).filter_by(complaint_id=complaint_id)).all()
    assert actions.count("acknowledge") == 1 and actions.count("return") == 0
    assert db.session.scalar(select(func.count()).select_from(Complaint)) == 1
