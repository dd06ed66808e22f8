"""Intake over HTTP: Aduflow's POST /api/v1/complaints beside the stack's limit and django-helpdesk, interleaved.

    .venv/bin/python bench/intake.py                                  # PostgreSQL 3 × 10 s, then SQLite 1 × 10 s
    .venv/bin/python bench/intake.py --rounds 5 --seconds 15 --json bench/out/intake.json
    .venv/bin/python bench/intake.py --backends sqlite --rounds 1 --seconds 1 --skip-helpdesk   # a smoke run

Contenders, each under gunicorn with the same settings (``--workers 2 --worker-class sync``, loopback):

* ``aduflow``  — ``wsgi:app`` with ``ADUFLOW_ENV=production``, on a fresh database migrated with the
  Klungkung SOP loaded and a regency's staff accounts (three administrators, so filing queues their in-app
  notices, and two handlers and a penghubung per unit, coordinators, inspectors and leaders: about 180);
* ``bare``     — ``bench/bare_app.py``: Flask + Flask-SQLAlchemy inserting one complaint row and one audit
  row in one commit (the stack's limit); its ``GET /hello`` is the HTTP ceiling (``hello``);
* ``helpdesk`` — django-helpdesk 2.6.1's public submit form (``bench/helpdesk``, its own venv
  ``.venv-helpdesk``, created when missing), the CSRF cookie fetched once and sent as cookie and field.

Each is driven by ``wrk -t1 -c4 --latency`` with a Lua script from ``bench/wrk`` (every body distinct),
in interleaved rounds (aduflow, bare, helpdesk, hello, then the commit rate; again …). The scripts stop
sending after ``--seconds`` and end wrk once every request sent is answered, so the rate is completed
responses over the time from the first send to the last answer and the database can be checked against
wrk's count exactly. The commit rate is one process doing single-row INSERT + COMMIT with psycopg
(PostgreSQL) or sqlite3 (SQLite, WAL). The physical ceiling of an intake request is taken as
``1 / (1/hello + 1/commit_rate)``: one HTTP round trip plus one durable commit, nothing else.

Afterwards: each gunicorn worker's peak RSS (``VmHWM``), and the count check (Aduflow's complaints,
the bare rows and the peer's tickets equal the 2xx/3xx answers wrk counted). Any error answer, socket
error, unanswered request or count mismatch is printed loudly and makes the exit status 1. Results go
to ``--json`` (default ``bench/out/intake.json``) with the commands and the versions.
"""

import argparse
import json
import os
import platform
import re
import secrets
import shlex
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from http.cookiejar import CookieJar
from importlib import metadata
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
WRK_DIR = BENCH / "wrk"
HELPDESK_DIR = BENCH / "helpdesk"
HELPDESK_VENV = ROOT / ".venv-helpdesk"
VENV_BIN = Path(sys.executable).parent
DEFAULT_PG_URL = "postgresql://postgres@/postgres?host=/var/run/postgresql"
CONTENDERS = ("aduflow", "bare", "helpdesk", "hello")
TARGETS = {"aduflow_over_bare": 0.8, "aduflow_over_helpdesk": 3.0}
WORKERS = 2
CONNECTIONS = 4
SECRET_KEY = "bench-intake-" + secrets.token_hex(16)
ADMIN = ("benchadmin", "bench-admin-pass-2026")
# Staff accounts besides the units' handlers and penghubung (two and one per unit), as a regency has them.
STAFF_WITHOUT_UNIT = {"admin_instansi": 2, "coordinator": 5, "inspector": 5, "leader": 3, "sysadmin": 1}
FILING_LIMIT = "1000000 per minute"


class BenchError(Exception):
    """Something the run cannot go on without (a server that does not start, a setup step that fails)."""


