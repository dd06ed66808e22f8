"""One machine as production runs it (gunicorn with two sync workers, an outbox worker, the fakes):
filings under load are kept exactly once, whole, and their messages arrive once, whatever fails."""

import pytest

from tests.reliability import scenarios

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def stack(world):
    """Start the processes: gunicorn and the outbox worker (sweeps are started by the tests that need them)."""
    with world.stack() as running:
        yield running


@pytest.fixture(scope="module")
def server(stack):
    """Return the gunicorn server, with two workers answering."""
    server = stack.app(workers=2)
    stack.outbox()
    return server


def test_every_acknowledged_complaint_is_kept_exactly_once_under_load(world, server):
    outcome = scenarios.load_without_loss(world, [server.url], count=100, clients=10)

    assert outcome["problems"] == []
    assert outcome["database"]["found"] == outcome["database"]["acknowledged"] == 100
    assert outcome["delivery"]["delivered"] == outcome["delivery"]["messages"]


def test_clients_that_time_out_and_retry_with_the_same_key_file_once(world, server):
    outcome = scenarios.idempotent_retries(world, [server.url], count=30, clients=10, first_timeout=0.02)

    assert outcome["problems"] == []
    assert outcome["load"]["client_timeouts"] > 0
    assert outcome["database"]["found"] == outcome["database"]["distinct_keys"] == 30


def test_a_worker_killed_mid_request_loses_nothing_acknowledged(world, server):
    # Enough filings that the load outlasts a few kills: a kill that finds its worker between two requests is
    # tried again, and at 60 filings a fast server had answered them all before the second try.
    outcome = scenarios.worker_killed(world, server, count=600, clients=10)

    assert outcome["problems"] == []
    assert outcome["fault"]["requests_lost_in_flight"] >= 1
    assert outcome["fault"]["workers_after"] == 2
    assert outcome["database"]["found"] == 600


def test_messages_wait_while_the_gateways_are_down_and_arrive_once(world, server):
    outcome = scenarios.gateways_down(world, [server.url], count=20, clients=5)

    assert outcome["problems"] == []
    assert outcome["fault"]["messages_retried_during_outage"] > 0
    assert outcome["delivery"]["delivered"] == outcome["delivery"]["messages"]


def test_transfers_and_pulls_survive_the_hub_being_down(world, stack, server):
    outcome = scenarios.hub_down(world, stack, server, transfers=4, reports=3)

    assert outcome["problems"] == []
    assert outcome["delivery"]["hub_transfers_once"] == 4
    assert outcome["fault"]["reports_imported_once"] == 3


def test_a_sweep_killed_mid_pass_and_run_again_writes_each_event_once(world, stack, server):
    outcome = scenarios.sweep_killed(world, stack, server, due=20, batch=1)

    assert outcome["problems"] == []
    assert 0 < outcome["fault"]["marks_when_killed"] < outcome["fault"]["marks_expected"]
    assert outcome["sweep"]["swept_complaints"] == 20
