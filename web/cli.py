"""Command-line tools (``flask --app wsgi …``): SOPs, users and the demo data; each command commits once."""

import sys
import threading
from collections import Counter

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy.exc import IntegrityError, OperationalError

from sop import SopInvalid, load_sop, sop_path
from web import jobs
from web.clock import now, parse_moment
from web.transaction import unit_of_work
from workflow.connectors import lapor
from workflow.domain.errors import DomainError, VersionConflict
from workflow.domain.states import STAFF_ROLES
from workflow.services import audit, people
from workflow.services.sla import DEFAULT_BATCH, sweep
from workflow.services.sop import load_sop_version

sop_cli = AppGroup("sop", help="Check and load SOPs (sop/<name>/).")
users_cli = AppGroup("users", help="Staff accounts and API tokens.")
demo_cli = AppGroup("demo", help="Demo data for a first look.")
audit_cli = AppGroup("audit", help="The tamper-evident audit trail.")
sla_cli = AppGroup("sla", help="The SLA sweep: warnings, breaches, escalation, windows.")
# Set to stop a repeating sweep (tests, a clean shutdown).
stop = threading.Event()


def register(app: Flask) -> None:
    """Attach the command groups to ``app``."""
    for group in (sop_cli, users_cli, demo_cli, sla_cli, audit_cli):
        app.cli.add_command(group)
    from web.backup import backup_cli
    from web.open311.cli import open311_cli

    app.cli.add_command(open311_cli)
    app.cli.add_command(backup_cli)
    from web.connectors_cli import lapor_cli, outbox_cli

    for group in (lapor_cli, outbox_cli):
        app.cli.add_command(group)
    from web.reports.cli import report_cli

    app.cli.add_command(report_cli)


def _fail(error: Exception) -> None:
    message = str(error)
    if isinstance(error, DomainError) and error.details:
        message += "\n" + "\n".join(f"  - {field}: {problem}" for field, problem in error.details.items())
    raise click.ClickException(message)


@sop_cli.command("check")
@click.argument("path", type=click.Path())
def sop_check(path: str) -> None:
    """Validate the SOP folder PATH (a name such as 'klungkung' or a path) without loading it."""
    try:
        sop = load_sop(path if "/" in path else sop_path(path))
    except SopInvalid as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"OK: SOP {sop.code} {sop.version}: {len(sop.units)} units, {len(sop.categories)} categories, "
               f"{len(sop.classes)} classes, {len(sop.regional_days)} regional days")


@sop_cli.command("load")
@click.argument("name")
def sop_load(name: str) -> None:
    """Validate the SOP NAME (or a path) and make it the active version."""
    try:
        with unit_of_work():
            version = load_sop_version(name)
            click.echo(f"Active SOP: {version.code} {version.version} (checksum {version.checksum[:12]})")
    except SopInvalid as error:
        raise click.ClickException(str(error)) from None
    except DomainError as error:
        _fail(error)


@users_cli.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(sorted(r.value for r in STAFF_ROLES)))
@click.option("--unit", "unit_code", help="Unit code (required for unit_admin and penghubung).")
@click.option("--name", "full_name", default="", help="Full name.")
def users_create(username: str, role: str, unit_code: str | None, full_name: str) -> None:
    """Create a staff account; the password is read from stdin, or prompted for on a terminal."""
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\n")
    try:
        with unit_of_work():
            user = people.create_user(username, role, password, unit_code, full_name)
            click.echo(f"Created {user.username} ({user.role}{', ' + unit_code if unit_code else ''})")
    except DomainError as error:
        _fail(error)


@users_cli.command("token")
@click.argument("username")
def users_token(username: str) -> None:
    """Issue an API token for USERNAME and print it (it is shown only once)."""
    try:
        with unit_of_work():
            click.echo(people.issue_token(username))
    except DomainError as error:
        _fail(error)


@demo_cli.command("seed")
def demo_seed() -> None:
    """Load the Klungkung SOP, one user per role and demo complaints in every state."""
    from web.demo import seed

    try:
        with unit_of_work():
            for line in seed(now()):
                click.echo(line)
    except DomainError as error:
        _fail(error)


@sla_cli.command("sweep")
@click.option("--now", "at", help="Replay the sweep at this ISO-8601 moment with offset (default: the clock).")
@click.option("--every", type=click.IntRange(min=1), help="Keep sweeping every N seconds (a scheduler for make run).")
@click.option("--batch", default=DEFAULT_BATCH, show_default=True, type=click.IntRange(min=1),
              help="Clocks per transaction.")
def sla_sweep(at: str | None, every: int | None, batch: int) -> None:
    """Run one SLA pass (or one every N seconds): each batch of clocks commits on its own."""
    moment = parse_moment(at) if at else None

    def sweep_round() -> None:
        report = sweep_until_done(moment or now(), batch)
        click.echo("sweep " + (", ".join(f"{k}={v}" for k, v in sorted(report.items())) or "nothing due"))
        if every:
            _pull_lapor()

    if every:
        jobs.repeat(sweep_round, every, stop)
    else:
        sweep_round()


def sweep_until_done(moment, batch: int):
    """Sweep in batches, each committed on its own, until no clock is due at ``moment``; sum the reports."""
    total = Counter()
    for _ in range(10_000):  # a bound, so a batch that keeps conflicting cannot spin forever
        try:
            with unit_of_work():
                report = sweep(moment, batch)
        except (VersionConflict, IntegrityError, OperationalError) as error:
            if isinstance(error, OperationalError) and "locked" not in str(error.orig):
                raise
            total["retried"] += 1  # someone changed a complaint or another sweep got there first
            continue
        total.update(report)
        if report["clocks"] < batch:
            break
    return total



def _pull_lapor() -> None:
    # On the sweep's schedule the SP4N-LAPOR! hub is asked for new complaints too, when it is configured.
    hub = lapor.hub_from_config(current_app.config)
    if hub is None:
        return
    try:
        with unit_of_work():
            report = lapor.pull(hub, now(), None)
        click.echo(f"lapor pull: {len(report.imported)} imported, {len(report.refused)} refused")
    except lapor.HubUnavailable as error:
        click.echo(f"lapor pull: hub unavailable ({error})", err=True)


@audit_cli.command("verify")
def audit_verify() -> None:
    """Recompute every complaint's hash chain; exit 1 at the first broken link."""
    checked, broken = audit.verify()
    if broken:
        raise click.ClickException(
            f"audit trail BROKEN at complaint {broken.complaint_id}, event id {broken.event_id} (position "
            f"{broken.seq}): {broken.problem}; {checked} events before it verified")
    click.echo(f"audit trail intact: {checked} events verified")