def main() -> int:
    """Parse the options, run every backend and report; return the exit status."""
    args = _options()
    if args.setup_aduflow:
        return _setup_aduflow()
    if not _which("wrk"):
        print("wrk is not installed (Debian: apt-get install wrk)", file=sys.stderr)
        return 2
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = [b for b in backends if b not in ("postgresql", "sqlite")]
    if unknown:
        print(f"unknown backend(s): {', '.join(unknown)}", file=sys.stderr)
        return 2
    workdir = Path(args.workdir or BENCH / "out" / "intake-work").resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    if not args.skip_helpdesk:
        ensure_helpdesk_venv()
    result = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "loadavg_before": os.getloadavg()},
        "settings": {"rounds": args.rounds, "sqlite_rounds": args.sqlite_rounds, "seconds": args.seconds,
                     "warmup_seconds": args.warmup, "connections": CONNECTIONS, "threads": 1,
                     "gunicorn_workers": WORKERS, "order": [c for c in CONTENDERS
                                                             if c != "helpdesk" or not args.skip_helpdesk]},
        "ceiling_formula": "ceiling = 1 / (1/hello_rps + 1/commit_rate); share = aduflow_rps / ceiling",
        "targets": TARGETS,
        "versions": _versions(args),
        "commands": {
            "wrk": f"wrk -t1 -c{CONNECTIONS} -d<seconds + grace>s --latency -s bench/wrk/<script>.lua <url> "
                   "(env BENCH_SECONDS=<seconds>: the script stops sending then and ends wrk at the last answer)",
            "gunicorn": _gunicorn_args("<app>", 0),
            "aduflow_env": "ADUFLOW_ENV=production SECRET_KEY=<random> SESSION_COOKIE_SECURE=0 DATABASE_URL=<url> "
                           "RATELIMIT_ENABLED=1 RATELIMIT_STORAGE_URI=memory:// "
                           f"PUBLIC_FILING_RATE_LIMIT='{FILING_LIMIT}'",
            "aduflow_setup": "flask_migrate.upgrade('heads'); load_sop_version('klungkung'); "
                             "create_user('benchadmin', 'admin_instansi') (app code, bench/intake.py --setup-aduflow)",
            "bare_setup": "python bench/bare_app.py init",
            "helpdesk_setup": "manage.py migrate; manage.py bench_setup (one public queue, escalate_days=3)",
            "this": " ".join(shlex.quote(a) for a in sys.argv),
        },
        "backends": {},
    }
    failures = []
    for backend in backends:
        rounds = args.rounds if backend == "postgresql" or len(backends) == 1 else args.sqlite_rounds
        print(f"\n=== {backend}: {rounds} round(s) × {args.seconds:g} s, wrk -t1 -c{CONNECTIONS}, "
              f"gunicorn {WORKERS} sync workers ===", flush=True)
        section = _run_backend(backend, rounds, args, workdir)
        result["backends"][backend] = section
        failures += [f"{backend}: {problem}" for problem in section["errors"]]
        _print_section(backend, section)
    result["machine"]["loadavg_after"] = os.getloadavg()
    result["errors"] = failures
    result["ok"] = not failures
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwrote {out}")
    if failures:
        print("\n" + "!" * 78, file=sys.stderr)
        print("INTAKE BENCH FAILED — errors during the run:", file=sys.stderr)
        for problem in failures:
            print(f"  * {problem}", file=sys.stderr)
        print("!" * 78, file=sys.stderr)
        return 1
    return 0


