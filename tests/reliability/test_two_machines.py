"""Two app servers, two SLA sweeps and two outbox workers against one database: the work is shared,
never doubled (each filing once, each sweep event once, each message sent once)."""

import pytest

from tests.reliability import scenarios

pytestmark = pytest.mark.postgres


def test_two_of_everything_share_the_work_without_doing_it_twice(world):
    outcome = scenarios.two_machines(world, count=60, due=10, clients=10, workers=1)

    assert outcome["problems"] == []
    assert outcome["overdue"]["sweep"]["swept_complaints"] == 10
    assert outcome["fault"]["sms_requests"] == outcome["fault"]["sms_messages"]
