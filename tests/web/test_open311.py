"""Open311 GeoReport v2 at /open311/v2: the conformance checklist of open311.md (d7) item by item, in XML and
JSON, then bad input, privacy (hidden identities, confidential complaints) and the API-key commands."""

import hashlib
import json
import re
from datetime import timedelta
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, func, select

from sop import sop_path
from tests.conftest import T0, VERIFY
from web.open311 import clients
from workflow.db import db
from workflow.domain.rules import Actor
from workflow.models import Complaint, ComplaintEvent, Open311Client
from workflow.services.sop import load_sop_version
from workflow.services.tracking import reporter_for

WITA = ZoneInfo("Asia/Makassar")
FORMATS = ("xml", "json")
CONTENT_TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>'
# XML elements that hold a list; in JSON they are arrays (the root itself is dropped).
LISTS = {"services", "service_requests", "errors", "attributes", "values", "endpoints", "formats"}
OFFSET = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
TRACKING_CODE = re.compile(r"KLK-26-[23456789ABCDEFGHJKMNPQRSTVWXYZ]{6}")
REQUEST_FIELDS = ["service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                  "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
                  "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url"]
VERIFICATION_DUE = "2026-03-27T23:59:59+08:00"  # filed Tue 17 Mar 10:00 WITA; Nyepi and Idul Fitri leave follow
# What a FixMyStreet-style client sends.
FORM = {
    "service_code": "jalan-rusak",
    "lat": "-8.5350",
    "long": "115.4040",
    "description": "Lubang besar di Jalan Raya Gelgel depan pura.\nDua motor jatuh minggu ini.",
    "attribute[kecamatan]": "Klungkung",
    "first_name": "Ni Luh",
    "last_name": "Sukerti",
    "phone": "081234567002",
    "email": "niluh.sukerti@example.id",
}


class Open311:
    """Calls ``/open311/v2`` through the test client, each request in its own app context (see test_api.py)."""

    def __init__(self, app):
        self.app, self.client = app, app.test_client()

    def call(self, method: str, path: str, **kwargs):
        db.session.commit()  # what the test arranged is stored before the server looks
        with self.app.app_context():
            response = self.client.open(f"/open311/v2{path}", method=method, **kwargs)
        db.session.expire_all()  # what the server changed is read afresh
        return response

    def get(self, path: str, **query):
        return self.call("GET", path, query_string=query)

    def post(self, path: str, data, **query):
        return self.call("POST", path, data=data, query_string=query)


@pytest.fixture
def o311(app) -> Open311:
    return Open311(app)


@pytest.fixture(params=FORMATS)
def fmt(request) -> str:
    """Run the test once in XML and once in JSON."""
    return request.param


@pytest.fixture
def key(app) -> str:
    """Return the API key of a fresh client ("fixmystreet-klungkung")."""
    db.session.execute(delete(Open311Client))  # the PostgreSQL fixture does not empty this table
    _, issued = clients.create_key("fixmystreet-klungkung", T0)
    db.session.commit()
    return issued


def form(key: str | None, **changes) -> dict:
    """Return the POST form with ``changes``; a change to None leaves the field out."""
    data = {"api_key": key, **FORM} if key else dict(FORM)
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def body(response, fmt: str):
    """Return the answer as plain data, the same shape in both formats (JSON scalars as their XML text)."""
    assert response.headers["Content-Type"] == CONTENT_TYPES[fmt], response.data[:300]
    if fmt == "json":
        return _plain(json.loads(response.data.decode("utf-8")))
    assert response.data.startswith(XML_DECLARATION + b"\n"), response.data[:100]
    return _from_xml(ElementTree.fromstring(response.data))


def _from_xml(element):
    if element.tag in LISTS:
        return [_from_xml(child) for child in element]
    if len(element):
        return {child.tag: _from_xml(child) for child in element}
    return element.text


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


def errors_of(response, fmt: str, status: int) -> list[str]:
    """Assert the Open311 errors body with ``status`` and return its descriptions."""
    assert response.status_code == status, response.data[:500]
    errors = body(response, fmt)
    assert isinstance(errors, list) and errors
    for error in errors:
        assert set(error) == {"code", "description"}
        assert error["code"] == str(status) and error["description"]
    return [error["description"] for error in errors]


def filed(o311, fmt: str, key: str, **changes) -> str:
    """POST a request and return its service_request_id."""
    response = o311.post(f"/requests.{fmt}", form(key, **changes))
    assert response.status_code == 200, response.data
    return body(response, fmt)[0]["service_request_id"]


def complaint(code: str) -> Complaint:
    return db.session.scalar(select(Complaint).filter_by(tracking_code=code))


def complaints() -> int:
    return db.session.scalar(select(func.count()).select_from(Complaint))


def wita(moment) -> str:
    return moment.astimezone(WITA).isoformat()


def one(o311, fmt: str, code: str) -> dict:
    response = o311.get(f"/requests/{code}.{fmt}")
    assert response.status_code == 200, response.data
    found = body(response, fmt)
    assert len(found) == 1
    return found[0]


