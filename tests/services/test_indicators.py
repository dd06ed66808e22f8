"""The indicator definitions on hand-built complaints with known answers (docs/indicators.md)."""

import threading
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, func, select, text

from tests.conftest import PG_URL, T0, VERIFY, database_url_for, on_postgres
from workflow.db import db
from workflow.domain.errors import InvalidInput
from workflow.domain.rules import Actor
from workflow.models import ComplaintFinding, IndicatorFact, IndicatorRollup
from workflow.services import indicators
from workflow.services.indicators import Period, percentile
from workflow.services.ratings import rate
from workflow.services.sla import sweep

WITA = ZoneInfo("Asia/Makassar")
NOW = datetime(2026, 4, 6, 2, 0, tzinfo=UTC)  # Mon 6 Apr 2026, 10:00 WITA


def wita(year, month, day, hour=10, minute=0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=WITA).astimezone(UTC)


@pytest.fixture
def handle(app, staff, act):
    """Return a function that takes a filed complaint through verification, the follow-up and closing."""
    def handled(complaint_id, responded_at, closing="confirm", closed_at=None, klass=VERIFY["class"],
                verified_at=T0, **respond):
        act(complaint_id, "verify", staff["admin"].actor, verified_at, **(VERIFY | {"class": klass}))
        act(complaint_id, "acknowledge", staff["pupr"].actor, verified_at)
        act(complaint_id, "respond", staff["penghubung_pupr"].actor, responded_at,
            comment="Sudah diperbaiki.", **respond)
        closer = Actor.reporter(complaint_id) if closing == "confirm" else staff["admin"].actor
        act(complaint_id, closing, closer, closed_at or responded_at,
            **({"comment": "Ditutup admin."} if closing == "close" else {}))

    return handled


@pytest.fixture
def year_2026(app, staff, file, act, handle):
    """File the known set: two resolved (one late), one transferred, one spam, one duplicate, two open, one in 2025."""
    admin = staff["admin"].actor
    c1 = file().complaint.id
    # Responded Thu 26 Mar: 18–24 March are Nyepi and Idul Fitri leave, so 2 working days after 17 March.
    handle(c1, wita(2026, 3, 26), failures=["procedure"], substantiated=True)
    c2 = file(title="Petugas meminta biaya tambahan").complaint.id
    # An aspirasi has 5 working days (due Tue 31 Mar); answered Thu 2 Apr, 7 working days after receipt: late.
    handle(c2, wita(2026, 4, 2), closing="close", klass="aspirasi", failures=["staff", "cost", "staff"],
           substantiated=False)
    c3 = file(title="Sertifikat tanah").complaint.id
    act(c3, "transfer_out", admin, T0, target="BPN Kabupaten Klungkung")
    c4 = file(title="Promo pinjaman").complaint.id
    act(c4, "archive", admin, T0, reason="spam")
    c5 = file().complaint.id
    act(c5, "mark_duplicate", admin, T0, duplicate_of=str(c1))
    c6 = file(title="Lampu jalan mati").complaint.id
    # Entered from letters: 00:30 WITA on 1 January is still 31 December in UTC, but 2026 here.
    c7 = file(actor=admin, channel="letter", received_at=wita(2026, 1, 1, 0, 30).isoformat()).complaint.id
    c8 = file(actor=admin, channel="letter", received_at=wita(2025, 12, 31, 23, 30).isoformat()).complaint.id
    for complaint_id, score in ((c1, 5), (c2, 2)):
        rate(complaint_id, Actor.reporter(complaint_id), wita(2026, 4, 2, 12), score)
    db.session.commit()
    # The sweep records that C6 and C7 missed their verification deadline.
    sweep(NOW)
    db.session.commit()
    return {"c1": c1, "c2": c2, "c3": c3, "c4": c4, "c5": c5, "c6": c6, "c7": c7, "c8": c8}


