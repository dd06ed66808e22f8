"""Measure one SLA sweep over N open complaints of which some are due (issue #8).

    .venv/bin/python bench/sweep.py --open 100000 --due-count 10000 --database sqlite:////tmp/bench-sweep.db
    .venv/bin/python bench/sweep.py --open 1000000 --due 0.01 \\
        --database postgresql://postgres@127.0.0.1:5432/aduflow_bench --json bench/out/sweep-pg-1m.json

The database (a PostgreSQL one is created when missing) is emptied and rebuilt from the migrations;
``--build-only`` stops there, and ``--reuse`` times the passes over data built before, e.g. a copy
made with ``createdb -T`` (a due pass changes the data, so each timing needs a fresh copy).
Complaints are made by ``--build-workers`` processes and written in bulk (COPY on PostgreSQL, batched
inserts on SQLite), not through the services, but as the services would leave them: categories, units
and classes from the Klungkung SOP, desa and kecamatan, reporters reachable by SMS and/or e-mail (some
anonymous), staff in every role, each complaint in ``received`` (verification clock running),
``dispositioned`` (response and resolution running) or ``in_progress`` (resolution running), deadlines
from the real working calendar, a sealed audit trail (filing, verification), its indicator fact
(counted with the app's ``indicators.compute_fact``; the roll-ups are summed from the facts as
``indicators.rebuild`` does), and ``next_check_at`` the first unrecorded threshold. The due complaints
have passed a deadline with their warning already recorded: the due pass records a breach, raises the
escalation to level 1 and tells the holders and the administrators (an ``sla_breach`` and an
``escalate`` audit event, a mark and in-app messages each).

Printed and written to ``--json`` (default ``bench/out/sweep.json``): the database, the open and due
counts, the build time, the time of the due pass and of a second pass that finds nothing, what each
wrote (events, marks, outbox messages, escalations), clocks per second and the versions used.
``--workers N`` runs N sweep processes at once, as production may (they share the work through
``FOR UPDATE SKIP LOCKED``; PostgreSQL only), and times the pass until the last one is done.
"""

import argparse
import json
import multiprocessing
import platform
import random
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from functools import cache
from importlib.metadata import version as package_version
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask_migrate import downgrade, upgrade
from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import make_url

from bench.generate import roll_up
from config import database_url
from web import create_app
from web.cli import sweep_until_done
from workflow.db import db
from workflow.domain import sla as thresholds_of
from workflow.domain.audit import GENESIS, event_hash
from workflow.domain.clocks import Clock as ClockRecord
from workflow.models import (
    Clock,
    Complaint,
    ComplaintEvent,
    IndicatorFact,
    OutboxMessage,
    SlaMark,
    Unit,
    User,
)
from workflow.notifications.listener import INAPP, notice_keys
from workflow.services import indicators
from workflow.services.audit import HASHED
from workflow.services.calendars import calendar_for
from workflow.services.sla import DEFAULT_BATCH, policy_of
from workflow.services.sop import load_sop_version, sop_of

NOW = datetime(2026, 4, 1, 2, 0, tzinfo=UTC)  # Wed 1 Apr 2026, 10:00 WITA
OUT = Path(__file__).resolve().parent / "out" / "sweep.json"
CHUNK = 20_000
# The share of open complaints in each state: most wait on their unit's resolution.
STATES = (("received", 15), ("dispositioned", 15), ("in_progress", 70))
CHANNELS = ["web"] * 35 + ["mobile"] * 20 + ["whatsapp"] * 15 + ["sms"] * 10 + ["phone", "walk_in", "letter",
                                                                                  "email", "social_media"] * 4
COMPLAINT_COLUMNS = (
    "id", "tracking_code", "pin_hash", "pin_failures", "state", "channel", "title", "description", "category_code",
    "class_code", "desa", "kecamatan", "reporter_name", "reporter_phone", "reporter_email", "anonymous",
    "confidential", "confidentiality_confirmed", "needs_assistance", "unit_id", "sop_version_id", "escalation_level",
    "bounce_count", "reopen_count", "received_at", "verified_at", "created_at", "updated_at", "version")
CLOCK_COLUMNS = ("id", "complaint_id", "kind", "status", "limit_working_days", "started_at", "due_at", "stopped_at",
                 "breached_at", "next_check_at")
