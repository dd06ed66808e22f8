"""Staff accounts: sign-in back-off and lockout, password changes, user management and hand-over."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import T0
from workflow.db import db
from workflow.domain.errors import AuthenticationRequired, InvalidInput, PermissionDenied
from workflow.models import AccountEvent, ApiToken, Notice, User
from workflow.services import people

PASSWORD = "correct-horse-battery"


@pytest.fixture
def sysadmin(app):
    """Return the actor of a sysadmin account."""
    user = people.create_user("diskominfo", "sysadmin", PASSWORD, "DISKOMINFO")
    db.session.commit()
    return people.actor_for(user)


def wrong(username: str, times: int, at=T0) -> None:
    """Try ``times`` wrong passwords, storing each attempt as the sign-in view does."""
    for _ in range(times):
        with pytest.raises(AuthenticationRequired):
            people.sign_in(username, "not-the-password", at)
        db.session.commit()


def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(staff):
    wrong("admin", 4)
    assert people.sign_in("admin", PASSWORD, T0).failed_logins == 0  # a success clears the count
    wrong("admin", 4)
    with pytest.raises(people.AccountLocked) as locked:
        people.sign_in("admin", "not-the-password", T0)
    db.session.commit()
    assert locked.value.details["retry_after_seconds"] == 15 * 60
    with pytest.raises(people.AccountLocked):
        people.sign_in("admin", PASSWORD, T0 + timedelta(minutes=14))
    assert people.sign_in("admin", PASSWORD, T0 + timedelta(minutes=16)).last_login_at == T0 + timedelta(minutes=16)


def test_each_further_lock_lasts_twice_as_long(staff):
    wrong("admin", 5)
    later = T0 + timedelta(minutes=16)
    wrong("admin", 4, later)
    with pytest.raises(people.AccountLocked) as locked:
        people.sign_in("admin", "not-the-password", later)
    assert locked.value.details["retry_after_seconds"] == 30 * 60
    actions = db.session.scalars(select(AccountEvent.action).join(User, AccountEvent.user_id == User.id)
                                 .where(User.username == "admin")).all()
    assert actions == ["locked", "locked"]


def test_unknown_and_deactivated_accounts_read_as_a_wrong_password(staff, sysadmin):
    with pytest.raises(AuthenticationRequired) as unknown:
        people.sign_in("nobody", PASSWORD, T0)
    assert not isinstance(unknown.value, people.AccountLocked)
    user = db.session.scalar(select(User).filter_by(username="pdam"))
    people.set_active(sysadmin, user.id, False, T0)
    with pytest.raises(AuthenticationRequired):
        people.sign_in("pdam", PASSWORD, T0)


def test_a_password_change_needs_the_current_one_and_ends_other_sessions(staff):
    user = db.session.scalar(select(User).filter_by(username="admin"))
    old_session = user.get_id()
    with pytest.raises(InvalidInput) as refused:
        people.change_password(user.id, "wrong-current-one", "a-brand-new-secret", T0)
    assert "current_password" in refused.value.details
    with pytest.raises(InvalidInput) as short:
        people.change_password(user.id, PASSWORD, "short", T0)
    assert "new_password" in short.value.details
    people.change_password(user.id, PASSWORD, "a-brand-new-secret", T0)
    assert user.get_id() != old_session
    assert people.sign_in("admin", "a-brand-new-secret", T0).id == user.id


def test_only_the_sysadmin_manages_accounts(staff, sysadmin):
    with pytest.raises(PermissionDenied):
        people.create_account(staff["admin"].actor, T0, "baru", "unit_admin", PASSWORD, "PDAM")
    user = people.create_account(sysadmin, T0, "baru", "unit_admin", PASSWORD, "PDAM", "Putu Baru")
    people.update_account(sysadmin, user.id, T0, "penghubung", "PDAM", "Putu Baru")
    assert user.role == "penghubung"
    with pytest.raises(InvalidInput) as no_unit:
        people.update_account(sysadmin, user.id, T0, "unit_admin", None, "Putu Baru")
    assert "unit" in no_unit.value.details
    _, events = people.account(sysadmin, user.id)
    assert [e.action for e in events] == ["updated", "created"]
    assert events[0].details == {"role": ["unit_admin", "penghubung"]}


def test_the_last_active_sysadmin_cannot_be_removed(staff, sysadmin):
    with pytest.raises(InvalidInput):
        people.update_account(sysadmin, sysadmin.user_id, T0, "leader", "KLK", "")
    other = people.create_account(sysadmin, T0, "diskominfo2", "sysadmin", PASSWORD, "DISKOMINFO")
    with pytest.raises(InvalidInput):
        people.set_active(sysadmin, sysadmin.user_id, False, T0)  # never oneself
    people.set_active(sysadmin, other.id, False, T0)
    assert not other.active


def test_deactivating_revokes_api_tokens(staff, sysadmin):
    user = db.session.scalar(select(User).filter_by(username="pupr"))
    people.set_active(sysadmin, user.id, False, T0)
    assert db.session.scalar(select(ApiToken).filter_by(user_id=user.id)).revoked_at is not None
    with pytest.raises(AuthenticationRequired):
        people.user_for_token(staff["pupr"].token)


def test_a_reset_password_lifts_the_lock(staff, sysadmin):
    wrong("pupr", 5)
    user = db.session.scalar(select(User).filter_by(username="pupr"))
    people.reset_password(sysadmin, user.id, "given-in-person-123", T0)
    assert people.sign_in("pupr", "given-in-person-123", T0).locked_until is None


def test_a_penghubung_hands_over_to_a_colleague_with_the_unread_notices(staff, sysadmin):
    outgoing = db.session.scalar(select(User).filter_by(username="penghubung_pupr"))
    for number, read in ((1, None), (2, T0)):
        db.session.add(Notice(user_id=outgoing.id, kind="assignment", text=f"Pengaduan {number}",
                              key=f"notice-{number}", created_at=T0, read_at=read))
    db.session.flush()
    assert [u.username for u in people.successors(sysadmin, outgoing.id)] == ["pupr"]
    successor = people.hand_over(sysadmin, outgoing.id, "pupr", T0)
    assert (successor.role, successor.unit.code) == ("penghubung", "PUPRKP")
    assert not outgoing.active
    assert [n.text for n in db.session.scalars(select(Notice).filter_by(user_id=successor.id))] == ["Pengaduan 1"]
    with pytest.raises(AuthenticationRequired):
        people.user_for_token(staff["penghubung_pupr"].token)
    _, history = people.account(sysadmin, successor.id)
    assert history[0].action == "took_over" and history[0].details["predecessor"] == "penghubung_pupr"


def test_a_penghubung_hands_over_only_their_own_desk_within_their_unit(staff):
    penghubung = staff["penghubung_pupr"].actor
    pdam_penghubung = db.session.scalar(select(User).filter_by(username="penghubung_pdam"))
    with pytest.raises(PermissionDenied):
        people.hand_over(penghubung, pdam_penghubung.id, "pdam", T0)
    with pytest.raises(InvalidInput) as other_unit:
        people.hand_over(penghubung, penghubung.user_id, "pdam", T0)
    assert "successor" in other_unit.value.details
    assert people.hand_over(penghubung, penghubung.user_id, "pupr", T0).username == "pupr"
