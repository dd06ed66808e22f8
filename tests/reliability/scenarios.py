"""The reliability scenarios of issue #9, each one function: load, idempotent retries, faults, two machines.

Each scenario drives real processes (:mod:`tests.reliability.harness`) and returns its figures with a
``problems`` list (empty means nothing was lost, doubled or half-applied). The tests in this folder run
them small; ``bench/reliability.py --full`` runs them at full size and writes ``docs/RELIABILITY.md``.
"""

import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

import httpx
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import func, select, text

from tests.conftest import empty_postgres, make_app
from tests.fakes.lapor_hub import TOKEN as HUB_TOKEN
from tests.fakes.lapor_hub import FakeLaporHub
from tests.fakes.sms_gateway import TOKEN as GATEWAY_TOKEN
from tests.fakes.sms_gateway import FakeGateway
from tests.fakes.smtp_server import FakeSmtpServer
from tests.reliability import checks
from tests.reliability.harness import Gateways, Gunicorn, NotReady, Service, Stack, ThrowawayPostgres, wait_until
from tests.reliability.load import Load, LoadResult, file_complaints
from workflow.db import db
from workflow.models import Complaint, ComplaintEvent, OutboxMessage
from workflow.services import people
from workflow.services.sop import load_sop_version

# The administrator hears of every new complaint (one in-app notice each), whoever filed it; the
# village facilitator files the overdue ones for citizens, as received weeks ago.
INAPP_PER_FILING = 1
# Filed as received this long ago, a complaint's verification clock is past twice its limit at once
# (3 working days; even the longest Lebaran and Nyepi leave gives more than 6 working days in 40 days).
OVERDUE = timedelta(days=40)


@dataclass
class World:
    """A prepared database (SOP, staff, tokens) and the fakes the workers send to; checks run in its app context."""

    url: str
    app: Flask
    tokens: dict[str, str]
    gateway: FakeGateway
    smtp: FakeSmtpServer
    hub: FakeLaporHub

    def gateways(self) -> Gateways:
        """Return where the workers send."""
        return Gateways(smtp_port=self.smtp.port, sms_url=self.gateway.url, gateway_token=GATEWAY_TOKEN,
                        hub_url=self.hub.url, hub_token=HUB_TOKEN)

    def stack(self) -> Stack:
        """Return a stack of processes against this world's database and fakes."""
        return Stack(self.url, self.gateways())


@contextmanager
def open_world(url: str) -> Iterator[World]:
    """Empty the migrated database at ``url``, load the Klungkung SOP and staff, start the fakes.

    The world's app context stays pushed until the block ends: the checks read through ``db.session``.
    """
    app = make_app(url)
    with app.app_context():
        empty_postgres()
        load_sop_version("klungkung")
        people.create_user("admin", "admin_instansi", "correct-horse-battery", "ORG")
        people.create_user("petugas", "facilitator", "correct-horse-battery")
        people.create_user("coordinator", "coordinator", "correct-horse-battery", "KLK")
        people.create_user("inspector", "inspector", "correct-horse-battery", "INSP")
        tokens = {username: people.issue_token(username) for username in ("admin", "petugas")}
        db.session.commit()
        fakes = FakeGateway().start(), FakeSmtpServer().start(), FakeLaporHub().start()
        try:
            yield World(url, app, tokens, *fakes)
        finally:
            for fake in fakes:
                fake.stop()
            db.session.remove()
            db.engine.dispose()


def migrate(url: str) -> None:
    """Build the schema at ``url`` from the migrations."""
    app = make_app(url)
    with app.app_context():
        upgrade()
        db.engine.dispose()


def load_without_loss(world: World, urls: list[str], count: int, clients: int, tag: str = "LOAD") -> dict:
    """File ``count`` complaints from ``clients`` clients: each acknowledged one exactly once, whole, delivered."""
    result = file_complaints(urls, count, clients, tag)
    return _outcome(world, result, INAPP_PER_FILING, no_server_errors=True)


def idempotent_retries(world: World, urls: list[str], count: int, clients: int, first_timeout: float = 0.02,
                       tag: str = "RETRY") -> dict:
    """Clients give up after ``first_timeout`` seconds and ask again with the same key: still one complaint each."""
    result = file_complaints(urls, count, clients, tag, timeout=first_timeout)
    outcome = _outcome(world, result, INAPP_PER_FILING, no_server_errors=True)
    if not result.figures()["client_timeouts"]:
        outcome["problems"].append("no client timed out: the scenario proved nothing (lower first_timeout)")
    return outcome