EVENT_COLUMNS = ("id", "complaint_id", "seq", "at", "actor_id", "actor_role", "action", "from_state", "to_state",
                 "comment", "internal", "details", "hash")
MARK_COLUMNS = ("id", "clock_id", "threshold", "cycle", "fired_at")
CLOCK_SLOTS = {"verification": 1, "response": 2, "resolution": 3}
FACT_COLUMNS = ("complaint_id", *indicators.KEY_COLUMNS, "resolve_days", *indicators.COUNTS)
# The tables the build writes, and their columns in the order of the rows it makes.
LOADED = {"complaints": COMPLAINT_COLUMNS, "clocks": CLOCK_COLUMNS, "complaint_events": EVENT_COLUMNS,
          "sla_marks": MARK_COLUMNS, "indicator_facts": FACT_COLUMNS}
FIRST_NAMES = ["I Wayan", "Ni Wayan", "I Made", "Ni Made", "I Nyoman", "Ni Nyoman", "I Ketut", "Ni Ketut",
               "I Gede", "Ni Luh", "I Putu", "Ni Putu", "I Komang", "Ni Komang", "I Kadek", "Ni Kadek"]
LAST_NAMES = ["Sutama", "Sukerti", "Astawa", "Suartini", "Mahendra", "Widiastuti", "Darmawan", "Ariani",
              "Budiarsa", "Sudiani", "Wirawan", "Purnami"]


