"""Repeating jobs (``flask sla sweep --every``, ``flask outbox deliver --every``) that outlive database outages."""

import threading
from collections.abc import Callable

import click
from sqlalchemy.exc import DBAPIError, OperationalError

from workflow.db import db


def repeat(job_round: Callable[[], None], every: int, stop: threading.Event) -> None:
    """Run ``job_round`` now and then every ``every`` seconds until ``stop`` is set.

    A round that fails because the database is unreachable (a restart, a fail-over, a dropped
    connection) is reported and tried again at the next tick: the worker waits the outage out
    instead of exiting, and its round's transaction was rolled back, so nothing is half-done.
    Any other error still stops the worker.
    """
    while True:
        try:
            job_round()
        except DBAPIError as error:
            if not (isinstance(error, OperationalError) or error.connection_invalidated):
                raise
            db.session.remove()  # a fresh session and connection next time (pool_pre_ping checks it)
            click.echo(f"database unavailable, trying again in {every} s: {str(error.orig).strip()}", err=True)
        if stop.wait(every):
            return
