"""Who may do what to which complaint, and when (workflow/domain/rules.py against product.md)."""

from datetime import UTC, datetime, timedelta

import pytest

from workflow.domain.errors import InvalidTransition, NotFound, PermissionDenied
from workflow.domain.rules import Actor, Situation, allowed_actions, authorize, can_see, can_see_identity, is_final
from workflow.domain.states import MAX_ESCALATION_LEVEL, Action, Role, State

A, S, R = Action, State, Role

NOW = datetime(2026, 3, 17, 2, 0, tzinfo=UTC)  # Tue 17 Mar 2026 10:00 WITA
LATER = NOW + timedelta(days=3)
EARLIER = NOW - timedelta(days=3)

COMPLAINT_ID = 42
UNIT_ID = 10  # an OPD
SUB_UNIT_ID = 11  # a UPPP under it
OTHER_UNIT_ID = 20
FACILITATOR_ID = 7
UNITS_MAY_RESPOND = frozenset({"units_may_respond"})

ACTORS = {
    R.reporter: Actor.reporter(COMPLAINT_ID),
    R.facilitator: Actor(R.facilitator, user_id=FACILITATOR_ID),
    R.admin_instansi: Actor(R.admin_instansi, user_id=1, unit_ids=frozenset({1})),
    R.unit_admin: Actor(R.unit_admin, user_id=2, unit_ids=frozenset({UNIT_ID, SUB_UNIT_ID})),
    R.penghubung: Actor(R.penghubung, user_id=3, unit_ids=frozenset({UNIT_ID, SUB_UNIT_ID})),
    R.coordinator: Actor(R.coordinator, user_id=4),
    R.inspector: Actor(R.inspector, user_id=5),
    R.leader: Actor(R.leader, user_id=6),
    R.sysadmin: Actor(R.sysadmin, user_id=8),
    R.system: Actor.system(),
}


def situation(state: State, **overrides) -> Situation:
    """Return a complaint every actor above can see (held by UNIT_ID, entered by the facilitator)."""
    values = {"complaint_id": COMPLAINT_ID, "state": state, "unit_id": UNIT_ID, "entered_by_id": FACILITATOR_ID}
    values.update(overrides)
    return Situation(**values)


# (action, situation, SOP gates) -> the roles product.md lets take it; every other role is refused.
PERMISSIONS = [
    # The system verifies too: automatic disposition by a certain routing rule, where the SOP allows it.
    (A.verify, situation(S.received), frozenset(), {R.admin_instansi, R.system}),
    (A.request_info, situation(S.received), frozenset(), {R.admin_instansi}),
    # The unit asks from in_progress (product.md names unit_admin; the OPD's penghubung acts for the unit too).
    (A.request_info, situation(S.in_progress), frozenset(), {R.unit_admin, R.penghubung}),
    # Staff may supply on the reporter's behalf: the administrator at verification, the unit once it holds it.
    (A.supply_info, situation(S.pending_info, resume_to=S.received.value), frozenset(),
     {R.reporter, R.admin_instansi}),
    (A.supply_info, situation(S.pending_info, resume_to=S.in_progress.value), frozenset(),
     {R.reporter, R.admin_instansi, R.unit_admin, R.penghubung}),
    (A.expire_info, situation(S.pending_info, info_due=EARLIER), frozenset(), {R.system}),
    (A.archive, situation(S.received), frozenset(), {R.admin_instansi}),
    (A.mark_duplicate, situation(S.received), frozenset(), {R.admin_instansi}),
    (A.acknowledge, situation(S.dispositioned), frozenset(), {R.unit_admin, R.penghubung}),
    (A.return_, situation(S.dispositioned), frozenset(), {R.unit_admin, R.penghubung}),
    (A.return_, situation(S.in_progress), frozenset(), {R.unit_admin, R.penghubung}),
    (A.redispose, situation(S.returned), frozenset(), {R.admin_instansi}),
    (A.transfer_out, situation(S.received), frozenset(), {R.admin_instansi}),
    (A.transfer_out, situation(S.returned), frozenset(), {R.admin_instansi}),
    (A.respond, situation(S.in_progress), frozenset(), {R.penghubung}),
    (A.respond, situation(S.in_progress), UNITS_MAY_RESPOND, {R.penghubung, R.unit_admin}),
    (A.confirm, situation(S.responded, confirmation_due=LATER), frozenset(), {R.reporter}),
    (A.dispute, situation(S.responded, confirmation_due=LATER), frozenset(), {R.reporter}),
    (A.auto_close, situation(S.responded, confirmation_due=EARLIER), frozenset(), {R.system}),
    (A.close, situation(S.responded), frozenset(), {R.admin_instansi}),
    (A.reopen, situation(S.closed, reopen_until=LATER), frozenset(), {R.admin_instansi, R.coordinator}),
    # The sweep (system) raises the level on breaches; people raise it by hand.
    (A.escalate, situation(S.in_progress), frozenset(), {R.penghubung, R.coordinator, R.system}),
]
PERMISSION_CASES = [
    (action, sit, gates, role, role in allowed)
    for action, sit, gates, allowed in PERMISSIONS
    for role in Role
]


