"""Fuzz ``/api/v1`` from its own OpenAPI document with schemathesis, in process, as several callers.

Every operation is called with generated data that fits its schema (positive) and that breaks it
(negative), once without credentials and once per staff token — a reporter's code and PIN for the
tracking operations. Each answer must not be a 5xx and must conform to the document: status codes,
content types, headers and bodies, schema-invalid input refused, a missing required header refused,
unsupported methods answered 405 with ``Allow``, auth not ignored.

One check is left out: ``positive_data_acceptance`` expects every schema-valid request to succeed, but
the document cannot say which codes exist in the SOP data (categories, units, desa) or which state a
complaint is in, so a schema-valid request may rightly get a 404, 409 or 422.

The bounded run is ``tests/security/test_api_fuzz.py``; ``bench/fuzz.py`` runs the full one and writes
``bench/out/security.json``.
"""

import time
from collections import Counter
from contextlib import suppress
from dataclasses import dataclass, field

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.core.failures import Failure, FailureGroup

from tests.security.conftest import World

# Checks that cannot hold for this API, each with its reason (see the module docstring).
SKIPPED_CHECKS = frozenset({"positive_data_acceptance"})
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
TRACK_PREFIX = "/track/"
# The staff accounts whose tokens go along: the administrator (sees everything, identity included), a unit
# handler (one unit's complaints) and the Inspektorat (the regency, read-mostly).
STAFF_CALLERS = ("admin", "pupr", "inspector")
# Codes the document cannot enumerate (they are SOP data): valid data uses real ones often enough to reach the
# success path too — a random category is only ever refused.
SOP_CODES = {"POST /complaints": {"category": ("jalan-rusak", "air-pdam", "lampu-jalan", "sampah")}}


def checks() -> list:
    """Return the schemathesis checks every answer must pass."""
    load_all_checks()
    return [CHECKS.get_one(name) for name in CHECKS.get_all_names() if name not in SKIPPED_CHECKS]


