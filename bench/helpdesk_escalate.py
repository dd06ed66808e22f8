"""django-helpdesk's ``escalate_tickets`` over N open tickets with a share due: the peer of Aduflow's SLA sweep.

    .venv/bin/python bench/helpdesk_escalate.py                      # 100,000 open tickets, 1 % due, PostgreSQL
    .venv/bin/python bench/helpdesk_escalate.py --open 1000 --json /tmp/escalate.json   # a quick run

django-helpdesk 2.6.1 runs in its own venv (``.venv-helpdesk``, created from bench/helpdesk/requirements.txt
when missing) on its own fresh PostgreSQL database (over the Unix socket by default). The tickets are
bulk-created (``manage.py bench_tickets``: one queue with ``escalate_days = 3``; the due ones created 30
days ago, the others an hour ago). Then, each timed as a whole process:

1. ``manage.py bench_noop`` — Django's start-up alone (settings, apps, a management command);
2. ``manage.py escalate_tickets`` — the escalation pass over the due tickets (mail rendered, not sent);
3. ``manage.py escalate_tickets`` again — nothing is due any more: the cost of finding that out.

The run checks that exactly the due tickets were escalated (priority lowered, one follow-up each) and
writes the figures to ``--json`` (default ``bench/out/helpdesk_escalate.json``).
"""

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from intake import DEFAULT_PG_URL, HELPDESK_DIR, HELPDESK_VENV, ensure_helpdesk_venv

BENCH = Path(__file__).resolve().parent


def main() -> int:
    """Build the tickets, time the commands, check the result, write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--open", type=int, default=100_000, help="open tickets (default 100,000)")
    parser.add_argument("--due-percent", type=float, default=1.0, help="share due for escalation (default 1)")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", DEFAULT_PG_URL),
                        help="PostgreSQL maintenance URL; the bench database is created beside it")
    parser.add_argument("--db-prefix", default="bench_escalate", help="prefix of the database (default bench_escalate)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--json", default=str(BENCH / "out" / "helpdesk_escalate.json"))
    args = parser.parse_args()
    ensure_helpdesk_venv()
    import psycopg

    name = f"{args.db_prefix}_helpdesk"
    url = urlunsplit(urlsplit(args.pg_url)._replace(path=f"/{name}"))
    with psycopg.connect(args.pg_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    env = {**os.environ, "HELPDESK_DATABASE_URL": url}
    try:
        manage("migrate", "-v0", env=env)
        manage("bench_setup", env=env)
        started = time.perf_counter()
        due = int(manage("bench_tickets", f"--open={args.open}", f"--due-percent={args.due_percent}",
                         env=env).strip().splitlines()[-1])
        built = time.perf_counter() - started
        print(f"{args.open:,} open tickets, {due:,} due; built in {built:.1f} s", flush=True)
        startup = timed("bench_noop", env=env)
        print(f"  {'Django start-up (manage.py bench_noop):':50s} {startup:6.2f} s", flush=True)
        escalate = timed("escalate_tickets", env=env)
        label = f"manage.py escalate_tickets ({due:,} due):"
        print(f"  {label:50s} {escalate:6.2f} s", flush=True)
        with psycopg.connect(url) as connection:
            escalated = connection.execute("SELECT count(*) FROM helpdesk_ticket WHERE priority = 2").fetchone()[0]
            followups = connection.execute("SELECT count(*) FROM helpdesk_followup").fetchone()[0]
        again = timed("escalate_tickets", env=env)
        print(f"  {'manage.py escalate_tickets again (nothing due):':50s} {again:6.2f} s", flush=True)
    finally:
        if not args.keep:
            with psycopg.connect(args.pg_url, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    versions = subprocess.run([str(HELPDESK_VENV / "bin" / "python"), "-c",
                               "from importlib.metadata import version as v; print(v('Django'), v('django-helpdesk'))"],
                              capture_output=True, text=True).stdout.split()
    ok = escalated == due and followups == due
    result = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "open": args.open, "due_percent": args.due_percent, "due": due, "build_seconds": round(built, 2),
        "django_startup_seconds": round(startup, 3),
        "escalate_seconds": round(escalate, 3),
        "escalate_minus_startup_seconds": round(escalate - startup, 3),
        "per_escalated_ticket_ms": round(1000 * (escalate - startup) / due, 2) if due else None,
        "escalate_nothing_due_seconds": round(again, 3),
        "check": {"escalated": escalated, "followups": followups, "ok": ok},
        "versions": {"django": versions[0] if versions else None,
                     "django_helpdesk": versions[1] if len(versions) > 1 else None},
        "commands": {"build": f"manage.py bench_tickets --open={args.open} --due-percent={args.due_percent}",
                     "startup": "manage.py bench_noop", "escalate": "manage.py escalate_tickets",
                     "database": "PostgreSQL (HELPDESK_DATABASE_URL), a fresh database per run"},
        "machine": {"cpus": os.cpu_count(), "loadavg": os.getloadavg()},
    }
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")
    if not ok:
        print(f"CHECK FAILED: {escalated} tickets escalated and {followups} follow-ups, expected {due}",
              file=sys.stderr)
        return 1
    return 0


def manage(*arguments: str, env: dict) -> str:
    """Run ``manage.py`` in the peer's venv; return its output or stop with it."""
    done = subprocess.run([str(HELPDESK_VENV / "bin" / "python"), "manage.py", *arguments], cwd=HELPDESK_DIR, env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(arguments)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def timed(*arguments: str, env: dict) -> float:
    """Return how long ``manage.py`` with ``arguments`` takes, process start to exit."""
    started = time.perf_counter()
    manage(*arguments, env=env)
    return time.perf_counter() - started


if __name__ == "__main__":
    sys.exit(main())