def _options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", default="postgresql,sqlite",
                        help="comma list of postgresql, sqlite (default both; SQLite is the smaller section)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--sqlite-rounds", type=int, default=1,
                        help="rounds of the SQLite section when PostgreSQL runs too (default 1)")
    parser.add_argument("--seconds", type=float, default=10, help="seconds of load per wrk run (default 10)")
    parser.add_argument("--warmup", type=float, default=2,
                        help="seconds of load per contender before the rounds, not reported (default 2)")
    parser.add_argument("--grace", type=float, default=30,
                        help="wrk's -d beyond --seconds; the scripts end wrk as soon as all is answered")
    parser.add_argument("--commit-seconds", type=float, default=None,
                        help="seconds of the raw commit-rate loop per round (default: --seconds, at most 5)")
    parser.add_argument("--skip-helpdesk", action="store_true", help="leave django-helpdesk out")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", DEFAULT_PG_URL),
                        help="PostgreSQL maintenance URL; the bench databases are created beside it "
                             f"(default {DEFAULT_PG_URL}, the Unix socket)")
    parser.add_argument("--db-prefix", default="bench_intake",
                        help="prefix of the databases created and dropped (default bench_intake)")
    parser.add_argument("--keep", action="store_true", help="keep the bench databases and files afterwards")
    parser.add_argument("--workdir", default=None, help="SQLite files and server logs (default bench/out/intake-work)")
    parser.add_argument("--json", default=str(BENCH / "out" / "intake.json"), help="where to write the results")
    parser.add_argument("--setup-aduflow", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args()


# --- one backend ---------------------------------------------------------------------------------------

def _run_backend(backend: str, rounds: int, args: argparse.Namespace, workdir: Path) -> dict:
    contenders = [c for c in CONTENDERS if c != "helpdesk" or not args.skip_helpdesk]
    urls = _database_urls(backend, args, workdir, contenders)
    section = {"database_urls": urls, "runs": [], "commit_rate": {"runs": []}, "contenders": {},
               "ratios": {}, "count_check": {}, "rss": {}, "errors": []}
    servers: dict[str, Server] = {}
    try:
        _create_databases(backend, urls, args)
        queue = _prepare(backend, urls, contenders)
        ports = _free_ports(3)
        servers["aduflow"] = Server("aduflow", ["wsgi:app"], ports[0], ROOT, _aduflow_env(urls["aduflow"]),
                                    workdir, VENV_BIN / "gunicorn", "/api/v1/sop")
        servers["bare"] = Server("bare", ["bench.bare_app:app"], ports[1], ROOT, _env(DATABASE_URL=urls["bare"]),
                                 workdir, VENV_BIN / "gunicorn", "/hello")
        if "helpdesk" in contenders:
            servers["helpdesk"] = Server("helpdesk", ["hdbench.wsgi:application"], ports[2], HELPDESK_DIR,
                                         _env(HELPDESK_DATABASE_URL=urls["helpdesk"]), workdir,
                                         HELPDESK_VENV / "bin" / "gunicorn", "/tickets/submit/")
        for server in servers.values():
            server.start()
        for server in servers.values():
            server.wait_ready()
        targets = {
            "aduflow": (servers["aduflow"].url("/api/v1/complaints"), "post_json.lua", {}),
            "bare": (servers["bare"].url("/complaints"), "post_json.lua", {}),
            "hello": (servers["bare"].url("/hello"), "hello.lua", {}),
        }
        if "helpdesk" in servers:
            csrf = _csrf_cookie(servers["helpdesk"].url("/tickets/submit/"))
            targets["helpdesk"] = (servers["helpdesk"].url("/tickets/submit/"), "helpdesk_form.lua",
                                   {"BENCH_CSRF": csrf, "BENCH_QUEUE": queue})
        answered = dict.fromkeys(contenders, 0)
        if args.warmup > 0:
            for name in contenders:
                run = _wrk(targets[name], args.warmup, args.grace, f"{backend[:2]}w{name[:2]}")
                answered[name] += run["ok"]
                section["errors"] += [f"warm-up {name}: {p}" for p in run["problems"]]
        commit_seconds = args.commit_seconds if args.commit_seconds is not None else min(args.seconds, 5)
        for number in range(1, rounds + 1):
            for name in contenders:
                run = _wrk(targets[name], args.seconds, args.grace, f"{backend[:2]}{number}{name[:2]}")
                run.update(round=number, contender=name)
                section["runs"].append(run)
                answered[name] += run["ok"]
                section["errors"] += [f"round {number} {name}: {p}" for p in run["problems"]]
                print(f"  round {number} {name:9s} {run['rps']:8.1f} req/s  p50 {run['p50_ms']:7.2f} ms  "
                      f"p99 {run['p99_ms']:7.2f} ms  ({run['ok']} answered"
                      f"{', ' + str(len(run['problems'])) + ' PROBLEM(S)' if run['problems'] else ''})", flush=True)
            rate = _commit_rate(backend, urls, commit_seconds)
            rate["round"] = number
            section["commit_rate"]["runs"].append(rate)
            print(f"  round {number} commit    {rate['rate']:8.1f} tx/s (one process, single-row INSERT + COMMIT)",
                  flush=True)
        for name, server in servers.items():
            section["rss"][name] = server.peak_rss()
        section["count_check"] = _count_check(backend, urls, answered, contenders)
        section["errors"] += [f"count check {name}: database holds {c['found']}, wrk counted {c['expected']}"
                              for name, c in section["count_check"].items() if not c["ok"]]
    except BenchError as error:
        section["errors"].append(str(error))
    finally:
        for server in servers.values():
            section["errors"] += server.stop()
        if not args.keep:
            _drop_databases(backend, urls, args)
    _summarise(section, contenders)
    return section


def _summarise(section: dict, contenders: list[str]) -> None:
    for name in contenders:
        runs = [r for r in section["runs"] if r["contender"] == name]
        if not runs:
            continue
        rps = [r["rps"] for r in runs]
        rss = section["rss"].get("bare" if name == "hello" else name, {})
        section["contenders"][name] = {
            "rps_median": round(statistics.median(rps), 1), "rps_min": round(min(rps), 1),
            "rps_max": round(max(rps), 1),
            "p50_ms_median": round(statistics.median(r["p50_ms"] for r in runs), 2),
            "p99_ms_median": round(statistics.median(r["p99_ms"] for r in runs), 2),
            "answered": sum(r["ok"] for r in runs),
            "worker_peak_rss_mib": rss.get("peak_mib"),
        }
    commits = [r["rate"] for r in section["commit_rate"]["runs"]]
    if commits:
        section["commit_rate"]["median"] = round(statistics.median(commits), 1)
    c = section["contenders"]
    ratios = section["ratios"]
    if "aduflow" in c and "bare" in c:
        ratios["aduflow_over_bare"] = round(c["aduflow"]["rps_median"] / c["bare"]["rps_median"], 3)
    if "aduflow" in c and "helpdesk" in c:
        ratios["aduflow_over_helpdesk"] = round(c["aduflow"]["rps_median"] / c["helpdesk"]["rps_median"], 2)
    if "hello" in c and commits:
        ceiling = 1 / (1 / c["hello"]["rps_median"] + 1 / section["commit_rate"]["median"])
        ratios["ceiling_rps"] = round(ceiling, 1)
        for name in ("aduflow", "bare", "helpdesk"):
            if name in c:
                ratios[f"{name}_share_of_ceiling"] = round(c[name]["rps_median"] / ceiling, 3)
    # The same ratios inside each round: how steady they are on a noisy machine.
    per_round = []
    for number in sorted({r["round"] for r in section["runs"]}):
        rps = {r["contender"]: r["rps"] for r in section["runs"] if r["round"] == number}
        entry = {"round": number}
        if rps.get("bare") and "aduflow" in rps:
            entry["aduflow_over_bare"] = round(rps["aduflow"] / rps["bare"], 3)
        if rps.get("helpdesk") and "aduflow" in rps:
            entry["aduflow_over_helpdesk"] = round(rps["aduflow"] / rps["helpdesk"], 2)
        per_round.append(entry)
    ratios["per_round"] = per_round
    ratios["targets_met"] = {name: ratios[name] >= floor for name, floor in TARGETS.items() if name in ratios}


def _print_section(backend: str, section: dict) -> None:
    print(f"\n--- {backend}: medians ---")
    for name, figures in section["contenders"].items():
        rss = figures["worker_peak_rss_mib"]
        print(f"  {name:9s} {figures['rps_median']:8.1f} req/s ({figures['rps_min']:.1f}–{figures['rps_max']:.1f})"
              f"  p50 {figures['p50_ms_median']:7.2f} ms  p99 {figures['p99_ms_median']:7.2f} ms"
              f"{f'  worker peak RSS {rss:.1f} MiB' if rss else ''}")
    if "median" in section["commit_rate"]:
        print(f"  commit    {section['commit_rate']['median']:8.1f} tx/s")
    for key, value in section["ratios"].items():
        if key not in ("per_round", "targets_met"):
            print(f"  {key:30s} {value}")
    for key, met in section["ratios"].get("targets_met", {}).items():
        print(f"  target {key} ≥ {TARGETS[key]}: {'met' if met else 'MISSED'}")
    for name, check in section["count_check"].items():
        print(f"  count check {name}: {check['found']} in the database, {check['expected']} answered "
              f"{'ok' if check['ok'] else 'MISMATCH'}")


# --- wrk ---------------------------------------------------------------------------------------------

def _wrk(target: tuple[str, str, dict], seconds: float, grace: float, tag: str) -> dict:
    url, script, extra_env = target
    command = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{int(seconds + grace)}s", "--latency",
               "-s", str(WRK_DIR / script), url]
    env = _env(BENCH_WRK_DIR=str(WRK_DIR), BENCH_SECONDS=f"{seconds:g}", BENCH_TAG=tag, **extra_env)
    finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=seconds + grace + 30)
    run = parse_wrk(finished.stdout)
    run["command"] = " ".join(shlex.quote(part) for part in command)
    run["problems"] = problems_of(run)
    if finished.returncode != 0:
        run["problems"].append(f"wrk exited {finished.returncode}: {finished.stderr.strip()[:300]}")
    return run


