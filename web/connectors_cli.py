"""Commands for the connectors and the outbox: ``flask lapor pull`` and ``flask outbox deliver|status|retry``.

``outbox deliver`` commits once per message (so a crash loses at most one mark, never a delivery);
the other commands commit once.
"""

import threading

import click
from flask import current_app
from flask.cli import AppGroup

from web import jobs
from web.clock import now, parse_moment
from web.transaction import unit_of_work
from workflow.connectors import lapor
from workflow.services import outbox

lapor_cli = AppGroup("lapor", help="SP4N-LAPOR! connector: import the complaints the hub dispositioned to us.")
outbox_cli = AppGroup("outbox", help="The outbox: deliver queued messages (hub, e-mail, SMS …), list, retry.")
# Set to stop a repeating delivery loop (tests, a clean shutdown).
stop = threading.Event()


@lapor_cli.command("pull")
@click.option("--since", help="Ask for reports dispositioned from this ISO-8601 moment (default: a day before "
                              "the newest LAPOR! complaint here).")
@click.option("--now", "at", help="Run as if at this ISO-8601 moment with offset (default: the clock).")
def lapor_pull(since: str | None, at: str | None) -> None:
    """Import the hub's new complaints for the regency, each once; exit 1 if any report was refused."""
    hub = lapor.hub_from_config(current_app.config)
    if hub is None:
        raise click.ClickException("LAPOR_BASE_URL is not set: the SP4N-LAPOR! connector is off.")
    try:
        with unit_of_work():
            report = lapor.pull(hub, parse_moment(at) if at else now(), parse_moment(since) if since else None)
            imported = [(c.tracking_code, c.external_ref) for c in report.imported]
    except lapor.HubUnavailable as error:
        raise click.ClickException(f"SP4N-LAPOR! unavailable, nothing imported: {error}") from None
    for tracking_code, hub_id in imported:
        click.echo(f"imported {hub_id} as {tracking_code}")
    click.echo(f"pull: {len(imported)} imported, {report.already_imported} already here, "
               f"{len(report.refused)} refused")
    for hub_id, reason in report.refused.items():
        click.echo(f"refused {hub_id}: {reason}", err=True)
    if report.refused:
        raise click.exceptions.Exit(1)


@outbox_cli.command("deliver")
@click.option("--now", "at", help="Deliver as if at this ISO-8601 moment with offset (default: the clock).")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(min=1),
              help="Messages per round; rounds go on while they come back full.")
@click.option("--every", type=click.IntRange(min=1), help="Keep delivering every N seconds (a worker).")
def outbox_deliver(at: str | None, limit: int, every: int | None) -> None:
    """Deliver every message that is due, each committed on its own; retries back off."""
    senders = outbox.senders_from(current_app.config)

    def deliver_round() -> None:
        report = outbox.deliver_until_drained(lambda: parse_moment(at) if at else now(), senders, limit,
                                              unit_of_work=unit_of_work)
        click.echo("outbox " + (", ".join(f"{k}={v}" for k, v in sorted(report.items())) or "nothing due"))

    if every:
        jobs.repeat(deliver_round, every, stop)
    else:
        deliver_round()


@outbox_cli.command("status")
def outbox_status() -> None:
    """Show how many messages of each kind are pending, delivered or failed."""
    counts = outbox.counts()
    if not counts:
        click.echo("outbox empty")
    for (kind, status), number in sorted(counts.items()):
        click.echo(f"{kind} {status} {number}")


@outbox_cli.command("retry")
@click.option("--kind", help="Only messages of this kind (e.g. lapor_transfer).")
def outbox_retry(kind: str | None) -> None:
    """Put failed messages back in the queue with fresh attempts."""
    with unit_of_work():
        number = outbox.requeue_failed(now(), kind)
    click.echo(f"requeued {number} failed message(s)")

