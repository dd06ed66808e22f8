"""Reference data kept per process: a filing reads the SOP, calendar and staff once, and any change is seen at once.

"Another process" is a second connection from the pool, committing on its own, as a CLI command or another
worker would: only the database's triggers can tell this process of it.
"""

from datetime import date
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, insert, select, text, update

from tests.conftest import T0, new_complaint
from workflow.db import db
from workflow.domain.errors import NotFound
from workflow.domain.states import ClockKind
from workflow.models import CalendarOverride, OutboxMessage, ReferenceStamp, SopVersion, User
from workflow.services import people
from workflow.services.calendars import add_override
from workflow.services.intake import file_complaint

REFERENCE_TABLES = ("sop_versions", "calendar_overrides", "users", "units")
WITA = ZoneInfo("Asia/Makassar")


@pytest.fixture
def told(notify_staff):
    """Return a function: the usernames the last filing's in-app message told."""
    def usernames() -> set[str]:
        db.session.expire_all()
        message = db.session.scalars(select(OutboxMessage).filter_by(kind="inapp")
                                     .order_by(OutboxMessage.id.desc())).first()
        names = dict(db.session.execute(select(User.id, User.username)).all())
        found = {names[user_id] for user_id in message.payload["user_ids"]}
        db.session.rollback()  # ends the read: another process may write (SQLite)
        return found
    return usernames


@pytest.fixture
def notify_staff(app, staff):
    app.config.update(NOTIFICATIONS_ENABLED=True)
    return staff


def file_and_commit():
    filed = file_complaint(new_complaint(), None, T0)
    db.session.commit()
    return filed.complaint


def in_another_process(*statements) -> None:
    with db.engine.begin() as connection:
        for statement in statements:
            connection.execute(statement)


def verification_due() -> date:
    due = file_and_commit().clock(ClockKind.verification).due_at.astimezone(WITA).date()
    db.session.rollback()  # ends the read: another process may write (SQLite)
    return due


def stamp() -> str | None:
    with db.engine.connect() as connection:
        return connection.execute(select(ReferenceStamp.stamp)).scalar()


def test_a_second_filing_reads_no_reference_table_again(notify_staff):
    file_and_commit()
    statements: list[str] = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        file_and_commit()
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert not [s for s in reads for table in REFERENCE_TABLES if f"FROM {table}" in s]
    assert sum("FROM reference_stamp" in s for s in reads) == 1


def test_an_administrator_added_by_another_process_hears_of_the_next_filing(told):
    file_and_commit()
    assert told() == {"admin"}
    in_another_process(insert(User).values(username="admin2", role="admin_instansi", password_hash="x"))
    file_and_commit()
    assert told() == {"admin", "admin2"}


def test_an_account_added_and_rolled_back_is_never_told_even_after_other_changes(told):
    people.create_user("ghost", "admin_instansi", "correct-horse-battery")
    file_complaint(new_complaint(), None, T0)  # this process reads the staff with the ghost, then rolls back
    db.session.rollback()
    in_another_process(insert(User).values(username="admin2", role="admin_instansi", password_hash="x"))
    file_and_commit()
    assert told() == {"admin", "admin2"}


def test_a_deactivated_administrator_is_no_longer_told(told):
    file_and_commit()
    in_another_process(update(User).where(User.username == "admin").values(active=False),
                       insert(User).values(username="admin2", role="admin_instansi", password_hash="x"))
    file_and_commit()
    assert told() == {"admin2"}


def test_a_day_off_declared_by_another_process_moves_the_next_deadline(app):
    # Tue 17 Mar 2026: verification due Fri 27 Mar; a regency day off on Thu 26 Mar moves it to Mon 30 Mar.
    assert verification_due() == date(2026, 3, 27)
    in_another_process(insert(CalendarOverride).values(day=date(2026, 3, 26), working=False,
                                                       reason="Hari libur daerah mendadak"))
    assert verification_due() == date(2026, 3, 30)


def test_a_day_off_declared_earlier_in_the_same_transaction_counts_for_its_next_filing(app):
    file_complaint(new_complaint(), None, T0)  # reads the stamp and the overrides
    add_override(date(2026, 3, 26), working=False, reason="Hari libur daerah mendadak")
    filed = file_complaint(new_complaint(), None, T0)
    assert filed.complaint.clock(ClockKind.verification).due_at.astimezone(WITA).date() == date(2026, 3, 30)


def test_an_sop_switched_off_by_another_process_stops_the_next_filing(app):
    file_and_commit()
    in_another_process(update(SopVersion).values(active=False))
    with pytest.raises(NotFound):
        file_complaint(new_complaint(), None, T0)


def test_signing_in_leaves_the_stamp_and_a_new_role_moves_it(app, staff):
    before = stamp()
    in_another_process(update(User).where(User.username == "admin").values(last_login_at=T0, failed_logins=1))
    assert stamp() == before
    in_another_process(update(User).where(User.username == "admin").values(role="coordinator"))
    assert stamp() not in (before, None)


def test_a_database_emptied_without_its_triggers_keeps_nothing(told):
    in_another_process(text("DELETE FROM reference_stamp"))
    file_and_commit()
    # Without a stamp each transaction reads for itself: the new administrator is told at once.
    in_another_process(insert(User).values(username="admin2", role="admin_instansi", password_hash="x"),
                       text("DELETE FROM reference_stamp"))
    file_and_commit()
    assert told() == {"admin", "admin2"}
