"""Fuzz the API and Open311 in full, and write what was tried and found to bench/out/security.json.

    .venv/bin/python bench/fuzz.py --cases 1000
    .venv/bin/python bench/fuzz.py --cases 5000 --open311 2000 --seed 7 \\
        --database postgresql://postgres@127.0.0.1:5432/aduflow_fuzz

The bounded versions run in the test suite (tests/security/test_api_fuzz.py, test_open311_inputs.py);
this is the same driver (tests/security/fuzzing.py) with more cases and a seed of its own:

1. ``/api/v1``: every operation of the OpenAPI document, valid and invalid data (schemathesis), without
   credentials, with the tokens of the administrator, a unit handler and the Inspektorat, and with a
   reporter's tracking code and PIN; enough examples per operation, caller and mode for ``--cases`` in all.
   Each answer must not be a 5xx and must conform to the document.
2. Open311 GeoReport v2: ``--open311`` generated requests with odd parameters on every path; each answer
   must be a 200, 400, 403 or 404 that parses as the XML or JSON asked for, errors in the Open311 shape.

The database is emptied and migrated first (a temporary SQLite file by default). The exit status is 1
when anything failed, so the run can gate a release.
"""

import argparse
import json
import math
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask_migrate import downgrade, upgrade

from tests.conftest import T0, make_app
from tests.security.conftest import build_world, module_app
from tests.security.fuzzing import (
    MODES,
    SKIPPED_CHECKS,
    Tally,
    callers,
    checks,
    fuzz_open311,
    fuzz_operation,
    load_schema,
    operation_labels,
)
from web.open311 import clients
from workflow.db import db

OUT = Path(__file__).resolve().parent / "out" / "security.json"


def main() -> int:
    """Run both fuzzers and write the report; return 1 if anything failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000, help="API cases in all (at least)")
    parser.add_argument("--open311", type=int, default=500, help="generated Open311 requests")
    parser.add_argument("--seed", type=int, default=None, help="hypothesis seed (default: a random one, recorded)")
    parser.add_argument("--database", default="", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--out", default=str(OUT))
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    folder = Path(tempfile.mkdtemp(prefix="aduflow-fuzz-"))
    url = args.database or f"sqlite:///{folder / 'fuzz.db'}"
    try:
        report = run(url, folder, args.cases, args.open311, seed)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    api, o311 = report["api"], report["open311"]
    print(f"API: {api['cases']} cases over {len(api['operations'])} operations in {api['seconds']} s, "
          f"failures {api['failures_by_kind'] or 'none'}")
    print(f"Open311: {o311['cases']} requests in {o311['seconds']} s, failures {o311['failures_by_kind'] or 'none'}")
    print(f"seed {seed}; written to {out}")
    return 1 if api["failures_by_kind"] or o311["failures_by_kind"] else 0


def run(url: str, folder: Path, cases: int, open311_cases: int, seed: int) -> dict:
    """Migrate a fresh database, build the world and fuzz; return the report."""
    fresh = make_app(url)
    with fresh.app_context():
        if url.startswith("postgres"):
            downgrade(revision="base")
        upgrade()
        db.engine.dispose()
    app = module_app(url, folder)
    with app.app_context():
        world = build_world(app)
        schema = load_schema(world)
        labels = operation_labels(schema)
        runs = sum(len(callers(world, schema.find_operation_by_label(label))) * len(MODES) for label in labels)
        per_run = max(1, math.ceil(cases / runs))
        started = time.perf_counter()
        tallies = {label: Tally(label) for label in labels}
        # Some runs end early (an operation with few parameters has few distinct cases): another round with the
        # next seed until the cases asked for are in.
        for round_ in range(10):
            for label in labels:
                merge(tallies[label], fuzz_operation(world, schema, label, per_run, seed=seed + round_))
            if sum(t.cases for t in tallies.values()) >= cases:
                break
        tallies = list(tallies.values())
        api_seconds = time.perf_counter() - started
        _, key = clients.create_key("fuzz-client", T0)
        db.session.commit()
        o311 = fuzz_open311(world, key, open311_cases, seed=seed)
        db.session.remove()
        db.engine.dispose()
    failures = Counter()
    for tally in tallies:
        failures.update(tally.failures)
    api_cases = sum(t.cases for t in tallies)
    return {
        "seed": seed,
        "database": url.split(":", 1)[0],
        "summary": {"api_cases": api_cases, "api_operations": len(tallies),
                    "api_failures": sum(failures.values()), "open311_generated_requests": o311.cases,
                    "open311_failures": sum(o311.failures.values()), **suite_figures(app)},
        "api": {
            "cases": sum(t.cases for t in tallies), "seconds": round(api_seconds, 1),
            "examples_per_caller_and_mode": per_run, "checks": [c.__name__ for c in checks()],
            "checks_left_out": sorted(SKIPPED_CHECKS), "failures_by_kind": dict(failures),
            "statuses": _statuses(tallies), "operations": [t.as_dict() for t in tallies],
        },
        "open311": {"cases": o311.cases, "seconds": round(o311.seconds, 1),
                    "statuses": {str(k): v for k, v in sorted(o311.statuses.items())},
                    "failures_by_kind": dict(o311.failures), "examples": o311.examples},
    }


def merge(total: Tally, more: Tally) -> None:
    """Add one round's tally of an operation to its total."""
    total.cases += more.cases
    total.seconds += more.seconds
    total.statuses.update(more.statuses)
    total.failures.update(more.failures)
    for kind, example in more.examples.items():
        total.examples.setdefault(kind, example)


def suite_figures(app) -> dict:
    """Return what the security test suite checks, counted from its own tables (tests/security)."""
    from tests.security import test_authorization as authorization
    from tests.security import test_bad_inputs as bad_inputs
    from tests.security import test_open311_inputs as open311_inputs
    from tests.security import test_surfaces as surfaces
    from tests.security import test_web as web

    rows = [row for rows in authorization.routes(authorization.Objects(*(
        [authorization.Filed(1, "KLK-26-AAAAAA", "000000")] + [1] * 6))).values() for row in rows]
    rules = list(app.url_map.iter_rules())
    return {
        "route_matrix": {"endpoints": len({r.endpoint for r in rules}), "requests": len(rows),
                         "visitors": len(authorization.VISITORS),
                         "checks": len(rows) * len(authorization.VISITORS)},
        "transition_matrix": {"action_and_state_cases": len(authorization.TABLE_CASES),
                              "roles": len(authorization.ACTORS) + 1,
                              "checks": len(authorization.TABLE_CASES) * (len(authorization.ACTORS) + 1)},
        "open311_hand_made_inputs": len(open311_inputs.CASES) * 2,
        "hostile_text": {"free_text_fields": len(surfaces.HOSTILE_FIELDS), "script_payloads": 2,
                         "formula_fields": len(surfaces.FORMULA_FIELDS), "formulas": len(surfaces.FORMULAS)},
        "hostile_uploads": {"kinds": len(web.HOSTILE_FILES), "upload_paths": 4},
        "odd_query_values": len(bad_inputs.ODD_QUERY), "odd_form_values": len(bad_inputs.ODD_FORM),
    }


def _statuses(tallies) -> dict:
    total = Counter()
    for tally in tallies:
        total.update(tally.statuses)
    return {str(k): v for k, v in sorted(total.items())}


if __name__ == "__main__":
    sys.exit(main())