def parse_wrk(output: str) -> dict:
    """Return what a wrk run printed: the script's BENCH_RESULT line and wrk's own summary lines."""
    found = re.search(r"^BENCH_RESULT (\{.*\})$", output, re.MULTILINE)
    script = json.loads(found.group(1)) if found else {}
    wrk_rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    percentiles = {p: _duration_ms(v) for p, v in re.findall(r"^\s+(50|75|90|99)%\s+([\d.]+\w+)", output, re.MULTILINE)}
    answered = script.get("ok", 0) + script.get("bad", 0)
    window = script.get("window_s") or 0
    return {
        "rps": round(answered / window, 1) if window else 0.0,
        "p50_ms": percentiles.get("50", script.get("latency_us", {}).get("p50", 0) / 1000),
        "p99_ms": percentiles.get("99", script.get("latency_us", {}).get("p99", 0) / 1000),
        "ok": script.get("ok", 0),
        "bad": script.get("bad", 0),
        "bad_statuses": script.get("bad_statuses", "").split(),
        "issued": script.get("issued", 0),
        "window_s": window,
        "wrk_rps": float(wrk_rps.group(1)) if wrk_rps else None,
        "wrk_non_2xx_3xx": int(non_2xx.group(1)) if non_2xx else 0,
        "wrk_socket_errors": dict(zip(("connect", "read", "write", "timeout"), map(int, sockets.groups()),
                                      strict=True)) if sockets else {},
        "latency_us": script.get("latency_us", {}),
        "script_seen": bool(found),
    }


