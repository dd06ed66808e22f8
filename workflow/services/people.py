"""Use cases for staff: accounts, sign-in, API tokens, and turning a user into an acting :class:`Actor`.

Account management (create, change role or unit, deactivate, reset a password, hand a penghubung's
desk to a successor) is for the sysadmin; every change to an account writes an :class:`AccountEvent`.
"""

import hashlib
import secrets
from datetime import datetime, timedelta
from functools import lru_cache

from flask import current_app
from sqlalchemy import func, or_, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from workflow.db import db, utcnow
from workflow.domain.errors import AuthenticationRequired, InvalidInput, NotFound, PermissionDenied
from workflow.domain.rules import Actor
from workflow.domain.states import STAFF_ROLES, UNIT_SCOPED_ROLES, Role
from workflow.models import AccountEvent, ApiToken, Notice, Unit, User

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
    role_, unit = _check_role_and_unit(role, unit_code, problems)
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


class AccountLocked(AuthenticationRequired):
    """Sign-in is refused for a while after too many wrong passwords in a row."""

    code = "account_locked"


def sign_in(username: str, password: str, now: datetime) -> User:
    """Return the active user with these credentials; count wrong passwords and lock after too many.

    Raises :class:`AccountLocked` while the account is locked (even with the right password) and
    :class:`AuthenticationRequired` for a wrong name or password. The caller commits in both cases,
    so the count survives the refusal.
    """
    config = current_app.config
    user = db.session.scalar(select(User).filter_by(username=username.strip()))
    if user is not None and user.locked_until is not None and user.locked_until > now:
        raise _locked(user, now)
    if user is None:
        # Spend the same time as a real check, so response times do not tell which names exist.
        check_password_hash(_decoy_hash(config["PASSWORD_HASH_METHOD"]), password)
    if user is None or not user.active or not check_password_hash(user.password_hash, password):
        if user is not None and user.active:
            user.failed_logins += 1
            if user.failed_logins % config["LOGIN_MAX_FAILURES"] == 0:
                locks = user.failed_logins // config["LOGIN_MAX_FAILURES"]
                minutes = min(config["LOGIN_LOCK_MINUTES"] * 2 ** (locks - 1), config["LOGIN_LOCK_MAX_MINUTES"])
                user.locked_until = now + timedelta(minutes=minutes)
                _record(user, None, now, "locked", failed_logins=user.failed_logins, minutes=minutes)
            db.session.flush()
            if user.locked_until is not None and user.locked_until > now:
                raise _locked(user, now)
        raise AuthenticationRequired("Nama pengguna atau kata sandi salah. / Wrong username or password.")
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
    db.session.flush()
    return user


def change_password(user_id: int, current: str, new: str, now: datetime) -> User:
    """Change one's own password after proving the current one; other sessions end."""
    user = _user(user_id)
    if not check_password_hash(user.password_hash, current):
        raise InvalidInput("Kata sandi sekarang salah. / The current password is wrong.",
                           {"current_password": "salah / wrong"})  # nosec B105  # the problem, not a password
    _check_new_password(user, new)
    if check_password_hash(user.password_hash, new):
        # Bandit B105 below is a false alarm: the words say what is wrong with a typed password.
        raise InvalidInput("Kata sandi baru harus berbeda. / The new password must differ.",
                           {"new_password": "sama dengan yang sekarang / same as the current one"})  # nosec B105
    user.password_hash = _hash(new)
    _record(user, user.id, now, "password_changed")
    db.session.flush()
    return user


def list_users(actor: Actor, role: str | None = None, unit_code: str | None = None, active: bool | None = None,
               q: str | None = None) -> list[User]:
    """Return the staff accounts matching the filters, by unit then name (sysadmin)."""
    _require_sysadmin(actor)
    query = select(User).outerjoin(User.unit)
    if role:
        query = query.where(User.role == role)
    if unit_code:
        query = query.where(Unit.code == unit_code)
    if active is not None:
        query = query.where(User.active.is_(active))
    if q:
        pattern = "%" + q.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(func.lower(User.username).like(pattern, escape="\\"),
                                func.lower(User.full_name).like(pattern, escape="\\")))
    return list(db.session.scalars(query.order_by(Unit.code, User.username)))


def account(actor: Actor, user_id: int) -> tuple[User, list[AccountEvent]]:
    """Return an account and its history, newest first (sysadmin)."""
    _require_sysadmin(actor)
    user = _user(user_id)
    events = db.session.scalars(select(AccountEvent).where(AccountEvent.user_id == user.id)
                                .order_by(AccountEvent.id.desc())).all()
    return user, list(events)


