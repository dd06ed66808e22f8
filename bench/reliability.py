"""Run the reliability scenarios of issue #9 on loopback and write the figures (JSON and docs/RELIABILITY.md).

    .venv/bin/python bench/reliability.py            # the bounded sizes of tests/reliability (a few minutes)
    .venv/bin/python bench/reliability.py --full     # 5,000 complaints by 50 clients, every fault at size

It drops and recreates the database ``--database`` (default ``aduflow_reliability`` on the local
PostgreSQL), migrates it, and runs real processes against it: gunicorn (sync workers), the outbox
worker, SLA sweeps, fake SMTP/SMS/LAPOR! services, and for the restart scenario a throwaway
PostgreSQL cluster of its own (the shared server is never restarted). Each scenario checks the
database and the fakes' receipts afterwards; the script exits 1 if any scenario found a problem.
The scenario code is shared with the bounded tests: ``tests/reliability/scenarios.py``.
"""

import argparse
import json
import logging
import os
import platform
import shlex
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from config import database_url  # noqa: E402
from tests.conftest import make_app  # noqa: E402
from tests.reliability import scenarios  # noqa: E402
from tests.reliability.harness import ThrowawayPostgres  # noqa: E402
from workflow.db import db  # noqa: E402

DEFAULT_DATABASE = "postgresql://postgres@127.0.0.1:5432/aduflow_reliability"
# (bounded = the tests' sizes, full = issue #9's); every scenario runs in both.
SIZES = {
    "bounded": {"load": (100, 10), "retries": (30, 10), "worker_kill": (600, 10), "gateways_down": (20, 5),
                "hub_down": (4, 3), "sweep_killed": (20, 1), "postgres_restart": (30, 10),
                "two_machines": (60, 10, 10)},
    "full": {"load": (5000, 50), "retries": (1000, 50), "worker_kill": (1000, 20), "gateways_down": (500, 20),
             "hub_down": (50, 20), "sweep_killed": (1000, 25), "postgres_restart": (1000, 20),
             "two_machines": (2000, 500, 40)},
}
PACKAGES = ("gunicorn", "Flask", "SQLAlchemy", "psycopg", "httpx")
SCENARIOS = ("load", "retries", "worker_kill", "gateways_down", "hub_down", "sweep_killed", "postgres_restart",
             "two_machines")