def main() -> None:
    """Build the data set, run the sweep twice, print the figures and write them as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--open", type=int, default=100_000, help="open complaints (default 100,000)")
    parser.add_argument("--due", type=float, default=0.01, help="share of them due now (default 0.01)")
    parser.add_argument("--due-count", type=int, help="number due now (instead of --due)")
    parser.add_argument("--database", default="sqlite:////tmp/aduflow-bench-sweep.db")
    parser.add_argument("--batch", type=int, default=DEFAULT_BATCH, help="clocks per sweep transaction")
    parser.add_argument("--workers", type=int, default=1,
                        help="sweep processes at once (they share the due clocks with SKIP LOCKED; PostgreSQL)")
    parser.add_argument("--json", type=Path, default=OUT, help=f"where to write the figures (default {OUT})")
    parser.add_argument("--no-notifications", action="store_true", help="switch the outbox listener off")
    parser.add_argument("--reuse", action="store_true",
                        help="time the passes over the data already in the database (built earlier, e.g. copied "
                             "with createdb -T); no rebuild")
    parser.add_argument("--build-only", action="store_true",
                        help="build the data set, write its figures and stop (to copy it, then time passes over "
                             "copies with --reuse)")
    parser.add_argument("--build-workers", type=int, default=2, help="processes that make the rows (default 2)")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    due_count = args.due_count if args.due_count is not None else round(args.open * args.due)
    if not 0 <= due_count <= args.open:
        parser.error("the due count must be between 0 and --open")
    _create_database_if_missing(database_url(args.database))
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url(args.database), "FIXED_NOW": NOW,
                      "NOTIFICATIONS_ENABLED": not args.no_notifications, "NOTIFY_REPORTER_PHONE_CHANNEL": "sms"})
    result: dict = {"benchmark": "sla_sweep", "now": NOW.isoformat(), "batch": args.batch, "workers": args.workers,
                    "notifications": not args.no_notifications, "reused": args.reuse}
    with app.app_context():
        dialect = db.engine.dialect.name
        result["database"] = dialect
        if not args.reuse:
            started = time.perf_counter()
            downgrade(revision="base")
            upgrade(revision="heads")
            version = load_sop_version("klungkung")
            db.session.commit()
            staff = build(args.open, due_count, version.id, random.Random(args.seed), args.build_workers)
            result["build_seconds"] = round(time.perf_counter() - started, 2)
            started = time.perf_counter()
            roll_up()  # the facts were written with the complaints
            db.session.commit()
            result["facts_seconds"] = round(time.perf_counter() - started, 2)
            _analyze()
        else:
            staff = db.session.scalar(select(func.count()).select_from(User))
        result["open"] = db.session.scalar(select(func.count()).select_from(Complaint).where(
            Complaint.state.not_in(("closed", "transferred", "archived"))))
        result["due"] = db.session.scalar(select(func.count()).select_from(Clock).where(
            Clock.status == "running", Clock.next_check_at <= NOW))
        result["staff"] = staff
        db.session.commit()
        print(f"{dialect}: {result['open']:,} open complaints, {result['due']:,} due, {staff} staff"
              + (f"; built in {result['build_seconds']:.0f} s, roll-ups in {result['facts_seconds']:.0f} s"
                 if not args.reuse else " (reused)"))
        if not args.build_only:
            time_passes(args, result)
        result["versions"] = versions(dialect)
    result["command"] = " ".join(sys.argv[1:])
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    print(f"  figures written to {args.json}")


def time_passes(args: argparse.Namespace, result: dict) -> None:
    """Time the due pass and the empty second pass into ``result``, printing each."""
    started = time.perf_counter()
    calendar_for(sop_of(_active_version()), None, NOW)
    db.session.commit()
    result["calendar_seconds"] = round(time.perf_counter() - started, 3)
    print(f"  calendar (holidays of 5 years, once per process): {result['calendar_seconds']:.2f} s")
    for label in ("due_pass", "second_pass"):
        result[label] = figures = timed_pass(args.batch, args.workers, args.database, not args.no_notifications)
        print(f"  {label.replace('_', ' ')}: {figures['seconds']:.2f} s, clocks {figures['clocks']:,}, "
              f"escalations {figures['escalations']:,}, events {figures['events']:,}, marks {figures['marks']:,}, "
              f"outbox messages {figures['outbox_messages']:,} (in-app notices {figures['inapp_notices']:,})"
              + (f", {figures['clocks_per_second']:,.0f} clocks/s" if figures["clocks"] else ""))


def timed_pass(batch: int, workers: int, url: str, notifications: bool) -> dict:
    """Run the sweep at NOW until nothing is due (in ``workers`` processes); return its time and what it wrote."""
    before = {name: db.session.scalar(select(func.coalesce(func.max(model.id), 0)))
              for name, model in (("events", ComplaintEvent), ("marks", SlaMark), ("outbox", OutboxMessage))}
    db.session.commit()
    if workers > 1:
        report, seconds = _sweep_in_processes(workers, url, batch, notifications)
    else:
        started = time.perf_counter()
        report = sweep_until_done(NOW, batch)
        seconds = time.perf_counter() - started
    escalations = db.session.scalar(select(func.count()).select_from(ComplaintEvent).where(
        ComplaintEvent.id > before["events"], ComplaintEvent.action == "escalate"))
    written = {name: db.session.scalar(select(func.count()).select_from(model).where(model.id > before[name]))
               for name, model in (("events", ComplaintEvent), ("marks", SlaMark), ("outbox", OutboxMessage))}
    by_kind = dict(db.session.execute(select(OutboxMessage.kind, func.count()).where(
        OutboxMessage.id > before["outbox"]).group_by(OutboxMessage.kind)).all())
    by_action = dict(db.session.execute(select(ComplaintEvent.action, func.count()).where(
        ComplaintEvent.id > before["events"]).group_by(ComplaintEvent.action)).all())
    by_threshold = dict(db.session.execute(select(SlaMark.threshold, func.count()).where(
        SlaMark.id > before["marks"]).group_by(SlaMark.threshold)).all())
    # One in-app message tells everyone who reads the same words of an event: count the notices they owe.
    notices = sum(len(notice_keys(key, payload)) for key, payload in db.session.execute(select(
        OutboxMessage.key, OutboxMessage.payload).where(OutboxMessage.id > before["outbox"],
                                                        OutboxMessage.kind == INAPP)))
    db.session.commit()
    return {"seconds": round(seconds, 3), "clocks": report["clocks"], "report": dict(sorted(report.items())),
            "events": written["events"], "events_by_action": by_action, "marks": written["marks"],
            "marks_by_threshold": by_threshold, "escalations": escalations,
            "outbox_messages": written["outbox"], "outbox_by_kind": by_kind, "inapp_notices": notices,
            "clocks_per_second": round(report["clocks"] / seconds) if report["clocks"] and seconds else None}


def _sweep_in_processes(workers: int, url: str, batch: int, notifications: bool) -> tuple[Counter, float]:
    """Run ``workers`` sweeps at once, timed from when all are ready until the last is done; sum their reports."""
    context = multiprocessing.get_context("spawn")
    ready, reports = context.Barrier(workers + 1), context.Queue()
    processes = [context.Process(target=_sweep_worker, args=(url, batch, notifications, ready, reports))
                 for _ in range(workers)]
    for process in processes:
        process.start()
    ready.wait(timeout=300)
    started = time.perf_counter()
    total: Counter = Counter()
    for _ in processes:
        total.update(reports.get(timeout=3600))
    seconds = time.perf_counter() - started
    for process in processes:
        process.join(timeout=60)
    return total, seconds


def _sweep_worker(url: str, batch: int, notifications: bool, ready, reports) -> None:
    """One sweep process: start the app, read the calendar, wait for the others, sweep until nothing is due."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url(url), "FIXED_NOW": NOW,
                      "NOTIFICATIONS_ENABLED": notifications, "NOTIFY_REPORTER_PHONE_CHANNEL": "sms"})
    with app.app_context():
        calendar_for(sop_of(_active_version()), None, NOW)
        db.session.commit()
        ready.wait(timeout=300)
        reports.put(dict(sweep_until_done(NOW, batch)))