def create_account(actor: Actor, now: datetime, username: str, role: str, password: str,
                   unit_code: str | None = None, full_name: str = "") -> User:
    """Create a staff account (sysadmin); unit roles must name their unit."""
    _require_sysadmin(actor)
    user = create_user(username, role, password, unit_code or None, full_name.strip())
    _record(user, actor.user_id, now, "created", role=user.role, unit=user.unit.code if user.unit else None)
    db.session.flush()
    return user


def update_account(actor: Actor, user_id: int, now: datetime, role: str, unit_code: str | None,
                   full_name: str) -> User:
    """Change an account's role, unit or name (sysadmin)."""
    _require_sysadmin(actor)
    user = _user(user_id)
    role_, unit = _role_and_unit(role, unit_code)
    if user.role == Role.sysadmin.value and role_ is not Role.sysadmin and user.active:
        _keep_a_sysadmin(user)
    before = {"role": user.role, "unit": user.unit.code if user.unit else None, "full_name": user.full_name}
    user.role, user.unit, user.full_name = role_.value, unit, full_name.strip()[:200]
    after = {"role": user.role, "unit": unit.code if unit else None, "full_name": user.full_name}
    changed = {key: [before[key], after[key]] for key in before if before[key] != after[key]}
    if changed:
        _record(user, actor.user_id, now, "updated", **changed)
    db.session.flush()
    return user


def set_active(actor: Actor, user_id: int, active: bool, now: datetime) -> User:
    """Deactivate (or reactivate) an account (sysadmin); a deactivated account's API tokens are revoked."""
    _require_sysadmin(actor)
    user = _user(user_id)
    if user.active == active:
        return user
    if not active:
        if user.id == actor.user_id:
            raise InvalidInput("Anda tidak dapat menonaktifkan akun sendiri. / You cannot deactivate your own "
                               "account.", {"user": user.username})
        if user.role == Role.sysadmin.value:
            _keep_a_sysadmin(user)
        revoke_tokens(user.username)
    user.active = active
    _record(user, actor.user_id, now, "activated" if active else "deactivated")
    db.session.flush()
    return user


def reset_password(actor: Actor, user_id: int, new: str, now: datetime) -> User:
    """Set a new password for someone who lost theirs, and lift any lock (sysadmin)."""
    _require_sysadmin(actor)
    user = _user(user_id)
    _check_new_password(user, new)
    user.password_hash = _hash(new)
    user.failed_logins, user.locked_until = 0, None
    _record(user, actor.user_id, now, "password_reset")
    db.session.flush()
    return user


def unlock(actor: Actor, user_id: int, now: datetime) -> User:
    """Lift a sign-in lock before it runs out (sysadmin)."""
    _require_sysadmin(actor)
    user = _user(user_id)
    user.failed_logins, user.locked_until = 0, None
    _record(user, actor.user_id, now, "unlocked")
    db.session.flush()
    return user


def successors(actor: Actor, user_id: int) -> list[User]:
    """Return who may take over a penghubung's desk: active staff of the same unit, not sysadmins."""
    predecessor = _handing_over(actor, user_id)
    return list(db.session.scalars(
        select(User).where(User.unit_id == predecessor.unit_id, User.active.is_(True), User.id != predecessor.id,
                           User.role.not_in([Role.sysadmin.value, Role.penghubung.value]))
        .order_by(User.username)))


def hand_over(actor: Actor, user_id: int, successor_username: str, now: datetime) -> User:
    """Hand a pejabat penghubung's desk to a successor of the same unit; return the successor.

    The successor becomes the unit's penghubung, the predecessor's account is deactivated (its API
    tokens revoked) and its unread notices move to the successor, so nothing pending is lost when
    staff rotate. The sysadmin may do it for anyone; a penghubung may hand over their own desk.
    """
    predecessor = _handing_over(actor, user_id)
    successor = db.session.scalar(select(User).filter_by(username=successor_username.strip()))
    if successor is None or not successor.active or successor.id == predecessor.id:
        raise InvalidInput("Pengganti tidak ditemukan. / Successor not found.",
                           {"successor": "sebutkan akun aktif lain / name another active account"})
    if successor.role == Role.sysadmin.value or (successor.unit_id != predecessor.unit_id
                                                 and actor.role is not Role.sysadmin):
        raise InvalidInput("Pengganti harus petugas unit yang sama. / The successor must work in the same unit.",
                           {"successor": f"unit {predecessor.unit.code}"})
    unit = predecessor.unit
    moved = db.session.execute(update(Notice).where(Notice.user_id == predecessor.id, Notice.read_at.is_(None))
                               .values(user_id=successor.id)).rowcount
    previous_role = successor.role
    successor.role, successor.unit = Role.penghubung.value, unit
    predecessor.active = False
    revoke_tokens(predecessor.username)
    _record(predecessor, actor.user_id, now, "handed_over", successor=successor.username, unit=unit.code,
            notices_moved=moved)
    _record(successor, actor.user_id, now, "took_over", predecessor=predecessor.username, unit=unit.code,
            previous_role=previous_role)
    db.session.flush()
    return successor


