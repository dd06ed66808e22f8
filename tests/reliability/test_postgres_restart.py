"""PostgreSQL restarts (as after a crash) while citizens file: the app and the workers recover, and every
acknowledged complaint is there once. A throwaway cluster of the test's own: the shared server is never touched."""

import pytest

from tests.conftest import on_postgres
from tests.reliability import scenarios
from tests.reliability.harness import NEEDS_POSTGRES, ThrowawayPostgres

pytestmark = [pytest.mark.postgres, pytest.mark.skipif(not on_postgres(), reason=NEEDS_POSTGRES),
              pytest.mark.skipif(ThrowawayPostgres.available() is not None,
                                 reason=f"no throwaway PostgreSQL: {ThrowawayPostgres.available()}")]


def test_a_database_restart_loses_no_acknowledged_complaint():
    outcome = scenarios.postgres_restarted(count=30, clients=10)

    assert outcome["problems"] == []
    assert outcome["database"]["found"] == outcome["database"]["acknowledged"] == 30