def worker_killed(world: World, server: Gunicorn, count: int, clients: int, tag: str = "KILLWEB",
                  max_kills: int = 5) -> dict:
    """SIGKILL gunicorn workers while requests are in flight until a client lost a request to it.

    The master starts a new worker; clients whose connection died ask again with the same key.
    """
    load = Load([server.url], count, clients, tag).start()
    wait_until(lambda: load.answered * 4 >= count, "a quarter of the filings answered", 120)
    kills, saw_drop = 0, False
    while kills < max_kills and not saw_drop and load.answered < count:
        dropped_before, victim = load.dropped(), server.worker_pids()[0]
        os.kill(victim, signal.SIGKILL)
        kills += 1
        wait_until(lambda v=victim: v not in server.worker_pids() and len(server.worker_pids()) == server.workers,
                   "gunicorn replaces the killed worker")
        try:
            saw_drop = bool(wait_until(lambda d=dropped_before: load.dropped() > d, "a client lost its request", 2))
        except NotReady:
            saw_drop = False
    result = load.join()
    outcome = _outcome(world, result, INAPP_PER_FILING, no_server_errors=True)
    outcome["fault"] = {"workers_killed": kills, "requests_lost_in_flight": result.figures()["dropped_connections"],
                        "workers_after": len(server.worker_pids())}
    if not saw_drop:
        outcome["problems"].append(f"no request was in flight in {kills} kills: the scenario proved nothing")
    return outcome


def gateways_down(world: World, urls: list[str], count: int, clients: int, tag: str = "GWDOWN") -> dict:
    """File while the SMS gateway and the mail server are down; once they are back, each message arrives once."""
    world.gateway.go_down()
    world.smtp.go_down()
    try:
        result = file_complaints(urls, count, clients, tag)
        ids = _ids(tag)
        # The worker must have tried (and failed) during the outage, or the outage proved nothing.
        tried = wait_until(lambda: _attempted_twice(ids, ("sms", "email")), "the worker retries during the outage",
                           120, interval=0.2)
        down_at = time.perf_counter()
    finally:
        world.gateway.come_up()
        world.smtp.come_up()
    outcome = _outcome(world, result, INAPP_PER_FILING, no_server_errors=True)
    outcome["fault"] = {"messages_retried_during_outage": tried,
                        "delivered_after_seconds": round(time.perf_counter() - down_at, 2)}
    return outcome


def hub_down(world: World, stack: Stack, server: Gunicorn, transfers: int, reports: int, tag: str = "HUBDOWN") -> dict:
    """Transfer complaints to SP4N-LAPOR! and pull its reports while the hub is down; then each arrives once."""
    hub = world.hub
    result = file_complaints([server.url], transfers, min(transfers, 4), tag)
    ids = _ids(tag)
    report_ids = [f"{tag}-LPR-{number:04d}" for number in range(reports)]
    hub.go_down()
    try:
        with httpx.Client(headers={"Authorization": f"Bearer {world.tokens['admin']}"}, timeout=60) as http:
            for complaint_id in ids:
                answer = http.post(f"{server.url}/api/v1/complaints/{complaint_id}/actions/transfer_out",
                                   json={"target": "SP4N LAPOR", "comment": "Jalan nasional. / National road."})
                assert answer.status_code == 200, answer.text
        for report_id in report_ids:
            hub.dispose(_hub_report(report_id))
        pull_while_down = stack.run("pull-down", "lapor", "pull")
        tried = wait_until(lambda: _attempted_twice(ids, ("lapor_transfer",)), "the worker retries the hub", 120,
                           interval=0.2)
    finally:
        hub.come_up()
    pulled = stack.run("pull-after", "lapor", "pull")
    outcome = _outcome(world, result, INAPP_PER_FILING, no_server_errors=True, hub=hub)
    db.session.rollback()
    delivered = db.session.scalar(select(func.count()).select_from(ComplaintEvent).where(
        ComplaintEvent.complaint_id.in_(ids), ComplaintEvent.action == "lapor_delivered"))
    imported = db.session.execute(select(Complaint.external_ref, func.count()).where(
        Complaint.channel == "lapor", Complaint.external_ref.in_(report_ids))
        .group_by(Complaint.external_ref)).all()
    if delivered != len(ids):
        outcome["problems"].append(f"{delivered} 'lapor_delivered' events for {len(ids)} transfers")
    if sorted(imported) != [(report_id, 1) for report_id in sorted(report_ids)]:
        outcome["problems"].append(f"hub reports not imported exactly once: {imported[:5]}")
    if pull_while_down.returncode != 1 or "unavailable" not in pull_while_down.stderr:
        outcome["problems"].append(f"a pull from the hub while down did not fail loudly: {pull_while_down.stderr}")
    outcome["fault"] = {"transfers": len(ids), "transfer_attempts_during_outage": tried,
                        "hub_transfer_requests": hub.write_requests, "hub_transfers_kept": hub.transfer_receipts,
                        "reports_in_hub": reports, "reports_imported_once": sum(n == 1 for _, n in imported),
                        "pull_while_down_exit": pull_while_down.returncode,
                        "pull_after": pulled.stdout.strip().splitlines()[-1]}
    return outcome


