"""Run the real thing on loopback: gunicorn, the SLA sweep and outbox workers, a throwaway PostgreSQL.

Every service is a child process in a process group of its own, its output in a log file. Readiness is
awaited by polling (a port, a URL, a query) until a deadline, never by sleeping a guessed time. A
:class:`Stack` stops every process it started when its ``with`` block ends, however it ends.

The processes run as production runs them (``ADUFLOW_ENV=production``, a real ``SECRET_KEY``,
``gunicorn wsgi:app`` with sync workers, ``flask sla sweep --every`` and ``flask outbox deliver --every``)
with two test settings, said here once:

* ``RATELIMIT_ENABLED=0``: every load client files from 127.0.0.1, so per-address limits would count
  thousands of citizens as one; in production each citizen has an address (``TRUSTED_PROXIES``).
* the outbox back-off is one to two seconds (``OUTBOX_BACKOFF_*``) and never gives up, so a gateway that
  was down for a few seconds is retried within the test's time, not after the production minute.
"""

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
SECRET_KEY = "reliability-secret-not-for-production-0123456789"
MAIL_FROM = "Aduflow Klungkung <pengaduan@klungkungkab.go.id>"
# Fixed ranges away from the usual ports (5000, 5432, 8000 …); the throwaway PostgreSQL takes the upper half.
APP_PORTS = range(18400, 18450)
POSTGRES_PORTS = range(18450, 18500)
READY_SECONDS = 60
PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV", "PG_BIN")
NEEDS_POSTGRES = "real processes sharing one database need PostgreSQL (set TEST_DATABASE_URL; .ci/run does)"


class NotReady(AssertionError):
    """A service did not become ready (or a condition did not hold) before its deadline."""