def listed(o311, fmt: str, **query) -> list[dict]:
    response = o311.get(f"/requests.{fmt}", **query)
    assert response.status_code == 200, response.data
    return body(response, fmt)


# --- d7.1 both formats on every method; headers; JSON shapes ------------------------------------


def test_every_method_answers_in_both_formats_with_utf8_content_types(o311, fmt, key):
    code = filed(o311, fmt, key)
    answers = {
        "discovery": o311.get(f"/discovery.{fmt}"),
        "services": o311.get(f"/services.{fmt}"),
        "definition": o311.get(f"/services/jalan-rusak.{fmt}"),
        "post": o311.post(f"/requests.{fmt}", form(key)),
        "requests": o311.get(f"/requests.{fmt}"),
        "request": o311.get(f"/requests/{code}.{fmt}"),
        "token": o311.get(f"/tokens/abc123.{fmt}"),
    }
    for name, response in answers.items():
        assert response.status_code == (404 if name == "token" else 200), name
        body(response, fmt)  # checks the content type, and the XML declaration in XML


def test_json_drops_the_root_lists_become_arrays_and_one_request_is_an_array_of_one(o311, key):
    code = filed(o311, "json", key)
    shapes = {
        "/services.json": list, "/requests.json": list, f"/requests/{code}.json": list,
        "/services/jalan-rusak.json": dict, "/discovery.json": dict, "/tokens/x.json": list,
    }
    for path, shape in shapes.items():
        assert isinstance(o311.get(path).get_json(), shape), path
    assert isinstance(o311.post("/requests.json", form(key)).get_json(), list)
    assert len(o311.get(f"/requests/{code}.json").get_json()) == 1
    service = o311.get("/services.json").get_json()[0]
    assert service["metadata"] is True and isinstance(service["keywords"], str)
    request = o311.get(f"/requests/{code}.json").get_json()[0]
    assert list(request) == REQUEST_FIELDS
    assert request["address_id"] is None
    definition = o311.get("/services/jalan-rusak.json").get_json()
    assert isinstance(definition["attributes"][0]["order"], int)
    assert isinstance(definition["attributes"][0]["required"], bool)


def test_xml_uses_the_element_paths_clients_read(o311, key):
    code = filed(o311, "xml", key)
    paths = {
        "/services.xml": ("services", "service"), "/requests.xml": ("service_requests", "request"),
        f"/requests/{code}.xml": ("service_requests", "request"), "/tokens/x.xml": ("errors", "error"),
        "/services/jalan-rusak.xml": ("service_definition", "attributes"),
        "/discovery.xml": ("discovery", "endpoints"),
    }
    for path, (root, child) in paths.items():
        document = ElementTree.fromstring(o311.get(path).data)
        assert document.tag == root and document.find(child) is not None, path
    assert ElementTree.fromstring(o311.get("/services/jalan-rusak.xml").data).find(
        "attributes/attribute/values/value/key") is not None
    posted = ElementTree.fromstring(o311.post("/requests.xml", form(key)).data)
    assert posted.tag == "service_requests" and posted.find("request/service_request_id") is not None


def test_text_travels_as_utf8_both_ways(o311, fmt, key, staff, act):
    text = "Jalan “Gelgel” rusak — perbaikan ± Rp 5 juta; café ñ 🌧️"
    code = filed(o311, fmt, key, description=text)
    act(complaint(code).id, "verify", staff["admin"].actor, **VERIFY)
    assert one(o311, fmt, code)["description"] == text
    assert text.encode("utf-8") in o311.get(f"/requests/{code}.{fmt}").data


# --- d7.2 discovery ----------------------------------------------------------------------------


def test_discovery_names_every_required_field(o311, fmt):
    found = body(o311.get(f"/discovery.{fmt}"), fmt)
    assert set(found) == {"changeset", "contact", "key_service", "endpoints"}
    assert OFFSET.match(found["changeset"]) and found["contact"] and found["key_service"]
    [endpoint] = found["endpoints"]
    assert endpoint == {"specification": "http://wiki.open311.org/GeoReport_v2", "url": "http://localhost/open311/v2",
                        "changeset": found["changeset"], "type": "test",
                        "formats": ["text/xml", "application/json"]}


