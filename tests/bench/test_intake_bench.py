"""bench/intake.py runs: Aduflow and the bare endpoint under gunicorn, driven by wrk, counted and checked.

A tiny budget (one round of one second, no warm-up, django-helpdesk left out) on temporary SQLite files,
or on scratch PostgreSQL databases beside the suite's own when TEST_DATABASE_URL is set (the script
creates and drops them; never the suite's database). The test checks the JSON the lead's bench target
reads: every figure is there, no request failed, and each database holds exactly as many complaints as
wrk counted answers. No timing is asserted. The parser's error detection is checked on wrk's own words.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bench.intake import parse_wrk, problems_of
from config import database_url
from tests.conftest import PG_URL, on_postgres

ROOT = Path(__file__).resolve().parents[2]

needs_wrk = pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (apt-get install wrk)")

WRK_OUTPUT = """Running 2s test @ http://127.0.0.1:8000/api/v1/complaints
  1 threads and 4 connections
  Latency Distribution
     50%   12.50ms
     75%   20.00ms
     90%   31.00ms
     99%    1.20s
  90 requests in 1.00s, 10.00KB read
  Socket errors: connect 0, read 2, write 0, timeout 0
  Non-2xx or 3xx responses: 3
Requests/sec:     90.00
BENCH_RESULT {"issued": 91, "ok": 87, "bad": 3, "bad_statuses": "500 500 409 ", "window_s": 1.0, \
"wrk_requests": 90, "wrk_duration_us": 1000000, "errors": {"connect": 0, "read": 2, "write": 0, "status": 3, \
"timeout": 0}, "latency_us": {"p50": 12500, "p90": 31000, "p99": 1200000, "max": 1300000, "mean": 20000.0}}
"""


def test_wrk_output_with_errors_is_flagged():
    run = parse_wrk(WRK_OUTPUT)

    assert (run["rps"], run["p50_ms"], run["p99_ms"], run["ok"]) == (90.0, 12.5, 1200.0, 87)
    problems = " | ".join(problems_of(run))
    assert "3 non-2xx/3xx answers (409 500)" in problems
    assert "socket errors {'read': 2}" in problems
    assert "1 requests sent but never answered" in problems


@needs_wrk
def test_intake_bench_runs_and_counts_exactly(tmp_path):
    backend = "postgresql" if on_postgres() else "sqlite"
    command = [sys.executable, "bench/intake.py", "--backends", backend, "--rounds", "1", "--seconds", "1",
               "--warmup", "0", "--commit-seconds", "0.5", "--skip-helpdesk", "--workdir", str(tmp_path),
               "--json", str(tmp_path / "intake.json")]
    if on_postgres():
        server = make_url(database_url(PG_URL))
        maintenance = server.set(drivername="postgresql", database="postgres")
        command += ["--pg-url", maintenance.render_as_string(hide_password=False),
                    "--db-prefix", f"{server.database}_intake_scratch"]

    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=180)

    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads((tmp_path / "intake.json").read_text())
    assert result["ok"] and result["errors"] == []
    section = result["backends"][backend]
    for name in ("aduflow", "bare", "hello"):
        figures = section["contenders"][name]
        assert figures["answered"] > 0
        assert figures["rps_median"] > 0 and figures["p50_ms_median"] > 0 and figures["p99_ms_median"] > 0
    assert section["contenders"]["aduflow"]["worker_peak_rss_mib"] > 0
    assert section["commit_rate"]["median"] > 0
    assert {"aduflow_over_bare", "ceiling_rps", "aduflow_share_of_ceiling"} <= set(section["ratios"])
    for name in ("aduflow", "bare"):
        check = section["count_check"][name]
        assert check["ok"] and check["found"] == check["expected"] == section["contenders"][name]["answered"]
    assert result["versions"]["gunicorn"] and result["versions"]["flask"]
