"""Measure the latency of the main pages and API reads over a database built by ``bench/generate.py``.

    .venv/bin/python bench/generate.py --complaints 1000000 --database postgresql://postgres@127.0.0.1:5432/aduflow_bench
    .venv/bin/python bench/pages.py --database postgresql://postgres@127.0.0.1:5432/aduflow_bench --requests 200

The app runs under gunicorn (2 sync workers on loopback) as in production — ``ADUFLOW_ENV=production``, the
generator's ``SECRET_KEY`` (so the stored PIN hashes match), ``SESSION_COOKIE_SECURE=0`` (plain HTTP on
loopback) and the generator's ``NOW`` as ``ADUFLOW_FIXED_NOW`` — with the sign-in and tracking rate limits
raised above what one client sends (the limiter itself stays on). One Python client (httpx) then signs in
through the real forms (with their CSRF tokens) and requests each page in turn: a warm-up, then
``--requests`` timed requests per page, one at a time, each round visiting every page once (so a change in
the machine's load touches every page alike). Pages:

* the staff home (queue counts) and first queue of the administrator (incoming), a unit handler (PUPRKP),
  its pejabat penghubung and the Inspektorat (supervision); the administrator's "all" queue sorted by receipt;
* the staff complaint page of random complaints each of those users may see;
* the citizen's tracking: the form's POST with code and PIN, the status page, and ``GET /api/v1/track/{code}``;
* the yearly indicators (``GET /api/v1/indicators?year=…``) and the leader dashboard (``/laporan/``);
* Open311 ``requests.json`` with its default window and cap, and with ``status`` and ``service_code``;
* the staff API list ``GET /api/v1/complaints`` (default, and one state).

Every answer must be the page's expected status (200, or the redirect of a form POST); any other counts as
an error in the output. At the end the peak resident memory (VmHWM) of each worker is read from /proc.
Prints a table and writes ``bench/out/pages.json`` (the command, versions, the data set and the figures).
"""

import argparse
import json
import os
import platform
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from bench.generate import NOW, PASSWORD, SECRET_KEY, pin_of
from config import database_url
from workflow.models import Complaint, Unit, User

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
YEAR = NOW.year
# Who the staff pages are measured for: (account, queue of their first screen).
ROLES = {"admin": ("bench-admin", "incoming"), "unit": ("bench-unit", "dispositioned"),
         "penghubung": ("bench-penghubung", "at_risk"), "inspector": ("bench-inspector", "supervision"),
         "leader": ("bench-leader", "open")}


def bench_app():
    """Return the production app with the sign-in and tracking ceilings above one benchmark client (gunicorn)."""
    from web import create_app

    app = create_app("production")
    app.config.update(LOGIN_RATE_LIMIT="10000 per minute", TRACKING_RATE_LIMIT="100000 per minute")
    return app


def free_port(preferred: int) -> int:
    """Return ``preferred`` if nothing listens there, else a free port the system chooses."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", preferred))
            return preferred
        except OSError:
            probe.bind(("127.0.0.1", 0))
            return probe.getsockname()[1]


def start_server(url: str, port: int, workers: int) -> subprocess.Popen:
    """Start gunicorn on loopback and wait until it answers."""
    env = os.environ | {"ADUFLOW_ENV": "production", "SECRET_KEY": SECRET_KEY, "SESSION_COOKIE_SECURE": "0",
                        "DATABASE_URL": url, "ADUFLOW_FIXED_NOW": NOW.isoformat(), "RATELIMIT_STORAGE_URI": "memory://",
                        "NOTIFICATIONS_ENABLED": "0", "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
         "--timeout", "120", "--log-level", "warning", "--no-control-socket", "bench.pages:bench_app()"],
        cwd=ROOT, env=env, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/sop", timeout=5).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    stop_server(server)
    raise SystemExit("gunicorn did not answer within 60 s")


def stop_server(server: subprocess.Popen) -> None:
    """Stop gunicorn (its master ends the workers)."""
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def worker_memory(master: int) -> list[dict]:
    """Return the peak and current resident memory of gunicorn's workers (children of ``master``)."""
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(master):
            found.append({"pid": int(status.parent.name), "vm_hwm_mb": _mb(fields.get("VmHWM")),
                          "vm_rss_mb": _mb(fields.get("VmRSS"))})
    return sorted(found, key=lambda worker: worker["pid"])


def _mb(value: str | None) -> float | None:
    return round(int(value.split()[0]) / 1024, 1) if value else None


def sign_in(base: str, username: str) -> httpx.Client:
    """Return a client signed in as ``username`` through the staff sign-in form."""
    client = httpx.Client(base_url=base, timeout=120)
    form = client.get("/staf/masuk")
    token = CSRF.search(form.text).group(1)
    answer = client.post("/staf/masuk", data={"username": username, "password": PASSWORD, "csrf_token": token})
    if answer.status_code != 302:
        raise SystemExit(f"sign-in of {username} answered {answer.status_code}")
    return client


