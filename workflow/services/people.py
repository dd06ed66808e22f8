"""Use cases for staff: accounts, API tokens, and turning a user into an acting :class:`Actor`."""

import hashlib
import secrets

from flask import current_app
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from workflow.db import db, utcnow
from workflow.domain.errors import AuthenticationRequired, InvalidInput, NotFound
from workflow.domain.rules import Actor
from workflow.domain.states import STAFF_ROLES, UNIT_SCOPED_ROLES, Role
from workflow.models import ApiToken, Unit, User

MIN_PASSWORD_LENGTH = 10


def create_user(username: str, role: str, password: str, unit_code: str | None = None,
                full_name: str = "") -> User:
    """Create a staff account; unit roles must name their unit."""
    problems = {}
    username = username.strip()
    if not username or len(username) > 64:
        problems["username"] = "isi 1–64 karakter / 1–64 characters"
    elif db.session.scalar(select(User.id).filter_by(username=username)):
        problems["username"] = f"'{username}' sudah dipakai / already taken"
    try:
        role_ = Role(role)
        if role_ not in STAFF_ROLES:
            raise ValueError
    except ValueError:
        role_ = None
        choices = ", ".join(sorted(r.value for r in STAFF_ROLES))
        problems["role"] = f"peran tidak dikenal / unknown role; pilih: {choices}"
    unit = None
    if unit_code:
        unit = db.session.scalar(select(Unit).filter_by(code=unit_code))
        if unit is None:
            problems["unit"] = f"unit '{unit_code}' tidak dikenal / unknown unit"
    elif role_ in UNIT_SCOPED_ROLES:
        problems["unit"] = "peran ini perlu unit / this role needs a unit (--unit CODE)"
    if len(password) < MIN_PASSWORD_LENGTH:
        problems["password"] = f"minimal {MIN_PASSWORD_LENGTH} karakter / at least {MIN_PASSWORD_LENGTH} characters"
    if problems:
        raise InvalidInput("Akun tidak dapat dibuat; periksa isian.", problems)
    user = User(username=username, role=role_.value, unit=unit, full_name=full_name,
                password_hash=generate_password_hash(password, current_app.config["PASSWORD_HASH_METHOD"]))
    db.session.add(user)
    db.session.flush()
    return user


def check_password(username: str, password: str) -> User:
    """Return the active user with these credentials, or raise :class:`AuthenticationRequired`."""
    user = db.session.scalar(select(User).filter_by(username=username))
    if user is None or not user.active or not check_password_hash(user.password_hash, password):
        raise AuthenticationRequired("Nama pengguna atau kata sandi salah.")
    return user


def issue_token(username: str) -> str:
    """Issue a new API token for ``username`` and return it; only its hash is kept."""
    user = db.session.scalar(select(User).filter_by(username=username))
    if user is None:
        raise NotFound(f"Pengguna '{username}' tidak ditemukan.", {"username": username})
    token = secrets.token_urlsafe(32)
    db.session.add(ApiToken(user=user, token_hash=_digest(token)))
    db.session.flush()
    return token


def user_for_token(token: str) -> User:
    """Return the active user a bearer token belongs to, or raise :class:`AuthenticationRequired`."""
    row = db.session.scalar(select(ApiToken).filter_by(token_hash=_digest(token), revoked_at=None))
    if row is None or not row.user.active:
        raise AuthenticationRequired("Token tidak valid atau sudah dicabut.")
    return row.user


def revoke_tokens(username: str) -> int:
    """Revoke every token of ``username``; return how many were revoked."""
    tokens = db.session.scalars(select(ApiToken).join(User).where(User.username == username,
                                                                   ApiToken.revoked_at.is_(None))).all()
    for token in tokens:
        token.revoked_at = utcnow()
    db.session.flush()
    return len(tokens)


def actor_for(user: User) -> Actor:
    """Return the :class:`Actor` for a staff user, with the units in their reach."""
    unit_ids = subtree_ids(user.unit_id) if user.unit_id else frozenset()
    return Actor(role=Role(user.role), user_id=user.id, unit_ids=unit_ids, name=user.username)


def subtree_ids(unit_id: int) -> frozenset[int]:
    """Return ``unit_id`` and the ids of every unit below it."""
    children: dict[int | None, list[int]] = {}
    for uid, parent in db.session.execute(select(Unit.id, Unit.parent_id)):
        children.setdefault(parent, []).append(uid)
    found, todo = set(), [unit_id]
    while todo:
        current = todo.pop()
        found.add(current)
        todo.extend(children.get(current, ()))
    return frozenset(found)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
