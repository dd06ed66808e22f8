"""Fixtures of the reliability tests: a prepared PostgreSQL database and the fakes, shared by a module's tests."""

import pytest

from tests.conftest import on_postgres
from tests.reliability.harness import NEEDS_POSTGRES
from tests.reliability.scenarios import open_world


@pytest.fixture(scope="module")
def world(database_url):
    """Return the prepared database (SOP, staff, tokens) with the fake gateways and hub running."""
    if not on_postgres():
        pytest.skip(NEEDS_POSTGRES)
    with open_world(database_url) as prepared:
        yield prepared