def case_id(action, sit, gates, role, allowed):
    """Return a readable test id such as ``respond@in_progress+gate-unit_admin-ok``."""
    gate = "+gate" if gates else ""
    return f"{action.value}@{sit.state.value}{gate}-{role.value}-{'ok' if allowed else 'denied'}"


@pytest.mark.parametrize(("action", "sit", "gates", "role", "allowed"), PERMISSION_CASES,
                         ids=[case_id(*case) for case in PERMISSION_CASES])
def test_each_action_is_open_only_to_the_roles_the_spec_names(action, sit, gates, role, allowed):
    actor = ACTORS[role]
    if allowed:
        authorize(actor, action, sit, NOW, gates)
        assert action.value in allowed_actions(actor, sit, NOW, gates)
    else:
        with pytest.raises(PermissionDenied) as excinfo:
            authorize(actor, action, sit, NOW, gates)
        assert excinfo.value.details == {"action": action.value, "role": role.value}
        assert action.value not in allowed_actions(actor, sit, NOW, gates)


def test_a_unit_handler_cannot_verify_but_the_administrator_can():
    with pytest.raises(PermissionDenied):
        authorize(ACTORS[R.unit_admin], A.verify, situation(S.received), NOW)
    authorize(ACTORS[R.admin_instansi], A.verify, situation(S.received), NOW)


def test_the_right_role_in_the_wrong_state_is_an_invalid_transition():
    with pytest.raises(InvalidTransition) as excinfo:
        authorize(ACTORS[R.admin_instansi], A.verify, situation(S.dispositioned), NOW)
    assert excinfo.value.details == {"action": "verify", "state": "dispositioned"}


# --- scope ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("action", [A.acknowledge, A.verify], ids=lambda a: a.value)
@pytest.mark.parametrize("role", [R.penghubung, R.unit_admin], ids=lambda r: r.value)
def test_a_unit_role_outside_the_complaints_unit_gets_not_found_not_permission_denied(role, action):
    outsider = Actor(role, user_id=30, unit_ids=frozenset({OTHER_UNIT_ID}))
    sit = situation(S.dispositioned if action is A.acknowledge else S.received)

    assert not can_see(outsider, sit)
    with pytest.raises(NotFound) as excinfo:
        authorize(outsider, action, sit, NOW)
    assert excinfo.value.details == {"complaint_id": COMPLAINT_ID}
    assert allowed_actions(outsider, sit, NOW) == []


def test_a_unit_role_reaches_the_service_units_below_its_opd():
    sit = situation(S.dispositioned, unit_id=SUB_UNIT_ID)

    assert can_see(ACTORS[R.penghubung], sit)
    authorize(ACTORS[R.penghubung], A.acknowledge, sit, NOW)


def test_a_complaint_not_yet_dispositioned_is_invisible_to_unit_roles():
    sit = situation(S.received, unit_id=None)

    assert not can_see(ACTORS[R.unit_admin], sit)
    assert not can_see(ACTORS[R.penghubung], sit)
    with pytest.raises(NotFound):
        authorize(ACTORS[R.unit_admin], A.verify, sit, NOW)


@pytest.mark.parametrize("role", [R.admin_instansi, R.coordinator, R.inspector, R.leader, R.sysadmin, R.system],
                         ids=lambda r: r.value)
def test_regency_roles_and_the_system_see_every_complaint(role):
    assert can_see(ACTORS[role], situation(S.in_progress, unit_id=OTHER_UNIT_ID, entered_by_id=None))