def test_discovery_changeset_moves_when_the_services_change(o311, fmt, tmp_path):
    before = body(o311.get(f"/discovery.{fmt}"), fmt)["changeset"]
    folder = tmp_path / "klungkung"
    folder.mkdir()
    for source in sop_path("klungkung").iterdir():
        (folder / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    sop_toml = folder / "sop.toml"
    sop_toml.write_text(sop_toml.read_text(encoding="utf-8").replace('version = "2026.1"', 'version = "2026.2"'),
                        encoding="utf-8")
    with (folder / "categories.toml").open("a", encoding="utf-8") as categories:
        categories.write('\n[[categories]]\ncode = "anjing-liar"\nname = "Anjing liar"\nname_en = "Stray dogs"\n'
                         'description = "Anjing liar atau rabies."\ngroup = "Lingkungan"\n'
                         'default_unit = "DLHP"\ndefault_class = "pengaduan_tidak_berkadar_pengawasan"\n')
    load_sop_version(str(folder))
    after = body(o311.get(f"/discovery.{fmt}"), fmt)["changeset"]
    assert after != before and after > before
    assert "anjing-liar" in [s["service_code"] for s in body(o311.get(f"/services.{fmt}"), fmt)]


# --- d7.3 jurisdiction_id ----------------------------------------------------------------------


def get_paths(code: str) -> list[str]:
    return ["/discovery", "/services", "/services/jalan-rusak", "/requests", f"/requests/{code}"]


def test_one_jurisdiction_so_jurisdiction_id_may_be_omitted_empty_or_klungkung(o311, fmt, key):
    code = filed(o311, fmt, key)
    for path in get_paths(code):
        for query in ({}, {"jurisdiction_id": ""}, {"jurisdiction_id": "klungkung"}):
            assert o311.get(f"{path}.{fmt}", **query).status_code == 200, (path, query)
    filed(o311, fmt, key, jurisdiction_id="klungkung")


def test_an_unknown_jurisdiction_is_404_on_every_method(o311, fmt, key):
    code = filed(o311, fmt, key)
    before = complaints()
    for path in get_paths(code):
        assert "klungkung" in errors_of(o311.get(f"{path}.{fmt}", jurisdiction_id="denpasar"), fmt, 404)[0]
    errors_of(o311.get(f"/tokens/x.{fmt}", jurisdiction_id="denpasar"), fmt, 404)
    errors_of(o311.post(f"/requests.{fmt}", form(key, jurisdiction_id="denpasar")), fmt, 404)
    assert complaints() == before


# --- d7.4 an empty parameter is an absent one --------------------------------------------------


def test_empty_filters_behave_like_absent_ones(o311, fmt, key):
    filed(o311, fmt, key)
    filed(o311, fmt, key, service_code="sampah")
    empty = {name: "" for name in ("service_request_id", "service_code", "start_date", "end_date", "status",
                                    "jurisdiction_id")}
    assert listed(o311, fmt, **empty) == listed(o311, fmt)
    assert len(listed(o311, fmt)) == 2


def test_empty_optional_fields_in_a_post_behave_like_absent_ones(o311, fmt, key):
    code = filed(o311, fmt, key, email="", phone="", first_name="", last_name="", address_string="",
                 address_id="", media_url="", device_id="", account_id="", **{"attribute[desa]": "",
                                                                              "attribute[dampak][]": ""})
    stored = complaint(code)
    assert (stored.reporter_name, stored.reporter_phone, stored.reporter_email, stored.desa) == (None,) * 4
    assert stored.address is None and stored.lat == -8.535


# --- d7.5 POST: key and jurisdiction anywhere, 403, location, attributes, 4000 characters -------


@pytest.mark.parametrize("where", ["body", "query"])
def test_api_key_and_jurisdiction_id_come_from_the_body_or_the_query(o311, fmt, key, where):
    credentials = {"api_key": key, "jurisdiction_id": "klungkung"}
    if where == "body":
        response = o311.post(f"/requests.{fmt}", form(None) | credentials)
    else:  # as the open311 1.1 client sends them
        response = o311.post(f"/requests.{fmt}", form(None), **credentials)
    assert response.status_code == 200, response.data
    assert TRACKING_CODE.fullmatch(body(response, fmt)[0]["service_request_id"])


@pytest.mark.parametrize("api_key", [None, "", "not-a-key", "revoked"])
def test_a_missing_wrong_or_revoked_key_is_403_and_files_nothing(o311, fmt, key, api_key):
    if api_key == "revoked":
        clients.revoke_key("fixmystreet-klungkung", T0)
        api_key = key
    data = form(None) | ({"api_key": api_key} if api_key is not None else {})
    assert "api_key" in errors_of(o311.post(f"/requests.{fmt}", data), fmt, 403)[0]
    assert complaints() == 0


@pytest.mark.parametrize(("changes", "named"), [
    ({"lat": None, "long": None}, "lat+long"),
    ({"lat": None, "long": None, "address_id": "4711"}, "address_id"),
    ({"long": None}, "lat"),
    ({"lat": None}, "long"),
], ids=["no-location", "address-id-only", "lat-only", "long-only"])
def test_a_post_without_a_usable_location_is_400(o311, fmt, key, changes, named):
    assert any(named in text for text in errors_of(o311.post(f"/requests.{fmt}", form(key, **changes)), fmt, 400))
    assert complaints() == 0


def test_an_address_string_alone_is_a_location(o311, fmt, key):
    code = filed(o311, fmt, key, lat=None, long=None, address_string="Jl. Raya Gelgel No. 5, Gelgel, Klungkung")
    assert complaint(code).address == "Jl. Raya Gelgel No. 5, Gelgel, Klungkung" and complaint(code).lat is None


@pytest.mark.parametrize(("changes", "named"), [
    ({"attribute[kecamatan]": None}, "attribute[kecamatan]: wajib"),
    ({"attribute[kecamatan]": "Ubud"}, "attribute[kecamatan]: pilih"),
    ({"attribute[warna]": "merah"}, "attribute[warna]"),
    ({"attribute[privasi]": "ok"}, "attribute[privasi]"),
    ({"attribute[anonymous]": "maybe"}, "attribute[anonymous]"),
    ({"attribute[dampak][]": ["keselamatan", "cuaca"]}, "attribute[dampak]"),
    ({"attribute[kecamatan][]": ["Klungkung", "Dawan"]}, "attribute[kecamatan]: hanya satu"),
    ({"attribute[title]": "J" * 201}, "attribute[title]"),
], ids=["required-missing", "not-in-list", "unknown-code", "informational", "bad-yes-no", "bad-multi-value",
        "two-single-values", "title-too-long"])
def test_attributes_are_checked_against_the_service_definition(o311, fmt, key, changes, named):
    descriptions = errors_of(o311.post(f"/requests.{fmt}", form(key, **changes)), fmt, 400)
    assert any(named in text for text in descriptions), descriptions
    assert complaints() == 0


def test_attributes_fill_the_complaint_and_multi_values_arrive_as_arrays(o311, fmt, key):
    code = filed(o311, fmt, key, **{"attribute[dampak][]": ["keselamatan", "akses"], "attribute[desa]": "Gelgel",
                                    "attribute[title]": "Jalan Gelgel berlubang",
                                    "attribute[kecamatan]": "Nusa Penida"})
    stored = complaint(code)
    assert (stored.title, stored.desa, stored.kecamatan) == ("Jalan Gelgel berlubang", "Gelgel", "Nusa Penida")
    details = db.session.scalar(select(ComplaintEvent.details).filter_by(complaint_id=stored.id,
                                                                         action="open311_request"))
    assert details["attributes"]["dampak"] == ["keselamatan", "akses"]


def test_the_description_may_have_4000_characters_not_4001(o311, fmt, key):
    code = filed(o311, fmt, key, description="a" * 4000)
    assert len(complaint(code).description) == 4000
    descriptions = errors_of(o311.post(f"/requests.{fmt}", form(key, description="a" * 4001)), fmt, 400)
    assert any("description" in text and "4000" in text for text in descriptions)
    assert complaints() == 1


def test_a_post_files_a_complaint_on_the_open311_channel_naming_the_client(o311, fmt, key):
    code = filed(o311, fmt, key, media_url="https://fixmystreet.example/photo/1.jpg")
    stored = complaint(code)
    assert (stored.channel, stored.state, stored.category_code) == ("open311", "received", "jalan-rusak")
    assert (stored.reporter_name, stored.reporter_phone) == ("Ni Luh Sukerti", "081234567002")
    assert stored.title == "Lubang besar di Jalan Raya Gelgel depan pura."
    assert stored.received_at == T0
    events = db.session.scalars(select(ComplaintEvent).filter_by(complaint_id=stored.id)
                                .order_by(ComplaintEvent.id)).all()
    assert events[0].action == "file" and events[0].actor_role == "system"
    assert events[0].details["integration"] == "open311:fixmystreet-klungkung"
    request_event = next(e for e in events if e.action == "open311_request")
    assert request_event.internal and request_event.details["client"] == "fixmystreet-klungkung"


# --- d7.6 realtime: an id at once, never a token -----------------------------------------------


def test_services_are_realtime_and_a_post_answers_an_id_and_never_a_token(o311, fmt, key):
    assert {s["type"] for s in body(o311.get(f"/services.{fmt}"), fmt)} == {"realtime"}
    [answer] = body(o311.post(f"/requests.{fmt}", form(key)), fmt)
    assert set(answer) == {"service_request_id", "service_notice"}
    code = answer["service_request_id"]
    assert complaint(code) is not None
    # The notice hands the reporter their PIN once: with it they track and confirm on the web.
    pin = re.search(r"PIN pelacakan (\d{6})", answer["service_notice"]).group(1)
    assert reporter_for(code, pin)[1].tracking_code == code
    assert "2026-03-27" in answer["service_notice"]


def test_no_token_is_ever_issued_so_tokens_answer_404(o311, fmt, key):
    code = filed(o311, fmt, key)
    assert "realtime" in errors_of(o311.get(f"/tokens/{code}.{fmt}"), fmt, 404)[0]


# --- d7.7 GET requests: filters, window, cap, status, dates, notes -----------------------------


def to_state(state: str, file, act, staff) -> str:
    """File a complaint and take it to ``state``; return its tracking code."""
    filed_ = file(description="Lubang besar di depan pura.")
    cid, code = filed_.complaint.id, filed_.complaint.tracking_code
    admin, unit, penghubung = staff["admin"].actor, staff["pupr"].actor, staff["penghubung_pupr"].actor
    verify = ("verify", admin, VERIFY)
    steps = {
        "received": [],
        "pending_info": [("request_info", admin, {"comment": "Mohon kirim foto lokasi."})],
        "dispositioned": [verify],
        "in_progress": [verify, ("acknowledge", unit, {})],
        "returned": [verify, ("return", unit, {"comment": "Jalan provinsi, bukan wewenang kami."})],
        "responded": [verify, ("acknowledge", unit, {}), ("respond", penghubung, {"comment": "Sudah ditambal."})],
        "closed": [verify, ("acknowledge", unit, {}), ("respond", penghubung, {"comment": "Sudah ditambal."}),
                   ("confirm", Actor.reporter(cid), {})],
        "transferred": [("transfer_out", admin, {"target": "Balai Jalan Nasional"})],
        "archived": [("archive", admin, {"reason": "spam"})],
    }
    for action, actor, params in steps[state]:
        act(cid, action, actor, **params)
    return code


@pytest.mark.parametrize(("state", "status"), [
    ("received", "open"), ("pending_info", "open"), ("dispositioned", "open"), ("in_progress", "open"),
    ("returned", "open"), ("responded", "open"), ("closed", "closed"), ("transferred", "closed"),
    ("archived", "closed"),
])
def test_every_state_maps_to_open_or_closed(o311, fmt, file, act, staff, state, status):
    code = to_state(state, file, act, staff)
    assert complaint(code).state == state
    assert one(o311, fmt, code)["status"] == status
    assert [r["service_request_id"] for r in listed(o311, fmt, status=status)] == [code]
    assert listed(o311, fmt, status="closed" if status == "open" else "open") == []


def test_service_request_ids_are_a_comma_list_that_overrides_every_other_filter(o311, fmt, file):
    old = file(at=T0 - timedelta(days=200)).complaint.tracking_code
    new = file(category="sampah").complaint.tracking_code
    file()
    found = listed(o311, fmt, service_request_id=f"{old}, {new.lower()},KLK-26-ZZZZZZ", status="closed",
                   service_code="lampu-jalan", start_date="2026-03-01T00:00:00+08:00",
                   end_date="2026-03-02T00:00:00+08:00")
    assert sorted(r["service_request_id"] for r in found) == sorted([old, new])


def test_service_code_and_status_take_comma_lists(o311, fmt, file, staff, act):
    road, waste = file().complaint.tracking_code, file(category="sampah").complaint.tracking_code
    file(category="lampu-jalan")
    archived = file(category="sampah").complaint
    act(archived.id, "archive", staff["admin"].actor, reason="spam")
    assert {r["service_request_id"] for r in listed(o311, fmt, service_code="jalan-rusak,sampah", status="open")} \
        == {road, waste}
    assert len(listed(o311, fmt, service_code="jalan-rusak, sampah", status="open,closed")) == 3


def test_the_window_defaults_to_the_last_90_days_and_never_spans_more(o311, fmt, file):
    recent = file(at=T0 - timedelta(days=89)).complaint.tracking_code
    old = file(at=T0 - timedelta(days=91)).complaint.tracking_code
    assert [r["service_request_id"] for r in listed(o311, fmt)] == [recent]
    start = wita(T0 - timedelta(days=120))
    assert [r["service_request_id"] for r in listed(o311, fmt, start_date=start)] == [recent, old]
    found = listed(o311, fmt, end_date=wita(T0 - timedelta(days=90)))
    assert [r["service_request_id"] for r in found] == [old]
    too_long = o311.get(f"/requests.{fmt}", start_date=start, end_date=wita(T0))
    assert "90" in errors_of(too_long, fmt, 400)[0]


def test_at_most_the_cap_newest_first(o311, fmt, app, file):
    assert app.config["OPEN311_MAX_REQUESTS"] == 1000
    app.config["OPEN311_MAX_REQUESTS"] = 3
    codes = [file(at=T0 - timedelta(hours=hours)).complaint.tracking_code for hours in range(5)]
    assert [r["service_request_id"] for r in listed(o311, fmt)] == codes[:3]


def test_dates_of_a_closed_request_say_when_it_was_received_and_closed(o311, fmt, file, act, staff):
    cid = file().complaint.id
    act(cid, "verify", staff["admin"].actor, at=T0 + timedelta(hours=1), **VERIFY)
    act(cid, "acknowledge", staff["pupr"].actor, at=T0 + timedelta(hours=2))
    act(cid, "respond", staff["penghubung_pupr"].actor, at=T0 + timedelta(days=9), comment="Sudah ditambal.")
    act(cid, "close", staff["admin"].actor, at=T0 + timedelta(days=10), comment="Selesai diperbaiki.")
    found = one(o311, fmt, db.session.get(Complaint, cid).tracking_code)
    assert found["status"] == "closed"
    assert found["requested_datetime"] == "2026-03-17T10:00:00+08:00"
    assert found["updated_datetime"] == "2026-03-27T10:00:00+08:00"
    assert found["expected_datetime"] is None


def test_expected_datetime_is_the_verification_then_the_resolution_deadline(o311, fmt, file, act, staff):
    cid = file().complaint.id
    code = db.session.get(Complaint, cid).tracking_code
    assert one(o311, fmt, code)["expected_datetime"] == VERIFICATION_DUE
    act(cid, "verify", staff["admin"].actor, **VERIFY)
    resolution = next(c for c in db.session.get(Complaint, cid).clocks if c.kind == "resolution")
    assert one(o311, fmt, code)["expected_datetime"] == wita(resolution.due_at)
    assert resolution.due_at > T0 + timedelta(days=14)  # 14 working days, not calendar days


def test_status_notes_is_the_last_public_note_never_internal_or_the_reporters_words(o311, fmt, file, act, staff):
    cid = file().complaint.id
    code = db.session.get(Complaint, cid).tracking_code
    admin, unit, penghubung = staff["admin"].actor, staff["pupr"].actor, staff["penghubung_pupr"].actor
    assert one(o311, fmt, code)["status_notes"] is None
    act(cid, "verify", admin, **VERIFY)
    act(cid, "return", unit, comment="Catatan internal: ini jalan provinsi.")
    assert one(o311, fmt, code)["status_notes"] is None
    act(cid, "redispose", admin, unit="PUPRKP")
    act(cid, "acknowledge", unit)
    act(cid, "respond", penghubung, comment="Lubang sudah ditambal pada 20 Maret.")
    act(cid, "dispute", Actor.reporter(cid), comment="Belum, hubungi saya di 081299990000.")
    found = one(o311, fmt, code)
    assert found["status_notes"] == "Lubang sudah ditambal pada 20 Maret."
    text = o311.get(f"/requests/{code}.{fmt}").data.decode("utf-8")
    assert "internal" not in text and "081299990000" not in text


def test_notes_wait_for_verification_like_the_content(o311, fmt, file, act, staff):
    cid = file().complaint.id
    code, admin = db.session.get(Complaint, cid).tracking_code, staff["admin"].actor
    act(cid, "request_info", admin, comment="Mohon kirim foto lokasi.")
    assert one(o311, fmt, code)["status_notes"] is None
    act(cid, "supply_info", admin, comment="Pelapor mengirim foto lewat WhatsApp 081311112222.")
    act(cid, "verify", admin, **VERIFY)
    assert one(o311, fmt, code)["status_notes"] == "Mohon kirim foto lokasi."


def test_a_request_shows_service_agency_and_place_once_verified(o311, fmt, key, staff, act):
    code = filed(o311, fmt, key, address_string="Jl. Raya Gelgel", media_url="https://fms.example/p/1.jpg",
                 **{"attribute[desa]": "Gelgel"})
    before = one(o311, fmt, code)
    assert (before["description"], before["address"], before["lat"], before["media_url"]) == (None,) * 4
    assert before["service_notice"].startswith("Diterima, belum terverifikasi")
    act(complaint(code).id, "verify", staff["admin"].actor, **VERIFY)
    after = one(o311, fmt, code)
    assert after["service_code"] == "jalan-rusak" and after["service_name"] == "Jalan rusak / berlubang"
    assert after["description"] == FORM["description"]
    assert after["address"] == "Jl. Raya Gelgel, Desa Gelgel, Kecamatan Klungkung"
    assert (after["lat"], after["long"]) == ("-8.535", "115.404")
    assert after["media_url"] == "https://fms.example/p/1.jpg"
    assert after["agency_responsible"].startswith("Dinas Pekerjaan Umum")
    assert after["service_notice"] == "Terdisposisi, belum ditindaklanjuti"


# --- d7.8 error bodies and statuses ------------------------------------------------------------


def test_errors_are_a_list_of_code_and_description_with_404_403_400(o311, fmt, key):
    assert "service_code" in errors_of(o311.get(f"/services/tidak-ada.{fmt}"), fmt, 404)[0]
    assert "service_code" in errors_of(o311.post(f"/requests.{fmt}", form(key, service_code="tidak-ada")), fmt,
                                       404)[0]
    errors_of(o311.get(f"/requests/KLK-26-ZZZZZZ.{fmt}"), fmt, 404)
    errors_of(o311.get(f"/nothing-here.{fmt}"), fmt, 404)
    errors_of(o311.post(f"/requests.{fmt}", form("wrong")), fmt, 403)
    assert "status" in errors_of(o311.get(f"/requests.{fmt}", status="pending"), fmt, 400)[0]


def test_several_problems_are_several_errors(o311, fmt, key):
    response = o311.post(f"/requests.{fmt}", form(key, lat="abc", description="a" * 4001,
                                                  **{"attribute[kecamatan]": None}))
    descriptions = errors_of(response, fmt, 400)
    assert len(descriptions) == 3
    assert [d.split(":")[0] for d in descriptions] == ["lat", "description", "attribute[kecamatan]"]


def test_an_unknown_format_is_404_in_xml(o311):
    response = o311.get("/services.html")
    assert response.status_code == 404
    assert "xml" in body(response, "xml")[0]["description"]


# --- d7.9 timestamps with an offset ------------------------------------------------------------


def test_every_timestamp_carries_an_offset(o311, fmt, key, staff, act):
    code = filed(o311, fmt, key)
    act(complaint(code).id, "verify", staff["admin"].actor, **VERIFY)
    filed(o311, fmt, key)
    for request in listed(o311, fmt):
        for field in ("requested_datetime", "updated_datetime", "expected_datetime"):
            assert OFFSET.match(request[field]) and request[field].endswith("+08:00"), (field, request[field])
    assert OFFSET.match(body(o311.get(f"/discovery.{fmt}"), fmt)["changeset"])


# --- d7.10 the singular alias for old clients -------------------------------------------------


def test_the_singular_service_path_of_old_clients_is_an_alias(o311, fmt):
    plural = o311.get(f"/services/air-pdam.{fmt}")
    singular = o311.get(f"/service/air-pdam.{fmt}")
    assert singular.status_code == plural.status_code == 200
    assert singular.data == plural.data
    errors_of(o311.get(f"/service/tidak-ada.{fmt}"), fmt, 404)


def test_service_list_and_definition_come_from_the_sop(o311, fmt):
    services = body(o311.get(f"/services.{fmt}"), fmt)
    road = next(s for s in services if s["service_code"] == "jalan-rusak")
    assert road == {"service_code": "jalan-rusak", "service_name": "Jalan rusak / berlubang",
                    "description": "Kerusakan jalan kabupaten, jembatan, dan trotoar. / Damaged or potholed road",
                    "metadata": "true", "type": "realtime",
                    "keywords": "jalan,berlubang,lubang,aspal,jembatan,trotoar,retak,ambles", "group": "Infrastruktur"}
    assert len(services) == 32
    definition = body(o311.get(f"/services/jalan-rusak.{fmt}"), fmt)
    assert definition["service_code"] == "jalan-rusak"
    attributes = {a["code"]: a for a in definition["attributes"]}
    assert [a["order"] for a in definition["attributes"]] == [str(n) for n in range(1, 8)]
    assert [v["key"] for v in attributes["kecamatan"]["values"]] == ["Banjarangkan", "Klungkung", "Dawan",
                                                                     "Nusa Penida"]
    assert (attributes["kecamatan"]["datatype"], attributes["kecamatan"]["required"]) == ("singlevaluelist", "true")
    assert attributes["dampak"]["datatype"] == "multivaluelist"
    assert attributes["privasi"]["variable"] == "false"
    assert attributes["desa"]["values"] == []


# --- point 9: bad input -----------------------------------------------------------------------


@pytest.mark.parametrize(("changes", "status", "named"), [
    ({"lat": "abc"}, 400, "lat"),
    ({"lat": "91"}, 400, "lat"),
    ({"long": "-180.5"}, 400, "long"),
    ({"lat": "nan"}, 400, "lat"),
    ({"long": "inf"}, 400, "long"),
    ({"lat": "1e3"}, 400, "lat"),
    ({"description": None}, 400, "description"),
    ({"description": "   "}, 400, "description"),
    ({"service_code": None}, 400, "service_code"),
    ({"service_code": "jalan rusak"}, 404, "service_code"),
    ({"phone": "call me maybe"}, 400, "phone"),
    ({"email": "bukan-surel"}, 400, "email"),
    ({"media_url": "javascript:alert(1)"}, 400, "media_url"),
    ({"address_string": "x" * 301}, 400, "address_string"),
], ids=["lat-text", "lat-91", "long-range", "lat-nan", "long-inf", "lat-exponent", "no-description",
        "blank-description", "no-service-code", "unknown-service-code", "bad-phone", "bad-email", "bad-media-url",
        "long-address"])
def test_bad_input_is_refused_naming_the_field_and_stores_nothing(o311, fmt, key, changes, status, named):
    descriptions = errors_of(o311.post(f"/requests.{fmt}", form(key, **changes)), fmt, status)
    assert any(named in text for text in descriptions), descriptions
    assert complaints() == 0


def test_a_body_that_is_not_utf8_is_refused(o311, fmt, key):
    raw = f"api_key={key}&service_code=jalan-rusak&lat=-8.5&long=115.4&attribute%5Bkecamatan%5D=Klungkung&" \
          "description=Jalan%FFrusak".encode()
    response = o311.call("POST", f"/requests.{fmt}", data=raw, content_type="application/x-www-form-urlencoded")
    assert "UTF-8" in errors_of(response, fmt, 400)[0]
    raw_bytes = raw.replace(b"%FF", b"\xff")
    response = o311.call("POST", f"/requests.{fmt}", data=raw_bytes, content_type="application/x-www-form-urlencoded")
    errors_of(response, fmt, 400)
    assert complaints() == 0


def test_a_query_that_is_not_utf8_is_refused(o311, fmt):
    response = o311.call("GET", f"/requests.{fmt}?service_code=jalan%C3%28")
    assert "UTF-8" in errors_of(response, fmt, 400)[0]


def test_a_json_body_is_refused_naming_the_content_type(o311, fmt, key):
    response = o311.call("POST", f"/requests.{fmt}", json=form(key))
    assert "application/x-www-form-urlencoded" in errors_of(response, fmt, 400)[0]
    assert complaints() == 0


@pytest.mark.parametrize(("query", "named"), [
    ({"start_date": "kemarin"}, "start_date"),
    ({"start_date": "2026-03-01T00:00:00"}, "start_date"),
    ({"end_date": "2026-03-01"}, "end_date"),
    ({"start_date": "2026-03-10T00:00:00Z", "end_date": "2026-03-01T00:00:00Z"}, "end_date"),
    ({"service_code": "jalan-rusak,tidak-ada"}, "service_code"),
], ids=["not-a-date", "no-offset", "date-only", "end-before-start", "unknown-service"])
def test_bad_filters_are_refused_naming_the_parameter(o311, fmt, query, named):
    response = o311.get(f"/requests.{fmt}", **query)
    assert response.status_code in (400, 404)
    assert named in errors_of(response, fmt, response.status_code)[0]


def test_a_w3c_date_with_z_is_accepted(o311, fmt, file):
    code = file().complaint.tracking_code
    found = listed(o311, fmt, start_date="2026-03-17T01:00:00Z", end_date="2026-03-17T03:00:00Z")
    assert [r["service_request_id"] for r in found] == [code]


# --- privacy: hidden identities and confidential complaints never appear ---------------------


IDENTITY = {"name": "I Wayan Rahasia Sekali", "phone": "081377770001", "email": "wayan.rahasia@example.id"}


def test_no_reporter_field_ever_appears_anonymous_or_not(o311, fmt, file, act, staff, key):
    hidden = file(reporter=IDENTITY, anonymous=True).complaint
    open_ = file(reporter={"name": "Made Terbuka", "phone": "081377770002"}).complaint
    posted = filed(o311, fmt, key, first_name="Ketut", last_name="Diam", phone="081377770003",
                   email="ketut.diam@example.id", **{"attribute[anonymous]": "true"})
    assert complaint(posted).anonymous and complaint(posted).reporter_name == "Ketut Diam"
    for complaint_ in (hidden, open_):
        act(complaint_.id, "verify", staff["admin"].actor, **(VERIFY | {"anonymous": complaint_.anonymous}))
    act(complaint(posted).id, "verify", staff["admin"].actor, **(VERIFY | {"anonymous": True}))
    responses = [o311.get(f"/requests.{fmt}")] + [
        o311.get(f"/requests/{code}.{fmt}") for code in (hidden.tracking_code, open_.tracking_code, posted)]
    assert len(body(responses[0], fmt)) == 3
    for response in responses:
        assert response.status_code == 200
        text = response.data.decode("utf-8")
        for secret in (*IDENTITY.values(), "Wayan", "Made Terbuka", "081377770002", "Ketut", "081377770003",
                       "ketut.diam"):
            assert secret not in text


@pytest.mark.parametrize("how", ["reporter", "administrator", "open311"])
def test_confidential_complaints_never_appear(o311, fmt, file, act, staff, key, how):
    shown = file().complaint.tracking_code
    if how == "open311":
        code = filed(o311, fmt, key, description="Pungli di kantor desa oleh oknum.",
                     **{"attribute[confidential]": "true"})
    else:
        code = file(description="Pungli di kantor desa oleh oknum.", confidential=how == "reporter"
                    ).complaint.tracking_code
        act(complaint(code).id, "verify", staff["admin"].actor, **(VERIFY | {"confidential": True}))
    assert complaint(code).confidential
    assert [r["service_request_id"] for r in listed(o311, fmt)] == [shown]
    assert listed(o311, fmt, service_request_id=code) == []
    errors_of(o311.get(f"/requests/{code}.{fmt}"), fmt, 404)
    for response in (o311.get(f"/requests.{fmt}"), o311.get(f"/requests.{fmt}", service_request_id=code)):
        assert "Pungli" not in response.data.decode("utf-8") and code not in response.data.decode("utf-8")


# --- API keys: flask open311 keys create / revoke ----------------------------------------------


@pytest.fixture
def cli(app):
    db.session.execute(delete(Open311Client))
    db.session.commit()
    runner = app.test_cli_runner()

    def run(*args: str):
        result = runner.invoke(args=["open311", "keys", *args])
        db.session.expire_all()
        return result

    return run


def test_keys_create_prints_the_key_once_and_keeps_only_its_hash(cli, o311):
    result = cli("create", "Klungkung Mesadu App")
    assert result.exit_code == 0, result.output
    key = result.output.strip()
    assert re.fullmatch(r"[A-Za-z0-9_-]{40,}", key)
    client = db.session.scalar(select(Open311Client).filter_by(name="Klungkung Mesadu App"))
    assert client.key_hash == hashlib.sha256(key.encode()).hexdigest() and client.revoked_at is None
    assert o311.post("/requests.json", form(key)).status_code == 200


def test_keys_create_refuses_a_second_active_key_for_the_same_client(cli):
    assert cli("create", "fms").exit_code == 0
    result = cli("create", "fms")
    assert result.exit_code != 0 and "revoke" in result.output
    assert cli("create", "  ").exit_code != 0


def test_keys_revoke_shuts_the_key_out_and_create_then_rotates_it(cli, o311):
    old = cli("create", "fms").output.strip()
    result = cli("revoke", "fms")
    assert result.exit_code == 0 and "Revoked: fms" in result.output
    errors_of(o311.post("/requests.xml", form(old)), "xml", 403)
    new = cli("create", "fms").output.strip()
    assert new != old
    assert o311.post("/requests.xml", form(new)).status_code == 200
    errors_of(o311.post("/requests.xml", form(old)), "xml", 403)
    assert cli("revoke", "nobody").exit_code != 0
