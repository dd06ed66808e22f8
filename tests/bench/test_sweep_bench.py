"""bench/sweep.py runs: it builds open complaints with some of them due, sweeps twice and writes its figures.

A tiny data set (200 open, 10 due) goes into a temporary SQLite file, or into a scratch PostgreSQL database
beside the suite's own when TEST_DATABASE_URL is set (never the suite's database: the script rebuilds it).
The test checks the JSON the lead's bench target reads and that the due pass did what a due breach owes:
a mark, an audit event and an escalation each, messages to the staff who hold the complaints, and nothing
left for the second pass. No timing is asserted.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from config import database_url
from tests.conftest import PG_URL, make_app, on_postgres
from workflow.db import db
from workflow.models import Complaint
from workflow.services import audit, indicators

ROOT = Path(__file__).resolve().parents[2]
OPEN, DUE = 200, 10


@pytest.fixture
def sweep_database(tmp_path):
    """Return the URL of a database the script may rebuild: a temporary file, or a scratch PostgreSQL one."""
    if not on_postgres():
        yield f"sqlite:///{tmp_path / 'sweep.db'}"
        return
    import psycopg

    scratch = make_url(database_url(PG_URL))
    scratch = scratch.set(drivername="postgresql", database=f"{scratch.database}_bench_sweep")
    maintenance = scratch.set(database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(maintenance, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{scratch.database}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{scratch.database}"')
    yield scratch.render_as_string(hide_password=False)
    with psycopg.connect(maintenance, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{scratch.database}" WITH (FORCE)')


def test_the_sweep_benchmark_escalates_what_is_due_once_and_writes_its_figures(sweep_database, tmp_path):
    figures_file = tmp_path / "sweep.json"
    done = subprocess.run([sys.executable, "bench/sweep.py", "--open", str(OPEN), "--due-count", str(DUE),
                           "--batch", "4", "--database", sweep_database, "--json", str(figures_file)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    figures = json.loads(figures_file.read_text())
    assert figures["database"] == ("postgresql" if on_postgres() else "sqlite")
    assert (figures["open"], figures["due"], figures["batch"]) == (OPEN, DUE, 4)
    assert {"build_seconds", "facts_seconds", "versions", "command"} <= set(figures)
    due = figures["due_pass"]
    assert due["report"] == {"breach": DUE, "clocks": DUE}  # batches of 4: the pass went on until none was due
    assert (due["escalations"], due["marks"], due["events"]) == (DUE, DUE, 2 * DUE)
    assert due["events_by_action"] == {"sla_breach": DUE, "escalate": DUE}  # the warnings were recorded before
    assert due["marks_by_threshold"] == {"breach": DUE}
    # Each breach tells the administrators and the complaint's holders (one message, a notice each); the
    # escalation tells nobody twice.
    assert DUE <= due["outbox_messages"] <= 2 * DUE and set(due["outbox_by_kind"]) == {"inapp"}
    assert due["inapp_notices"] >= 2 * DUE
    assert due["seconds"] > 0 and due["clocks_per_second"] > 0
    second = figures["second_pass"]
    assert (second["clocks"], second["events"], second["marks"], second["outbox_messages"]) == (0, 0, 0, 0)

    app = make_app(sweep_database)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Complaint).where(
            Complaint.escalation_level == 1)) == DUE
        checked, broken = audit.verify()
        assert broken is None and checked >= OPEN
        assert indicators.check(deep=True) == []
        db.session.remove()
        db.engine.dispose()