def problems_of(run: dict) -> list[str]:
    """Return what went wrong in a run: error answers, socket errors, requests never answered."""
    problems = []
    if not run["script_seen"]:
        problems.append("the wrk script printed no BENCH_RESULT line")
    if run["bad"] or run["wrk_non_2xx_3xx"]:
        problems.append(f"{max(run['bad'], run['wrk_non_2xx_3xx'])} non-2xx/3xx answers "
                        f"({' '.join(sorted(set(run['bad_statuses'])))})")
    errors = {k: v for k, v in run["wrk_socket_errors"].items() if v}
    if errors:
        problems.append(f"socket errors {errors}")
    if run["issued"] != run["ok"] + run["bad"]:
        problems.append(f"{run['issued'] - run['ok'] - run['bad']} requests sent but never answered")
    if run["script_seen"] and not run["ok"]:
        problems.append("no request answered")
    return problems


def _duration_ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return round(float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit], 3)


# --- servers -----------------------------------------------------------------------------------------

def _gunicorn_args(app: str, port: int) -> list[str]:
    # The same for every contender: two sync workers (two cores), loopback, no access log. No control socket:
    # gunicorn 25+ puts one per user at one path, so the contenders running side by side would fight over it.
    return ["--workers", str(WORKERS), "--worker-class", "sync", "--bind", f"127.0.0.1:{port}",
            "--log-level", "warning", "--no-control-socket", app]