def samples(url: str, accounts: dict, seed: int, size: int) -> dict:
    """Pick the complaints to open: random ones each measured user may see, and tracking codes with PINs."""
    engine = create_engine(database_url(url))
    rng = random.Random(seed)
    with engine.connect() as connection:
        highest = connection.scalar(select(func.max(Complaint.id)))
        units = {code: (uid, parent) for code, uid, parent in connection.execute(
            select(Unit.code, Unit.id, Unit.parent_id))}
        picked = {}
        for role, (username, _) in ROLES.items():
            unit_id = connection.scalar(select(User.unit_id).where(User.username == username))
            if accounts[username]["role"] in ("unit_admin", "penghubung"):
                reach = _subtree(unit_id, units)
                ids = connection.scalars(select(Complaint.id).where(Complaint.unit_id.in_(reach))
                                         .order_by(func.random()).limit(size)).all()
            else:
                ids = [rng.randint(1, highest) for _ in range(size)]
            picked[role] = ids
        tracked = [rng.randint(1, highest) for _ in range(size)]
        codes = dict(connection.execute(select(Complaint.id, Complaint.tracking_code)
                                        .where(Complaint.id.in_(tracked))).all())
        server = connection.scalar(text("SELECT version()")) if engine.dialect.name == "postgresql" else (
            "SQLite " + connection.scalar(text("SELECT sqlite_version()")))
        total = connection.scalar(select(func.count()).select_from(Complaint))
    engine.dispose()
    picked["tracking"] = [(codes[i], pin_of(i)) for i in tracked]
    return {"ids": picked, "server": server.split(" on ")[0], "complaints": total}


def _subtree(unit_id: int, units: dict) -> list[int]:
    children: dict = {}
    for uid, parent in units.values():
        children.setdefault(parent, []).append(uid)
    found, todo = [], [unit_id]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def pages(base: str, accounts: dict, picked: dict) -> dict:
    """Return the measured pages: name → (client, method, path or a function of the round, expected status)."""
    clients = {role: sign_in(base, username) for role, (username, _) in ROLES.items()}
    public = httpx.Client(base_url=base, timeout=120)
    api = httpx.Client(base_url=base, timeout=120,
                       headers={"Authorization": f"Bearer {accounts['bench-admin']['token']}"})
    leader_api = httpx.Client(base_url=base, timeout=120,
                              headers={"Authorization": f"Bearer {accounts['bench-leader']['token']}"})
    tracking = picked["ids"]["tracking"]

    def cycle(values):
        return lambda i: values[i % len(values)]

    def track_post(i: int):
        code, pin = tracking[i % len(tracking)]
        token = CSRF.search(public.get("/lacak").text).group(1)  # outside the timing: the form a person opens
        return {"data": {"kode": code, "pin": pin, "csrf_token": token}}

    found = {}
    for role, (_, queue) in ROLES.items():
        if role == "leader":
            continue
        found[f"staff home ({role})"] = (clients[role], "GET", "/staf/", None, 200)
        found[f"staff queue {queue} ({role})"] = (clients[role], "GET", f"/staf/antrian/{queue}", None, 200)
    found["staff queue all, newest first (admin)"] = (clients["admin"], "GET", "/staf/antrian/all?sort=received",
                                                      None, 200)
    for role in ("admin", "unit", "penghubung", "inspector"):
        ids = picked["ids"][role]
        found[f"complaint page ({role})"] = (clients[role], "GET", cycle([f"/staf/pengaduan/{i}" for i in ids]),
                                             None, 200)
    found["tracking form POST (code + PIN)"] = (public, "POST", "/lacak", track_post, 303)
    reader = httpx.Client(base_url=base, timeout=120)
    found["tracking status page"] = (reader, "GET", cycle([f"/lacak/{code}" for code, _ in tracking]),
                                     opened_by(reader, tracking), 200)
    found["API GET /track/{code}"] = (public, "GET", cycle([f"/api/v1/track/{code}" for code, _ in tracking]),
                                      lambda i: {"headers": {"X-Tracking-Pin": tracking[i % len(tracking)][1]}}, 200)
    found[f"API GET /indicators?year={YEAR}"] = (leader_api, "GET", f"/api/v1/indicators?year={YEAR}", None, 200)
    found["leader dashboard /laporan/"] = (clients["leader"], "GET", f"/laporan/?period={YEAR}", None, 200)
    found["Open311 requests.json (defaults)"] = (public, "GET", "/open311/v2/requests.json", None, 200)
    found["Open311 requests.json?status=open&service_code=jalan-rusak"] = (
        public, "GET", "/open311/v2/requests.json?status=open&service_code=jalan-rusak", None, 200)
    found["API GET /complaints (admin)"] = (api, "GET", "/api/v1/complaints", None, 200)
    found["API GET /complaints?state=in_progress (admin)"] = (api, "GET", "/api/v1/complaints?state=in_progress",
                                                             None, 200)
    return found