def test_a_facilitator_sees_only_the_complaints_they_entered():
    facilitator = ACTORS[R.facilitator]

    assert can_see(facilitator, situation(S.received, entered_by_id=FACILITATOR_ID))
    assert not can_see(facilitator, situation(S.received, entered_by_id=FACILITATOR_ID + 1))
    assert not can_see(facilitator, situation(S.received, entered_by_id=None))
    with pytest.raises(NotFound):
        authorize(facilitator, A.verify, situation(S.received, entered_by_id=FACILITATOR_ID + 1), NOW)


def test_a_reporter_sees_only_their_own_complaint():
    reporter = ACTORS[R.reporter]
    someone_elses = situation(S.responded, complaint_id=COMPLAINT_ID + 1, confirmation_due=LATER)

    assert can_see(reporter, situation(S.responded))
    assert not can_see(reporter, someone_elses)
    with pytest.raises(NotFound):
        authorize(reporter, A.confirm, someone_elses, NOW)
    assert allowed_actions(reporter, someone_elses, NOW) == []


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_only_the_administrator_sees_a_hidden_reporter_identity(role):
    assert can_see_identity(ACTORS[role]) is (role is R.admin_instansi)


# --- the SOP gate on respond ----------------------------------------------------------------------

def test_a_unit_handler_may_post_the_follow_up_only_where_the_sop_lets_units_respond():
    sit = situation(S.in_progress)
    unit_admin = ACTORS[R.unit_admin]

    with pytest.raises(PermissionDenied):
        authorize(unit_admin, A.respond, sit, NOW)
    with pytest.raises(PermissionDenied):
        authorize(unit_admin, A.respond, sit, NOW, frozenset({"some_other_switch"}))
    authorize(unit_admin, A.respond, sit, NOW, UNITS_MAY_RESPOND)


@pytest.mark.parametrize("gates", [frozenset(), UNITS_MAY_RESPOND], ids=["no_gate", "units_may_respond"])
def test_the_penghubung_may_always_post_the_follow_up(gates):
    authorize(ACTORS[R.penghubung], A.respond, situation(S.in_progress), NOW, gates)


# --- timing ---------------------------------------------------------------------------------------

def test_the_reporter_may_dispute_until_the_confirmation_deadline_and_not_after():
    reporter = ACTORS[R.reporter]

    authorize(reporter, A.dispute, situation(S.responded, confirmation_due=NOW), NOW)
    with pytest.raises(InvalidTransition) as excinfo:
        authorize(reporter, A.dispute, situation(S.responded, confirmation_due=EARLIER), NOW)
    assert "konfirmasi" in excinfo.value.message
    # Confirming late is still welcome: only disputes are bound to the window.
    authorize(reporter, A.confirm, situation(S.responded, confirmation_due=EARLIER), NOW)


@pytest.mark.parametrize("due", [LATER, NOW, None], ids=["before_deadline", "at_deadline", "no_deadline"])
def test_auto_close_is_refused_until_the_confirmation_window_has_passed(due):
    with pytest.raises(InvalidTransition):
        authorize(ACTORS[R.system], A.auto_close, situation(S.responded, confirmation_due=due), NOW)


def test_auto_close_is_allowed_once_the_confirmation_window_has_passed():
    authorize(ACTORS[R.system], A.auto_close, situation(S.responded, confirmation_due=EARLIER), NOW)


@pytest.mark.parametrize("due", [LATER, NOW, None], ids=["before_deadline", "at_deadline", "no_deadline"])
def test_expire_info_is_refused_until_the_information_window_has_passed(due):
    sit = situation(S.pending_info, resume_to=S.received.value, info_due=due)

    with pytest.raises(InvalidTransition):
        authorize(ACTORS[R.system], A.expire_info, sit, NOW)


def test_expire_info_is_allowed_once_the_information_window_has_passed():
    sit = situation(S.pending_info, resume_to=S.received.value, info_due=EARLIER)

    authorize(ACTORS[R.system], A.expire_info, sit, NOW)


@pytest.mark.parametrize("until", [EARLIER, None], ids=["window_over", "no_window"])
def test_reopen_is_refused_after_the_reopen_window(until):
    with pytest.raises(InvalidTransition):
        authorize(ACTORS[R.admin_instansi], A.reopen, situation(S.closed, reopen_until=until), NOW)