class Server:
    """One gunicorn master with its workers."""

    def __init__(self, name: str, app: list[str], port: int, cwd: Path, env: dict, workdir: Path,
                 gunicorn: Path, probe: str):
        self.name, self.app, self.port, self.cwd, self.env = name, app, port, cwd, env
        self.gunicorn, self.probe, self.log = gunicorn, probe, workdir / f"{name}-gunicorn.log"
        self.process: subprocess.Popen | None = None

    def url(self, path: str) -> str:
        """Return the URL of ``path`` on this server."""
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> None:
        """Start gunicorn in the background."""
        command = [str(self.gunicorn), *_gunicorn_args(self.app[0], self.port)]
        with self.log.open("w") as log:
            self.process = subprocess.Popen(command, cwd=self.cwd, env=self.env, stdout=log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 60) -> None:
        """Wait until the server answers its probe (every worker booted)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"{self.name}: gunicorn exited {self.process.returncode}; see {self.log}:\n"
                                 f"{self.log.read_text()[-2000:]}")
            if len(self.workers()) >= WORKERS:
                try:
                    with urllib.request.urlopen(self.url(self.probe), timeout=5) as answer:
                        if answer.status == 200:
                            return
                except OSError:
                    pass
            time.sleep(0.2)
        raise BenchError(f"{self.name}: no answer on {self.url(self.probe)} after {timeout:.0f} s; see {self.log}")

    def workers(self) -> list[int]:
        """Return the worker processes' ids."""
        if self.process is None:
            return []
        try:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text()
        except OSError:
            return []
        return [int(pid) for pid in children.split()]

    def peak_rss(self) -> dict:
        """Return each worker's peak resident set (VmHWM) and current RSS, in MiB."""
        workers = []
        for pid in self.workers():
            status = Path(f"/proc/{pid}/status").read_text()
            fields = dict(re.findall(r"^(VmHWM|VmRSS):\s+(\d+) kB", status, re.MULTILINE))
            workers.append({"pid": pid, "vmhwm_mib": round(int(fields["VmHWM"]) / 1024, 1),
                            "vmrss_mib": round(int(fields["VmRSS"]) / 1024, 1)})
        return {"workers": workers, "peak_mib": max((w["vmhwm_mib"] for w in workers), default=None)}

    def stop(self) -> list[str]:
        """Stop gunicorn (graceful, then forced); return any error its log shows."""
        if self.process is None:
            return []
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        log = self.log.read_text() if self.log.exists() else ""
        # An unhandled exception in a view is logged by the app; gunicorn logs worker crashes and timeouts.
        bad = [line for line in log.splitlines() if re.search(r"Traceback|ERROR|CRITICAL|WORKER TIMEOUT", line)]
        return [f"{self.name}: {len(bad)} error line(s) in {self.log}, first: {bad[0][:200]}"] if bad else []


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _csrf_cookie(url: str) -> str:
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(url, timeout=10) as answer:
        answer.read()
    for cookie in jar:
        if cookie.name == "csrftoken":
            return cookie.value
    raise BenchError(f"helpdesk: no csrftoken cookie from {url}")


# --- databases ---------------------------------------------------------------------------------------

def _database_urls(backend: str, args: argparse.Namespace, workdir: Path, contenders: list[str]) -> dict:
    names = [name for name in ("aduflow", "bare", "helpdesk") if name in contenders]
    if backend == "sqlite":
        return {name: f"sqlite:///{workdir / f'{args.db_prefix}_{name}.db'}" for name in names}
    parts = urlsplit(args.pg_url)
    return {name: urlunsplit(parts._replace(path=f"/{args.db_prefix}_{name}")) for name in names}


def _create_databases(backend: str, urls: dict, args: argparse.Namespace) -> None:
    if backend == "sqlite":
        for url in urls.values():
            path = Path(url.removeprefix("sqlite:///"))
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    with psycopg.connect(args.pg_url, autocommit=True) as connection:
        for url in urls.values():
            name = urlsplit(url).path.lstrip("/")
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{name}"')


def _drop_databases(backend: str, urls: dict, args: argparse.Namespace) -> None:
    if backend == "sqlite":
        _create_databases(backend, urls, args)  # deletes the files
        return
    import psycopg

    with psycopg.connect(args.pg_url, autocommit=True) as connection:
        for url in urls.values():
            connection.execute(f'DROP DATABASE IF EXISTS "{urlsplit(url).path.lstrip("/")}" WITH (FORCE)')


