"""The audit trail's hash chain: each event's hash covers its content and the previous event's hash."""

import hashlib
import json
from datetime import UTC, datetime

GENESIS = "0" * 64


def event_hash(previous: str, fields: dict) -> str:
    """Return the sha256 (hex) over ``previous`` and the event's ``fields`` in canonical JSON."""
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain)
    return hashlib.sha256(f"{previous}\n{canonical}".encode()).hexdigest()


def _plain(value):
    if isinstance(value, datetime):
        # Databases give back naive UTC (SQLite) or aware times; both hash the same.
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
    raise TypeError(f"cannot hash {type(value).__name__}")