def wait_until(condition: Callable[[], object], what: str, seconds: float = READY_SECONDS,
               interval: float = 0.05) -> object:
    """Poll ``condition`` until it returns something true and return that, or fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise NotReady(f"not within {seconds:g} s: {what}")
        time.sleep(interval)


_handed_out: set[int] = set()


def free_port(ports: range = APP_PORTS) -> int:
    """Return a port of ``ports`` nobody listens on (and not handed out before in this process)."""
    for port in ports:
        if port in _handed_out:
            continue
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise NotReady(f"no free port in {ports.start}–{ports.stop - 1}")


def listening(port: int) -> bool:
    """Return whether something accepts connections on 127.0.0.1:``port``."""
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


class Service:
    """One child process in its own process group, its output in ``log``."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log_dir: Path):
        self.name, self.argv, self.env = name, argv, env
        self.log = log_dir / f"{name}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> "Service":
        """Start the process (appending to its log: a restarted service keeps one history)."""
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(self.argv, env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True,
                                            preexec_fn=_die_with_parent)
        return self

    @property
    def pid(self) -> int:
        """Return the process id."""
        return self.process.pid

    def alive(self) -> bool:
        """Return whether the process is still running."""
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL the process (its group: nothing it started survives); wait until it is gone."""
        self.signal_group(signal.SIGKILL)
        self.process.wait(timeout=READY_SECONDS)

    def stop(self, grace: float = 10) -> None:
        """SIGTERM the group, then SIGKILL whatever is left after ``grace`` seconds."""
        if self.process is None or self.process.poll() is not None:
            return
        self.signal_group(signal.SIGTERM)
        try:
            self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.signal_group(signal.SIGKILL)
            self.process.wait(timeout=READY_SECONDS)

    def signal_group(self, number: int) -> None:
        """Send ``number`` to the process group."""
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, number)

    def output(self) -> str:
        """Return what the process wrote so far."""
        return self.log.read_text(errors="replace") if self.log.exists() else ""


PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    # A test run killed from outside (a CI timeout) skips its teardown: the services must not outlive it.
    # Linux only, and tied to the thread that started them: start services from the main thread.
    with suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class Gunicorn(Service):
    """``gunicorn wsgi:app`` with sync workers on 127.0.0.1:``port``."""

    def __init__(self, name: str, port: int, workers: int, env: dict[str, str], log_dir: Path):
        argv = [sys.executable, "-m", "gunicorn", "wsgi:app", "--bind", f"127.0.0.1:{port}",
                "--workers", str(workers), "--timeout", "60", "--graceful-timeout", "5",
                "--no-control-socket"]  # one per user at one path: the two app servers would fight over it
        super().__init__(name, argv, env, log_dir)
        self.port, self.workers = port, workers

    @property
    def url(self) -> str:
        """Return the base URL."""
        return f"http://127.0.0.1:{self.port}"

    def worker_pids(self) -> list[int]:
        """Return the pids of the master's worker processes (Linux /proc)."""
        children = Path(f"/proc/{self.pid}/task/{self.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    def wait_ready(self) -> None:
        """Wait until every worker is up and the API answers."""
        def answers() -> bool:
            if not self.alive():
                raise NotReady(f"{self.name} exited:\n{self.output()[-3000:]}")
            try:
                return httpx.get(f"{self.url}/api/v1/sop", timeout=5).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(answers, f"{self.name} answers on {self.url}")
        wait_until(lambda: len(self.worker_pids()) == self.workers, f"{self.name} has {self.workers} workers")


def flask_command(*args: str) -> list[str]:
    """Return the argv of ``flask --app wsgi ARGS`` in this interpreter."""
    return [sys.executable, "-m", "flask", "--app", "wsgi", *args]


@dataclass
class Gateways:
    """Where the outbox worker sends: the fake SMTP server, SMS gateway and LAPOR! hub (ports, tokens)."""

    smtp_port: int
    sms_url: str
    gateway_token: str
    hub_url: str
    hub_token: str

    def env(self) -> dict[str, str]:
        """Return the settings that point the workers at the fakes."""
        return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(self.smtp_port), "MAIL_USE_TLS": "0",
                "MAIL_TIMEOUT_SECONDS": "5", "MAIL_FROM": MAIL_FROM,
                "SMS_GATEWAY_URL": self.sms_url, "GATEWAY_TOKEN": self.gateway_token, "GATEWAY_TIMEOUT_SECONDS": "5",
                "LAPOR_BASE_URL": self.hub_url, "LAPOR_TOKEN": self.hub_token, "LAPOR_AGENCY_ID": "KAB-KLUNGKUNG",
                "LAPOR_TIMEOUT_SECONDS": "5"}


def app_env(database_url: str, gateways: Gateways | None = None, name: str = "aduflow") -> dict[str, str]:
    """Return the environment of an app or worker process: production settings against ``database_url``."""
    # Only what a process needs to run: no setting of the caller's shell leaks into the app's configuration.
    env = {key: os.environ[key] for key in PASSED_THROUGH if key in os.environ}
    separator = "&" if "?" in database_url else "?"
    env.update({
        "FLASK_APP": "wsgi", "ADUFLOW_ENV": "production", "SECRET_KEY": SECRET_KEY,
        # The application name lets a check see this process's sessions in pg_stat_activity.
        "DATABASE_URL": f"{database_url}{separator}application_name={name}",
        "PUBLIC_BASE_URL": "https://pengaduan.klungkungkab.go.id", "NOTIFICATIONS_ENABLED": "1",
        "NOTIFY_REPORTER_PHONE_CHANNEL": "sms", "MAIL_FROM": MAIL_FROM, "SESSION_COOKIE_SECURE": "0",
        "RATELIMIT_ENABLED": "0",
        "OUTBOX_BACKOFF_BASE_SECONDS": "1", "OUTBOX_BACKOFF_CAP_SECONDS": "2", "OUTBOX_MAX_ATTEMPTS": "100000",
        "ATTACHMENT_DIR": str(Path(tempfile.gettempdir()) / "aduflow-reliability-attachments"),
        "PYTHONUNBUFFERED": "1",
    })
    if gateways is not None:
        env.update(gateways.env())
    return env


