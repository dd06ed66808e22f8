"""Measure one SLA sweep over N open complaints of which a share is due.

    .venv/bin/python bench/sweep.py --open 100000 --due 0.01 --database sqlite:////tmp/bench.db
    .venv/bin/python bench/sweep.py --open 1000000 --database postgresql://postgres@127.0.0.1:5432/aduflow_bench

The database is emptied and rebuilt from the migrations. Rows are bulk-inserted (not through the
intake service) with a running verification clock each; the due share has its deadline in the past.
The script prints the time of the pass that handles the due clocks (warning and breach events,
escalation to level 1 with its audit events) and of a second pass that finds nothing due.
"""

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask_migrate import downgrade, upgrade
from sqlalchemy import func, insert, select

from config import database_url
from web import create_app
from web.cli import sweep_until_done
from workflow.db import db
from workflow.models import Clock, Complaint, ComplaintEvent
from workflow.services.calendars import calendar_for
from workflow.services.sop import load_sop_version, sop_of

NOW = datetime(2026, 4, 1, 2, 0, tzinfo=UTC)  # Wed 1 Apr 2026, 10:00 WITA
BATCH = 20_000


def main() -> None:
    """Build the data set, run the sweep twice and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--open", type=int, default=100_000, help="open complaints")
    parser.add_argument("--due", type=float, default=0.01, help="share of them due now")
    parser.add_argument("--database", default="sqlite:////tmp/aduflow-bench.db")
    parser.add_argument("--batch", type=int, default=500, help="clocks per sweep transaction")
    args = parser.parse_args()
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url(args.database), "FIXED_NOW": NOW})
    with app.app_context():
        started = time.perf_counter()
        downgrade(revision="base")
        upgrade()
        version = load_sop_version("klungkung")
        db.session.commit()
        build(args.open, args.due, version.id)
        built = time.perf_counter() - started
        print(f"{db.engine.dialect.name}: {args.open:,} open complaints, {args.due:.1%} due; built in {built:.0f} s")
        started = time.perf_counter()
        calendar_for(sop_of(version), None, NOW)
        print(f"  calendar (holidays of 5 years, once per process): {time.perf_counter() - started:.2f} s")
        for label in ("due pass", "second pass"):
            events_before = db.session.scalar(select(func.count(ComplaintEvent.id)))
            started = time.perf_counter()
            report = sweep_until_done(NOW, args.batch)
            elapsed = time.perf_counter() - started
            events = db.session.scalar(select(func.count(ComplaintEvent.id))) - events_before
            print(f"  {label}: {elapsed:.2f} s, clocks handled {report['clocks']:,}, audit events written {events:,}"
                  + (f", {report['clocks'] / elapsed:,.0f} clocks/s" if report["clocks"] else ""))


def build(count: int, due_share: float, sop_version_id: int) -> None:
    """Bulk-insert ``count`` received complaints with a running verification clock each."""
    every = max(1, round(1 / due_share)) if due_share else count + 1
    received = NOW - timedelta(days=1)
    first_id = (db.session.scalar(select(func.max(Complaint.id))) or 0) + 1
    for start in range(0, count, BATCH):
        ids = range(first_id + start, first_id + min(start + BATCH, count))
        db.session.execute(insert(Complaint), [
            {"id": i, "tracking_code": f"BEN-26-{i:08d}", "pin_hash": "0" * 64, "state": "received",
             "channel": "web", "title": f"Jalan berlubang nomor {i}", "description": "Lubang di jalan desa.",
             "category_code": "jalan-rusak", "sop_version_id": sop_version_id, "received_at": received,
             "created_at": received, "updated_at": received} for i in ids])
        db.session.execute(insert(Clock), [
            {"complaint_id": i, "kind": "verification", "status": "running", "limit_working_days": 3,
             "started_at": received - timedelta(days=6) if i % every == 0 else received,
             "due_at": NOW - timedelta(hours=2) if i % every == 0 else NOW + timedelta(days=3),
             "next_check_at": NOW - timedelta(hours=2) if i % every == 0 else NOW + timedelta(days=2)}
            for i in ids])
        db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE")


if __name__ == "__main__":
    main()
