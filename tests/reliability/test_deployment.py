"""The production layout's pieces: behind nginx each citizen keeps their own rate limit, several workers share
the limits through Redis, a database outage answers 503 and the workers wait it out, and the examples in
deploy/ match what the app accepts. (SQLite and PostgreSQL: no processes are started here.)"""

import configparser
import re
import socket
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import make_app
from tests.reliability.harness import ROOT, listening
from web import cli, connectors_cli
from web.public.filing import MULTIPART_OVERHEAD
from workflow.db import db

DEPLOY = ROOT / "deploy"
CODE = "KLK-26-AAAAAA"  # no such complaint: each look-up still counts against the address's limit


@contextmanager
def app_like(app, **settings):
    """Yield another app on ``app``'s database with ``settings`` (a worker configured so); close its connections."""
    other = make_app(app.config["SQLALCHEMY_DATABASE_URI"], **settings)
    try:
        yield other
    finally:
        with other.app_context():
            db.engine.dispose()


def limited(client, forwarded_for: str | None = None) -> bool:
    """Look a code up; return whether the address's rate limit refused it (429)."""
    headers = {"X-Tracking-Pin": "123456"} | ({"X-Forwarded-For": forwarded_for} if forwarded_for else {})
    return client.get(f"/api/v1/track/{CODE}", headers=headers).status_code == 429


def test_behind_the_proxy_each_citizen_has_their_own_rate_limit(app):
    with app_like(app, TRUSTED_PROXIES=1, TRACKING_RATE_LIMIT="2 per minute") as proxied:
        client = proxied.test_client()

        assert [limited(client, "203.0.113.7") for _ in range(3)] == [False, False, True]
        # Another citizen behind the same nginx is not locked out by the first one.
        assert not limited(client, "198.51.100.23")


def test_without_a_trusted_proxy_a_forged_forwarded_address_does_not_escape_the_limit(app):
    with app_like(app, TRACKING_RATE_LIMIT="2 per minute") as direct:
        client = direct.test_client()

        refused = [limited(client, f"203.0.113.{n}") for n in range(3)]

    assert refused == [False, False, True]


@pytest.mark.skipif(not listening(6379), reason="no Redis on 127.0.0.1:6379")
def test_workers_with_redis_storage_share_one_rate_limit(app):
    settings = {"RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379", "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4()}",
                "TRACKING_RATE_LIMIT": "2 per minute"}
    with app_like(app, **settings) as first_worker:
        assert [limited(first_worker.test_client()) for _ in range(2)] == [False, False]

    # A second worker process has storage of its own making; with Redis it reads the same counters.
    with app_like(app, **settings) as second_worker:
        assert limited(second_worker.test_client())


def unreachable_database() -> str:
    with socket.socket() as probe:  # a port nobody listens on: connections are refused at once
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"postgresql://postgres@127.0.0.1:{port}/aduflow"


def test_a_filing_while_the_database_is_down_answers_503_with_retry_after():
    down = make_app(unreachable_database())

    response = down.test_client().post("/api/v1/complaints", json={
        "title": "Jalan berlubang", "description": "Lubang di depan pura.", "category": "jalan-rusak"})

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.json["error"]["code"] == "service_unavailable"
    assert "coba lagi" in response.json["error"]["message"] and "try again" in response.json["error"]["message"]


@pytest.mark.parametrize("command", [["sla", "sweep", "--every", "1"], ["outbox", "deliver", "--every", "1"]])
def test_a_repeating_worker_waits_out_a_database_outage_instead_of_exiting(command):
    down = make_app(unreachable_database(), NOTIFICATIONS_ENABLED=True)
    cli.stop.set()  # one round, then the repeating command returns
    connectors_cli.stop.set()
    try:
        result = down.test_cli_runner().invoke(args=command)
    finally:
        cli.stop.clear()
        connectors_cli.stop.clear()

    assert result.exit_code == 0, result.output
    assert "database unavailable, trying again in 1 s" in result.stderr


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(DEPLOY / name)
    return parser


@pytest.mark.parametrize(("name", "command"), [
    ("aduflow-sweep.service", ["sla", "sweep"]), ("aduflow-outbox.service", ["outbox", "deliver"])])
def test_the_worker_units_run_commands_that_exist_and_restart_after_a_crash(app, name, command):
    service = unit(name)["Service"]
    assert service["EnvironmentFile"] == "/etc/aduflow/env"
    assert service["Restart"] == "always"
    assert " ".join(["--app wsgi", *command, "--every"]) in service["ExecStart"]
    result = app.test_cli_runner().invoke(args=[*command, "--help"])
    assert result.exit_code == 0 and "--every" in result.output


def test_nginx_passes_the_largest_upload_the_app_accepts_to_the_web_unit(app):
    site = (DEPLOY / "nginx-aduflow.conf").read_text()
    size = re.search(r"client_max_body_size\s+(\d+)([kKmM]?);", site)
    limit = int(size.group(1)) * {"": 1, "k": 1024, "m": 1024 ** 2}[size.group(2).lower()]
    five_photos = app.config["ATTACHMENT_MAX_COUNT"] * app.config["ATTACHMENT_MAX_BYTES"] + MULTIPART_OVERHEAD

    assert limit >= five_photos
    upstream = re.search(r"server\s+([\d.]+:\d+)", site).group(1)
    assert f"--bind {upstream}" in unit("aduflow-web.service")["Service"]["ExecStart"]
    for header in ("X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host"):
        assert f"proxy_set_header {header}" in site
    # One proxy sets those headers, and the app trusts exactly one.
    assert re.search(r"^TRUSTED_PROXIES=1$", (DEPLOY / "aduflow.env.example").read_text(), re.MULTILINE)


def test_every_example_unit_reads_the_same_environment_file():
    units = sorted(Path(DEPLOY).glob("*.service"))

    assert {path.name for path in units} >= {"aduflow-web.service", "aduflow-sweep.service",
                                            "aduflow-outbox.service"}
    assert {unit(path.name)["Service"]["EnvironmentFile"] for path in units} == {"/etc/aduflow/env"}
