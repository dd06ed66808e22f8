"""Command-line tools (``flask --app wsgi …``): SOPs, users and the demo data; each command commits once."""

import sys

import click
from flask import Flask
from flask.cli import AppGroup

from sop import SopInvalid, load_sop, sop_path
from web.clock import now
from web.transaction import unit_of_work
from workflow.domain.errors import DomainError
from workflow.domain.states import STAFF_ROLES
from workflow.services import people
from workflow.services.sop import load_sop_version

sop_cli = AppGroup("sop", help="Check and load SOPs (sop/<name>/).")
users_cli = AppGroup("users", help="Staff accounts and API tokens.")
demo_cli = AppGroup("demo", help="Demo data for a first look.")


def register(app: Flask) -> None:
    """Attach the command groups to ``app``."""
    for group in (sop_cli, users_cli, demo_cli):
        app.cli.add_command(group)


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