@pytest.mark.parametrize("until", [LATER, NOW], ids=["within_window", "last_moment"])
def test_reopen_is_allowed_within_the_reopen_window(until):
    authorize(ACTORS[R.coordinator], A.reopen, situation(S.closed, reopen_until=until), NOW)


def test_escalation_stops_at_the_top_of_the_ladder():
    coordinator = ACTORS[R.coordinator]

    authorize(coordinator, A.escalate, situation(S.in_progress, escalation_level=MAX_ESCALATION_LEVEL - 1), NOW)
    with pytest.raises(InvalidTransition):
        authorize(coordinator, A.escalate, situation(S.in_progress, escalation_level=MAX_ESCALATION_LEVEL), NOW)
    assert A.escalate.value not in allowed_actions(
        coordinator, situation(S.in_progress, escalation_level=MAX_ESCALATION_LEVEL), NOW)


# --- what the screens offer -----------------------------------------------------------------------

@pytest.mark.parametrize(("role", "sit", "gates", "expected"), [
    (R.admin_instansi, situation(S.received), frozenset(),
     ["verify", "request_info", "archive", "mark_duplicate", "transfer_out"]),
    (R.admin_instansi, situation(S.returned), frozenset(),
     ["archive", "mark_duplicate", "redispose", "transfer_out"]),
    (R.unit_admin, situation(S.in_progress), frozenset(), ["request_info", "return"]),
    (R.unit_admin, situation(S.in_progress), UNITS_MAY_RESPOND, ["request_info", "return", "respond"]),
    (R.penghubung, situation(S.in_progress), frozenset(), ["request_info", "return", "respond", "escalate"]),
    (R.reporter, situation(S.responded, confirmation_due=LATER), frozenset(), ["confirm", "dispute"]),
    (R.reporter, situation(S.responded, confirmation_due=EARLIER), frozenset(), ["confirm"]),
    (R.system, situation(S.responded, confirmation_due=EARLIER), frozenset(), ["auto_close", "escalate"]),
    (R.leader, situation(S.in_progress), frozenset(), []),
    (R.inspector, situation(S.in_progress), frozenset(), []),
    (R.admin_instansi, situation(S.archived), frozenset(), []),
], ids=["admin-received", "admin-returned", "unit_admin-in_progress", "unit_admin-in_progress-gate",
        "penghubung-in_progress", "reporter-in_window", "reporter-window_over", "system-window_over",
        "leader-read_only", "inspector-read_only", "admin-archived"])
def test_allowed_actions_lists_the_buttons_a_user_should_see(role, sit, gates, expected):
    assert allowed_actions(ACTORS[role], sit, NOW, gates) == expected


SCREEN_SITUATIONS = [
    situation(S.received),
    situation(S.pending_info, resume_to=S.received.value, info_due=EARLIER),
    situation(S.pending_info, resume_to=S.in_progress.value, info_due=LATER),
    situation(S.dispositioned),
    situation(S.in_progress, escalation_level=MAX_ESCALATION_LEVEL),
    situation(S.returned),
    situation(S.responded, confirmation_due=LATER),
    situation(S.responded, confirmation_due=EARLIER),
    situation(S.closed, reopen_until=LATER),
    situation(S.closed, reopen_until=EARLIER),
    situation(S.transferred),
    situation(S.archived),
    situation(S.dispositioned, unit_id=OTHER_UNIT_ID, entered_by_id=None, complaint_id=COMPLAINT_ID + 1),
]


@pytest.mark.parametrize("gates", [frozenset(), UNITS_MAY_RESPOND], ids=["no_gate", "units_may_respond"])
@pytest.mark.parametrize("sit", SCREEN_SITUATIONS,
                         ids=[f"{i}-{s.state.value}" for i, s in enumerate(SCREEN_SITUATIONS)])
@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_allowed_actions_returns_exactly_what_authorize_accepts(role, sit, gates):
    actor = ACTORS[role]
    accepted = []
    for action in Action:
        try:
            authorize(actor, action, sit, NOW, gates)
        except (InvalidTransition, PermissionDenied, NotFound):
            continue
        accepted.append(action.value)

    assert allowed_actions(actor, sit, NOW, gates) == accepted


@pytest.mark.parametrize("state", list(State), ids=lambda s: s.value)
def test_only_closed_transferred_and_archived_are_final(state):
    assert is_final(state) is (state in {S.closed, S.transferred, S.archived})
