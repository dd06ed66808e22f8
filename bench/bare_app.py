"""The stack's limit for intake: bare Flask + Flask-SQLAlchemy, one complaint row and one audit row, one commit.

bench/intake.py serves it under the same gunicorn settings as Aduflow (``gunicorn bench.bare_app:app``):

    POST /complaints   JSON {title, description, category} → 201 {id, tracking_code}
    GET  /hello        plain text, no database (the HTTP ceiling)

``DATABASE_URL`` names the database (``postgresql://…`` uses psycopg 3; ``sqlite:////path`` is put in
WAL mode with the same pragmas as Aduflow's). ``python bench/bare_app.py init`` creates the two tables.
"""

import secrets
import sqlite3
import sys
from datetime import UTC, datetime

from flask import Flask, jsonify, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import JSON, DateTime, ForeignKey, String, Text, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Declarative base of the two tables."""


db = SQLAlchemy(model_class=Base)


class BareComplaint(db.Model):
    """A complaint as small as intake can make it: what the citizen sent, a code, a state, a time."""

    __tablename__ = "bare_complaints"
    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_code: Mapped[str] = mapped_column(String(20), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(32))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class BareEvent(db.Model):
    """One audit row per filing."""

    __tablename__ = "bare_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("bare_complaints.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    action: Mapped[str] = mapped_column(String(32))
    details: Mapped[dict] = mapped_column(JSON)


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, connection_record) -> None:
    # The same journal and lock wait as Aduflow's workflow/db.py, so the SQLite section compares like with like.
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA busy_timeout = 5000")
        cursor.close()


def database_url(url: str) -> str:
    """Use the psycopg 3 driver for ``postgresql://`` URLs."""
    return "postgresql+psycopg://" + url.removeprefix("postgresql://") if url.startswith("postgresql://") else url


def create_app() -> Flask:
    """Create the bare app on ``DATABASE_URL``."""
    import os

    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url(os.environ.get("DATABASE_URL", "sqlite:////tmp/bare.db"))
    db.init_app(app)

    @app.post("/complaints")
    def create_complaint():
        """Insert one complaint and its audit row in one commit."""
        body = request.get_json(silent=True) or {}
        now = datetime.now(UTC)
        complaint = BareComplaint(
            tracking_code=f"BARE-{secrets.token_hex(6).upper()}", title=str(body.get("title", ""))[:200],
            description=str(body.get("description", "")), category=str(body.get("category", "")),
            state="received", received_at=now)
        db.session.add(complaint)
        db.session.flush()
        db.session.add(BareEvent(complaint_id=complaint.id, at=now, action="file", details={"channel": "web"}))
        db.session.commit()
        return jsonify({"id": complaint.id, "tracking_code": complaint.tracking_code}), 201

    @app.get("/hello")
    def hello():
        """Answer without touching the database."""
        return "hello"

    return app


app = create_app()

if __name__ == "__main__":
    if sys.argv[1:] == ["init"]:
        with app.app_context():
            db.drop_all()
            db.create_all()
    else:
        sys.exit("usage: python bench/bare_app.py init")