def versions(dialect: str) -> dict:
    """Return the versions the figures were taken with."""
    found = {"python": platform.python_version(), "sqlalchemy": package_version("sqlalchemy"),
             "flask_sqlalchemy": package_version("flask-sqlalchemy")}
    if dialect == "postgresql":
        found["psycopg"] = package_version("psycopg")
        found["postgresql"] = db.session.scalar(text("SHOW server_version"))
    else:
        found["sqlite"] = db.session.scalar(text("SELECT sqlite_version()"))
    db.session.commit()
    return found


# --- the data set -------------------------------------------------------------------------------------

class _Rows:
    """The rows of one chunk of complaints, per table (``LOADED``)."""

    def __init__(self):
        self.complaints, self.clocks, self.complaint_events, self.sla_marks, self.indicator_facts = [], [], [], [], []


def build(count: int, due_count: int, sop_version_id: int, rng: random.Random, workers: int) -> int:
    """Write ``count`` open complaints, ``due_count`` of them due at NOW; return the number of staff.

    ``workers`` processes make the rows, chunk by chunk; this one writes each chunk as it comes.
    """
    sop = sop_of(_active_version())
    units = {unit.code: unit for unit in db.session.scalars(select(Unit))}
    staff = _staff(units)
    _BUILD["plan"] = _Plan(sop, units, sop_version_id)
    _BUILD["due"] = {n + 1 for n in rng.sample(range(count), due_count)}
    tasks = [(first, min(first + CHUNK - 1, count), rng.getrandbits(64)) for first in range(1, count + 1, CHUNK)]
    db.session.commit()  # no transaction of this session spans the writer's (SQLite would refuse)
    writer = _writer()
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        for rows in pool.imap(_chunk_rows, tasks):
            for table, columns in LOADED.items():
                writer(table, columns, getattr(rows, table))
            db.session.commit()
    # The indexes stay in place during the load (grown row by row, as in a running database): built afterwards,
    # they would be packed full, and the due pass would pay for splitting their pages as it writes.
    if db.engine.dialect.name == "postgresql":
        for table in ("complaints", "clocks", "complaint_events", "sla_marks"):
            db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                    f"(SELECT coalesce(max(id), 1) FROM {table}))"))
        db.session.commit()
    return staff


# What the build's worker processes inherit when they are forked: the plan and the ids of the due complaints.
_BUILD: dict = {}


def _chunk_rows(task: tuple[int, int, int]) -> _Rows:
    """Make the rows of complaints ``first`` to ``last`` (in a build worker; no database access)."""
    first, last, seed = task
    plan, due, rng, rows = _BUILD["plan"], _BUILD["due"], random.Random(seed), _Rows()
    for cid in range(first, last + 1):
        plan.complaint(cid, cid in due, rng, rows)
    return rows