def _prepare(backend: str, urls: dict, contenders: list[str]) -> str | None:
    """Migrate and fill each contender's database; return the peer's public queue id (its form's field)."""
    steps = [("aduflow", [sys.executable, str(Path(__file__).resolve()), "--setup-aduflow"],
              ROOT, _aduflow_env(urls["aduflow"])),
             ("bare", [sys.executable, str(BENCH / "bare_app.py"), "init"], ROOT, _env(DATABASE_URL=urls["bare"]))]
    if "helpdesk" in contenders:
        helpdesk_env = _env(HELPDESK_DATABASE_URL=urls["helpdesk"])
        python = str(HELPDESK_VENV / "bin" / "python")
        steps += [("helpdesk", [python, "manage.py", "migrate", "-v0"], HELPDESK_DIR, helpdesk_env),
                  ("helpdesk", [python, "manage.py", "bench_setup"], HELPDESK_DIR, helpdesk_env)]
    # The three set-ups are independent: run them side by side.
    running = [(name, command, subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE,
                                                stderr=subprocess.STDOUT, text=True))
               for name, command, cwd, env in steps if name != "helpdesk"]
    queue = None
    for name, command, cwd, env in [step for step in steps if step[0] == "helpdesk"]:
        done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise BenchError(f"{name} set-up failed: {' '.join(command)}\n{done.stdout}{done.stderr}")
        if "bench_setup" in command:
            queue = done.stdout.strip().splitlines()[-1]
    for name, command, process in running:
        output, _ = process.communicate()
        if process.returncode != 0:
            raise BenchError(f"{name} set-up failed: {' '.join(command)}\n{output}")
    return queue


def _setup_aduflow() -> int:
    # Runs in a child process with the production environment: migrate, load the SOP, add the staff accounts.
    sys.path.insert(0, str(ROOT))
    from flask_migrate import upgrade

    from web import create_app
    from workflow.db import db
    from workflow.services import people
    from workflow.services.sop import load_sop_version

    app = create_app()
    with app.app_context():
        upgrade(revision="heads")  # "heads": also while migrations written in parallel wait for their merge
        load_sop_version("klungkung")
        admin = people.create_user(ADMIN[0], "admin_instansi", ADMIN[1], None, "Administrator Bench")
        _add_staff(admin.password_hash)
        db.session.commit()
    return 0


def _add_staff(password_hash: str) -> None:
    # A regency's accounts: two handlers and a penghubung per unit, a few administrators, coordinators,
    # inspectors and leaders. Filing tells only the administrators; the others must cost it nothing.
    from sqlalchemy import select

    from workflow.db import db
    from workflow.models import Unit, User

    accounts = [(f"{role}-{unit.code}-{n}".lower(), role, unit.id)
                for unit in db.session.scalars(select(Unit).order_by(Unit.id))
                for role, count in (("unit_admin", 2), ("penghubung", 1)) for n in range(count)]
    accounts += [(f"{role}-{n}", role, None) for role, count in STAFF_WITHOUT_UNIT.items() for n in range(count)]
    db.session.add_all(User(username=name[:64], full_name=name, password_hash=password_hash, role=role, unit_id=unit_id)
                       for name, role, unit_id in accounts)


def _aduflow_env(url: str) -> dict:
    # All load comes from one address: the per-address filing limit is raised far above what wrk sends (no
    # 429), not switched off, so each request still pays for the limiter's check as in production. The
    # limiter's settings are set here, not inherited from the caller's environment, so every run measures
    # the same thing.
    return _env(ADUFLOW_ENV="production", SECRET_KEY=SECRET_KEY, DATABASE_URL=url, SESSION_COOKIE_SECURE="0",
                FLASK_APP="wsgi", RATELIMIT_ENABLED="1", RATELIMIT_STORAGE_URI="memory://",
                PUBLIC_FILING_RATE_LIMIT=FILING_LIMIT)


