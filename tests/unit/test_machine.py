"""The lifecycle table, checked cell by cell against product.md ("Lifecycle (state machine)").

The expected table below is written from the product specification, not from ``TRANSITIONS``,
so a wrong row in the code makes a cell here fail.
"""

import pytest

from workflow.domain import machine as machine_module
from workflow.domain.errors import InvalidTransition
from workflow.domain.machine import LIFECYCLE, Subject
from workflow.domain.states import Action, State

A, S = Action, State

OPEN = (S.received, S.pending_info, S.dispositioned, S.in_progress, S.returned, S.responded)
FINAL = (S.closed, S.transferred, S.archived)

# (state, action) -> state after the action, from product.md. A pair missing here must be refused.
# supply_info is handled per subject below: it returns to wherever the complaint left for pending_info.
SPEC: dict[tuple[State, Action], State] = {
    (S.received, A.verify): S.dispositioned,
    (S.received, A.request_info): S.pending_info,
    (S.in_progress, A.request_info): S.pending_info,
    (S.pending_info, A.expire_info): S.archived,
    # product.md gives archive no source states; the administrator holds a complaint while it is
    # received, waiting for information, or returned, so those are the states it may archive from.
    (S.received, A.archive): S.archived,
    (S.pending_info, A.archive): S.archived,
    (S.returned, A.archive): S.archived,
    (S.received, A.mark_duplicate): S.archived,
    (S.returned, A.mark_duplicate): S.archived,
    (S.dispositioned, A.acknowledge): S.in_progress,
    (S.dispositioned, A.return_): S.returned,
    (S.in_progress, A.return_): S.returned,
    (S.returned, A.redispose): S.dispositioned,
    (S.received, A.transfer_out): S.transferred,
    (S.returned, A.transfer_out): S.transferred,
    (S.in_progress, A.respond): S.responded,
    (S.responded, A.confirm): S.closed,
    (S.responded, A.dispute): S.in_progress,
    (S.responded, A.auto_close): S.closed,
    (S.responded, A.close): S.closed,
    (S.closed, A.reopen): S.in_progress,
    # Escalation is a level, not a state: every open state stays where it is.
    **{(state, A.escalate): state for state in OPEN},
}

# Every state once, and pending_info twice: once left from verification, once from the unit.
SUBJECTS = [
    (S.received, None),
    (S.pending_info, S.received),
    (S.pending_info, S.in_progress),
    (S.dispositioned, None),
    (S.in_progress, None),
    (S.returned, None),
    (S.responded, None),
    (S.closed, None),
    (S.transferred, None),
    (S.archived, None),
]


def expected_state(state: State, resume_to: State | None, action: Action) -> State | None:
    """Return the state the spec expects after ``action``, or None when the action must be refused."""
    if action is A.supply_info:
        return resume_to if state is S.pending_info else None
    return SPEC.get((state, action))


def test_spec_table_covers_every_state_and_names_only_real_states():
    states_in_table = {state for state, _ in SPEC} | set(SPEC.values())
    assert states_in_table == set(State)
    assert {state for state, _ in SUBJECTS} == set(State)


@pytest.mark.parametrize("action", list(Action), ids=lambda a: a.value)
@pytest.mark.parametrize(("state", "resume_to"), SUBJECTS,
                         ids=[f"{s.value}->{r.value}" if r else s.value for s, r in SUBJECTS])
def test_every_action_from_every_state_follows_the_spec(state, resume_to, action):
    subject = Subject(state.value, resume_to.value if resume_to else None)
    expected = expected_state(state, resume_to, action)
    if expected is None:
        with pytest.raises(InvalidTransition) as excinfo:
            LIFECYCLE.fire(action, subject)
        assert subject.state == state.value
        assert excinfo.value.details == {"action": action.value, "state": state.value}
        assert action.value in excinfo.value.message
    else:
        assert LIFECYCLE.fire(action, subject) == expected.value
        assert subject.state == expected.value


@pytest.mark.parametrize(("resume_to", "expected"), [
    (S.received, S.received),
    (S.in_progress, S.in_progress),
], ids=["asked_at_verification", "asked_by_the_unit"])
def test_supplied_information_returns_the_complaint_to_where_it_was(resume_to, expected):
    subject = Subject(S.pending_info.value, resume_to.value)

    assert LIFECYCLE.fire(A.supply_info, subject) == expected.value
    assert subject.state == expected.value


@pytest.mark.parametrize("resume_to", [None, S.dispositioned.value, S.responded.value, "nowhere"])
def test_supplied_information_without_a_known_place_to_resume_is_refused(resume_to):
    subject = Subject(S.pending_info.value, resume_to)

    with pytest.raises(InvalidTransition):
        LIFECYCLE.fire(A.supply_info, subject)
    assert subject.state == S.pending_info.value


def test_a_round_trip_through_pending_info_lands_back_with_the_unit():
    subject = Subject(S.in_progress.value)

    LIFECYCLE.fire(A.request_info, subject)
    subject.resume_to = S.in_progress.value
    LIFECYCLE.fire(A.supply_info, subject)

    assert subject.state == S.in_progress.value


@pytest.mark.parametrize("state", OPEN, ids=lambda s: s.value)
def test_escalation_keeps_every_open_complaint_in_its_state(state):
    subject = Subject(state.value, S.received.value if state is S.pending_info else None)

    assert LIFECYCLE.fire(A.escalate, subject) == state.value
    assert subject.state == state.value


@pytest.mark.parametrize("state", FINAL, ids=lambda s: s.value)
def test_a_finished_complaint_cannot_be_escalated(state):
    subject = Subject(state.value)

    with pytest.raises(InvalidTransition):
        LIFECYCLE.fire(A.escalate, subject)
    assert subject.state == state.value


@pytest.mark.parametrize("state", list(State), ids=lambda s: s.value)
def test_the_machine_offers_exactly_the_actions_the_spec_allows_from_each_state(state):
    expected = {action.value for (source, action) in SPEC if source is state}
    if state is S.pending_info:
        expected.add(A.supply_info.value)

    assert set(LIFECYCLE.triggers_from(state)) == expected


def test_the_lifecycle_is_one_shared_machine_that_never_adopts_subjects(monkeypatch):
    def no_new_machines(*args, **kwargs):
        raise AssertionError("firing a trigger must not build a Machine")

    monkeypatch.setattr(machine_module, "Machine", no_new_machines)
    models_before = list(LIFECYCLE._machine.models)
    first, second = Subject(S.received.value), Subject(S.dispositioned.value)

    LIFECYCLE.fire(A.verify, first)
    LIFECYCLE.fire(A.acknowledge, second)

    assert (first.state, second.state) == (S.dispositioned.value, S.in_progress.value)
    assert list(LIFECYCLE._machine.models) == models_before
    # A model added to a Machine gets trigger methods; a snapshot must stay a plain record.
    assert not hasattr(first, "verify")
    assert not hasattr(second, "acknowledge")
    assert machine_module.LIFECYCLE is LIFECYCLE