def test_a_year_counts_each_problem_once_and_resolves_against_what_the_regency_had_to_resolve(year_2026):
    figures = indicators.indicators(Period.year(2026), NOW)["figures"]
    assert (figures["received_with_duplicates"], figures["duplicates"], figures["received"]) == (7, 1, 6)
    assert (figures["resolved"], figures["transferred"], figures["archived"], figures["open"]) == (2, 1, 1, 2)
    assert figures["archived_by_reason"]["spam"] == 1
    # 7 received − 1 transferred − 2 archived (spam and the duplicate) = 4 the regency had to resolve.
    assert (figures["to_resolve"], figures["resolved_percent"]) == (4, 50.0)
    assert figures["closures"] == {"confirmed": 1, "auto": 0, "admin": 1}


def test_clock_figures_count_met_and_breached_deadlines(year_2026):
    figures = indicators.indicators(Period.year(2026), NOW)["figures"]
    # Verified, transferred, archived and marked duplicate on the day: 5 in time; C6 and C7 breached.
    assert figures["verification"] == {"on_time": 5, "late": 2, "percent_on_time": 71.4}
    assert figures["response"] == {"on_time": 1, "late": 1, "percent_on_time": 50.0}
    assert figures["resolution"] == {"on_time": 1, "late": 1, "percent_on_time": 50.0, "breached": 1}
    # Both waited more than twice their 3 working days by 6 April: level 2 (tim koordinasi + Inspektorat).
    assert figures["escalations"] == {"level1": 2, "level2": 2, "level3": 0}
    assert figures["overdue_now"] == 2


def test_working_days_to_resolve_give_the_median_and_p90_of_2_and_7(year_2026):
    days = indicators.indicators(Period.year(2026), NOW)["figures"]["working_days_to_resolve"]
    assert days == {"count": 2, "median": 4.5, "p90": 6.5, "mean": 4.5}


def test_satisfaction_and_findings_roll_up(year_2026):
    figures = indicators.indicators(Period.year(2026), NOW)["figures"]
    assert figures["satisfaction"] == {"rated": 2, "mean": 3.5, "satisfied": 1, "percent_satisfied": 50.0}
    assert figures["findings"] == {"tagged": 2, "procedure": 1, "facilities": 0, "cost": 1, "staff": 1,
                                   "substantiated": 1, "unsubstantiated": 1}


def test_the_day_of_receipt_in_wita_places_a_complaint_in_its_year(year_2026):
    result = indicators.indicators(Period.year(2026), NOW)
    assert [(y["year"], y["received"]) for y in result["years"]] == [(2025, 1), (2026, 6)]
    by_month = {m["month"]: m["received"] for m in result["trend"]}
    assert by_month["2026-01"] == 1 and by_month["2026-03"] == 5 and sum(by_month.values()) == 6
    assert indicators.indicators(Period.year(2025), NOW)["figures"]["received"] == 1
    assert result["table_3_1"][0]["previous"] == 1


def test_semesters_split_the_year(year_2026):
    first = indicators.indicators(Period.parse("2026-S1"), NOW)
    second = indicators.indicators(Period.parse("2026-2"), NOW)
    assert first["figures"]["received"] == 6
    assert (second["figures"]["received"], second["figures"]["resolved_percent"]) == (0, None)
    assert [m["month"] for m in second["trend"]] == [f"2026-{m:02d}" for m in range(7, 13)]
    assert first["period"]["label"] == "Semester I 2026"


def test_table_3_1_compares_with_the_sop_target_of_the_year(app, file, handle):
    for _ in range(3):
        complaint_id = file(at=wita(2024, 5, 6)).complaint.id
        handle(complaint_id, wita(2024, 5, 8), verified_at=wita(2024, 5, 6))
    rows = indicators.indicators(Period.year(2024), NOW)["table_3_1"]
    # Perbup 4/2022 Table 3.1 sets 50 complaints and 100 % resolved for 2024.
    assert (rows[0]["value"], rows[0]["target"], rows[0]["progress_percent"]) == (3, 50, 6.0)
    assert (rows[1]["value"], rows[1]["target"], rows[1]["progress_percent"]) == (100.0, 100.0, 100.0)
    assert indicators.indicators(Period.year(2026), NOW)["table_3_1"][0]["target"] is None  # the plan ends in 2024


