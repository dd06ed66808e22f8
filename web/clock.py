"""The edge's clock: real time, or a frozen moment for demos and tests (``FIXED_NOW``)."""

from datetime import datetime

import click
from flask import current_app

from workflow.db import utcnow


def now() -> datetime:
    """Return the current moment as an aware UTC datetime, honouring ``FIXED_NOW``."""
    fixed = current_app.config.get("FIXED_NOW")
    if not fixed:
        return utcnow()
    moment = fixed if isinstance(fixed, datetime) else datetime.fromisoformat(fixed)
    if moment.tzinfo is None:
        raise RuntimeError("FIXED_NOW needs a time zone, e.g. 2026-03-17T10:00:00+08:00")
    return moment


def parse_moment(value: str) -> datetime:
    """Parse a command-line ISO-8601 moment; it must carry its offset (``--now 2026-03-27T10:00:00+08:00``)."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"not ISO-8601: {value!r} (e.g. 2026-03-27T10:00:00+08:00)") from None
    if moment.tzinfo is None:
        raise click.BadParameter("needs a time zone offset, e.g. +08:00")
    return moment