def sweep_killed(world: World, stack: Stack, server: Gunicorn, due: int, batch: int, clients: int = 4,
                 tag: str = "SWEEPKILL") -> dict:
    """SIGKILL a sweep after its first batch committed, sweep again: every due clock's events exactly once."""
    result = file_complaints([server.url], due, clients, tag, token=world.tokens["petugas"], backdate=OVERDUE)
    ids = _ids(tag)
    started = time.perf_counter()
    sweeper = stack.sweep("sweep-killed", every=None, batch=batch)
    wait_until(lambda: checks.marks_of(ids) > 0, "the sweep commits its first batch", 120, interval=0.01)
    sweeper.kill()
    killed_after = time.perf_counter() - started
    marks_at_kill = checks.marks_of(ids)
    _wait_sessions_gone("sweep-killed")
    started = time.perf_counter()
    again = stack.run("sweep-again", "sla", "sweep", "--batch", str(batch))
    second_pass_seconds = time.perf_counter() - started
    outcome = _outcome(world, result, INAPP_PER_FILING, no_server_errors=True, swept=True)
    if not 0 < marks_at_kill < checks.SWEEP_MARKS * len(ids):
        outcome["problems"].append(f"the kill did not land mid-pass ({marks_at_kill} marks of "
                                   f"{checks.SWEEP_MARKS * len(ids)}): use more due clocks or a smaller batch")
    if again.returncode != 0:
        outcome["problems"].append(f"the second sweep failed: {again.stdout} {again.stderr}")
    outcome["fault"] = {"due_clocks": len(ids), "batch": batch, "marks_when_killed": marks_at_kill,
                        "marks_expected": checks.SWEEP_MARKS * len(ids), "killed_after_seconds": round(killed_after, 2),
                        "second_pass": again.stdout.strip(), "second_pass_seconds": round(second_pass_seconds, 2)}
    return outcome


def postgres_restarted(count: int, clients: int, tag: str = "PGRESTART") -> dict:
    """Restart a throwaway PostgreSQL (immediately, as a crash) while clients file and the workers run."""
    with ThrowawayPostgres() as postgres:
        migrate(postgres.url)
        with open_world(postgres.url) as world, world.stack() as stack:
            server = stack.app()
            workers = [stack.outbox(), stack.sweep()]
            load = Load([server.url], count, clients, tag).start()
            wait_until(lambda: load.answered * 3 >= count, "a third of the filings answered", 120)
            started = time.perf_counter()
            postgres.restart()
            restart_seconds = time.perf_counter() - started
            result = load.join()
            # The outbox worker may lose its connection between the mail server's "250" and its mark.
            outcome = _outcome(world, result, INAPP_PER_FILING, no_server_errors=False, email_resends_allowed=True)
            if other := {status for status in result.figures()["server_errors_5xx"] if status != 503}:
                outcome["problems"].append(f"answers other than 503 during the restart: {sorted(other)}")
            dead = [w.name for w in workers if not w.alive()]
            if dead:
                outcome["problems"].append(f"workers died with the database and stayed dead: {dead}")
            outcome["fault"] = {"restart": "pg_ctl restart -m immediate (crash, WAL recovery)",
                                "restart_seconds": round(restart_seconds, 2),
                                "answers_5xx_during_restart": result.figures()["server_errors_5xx"],
                                "workers_alive_after": [w.name for w in workers if w.alive()]}
            return outcome


