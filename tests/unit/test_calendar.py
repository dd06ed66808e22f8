"""Working-day arithmetic in WITA, as product.md defines deadlines ("Clocks (SLA), working days")."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest

import sop
from workflow.domain.calendar import WorkingCalendar, weekday_numbers

WITA = ZoneInfo("Asia/Makassar")
PLAIN = WorkingCalendar(tz=WITA)  # Monday–Friday, no holidays


def wita(year: int, month: int, day: int, hour: int = 10, minute: int = 0, second: int = 0) -> datetime:
    """Return an aware moment in Klungkung local time."""
    return datetime(year, month, day, hour, minute, second, tzinfo=WITA)


def end_of_wita_day(year: int, month: int, day: int) -> datetime:
    """Return 23:59:59 WITA of the day, the moment a deadline falls."""
    return wita(year, month, day, 23, 59, 59)


@pytest.fixture(scope="module")
def klungkung_sop():
    """Return the Klungkung SOP as shipped."""
    return sop.load_sop(sop.sop_path("klungkung"))


@pytest.fixture(scope="module")
def klungkung(klungkung_sop):
    """Return Klungkung's 2026 calendar: national holidays, cuti bersama and Bali dispensation days."""
    national = holidays.country_holidays("ID", years=(2026,), categories=("public", "government"))
    regional = {day.date for day in klungkung_sop.regional_days}
    return WorkingCalendar(tz=WITA, closed_days=frozenset(national) | frozenset(regional))


# --- the reference cases of product.md ------------------------------------------------------------

def test_the_verification_limit_is_three_working_days(klungkung_sop):
    # product.md's calendar check speaks of the verification deadline; the SOP sets it to 3 working days.
    assert klungkung_sop.clocks.verification_working_days == 3
    assert klungkung_sop.clocks.response_working_days == 5


def test_received_before_nyepi_and_idul_fitri_is_due_friday_27_march(klungkung, klungkung_sop):
    received = wita(2026, 3, 17, 10)  # Tue

    due = klungkung.deadline(received, klungkung_sop.clocks.verification_working_days)

    assert due == end_of_wita_day(2026, 3, 27)
    assert due == datetime(2026, 3, 27, 15, 59, 59, tzinfo=UTC)


def test_received_before_galungan_is_due_tuesday_23_june(klungkung, klungkung_sop):
    received = wita(2026, 6, 15, 10)  # Mon

    due = klungkung.deadline(received, klungkung_sop.clocks.verification_working_days)

    assert due == end_of_wita_day(2026, 6, 23)


@pytest.mark.parametrize(("received", "due"), [
    # 25, 26, 27 Mar, then 30, 31 Mar.
    (wita(2026, 3, 17, 10), end_of_wita_day(2026, 3, 31)),
    # 19, 22, 23, 24, 25 Jun; Fri 26 Jun (Penampahan Kuningan) is the next day off.
    (wita(2026, 6, 15, 10), end_of_wita_day(2026, 6, 25)),
], ids=["march", "june"])
def test_five_working_day_deadlines_across_the_same_holidays(klungkung, received, due):
    assert klungkung.deadline(received, 5) == due


@pytest.mark.parametrize("day", [
    date(2026, 3, 18),  # cuti bersama Nyepi (Tawur Kesanga)
    date(2026, 3, 19),  # Nyepi
    date(2026, 3, 20),  # cuti bersama Idul Fitri (Ngembak Geni)
    date(2026, 3, 23),  # cuti bersama Idul Fitri
    date(2026, 3, 24),  # cuti bersama Idul Fitri
    date(2026, 4, 8),  # Pagerwesi
    date(2026, 6, 16),  # Tahun Baru Islam, Penampahan Galungan
    date(2026, 6, 17),  # Galungan
    date(2026, 6, 18),  # Umanis Galungan
    date(2026, 6, 26),  # Penampahan Kuningan
    date(2026, 11, 4),  # Pagerwesi
], ids=str)
def test_klungkung_closes_on_national_leave_and_bali_days(klungkung, day):
    assert not klungkung.is_working_day(day)


@pytest.mark.parametrize("day", [date(2026, 3, 17), date(2026, 3, 25), date(2026, 6, 15), date(2026, 6, 19)],
                         ids=str)
def test_klungkung_works_on_the_ordinary_days_around_them(klungkung, day):
    assert klungkung.is_working_day(day)


# --- arithmetic -----------------------------------------------------------------------------------

@pytest.mark.parametrize("moment", [wita(2026, 3, 2, 0, 0, 0), wita(2026, 3, 2, 10), wita(2026, 3, 2, 23, 59, 59)],
                         ids=["midnight", "morning", "last_second"])
def test_the_day_of_receipt_never_counts(moment):
    # Mon 2 Mar 2026: one working day later is the end of Tue 3 Mar, whatever the hour of receipt.
    assert PLAIN.deadline(moment, 1) == end_of_wita_day(2026, 3, 3)


def test_zero_working_days_ends_on_the_day_itself():
    assert PLAIN.deadline(wita(2026, 3, 2, 10), 0) == end_of_wita_day(2026, 3, 2)


