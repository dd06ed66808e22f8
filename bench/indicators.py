"""Measure the yearly indicator set over N complaints, and what keeping the roll-ups costs each commit.

    .venv/bin/python bench/indicators.py --complaints 100000 --database sqlite:////tmp/bench-indicators.db
    .venv/bin/python bench/indicators.py --complaints 1000000 \\
        --database postgresql://postgres@127.0.0.1:5432/aduflow_bench_indicators

The database is emptied and rebuilt from the migrations. Complaints are bulk-inserted (not through the
services) in every state — closed (confirmed, auto, admin), transferred, archived with each reason,
and open — across the units, categories, classes, channels, kecamatan and GESI groups of the Klungkung
SOP, with their clocks (some breached), ratings and findings; ``--years`` spreads them over that many
years ending in 2026 (default 1: all of them in 2026, the worst case for one year's figures);
``--reuse`` keeps the complaints of an earlier run instead. Then:

1. ``indicators.rebuild()`` counts every fact and roll-up once (the bulk load bypassed the services);
2. the yearly indicator set is read (median of ``--repeat`` runs): the totals, each breakdown, the
   leader dashboard and the whole yearly report;
3. for comparison, the same totals straight from the per-complaint facts (a GROUP BY over every fact of
   the year, what the roll-ups avoid);
4. ``--commits`` complaints are filed, verified, answered and confirmed through the services, one
   commit per step, with the roll-up upkeep on and then off, to show its cost per commit;
5. ``check()`` confirms the roll-ups still equal the sum of the facts.
"""

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask_migrate import downgrade, upgrade
from sqlalchemy import event, func, insert, select, text
from sqlalchemy.orm import Session

from config import database_url
from tests.conftest import VERIFY, new_complaint
from web import create_app
from workflow.db import db
from workflow.domain.rules import Actor
from workflow.models import Clock, Complaint, ComplaintFinding, IndicatorFact, Rating, SopVersion, Unit, User
from workflow.services import indicators, people, reports
from workflow.services.actions import take_action
from workflow.services.indicators import COUNTS, Period
from workflow.services.intake import file_complaint
from workflow.services.sop import load_sop_version, sop_of

NOW = datetime(2027, 1, 15, 2, 0, tzinfo=UTC)  # Fri 15 Jan 2027, 10:00 WITA: 2026 is complete
BATCH = 20_000
CHANNELS = ["web"] * 30 + ["mobile"] * 15 + ["whatsapp"] * 15 + ["lapor"] * 10 + ["mesadu"] * 10 + [
    "phone", "walk_in", "letter", "sms", "email", "complaint_box", "social_media", "open311"] * 2
ARCHIVE = ["out_of_scope", "duplicate", "unintelligible", "spam", "incomplete", "withdrawn"]


def main() -> None:
    """Build the data set, then time the readings and the upkeep."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--complaints", type=int, default=100_000)
    parser.add_argument("--years", type=int, default=1, help="spread over this many years ending in 2026")
    parser.add_argument("--database", default="sqlite:////tmp/aduflow-bench-indicators.db")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--commits", type=int, default=100, help="complaints taken through the services")
    parser.add_argument("--reuse", action="store_true", help="keep the complaints of an earlier run (no rebuild "
                                                               "of the database; the indicators are recounted)")
    args = parser.parse_args()
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url(args.database), "FIXED_NOW": NOW,
                      "NOTIFICATIONS_ENABLED": False})
    with app.app_context():
        dialect = db.engine.dialect.name
        started = time.perf_counter()
        if not args.reuse:
            downgrade(revision="base")
            upgrade(revision="heads")
            version = load_sop_version("klungkung")
            db.session.commit()
            build(args.complaints, args.years, version.id)
        count = db.session.scalar(select(func.count()).select_from(Complaint))
        print(f"{dialect}: {count:,} complaints{' (reused)' if args.reuse else ''}; "
              f"built in {time.perf_counter() - started:.0f} s")
        seconds = timed(lambda: (indicators.rebuild(), db.session.commit()))
        print(f"  rebuild (facts and roll-ups from scratch): {seconds:.1f} s")
        analyze()
        year = Period.year(2026)
        in_year = db.session.scalar(select(func.count()).select_from(IndicatorFact)
                                    .where(IndicatorFact.month.between(202601, 202612)))
        print(f"  complaints received in 2026: {in_year:,}")
        indicators.indicators(year, NOW)  # warm the caches (SOP parse, calendar) once
        readings = {
            "yearly indicator set (totals, Table 3.1, trend, years)": lambda: indicators.indicators(year, NOW),
            "same, with the per-OPD breakdown": lambda: indicators.indicators(year, NOW, breakdown="opd"),
            "same, with the per-category breakdown": lambda: indicators.indicators(year, NOW, breakdown="category"),
            "leader dashboard": lambda: reports.dashboard(year, NOW),
            "whole yearly report (8 indicator sets, coverage, plan, commitments)":
                lambda: reports.monitoring_report(year, NOW),
            "for comparison: totals summed from the facts (no roll-ups)": lambda: facts_scan(),
        }
        for label, reading in readings.items():
            runs = [timed(reading) for _ in range(args.repeat)]
            db.session.rollback()
            print(f"  {label}: median {statistics.median(runs) * 1000:.0f} ms "
                  f"(min {min(runs) * 1000:.0f}, max {max(runs) * 1000:.0f}, {args.repeat} runs)")
        upkeep(args.commits)
        seconds = timed(lambda: print(f"  check: {len(indicators.check())} differences"))
        print(f"  check (roll-ups against a recount of the facts): {seconds:.1f} s")


def timed(function) -> float:
    """Return how long ``function`` took, in seconds."""
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def facts_scan() -> None:
    """Sum the year's facts directly, per OPD (what every reading would cost without roll-ups)."""
    db.session.execute(select(IndicatorFact.opd, *(func.sum(getattr(IndicatorFact, c)) for c in COUNTS))
                       .where(IndicatorFact.month.between(202601, 202612)).group_by(IndicatorFact.opd)).all()