def two_machines(world: World, count: int, due: int, clients: int, workers: int = 2, tag: str = "TWO") -> dict:
    """Two app servers, two sweeps and two outbox workers on one database share the work without doubling it."""
    with world.stack() as stack:
        apps = [stack.app("web-1", workers), stack.app("web-2", workers)]
        sweeps = [stack.sweep("sweep-1"), stack.sweep("sweep-2")]
        senders = [stack.outbox("outbox-1"), stack.outbox("outbox-2")]
        urls = [server.url for server in apps]
        requests_before = world.gateway.requests
        public = Load(urls, count, clients, tag).start()
        overdue = Load(urls, due, max(2, clients // 4), f"{tag}DUE", token=world.tokens["petugas"],
                       backdate=OVERDUE).start()
        public_result, overdue_result = public.join(), overdue.join()
        due_ids = _ids(f"{tag}DUE")
        wait_until(lambda: checks.marks_of(due_ids) >= checks.SWEEP_MARKS * len(due_ids),
                   "the sweeps handle every due clock", 600, interval=0.2)
        first = _outcome(world, public_result, INAPP_PER_FILING, no_server_errors=True)
        second = _outcome(world, overdue_result, INAPP_PER_FILING, no_server_errors=True, swept=True)
        sms_requests = world.gateway.requests - requests_before
        sms_kept = first["delivery"]["sms_kept_once"] + second["delivery"]["sms_kept_once"]
        outcome = {"public": first, "overdue": second, "problems": first["problems"] + second["problems"]}
        if sms_requests != sms_kept:
            outcome["problems"].append(f"{sms_requests} SMS requests for {sms_kept} messages: one was sent twice")
        outcome["work_split"] = {**{s.name: _summed(s, "sweep ") for s in sweeps},
                                 **{s.name: _summed(s, "outbox ") for s in senders}}
        outcome["fault"] = {"sms_requests": sms_requests, "sms_messages": sms_kept}
        return outcome


def _outcome(world: World, result: LoadResult, inapp: int, no_server_errors: bool, swept: bool = False,
             hub: FakeLaporHub | None = None, email_resends_allowed: bool = False) -> dict:
    filed = checks.check_filings(result, inapp)
    ids = _ids(result.tag)
    swept_figures = checks.check_swept(ids) if swept else None
    started = time.perf_counter()
    checks.wait_delivered(ids)
    waited = time.perf_counter() - started
    delivery = checks.check_delivery(ids, world.gateway, world.smtp, hub, email_resends_allowed)
    trail = checks.check_audit_trail()
    figures = result.figures()
    problems = filed["problems"] + delivery["problems"] + trail["problems"]
    if swept_figures:
        problems += swept_figures["problems"]
    if no_server_errors and figures["server_errors_5xx"]:
        problems.append(f"5xx answers: {figures['server_errors_5xx']}")
    delivery["seconds_waited_after_load"] = round(waited, 2)
    outcome = {"load": figures, "database": filed, "delivery": delivery, "audit": trail, "problems": problems}
    if swept_figures:
        outcome["sweep"] = swept_figures
    return outcome


def _ids(tag: str) -> list[int]:
    return sorted(id_ for id_, _, _ in checks.complaints_of(tag))


def _attempted_twice(ids: list[int], kinds: tuple[str, ...]) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.complaint_id.in_(ids), OutboxMessage.kind.in_(kinds), OutboxMessage.attempts >= 2))


def _wait_sessions_gone(name: str) -> None:
    # A killed client's server session ends when PostgreSQL notices the closed socket; until then its
    # uncommitted batch still holds row locks that SKIP LOCKED would step over.
    def gone() -> bool:
        db.session.rollback()
        return not db.session.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :name"),
                                     {"name": name})

    wait_until(gone, f"PostgreSQL ends the sessions of {name}")


def _hub_report(tracking_id: str) -> dict:
    return {"tracking_id": tracking_id, "title": "Lampu jalan mati di depan Pasar Semarapura",
            "content": "Sudah seminggu lampu PJU di Jalan Gajah Mada mati, jalan gelap dan rawan.",
            "event_date": "2026-03-10", "category": "lampu-jalan",
            "location": {"village": "Semarapura Kelod", "district": "Klungkung", "address": "Jl. Gajah Mada"},
            "anonymous": False, "confidential": False,
            "reporter": {"name": "Ni Luh Putu Ayu", "phone": "081234567002"},
            "dispositioned_at": "2026-03-16T14:00:00+07:00"}


def _summed(service: Service, prefix: str) -> dict[str, int]:
    # The workers print one line per pass: "sweep clocks=12, sla_breach=12, …" / "outbox delivered=30".
    total: dict[str, int] = {}
    for line in service.output().splitlines():
        if line.startswith(prefix) and "=" in line:
            for part in line.removeprefix(prefix).split(", "):
                name, _, number = part.partition("=")
                if number.isdigit():
                    total[name] = total.get(name, 0) + int(number)
    return total