def _handing_over(actor: Actor, user_id: int) -> User:
    user = _user(user_id)
    if actor.role is not Role.sysadmin and actor.user_id != user.id:
        raise PermissionDenied("Hanya sysadmin atau penghubung itu sendiri yang dapat menyerahterimakan. / Only the "
                               "sysadmin or the penghubung themselves may hand over.", {"user": user.username})
    if user.role != Role.penghubung.value or not user.active:
        raise InvalidInput("Hanya pejabat penghubung aktif yang diserahterimakan. / Only an active penghubung is "
                           "handed over.", {"user": user.username})
    return user


def _require_sysadmin(actor: Actor) -> None:
    if actor.role is not Role.sysadmin:
        raise PermissionDenied("Pengelolaan pengguna hanya untuk sysadmin. / User management is for the sysadmin.",
                               {"role": actor.role.value})


def _user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("Pengguna tidak ditemukan. / User not found.", {"user_id": user_id})
    return user


def _role_and_unit(role: str, unit_code: str | None) -> tuple[Role, Unit | None]:
    problems: dict[str, str] = {}
    role_, unit = _check_role_and_unit(role, unit_code, problems)
    if problems:
        raise InvalidInput("Akun tidak dapat diubah; periksa isian. / The account cannot be changed.", problems)
    return role_, unit


def _check_role_and_unit(role: str, unit_code: str | None, problems: dict) -> tuple[Role | None, Unit | None]:
    # One rule for new and changed accounts: a staff role, and a unit where the role needs one.
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
    return role_, unit


def _keep_a_sysadmin(user: User) -> None:
    others = db.session.scalar(select(func.count()).select_from(User).where(
        User.role == Role.sysadmin.value, User.active.is_(True), User.id != user.id))
    if not others:
        raise InvalidInput("Harus tetap ada satu sysadmin aktif. / At least one active sysadmin must remain.",
                           {"user": user.username})


def _check_new_password(user: User, new: str) -> None:
    if len(new) < MIN_PASSWORD_LENGTH:
        raise InvalidInput("Kata sandi terlalu pendek. / The password is too short.",
                           {"new_password": f"minimal {MIN_PASSWORD_LENGTH} karakter / at least "
                                            f"{MIN_PASSWORD_LENGTH} characters"})
    if user.username.lower() in new.lower():
        # Bandit B105 below is a false alarm: the words say what is wrong with a typed password.
        raise InvalidInput("Kata sandi tidak boleh memuat nama pengguna. / The password must not contain the "
                           "username.", {"new_password": "memuat nama pengguna / contains the username"})  # nosec B105


def _hash(password: str) -> str:
    return generate_password_hash(password, current_app.config["PASSWORD_HASH_METHOD"])


@lru_cache(maxsize=4)
def _decoy_hash(method: str) -> str:
    return generate_password_hash(secrets.token_urlsafe(16), method)


def _locked(user: User, now: datetime) -> AccountLocked:
    seconds = max(1, int((user.locked_until - now).total_seconds()))
    return AccountLocked("Akun dikunci sementara karena terlalu banyak kata sandi salah; coba lagi nanti atau minta "
                         "sysadmin membukanya. / The account is locked for a while after too many wrong passwords; "
                         "try again later or ask the sysadmin to unlock it.",
                         {"locked_until": user.locked_until.isoformat(), "retry_after_seconds": seconds})


def _record(user: User, actor_id: int | None, now: datetime, action: str, **details) -> None:
    db.session.add(AccountEvent(user=user, actor_id=actor_id, at=now, action=action, details=details))