def test_weekends_are_skipped():
    # Thu 5 Mar + 3 working days: Fri 6, Mon 9, Tue 10.
    assert PLAIN.add_working_days(date(2026, 3, 5), 3) == date(2026, 3, 10)
    assert PLAIN.deadline(wita(2026, 3, 5), 3) == end_of_wita_day(2026, 3, 10)


def test_a_complaint_received_on_a_weekend_counts_from_monday():
    assert PLAIN.add_working_days(date(2026, 3, 7), 1) == date(2026, 3, 9)  # Sat -> Mon
    assert PLAIN.add_working_days(date(2026, 3, 8), 1) == date(2026, 3, 9)  # Sun -> Mon


def test_a_negative_count_is_refused():
    with pytest.raises(ValueError, match="negative"):
        PLAIN.add_working_days(date(2026, 3, 2), -1)


def test_a_closed_day_is_skipped():
    calendar = WorkingCalendar(tz=WITA, closed_days=frozenset({date(2026, 3, 6)}))

    assert calendar.add_working_days(date(2026, 3, 5), 1) == date(2026, 3, 9)


def test_an_open_day_override_makes_a_saturday_a_working_day():
    calendar = WorkingCalendar(tz=WITA, open_days=frozenset({date(2026, 3, 7)}))

    assert calendar.is_working_day(date(2026, 3, 7))
    assert not calendar.is_working_day(date(2026, 3, 8))
    assert calendar.add_working_days(date(2026, 3, 6), 1) == date(2026, 3, 7)


def test_an_open_day_override_wins_over_a_closed_day():
    day = date(2026, 3, 19)
    calendar = WorkingCalendar(tz=WITA, closed_days=frozenset({day}), open_days=frozenset({day}))

    assert calendar.is_working_day(day)


def test_a_unit_working_monday_to_saturday_counts_saturdays():
    hospital = WorkingCalendar(tz=WITA, weekdays=weekday_numbers(("mon", "tue", "wed", "thu", "fri", "sat")))

    # Thu 5 Mar + 3: Fri 6, Sat 7, Mon 9 (Sunday still off).
    assert hospital.add_working_days(date(2026, 3, 5), 3) == date(2026, 3, 9)
    assert hospital.is_working_day(date(2026, 3, 7))
    assert not hospital.is_working_day(date(2026, 3, 8))


def test_weekday_codes_map_to_python_weekday_numbers():
    assert weekday_numbers(["mon", "fri", "sun"]) == frozenset({0, 4, 6})


# --- working_days_left ----------------------------------------------------------------------------

def test_working_days_left_counts_the_days_after_today_up_to_the_due_day(klungkung):
    due = end_of_wita_day(2026, 3, 27)

    assert klungkung.working_days_left(wita(2026, 3, 17, 10), due) == 3
    assert klungkung.working_days_left(wita(2026, 3, 25, 10), due) == 2
    assert klungkung.working_days_left(wita(2026, 3, 27, 10), due) == 0


def test_no_working_days_are_left_after_the_deadline(klungkung):
    assert klungkung.working_days_left(wita(2026, 3, 30, 10), end_of_wita_day(2026, 3, 27)) == 0


def test_working_days_left_is_the_inverse_of_the_deadline(klungkung):
    start = wita(2026, 6, 15, 10)
    for count in range(0, 15):
        assert klungkung.working_days_left(start, klungkung.deadline(start, count)) == count


def test_working_days_between_counts_elapsed_days_without_the_start_day():
    assert PLAIN.working_days_between(wita(2026, 3, 2, 10), wita(2026, 3, 9, 8)) == 5


# --- time zones -----------------------------------------------------------------------------------

def test_a_deadline_is_an_aware_utc_moment_at_the_end_of_the_local_day():
    due = PLAIN.deadline(wita(2026, 3, 2, 10), 1)

    assert due.tzinfo is UTC
    assert due.utcoffset() == timedelta(0)
    assert due == datetime(2026, 3, 3, 15, 59, 59, tzinfo=UTC)
    local = due.astimezone(WITA)
    assert (local.date(), local.hour, local.minute, local.second) == (date(2026, 3, 3), 23, 59, 59)
    assert local.utcoffset() == timedelta(hours=8)


def test_a_moment_just_after_local_midnight_belongs_to_the_local_day():
    # 16:30 UTC on Mon 2 Mar is 00:30 WITA on Tue 3 Mar: the local Tuesday is the day that does not count.
    moment = datetime(2026, 3, 2, 16, 30, tzinfo=UTC)

    assert PLAIN.local_date(moment) == date(2026, 3, 3)
    assert PLAIN.deadline(moment, 1) == end_of_wita_day(2026, 3, 4)


def test_a_sunday_evening_in_utc_is_already_monday_in_klungkung():
    # 17:00 UTC Sun 8 Mar = 01:00 WITA Mon 9 Mar: Monday is the day that does not count, so Tuesday is due.
    moment = datetime(2026, 3, 8, 17, 0, tzinfo=UTC)

    assert PLAIN.deadline(moment, 1) == end_of_wita_day(2026, 3, 10)