def main() -> int:
    """Run the chosen scenarios, write the JSON and the Markdown report, return 1 if any found a problem."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="issue #9's sizes (5,000 × 50 …) instead of the tests'")
    parser.add_argument("--database", default=DEFAULT_DATABASE, help="PostgreSQL URL; dropped and recreated")
    parser.add_argument("--only", help=f"comma list of scenarios ({', '.join(SCENARIOS)})")
    parser.add_argument("--json", default=str(ROOT / "bench" / "out" / "reliability.json"))
    parser.add_argument("--doc", default=str(ROOT / "docs" / "RELIABILITY.md"), help="Markdown report ('' for none)")
    parser.add_argument("--render", action="store_true", help="only rewrite --doc from the figures in --json")
    args = parser.parse_args()
    if args.render:
        Path(args.doc).write_text(markdown(json.loads(Path(args.json).read_text())))
        return 0
    # A SIGTERM (a CI timeout) must run the teardown that stops every process started here.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the fakes' request lines
    chosen = args.only.split(",") if args.only else list(SCENARIOS)
    sizes = SIZES["full" if args.full else "bounded"]
    command = " ".join(shlex.quote(part) for part in [".venv/bin/python", "bench/reliability.py", *sys.argv[1:]])
    report = {"command": command, "mode": "full" if args.full else "bounded", "started_at": _now(),
              "machine": machine(), "versions": versions(args.database), "scenarios": {}}
    started = time.perf_counter()
    recreate(args.database)
    with scenarios.open_world(args.database) as world:
        single = [name for name in chosen if name in ("load", "retries", "worker_kill", "gateways_down", "hub_down",
                                                      "sweep_killed")]
        if single:
            with world.stack() as stack:
                server = stack.app("web", workers=2)
                stack.outbox()
                runs = {
                    "load": lambda: scenarios.load_without_loss(world, [server.url], *sizes["load"]),
                    "retries": lambda: scenarios.idempotent_retries(world, [server.url], *sizes["retries"]),
                    "worker_kill": lambda: scenarios.worker_killed(world, server, *sizes["worker_kill"]),
                    "gateways_down": lambda: scenarios.gateways_down(world, [server.url], *sizes["gateways_down"]),
                    "hub_down": lambda: scenarios.hub_down(world, stack, server, *sizes["hub_down"]),
                    "sweep_killed": lambda: scenarios.sweep_killed(world, stack, server, *sizes["sweep_killed"]),
                }
                for name in single:
                    report["scenarios"][name] = timed(name, runs[name], sizes[name])
        if "two_machines" in chosen:
            report["scenarios"]["two_machines"] = timed(
                "two_machines", lambda: scenarios.two_machines(world, *sizes["two_machines"]), sizes["two_machines"])
    if "postgres_restart" in chosen:
        if (missing := ThrowawayPostgres.available()) is not None:
            report["scenarios"]["postgres_restart"] = {"skipped": missing, "problems": []}
        else:
            report["scenarios"]["postgres_restart"] = timed(
                "postgres_restart", lambda: scenarios.postgres_restarted(*sizes["postgres_restart"]),
                sizes["postgres_restart"])
    report["seconds"] = round(time.perf_counter() - started, 1)
    report["finished_at"] = _now()
    report["load_average_after"] = os.getloadavg()
    report["problems"] = {name: outcome["problems"] for name, outcome in report["scenarios"].items()
                          if outcome["problems"]}
    security = ROOT / "bench" / "out" / "security.json"
    if security.exists():
        report["security"] = json.loads(security.read_text())
    suite = ROOT / "bench" / "out" / "security-suite.xml"
    if suite.exists():
        report["security_suite"] = _junit_totals(suite)
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(report, indent=2, default=str) + "\n")
    if args.doc:
        Path(args.doc).write_text(markdown(report))
    print(f"{'PROBLEMS' if report['problems'] else 'OK'}: {len(report['scenarios'])} scenarios in "
          f"{report['seconds']:.0f} s; figures in {args.json}" + (f" and {args.doc}" if args.doc else ""))
    for name, problems in report["problems"].items():
        print(f"  {name}: {problems}")
    return 1 if report["problems"] else 0


def timed(name: str, run, size) -> dict:
    """Run one scenario, print a line about it, and return its outcome with its size and duration."""
    print(f"{name} {size} …", flush=True)
    started = time.perf_counter()
    try:
        outcome = run()
    except AssertionError as error:  # a readiness or assumption failure is a finding too
        outcome = {"problems": [f"{type(error).__name__}: {error}"]}
    outcome["size"], outcome["seconds"] = size, round(time.perf_counter() - started, 1)
    print(f"  {'ok' if not outcome['problems'] else outcome['problems']} ({outcome['seconds']} s)", flush=True)
    return outcome


def recreate(url: str) -> None:
    """Drop and create the database at ``url`` and migrate it."""
    server_url, _, name = database_url(url).rpartition("/")
    engine = create_engine(f"{server_url}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    app = make_app(url)
    with app.app_context():
        upgrade()
        db.engine.dispose()


def machine() -> dict:
    """Return what the figures were measured on."""
    cpu = next((line.split(":", 1)[1].strip() for line in _read("/proc/cpuinfo").splitlines()
                if line.startswith("model name")), platform.processor())
    memory = next((line.split(":", 1)[1].strip() for line in _read("/proc/meminfo").splitlines()
                   if line.startswith("MemTotal")), "")
    return {"cpus": os.cpu_count(), "cpu": cpu, "memory": memory, "platform": platform.platform(),
            "load_average_before": os.getloadavg()}


def versions(url: str) -> dict:
    """Return the versions of Python, PostgreSQL and the packages that matter here, and the code's commit."""
    engine = create_engine(database_url(url.rpartition("/")[0] + "/postgres"))
    with engine.connect() as connection:
        server = connection.scalar(text("SHOW server_version"))
    engine.dispose()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                           text=True)
    if commit.returncode != 0:
        return {"python": platform.python_version(), "postgresql": server,
                **{name: metadata.version(name) for name in PACKAGES}, "commit": "not a git checkout"}
    return {"python": platform.python_version(), "postgresql": server,
            **{name: metadata.version(name) for name in PACKAGES},
            "commit": commit.stdout.strip() + (" + uncommitted changes" if dirty.stdout.strip() else "")}