def test_breakdowns_by_unit_channel_and_kecamatan(year_2026):
    def rows(by):
        result = indicators.indicators(Period.year(2026), NOW, breakdown=by)["breakdown"]
        assert result["by"] == by
        return {row["key"]: row for row in result["rows"]}

    units = rows("unit")
    assert units["PUPRKP"]["received"] == 2 and units["PUPRKP"]["resolution"]["on_time"] == 1
    assert units["PUPRKP"]["label"] == "Dinas Pekerjaan Umum, Penataan Ruang, Perumahan dan Kawasan Permukiman"
    assert units[""]["received"] == 4 and units[""]["label"] == "(belum ada unit)"
    assert rows("opd")["PUPRKP"]["findings"]["tagged"] == 2
    channels = rows("channel")
    assert (channels["web"]["received"], channels["letter"]["received"]) == (5, 1)
    assert rows("kecamatan")["Klungkung"]["received_with_duplicates"] == 7
    assert rows("class")["aspirasi"]["resolution"]["late"] == 1


def test_a_bounce_and_a_reopen_move_the_complaint_between_units_and_count(app, staff, file, act):
    admin = staff["admin"].actor
    complaint_id = file().complaint.id
    act(complaint_id, "verify", admin, T0, **(VERIFY | {"unit": "DINKES"}))

    def units():
        rows = indicators.indicators(Period.year(2026), NOW, breakdown="unit")["breakdown"]["rows"]
        return {row["key"]: row["received"] for row in rows}

    assert units() == {"DINKES": 1}
    act(complaint_id, "return", staff["dinkes"].actor, T0, comment="Bukan wewenang kami.")
    assert units() == {"": 1}
    act(complaint_id, "redispose", admin, T0, unit="PUPRKP")
    act(complaint_id, "acknowledge", staff["pupr"].actor, T0)
    act(complaint_id, "respond", staff["penghubung_pupr"].actor, wita(2026, 3, 26), comment="Selesai.")
    act(complaint_id, "confirm", Actor.reporter(complaint_id), wita(2026, 3, 26))
    act(complaint_id, "reopen", admin, wita(2026, 3, 27), comment="Lubang muncul lagi.")
    figures = indicators.indicators(Period.year(2026), NOW)["figures"]
    assert (figures["resolved"], figures["open"]) == (0, 1)
    assert figures["reopens"] == {"complaints": 1, "total": 1, "percent": 100.0}
    assert figures["bounces"] == {"complaints": 1, "total": 1, "percent": 100.0}
    assert units() == {"PUPRKP": 1}
    assert indicators.check(deep=True) == []


def test_roll_ups_always_equal_the_sum_of_freshly_recounted_facts(year_2026):
    assert indicators.check(deep=True) == []
    counted = indicators.indicators(Period.year(2026), NOW)
    assert indicators.rebuild() == 8
    db.session.commit()
    assert indicators.check(deep=True) == []
    assert indicators.indicators(Period.year(2026), NOW) == counted


def test_a_change_is_counted_before_the_commit(app, file, staff):
    complaint_id = file().complaint.id
    from workflow.services.actions import take_action

    take_action(complaint_id, "archive", staff["admin"].actor, T0, {"reason": "spam"})
    assert indicators.indicators(Period.year(2026), NOW)["figures"]["archived"] == 1
    db.session.rollback()
    assert indicators.indicators(Period.year(2026), NOW)["figures"]["archived"] == 0
    assert db.session.scalar(select(func.sum(IndicatorRollup.archived))) == 0


def test_the_histogram_percentiles_match_percentile_cont(year_2026):
    figures = indicators.indicators(Period.year(2026), NOW)["figures"]["working_days_to_resolve"]
    if on_postgres():
        median, p90 = db.session.execute(text(
            "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY resolve_days), "
            "percentile_cont(0.9) WITHIN GROUP (ORDER BY resolve_days) FROM indicator_facts "
            "WHERE month BETWEEN 202601 AND 202612")).one()
        assert (figures["median"], figures["p90"]) == (round(median, 2), round(p90, 2))
    days = sorted(db.session.scalars(select(IndicatorFact.resolve_days).where(IndicatorFact.resolve_days.is_not(None))))
    assert days == [2, 7]