def request_once(page: tuple, i: int) -> tuple[float, int]:
    """Send one request of ``page`` (round ``i``) and return its seconds and status."""
    client, method, path, extra, _ = page
    target = path(i) if callable(path) else path
    options = extra(i) if callable(extra) else {}
    started = time.perf_counter()
    answer = client.request(method, target, **options)
    return time.perf_counter() - started, answer.status_code


def opened_by(client: httpx.Client, tracking: list[tuple[str, str]]):
    """Return the extra step of the status page: open round ``i``'s complaint with its code and PIN, untimed."""
    def open_complaint(i: int) -> dict:
        code, pin = tracking[i % len(tracking)]
        token = CSRF.search(client.get("/lacak").text).group(1)
        client.post("/lacak", data={"kode": code, "pin": pin, "csrf_token": token})
        return {}

    return open_complaint


def measure(found: dict, rounds: int, warmup: int) -> dict:
    """Run ``warmup`` then ``rounds`` rounds over every page; return the figures of each page."""
    times: dict[str, list[float]] = {name: [] for name in found}
    statuses: dict[str, dict[int, int]] = {name: {} for name in found}
    for i in range(warmup + rounds):
        for name, page in found.items():
            seconds, status = request_once(page, i)
            if i >= warmup:
                times[name].append(seconds)
                statuses[name][status] = statuses[name].get(status, 0) + 1
    results = {}
    for name, runs in times.items():
        ordered = sorted(runs)
        expected = found[name][4]
        results[name] = {
            "method": found[name][1], "path": _example(found[name]),
            "n": len(runs), "p50_ms": _ms(statistics.median(ordered)), "p99_ms": _ms(_percentile(ordered, 0.99)),
            "mean_ms": _ms(statistics.fmean(ordered)), "max_ms": _ms(ordered[-1]),
            "expected_status": expected, "statuses": {str(k): v for k, v in sorted(statuses[name].items())},
            "errors": sum(v for k, v in statuses[name].items() if k != expected)}
    return results


def _example(page: tuple) -> str:
    path = page[2]
    return path(0) if callable(path) else path


def _percentile(ordered: list[float], fraction: float) -> float:
    # Nearest rank: with 100 runs the p99 is the 99th value, with 200 the 198th.
    return ordered[max(0, min(len(ordered) - 1, round(fraction * len(ordered)) - 1))]


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def versions(server: str) -> dict:
    """Return the software versions of this run."""
    from importlib.metadata import version

    return {"python": platform.python_version(), "database": server, "cpus": os.cpu_count(),
            **{name: version(name) for name in ("flask", "sqlalchemy", "gunicorn", "psycopg", "httpx")}}


def main() -> None:
    """Start the server, measure every page, stop the server, print and write the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True, help="a database built by bench/generate.py")
    parser.add_argument("--requests", type=int, default=100, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=3, help="untimed rounds first")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--port", type=int, default=18380)
    parser.add_argument("--generated", default=str(OUT / "generate.json"), help="the generator's summary "
                        "(accounts and API tokens)")
    parser.add_argument("--out", default=str(OUT / "pages.json"))
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    generated = json.loads(Path(args.generated).read_text())
    accounts = generated["accounts"]
    picked = samples(args.database, accounts, args.seed, max(50, args.requests + args.warmup))
    port = free_port(args.port)
    started = time.perf_counter()
    server = start_server(args.database, port, args.workers)
    try:
        found = pages(f"http://127.0.0.1:{port}", accounts, picked)
        results = measure(found, args.requests, args.warmup)
        memory = worker_memory(server.pid)
    finally:
        stop_server(server)
    summary = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "database": make_url(database_url(args.database)).get_backend_name(), "complaints": picked["complaints"],
        "now": NOW.isoformat(), "requests_per_page": args.requests, "warmup_rounds": args.warmup,
        "gunicorn_workers": args.workers, "seconds": round(time.perf_counter() - started, 1),
        "pages": results, "workers_memory": memory, "versions": versions(picked["server"]),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    print(f"{summary['database']}, {summary['complaints']:,} complaints, {args.requests} requests per page "
          f"({summary['seconds']:.0f} s); ms:")
    width = max(len(name) for name in results)
    print(f"  {'page':<{width}}  {'p50':>7} {'p99':>7} {'mean':>7} {'max':>7}  errors")
    for name, figures in results.items():
        print(f"  {name:<{width}}  {figures['p50_ms']:>7.1f} {figures['p99_ms']:>7.1f} {figures['mean_ms']:>7.1f} "
              f"{figures['max_ms']:>7.1f}  {figures['errors']}")
    print("  workers' peak RSS (VmHWM): " + ", ".join(f"{w['vm_hwm_mb']} MB" for w in memory))
    print(f"  written to {args.out}")


if __name__ == "__main__":
    main()
