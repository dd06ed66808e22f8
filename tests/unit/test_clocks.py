"""Working-day clocks: start, pause, resume and stop (product.md, "Clocks (SLA), working days")."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from workflow.domain import clocks
from workflow.domain.calendar import WorkingCalendar
from workflow.domain.clocks import Clock
from workflow.domain.states import ClockKind, ClockStatus

WITA = ZoneInfo("Asia/Makassar")
# Monday–Friday with one holiday, so a pause across it shows that days off are skipped after a resume.
HOLIDAY = date(2026, 3, 12)  # Thu
CALENDAR = WorkingCalendar(tz=WITA, closed_days=frozenset({HOLIDAY}))


def wita(month: int, day: int, hour: int = 10, minute: int = 0, second: int = 0) -> datetime:
    """Return an aware moment in 2026, Klungkung local time."""
    return datetime(2026, month, day, hour, minute, second, tzinfo=WITA)


def end_of(month: int, day: int) -> datetime:
    """Return 23:59:59 WITA of a 2026 day."""
    return wita(month, day, 23, 59, 59)


def started(kind: ClockKind, at: datetime, limit: int) -> Clock:
    """Return a clock of ``kind`` started at ``at`` with ``limit`` working days."""
    clock = Clock(kind=kind.value)
    clocks.start(clock, at, limit, CALENDAR)
    return clock


# --- start ----------------------------------------------------------------------------------------

def test_a_started_clock_runs_towards_the_end_of_its_last_working_day():
    clock = started(ClockKind.response, wita(3, 2), 5)  # Mon 2 Mar

    assert clock.status == ClockStatus.running.value
    assert clock.limit_working_days == 5
    assert clock.started_at == wita(3, 2)
    assert clock.due_at == end_of(3, 9)  # Tue 3 … Mon 9
    assert (clock.paused_at, clock.remaining_working_days, clock.breached_at, clock.stopped_at) == (
        None, None, None, None)


def test_restarting_a_clock_forgets_its_earlier_run():
    clock = started(ClockKind.response, wita(3, 2), 1)
    clocks.stop(clock, wita(3, 5), CALENDAR)
    assert clock.status == ClockStatus.breached.value

    clocks.start(clock, wita(3, 16), 5, CALENDAR)

    assert clock.status == ClockStatus.running.value
    assert clock.due_at == end_of(3, 23)
    assert clock.breached_at is None
    assert clock.stopped_at is None


# --- pause and resume -----------------------------------------------------------------------------

def test_pausing_keeps_the_working_days_left():
    clock = started(ClockKind.resolution, wita(3, 2), 5)  # due Mon 9 Mar

    clocks.pause(clock, wita(3, 4), CALENDAR)  # Wed: Thu 5, Fri 6, Mon 9 are left

    assert clock.status == ClockStatus.paused.value
    assert clock.paused_at == wita(3, 4)
    assert clock.remaining_working_days == 3
    assert clock.breached_at is None


def test_resuming_gives_the_days_left_counted_from_the_resume_day():
    clock = started(ClockKind.resolution, wita(3, 2), 5)
    clocks.pause(clock, wita(3, 4), CALENDAR)

    clocks.resume(clock, wita(3, 10), CALENDAR)  # Tue 10 Mar: Wed 11, (Thu 12 holiday), Fri 13, Mon 16

    assert clock.status == ClockStatus.running.value
    assert clock.due_at == end_of(3, 16)
    assert clock.paused_at is None
    assert clock.remaining_working_days is None
    assert clock.breached_at is None


def test_a_clock_paused_on_its_last_day_resumes_due_at_the_end_of_the_resume_day():
    clock = started(ClockKind.verification, wita(3, 2), 3)  # due Thu 5 Mar
    clocks.pause(clock, wita(3, 5, 9), CALENDAR)
    assert clock.remaining_working_days == 0

    clocks.resume(clock, wita(3, 10, 14), CALENDAR)

    assert clock.due_at == end_of(3, 10)
    assert clock.breached_at is None


def test_a_pause_then_resume_the_same_day_does_not_move_the_deadline():
    clock = started(ClockKind.response, wita(3, 2), 5)
    due = clock.due_at

    clocks.pause(clock, wita(3, 4, 9), CALENDAR)
    clocks.resume(clock, wita(3, 4, 15), CALENDAR)

    assert clock.due_at == due


# --- breaches -------------------------------------------------------------------------------------

def test_a_clock_paused_after_its_deadline_keeps_the_breach_for_good():
    clock = started(ClockKind.verification, wita(3, 2), 1)  # due Tue 3 Mar
    original_due = clock.due_at

    clocks.pause(clock, wita(3, 5), CALENDAR)
    assert clock.breached_at == original_due
    assert clock.remaining_working_days == 0

    clocks.resume(clock, wita(3, 9), CALENDAR)
    assert clock.breached_at == original_due
    assert clock.due_at == end_of(3, 9)

    clocks.pause(clock, wita(3, 9, 11), CALENDAR)
    clocks.resume(clock, wita(3, 10), CALENDAR)
    assert clock.breached_at == original_due

    clocks.stop(clock, wita(3, 10, 11), CALENDAR)  # within the resumed deadline, but the breach stands
    assert clock.status == ClockStatus.breached.value
    assert clock.breached_at == original_due


def test_stopping_in_time_is_met():
    clock = started(ClockKind.response, wita(3, 2), 5)

    clocks.stop(clock, wita(3, 6), CALENDAR)

    assert clock.status == ClockStatus.met.value
    assert clock.stopped_at == wita(3, 6)
    assert clock.breached_at is None
    assert clock.remaining_working_days == 1  # Mon 9 was still left


def test_stopping_at_the_last_second_is_still_met():
    clock = started(ClockKind.response, wita(3, 2), 5)

    clocks.stop(clock, end_of(3, 9), CALENDAR)

    assert clock.status == ClockStatus.met.value


def test_stopping_after_the_deadline_is_breached_at_the_deadline():
    clock = started(ClockKind.resolution, wita(3, 2), 5)

    clocks.stop(clock, end_of(3, 9) + timedelta(seconds=1), CALENDAR)

    assert clock.status == ClockStatus.breached.value
    assert clock.breached_at == end_of(3, 9)
    assert clock.remaining_working_days == 0


def test_a_clock_paused_in_time_and_stopped_while_paused_is_met():
    # Archiving a complaint that waits for information stops its paused clocks; waiting is not lateness.
    clock = started(ClockKind.verification, wita(3, 2), 3)
    clocks.pause(clock, wita(3, 3), CALENDAR)

    clocks.stop(clock, wita(3, 20), CALENDAR)

    assert clock.status == ClockStatus.met.value
    assert clock.breached_at is None
    assert clock.remaining_working_days == 2


# --- windows --------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", [ClockKind.confirmation, ClockKind.info], ids=lambda k: k.value)
def test_a_window_answered_late_ends_met_never_breached(kind):
    window = started(kind, wita(3, 2), 10)

    clocks.stop(window, wita(3, 30), CALENDAR)

    assert window.status == ClockStatus.met.value
    assert window.breached_at is None


@pytest.mark.parametrize("kind", [ClockKind.confirmation, ClockKind.info], ids=lambda k: k.value)
def test_a_window_without_an_answer_expires(kind):
    window = started(kind, wita(3, 2), 10)

    clocks.expire(window, wita(3, 17))

    assert window.status == ClockStatus.expired.value
    assert window.remaining_working_days == 0
    assert window.stopped_at == wita(3, 17)
    assert window.breached_at is None


@pytest.mark.parametrize("kind", [ClockKind.confirmation, ClockKind.info], ids=lambda k: k.value)
def test_a_window_past_its_end_shows_running_but_is_overdue(kind):
    window = started(kind, wita(3, 2), 1)
    later = wita(3, 5)

    assert clocks.display_status(window, later) == ClockStatus.running.value
    assert clocks.is_overdue(window, later)


# --- cancel ---------------------------------------------------------------------------------------

def test_a_cancelled_clock_has_no_verdict():
    clock = started(ClockKind.response, wita(3, 2), 5)

    clocks.cancel(clock, wita(3, 3))

    assert clock.status == ClockStatus.cancelled.value
    assert clock.stopped_at == wita(3, 3)
    assert clock.breached_at is None
    assert not clocks.is_overdue(clock, wita(3, 30))


# --- display_status and is_overdue ----------------------------------------------------------------

def test_a_running_clock_shows_running_until_its_deadline_and_breached_after():
    clock = started(ClockKind.response, wita(3, 2), 5)

    assert clocks.display_status(clock, end_of(3, 9)) == ClockStatus.running.value
    assert clocks.display_status(clock, end_of(3, 9) + timedelta(seconds=1)) == ClockStatus.breached.value


def test_a_resumed_clock_that_once_breached_still_shows_breached():
    clock = started(ClockKind.verification, wita(3, 2), 1)
    clocks.pause(clock, wita(3, 5), CALENDAR)
    clocks.resume(clock, wita(3, 9), CALENDAR)

    assert clocks.display_status(clock, wita(3, 9, 11)) == ClockStatus.breached.value
    assert not clocks.is_overdue(clock, wita(3, 9, 11))


def test_a_stopped_clock_shows_its_verdict_whatever_the_time():
    clock = started(ClockKind.response, wita(3, 2), 5)
    clocks.stop(clock, wita(3, 3), CALENDAR)

    assert clocks.display_status(clock, wita(3, 30)) == ClockStatus.met.value


def test_overdue_means_running_and_past_the_deadline():
    clock = started(ClockKind.response, wita(3, 2), 5)
    past_due = end_of(3, 9) + timedelta(seconds=1)

    assert not clocks.is_overdue(clock, end_of(3, 9))
    assert clocks.is_overdue(clock, past_due)

    clocks.pause(clock, wita(3, 4), CALENDAR)
    assert not clocks.is_overdue(clock, past_due)

    clocks.resume(clock, wita(3, 4, 11), CALENDAR)
    clocks.stop(clock, wita(3, 5), CALENDAR)
    assert not clocks.is_overdue(clock, past_due)


# --- the transition table's effects ---------------------------------------------------------------

# effect → the statuses it changes; every other status is left as it is (nothing happens, False).
ACTS_ON = {
    "start": set(ClockStatus),
    "pause": {ClockStatus.running},
    "resume": {ClockStatus.paused, ClockStatus.met, ClockStatus.breached},
    "stop": {ClockStatus.running, ClockStatus.paused},
    "stop_all": {ClockStatus.running, ClockStatus.paused},
    "expire": {ClockStatus.running},
    "cancel": {ClockStatus.running, ClockStatus.paused},
}


@pytest.mark.parametrize("status", list(ClockStatus), ids=lambda s: s.value)
@pytest.mark.parametrize("effect", list(ACTS_ON))
def test_an_effect_applies_only_where_the_clocks_status_allows_it(effect, status):
    clock = started(ClockKind.resolution, wita(3, 2), 10)
    clocks.pause(clock, wita(3, 3), CALENDAR)
    clock.status = status.value
    before = vars(clock).copy()
    applied = clocks.apply_effect(effect, clock, wita(3, 4), 10, CALENDAR)
    assert applied == (status in ACTS_ON[effect])
    assert (vars(clock) != before) == applied
