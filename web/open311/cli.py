"""``flask open311 keys …``: issue and revoke the API keys of Open311 clients; each command commits once."""

import click
from flask.cli import AppGroup

from web.clock import now
from web.open311 import clients
from web.transaction import unit_of_work
from workflow.domain.errors import DomainError

open311_cli = AppGroup("open311", help="Open311 GeoReport v2 (/open311/v2).")
keys_cli = AppGroup("keys", help="API keys of Open311 clients (needed to POST requests).")
open311_cli.add_command(keys_cli)


@keys_cli.command("create")
@click.argument("client_name")
def keys_create(client_name: str) -> None:
    """Issue an API key for CLIENT_NAME and print it (it is shown only once)."""
    try:
        with unit_of_work():
            _, key = clients.create_key(client_name, now())
    except DomainError as error:
        raise click.ClickException(_message(error)) from None
    click.echo(key)


@keys_cli.command("revoke")
@click.argument("client_name")
def keys_revoke(client_name: str) -> None:
    """Revoke the API key of CLIENT_NAME; its POSTs are refused from now on."""
    try:
        with unit_of_work():
            client = clients.revoke_key(client_name, now())
            click.echo(f"Revoked: {client.name} ({client.revoked_at.isoformat()})")
    except DomainError as error:
        raise click.ClickException(_message(error)) from None


def _message(error: DomainError) -> str:
    details = "".join(f"\n  - {field}: {problem}" for field, problem in error.details.items())
    return error.message + details
