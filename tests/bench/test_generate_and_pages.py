"""The benchmark scripts run: bench/generate.py builds a consistent data set, bench/pages.py measures every page.

A tiny data set (300 complaints over 45 days, so a good share is still open) is built into a temporary SQLite
file, or into a scratch PostgreSQL database beside the suite's own when TEST_DATABASE_URL is set. The test
checks what the generator promises — counts, a mix of states, audit chains that verify, indicator roll-ups
that match a recount — and that every page the page benchmark measures answered as it should. No timing is
asserted: the figures come from running the scripts by hand or through the lead's bench target.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bench.generate import pin_of
from config import database_url
from tests.conftest import PG_URL, make_app, on_postgres
from workflow.db import db
from workflow.models import Complaint, ComplaintEvent
from workflow.services import audit, indicators
from workflow.services.intake import pin_hash

ROOT = Path(__file__).resolve().parents[2]
COMPLAINTS = 300
OPEN_STATES = {"received", "pending_info", "dispositioned", "in_progress", "returned", "responded"}


@pytest.fixture
def bench_database(tmp_path):
    """Return the URL of a database the generator may replace: a temporary file, or a scratch PostgreSQL one."""
    if not on_postgres():
        yield f"sqlite:///{tmp_path / 'bench.db'}"
        return
    scratch = make_url(database_url(PG_URL))
    scratch = scratch.set(database=f"{scratch.database}_bench_scratch")
    yield scratch.set(drivername="postgresql").render_as_string(hide_password=False)
    import psycopg

    maintenance = scratch.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(maintenance, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{scratch.database}" WITH (FORCE)')


def run(*arguments: str) -> None:
    """Run a bench script with this interpreter and fail with its output if it fails."""
    done = subprocess.run([sys.executable, *arguments], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def test_the_generator_builds_a_consistent_data_set_and_every_measured_page_answers(bench_database, tmp_path):
    generated, measured = tmp_path / "generate.json", tmp_path / "pages.json"
    run("bench/generate.py", "--complaints", str(COMPLAINTS), "--days", "45", "--workers", "1",
        "--database", bench_database, "--out", str(generated))
    summary = json.loads(generated.read_text())
    assert summary["rows"]["complaints"] == COMPLAINTS
    assert summary["indicator_facts"] == COMPLAINTS
    assert 3 <= summary["events_per_complaint"] <= 10
    states = summary["states"]
    assert sum(states.values()) == COMPLAINTS
    assert states["closed"] > COMPLAINTS / 3
    assert len(OPEN_STATES & set(states)) >= 4, states
    assert {"archived", "transferred"} <= set(states)
    assert summary["audit_sample"]["broken"] is None

    app = make_app(bench_database)
    with app.app_context():
        checked, broken = audit.verify()
        assert broken is None
        assert checked == db.session.scalar(select(func.count()).select_from(ComplaintEvent))
        assert indicators.check(deep=True) == []
        sample = db.session.scalars(select(Complaint).order_by(Complaint.id).limit(3)).all()
        app.config["SECRET_KEY"] = summary["secret_key"]
        assert all(c.pin_hash == pin_hash(c.tracking_code, pin_of(c.id)) for c in sample)
        db.session.remove()
        db.engine.dispose()

    run("bench/pages.py", "--database", bench_database, "--requests", "2", "--warmup", "1", "--port", "18391",
        "--generated", str(generated), "--out", str(measured))
    pages = json.loads(measured.read_text())["pages"]
    assert len(pages) >= 20
    wrong = {name: figures["statuses"] for name, figures in pages.items() if figures["errors"]}
    assert wrong == {}
    assert all(figures["n"] == 2 for figures in pages.values())