class _Plan:
    """Decide each complaint's state, place, reporter and clocks, with deadlines from the real calendar."""

    def __init__(self, sop, units: dict[str, Unit], sop_version_id: int):
        self.sop, self.sop_version_id = sop, sop_version_id
        # Plain copies and calendars read now: the worker processes that use the plan never touch the database.
        self.units = {code: SimpleNamespace(id=unit.id, code=code, kind=unit.kind, parent_id=unit.parent_id)
                      for code, unit in units.items()}
        self.calendars = {None: calendar_for(sop, None, NOW)} | {
            unit.id: calendar_for(sop, unit, NOW) for unit in units.values()}
        self.policy = policy_of(sop)
        self.categories = list(sop.categories)
        self.limits = {c.code: c.resolution_working_days for c in sop.classes}
        self.desa = [(d.name, d.kecamatan) for d in sop.routing.desa] or [("Gelgel", "Klungkung")]
        self.deadlines = {}
        self.facts = _FactCounter(sop, self.units)
        today = NOW.astimezone(self.calendars[None].tz).date()
        self.days = [today - timedelta(days=back) for back in range(0, 120)]

    def calendar(self, unit: SimpleNamespace | None):
        """Return the working calendar of ``unit`` (the regency's when None)."""
        return self.calendars[unit.id if unit else None]

    def deadline(self, unit: SimpleNamespace | None, moment: datetime, working_days: int) -> datetime:
        """Return the deadline of a clock of ``unit`` started at ``moment`` (it depends on the local day only)."""
        calendar = self.calendar(unit)
        # A million clocks start on some 120 days: each deadline is walked out once, not a million times.
        key = (unit.id if unit else None, calendar.local_date(moment), working_days)
        if key not in self.deadlines:
            self.deadlines[key] = calendar.deadline(moment, working_days)
        return self.deadlines[key]

    def complaint(self, cid: int, is_due: bool, rng: random.Random, rows: _Rows) -> None:
        """Append the rows of complaint ``cid`` (complaint, clocks, audit events, marks, fact) to ``rows``."""
        while True:  # a due complaint must be able to breach without reaching level 2 at once
            category = self.categories[rng.randrange(len(self.categories))]
            state = rng.choices([s for s, _ in STATES], [w for _, w in STATES])[0]
            unit = None if state == "received" else self.units.get(category.default_unit)
            class_code = None if state == "received" else category.default_class
            running = _running(state)
            due_kind = running[-1] if is_due else None
            limits = tuple(self._limit(kind, class_code) for kind in running)
            days = _days(self, unit.id if unit else None, running, limits, due_kind)
            if days:
                break
        tz = self.calendar(unit).tz
        day = rng.choice(days)
        start = datetime.combine(day, clock_time(8), tz).astimezone(UTC) + timedelta(
            minutes=rng.randrange(0, 240))
        # Verified the morning it came in (the same local day, so the open-too-long deadline is the clock's).
        received_at = start - timedelta(minutes=rng.randrange(1, 60)) if state != "received" else start
        desa, kecamatan = self.desa[rng.randrange(len(self.desa))]
        anonymous = rng.random() < 0.1
        contact = rng.random()
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        phone = f"0812{rng.randrange(10_000_000, 99_999_999)}" if contact < 0.75 else None
        email = f"pelapor{cid}@example.id" if 0.5 <= contact < 0.9 else None
        verified_at = start if state != "received" else None
        complaint = (
            cid, f"KLK-26-B{cid:08d}", "0" * 64, 0, state, rng.choice(CHANNELS),
            f"{category.name} di {desa} (laporan {cid})"[:200],
            f"{category.description} Lokasi di Desa {desa}, Kecamatan {kecamatan}; mohon segera ditindaklanjuti.",
            category.code, class_code, desa, kecamatan, name, phone, email, anonymous, False, False,
            rng.random() < 0.03, unit.id if unit else None, self.sop_version_id, 0, 0, 0, received_at, verified_at,
            received_at, verified_at or received_at, 1)
        rows.complaints.append(complaint)
        # The audit trail so far, sealed as the services would have: filing, then verification.
        previous = GENESIS
        trail = [("file", received_at, "reporter", None, "received", {})]
        if verified_at is not None:
            trail.append(("verify", verified_at, "admin_instansi", "received", "dispositioned",
                          {"unit": category.default_unit, "class": class_code}))
        for seq, (action, at, role, from_state, to_state, details) in enumerate(trail, start=1):
            fields = {"complaint_id": cid, "seq": seq, "at": at, "actor_id": None, "actor_role": role,
                      "action": action, "from_state": from_state, "to_state": to_state, "comment": None,
                      "internal": False, "details": details}
            assert tuple(fields) == HASHED
            previous = event_hash(previous, fields)
            rows.complaint_events.append(((cid - 1) * 2 + seq, cid, seq, at, None, role, action, from_state,
                                          to_state, None, False, details, previous))
        statuses = dict.fromkeys(running, "running")
        if verified_at is not None:  # the verification clock stopped in time
            statuses["verification"] = "met"
            limit = self.sop.clocks.verification_working_days
            rows.clocks.append((_clock_id(cid, "verification"), cid, "verification", "met", limit, received_at,
                                self.deadline(unit, received_at, limit), verified_at, None, None))
        if state == "in_progress":  # the first response came the next day
            statuses["response"] = "met"
            responded = min(start + timedelta(days=1), NOW - timedelta(minutes=5))
            limit = self.sop.clocks.response_working_days
            rows.clocks.append((_clock_id(cid, "response"), cid, "response", "met", limit, start,
                                self.deadline(unit, start, limit), responded, None, None))
        rows.indicator_facts.append(self.facts.row(dict(zip(COMPLAINT_COLUMNS, complaint, strict=True)), statuses))
        for kind, limit in zip(running, limits, strict=True):
            found = _thresholds(self, unit.id if unit else None, kind, limit, day)
            due_at = self.deadline(unit, start, limit)
            if kind == due_kind:  # warned before; the breach is due now
                warning = next(t for t in found if t.name == thresholds_of.WARNING)
                breach = next(t for t in found if t.name == thresholds_of.BREACH)
                rows.sla_marks.append((cid, _clock_id(cid, kind), thresholds_of.WARNING, start, warning.at))
                next_check = breach.at
            else:
                next_check = found[0].at
            rows.clocks.append((_clock_id(cid, kind), cid, kind, "running", limit, start, due_at, None, None,
                                next_check))

    def _limit(self, kind: str, class_code: str | None) -> int:
        if kind == "verification":
            return self.sop.clocks.verification_working_days
        if kind == "response":
            return self.sop.clocks.response_working_days
        return self.limits[class_code]