def analyze() -> None:
    """Refresh the planner's statistics after the bulk load (PostgreSQL)."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")


def build(count: int, years: int, sop_version_id: int) -> None:
    """Bulk-insert ``count`` complaints with their clocks, ratings and findings."""
    rng = random.Random(2026)
    sop = sop_of(db.session.get(SopVersion, sop_version_id))
    units = dict(db.session.execute(select(Unit.code, Unit.id)).all())
    categories = [(c.code, c.default_unit, c.default_class) for c in sop.categories]
    kecamatan = [k.name for k in sop.routing.kecamatan]
    desa = [d.name for d in sop.routing.desa]
    start = datetime(2026 - years + 1, 1, 1, tzinfo=UTC) - timedelta(hours=8)
    span = (datetime(2027, 1, 1, tzinfo=UTC) - timedelta(hours=8) - start).total_seconds()
    first_id = (db.session.scalar(select(func.max(Complaint.id))) or 0) + 1
    for offset in range(0, count, BATCH):
        complaints, clocks, ratings, findings = [], [], [], []
        for i in range(first_id + offset, first_id + min(offset + BATCH, count)):
            received = start + timedelta(seconds=rng.random() * span)
            category, unit, klass = rng.choice(categories)
            row = {"id": i, "tracking_code": f"BEN-{i:09d}", "pin_hash": "0" * 64, "channel": rng.choice(CHANNELS),
                   "title": f"Pengaduan {i}", "description": "Uji beban indikator.", "category_code": category,
                   "sop_version_id": sop_version_id, "received_at": received, "created_at": received,
                   "updated_at": received, "kecamatan": rng.choice(kecamatan) if rng.random() < 0.6 else None,
                   "desa": rng.choice(desa) if rng.random() < 0.5 else None,
                   "gesi_gender": rng.choice(["female", "male", None, None]),
                   "gesi_disability": rng.choice([True, False, None, None, None]),
                   "bounce_count": 1 if rng.random() < 0.08 else 0, "reopen_count": 1 if rng.random() < 0.03 else 0,
                   "escalation_level": rng.choice([0] * 8 + [1, 2]), "state": "received", "closure": None,
                   "archive_reason": None, "transfer_target": None, "unit_id": None, "class_code": None,
                   "verified_at": None, "closed_at": None, "duplicate_of_id": None}
            roll = rng.random()
            late = rng.random() < 0.15
            verified = received + timedelta(days=rng.randint(0, 4))
            answered = verified + timedelta(days=rng.randint(1, 30))
            clocks.append({"complaint_id": i, "kind": "verification", "limit_working_days": 3,
                           "status": "breached" if late else "met", "started_at": received,
                           "due_at": received + timedelta(days=4), "stopped_at": verified,
                           "breached_at": received + timedelta(days=4) if late else None})
            if roll < 0.05:
                row.update(state="transferred", transfer_target="BPN Kabupaten Klungkung")
            elif roll < 0.15:
                row.update(state="archived", archive_reason=rng.choice(ARCHIVE))
            elif roll < 0.18:
                clocks[-1].update(status="running", stopped_at=None, breached_at=None)
            else:
                row.update(unit_id=units[unit], class_code=klass, verified_at=verified)
                clocks.append({"complaint_id": i, "kind": "response", "limit_working_days": 5,
                               "status": "breached" if late else "met", "started_at": verified,
                               "due_at": verified + timedelta(days=7), "stopped_at": answered,
                               "breached_at": verified + timedelta(days=7) if late else None})
                resolution_late = rng.random() < 0.2
                closed = roll < 0.88
                clocks.append({"complaint_id": i, "kind": "resolution", "limit_working_days": 14,
                               "status": ("breached" if resolution_late else "met") if closed else "paused",
                               "started_at": verified, "due_at": verified + timedelta(days=20),
                               "paused_at": None if closed else answered, "remaining_working_days": None if closed
                               else 3, "stopped_at": answered if closed else None,
                               "breached_at": verified + timedelta(days=20) if resolution_late else None})
                if closed:
                    closure = rng.choice(["confirmed"] * 6 + ["auto"] * 3 + ["admin"])
                    row.update(state="closed", closure=closure, closed_at=answered + timedelta(days=3))
                    clocks.append({"complaint_id": i, "kind": "confirmation", "limit_working_days": 10,
                                   "status": "expired" if closure == "auto" else "met", "started_at": answered,
                                   "due_at": answered + timedelta(days=14), "stopped_at": answered + timedelta(days=3)})
                    if rng.random() < 0.3:
                        ratings.append({"complaint_id": i, "score": rng.randint(1, 5), "unit_id": units[unit],
                                        "rated_at": answered + timedelta(days=3)})
                    if rng.random() < 0.4:
                        findings.append({"complaint_id": i, "unit_id": units[unit], "procedure": rng.random() < .4,
                                         "facilities": rng.random() < .4, "cost": rng.random() < .1,
                                         "staff": rng.random() < .2, "substantiated": rng.choice([True, False, None]),
                                         "recorded_at": answered})
                else:
                    row.update(state="responded")
            complaints.append(row)
        db.session.execute(insert(Complaint), complaints)
        db.session.execute(insert(Clock), [{"paused_at": None, "remaining_working_days": None} | c for c in clocks])
        if ratings:
            db.session.execute(insert(Rating), ratings)
        if findings:
            db.session.execute(insert(ComplaintFinding), findings)
        db.session.commit()
    if db.engine.dialect.name == "postgresql":  # the ids were given: move the sequence past them
        db.session.execute(text("SELECT setval(pg_get_serial_sequence('complaints', 'id'), max(id)) FROM complaints"))
        db.session.commit()


def upkeep(commits: int) -> None:
    """Time filing, verifying, answering and confirming complaints with the roll-up upkeep on, then off."""
    accounts = []
    for username, role, unit in (("bench-admin", "admin_instansi", "ORG"), ("bench-pupr", "unit_admin", "PUPRKP"),
                                 ("bench-penghubung", "penghubung", "PUPRKP")):
        user = db.session.scalar(select(User).filter_by(username=username))
        accounts.append(user or people.create_user(username, role, "bench-password-1", unit))
    db.session.commit()
    actors = [people.actor_for(u) for u in accounts]
    at = NOW

    def lifecycle() -> None:
        filed = file_complaint(new_complaint(), None, at)
        db.session.commit()
        complaint_id = filed.complaint.id
        for action, actor, body in (("verify", actors[0], VERIFY), ("acknowledge", actors[1], {}),
                                    ("respond", actors[2], {"comment": "Selesai.", "failures": ["facilities"]}),
                                    ("confirm", Actor.reporter(complaint_id), {})):
            take_action(complaint_id, action, actor, at, dict(body))
            db.session.commit()

    results = {}
    for label, listening in (("on", True), ("off", False)):
        if not listening:
            event.remove(Session, "after_flush", indicators._collect_changes)
            event.remove(Session, "before_commit", indicators._apply_before_commit)
            first = db.session.scalar(select(func.max(Complaint.id))) + 1
        runs = [timed(lifecycle) for _ in range(commits)]
        results[label] = statistics.median(runs) / 5 * 1000
    event.listen(Session, "after_flush", indicators._collect_changes)
    event.listen(Session, "before_commit", indicators._apply_before_commit)
    # The complaints handled with the upkeep off are counted now, as after any bulk change.
    indicators.apply(db.session(), list(range(first, db.session.scalar(select(func.max(Complaint.id))) + 1)))
    db.session.commit()
    print(f"  one commit of the lifecycle (file, verify, acknowledge, respond, confirm), median of {commits}: "
          f"{results['on']:.1f} ms with the roll-ups kept, {results['off']:.1f} ms without "
          f"(+{results['on'] - results['off']:.1f} ms)")


if __name__ == "__main__":
    main()