def markdown(report: dict) -> str:
    """Return docs/RELIABILITY.md for ``report``."""
    s = report["scenarios"]
    lines = [
        "# Reliability: load held, faults survived, nothing lost",
        "",
        "Issue #9: complaints are legal records with deadlines; losing one is the worst thing this product can do.",
        "This page is written by `bench/reliability.py` (do not edit it by hand); the same scenarios run small in",
        "CI as `tests/reliability/` (PostgreSQL only). Every figure below is checked, not estimated: after each",
        "scenario the database is compared with what every client was told, and the fake SMS gateway, mail",
        "server and LAPOR! hub are asked what they received.",
        "",
        "**Result: " + ("problems found (see below)" if report["problems"]
                        else "nothing lost, nothing doubled, nothing half-applied") + ".**",
        "",
        f"- Command: `{report['command']}` ({report['mode']} sizes; `make reliability` runs the full version)",
        f"- Run: {report['started_at']} → {report['finished_at']}, {report['seconds']:.0f} s",
        f"- Machine: {report['machine']['cpus']} × {report['machine']['cpu']}, {report['machine']['memory']}, "
        f"{report['machine']['platform']}; load average before {_load(report['machine']['load_average_before'])}, "
        f"after {_load(report['load_average_after'])} (a shared machine: durations are noisy, counts are not)",
        "- Versions: " + ", ".join(f"{k} {v}" for k, v in report["versions"].items()),
        "- Processes: gunicorn `wsgi:app` with 2 sync workers (`ADUFLOW_ENV=production`), `flask outbox deliver "
        "--every 1`, `flask sla sweep`, fakes on loopback; rate limits off for the load (`RATELIMIT_ENABLED=0`: "
        "every client files from 127.0.0.1), outbox back-off 1–2 s instead of minutes",
        "",
        "## Filings: acknowledged, found, exactly once",
        "",
        "Every filing carries an `Idempotency-Key`; a client that gets no answer (a timeout, a dropped connection,",
        "a 5xx) asks again with the same key until it gets one. *Found* counts complaints in the database by the key",
        "written into each one's text (independently of the idempotency table); *half-applied* counts complaints",
        "missing their filing audit event, clock-start event, verification clock or any of their messages (SMS,",
        "e-mail when given, the administrator's in-app notice).",
        "",
        "| scenario | size | filings | acknowledged | found | duplicates | lost | untold | half-applied | requests "
        "| retries | client timeouts | dropped connections | 5xx | filings/s | s |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    for name, outcome in s.items():
        for label, part in _parts(name, outcome):
            load, database = part.get("load"), part.get("database")
            if not load:
                continue
            lines.append(
                f"| {label} | {_size(name, outcome)} | {load['filings']:,} | {database['acknowledged']:,} | "
                f"{database['found']:,} | {database['duplicates']} | {database['lost']} | {database['untold']} | "
                f"{database['half_applied']} | {load['requests']:,} | {load['retries']:,} | "
                f"{load['client_timeouts']:,} | {load['dropped_connections']} | {_fives(load)} | "
                f"{load['filings_per_second']} | {load['seconds']} |")
    lines += [
        "",
        "## Messages: delivered, and kept once by the receiver",
        "",
        "The outbox worker sends each message with its key; the fake SMS gateway and LAPOR! hub keep one message",
        "per key, and a check also looks for the same number and text kept under two keys. E-mail has no key in",
        "SMTP: a worker that loses the database after the server accepted a message marks it once the database is",
        "back; only a worker killed between the acceptance and its commit sends it again, with the same `Message-ID`",
        "(counted as *e-mail resent, same Message-ID*; allowed only where a fault could cause it).",
        "",
        "| scenario | messages | delivered | SMS kept once | e-mails received once | e-mail resent, same Message-ID "
        "| in-app notices once | LAPOR! transfers once | messages retried | wait after load, s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, outcome in s.items():
        for label, part in _parts(name, outcome):
            d = part.get("delivery")
            if not d:
                continue
            lines.append(
                f"| {label} | {d['messages']:,} | {d['delivered']:,} | {d['sms_kept_once']:,} | "
                f"{d['emails_received_once']:,} | {d['emails_resent_same_message_id']} | {d['inapp_notices_once']:,} | "
                f"{d.get('hub_transfers_once', '–')} | {d['retried_messages']:,} | {d['seconds_waited_after_load']} |")
    lines += ["", "## Faults and their outcome", ""]
    lines += [f"- **{FAULTS[name]}** ({_size(name, outcome)}): {_fault_line(name, outcome)}"
              for name, outcome in s.items() if name in FAULTS]
    sweep = s.get("sweep_killed", {}).get("sweep")
    if sweep:
        lines += ["", f"Sweep after the kill and the second pass: {sweep['swept_complaints']:,} complaints with each "
                      f"sweep event exactly once ({sweep['sweep_events']:,} events, {sweep['marks']:,} marks), "
                      f"{sweep['doubled']} doubled, {sweep['missing']} missing."]
    audits = [part["audit"]["audit_events_verified"] for name, outcome in s.items()
              for _, part in _parts(name, outcome) if part.get("audit")]
    if audits:
        lines += ["", f"The audit trail's hash chains were recomputed after every scenario (`flask audit verify`): "
                      f"intact each time (last check: {max(audits):,} events)."]
    lines += ["", "## Bad inputs", ""]
    if "security_suite" in report:
        suite = report["security_suite"]
        lines += [f"The security tests in full (`SECURITY_FULL=1 pytest tests/security`: every role on every page, "
                  f"every hostile input on every form): {suite['tests']:,} tests, {suite['failures']} failed, "
                  f"{suite['errors']} errors, {suite['skipped']} skipped, {suite['seconds']:.0f} s.", ""]
    if "security" in report:
        lines += _security_lines(report["security"])
    else:
        lines += ["Bad and hostile inputs (malformed JSON, oversized and NUL-laden fields, forged tokens, path and",
                  "header tricks) are tried by the security tests: see `tests/security/`. When they write",
                  "`bench/out/security.json`, this section shows its figures."]
    if report["problems"]:
        lines += ["", "## Problems found", ""]
        lines += [f"- {name}: {problem}" for name, problems in report["problems"].items() for problem in problems]
    lines += ["", "## Reproduce", "", "```sh",
              "make reliability                      # the full run; rewrites this page",
              ".venv/bin/python bench/reliability.py  # the bounded sizes, as in CI",
              "TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/aduflow_test .venv/bin/python -m pytest "
              "tests/reliability", "```", "",
              "Raw figures: `bench/out/reliability.json`. Scenario code: `tests/reliability/scenarios.py`; processes",
              "and the throwaway PostgreSQL: `tests/reliability/harness.py`; checks: `tests/reliability/checks.py`.",
              ""]
    return "\n".join(lines)


def _junit_totals(path: Path) -> dict:
    """Return the totals of a pytest ``--junitxml`` report: tests, failures, errors, skipped, seconds."""
    from xml.etree import ElementTree

    suite = ElementTree.parse(path).getroot()  # our own pytest report, written by `make reliability`
    suite = suite.find("testsuite") if suite.tag == "testsuites" else suite
    return {"tests": int(suite.get("tests", 0)), "failures": int(suite.get("failures", 0)),
            "errors": int(suite.get("errors", 0)), "skipped": int(suite.get("skipped", 0)),
            "seconds": float(suite.get("time", 0))}


def _security_lines(security: dict) -> list[str]:
    # bench/fuzz.py's report: one section per surface with cases, answers by status and failures by kind.
    lines = [f"From `bench/out/security.json` (`bench/fuzz.py`, seed {security.get('seed')}, "
             f"{security.get('database')}); what each answer was checked for is in `tests/security/`.", "",
             "| surface | cases | answers by status | 5xx | failures | s |", "|---|---:|---|---:|---|---:|"]
    for surface, figures in security.items():
        if not isinstance(figures, dict) or "cases" not in figures:
            continue
        statuses = figures.get("statuses", {})
        fives = sum(n for status, n in statuses.items() if str(status).startswith("5"))
        failures = ", ".join(f"{n} × {kind}" for kind, n in figures.get("failures_by_kind", {}).items()) or "none"
        lines.append(f"| {surface} | {figures['cases']:,} | "
                     + ", ".join(f"{n:,} × {status}" for status, n in sorted(statuses.items()))
                     + f" | {fives} | {failures} | {figures.get('seconds', '')} |")
    return lines


FAULTS = {
    "worker_kill": "A gunicorn worker SIGKILLed mid-request",
    "postgres_restart": "PostgreSQL restarted during the run (`pg_ctl restart -m immediate`, a throwaway cluster)",
    "gateways_down": "SMS gateway and mail server down while complaints are filed",
    "hub_down": "SP4N-LAPOR! hub down during transfers and pulls",
    "sweep_killed": "An SLA sweep SIGKILLed mid-pass, then run again",
    "two_machines": "Two app servers, two sweeps and two outbox workers on one database",
    "retries": "Clients time out after 20 ms and retry with the same Idempotency-Key",
}


def _fault_line(name: str, outcome: dict) -> str:
    if "skipped" in outcome:
        return f"skipped: {outcome['skipped']}"
    verdict = "survived, nothing lost" if not outcome["problems"] else f"PROBLEMS: {outcome['problems']}"
    f = outcome.get("fault", {})
    details = {
        "worker_kill": lambda: f"{f['workers_killed']} worker(s) killed, {f['requests_lost_in_flight']} request(s) "
                               f"lost in flight and retried, {f['workers_after']} workers serving afterwards",
        "postgres_restart": lambda: f"restart took {f['restart_seconds']} s; answers meanwhile "
                                    f"{_fives({'server_errors_5xx': f['answers_5xx_during_restart']})} "
                                    f"(503 with Retry-After, each retried); "
                                    f"workers alive afterwards: {', '.join(f['workers_alive_after'])}",
        "gateways_down": lambda: f"{f['messages_retried_during_outage']} messages failed during the outage and were "
                                 f"retried; all delivered {f['delivered_after_seconds']} s after the gateways returned",
        "hub_down": lambda: f"{f['transfers']} transfers ({f['transfer_attempts_during_outage']} retried during the "
                            f"outage, {f['hub_transfer_requests']} requests, {f['hub_transfers_kept']} kept by the "
                            f"hub); "
                            f"a pull while down exited {f['pull_while_down_exit']}; {f['reports_imported_once']} of "
                            f"{f['reports_in_hub']} hub reports imported exactly once (`{f['pull_after']}`)",
        "sweep_killed": lambda: f"{f['due_clocks']:,} due clocks, batch {f['batch']}: killed after "
                                f"{f['marks_when_killed']:,} of {f['marks_expected']:,} marks; second pass "
                                f"`{f['second_pass']}`",
        "two_machines": lambda: f"{f['sms_requests']:,} SMS requests for {f['sms_messages']:,} messages (none sent "
                                f"twice); "
                                f"work split {json.dumps(outcome.get('work_split', {}))}",
        "retries": lambda: f"{outcome['load']['client_timeouts']:,} client timeouts, "
                           f"{outcome['load']['replayed_200']:,} answered by replay (200), one complaint per key",
    }
    try:
        return f"{verdict}; {details[name]()}"
    except KeyError:
        return verdict


def _parts(name: str, outcome: dict) -> list[tuple[str, dict]]:
    if name == "two_machines" and "public" in outcome:
        return [("two_machines: citizens", outcome["public"]), ("two_machines: overdue, swept", outcome["overdue"])]
    return [(name, outcome)]


SIZE_NAMES = {"load": ("complaints", "clients"), "retries": ("complaints", "clients"),
              "worker_kill": ("complaints", "clients"), "gateways_down": ("complaints", "clients"),
              "hub_down": ("transfers", "hub reports"), "sweep_killed": ("due clocks", "per batch"),
              "postgres_restart": ("complaints", "clients"),
              "two_machines": ("complaints", "overdue complaints", "clients")}


def _size(name: str, outcome: dict) -> str:
    return ", ".join(f"{n:,} {label}" for n, label in zip(outcome.get("size", ()), SIZE_NAMES[name], strict=False))


def _fives(load: dict) -> str:
    return ", ".join(f"{n} × {status}" for status, n in load["server_errors_5xx"].items()) or "0"


def _load(values) -> str:
    return " / ".join(f"{v:.1f}" for v in values)


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


if __name__ == "__main__":
    sys.exit(main())