class _FactCounter:
    """Count a built complaint's indicator fact with the app's own ``indicators.compute_fact``."""

    # An open complaint just verified or acknowledged: no outcome, rating, finding or GESI data yet.
    NOTHING_YET = {"closure": None, "archive_reason": None, "gesi_gender": None, "gesi_disability": None,
                   "gesi_marginal_group": None, "rating": None, "finding": None, "substantiated": None,
                   "confirmation_started_at": None, **{f"failure_{name}": None for name in indicators.FAILURES}}

    def __init__(self, sop, units: dict[str, SimpleNamespace]):
        self.tz, self.places = ZoneInfo(sop.sop.timezone), indicators._Places(sop)
        by_id = {unit.id: unit for unit in units.values()}
        self.lineage = {None: dict.fromkeys(("unit_code", "unit_kind", "parent_code", "parent_kind", "grand_code",
                                             "grand_kind"))}
        for unit in units.values():
            parent = by_id.get(unit.parent_id)
            grand = by_id.get(parent.parent_id) if parent else None
            self.lineage[unit.id] = {"unit_code": unit.code, "unit_kind": unit.kind,
                                     "parent_code": parent and parent.code, "parent_kind": parent and parent.kind,
                                     "grand_code": grand and grand.code, "grand_kind": grand and grand.kind}

    def row(self, complaint: dict, statuses: dict[str, str]) -> tuple:
        """Return the fact row (``FACT_COLUMNS``) of ``complaint`` whose clocks have ``statuses``, none breached."""
        clocks = {}
        for kind in ("verification", "response", "resolution"):
            clocks[f"{kind}_status"], clocks[f"{kind}_breached"] = statuses.get(kind), False
        shaped = SimpleNamespace(**complaint, **self.lineage[complaint["unit_id"]], **self.NOTHING_YET, **clocks,
                                 verified=complaint["verified_at"] is not None)
        fact = indicators.compute_fact(shaped, self.tz, self.places, self._no_calendar)
        return (fact.complaint_id, *fact.keys, fact.resolve_days, *fact.counts)  # Fact.row()'s order

    @staticmethod
    def _no_calendar(moment: datetime):
        raise AssertionError("an open complaint has no days to resolve to count")


def _clock_id(complaint_id: int, kind: str) -> int:
    # Ids follow from the complaint's (three clocks, two events and one mark at most each), so chunks made in
    # different processes never collide.
    return (complaint_id - 1) * 3 + CLOCK_SLOTS[kind]


