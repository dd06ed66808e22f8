"""A restore drill: back up, destroy, restore, compare counts and verify the audit chain."""

from sqlalchemy import func, select, text

from tests.conftest import VERIFY, on_postgres
from workflow.db import db
from workflow.models import Clock, Complaint, ComplaintEvent


def counts() -> tuple[int, int, int]:
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (Complaint, ComplaintEvent, Clock))


def test_backup_destroy_restore_and_verify(app, file, act, staff, tmp_path):
    for _ in range(3):
        complaint = file().complaint
        act(complaint.id, "verify", staff["admin"].actor, **VERIFY)
    before = counts()
    runner = app.test_cli_runner()
    created = runner.invoke(args=["backup", "create", str(tmp_path / "aduflow.backup")])
    assert created.exit_code == 0, created.output

    # Disaster: every complaint is gone.
    if on_postgres():
        db.session.execute(text("TRUNCATE complaints, clocks, complaint_events, sla_marks CASCADE"))
    else:
        db.session.execute(text("DROP TRIGGER complaint_events_no_delete"))
        for table in ("sla_marks", "complaint_events", "clocks", "idempotency_records", "complaints"):
            db.session.execute(text(f"DELETE FROM {table}"))
    db.session.commit()
    assert counts() == (0, 0, 0)

    restored = runner.invoke(args=["backup", "restore", "--yes", str(tmp_path / "aduflow.backup")])
    assert restored.exit_code == 0, restored.output
    db.session.remove()
    assert counts() == before
    verified = runner.invoke(args=["audit", "verify"])
    assert verified.exit_code == 0 and f"{before[1]} events verified" in verified.output


def test_restore_refuses_a_missing_file(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["backup", "restore", "--yes", str(tmp_path / "nope")])
    assert result.exit_code != 0 and "no backup" in result.output