@pytest.mark.parametrize(("histogram", "fraction", "expected"), [
    ([(1, 1), (2, 1), (3, 1), (4, 1)], 0.5, 2.5),
    ([(5, 3)], 0.9, 5.0),
    ([(0, 9), (10, 1)], 0.9, 1.0),
    ([(1, 1), (3, 2), (8, 1)], 0.5, 3.0),
    ([], 0.5, None),
])
def test_percentiles_interpolate_between_ranks(histogram, fraction, expected):
    assert percentile(histogram, fraction) == expected


@pytest.mark.parametrize("text_", ["2026-S3", "26", "2026-", "tahun", "", "1999"])
def test_a_wrong_period_is_refused_naming_the_field(text_):
    with pytest.raises(InvalidInput) as error:
        Period.parse(text_)
    assert set(error.value.details) & {"period", "year"}


def test_an_unknown_breakdown_is_refused(app):
    with pytest.raises(InvalidInput) as error:
        indicators.indicators(Period.year(2026), NOW, breakdown="desa")
    assert "breakdown" in error.value.details


def test_periods_know_their_days_and_neighbours():
    assert Period.parse("2026-s2").months == list(range(202607, 202613))
    assert Period.parse("2026-1").previous() == Period.semester(2025, 2)
    assert Period.parse("2026").previous().code == "2025"
    start, end = Period.parse("2026-S1").bounds(WITA)
    assert (start, end) == (wita(2026, 1, 1, 0), wita(2026, 7, 1, 0))


@pytest.mark.skipif(not on_postgres(), reason="row locks between sessions need PostgreSQL (TEST_DATABASE_URL)")
def test_two_changes_to_one_complaint_committed_at_once_both_reach_the_roll_ups(app, staff, file, act):
    complaint_id = file().complaint.id
    act(complaint_id, "verify", staff["admin"].actor, T0, **VERIFY)
    act(complaint_id, "acknowledge", staff["pupr"].actor, T0)
    act(complaint_id, "respond", staff["penghubung_pupr"].actor, T0, comment="Sudah.")
    applied, release = threading.Event(), threading.Event()
    outcome = {}

    def rate_and_hold() -> None:
        with app.app_context():
            try:
                rate(complaint_id, Actor.reporter(complaint_id), T0, 5)
                indicators.refresh()  # the fact row is now locked by this transaction
                applied.set()
                release.wait(timeout=60)
                db.session.commit()
                outcome["rating"] = "committed"
            except Exception as error:  # reported through the outcome
                db.session.rollback()
                outcome["rating"] = error
            finally:
                applied.set()
                db.session.remove()

    def tag() -> None:
        # What the unit's follow-up writes (a finding), here alone: no audit event competes with the rating's.
        with app.app_context():
            try:
                db.session.add(ComplaintFinding(complaint_id=complaint_id, cost=True, substantiated=True,
                                                recorded_at=T0))
                db.session.commit()
                outcome["finding"] = "committed"
            except Exception as error:
                db.session.rollback()
                outcome["finding"] = error
            finally:
                db.session.remove()

    first = threading.Thread(target=rate_and_hold)
    first.start()
    assert applied.wait(timeout=60)
    second = threading.Thread(target=tag)
    second.start()
    observer = create_engine(database_url_for(PG_URL))
    try:
        for _ in range(100_000):
            with observer.connect() as connection:
                if connection.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                          "AND datname = current_database()")):
                    break
        else:
            pytest.fail("the finding never waited for the rating's lock on the fact")
    finally:
        release.set()
        first.join(timeout=60)
        second.join(timeout=60)
        observer.dispose()
    assert outcome == {"rating": "committed", "finding": "committed"}
    db.session.expire_all()
    figures = indicators.indicators(Period.year(2026), NOW)["figures"]
    assert figures["satisfaction"]["rated"] == 1 and figures["findings"]["cost"] == 1
    assert indicators.check(deep=True) == []
