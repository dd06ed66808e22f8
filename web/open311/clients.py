"""Use cases for Open311 clients: issue and revoke API keys, and find the client a key belongs to.

A key is shown once when it is issued; only its sha256 is stored. Like the other use cases these
flush and never commit: the CLI command commits.
"""

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select

from workflow.db import db
from workflow.domain.errors import InvalidInput, NotFound
from workflow.models import Open311Client

MAX_NAME_LENGTH = 100


def create_key(name: str, now: datetime) -> tuple[Open311Client, str]:
    """Issue an API key for the client ``name`` and return the client and the key.

    A revoked client gets a fresh key (rotation: revoke, then create); an active one is refused, so a
    working integration is never cut off by a typo.
    """
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        raise InvalidInput("Nama klien tidak valid. / Invalid client name.",
                           {"name": f"isi 1–{MAX_NAME_LENGTH} karakter / 1–{MAX_NAME_LENGTH} characters"})
    client = db.session.scalar(select(Open311Client).filter_by(name=name))
    if client is not None and client.revoked_at is None:
        raise InvalidInput(f"Klien '{name}' sudah punya kunci aktif; cabut dulu untuk menggantinya. / Client "
                           f"'{name}' already has an active key; revoke it first to replace it.", {"name": name})
    key = secrets.token_urlsafe(32)
    if client is None:
        client = Open311Client(name=name, created_at=now)
        db.session.add(client)
    client.key_hash, client.revoked_at = digest(key), None
    db.session.flush()
    return client, key


def revoke_key(name: str, now: datetime) -> Open311Client:
    """Revoke the API key of the client ``name``; its requests are kept."""
    client = db.session.scalar(select(Open311Client).filter_by(name=(name or "").strip()))
    if client is None:
        raise NotFound(f"Klien Open311 '{name}' tidak ditemukan. / Open311 client '{name}' not found.",
                       {"name": name})
    if client.revoked_at is None:
        client.revoked_at = now
        db.session.flush()
    return client


def client_for_key(key: str | None) -> Open311Client | None:
    """Return the active client holding ``key``, or None."""
    if not key:
        return None
    return db.session.scalar(select(Open311Client).filter_by(key_hash=digest(key), revoked_at=None))


def digest(key: str) -> str:
    """Return the sha256 of an API key, the only form in which it is stored."""
    return hashlib.sha256(key.encode()).hexdigest()
