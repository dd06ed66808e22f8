"""Open311 with hand-made bad input: every answer is a 400, 403 or 404 in the Open311 errors format (XML or
JSON, as asked), never a 5xx, and a refused request files nothing. Then a bounded generated run of odd
parameters on every Open311 path (the full one is ``bench/fuzz.py``).

Conformance and the field checks of a well-formed request are tests/web/test_open311.py; this file is about
input no client should send.
"""

from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from tests.conftest import T0
from tests.security.fuzzing import fuzz_open311, open311_problem
from web.open311 import clients
from workflow.db import db
from workflow.models import Complaint

# What a well-behaved client sends; each case below breaks one thing.
GOOD = {"service_code": "jalan-rusak", "lat": "-8.5350", "long": "115.4040",
        "description": "Lubang besar di Jalan Raya Gelgel.", "attribute[kecamatan]": "Klungkung"}
KEY = "{key}"  # replaced by the client's real key
HUGE = "x" * 70_000  # past the 64 KB the endpoint reads
# (name, method, path, pairs sent as the form (POST) or query (GET), content type or None, statuses allowed)
CASES = [
    # jurisdiction
    ("unknown jurisdiction", "GET", "/services.{fmt}", [("jurisdiction_id", "denpasar")], None, {404}),
    ("jurisdiction with NUL", "GET", "/services.{fmt}", [("jurisdiction_id", "klk\x00")], None, {400}),
    ("jurisdiction twice, second wrong", "GET", "/requests.{fmt}",
     [("jurisdiction_id", "klungkung"), ("jurisdiction_id", "badung")], None, {200, 404}),
    ("jurisdiction on a post, wrong", "POST", "/requests.{fmt}",
     [*GOOD.items(), ("api_key", KEY), ("jurisdiction_id", "bali")], None, {404}),
    # service codes
    ("unknown service", "GET", "/services/tidak-ada.{fmt}", [], None, {404}),
    ("service code path traversal", "GET", "/services/..%2F..%2Fetc%2Fpasswd.{fmt}", [], None, {404}),
    ("service code of 3000 characters", "GET", "/services/" + "a" * 3000 + ".{fmt}", [], None, {404}),
    ("service code in unicode", "GET", "/services/jalan-rusak\u202e.{fmt}", [], None, {404}),
    ("service code with markup", "GET", "/services/%3Cscript%3E.{fmt}", [], None, {404}),
    ("post without service code", "POST", "/requests.{fmt}", [("api_key", KEY), ("lat", "-8.5"), ("long", "115.4"),
                                                              ("description", "x")], None, {400}),
    ("post with unknown service", "POST", "/requests.{fmt}", [*{**GOOD, "service_code": "jalan rusak"}.items(),
                                                              ("api_key", KEY)], None, {404}),
    ("service code twice, conflicting", "POST", "/requests.{fmt}",
     [("api_key", KEY), *GOOD.items(), ("service_code", "tidak-ada")], None, {200, 400, 404}),
    # coordinates
    *[(f"lat {value!r}", "POST", "/requests.{fmt}", [*{**GOOD, "lat": value}.items(), ("api_key", KEY)], None, {400})
      for value in ("1e309", "-1e309", "0x10", "NaN", "-91", "90.0000001", "", "8,5", " -8.5 x")],
    *[(f"long {value!r}", "POST", "/requests.{fmt}", [*{**GOOD, "long": value}.items(), ("api_key", KEY)], None,
       {400}) for value in ("180.1", "Infinity", "1" * 400)],
    ("lat given twice", "POST", "/requests.{fmt}", [("api_key", KEY), *GOOD.items(), ("lat", "99")], None,
     {200, 400}),
    # strings
    ("description of 70,000 characters", "POST", "/requests.{fmt}", [*{**GOOD, "description": HUGE}.items(),
                                                                     ("api_key", KEY)], None, {400}),
    ("description of 4,001 characters", "POST", "/requests.{fmt}", [*{**GOOD, "description": "y" * 4001}.items(),
                                                                    ("api_key", KEY)], None, {400}),
    ("description with NUL", "POST", "/requests.{fmt}", [*{**GOOD, "description": "a\x00b"}.items(),
                                                         ("api_key", KEY)], None, {400}),
    ("email with NUL", "POST", "/requests.{fmt}", [*GOOD.items(), ("email", "a\x00@b.id"), ("api_key", KEY)], None,
     {400}),
    ("name of 5,000 characters", "POST", "/requests.{fmt}", [*GOOD.items(), ("first_name", "N" * 5000),
                                                             ("api_key", KEY)], None, {400}),
    ("media_url to a local file", "POST", "/requests.{fmt}", [*GOOD.items(), ("media_url", "file:///etc/passwd"),
                                                              ("api_key", KEY)], None, {400}),
    ("media_url of 3,000 characters", "POST", "/requests.{fmt}",
     [*GOOD.items(), ("media_url", "https://a.id/" + "p" * 3000), ("api_key", KEY)], None, {400}),
    ("an attribute that is no attribute", "POST", "/requests.{fmt}",
     [*GOOD.items(), ("attribute[tidak-ada]", "1"), ("api_key", KEY)], None, {400}),
    ("broken attribute brackets", "POST", "/requests.{fmt}",
     [*GOOD.items(), ("attribute[[x]]", "1"), ("attribute[", "2"), ("api_key", KEY)], None, {200, 400}),
    ("more than 200 fields", "POST", "/requests.{fmt}",
     [*GOOD.items(), ("api_key", KEY), *[(f"f{n}", "v") for n in range(201)]], None, {400}),
    # keys
    ("missing api_key", "POST", "/requests.{fmt}", list(GOOD.items()), None, {403}),
    ("empty api_key", "POST", "/requests.{fmt}", [*GOOD.items(), ("api_key", "")], None, {403}),
    ("api_key of 10,000 characters", "POST", "/requests.{fmt}", [*GOOD.items(), ("api_key", "k" * 10_000)], None,
     {403}),
    ("api_key in unicode", "POST", "/requests.{fmt}", [*GOOD.items(), ("api_key", "ключ")], None, {403}),
    ("api_key twice, the first wrong", "POST", "/requests.{fmt}", [*GOOD.items(), ("api_key", "nope"),
                                                                   ("api_key", KEY)], None, {200, 403}),
    # content types
    *[(f"body as {kind}", "POST", "/requests.{fmt}", [*GOOD.items(), ("api_key", KEY)], kind, {400})
      for kind in ("application/json", "text/plain", "application/xml", "multipart/form-data")],
    ("a body that is not UTF-8", "POST", "/requests.{fmt}", b"api_key={key}&description=\xff\xfe", "raw", {400}),
    # ids and filters
    *[(f"request id {value!r}", "GET", "/requests/" + value + ".{fmt}", [], None, {400, 404})
      for value in ("KLK-26-ZZZZZZ", "nope", "'%20OR%201=1", "%00", "a" * 2000, "%F0%9F%98%80", "..%2F..")],
    ("service_request_id list of garbage", "GET", "/requests.{fmt}",
     [("service_request_id", ",".join(["%", "_", "x" * 300] * 40))], None, {200, 400}),
    ("start_date not a date", "GET", "/requests.{fmt}", [("start_date", "9999-99-99T99:99:99Z")], None, {400}),
    ("start_date at the end of time", "GET", "/requests.{fmt}", [("start_date", "9999-12-31T23:59:59-12:00"),
                                                                 ("end_date", "9999-12-31T23:59:59-12:00")], None,
     {200, 400}),
    ("end_date at the start of time", "GET", "/requests.{fmt}", [("start_date", "0001-01-01T00:00:00+14:00"),
                                                                 ("end_date", "0001-01-01T00:00:00+14:00")], None,
     {200, 400}),
    ("unknown status", "GET", "/requests.{fmt}", [("status", "maybe")], None, {400}),
    ("token with markup", "GET", "/tokens/%3Cb%3E.{fmt}", [], None, {404}),
    # formats and paths
    ("an unknown format", "GET", "/services.html", [], None, {404}),
    ("an unknown path", "GET", "/requests/a/b/c.{fmt}", [], None, {404}),
]