@dataclass
class Stack:
    """The processes of one run against one database; use as a context manager (everything stops after)."""

    database_url: str
    gateways: Gateways | None = None
    log_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="aduflow-reliability-")))
    services: list[Service] = field(default_factory=list)

    def __enter__(self) -> "Stack":
        return self

    def __exit__(self, *exc) -> None:
        self.stop_all()

    def stop_all(self) -> None:
        """Stop every service this stack started (all of them, even if one refuses)."""
        with ExitStack() as stops:
            for service in reversed(self.services):
                stops.callback(service.stop)

    def env(self, name: str) -> dict[str, str]:
        """Return the environment of the service ``name``."""
        return app_env(self.database_url, self.gateways, name)

    def app(self, name: str = "web", workers: int = 2) -> Gunicorn:
        """Start gunicorn and return it once every worker answers."""
        server = Gunicorn(name, free_port(), workers, self.env(name), self.log_dir)
        self.services.append(server.start())
        server.wait_ready()
        return server

    def sweep(self, name: str = "sweep", every: int | None = 1, batch: int = 500, now: str | None = None) -> Service:
        """Start ``flask sla sweep`` (repeating every ``every`` seconds, or one pass)."""
        args = ["sla", "sweep", "--batch", str(batch)]
        args += ["--every", str(every)] if every else []
        args += ["--now", now] if now else []
        return self._worker(name, args)

    def outbox(self, name: str = "outbox", every: int = 1, limit: int = 1000) -> Service:
        """Start ``flask outbox deliver --every`` (the outbox worker)."""
        return self._worker(name, ["outbox", "deliver", "--every", str(every), "--limit", str(limit)])

    def run(self, name: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        """Run one ``flask`` command to its end and return it (output captured)."""
        return subprocess.run(flask_command(*args), env=self.env(name), cwd=ROOT, capture_output=True, text=True,
                              timeout=timeout, check=False)

    def _worker(self, name: str, args: list[str]) -> Service:
        service = Service(name, flask_command(*args), self.env(name), self.log_dir)
        self.services.append(service.start())
        return service


class ThrowawayPostgres:
    """A PostgreSQL 15 cluster of its own in a temporary folder, on a port of its own; removed at the end.

    Run as root, its commands run as the ``postgres`` user; run as anyone else, as that user.
    ``restart()`` is an immediate (crash-like) restart: the server recovers from its WAL.
    """

    BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))

    def __init__(self) -> None:
        self.port = free_port(POSTGRES_PORTS)
        self.folder = Path(tempfile.mkdtemp(prefix="aduflow-pg-"))
        self.data = self.folder / "data"

    @classmethod
    def available(cls) -> str | None:
        """Return why a cluster cannot be made here, or None if it can."""
        if not (cls.BIN / "initdb").exists():
            return f"PostgreSQL server binaries not found in {cls.BIN} (set PG_BIN)"
        if os.geteuid() == 0 and shutil.which("runuser") is None:
            return "running as root without runuser to drop to the postgres user"
        return None

    @property
    def url(self) -> str:
        """Return the URL of its ``aduflow`` database."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/aduflow"

    def __enter__(self) -> "ThrowawayPostgres":
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        self._as_owner("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync",
                       "-E", "UTF8", "--locale=C")
        self.start()
        self._as_owner("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "aduflow")
        return self

    def __exit__(self, *exc) -> None:
        with suppress(subprocess.CalledProcessError):
            self._as_owner("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        self._as_owner("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "server.log"), "-w", "-t", "60",
                       "-o", f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1", "start")
        wait_until(lambda: listening(self.port), f"PostgreSQL on port {self.port}")

    def stop(self) -> None:
        """Stop the server at once (as a crash would)."""
        self._as_owner("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def restart(self) -> None:
        """Stop the server at once and start it again (it replays its WAL)."""
        self.stop()
        self.start()

    def _as_owner(self, program: str, *args: str) -> None:
        argv = [str(self.BIN / program), *args]
        if os.geteuid() == 0:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        subprocess.run(argv, check=True, capture_output=True, timeout=120, cwd=self.folder)
