"""Backups: ``flask backup create PATH`` and ``flask backup restore PATH``.

SQLite uses the online backup API (a consistent copy while the app runs); PostgreSQL uses
``pg_dump --format=custom`` and ``pg_restore --clean``, from the same Debian client packages as psql.
After a restore, run ``flask audit verify``: the hash chains prove nothing was altered.
"""

import shutil
import sqlite3
import subprocess  # nosec B404  # pg_dump and psql with fixed argument lists, never a shell
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.engine import make_url

from workflow.db import db

backup_cli = AppGroup("backup", help="Back up and restore the database.")


def create_backup(target: Path) -> Path:
    """Write a consistent backup of the app's database to ``target``; return the path."""
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    target.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "sqlite":
        with sqlite3.connect(url.database) as source, sqlite3.connect(target) as copy:
            source.backup(copy)
    else:
        _run(["pg_dump", "--format=custom", "--no-owner", f"--file={target}", _libpq(url)])
    return target


def restore_backup(source: Path) -> None:
    """Replace the app's database content with the backup at ``source``."""
    if not source.is_file():
        raise click.ClickException(f"no backup at {source}")
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    db.session.remove()
    db.engine.dispose()  # no pooled connection may keep the old content open
    if url.get_backend_name() == "sqlite":
        with sqlite3.connect(source) as backup, sqlite3.connect(url.database) as live:
            backup.backup(live)
    else:
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
              f"--dbname={_libpq(url)}", str(source)])


def _libpq(url) -> str:
    # pg_dump speaks libpq, not SQLAlchemy: drop the "+psycopg" driver part.
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _run(command: list[str]) -> None:
    if shutil.which(command[0]) is None:
        raise click.ClickException(f"{command[0]} not found: install postgresql-client")
    # A fixed argument list, no shell: nothing from the user is interpreted.
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # nosec B603
    if done.returncode != 0:
        raise click.ClickException(f"{command[0]} failed: {done.stderr.strip()}")


@backup_cli.command("create")
@click.argument("path", type=click.Path(path_type=Path))
def backup_create(path: Path) -> None:
    """Write a backup of the database to PATH."""
    click.echo(f"backup written: {create_backup(path)} ({path.stat().st_size:,} bytes)")


@backup_cli.command("restore")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def backup_restore(path: Path, yes: bool) -> None:
    """Replace the database's content with the backup at PATH (asks first)."""
    if not yes:
        click.confirm(f"Replace the whole database with {path}?", abort=True)
    restore_backup(path)
    click.echo(f"restored from {path}; run `flask audit verify` to check the audit trail")