def _env(**values: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BENCH_", "FLASK_", "ADUFLOW_"))}
    env.pop("DATABASE_URL", None)
    env.update(values)
    return env


def _count_check(backend: str, urls: dict, answered: dict, contenders: list[str]) -> dict:
    tables = {"aduflow": "complaints", "bare": "bare_complaints", "helpdesk": "helpdesk_ticket"}
    checks = {}
    for name, table in tables.items():
        if name not in contenders:
            continue
        found = _scalar(backend, urls[name], f"SELECT count(*) FROM {table}")
        checks[name] = {"table": table, "expected": answered[name], "found": found, "ok": found == answered[name]}
    return checks


def _scalar(backend: str, url: str, sql: str):
    if backend == "sqlite":
        with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
            return connection.execute(sql).fetchone()[0]
    import psycopg

    with psycopg.connect(url) as connection:
        return connection.execute(sql).fetchone()[0]


def _commit_rate(backend: str, urls: dict, seconds: float) -> dict:
    """Return how many single-row INSERT + COMMIT one process does per second on the bare database."""
    create = ("CREATE TABLE IF NOT EXISTS commit_probe (id {serial} PRIMARY KEY, title VARCHAR(200), "
              "at VARCHAR(40))")
    insert = "INSERT INTO commit_probe (title, at) VALUES ({p}, {p})"
    if backend == "sqlite":
        connection = sqlite3.connect(urls["bare"].removeprefix("sqlite:///"), isolation_level=None)
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute(create.format(serial="INTEGER"))
        statement, begin = insert.format(p="?"), "BEGIN"
    else:
        import psycopg

        connection = psycopg.connect(urls["bare"])
        connection.execute(create.format(serial="SERIAL"))
        connection.commit()
        statement, begin = insert.format(p="%s"), None
    count, started = 0, time.perf_counter()
    deadline = started + seconds
    try:
        while time.perf_counter() < deadline:
            if begin:
                connection.execute(begin)
            connection.execute(statement, (f"probe {count}", datetime.now(UTC).isoformat()))
            connection.commit() if backend != "sqlite" else connection.execute("COMMIT")
            count += 1
    finally:
        connection.close()
    elapsed = time.perf_counter() - started
    return {"rate": round(count / elapsed, 1), "commits": count, "seconds": round(elapsed, 3),
            "how": "psycopg 3, autocommit off, INSERT then COMMIT" if backend != "sqlite"
            else "sqlite3, WAL, BEGIN / INSERT / COMMIT"}


# --- set-up and versions -----------------------------------------------------------------------------

def ensure_helpdesk_venv() -> None:
    """Create .venv-helpdesk from bench/helpdesk/requirements.txt unless it is there and complete."""
    python = HELPDESK_VENV / "bin" / "python"
    if python.exists():
        check = subprocess.run([str(python), "-c", "import helpdesk, gunicorn, psycopg"], capture_output=True)
        if check.returncode == 0:
            return
    print(f"creating {HELPDESK_VENV} (django-helpdesk 2.6.1) …", flush=True)
    base = _which("python3.11") or sys.executable
    for command in ([base, "-m", "venv", str(HELPDESK_VENV)],
                    [str(python), "-m", "pip", "install", "-q", "-r", str(HELPDESK_DIR / "requirements.txt")]):
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")


def _versions(args: argparse.Namespace) -> dict:
    versions = {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version}
    for package in ("gunicorn", "Flask", "Flask-SQLAlchemy", "SQLAlchemy", "psycopg", "Werkzeug", "pydantic"):
        versions[package.lower()] = _version(package)
    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    versions["wrk"] = (wrk.stdout + wrk.stderr).splitlines()[0].strip() if (wrk.stdout + wrk.stderr) else None
    try:
        import psycopg

        with psycopg.connect(args.pg_url) as connection:
            versions["postgresql"] = connection.execute("SHOW server_version").fetchone()[0]
    except Exception as error:  # a SQLite-only run on a machine without PostgreSQL
        versions["postgresql"] = f"unavailable: {type(error).__name__}"
    if not args.skip_helpdesk:
        found = subprocess.run([str(HELPDESK_VENV / "bin" / "python"), "-c",
                                "from importlib.metadata import version as v; "
                                "print(v('Django'), v('django-helpdesk'), v('gunicorn'))"],
                               capture_output=True, text=True)
        if found.returncode == 0:
            django, helpdesk, gunicorn = found.stdout.split()
            versions.update({"django": django, "django_helpdesk": helpdesk, "helpdesk_gunicorn": gunicorn})
    return versions


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _which(name: str) -> str | None:
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        candidate = Path(folder) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


if __name__ == "__main__":
    sys.exit(main())