def _running(state: str) -> tuple[str, ...]:
    return {"received": ("verification",), "dispositioned": ("resolution", "response"),
            "in_progress": ("resolution",)}[state]


@cache
def _thresholds_cached(plan: _Plan, unit_id, kind: str, limit: int, day: date):
    unit = next((u for u in plan.units.values() if u.id == unit_id), None)
    calendar = plan.calendar(unit)
    start = datetime.combine(day, clock_time(8), calendar.tz).astimezone(UTC)
    record = ClockRecord(kind=kind, status="running", limit_working_days=limit, started_at=start,
                         due_at=calendar.deadline(start, limit))
    open_deadline = calendar.deadline(start, plan.sop.escalation.level2_open_working_days)
    return tuple(thresholds_of.thresholds(record, calendar, plan.policy, open_deadline))


def _thresholds(plan: _Plan, unit_id, kind: str, limit: int, day: date):
    return _thresholds_cached(plan, unit_id, kind, limit, day)


@cache
def _days(plan: _Plan, unit_id, running: tuple[str, ...], limits: tuple[int, ...], due_kind: str | None) -> list:
    """Return the start days on which the clocks are not due at NOW, except ``due_kind``, whose breach is."""
    found = []
    for day in plan.days[1:]:  # started before today
        fits = True
        for kind, limit in zip(running, limits, strict=True):
            times = {t.name: t.at for t in _thresholds(plan, unit_id, kind, limit, day)}
            if kind == due_kind:
                fits &= times[thresholds_of.BREACH] <= NOW < times[thresholds_of.LEVEL2]
            else:
                fits &= min(times.values()) > NOW
        if fits:
            found.append(day)
    return found


def _staff(units: dict[str, Unit]) -> int:
    """Create the regency's staff: a handler and a penghubung per OPD, a handler per service unit."""
    rows = [("admin1", "admin_instansi", "ORG"), ("admin2", "admin_instansi", "ORG"),
            ("koordinator1", "coordinator", "KLK"), ("koordinator2", "coordinator", "KLK"),
            ("inspektur1", "inspector", "INSP"), ("inspektur2", "inspector", "INSP"), ("bupati", "leader", "KLK")]
    for code, unit in sorted(units.items()):
        if unit.kind == "opd":
            rows += [(f"admin-{code.lower()}", "unit_admin", code), (f"penghubung-{code.lower()}", "penghubung", code)]
        elif unit.kind == "uppp":
            rows.append((f"admin-{code.lower()}", "unit_admin", code))
    db.session.execute(insert(User), [
        {"username": username, "full_name": username, "password_hash": "!bench", "role": role,
         "unit_id": units[code].id if code in units else None, "active": True, "created_at": NOW}
        for username, role, code in rows])
    db.session.commit()
    return len(rows)


def _writer():
    """Return write(table, columns, rows): COPY on PostgreSQL, batched inserts on SQLite."""
    if db.engine.dialect.name == "postgresql":
        def copy(table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
            if not rows:
                return
            json_at = columns.index("details") if "details" in columns else None
            cursor = db.session.connection().connection.driver_connection.cursor()
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copier:
                for row in rows:
                    if json_at is not None:
                        row = (*row[:json_at], json.dumps(row[json_at]), *row[json_at + 1:])
                    copier.write_row(row)
        return copy

    tables = {"complaints": Complaint, "clocks": Clock, "complaint_events": ComplaintEvent, "sla_marks": SlaMark,
              "indicator_facts": IndicatorFact}

    def insert_rows(table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        if rows:
            db.session.execute(insert(tables[table].__table__), [dict(zip(columns, row, strict=True))
                                                                 for row in rows])
    return insert_rows


def _create_database_if_missing(url: str) -> None:
    """Create the PostgreSQL database ``url`` names when it does not exist yet (SQLite creates its file)."""
    address = make_url(url)
    if not address.drivername.startswith("postgresql"):
        return
    import psycopg

    maintenance = address.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(maintenance, autocommit=True) as connection:
        if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (address.database,)).fetchone() is None:
            connection.execute(f'CREATE DATABASE "{address.database}"')


def _active_version():
    from workflow.services.sop import active_version

    return active_version()


def _analyze() -> None:
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()


if __name__ == "__main__":
    main()