@pytest.fixture(scope="module")
def key(world) -> str:
    """Return the API key of a registered Open311 client."""
    _, issued = clients.create_key("fixmystreet-klungkung", T0)
    db.session.commit()
    return issued


def complaints() -> int:
    return db.session.scalar(select(func.count()).select_from(Complaint))


def send(world, key: str, method: str, path: str, pairs, content_type):
    """Send one case the way a client would put it on the wire."""
    if isinstance(pairs, bytes):
        body, content_type = pairs.replace(b"{key}", key.encode()), "application/x-www-form-urlencoded"
    else:
        body = urlencode([(name, key if value == KEY else value) for name, value in pairs])
    client = world.visitor(None)
    if method == "GET":
        return client.open(method, f"/open311/v2{path}" + (f"?{body}" if body else ""))
    if content_type == "multipart/form-data":
        return client.open(method, f"/open311/v2{path}", data=dict(pairs), content_type=content_type)
    return client.open(method, f"/open311/v2{path}", data=body,
                       content_type=content_type or "application/x-www-form-urlencoded")


@pytest.mark.parametrize("fmt", ["xml", "json"])
@pytest.mark.parametrize(("name", "method", "path", "pairs", "content_type", "allowed"), CASES,
                         ids=[case[0] for case in CASES])
def test_bad_input_gets_an_open311_error_never_a_crash(world, key, fmt, name, method, path, pairs, content_type,
                                                         allowed):
    before = complaints()
    path = path.replace("{fmt}", fmt)
    response = send(world, key, method, path, pairs, content_type)
    assert response.status_code in allowed, (response.status_code, response.data[:300])
    assert open311_problem(response, path) is None, response.data[:300]
    if response.status_code != 200:
        assert complaints() == before
        expected = fmt if path.endswith(f".{fmt}") else "xml"  # an unknown format is answered in XML
        assert response.mimetype == {"xml": "text/xml", "json": "application/json"}[expected]


def test_a_method_open311_does_not_offer_is_refused_with_the_methods_it_does(world):
    response = world.visitor(None).open("DELETE", "/open311/v2/requests.json")
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}
    assert response.mimetype == "application/json"
    assert [error["code"] for error in response.get_json()] == [405]  # Open311's errors list, not the app's shape


def test_an_unknown_open311_path_is_answered_in_open311_xml(world):
    response = world.visitor(None).get("/open311/v2/nothing-here.xml")
    assert response.status_code == 404
    assert response.mimetype == "text/xml"
    assert b"<errors>" in response.data and b"<code>404</code>" in response.data


def test_generated_odd_parameters_never_break_open311(world, key):
    tally = fuzz_open311(world, key, max_examples=60)
    assert tally.cases >= 60
    assert not tally.failures, tally.examples
    assert set(tally.statuses) <= {200, 400, 403, 404}
