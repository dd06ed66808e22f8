"""Fixtures: one migrated database per run (SQLite by default, PostgreSQL with TEST_DATABASE_URL).

On SQLite every test gets a copy of a migrated template file; on PostgreSQL every test starts from
emptied tables. Either way the schema comes from the migrations, never from ``create_all``.
"""

import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from config import database_url as database_url_for
from web import create_app
from workflow.db import db
from workflow.domain.rules import Actor
from workflow.services import people
from workflow.services.actions import take_action
from workflow.services.inputs import NewComplaint
from workflow.services.intake import file_complaint
from workflow.services.sop import load_sop_version

# Tue 17 Mar 2026, 10:00 WITA: a fixed "now" so no test depends on today's date.
T0 = datetime(2026, 3, 17, 2, 0, tzinfo=UTC)
PG_URL = os.environ.get("TEST_DATABASE_URL", "")


@pytest.fixture(autouse=True)
def _heap_left_to_the_collector(monkeypatch):
    """Keep the production apps tests create from freezing the test process's heap (web/heap.py)."""
    monkeypatch.setenv("FREEZE_HEAP", "0")


def on_postgres() -> bool:
    """Return whether this run uses PostgreSQL."""
    return PG_URL.startswith("postgres")


def make_app(url: str, **overrides):
    """Return a test app bound to ``url``."""
    return create_app({"ENV_NAME": "testing", "TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url_for(url),
                       **overrides})


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """Migrate the run's database once and return its URL (a template file on SQLite)."""
    url = PG_URL or f"sqlite:///{tmp_path_factory.mktemp('db') / 'template.db'}"
    app = make_app(url)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return url


@pytest.fixture
def app(database_url, tmp_path):
    """Return an app on a clean, migrated database with the Klungkung SOP loaded."""
    if on_postgres():
        url = database_url
    else:
        copy = tmp_path / "test.db"
        shutil.copyfile(database_url.removeprefix("sqlite:///"), copy)
        url = f"sqlite:///{copy}"
    app = make_app(url, FIXED_NOW=T0)
    with app.app_context():
        if on_postgres():
            empty_postgres()
        load_sop_version("klungkung")
        db.session.commit()
        yield app
        db.session.rollback()
        db.session.remove()
        db.engine.dispose()


def empty_postgres() -> None:
    """Empty every table and restart the ids, fast: DELETE skips TRUNCATE's file work per table.

    ``session_replication_role = replica`` (the test user is a superuser) switches off triggers and
    foreign-key checks for this session only, so the append-only audit trail can be emptied too.
    """
    db.session.execute(text("SET session_replication_role = replica"))
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(text(f'DELETE FROM "{table.name}"'))
    db.session.execute(text("SET session_replication_role = DEFAULT"))
    db.session.execute(text("SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, 1, false) "
                            "FROM pg_sequences WHERE schemaname = current_schema()"))


@dataclass
class Staff:
    """A staff user, its actor and its API token."""

    username: str
    actor: Actor
    token: str

    @property
    def headers(self) -> dict:
        """Return the Authorization header for API calls."""
        return {"Authorization": f"Bearer {self.token}"}


STAFF = {
    "admin": ("admin_instansi", "ORG"),
    "coordinator": ("coordinator", "KLK"),
    "inspector": ("inspector", "INSP"),
    "leader": ("leader", "KLK"),
    "facilitator": ("facilitator", None),
    "pupr": ("unit_admin", "PUPRKP"),
    "penghubung_pupr": ("penghubung", "PUPRKP"),
    "pdam": ("unit_admin", "PDAM"),
    "penghubung_pdam": ("penghubung", "PDAM"),
    "dinkes": ("unit_admin", "DINKES"),
}


@pytest.fixture
def staff(app) -> dict[str, Staff]:
    """Create one user per staff role (and two units' handlers); return them by name."""
    result = {}
    for username, (role, unit) in STAFF.items():
        user = people.create_user(username, role, "correct-horse-battery", unit)
        result[username] = Staff(username, people.actor_for(user), people.issue_token(username))
    db.session.commit()
    return result


def new_complaint(**overrides) -> NewComplaint:
    """Return a valid complaint input, changed by ``overrides``."""
    data = {"title": "Jalan berlubang di Jalan Raya Gelgel",
            "description": "Lubang besar di depan pura, dua motor jatuh minggu ini.",
            "category": "jalan-rusak", "location": {"desa": "Gelgel", "kecamatan": "Klungkung"},
            "reporter": {"name": "I Komang Sutama", "phone": "081234567001"}}
    data.update(overrides)
    return NewComplaint.model_validate(data)


VERIFY = {"unit": "PUPRKP", "class": "pengaduan_tidak_berkadar_pengawasan", "anonymous": False,
          "confidential": False}


@pytest.fixture
def file(app):
    """Return a function that files a complaint at ``at`` and commits it."""
    def filer(at: datetime = T0, actor: Actor | None = None, **overrides):
        filed = file_complaint(new_complaint(**overrides), actor, at)
        db.session.commit()
        return filed

    return filer


@pytest.fixture
def act(app):
    """Return a function that takes an action and commits (the edge's unit of work)."""
    def actor_acts(complaint_id: int, action: str, actor: Actor, at: datetime = T0, **body):
        try:
            complaint = take_action(complaint_id, action, actor, at, body)
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
        return complaint

    return actor_acts