def load_schema(world: World):
    """Load the API's OpenAPI document from the running app; cases are sent to it in process."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", world.app)
    schema.app = Buffered(world.app)
    return schema


class Buffered:
    """Read each answer whole and close it, as a server does once the body is out (the test transport leaves a
    downloaded file open)."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        """Answer one request with its body read."""
        body = self.app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()


@dataclass
class Tally:
    """What fuzzing one operation found: cases run, answers by status, failures by kind, one example each."""

    operation: str
    cases: int = 0
    seconds: float = 0.0
    statuses: Counter = field(default_factory=Counter)
    failures: Counter = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)

    def record(self, kind: str, example: str) -> None:
        """Count one failure of ``kind``; keep the first example of each kind."""
        self.failures[kind] += 1
        self.examples.setdefault(kind, example)

    def as_dict(self) -> dict:
        """Return the tally as plain JSON data."""
        return {"operation": self.operation, "cases": self.cases, "seconds": round(self.seconds, 2),
                "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
                "failures": dict(self.failures), "examples": self.examples}


def callers(world: World, operation) -> dict[str, dict]:
    """Return who calls ``operation``: headers, and the path parameters valid data fixes to things that exist.

    Generated ids almost never exist; staff callers name a complaint they may see (the anonymous one: the
    administrator reads its reporter, the unit and the Inspektorat read it blanked out), its attachment and
    one of their own notices, so the answers that carry data are checked too.
    """
    found: dict[str, dict] = {"anonymous": {"headers": {}, "path_parameters": {}}}
    if operation.path.startswith(TRACK_PREFIX):
        filed = world.complaints["anonymous"]
        fixed = {"tracking_code": filed.code} | ({"attachment_id": world.attachment_id} if
                                                 "attachment_id" in operation.path else {})
        found["reporter"] = {"headers": {"X-Tracking-Pin": filed.pin}, "path_parameters": fixed}
        return found
    for name in STAFF_CALLERS:
        known = {"complaint_id": world.complaints["anonymous"].id, "attachment_id": world.attachment_id,
                 "notice_id": world.notice_ids.get(name)}
        fixed = {key: value for key, value in known.items() if f"{{{key}}}" in operation.path and value}
        found[name] = {"headers": world.accounts[name].headers, "path_parameters": fixed}
    return found


def fuzz_operation(world: World, schema, label: str, max_examples: int, seed: int | None = None) -> Tally:
    """Fuzz one operation (``"GET /complaints"``) as every caller, in both modes; return its tally.

    Without ``seed`` the cases are the same on every run (derandomized); with one they differ per seed.
    """
    operation = schema.find_operation_by_label(label)
    tally, run_checks = Tally(label), checks()
    started = time.perf_counter()
    for caller, fixed in callers(world, operation).items():
        for mode in MODES:
            # Invalid data is generated in full; valid data names what exists (see callers()).
            pinned = fixed["path_parameters"] if mode is GenerationMode.POSITIVE or caller == "reporter" else {}
            # The caller's credentials are fixed, so invalid data never "drops" them only for them to be sent anyway.
            strategy = operation.as_strategy(generation_mode=mode, path_parameters=pinned or None,
                                             headers=fixed["headers"] or None)
            run = settings(max_examples=max_examples, deadline=None, database=None, derandomize=seed is None,
                           phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))(
                given(strategy)(_sender(tally, run_checks, f"{caller}/{mode.value}", fixed["headers"],
                                        SOP_CODES.get(label, {}) if mode is GenerationMode.POSITIVE else {})))
            if seed is not None:
                run = hypothesis_seed(seed)(run)
            with suppress(Unsatisfiable):  # nothing to break: an operation without parameters has no negative cases
                run()
    tally.seconds = time.perf_counter() - started
    return tally


def _sender(tally: Tally, run_checks: list, who: str, fixed_headers: dict, codes: dict):
    def send(case) -> None:
        tally.cases += 1
        if isinstance(case.body, dict):
            for name, choices in codes.items():
                if name in case.body:
                    case.body[name] = choices[tally.cases % len(choices)]
        headers = {**(case.headers or {}), **fixed_headers}
        response = case.call(headers=headers)
        tally.statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=run_checks, headers=headers)
        except (Failure, FailureGroup) as found:
            for failure in getattr(found, "exceptions", (found,)):
                tally.record(failure.title, f"{who}: {response.status_code} {case.as_curl_command(headers=headers)}")

    return send


def operation_labels(schema) -> list[str]:
    """Return every operation of the document as ``"METHOD /path"``."""
    return [result.ok().label for result in schema.get_all_operations()]


# --- Open311 GeoReport v2 ------------------------------------------------------------------------------

OPEN311_STATUSES = frozenset({200, 400, 403, 404})
OPEN311_KEYS = ("jurisdiction_id", "service_code", "lat", "long", "description", "api_key", "address_string",
                "email", "phone", "first_name", "last_name", "media_url", "device_id", "account_id",
                "attribute[kecamatan]", "attribute[desa]", "attribute[title]", "attribute[x][]",
                "service_request_id", "start_date", "end_date", "status", "address_id")


def open311_requests(key: str):
    """Return a strategy of Open311 requests: (method, path, form or query pairs) with odd values."""
    from hypothesis import strategies as st

    odd = st.one_of(
        st.text(max_size=40), st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=400),
        st.sampled_from(["", " ", "\x00", "nan", "inf", "-inf", "1e309", "0x10", "-8.5", "115.4", "91", "-181",
                         "jalan-rusak", "KLK", "klk", "KLK-26-ZZZZZZ", "2026-03-17T10:00:00+08:00", "2026-13-45",
                         "javascript:alert(1)", "<script>alert(1)</script>", "../../etc/passwd", "x" * 5000,
                         "' OR 1=1 --", "open", "closed", key]),
        st.integers().map(str), st.floats(allow_nan=True, allow_infinity=True).map(str))
    pairs = st.lists(st.tuples(st.sampled_from(OPEN311_KEYS), odd), max_size=8)
    fmt = st.sampled_from(["xml", "json", "html", "XML", ""])
    segment = st.one_of(st.sampled_from(["jalan-rusak", "x", "KLK-26-ZZZZZZ", "..", "%00"]),
                        st.text(alphabet=st.characters(codec="utf-8", exclude_characters="/?#"), min_size=1,
                                max_size=30))
    return st.one_of(
        st.tuples(st.just("POST"), fmt.map(lambda f: f"/requests.{f}"), pairs),
        st.tuples(st.just("GET"), fmt.map(lambda f: f"/requests.{f}"), pairs),
        st.tuples(st.just("GET"), st.tuples(segment, fmt).map(lambda p: f"/requests/{p[0]}.{p[1]}"), pairs),
        st.tuples(st.just("GET"), st.tuples(segment, fmt).map(lambda p: f"/services/{p[0]}.{p[1]}"), pairs),
        st.tuples(st.just("GET"), fmt.map(lambda f: f"/services.{f}"), pairs),
        st.tuples(st.just("GET"), fmt.map(lambda f: f"/discovery.{f}"), pairs),
        st.tuples(st.just("GET"), st.tuples(segment, fmt).map(lambda p: f"/tokens/{p[0]}.{p[1]}"), pairs))


def open311_problem(response, path: str) -> str | None:
    """Return what is wrong with an Open311 answer (None if nothing): status, type, a parseable body, errors."""
    import json
    from xml.etree import ElementTree

    if response.status_code not in OPEN311_STATUSES:
        return f"status {response.status_code}"
    if path.endswith("/") or response.mimetype == "text/html":
        return None if response.status_code == 200 and path.endswith("/") else f"HTML answer {response.status_code}"
    fmt = "json" if path.endswith(".json") and response.mimetype == "application/json" else "xml"
    try:
        if fmt == "json":
            body = json.loads(response.get_data(as_text=True))
            errors = body if response.status_code != 200 else None
            shaped = errors is None or (isinstance(errors, list) and errors and all(
                set(e) == {"code", "description"} for e in errors))
        else:
            root = ElementTree.fromstring(response.data)
            shaped = response.status_code == 200 or (root.tag == "errors" and len(root) and all(
                {c.tag for c in e} == {"code", "description"} for e in root))
    except ValueError as error:  # json.JSONDecodeError and ElementTree.ParseError are ValueErrors
        return f"unparseable {fmt}: {error}"
    return None if shaped else f"errors body not in the Open311 shape ({fmt})"


def fuzz_open311(world: World, key: str, max_examples: int, seed: int | None = None) -> Tally:
    """Send generated Open311 requests with odd parameters; every answer must be an Open311 answer."""
    from urllib.parse import urlencode

    tally, client = Tally("Open311 GeoReport v2"), world.app.test_client()
    started = time.perf_counter()

    def send(request) -> None:
        method, path, pairs = request
        tally.cases += 1
        encoded = urlencode(pairs)
        with world.app.app_context():
            if method == "POST":
                response = client.post(f"/open311/v2{path}", data=encoded,
                                       content_type="application/x-www-form-urlencoded")
            else:
                response = client.get(f"/open311/v2{path}?{encoded}")
            response.get_data()
        tally.statuses[response.status_code] += 1
        if problem := open311_problem(response, path):
            tally.record(problem.split(":")[0], f"{method} {path}?{encoded[:300]} → {problem[:200]}")

    run = settings(max_examples=max_examples, deadline=None, database=None, derandomize=seed is None,
                   phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))(
        given(open311_requests(key))(send))
    if seed is not None:
        run = hypothesis_seed(seed)(run)
    run()
    tally.seconds = time.perf_counter() - started
    return tally
