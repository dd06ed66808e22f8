"""The migrations build the schema from nothing, agree with the models, and downgrade cleanly."""

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from tests.conftest import PG_URL, database_url_for, make_app, on_postgres
from workflow.db import db

TABLES = {"units", "users", "api_tokens", "sop_versions", "calendar_overrides", "complaints", "clocks",
          "complaint_events", "idempotency_records"}


def test_models_and_migrations_agree(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


@pytest.fixture
def scratch_url(tmp_path):
    """Return the URL of an empty database of the run's kind, dropped afterwards."""
    if not on_postgres():
        yield f"sqlite:///{tmp_path / 'scratch.db'}"
        return
    name = f"aduflow_scratch_{uuid.uuid4().hex[:8]}"
    admin = create_engine(database_url_for(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    yield PG_URL.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def test_upgrade_from_nothing_downgrade_to_nothing_and_back(scratch_url):
    app = make_app(scratch_url)
    with app.app_context():
        upgrade()
        assert set(inspect(db.engine).get_table_names()) >= TABLES
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert set(inspect(db.engine).get_table_names()) >= TABLES
        db.engine.dispose()
