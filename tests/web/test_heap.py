"""A worker's start-up heap leaves Python's full collections after its first request (web/heap.py)."""

import gc

import pytest

from config import ProductionConfig
from tests.conftest import make_app
from web import heap
from workflow.db import db


@pytest.fixture
def client(app, monkeypatch):
    """Return a client of an app created with ``FREEZE_HEAP`` on, counting this process's requests from zero."""
    monkeypatch.setattr(heap, "_served", 0)
    monkeypatch.setattr(heap, "FREEZE_BEFORE", (2, 4))
    frozen_before = []
    real_freeze = gc.freeze
    monkeypatch.setattr(gc, "freeze", lambda: (frozen_before.append(heap._served), real_freeze()))
    # The app factory itself, as production builds it: the same database as the test's app, the setting on.
    freezing = make_app(app.config["SQLALCHEMY_DATABASE_URI"], FREEZE_HEAP=True)
    gc.unfreeze()
    client = freezing.test_client()
    client.frozen_before = frozen_before
    yield client
    gc.unfreeze()  # the test process's heap goes back to the collector
    with freezing.app_context():
        db.engine.dispose()


def test_the_heap_is_frozen_before_the_second_request_and_again_later(client):
    counts = []
    for _ in range(5):
        assert client.get("/api/v1/sop").status_code == 200
        counts.append(gc.get_freeze_count())
    assert counts[0] == 0  # the first request is served as before
    assert counts[1] > 10_000  # from the second on, what was alive (the app, its SOP, its templates …) is frozen
    assert client.frozen_before == [2, 4]


def test_the_heap_stays_with_the_collector_when_switched_off(app):
    gc.unfreeze()
    assert app.config["FREEZE_HEAP"] is False  # the test suite's default: its heap is shared by every app
    for _ in range(3):
        assert app.test_client().get("/api/v1/sop").status_code == 200
    assert gc.get_freeze_count() == 0


def test_production_freezes_unless_told_not_to(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "a-real-secret")
    monkeypatch.delenv("FREEZE_HEAP")  # tests/conftest.py sets it for every test
    assert ProductionConfig().FREEZE_HEAP is True
    monkeypatch.setenv("FREEZE_HEAP", "0")
    assert ProductionConfig().FREEZE_HEAP is False
